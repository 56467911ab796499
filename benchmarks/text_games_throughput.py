"""Steps per second of the text games, one core, random admissible commands.

Run from the repository root::

    python benchmarks/text_games_throughput.py            # full run (about a minute),
                                                          # writes benchmarks/results/
                                                          # text_games_throughput.{json,png}
    python benchmarks/text_games_throughput.py --quick --out /tmp/bench   # smoke test

What is measured: ``env.step`` through ``gym.make`` (so with Gymnasium's wrappers
and the registered ``TimeLimit``), in text mode, the action a command drawn
uniformly from ``info["admissible_commands"]`` by a seeded ``random.Random``; each
step's full ``info`` is built. Episodes that end are reset inside the timed window
(a reset generates a new world), so the figure is steps per second of wall time
including resets. TextQuest runs at each named difficulty and in discrete mode
(an index drawn uniformly from the action mask, which also builds the hashed
features of every candidate); every other registered ``text_games`` env is run in
text mode when its ``info`` lists admissible commands, else in discrete mode.

Timing: a warm-up, then ``windows`` windows of at least ``seconds`` each; the best
window and the median are reported. The process is single-threaded (one core);
the load averages before and after are recorded, since other processes on the
machine slow the figure down.
The target: >= 20,000 steps/s for TextQuest at the default difficulty.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import rewardgym

TEXTQUEST = "rewardgym/TextQuest-v0"
TARGET_STEPS_PER_S = 20_000.0


class _RandomPlayer:
    """Does one random step per call (an admissible command in text mode, an
    unmasked index in discrete mode), resetting when an episode ends."""

    def __init__(self, env: gym.Env[Any, Any], mode: str, seed: int):
        self.env = env
        self.mode = mode
        self.rng = random.Random(seed)
        self.episodes = 0
        _, self.info = env.reset(seed=seed)

    def step(self) -> None:
        info = self.info
        if self.mode == "text":
            cmds = info["admissible_commands"]
            action: Any = cmds[int(self.rng.random() * len(cmds))]
        else:
            legal = np.flatnonzero(info["action_mask"])
            action = int(legal[int(self.rng.random() * len(legal))])
        _, _, terminated, truncated, info = self.env.step(action)
        if terminated or truncated:
            self.episodes += 1
            _, info = self.env.reset()
        self.info = info


def measure(
    env_id: str, mode: str, windows: int, seconds: float, warmup: int, **kwargs: Any
) -> dict[str, Any]:
    """Steps/s of one env (best and median window) with random admissible actions."""
    kw = dict(kwargs)
    if mode == "discrete":
        kw["action_mode"] = "discrete"
    env = gym.make(env_id, **kw)
    player = _RandomPlayer(env, mode, seed=0)
    step = player.step
    for _ in range(warmup):
        step()
    rates = []
    total_steps = 0
    episodes0 = player.episodes
    for _ in range(windows):
        n, start = 0, time.perf_counter()
        while True:
            for _ in range(200):
                step()
            n += 200
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        rates.append(n / elapsed)
        total_steps += n
    episodes = player.episodes - episodes0
    env.close()
    return {
        "env": env_id,
        "mode": mode,
        "kwargs": kwargs,
        "best_steps_per_s": max(rates),
        "median_steps_per_s": statistics.median(rates),
        "windows": [round(r, 1) for r in rates],
        "steps_timed": total_steps,
        "episodes_timed": episodes,
        "mean_episode_length": total_steps / episodes if episodes else None,
    }


def _loadavg(load: tuple[float, float, float] | None) -> list[float] | None:
    """The 1/5/15-minute load averages (other processes share the cores)."""
    return None if load is None else [round(x, 2) for x in load]


def _lists_admissible(env_id: str) -> bool:
    env = gym.make(env_id)
    try:
        _, info = env.reset(seed=0)
        return isinstance(info.get("admissible_commands"), list)
    finally:
        env.close()


def bench(quick: bool = False) -> dict[str, Any]:
    """Run the benchmark; returns the results (figures, the target and ``met``)."""
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    windows, seconds, warmup = (2, 0.2, 200) if quick else (5, 2.0, 3000)
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    difficulties = ("medium",) if quick else ("easy", "medium", "hard")
    for difficulty in difficulties:
        rows.append(measure(TEXTQUEST, "text", windows, seconds, warmup, difficulty=difficulty))
    rows.append(measure(TEXTQUEST, "discrete", windows, seconds, warmup))
    for entry in rewardgym.list_envs("text_games"):
        if entry.id == TEXTQUEST:
            continue
        try:
            mode = "text" if _lists_admissible(entry.id) else "discrete"
            rows.append(measure(entry.id, mode, windows, seconds, warmup))
        except Exception as exc:  # another team's env that fails to import or run
            skipped[entry.id] = f"{type(exc).__name__}: {exc}"
    default = next(
        r for r in rows if r["env"] == TEXTQUEST and r["kwargs"] == {"difficulty": "medium"}
    )
    value = default["best_steps_per_s"]
    return {
        "benchmark": "text_games_throughput",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "processor": platform.processor() or platform.machine(),
        "quick": quick,
        "loadavg_before": _loadavg(load_before),
        "loadavg_after": _loadavg(os.getloadavg() if hasattr(os, "getloadavg") else None),
        "timing": {"windows": windows, "seconds_per_window": seconds, "warmup_steps": warmup},
        "rows": rows,
        "skipped": skipped,
        "textquest_default": {
            "value": value,
            "median": default["median_steps_per_s"],
            "target": TARGET_STEPS_PER_S,
            "met": bool(value >= TARGET_STEPS_PER_S),
            "what": "TextQuest-v0, difficulty medium, text mode, random admissible commands, "
            "env.step through gym.make including resets, one core",
        },
    }


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    labels = []
    for r in rows:
        name = r["env"].split("/")[-1]
        extra = r["kwargs"].get("difficulty")
        labels.append(f"{name}\n{extra + ', ' if extra else ''}{r['mode']}")
    values = [r["best_steps_per_s"] for r in rows]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(rows)), 4.0))
    ax.bar(range(len(rows)), values, color="tab:blue")
    ax.axhline(TARGET_STEPS_PER_S, color="tab:red", ls="--", label="target (TextQuest medium)")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel("steps/s (best window, one core)")
    ax.set_title("Text games: random admissible commands through gym.make")
    for i, v in enumerate(values):
        ax.text(i, v, f"{v:,.0f}", ha="center", va="bottom", fontsize=7)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short windows (smoke test)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    result = bench(quick=args.quick)
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "text_games_throughput.json"
    json_path.write_text(json.dumps(result, indent=2) + "\n")
    png_path = args.out / "text_games_throughput.png"
    plot(result, png_path)
    for r in result["rows"]:
        print(
            f"{r['env']:28s} {r['mode']:8s} {r['kwargs']!s:26s} "
            f"best {r['best_steps_per_s']:>10,.0f}  "
            f"median {r['median_steps_per_s']:>10,.0f} steps/s"
        )
    for env_id, why in result["skipped"].items():
        print(f"{env_id}: skipped ({why})")
    d = result["textquest_default"]
    print(
        f"target >= {d['target']:,.0f} steps/s: "
        f"{'met' if d['met'] else 'NOT met'} ({d['value']:,.0f})"
    )
    print(f"wrote {json_path} and {png_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
