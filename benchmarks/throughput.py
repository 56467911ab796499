"""Environment steps per second: rewardgym's Numba envs against Gymnasium and EnvPool.

Run from the repository root::

    python benchmarks/throughput.py            # full run (a few minutes), writes
                                                # benchmarks/results/throughput.{json,png}
    python benchmarks/throughput.py --quick --out /tmp/bench   # smoke test

What is measured, all in one process and one run:

1. CartPole for N in (1, 64, 1024, 8192, 65536) envs, random actions:
   rewardgym's vector env (``copy=True`` and ``copy=False``), the bare Numba kernel
   on the same buffers (the ceiling: no Python shell), Gymnasium's NumPy
   ``CartPoleVectorEnv``, Gymnasium's ``SyncVectorEnv`` (N <= 1024) and EnvPool.
2. The single env through ``gym.make`` (N = 1), rewardgym against Gymnasium.
3. MountainCar, Acrobot and Pendulum at N = 8192: rewardgym's vector env against a
   ``SyncVectorEnv`` of Gymnasium's reference env.
4. The other families, each by its own script in this folder, which writes its own
   ``<family>_throughput.{json,png}`` beside this one: text games (TextQuest steps/s),
   tool use (tool-call steps/s), web (in process against Chromium) and MuJoCo (the
   batched vector env against Gymnasium's Sync/Async vector envs). Their headline
   ratios and targets are gathered under ``"families"`` in ``throughput.json``.
   ``--families none`` skips them, ``--families mujoco,web`` picks some.

Timing: one untimed warm-up call (it compiles or loads the Numba cache), then three
windows of at least ``--window`` seconds each; steps/s of the best window and the
median are reported. Actions are drawn up front, so RNG cost is not timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import gymnasium as gym
import numba
import numpy as np

import rewardgym  # noqa: F401  (registers the rewardgym/ ids)
from rewardgym.envs.control import _kernels as K

warnings.filterwarnings("ignore", message=".*precision lowered by casting.*")

FULL_NS = (1, 64, 1024, 8192, 65536)
QUICK_NS = (1, 64, 1024)
SYNC_MAX_N = 1024  # SyncVectorEnv of CartPole is too slow above this
N_ACTION_BATCHES = 8  # pre-drawn action batches, cycled through while timing
N_WINDOWS = 3
OTHER_TASKS = (  # (label, rewardgym id, Gymnasium reference id)
    ("MountainCar-v0", "rewardgym/MountainCar-v0", "MountainCar-v0"),
    ("Acrobot-v1", "rewardgym/Acrobot-v1", "Acrobot-v1"),
    ("Pendulum-v1", "rewardgym/Pendulum-v1", "Pendulum-v1"),
)
TARGETS = {
    "cartpole_vs_gymnasium_vector": 3.0,
    "cartpole_vs_envpool": 50.0,
    "single_env_vs_gymnasium": 1.0,
    "other_tasks_vs_sync": 30.0,
    "fraction_of_bare_kernel": 0.7,  # at large N (>= 8192)
}
LARGE_N = 8192

# The CartPole implementations, in table and plot order.
CARTPOLE_IMPLS = (
    "rewardgym",
    "rewardgym (copy=False)",
    "rewardgym bare kernel",
    "gymnasium vector",
    "gymnasium sync",
    "envpool",
)

Runner = Callable[[int], None]  # run(k): take k steps (of all N envs)


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------
def calibrate(run: Runner, window: float) -> int:
    """Warm ``run`` up (one untimed call: Numba compile or cache load, first touch of
    the buffers), then pick a chunk of steps that takes about ``window / 30``.

    The time per step is the fastest of several growing trials, so one stall (a
    descheduled thread on a busy machine) does not shrink the chunk.
    """
    run(1)
    per_step = math.inf
    k = 1
    while k < 1 << 24:
        t0 = time.perf_counter()
        run(k)
        elapsed = time.perf_counter() - t0
        per_step = min(per_step, elapsed / k)
        if elapsed >= window / 10:
            break
        k *= 2
    return max(1, round(window / 30 / per_step))


def time_window(run: Runner, chunk: int, n_envs: int, window: float) -> float:
    """Env steps/s over one window: ``run(chunk)`` repeatedly until at least ``window``
    seconds have passed (so a window never ends early, whatever the calibration)."""
    steps = 0
    t0 = time.perf_counter()
    while True:
        run(chunk)
        steps += chunk
        elapsed = time.perf_counter() - t0
        if elapsed >= window:
            return steps * n_envs / elapsed


def measure_group(
    makers: dict[str, Callable[[], tuple[Runner, Callable[[], None]]]],
    n_envs: int,
    window: float,
    n_windows: int,
) -> dict[str, dict[str, Any]]:
    """Steps/s of several implementations at the same ``n_envs``.

    Each maker returns ``(run, close)``; ``run(k)`` takes ``k`` vector steps. All are
    built and calibrated first, then the timed windows (each at least ``window`` s) are
    interleaved (window 1 of
    each, window 2 of each, ...) so that background load on a small machine hits all
    of them alike. Returns, per label, the best and median env steps/s (vector steps
    x ``n_envs``) over the windows; an exception becomes a null result with its
    reason, so one failing implementation does not stop the benchmark.
    """
    out: dict[str, dict[str, Any]] = {}
    live: dict[str, tuple[Runner, int]] = {}
    closers: list[Callable[[], None]] = []
    try:
        for label, make in makers.items():
            try:
                run, close = make()
                closers.append(close)
                live[label] = (run, calibrate(run, window))
            except Exception as exc:  # record the failure, keep benchmarking the rest
                out[label] = skipped(f"{type(exc).__name__}: {exc}")
        rates: dict[str, list[float]] = {label: [] for label in live}
        for _ in range(n_windows):
            for label, (run, chunk) in live.items():
                rates[label].append(time_window(run, chunk, n_envs, window))
        for label, (_, chunk) in live.items():
            r = rates[label]
            out[label] = {
                "best": max(r),
                "median": statistics.median(r),
                "chunk_steps": chunk,
                "windows": r,
            }
    finally:
        for close in closers:
            close()
    return {label: out[label] for label in makers}


def skipped(reason: str) -> dict[str, Any]:
    """A null result with the reason it was not measured."""
    return {"best": None, "median": None, "error": reason}


# --------------------------------------------------------------------------------------
# Actions
# --------------------------------------------------------------------------------------
def discrete_actions(rng: np.random.Generator, n_envs: int, n_actions: int) -> list[np.ndarray]:
    """``N_ACTION_BATCHES`` contiguous int64 action batches of shape (n_envs,)."""
    return [
        rng.integers(0, n_actions, size=n_envs, dtype=np.int64) for _ in range(N_ACTION_BATCHES)
    ]


def pendulum_actions(rng: np.random.Generator, n_envs: int) -> list[np.ndarray]:
    """``N_ACTION_BATCHES`` float32 torque batches of shape (n_envs, 1) in [-2, 2]."""
    return [
        rng.uniform(-2.0, 2.0, size=(n_envs, 1)).astype(np.float32) for _ in range(N_ACTION_BATCHES)
    ]


def vector_runner(env: Any, actions: list[np.ndarray]) -> Runner:
    """A runner stepping a (Gymnasium-API) vector env with the pre-drawn batches;
    vector envs autoreset, so it just keeps stepping."""
    step = env.step
    m = len(actions)

    def run(k: int) -> None:
        for i in range(k):
            step(actions[i % m])

    return run


# --------------------------------------------------------------------------------------
# CartPole implementations (each returns (runner, close))
# --------------------------------------------------------------------------------------
def make_rewardgym(n_envs: int, actions: list[np.ndarray], copy: bool = True):
    """rewardgym's CartPole vector env through ``gym.make_vec``."""
    env = gym.make_vec(
        "rewardgym/CartPole-v1", num_envs=n_envs, vectorization_mode="vector_entry_point", copy=copy
    )
    env.reset(seed=0)
    return vector_runner(env, actions), env.close


