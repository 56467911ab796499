"""Throughput of a text env with the LLM-feedback bonus, against the same env without it.

TextQuest (``rewardgym/TextQuest-v0``, discrete mode, random legal actions; it emits a
new caption on about a quarter of its steps, so the annotator is busy for the whole
run) is stepped in one run, side by side:

* ``no bonus``: the env alone;
* ``async server, <model>``: :func:`LLMFeedbackBonus` with an
  :class:`OpenAICompatibleAnnotator` against the project's scripted OpenAI-compatible
  server in a child process, answering every request after ``--latency`` seconds
  (50 ms, a local model), for the retrieval, classification and ranking reward models;
* ``embedded judge``: the default annotator (all-MiniLM-L6-v2 similarity to the goal),
  retrieval model, on the service's worker thread; ``embedded judge, own process``:
  the same judge in a child process (:class:`ProcessAnnotator`). Models are loaded
  before timing (loading takes seconds and is reported apart).

Each configuration gets a fresh env and service per cycle (same seed, same actions, so
the same work), a warm-up, then ``--windows`` timed windows of ``--seconds``; many
short cycles (``--cycles``) so that background load, which drifts on a shared machine,
hits every configuration alike. Only one
configuration's worker runs at a time. Reported: best and median steps/s; the ratio to
``no bonus`` (in each cycle, the median of the configuration's windows over the median
of ``no bonus``'s windows in that cycle; then the median over cycles) and the ratio of
the best windows; and the service counters at the end of each run (to show the
annotator was working meanwhile). Target: ratio >= 0.9 for the async server with the
retrieval model. Writes ``llm_bonus.json`` and ``llm_bonus.png`` under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import rewardgym  # noqa: F401  (registers the envs)
from rewardgym.rewards.llm import (
    EmbeddingJudge,
    LLMFeedbackBonus,
    OpenAICompatibleAnnotator,
    ProcessAnnotator,
)
from rewardgym.rewards.llm.testing_server import ScriptedLLMProcess

TARGET_RATIO = 0.9
TARGET = "async server, retrieval"
ENV_ID = "rewardgym/TextQuest-v0"
GOAL = "Finish the quest: find the quest item and put it where the task says."
KEYWORDS = {"key": 1.0, "open": 1.0, "you take": 1.0, "you put": 2.0, "unlock": 1.0}


def make_env() -> gym.Env[Any, Any]:
    return gym.make(ENV_ID, action_mode="discrete")


def configs(base_url: str) -> dict[str, Callable[[], Any]]:
    def server(model: str) -> Callable[[], Any]:
        def build() -> Any:
            annotator = OpenAICompatibleAnnotator(base_url, "scripted", prompt="text_games")
            return LLMFeedbackBonus(make_env(), annotator=annotator, reward_model=model)

        return build

    return {
        "no bonus": make_env,
        TARGET: server("retrieval"),
        "async server, classification": server("classification"),
        "async server, ranking": server("ranking"),
        "embedded judge": embedded(EmbeddingJudge(GOAL)),
        "embedded judge, own process": embedded(ProcessAnnotator(EmbeddingJudge(GOAL))),
    }


def embedded(annotator: Any) -> Callable[[], Any]:
    """A fresh env and service per cycle on one judge (the model loads once, before
    timing; the child process of the second judge stays up between cycles)."""

    def build() -> Any:
        annotator.warm_up()
        return LLMFeedbackBonus(
            make_env(), annotator=annotator, service_kwargs={"close_annotator": False}
        )

    build.annotator = annotator  # type: ignore[attr-defined]
    return build


def time_run(env: Any, warmup: int, windows: int, seconds: float) -> list[float]:
    """Steps per second in each window (random legal actions from a fixed seed)."""
    rng = np.random.default_rng(1)
    obs, _ = env.reset(seed=0)

    def step(obs: Any) -> Any:
        action = int(rng.choice(np.flatnonzero(obs["action_mask"])))
        obs, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            obs, _ = env.reset()
        return obs

    for _ in range(warmup):
        obs = step(obs)
    out = []
    for _ in range(windows):
        steps, start = 0, time.perf_counter()
        while True:
            for _ in range(50):
                obs = step(obs)
            steps += 50
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        out.append(steps / elapsed)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--windows", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=0.6)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.05, help="server seconds per reply")
    parser.add_argument("--no-embedded", action="store_true", help="skip the embedded judge")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args(argv)

    results: dict[str, Any] = {
        "benchmark": "llm_bonus",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "env": f"{ENV_ID} (discrete, random legal actions)",
        "server_latency_s": args.latency,
        "target": f"'{TARGET}' steps/s >= {TARGET_RATIO} x 'no bonus'",
        "rows": {},
    }
    with ScriptedLLMProcess(KEYWORDS, latency=args.latency) as server:
        if args.no_embedded:
            table = configs(server.base_url)
            del table["embedded judge"], table["embedded judge, own process"]
        else:
            from rewardgym.rewards.llm.embedding import load_sentence_model, torch_threads

            start = time.perf_counter()
            with torch_threads(1):
                load_sentence_model()
            results["embedded_model_load_s"] = time.perf_counter() - start
            table = configs(server.base_url)
            start = time.perf_counter()
            table["embedded judge, own process"].annotator.warm_up()  # type: ignore[attr-defined]
            results["embedded_child_start_s"] = time.perf_counter() - start
        per: dict[str, list[float]] = {name: [] for name in table}
        cycle_ratios: dict[str, list[float]] = {name: [] for name in table}
        counters: dict[str, dict[str, float]] = {}
        for _ in range(args.cycles):
            medians = {}
            for name, build in table.items():
                env = build()
                rates = time_run(env, args.warmup, args.windows, args.seconds)
                per[name] += rates
                medians[name] = statistics.median(rates)
                term = getattr(env, "llm_feedback", None)
                if term is not None:
                    c = term.counters()
                    counters[name] = {
                        k: c[k] for k in ("answered", "queued", "calls", "mean_latency_s", "failed")
                    }
                env.close()
            for name, median in medians.items():
                cycle_ratios[name].append(median / medians["no bonus"])
        for build in table.values():
            annotator = getattr(build, "annotator", None)
            if annotator is not None:
                annotator.close()

    best = max(per["no bonus"])
    for name, rates in per.items():
        results["rows"][name] = {
            "best_steps_per_s": max(rates),
            "median_steps_per_s": statistics.median(rates),
            "ratio_to_no_bonus": statistics.median(cycle_ratios[name]),
            "ratio_per_cycle": cycle_ratios[name],
            "best_ratio": max(rates) / best,
            "windows": len(rates),
            "service_at_end_of_last_cycle": counters.get(name),
        }
    ratio = results["rows"][TARGET]["ratio_to_no_bonus"]
    results["target_ratio"] = {"value": ratio, "target": TARGET_RATIO, "met": ratio >= TARGET_RATIO}

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "llm_bonus.json").write_text(json.dumps(results, indent=2) + "\n")
    for name, r in results["rows"].items():
        extra = ""
        if r["service_at_end_of_last_cycle"]:
            c = r["service_at_end_of_last_cycle"]
            extra = f"  (answered {c['answered']:.0f}, queued {c['queued']:.0f})"
        print(
            f"{name:<30} {r['median_steps_per_s']:9.0f} steps/s (best {r['best_steps_per_s']:9.0f})"
            f"  x{r['ratio_to_no_bonus']:.3f} (best x{r['best_ratio']:.3f}){extra}"
        )
    met = "met" if results["target_ratio"]["met"] else "MISSED"
    print(f"{TARGET} / no bonus: {ratio:.3f} (target >= {TARGET_RATIO}: {met})")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["rows"])
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.bar(range(len(names)), [results["rows"][n]["ratio_to_no_bonus"] for n in names])
    ax.axhline(TARGET_RATIO, color="grey", linestyle="--", label=f"target {TARGET_RATIO}")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=15)
    ax.set_ylabel("steps/s relative to no bonus (median)")
    ax.set_title(f"LLM-feedback bonus on TextQuest, server latency {args.latency * 1000:.0f} ms")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "llm_bonus.png", dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
