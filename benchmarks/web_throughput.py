"""Steps per second of the web envs: the in-process backend against the browser
backend, on the same oracle trajectories.

Run from the repository root::

    python benchmarks/web_throughput.py                         # full run (a few minutes),
                                                                # writes benchmarks/results/
                                                                # web_throughput.{json,png}
    python benchmarks/web_throughput.py --quick --out /tmp/b    # smoke test

What is measured: for WebShop-v0 and WebForms-v0, the oracle's action sequences on
the first tasks of the held-out split are recorded once (in process, text mode);
each backend then replays exactly those sequences through ``gym.make`` (with its
wrappers), and the time spent in ``env.step`` is what counts (resets are outside
the timed spans; a reset loads the start page in both backends). A window replays
every trajectory (repeatedly, until it lasts at least ``seconds``); the best
window and the median are reported. The replays also check that both backends
give the same reward and success on every episode.

The in-process backend runs in this (single-threaded) process. The browser
backend drives Chromium (headless, through Playwright), whose work runs in its
own processes (browser, renderer, and Playwright's driver), so its figure is not
a one-core figure; the machine's load average is recorded with the results.

Target: in-process >= 50x the browser backend's steps/s on the same trajectories.
When no Chromium is found, the browser rows are skipped (with the reason) and
``met`` is ``null``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import gymnasium as gym

import rewardgym  # noqa: F401 - registers the envs

ENVS = ("rewardgym/WebShop-v0", "rewardgym/WebForms-v0")
TARGET_RATIO = 50.0


def record_trajectories(env_id: str, tasks: int) -> list[tuple[int, list[str], float, bool]]:
    """The oracle's actions on tasks ``0 .. tasks-1`` (held-out split), with the
    reward of the last step and the success."""
    env = gym.make(env_id)
    out = []
    for task_id in range(tasks):
        env.reset(seed=task_id, options={"task_id": task_id})
        actions: list[str] = []
        done = False
        reward, success = 0.0, False
        while not done:
            action = env.unwrapped.oracle_action()  # type: ignore[attr-defined]
            actions.append(action)
            _, reward, terminated, truncated, info = env.step(action)
            done = terminated or truncated
            success = bool(info["success"])
        out.append((task_id, actions, float(reward), success))
    env.close()
    return out


def replay(
    env: gym.Env[Any, Any],
    trajectories: list[tuple[int, list[str], float, bool]],
    cold: bool = False,
) -> tuple[int, float, list[tuple[float, bool]]]:
    """Replay every trajectory; returns (steps, seconds in env.step, outcomes).
    ``cold``: empty the cache of parsed pages before every episode."""
    from rewardgym.envs.web.dom import parse_template

    steps, spent = 0, 0.0
    outcomes = []
    for task_id, actions, _, _ in trajectories:
        env.reset(seed=task_id, options={"task_id": task_id})
        if cold:
            parse_template.cache_clear()
        reward, success = 0.0, False
        for action in actions:
            start = time.perf_counter()
            _, reward, _, _, info = env.step(action)
            spent += time.perf_counter() - start
            steps += 1
            success = bool(info["success"])
        outcomes.append((float(reward), success))
    return steps, spent, outcomes


def measure(
    env_id: str,
    backend: str,
    trajectories: list[tuple[int, list[str], float, bool]],
    windows: int,
    seconds: float,
    cold: bool = False,
) -> dict[str, Any]:
    env = gym.make(env_id, backend=backend)
    try:
        replay(env, trajectories[:1], cold)  # warm-up: caches, a started browser
        rates = []
        outcomes: list[tuple[float, bool]] = []
        total = 0
        for _ in range(windows):
            steps, spent = 0, 0.0
            while True:
                n, s, outcomes = replay(env, trajectories, cold)
                steps += n
                spent += s
                if spent >= seconds:
                    break
            rates.append(steps / spent)
            total += steps
    finally:
        env.close()
    expected = [(r, s) for _, _, r, s in trajectories]
    return {
        "env": env_id,
        "backend": backend + (" (cold page cache)" if cold else ""),
        "best_steps_per_s": max(rates),
        "median_steps_per_s": statistics.median(rates),
        "windows": [round(r, 2) for r in rates],
        "steps_timed": total,
        "oracle_success_rate": sum(s for _, s in outcomes) / len(outcomes),
        "same_outcomes_as_recorded": outcomes == expected,
    }


def _loadavg() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def bench(quick: bool = False) -> dict[str, Any]:
    """Run the benchmark; returns the results (figures, the target and ``met``)."""
    from rewardgym.envs.web import browser_available

    tasks, windows, seconds = (2, 1, 0.05) if quick else (20, 5, 1.0)
    browser_windows, browser_seconds = (1, 0.0) if quick else (3, 0.0)
    load_before = _loadavg()
    ok, why = browser_available()
    rows: list[dict[str, Any]] = []
    ratios: dict[str, Any] = {}
    for env_id in ENVS:
        trajectories = record_trajectories(env_id, tasks)
        inproc = measure(env_id, "inprocess", trajectories, windows, seconds)
        rows.append(inproc)
        cold = measure(env_id, "inprocess", trajectories, windows, seconds, cold=True)
        rows.append(cold)
        name = env_id.split("/")[-1]
        if not ok:
            rows.append({"env": env_id, "backend": "browser", "skipped": why})
            ratios[name] = {"value": None, "target": TARGET_RATIO, "met": None, "skipped": why}
            continue
        browser = measure(env_id, "browser", trajectories, browser_windows, browser_seconds)
        rows.append(browser)
        value = inproc["best_steps_per_s"] / browser["best_steps_per_s"]
        ratios[name] = {
            "value": value,
            "target": TARGET_RATIO,
            "met": bool(value >= TARGET_RATIO),
            "cold_page_cache": cold["best_steps_per_s"] / browser["best_steps_per_s"],
        }
    from rewardgym.envs.web import shutdown_browser

    shutdown_browser()
    measured = [r["value"] for r in ratios.values() if r["value"] is not None]
    return {
        "benchmark": "web_throughput",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "processor": platform.processor() or platform.machine(),
        "chromium": why if ok else None,
        "quick": quick,
        "loadavg_before": load_before,
        "loadavg_after": _loadavg(),
        "timing": {
            "oracle_trajectories_per_env": tasks,
            "inprocess": {"windows": windows, "min_seconds_per_window": seconds},
            "browser": {"windows": browser_windows, "replays_per_window": 1},
            "what": "seconds inside env.step (gym.make, text mode), resets excluded",
        },
        "rows": rows,
        "ratio_inprocess_vs_browser": ratios,
        "met": (all(r["met"] for r in ratios.values()) if measured else None),
    }


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.0, 4.5))
    colors = {
        "inprocess": "tab:blue",
        "inprocess (cold page cache)": "tab:cyan",
        "browser": "tab:orange",
    }
    x = 0
    ticks, labels = [], []
    for env_id in ENVS:
        name = env_id.split("/")[-1]
        first = x
        for row in (r for r in result["rows"] if r["env"] == env_id):
            value = row.get("best_steps_per_s")
            if value is not None:
                ax.bar(x, value, color=colors[row["backend"]])
                ax.text(x, value, f"{value:,.0f}", ha="center", va="bottom", fontsize=8)
            else:
                ax.text(x, 1, "skipped", ha="center", va="bottom", fontsize=8, rotation=90)
            ticks.append(x)
            labels.append(f"{name}\n{row['backend'].replace(' (', chr(10) + '(')}")
            x += 1
        ratio = result["ratio_inprocess_vs_browser"][name]["value"]
        if ratio is not None:
            ax.annotate(
                f"in process / browser: x{ratio:,.0f}",
                xy=((first + x - 1) / 2, 0.93),
                xycoords=("data", "axes fraction"),
                ha="center",
                fontsize=8,
            )
        x += 0.6
    ax.set_yscale("log")
    top = max((r.get("best_steps_per_s") or 1.0) for r in result["rows"])
    ax.set_ylim(top=top * 10)  # room for the ratio labels
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel("steps/s (best window, log scale)")
    ax.set_title(
        f"Web envs, oracle trajectories: in process vs Chromium (target x{TARGET_RATIO:.0f})"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="two tasks, short windows (smoke test)"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    result = bench(quick=args.quick)
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "web_throughput.json"
    json_path.write_text(json.dumps(result, indent=2) + "\n")
    png_path = args.out / "web_throughput.png"
    plot(result, png_path)
    for r in result["rows"]:
        if "skipped" in r:
            print(f"{r['env']:24s} {r['backend']:9s} skipped: {r['skipped']}")
            continue
        print(
            f"{r['env']:24s} {r['backend']:28s} best {r['best_steps_per_s']:>10,.1f}  "
            f"median {r['median_steps_per_s']:>10,.1f} steps/s  "
            f"oracle success {r['oracle_success_rate']:.2f}"
        )
    for name, ratio in result["ratio_inprocess_vs_browser"].items():
        if ratio["value"] is None:
            print(f"{name}: ratio not measured ({ratio['skipped']})")
        else:
            verdict = "met" if ratio["met"] else "NOT met"
            print(
                f"{name}: in process / browser = {ratio['value']:,.1f}x "
                f"(target {ratio['target']:.0f}x: {verdict})"
            )
    print(f"wrote {json_path} and {png_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