def make_bare_kernel(n_envs: int, actions: list[np.ndarray]):
    """The Numba step kernel called directly on a reset vector env's buffers: the
    kernel the env would pick (parallel at ``N >= parallel_threshold``), no shell."""
    env = gym.make_vec(
        "rewardgym/CartPole-v1", num_envs=n_envs, vectorization_mode="vector_entry_point"
    )
    env.reset(seed=0)
    u = env.unwrapped
    b = u._buf
    kernel = K.step_parallel if n_envs >= u.parallel_threshold else K.step_serial
    task, mode, max_steps = u._task, u._mode, u.max_episode_steps
    state, obs, rew, term, trunc = b["state"], b["obs"], b["rew"], b["term"], b["trunc"]
    elapsed, prev_done, rng, final_obs = b["elapsed"], b["prev_done"], b["rng"], b["final_obs"]
    has_final, p, lo, hi = b["has_final"], b["p"], b["lo"], b["hi"]
    m = len(actions)

    def run(k: int) -> None:
        for i in range(k):
            kernel(
                task, mode, max_steps, state, actions[i % m], obs, rew, term, trunc,
                elapsed, prev_done, rng, final_obs, has_final, p, lo, hi,
            )  # fmt: skip

    return run, env.close


def make_gym_vector(n_envs: int, actions: list[np.ndarray]):
    """Gymnasium's NumPy ``CartPoleVectorEnv``."""
    env = gym.make_vec("CartPole-v1", num_envs=n_envs, vectorization_mode="vector_entry_point")
    env.reset(seed=0)
    return vector_runner(env, actions), env.close


