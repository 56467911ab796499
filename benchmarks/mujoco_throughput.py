"""Environment steps per second of the MuJoCo tasks: rewardgym's batched vector env
against Gymnasium's ``SyncVectorEnv`` and ``AsyncVectorEnv`` over the single env.

Run from the repository root::

    # full run (a few minutes): benchmarks/results/mujoco_throughput.{json,png}
    python benchmarks/mujoco_throughput.py
    python benchmarks/mujoco_throughput.py --quick --out /tmp/bench   # smoke test

``bench(quick)`` returns the results as a dict (``benchmarks/throughput.py`` calls it).

What is measured, for each task and N in (1, 16, 64, 256), random actions, every
implementation autoresetting:

* ``rewardgym``: ``gym.make_vec(id, N, vectorization_mode="vector_entry_point")``, the
  default thread count (one per CPU, at most N);
* ``rewardgym (1 thread)``: the same on the calling thread only;
* ``batch (no shell)``: ``mujoco.batch.Batch.step`` alone on the same model and frame
  skip (controls written, nothing observed, no resets): the ceiling of the shell;
* ``single-env loop``: a Python loop over N ``gym.make(id)`` envs, resetting each when
  its episode ends;
* ``gymnasium sync`` / ``gymnasium async``: ``SyncVectorEnv`` / ``AsyncVectorEnv``
  (``fork`` workers on Linux) over ``gym.make(id)``.

Timing: each implementation is built and stepped once, then the timed windows (each
at least ``--window`` s) are interleaved (window 1 of each, window 2 of each, ...) so
that background load on a shared machine hits all of them alike; steps/s of the best
window and the median are reported. Actions are drawn up front.

Targets (the issue's, at N = 64 on 2 cores): rewardgym >= 2x the faster of the
single-env loop and ``SyncVectorEnv``, and >= 3x ``AsyncVectorEnv``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import rewardgym  # noqa: F401  (registers the rewardgym/ ids)
from rewardgym.envs.mujoco import _core

TASKS = ("rewardgym/PointReach-v0", "rewardgym/ReacherSparse-v0", "rewardgym/HopperForward-v0")
FULL_NS = (1, 16, 64, 256)
QUICK_NS = (1, 4)
IMPLS = (
    "rewardgym",
    "rewardgym (1 thread)",
    "batch (no shell)",
    "single-env loop",
    "gymnasium sync",
    "gymnasium async",
)
TARGET_N = 64
TARGETS = {"vs_single_env": 2.0, "vs_async": 3.0}
N_ACTION_BATCHES = 8

Step = Callable[[int], None]  # step(i): one vector step with action batch i
Maker = Callable[[], tuple[Step, Callable[[], None]]]


# --------------------------------------------------------------------------------------
# Implementations: each maker returns (step, close)
# --------------------------------------------------------------------------------------
def _vector_step(env: Any, actions: list[np.ndarray]) -> Step:
    step, m = env.step, len(actions)

    def run(i: int) -> None:
        step(actions[i % m])

    return run


def make_rewardgym(env_id: str, n: int, actions: list[np.ndarray], **kwargs: Any) -> Maker:
    def make() -> tuple[Step, Callable[[], None]]:
        env = gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", **kwargs)
        env.reset(seed=0)
        return _vector_step(env, actions), env.close

    return make


def make_bare_batch(env_id: str, n: int, actions: list[np.ndarray]) -> Maker:
    def make() -> tuple[Step, Callable[[], None]]:
        from mujoco.batch import Batch

        probe = gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point")
        u = probe.unwrapped
        batch = Batch(u.model, n, nthread=u.nthread)
        batch.reset()
        ctrl, fs, stage = batch.bind("ctrl"), u.frame_skip, u.env_cls.stage
        probe.close()
        m = len(actions)

        def run(i: int) -> None:
            ctrl[:] = actions[i % m]
            batch.step(None, nstep=fs, stage=stage)

        return run, lambda: None

    return make


def make_single_loop(env_id: str, n: int, actions: list[np.ndarray]) -> Maker:
    def make() -> tuple[Step, Callable[[], None]]:
        envs = [gym.make(env_id) for _ in range(n)]
        for i, env in enumerate(envs):
            env.reset(seed=i)
        m = len(actions)

        def run(i: int) -> None:
            batch = actions[i % m]
            for j, env in enumerate(envs):
                _, _, terminated, truncated, _ = env.step(batch[j])
                if terminated or truncated:
                    env.reset()

        def close() -> None:
            for env in envs:
                env.close()

        return run, close

    return make


def make_gymnasium(env_id: str, n: int, actions: list[np.ndarray], mode: str) -> Maker:
    def make() -> tuple[Step, Callable[[], None]]:
        vector_kwargs: dict[str, Any] = {}
        if mode == "async" and sys.platform.startswith("linux"):
            vector_kwargs["context"] = "fork"  # workers start in milliseconds
        env = gym.make_vec(env_id, num_envs=n, vectorization_mode=mode, vector_kwargs=vector_kwargs)
        env.reset(seed=0)
        return _vector_step(env, actions), env.close

    return make


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------
def time_window(step: Step, n_envs: int, window: float, start: int) -> tuple[float, int]:
    """Env steps/s over one window of at least ``window`` seconds; returns it and the
    action index to continue from."""
    i = start
    t0 = time.perf_counter()
    while True:
        step(i)
        i += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= window:
            return (i - start) * n_envs / elapsed, i


def measure_group(
    makers: dict[str, Maker], n_envs: int, window: float, rounds: int
) -> dict[str, dict[str, Any]]:
    """Best and median env steps/s of each implementation at ``n_envs``, windows
    interleaved; an implementation that fails records its error instead."""
    out: dict[str, dict[str, Any]] = {}
    live: dict[str, Step] = {}
    closers: list[Callable[[], None]] = []
    try:
        for label, make in makers.items():
            try:
                step, close = make()
                closers.append(close)
                step(0)  # warm-up: first touch of buffers and worker pipes
                live[label] = step
            except Exception as exc:  # record the failure, keep benchmarking the rest
                out[label] = {"best": None, "median": None, "error": f"{type(exc).__name__}: {exc}"}
        rates: dict[str, list[float]] = {label: [] for label in live}
        cursor = dict.fromkeys(live, 1)
        for _ in range(rounds):
            for label, step in live.items():
                rate, cursor[label] = time_window(step, n_envs, window, cursor[label])
                rates[label].append(rate)
        for label, r in rates.items():
            out[label] = {"best": max(r), "median": statistics.median(r), "windows": r}
    finally:
        for close in closers:
            close()
    return {label: out[label] for label in makers}


# --------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------
def machine_info() -> dict[str, Any]:
    import mujoco

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": platform.python_version(),
        "mujoco": mujoco.__version__,
        "gymnasium": gym.__version__,
        "numpy": np.__version__,
        "cpus_available": _core._available_cpus(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "load_average_at_start": None if load is None else [round(x, 2) for x in load],
    }


def _ratio(task: dict[str, Any], impl: str, baselines: tuple[str, ...], target: float) -> Any:
    mine = task[impl].get(str(TARGET_N), {}).get("best")
    base = [task[b].get(str(TARGET_N), {}).get("best") for b in baselines]
    if mine is None or any(b is None for b in base):
        return {"value": None, "target": target, "met": None}
    value = mine / max(base)
    return {"value": round(value, 2), "target": target, "met": bool(value >= target)}


def bench(
    quick: bool = False,
    *,
    tasks: tuple[str, ...] = TASKS,
    ns: tuple[int, ...] | None = None,
    window: float | None = None,
    rounds: int | None = None,
) -> dict[str, Any]:
    """Run the benchmark; returns the results dict that :func:`main` writes as JSON.

    ``quick``: one task, N in (1, 4), short windows (a smoke test, seconds).
    """
    if quick:
        tasks = tasks[:1]
    ns = ns or (QUICK_NS if quick else FULL_NS)
    window = window if window is not None else (0.05 if quick else 0.5)
    rounds = rounds if rounds is not None else (1 if quick else 5)
    started = time.perf_counter()
    info = machine_info()  # before the run, for the load average at the start
    results: dict[str, Any] = {}
    for env_id in tasks:
        nu = gym.make(env_id).action_space.shape[0]
        rows: dict[str, dict[str, Any]] = {impl: {} for impl in IMPLS}
        for n in ns:
            rng = np.random.default_rng(n)
            actions = [
                rng.uniform(-1.0, 1.0, (n, nu)).astype(np.float32) for _ in range(N_ACTION_BATCHES)
            ]
            makers: dict[str, Maker] = {
                "rewardgym": make_rewardgym(env_id, n, actions),
                "rewardgym (1 thread)": make_rewardgym(env_id, n, actions, nthread=1),
                "batch (no shell)": make_bare_batch(env_id, n, actions),
                "single-env loop": make_single_loop(env_id, n, actions),
                "gymnasium sync": make_gymnasium(env_id, n, actions, "sync"),
                "gymnasium async": make_gymnasium(env_id, n, actions, "async"),
            }
            group = measure_group(makers, n, window, rounds)
            for impl, row in group.items():
                rows[impl][str(n)] = row
            print(
                f"{env_id} N={n}: "
                + ", ".join(
                    f"{k} {v['best']:,.0f}" if v["best"] is not None else f"{k} failed"
                    for k, v in group.items()
                ),
                flush=True,
            )
        results[env_id] = rows
    ratios = {
        env_id: {
            "vs_single_env": _ratio(
                rows, "rewardgym", ("single-env loop", "gymnasium sync"), TARGETS["vs_single_env"]
            ),
            "vs_async": _ratio(rows, "rewardgym", ("gymnasium async",), TARGETS["vs_async"]),
        }
        for env_id, rows in results.items()
    }
    if hasattr(os, "getloadavg"):
        info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return {
        "benchmark": "mujoco_throughput",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "quick": quick,
        "unit": "env steps per second (best window; median also given)",
        "window_s": window,
        "rounds": rounds,
        "ns": list(ns),
        "target_n": TARGET_N,
        "machine": info,
        "tasks": results,
        "ratios": ratios,
        "wall_time_s": round(time.perf_counter() - started, 1),
    }


def plot(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(data["tasks"])
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.2 * len(tasks), 4.2), squeeze=False)
    for ax, env_id in zip(axes[0], tasks, strict=True):
        for impl, rows in data["tasks"][env_id].items():
            pts = [(int(n), r["best"]) for n, r in rows.items() if r.get("best")]
            if pts:
                xs, ys = zip(*pts, strict=True)
                style = "-o" if impl.startswith("rewardgym") else "--s"
                ax.plot(xs, ys, style, label=impl, markersize=4)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("number of envs N")
        ax.set_ylabel("env steps / s")
        ratio = data["ratios"][env_id]
        ax.set_title(
            f"{env_id.split('/')[-1]}\nN={data['target_n']}: "
            f"{ratio['vs_single_env']['value']}x single, {ratio['vs_async']['value']}x async",
            fontsize=10,
        )
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=8)
    cpus = data["machine"]["cpus_available"]
    fig.suptitle(f"MuJoCo env throughput ({cpus} CPUs, MuJoCo {data['machine']['mujoco']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke test: one task, N in (1, 4)")
    ap.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "results",
        help="folder for mujoco_throughput.json and .png",
    )
    ap.add_argument("--window", type=float, default=None, help="seconds per timed window")
    ap.add_argument("--rounds", type=int, default=None, help="timed windows per implementation")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = bench(args.quick, window=args.window, rounds=args.rounds)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "mujoco_throughput.json").write_text(json.dumps(data, indent=2) + "\n")
    plot(data, args.out / "mujoco_throughput.png")
    for env_id, r in data["ratios"].items():
        print(f"{env_id} at N={TARGET_N}: {r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
