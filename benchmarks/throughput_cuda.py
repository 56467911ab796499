"""CUDA backend throughput of the control vector envs, on a machine with an NVIDIA GPU.

Measures CartPole steps/s at N = 2^k envs with actions already on the device,
three ways in one run:

* ``env``: ``envs.step(device_actions)`` through the vector env (with and without
  the per-step action validation, which costs one 8-byte device-to-host copy);
* ``env (torch)``: torch CUDA actions in, torch tensors out (``as_torch=True``);
* ``bare kernel``: launches of the step kernel alone on the env's buffers.

It also measures the device's copy bandwidth (a device-to-device copy) and reports
the fraction of the memory-bandwidth floor reached: the bytes each env-step must read
and write (state, action, observation, reward, flags, step counter) over the measured
bandwidth gives the fastest possible step rate.

Writes ``throughput_cuda.json`` (and a PNG) under ``--out``. ``--simulate`` runs a
tiny configuration in Numba's CUDA simulator to check the script itself.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# Bytes one CartPole env-step reads and writes in the step kernel (NEXT_STEP mode,
# no reset): state 4 float64 read + write, int64 action, 4 float32 observations,
# float64 reward, two bool flags, int64 step counter read + write, bool prev_done
# read + write.
BYTES_PER_STEP = 4 * 8 * 2 + 8 + 4 * 4 + 8 + 2 + 8 * 2 + 2


def _timed(fn: Any, sync: Any, min_seconds: float, max_iters: int) -> tuple[float, int]:
    """Run ``fn`` repeatedly for at least ``min_seconds``; return (seconds, iters)."""
    fn()
    sync()
    iters = 0
    start = time.perf_counter()
    while True:
        fn()
        iters += 1
        if iters >= max_iters or time.perf_counter() - start >= min_seconds:
            break
    sync()
    return time.perf_counter() - start, iters


def measure_bandwidth(cuda: Any, np: Any, nbytes: int, min_seconds: float) -> float:
    """Device copy bandwidth in bytes/s (each copy reads and writes ``nbytes``)."""
    src = cuda.device_array(nbytes // 8, dtype=np.float64)
    dst = cuda.device_array(nbytes // 8, dtype=np.float64)
    seconds, iters = _timed(lambda: dst.copy_to_device(src), cuda.synchronize, min_seconds, 10**6)
    return 2 * nbytes * iters / seconds


def bench_n(n: int, min_seconds: float, max_iters: int) -> dict[str, Any]:
    import gymnasium as gym
    import numpy as np
    from numba import cuda

    import rewardgym  # noqa: F401
    from rewardgym.envs.control import _cuda as C
    from rewardgym.envs.control import _kernels as K

    out: dict[str, Any] = {"num_envs": n}
    rng = np.random.default_rng(0)
    actions = [cuda.to_device(rng.integers(0, 2, n).astype(np.int64)) for _ in range(8)]

    for label, validate in [("env", False), ("env (validated)", True)]:
        envs = gym.make_vec(
            "rewardgym/CartPole-v1",
            num_envs=n,
            vectorization_mode="vector_entry_point",
            backend="cuda",
            validate_actions=validate,
        )
        envs.reset(seed=0)
        k = [0]

        def step(envs: Any = envs, k: list[int] = k) -> None:
            envs.step(actions[k[0] % 8])
            k[0] += 1

        seconds, iters = _timed(step, cuda.synchronize, min_seconds, max_iters)
        out[label] = n * iters / seconds
        if label == "env":
            buf = envs.unwrapped._buf
            blocks = buf.blocks

            def bare(buf: Any = buf, blocks: int = blocks, k: list[int] = k) -> None:
                d = buf.d
                C.step_kernel[blocks, C.THREADS_PER_BLOCK](
                    K.CARTPOLE, K.MODE_NEXT_STEP, 500, d["state"], actions[k[0] % 8],
                    d["obs"], d["rew"], d["term"], d["trunc"], d["elapsed"], d["prev_done"],
                    d["rng"], d["final_obs"], d["has_final"], d["p"], d["lo"], d["hi"],
                )  # fmt: skip
                k[0] += 1

            seconds, iters = _timed(bare, cuda.synchronize, min_seconds, max_iters)
            out["bare kernel"] = n * iters / seconds
        envs.close()

    if not C.SIMULATOR:
        import torch

        envs = gym.make_vec(
            "rewardgym/CartPole-v1",
            num_envs=n,
            vectorization_mode="vector_entry_point",
            backend="cuda",
            as_torch=True,
            validate_actions=False,
        )
        envs.reset(seed=0)
        t_actions = [torch.randint(0, 2, (n,), device="cuda", dtype=torch.int64) for _ in range(8)]
        k = [0]

        def step_torch(envs: Any = envs, k: list[int] = k) -> None:
            envs.step(t_actions[k[0] % 8])
            k[0] += 1

        def sync() -> None:
            torch.cuda.synchronize()
            cuda.synchronize()

        seconds, iters = _timed(step_torch, sync, min_seconds, max_iters)
        out["env (torch)"] = n * iters / seconds
        envs.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    parser.add_argument("--simulate", action="store_true", help="tiny run in the CUDA simulator")
    args = parser.parse_args(argv)
    if args.simulate:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
        sizes, min_seconds, max_iters = [64], 0.0, 2
    else:
        sizes, min_seconds, max_iters = [2**16, 2**18, 2**20, 2**22, 2**24], 1.0, 10**6

    import numpy as np
    from numba import cuda

    if not args.simulate and not cuda.is_available():
        print("no CUDA GPU found: run this on a machine with an NVIDIA GPU", file=sys.stderr)
        return 2
    device = "simulator" if args.simulate else cuda.get_current_device().name
    if isinstance(device, bytes):
        device = device.decode()
    rows = [bench_n(n, min_seconds, max_iters) for n in sizes]
    bandwidth = measure_bandwidth(cuda, np, 2**20 if args.simulate else 2**30, min_seconds)
    floor = bandwidth / BYTES_PER_STEP
    for row in rows:
        row["fraction of bandwidth floor"] = row["bare kernel"] / floor
        row["env / bare kernel"] = row["env"] / row["bare kernel"]
    at_target = next((r for r in rows if r["num_envs"] == 2**22), rows[-1])
    result = {
        "device": device,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "bytes_per_step": BYTES_PER_STEP,
        "device_copy_bandwidth_GBps": bandwidth / 1e9,
        "bandwidth_floor_steps_per_s": floor,
        "rows": rows,
        "target": {
            "num_envs": at_target["num_envs"],
            "env_steps_per_s": at_target["env"],
            "target_steps_per_s": 1e10,
            "met": at_target["env"] >= 1e10,
        },
    }
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "throughput_cuda.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"device: {device}; copy bandwidth {bandwidth / 1e9:.0f} GB/s")
    for row in rows:
        cells = ", ".join(f"{k}: {v:.3g}" for k, v in row.items() if k != "num_envs")
        print(f"N={row['num_envs']:>9}: {cells}")
    if not args.simulate:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.5))
        ns = [r["num_envs"] for r in rows]
        for key in ("bare kernel", "env", "env (validated)", "env (torch)"):
            ax.plot(ns, [r.get(key, float("nan")) for r in rows], marker="o", label=key)
        ax.axhline(floor, color="grey", linestyle="--", label="bandwidth floor")
        ax.set(xscale="log", yscale="log", xlabel="num_envs", ylabel="CartPole steps/s")
        ax.set_title(f"rewardgym CUDA backend on {device}")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_dir / "throughput_cuda.png", dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