def make_gym_sync(n_envs: int, actions: list[np.ndarray]):
    """Gymnasium's ``SyncVectorEnv`` of N reference CartPoles."""
    env = gym.make_vec("CartPole-v1", num_envs=n_envs, vectorization_mode="sync")
    env.reset(seed=0)
    return vector_runner(env, actions), env.close


def make_envpool(n_envs: int, actions: list[np.ndarray]):
    """EnvPool's C++ CartPole (synchronous: batch_size = num_envs)."""
    import envpool

    env = envpool.make_gymnasium("CartPole-v1", num_envs=n_envs, seed=0)
    env.reset()
    return vector_runner(env, actions), env.close


def bench_cartpole(
    ns: tuple[int, ...],
    window: float,
    n_windows: int,
    have_envpool: str | None,
    rng: np.random.Generator,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Steps/s of every CartPole implementation at every N: {impl: {str(N): result}}."""
    makers = {
        "rewardgym": lambda n, a: make_rewardgym(n, a, copy=True),
        "rewardgym (copy=False)": lambda n, a: make_rewardgym(n, a, copy=False),
        "rewardgym bare kernel": make_bare_kernel,
        "gymnasium vector": make_gym_vector,
        "gymnasium sync": make_gym_sync,
        "envpool": make_envpool,
    }
    results: dict[str, dict[str, dict[str, Any]]] = {impl: {} for impl in CARTPOLE_IMPLS}
    for n in ns:
        actions = discrete_actions(rng, n, 2)
        group = {}
        for impl in CARTPOLE_IMPLS:
            if impl == "gymnasium sync" and n > SYNC_MAX_N:
                results[impl][str(n)] = skipped(f"not run for N > {SYNC_MAX_N} (too slow)")
            elif impl == "envpool" and have_envpool is not None:
                results[impl][str(n)] = skipped(have_envpool)
            else:
                group[impl] = partial(makers[impl], n, actions)
        for impl, res in measure_group(group, n, window, n_windows).items():
            results[impl][str(n)] = res
        for impl in CARTPOLE_IMPLS:
            res = results[impl][str(n)]
            print(f"  CartPole N={n:>6}  {impl:<24} {fmt_rate(res)}", flush=True)
    return results


# --------------------------------------------------------------------------------------
# Single env and the other tasks
# --------------------------------------------------------------------------------------
def make_single(env_id: str, rng: np.random.Generator):
    """A ``gym.make`` env stepped one action at a time, reset on episode end."""
    env = gym.make(env_id)
    env.reset(seed=0)
    acts = rng.integers(0, 2, size=4096).tolist()  # Python ints, drawn up front
    m = len(acts)
    step, reset = env.step, env.reset

    def run(k: int) -> None:
        for i in range(k):
            _, _, terminated, truncated, _ = step(acts[i % m])
            if terminated or truncated:
                reset()

    return run, env.close


def bench_single(window: float, n_windows: int, rng: np.random.Generator) -> dict[str, Any]:
    """rewardgym's single CartPole against Gymnasium's, with per-call overhead."""
    makers = {
        "rewardgym": partial(make_single, "rewardgym/CartPole-v1", rng),
        "gymnasium": partial(make_single, "CartPole-v1", rng),
    }
    out = measure_group(makers, 1, window, n_windows)
    for label, res in out.items():
        if res["best"]:
            res["us_per_step"] = 1e6 / res["best"]
        print(f"  single CartPole  {label:<24} {fmt_rate(res)}", flush=True)
    return out


def make_other(env_id: str, n_envs: int, mode: str, actions: list[np.ndarray], **kw: Any):
    """A vector env of ``env_id`` (``mode``: vector_entry_point or sync), reset."""
    env = gym.make_vec(env_id, num_envs=n_envs, vectorization_mode=mode, **kw)
    env.reset(seed=0)
    return vector_runner(env, actions), env.close


def bench_other_tasks(
    n_envs: int, window: float, n_windows: int, rng: np.random.Generator
) -> dict[str, dict[str, Any]]:
    """MountainCar, Acrobot, Pendulum at ``n_envs``: rewardgym vs SyncVectorEnv.

    A SyncVectorEnv step of thousands of envs takes a good fraction of a second, so
    the timing rule (warm-up, then windows of >= ``window`` s) times it for a few
    steps only (one or two per window at N = 8192, after the warm-up step).
    """
    out: dict[str, dict[str, Any]] = {}
    for label, rg_id, ref_id in OTHER_TASKS:
        if label.startswith("Pendulum"):
            actions = pendulum_actions(rng, n_envs)
        else:
            actions = discrete_actions(rng, n_envs, 3)  # MountainCar, Acrobot: 3 actions
        makers = {
            "rewardgym": partial(make_other, rg_id, n_envs, "vector_entry_point", actions),
            "gymnasium sync": partial(make_other, ref_id, n_envs, "sync", actions),
        }
        res = measure_group(makers, n_envs, window, n_windows)
        rg, ref = res["rewardgym"], res["gymnasium sync"]
        out[label] = {"n": n_envs, "rewardgym": rg, "gymnasium sync": ref}
        print(
            f"  {label:<16} N={n_envs}  rewardgym {fmt_rate(rg)}   sync {fmt_rate(ref)}", flush=True
        )
    return out


# --------------------------------------------------------------------------------------
# Ratios, environment info, output
# --------------------------------------------------------------------------------------
def ratio_entry(
    num: float | None, den: float | None, target: float | None, note: str, **extra: Any
) -> dict[str, Any]:
    """One ratio: value (null when either side is missing), target, met."""
    value = num / den if num and den else None
    met = None if value is None or target is None else bool(value >= target)
    return {"value": value, "target": target, "met": met, "note": note, **extra}


def compute_ratios(
    cart: dict[str, Any],
    single: dict[str, Any],
    other: dict[str, Any],
    ns: tuple[int, ...],
    ref_n: int,
) -> dict[str, dict[str, Any]]:
    """Every ratio from the measured best steps/s (``ref_n``: 8192, or the largest N
    of a quick run)."""

    def best(impl: str, n: int) -> float | None:
        return cart[impl].get(str(n), {}).get("best")

    r: dict[str, dict[str, Any]] = {}
    r["cartpole_rewardgym_vs_gymnasium_vector"] = ratio_entry(
        best("rewardgym", ref_n),
        best("gymnasium vector", ref_n),
        TARGETS["cartpole_vs_gymnasium_vector"],
        "CartPole rewardgym (copy=True) / Gymnasium CartPoleVectorEnv",
        n=ref_n,
    )
    r["cartpole_rewardgym_vs_envpool"] = ratio_entry(
        best("rewardgym", ref_n),
        best("envpool", ref_n),
        TARGETS["cartpole_vs_envpool"],
        "CartPole rewardgym (copy=True) / EnvPool",
        n=ref_n,
    )
    r["single_env_rewardgym_vs_gymnasium"] = ratio_entry(
        single["rewardgym"]["best"],
        single["gymnasium"]["best"],
        TARGETS["single_env_vs_gymnasium"],
        "gym.make CartPole, rewardgym / Gymnasium",
        n=1,
    )
    for label, res in other.items():
        key = "_".join(label.lower().split("-")[:1])
        r[f"{key}_rewardgym_vs_sync"] = ratio_entry(
            res["rewardgym"]["best"],
            res["gymnasium sync"]["best"],
            TARGETS["other_tasks_vs_sync"],
            f"{label} rewardgym / SyncVectorEnv",
            n=res["n"],
        )
    for n in ns:
        large = n >= LARGE_N
        r[f"fraction_of_bare_kernel_N{n}"] = ratio_entry(
            best("rewardgym", n),
            best("rewardgym bare kernel", n),
            TARGETS["fraction_of_bare_kernel"] if large else None,
            "rewardgym (copy=True) / bare kernel"
            + ("" if large else " (informational: target applies at N >= 8192)"),
            n=n,
        )
        r[f"fraction_of_bare_kernel_copy_false_N{n}"] = ratio_entry(
            best("rewardgym (copy=False)", n),
            best("rewardgym bare kernel", n),
            None,
            "rewardgym (copy=False) / bare kernel (informational)",
            n=n,
        )
    return r


def machine_info() -> dict[str, Any]:
    """Versions, threads and platform; call after a parallel kernel ran so that
    ``numba.threading_layer()`` is known."""
    try:
        layer = numba.threading_layer()
    except ValueError as exc:  # no parallel region ran yet
        layer = f"unknown ({exc})"
    try:
        import envpool

        envpool_version = envpool.__version__
    except Exception:
        envpool_version = None
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "numba_num_threads": numba.get_num_threads(),
        "numba_config_threading_layer": numba.config.THREADING_LAYER,
        "numba_threading_layer": layer,
        "numpy": np.__version__,
        "numba": numba.__version__,
        "gymnasium": gym.__version__,
        "envpool": envpool_version,
    }


def other_processes_cpu_s() -> float | None:
    """CPU seconds used so far by every process but this one (Linux ``/proc/stat``
    minus this process's own time), or None where ``/proc/stat`` is missing."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    busy = (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    own = os.times()
    return busy - (own.user + own.system)


def fmt_rate(res: dict[str, Any]) -> str:
    """'12.3M steps/s' style text for a result (or its error)."""
    if res.get("best") is None:
        return "-"
    v = res["best"]
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= scale:
            return f"{v / scale:.2f}{unit}"
    return f"{v:.0f}"


def print_tables(
    cart: dict[str, Any],
    single: dict[str, Any],
    other: dict[str, Any],
    ratios: dict[str, Any],
    ns: tuple[int, ...],
    info: dict[str, Any],
    n_windows: int,
) -> None:
    """The results as plain-text tables (best of the windows, steps/s)."""
    print()
    print(
        f"CartPole steps/s (best of {n_windows} windows), {info['cpu_count']} cores, "
        f"numba {info['numba_num_threads']} threads ({info['numba_threading_layer']})"
    )
    head = f"{'implementation':<24}" + "".join(f"{'N=' + str(n):>11}" for n in ns)
    print(head)
    print("-" * len(head))
    for impl in CARTPOLE_IMPLS:
        print(f"{impl:<24}" + "".join(f"{fmt_rate(cart[impl][str(n)]):>11}" for n in ns))
    print()
    print("Single env (gym.make, N=1)")
    for label, res in single.items():
        us = res.get("us_per_step")
        print(
            f"  {label:<12} {fmt_rate(res):>9} steps/s   "
            f"{'-' if us is None else f'{us:.2f}'} us/step"
        )
    print()
    if other:
        n = next(iter(other.values()))["n"]
        print(f"Other tasks at N={n} (steps/s)")
        print(f"  {'task':<16}{'rewardgym':>12}{'sync':>12}")
        for label, res in other.items():
            print(
                f"  {label:<16}{fmt_rate(res['rewardgym']):>12}"
                f"{fmt_rate(res['gymnasium sync']):>12}"
            )
        print()
    print("Ratios")
    for key, r in ratios.items():
        val = "-" if r["value"] is None else f"{r['value']:.3g}"
        tgt = "" if r["target"] is None else f">= {r['target']:g}"
        met = "" if r["met"] is None else ("met" if r["met"] else "MISSED")
        print(f"  {key:<40} {val:>10}  {tgt:<8} {met}")


def plot(
    cart: dict[str, Any],
    other: dict[str, Any],
    ns: tuple[int, ...],
    info: dict[str, Any],
    path: Path,
) -> None:
    """Log-log CartPole steps/s vs N, and a bar chart of the other tasks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [3, 2]})
    styles = {
        "rewardgym": "o-",
        "rewardgym (copy=False)": "o--",
        "rewardgym bare kernel": "k:",
        "gymnasium vector": "s-",
        "gymnasium sync": "^-",
        "envpool": "d-",
    }
    for impl in CARTPOLE_IMPLS:
        pts = [(n, cart[impl][str(n)]["best"]) for n in ns if cart[impl][str(n)]["best"]]
        if pts:
            x, y = zip(*pts, strict=True)
            ax1.plot(x, y, styles[impl], label=impl, markersize=5)
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("number of envs N")
    ax1.set_ylabel("env steps / s")
    ax1.set_title("CartPole-v1")
    ax1.grid(True, which="both", alpha=0.3)
    ax1.legend(fontsize=8)

    if other:
        labels = list(other)
        x = np.arange(len(labels))
        rg = [other[lbl]["rewardgym"]["best"] or 0 for lbl in labels]
        ref = [other[lbl]["gymnasium sync"]["best"] or 0 for lbl in labels]
        ax2.bar(x - 0.2, rg, 0.4, label="rewardgym vector")
        ax2.bar(x + 0.2, ref, 0.4, label="gymnasium SyncVectorEnv")
        ax2.set_xticks(x, labels)
        ax2.set_yscale("log")
        ax2.set_ylabel("env steps / s")
        ax2.set_title(f"other tasks, N={next(iter(other.values()))['n']}")
        ax2.legend(fontsize=8)
        ax2.grid(True, axis="y", which="both", alpha=0.3)
    fig.suptitle(
        f"rewardgym throughput on {info['cpu_count']} CPU cores "
        f"(numba {info['numba_num_threads']} threads), {info['date'][:10]}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def envpool_unavailable() -> str | None:
    """None when ``import envpool`` works, else the reason."""
    try:
        import envpool  # noqa: F401
    except Exception as exc:
        return f"envpool not importable: {type(exc).__name__}: {exc}"
    return None


#: Family name -> the script (in this folder) that benchmarks it.
FAMILY_SCRIPTS = {
    "text_games": "text_games_throughput.py",
    "tool_use": "tool_use_throughput.py",
    "web": "web_throughput.py",
    "mujoco": "mujoco_throughput.py",
}


def family_headlines(family: str, data: dict[str, Any]) -> dict[str, Any]:
    """The targets of one family's results, as ``{name: {value, target, met}}``."""
    if family == "text_games":
        return {"textquest_default_steps_per_s": data["textquest_default"]}
    if family == "tool_use":
        return {
            "tool_call_steps_per_s": {k: data[k] for k in ("value", "target", "met")},
        }
    if family == "web":
        return {
            f"{k}_inprocess_vs_browser": v for k, v in data["ratio_inprocess_vs_browser"].items()
        }
    if family == "mujoco":
        return {
            f"{env_id.split('/')[-1]}_{name}": r
            for env_id, by_name in data["ratios"].items()
            for name, r in by_name.items()
        }
    raise KeyError(family)


def bench_families(families: list[str], quick: bool, out: Path) -> dict[str, Any]:
    """Run each family's benchmark script (its ``main``) into ``out``; gather headlines.

    A family whose script fails is reported with the error, not dropped.
    """
    import importlib.util

    results: dict[str, Any] = {}
    here = Path(__file__).resolve().parent
    for family in families:
        script = FAMILY_SCRIPTS[family]
        print(f"\n== {family} ({script}) ==", flush=True)
        t0 = time.perf_counter()
        try:
            spec = importlib.util.spec_from_file_location(f"_bench_{family}", here / script)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            rc = module.main(["--out", str(out), *(["--quick"] if quick else [])])
            if rc:
                raise RuntimeError(f"{script} exited with {rc}")
            data = json.loads((out / script.replace(".py", ".json")).read_text())
            results[family] = {
                "script": f"benchmarks/{script}",
                "results": script.replace(".py", ".json"),
                "targets": family_headlines(family, data),
                "wall_time_s": round(time.perf_counter() - t0, 1),
            }
        except Exception as exc:
            print(f"{family}: FAILED: {type(exc).__name__}: {exc}", flush=True)
            results[family] = {"script": f"benchmarks/{script}", "error": repr(exc)}
    return results


def parse_families(text: str) -> list[str]:
    """``all``, ``none`` or a comma-separated list of :data:`FAMILY_SCRIPTS` keys."""
    if text == "all":
        return list(FAMILY_SCRIPTS)
    if text == "none":
        return []
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = sorted(set(names) - set(FAMILY_SCRIPTS))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown families {unknown}; choose from {sorted(FAMILY_SCRIPTS)}, all or none"
        )
    return names


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line flags."""
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--quick",
        action="store_true",
        help="N in (1, 64, 1024) only and short windows (smoke test)",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=here / "results",
        help="output folder for throughput.json and throughput.png",
    )
    ap.add_argument(
        "--window",
        type=float,
        default=None,
        help="seconds per timing window (default 0.3, or 0.03 with --quick)",
    )
    ap.add_argument(
        "--windows", type=int, default=N_WINDOWS, help="timed windows per measurement (best of)"
    )
    ap.add_argument(
        "--families",
        type=parse_families,
        default="all",
        help=f"other families to run: all (default), none, or some of {', '.join(FAMILY_SCRIPTS)}",
    )
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark, print the tables, write the JSON and the PNG."""
    args = parse_args(argv)
    ns = QUICK_NS if args.quick else FULL_NS
    window = args.window if args.window is not None else (0.03 if args.quick else 0.3)
    ref_n = LARGE_N if LARGE_N in ns else max(ns)
    rng = np.random.default_rng(12345)
    t_start = time.perf_counter()

    print(f"Benchmarking (window {window} s, N = {ns}) ...", flush=True)
    busy_before = other_processes_cpu_s()
    cart = bench_cartpole(ns, window, args.windows, envpool_unavailable(), rng)
    single = bench_single(window, args.windows, rng)
    other = bench_other_tasks(ref_n, window, args.windows, rng)
    info = machine_info()
    busy_after = other_processes_cpu_s()
    if busy_before is not None and busy_after is not None:
        share = (busy_after - busy_before) / (time.perf_counter() - t_start) / (os.cpu_count() or 1)
        info["other_processes_cpu_share"] = round(share, 3)
        if share > 0.1:
            print(
                f"WARNING: other processes used {share:.0%} of the machine's CPU time during "
                "the run; the parallel kernels stall when a core is taken, so the numbers "
                "may be low and noisy."
            )
    ratios = compute_ratios(cart, single, other, ns, ref_n)
    print_tables(cart, single, other, ratios, ns, info, args.windows)

    args.out.mkdir(parents=True, exist_ok=True)
    families = bench_families(args.families, args.quick, args.out)
    for family, res in families.items():
        for name, r in res.get("targets", {}).items():
            verdict = "met" if r.get("met") else "NOT met"
            print(
                f"{family:10s} {name:44s} {r.get('value')!s:>10} "
                f"(target {r.get('target')}: {verdict})"
            )
    result = {
        "benchmark": "rewardgym throughput (env steps per second)",
        "quick": args.quick,
        "window_s": window,
        "n_windows": args.windows,
        "ns": list(ns),
        "machine": info,
        "cartpole": cart,
        "single_env": single,
        "other_tasks": other,
        "ratios": ratios,
        "families": families,
        "wall_time_s": time.perf_counter() - t_start,
    }
    json_path = args.out / "throughput.json"
    json_path.write_text(json.dumps(result, indent=2) + "\n")
    png_path = args.out / "throughput.png"
    plot(cart, other, ns, info, png_path)
    print(f"\nwrote {json_path} and {png_path} ({result['wall_time_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
