"""GRPO-style vs GDPO-style normalisation of a multi-term reward, on ToolCall-v0.

Run from the repository root::

    python benchmarks/ablation_gdpo.py   # writes benchmarks/results/ablation_gdpo.{json,png}
    python benchmarks/ablation_gdpo.py --quick --out /tmp/gdpo   # smoke test

The task is ``rewardgym/ToolCall-v0`` in discrete mode: each request comes with
candidate replies (the gold calls among plausible distractors and a "no tool applies"
answer). The policy is a softmax over the candidates, linear in features of the
(request, candidate) pair: hashed (request word, tool name) pairs, hashed tool names,
the fraction of the candidate's argument values found in the request, the number of
calls and a "no tool" flag. It is trained as GRPO trains a language model: for each of
``tasks_per_batch`` requests, ``group`` replies are sampled, each is scored by the env
(four logged reward terms: ``toolrl`` correctness, ``bfcl`` exact match, ``db_match``
final state and ``efficiency``), advantages are computed per group, and the policy
takes a REINFORCE step on ``sum A_i log pi(a_i)``. The two arms differ only in the
advantages:

* **GRPO**: the terms are summed first, ``A = (R - mean_g R) / (std_g R + eps)``
  (:func:`rewardgym.rewards.grpo_advantages`);
* **GDPO**: each term is normalised in its group, then summed, then the batch is
  renormalised (:func:`rewardgym.rewards.gdpo_advantages`).

The env is deterministic given the task, so every candidate of every task is scored
once up front (each a real ``reset`` + ``step`` of the env) and sampling reads that
table. Reported per arm, over ``seeds`` seeds: the number of distinct advantage values
per group (GRPO gives equal advantages to replies whose terms differ but whose totals
are equal), the greedy success rate and the mean of each term on the held-out test
split, and the learning curves.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import platform
import re
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import rewardgym  # noqa: F401  (registers the envs)
from rewardgym.rewards import gdpo_advantages, grpo_advantages
from rewardgym.stats import mean, stratified_bootstrap_ci

TERMS = ("toolrl", "bfcl", "db_match", "efficiency")
#: per-term scale to bring each to a comparable range before GRPO's sum (toolrl is in
#: [-3, 3], the others in [-1, 1]); GDPO's per-term normalisation does not need it
WEIGHTS = np.array([1.0 / 3.0, 1.0, 1.0, 1.0])
PAIR_BINS = 1024
TOOL_BINS = 64
WORD = re.compile(r"[a-z0-9]+")


def _bin(text: str, bins: int) -> int:
    return zlib.crc32(text.encode()) % bins


def _calls(candidate: str) -> list[dict[str, Any]]:
    calls = []
    for line in candidate.splitlines():
        line = line.strip()
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                calls.append(json.loads(line))
    return calls


def features(request: str, candidate: str) -> np.ndarray:
    """The feature vector of one (request, candidate) pair."""
    f = np.zeros(PAIR_BINS + TOOL_BINS + 7, dtype=np.float32)
    words = set(WORD.findall(request.lower()))
    calls = _calls(candidate)
    values: list[str] = []
    for call in calls:
        name = str(call.get("name", ""))
        f[PAIR_BINS + _bin(name, TOOL_BINS)] += 1.0
        for w in words:
            f[_bin(f"{w}|{name}", PAIR_BINS)] += 1.0 / max(len(words), 1)
        args = call.get("arguments", {})
        if isinstance(args, dict):
            values += [str(v).lower() for v in args.values()]
    base = PAIR_BINS + TOOL_BINS
    low = request.lower()
    f[base] = np.mean([v in low for v in values]) if values else 0.0
    f[base + 1 + min(len(calls), 4)] = 1.0  # number of calls, one-hot 0..4
    f[base + 6] = float("<answer>" in candidate)
    return f


def task_table(split: str, n: int) -> list[dict[str, Any]]:
    """Features and reward terms of every candidate of ``n`` tasks (one real env
    episode per candidate)."""
    env = gym.make("rewardgym/ToolCall-v0", action_mode="discrete", split=split)
    table = []
    for i in range(n):
        options = {"task_index": i} if split == "test" else None
        seed = 10_000 + i if split == "test" else i
        _, info = env.reset(seed=seed, options=options)
        request = info["text"].rsplit("# Request", 1)[-1]
        cands = list(info["candidates"])
        feats = np.stack([features(request, c) for c in cands])
        terms = np.zeros((len(cands), len(TERMS)))
        success = np.zeros(len(cands), dtype=bool)
        for k in range(len(cands)):
            env.reset(seed=seed, options=options)
            _, _, _, _, step_info = env.step(k)
            terms[k] = [step_info["reward_terms"][t] for t in TERMS]
            success[k] = bool(step_info["success"])
        table.append({"features": feats, "terms": terms, "success": success})
    env.close()
    return table


def softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max())
    return z / z.sum()


def evaluate(theta: np.ndarray, table: list[dict[str, Any]]) -> dict[str, float]:
    """Greedy play: success rate and mean of each term."""
    picks = [int(np.argmax(t["features"] @ theta)) for t in table]
    out = {"success": float(np.mean([t["success"][k] for t, k in zip(table, picks, strict=True)]))}
    for j, name in enumerate(TERMS):
        out[name] = float(np.mean([t["terms"][k, j] for t, k in zip(table, picks, strict=True)]))
    return out


def train(
    arm: str,
    train_table: list[dict[str, Any]],
    test_table: list[dict[str, Any]],
    *,
    seed: int,
    iterations: int,
    tasks_per_batch: int,
    group: int,
    lr: float,
    eval_every: int,
) -> dict[str, Any]:
    """One run of one arm; Adam on the linear policy's parameters."""
    rng = np.random.default_rng(seed)
    dim = train_table[0]["features"].shape[1]
    theta = np.zeros(dim)
    m, v = np.zeros(dim), np.zeros(dim)
    distinct: list[float] = []
    curve: list[list[float]] = []
    for it in range(1, iterations + 1):
        batch = rng.choice(len(train_table), tasks_per_batch, replace=False)
        terms, groups, probs_list, feats_list, actions = [], [], [], [], []
        for g, idx in enumerate(batch):
            t = train_table[int(idx)]
            p = softmax(t["features"] @ theta)
            acts = rng.choice(len(p), group, p=p)
            for a in acts:
                terms.append(t["terms"][a])
                groups.append(g)
                probs_list.append(p)
                feats_list.append(t["features"])
                actions.append(int(a))
        r = np.asarray(terms)
        gid = np.asarray(groups)
        if arm == "grpo":
            adv = grpo_advantages(r @ WEIGHTS, gid)
        else:
            adv = gdpo_advantages(r, gid, weights=np.ones(len(TERMS)))
        distinct.append(
            float(np.mean([len(np.unique(np.round(adv[gid == g], 9))) for g in range(len(batch))]))
        )
        grad = np.zeros(dim)
        for a_i, p, feats, a in zip(adv, probs_list, feats_list, actions, strict=True):
            grad += a_i * (feats[a] - p @ feats)  # d log softmax / d theta
        grad /= len(adv)
        # Adam ascent
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        theta += lr * (m / (1 - 0.9**it)) / (np.sqrt(v / (1 - 0.999**it)) + 1e-8)
        if it % eval_every == 0 or it == iterations:
            curve.append([it, evaluate(theta, test_table)["success"]])
    return {
        "arm": arm,
        "seed": seed,
        "distinct_advantages_per_group": float(np.mean(distinct)),
        "test": evaluate(theta, test_table),
        "train": evaluate(theta, train_table),
        "curve": curve,
    }


def summarize(runs: list[dict[str, Any]], arm: str, key: str) -> dict[str, Any]:
    values = np.array([r[key] if key in r else r["test"][key] for r in runs if r["arm"] == arm])
    ci = stratified_bootstrap_ci(values, mean, reps=2000, seed=0)
    return {"mean": ci.value, "ci95": [ci.low, ci.high], "per_seed": values.tolist()}


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for arm, colour in (("grpo", "tab:orange"), ("gdpo", "tab:blue")):
        curves = [r["curve"] for r in result["runs"] if r["arm"] == arm]
        its = [c[0] for c in curves[0]]
        values = np.array([[c[1] for c in curve] for curve in curves])
        ax1.plot(its, values.mean(0), color=colour, label=arm.upper())
        ax1.fill_between(its, values.min(0), values.max(0), color=colour, alpha=0.2)
    ax1.axhline(result["random_test_success"], color="grey", ls="--", label="random")
    ax1.set_xlabel("iteration")
    ax1.set_ylabel("greedy success, held-out tasks")
    ax1.set_title("ToolCall-v0: learning curves (mean, min-max over seeds)")
    ax1.legend()
    names = ["distinct adv. / group", "test success", *(f"test {t}" for t in TERMS)]
    names[2] = "test toolrl / 3"
    keys = ["distinct_advantages_per_group", "success", *TERMS]
    x = np.arange(len(keys))
    for off, arm, colour in ((-0.2, "grpo", "tab:orange"), (0.2, "gdpo", "tab:blue")):
        s = [result["summary"][arm][k] for k in keys]
        means = np.array([d["mean"] for d in s])
        err = np.array([[d["mean"] - d["ci95"][0], d["ci95"][1] - d["mean"]] for d in s]).T
        scale = np.array([1.0 / result["config"]["group"], 1.0, *WEIGHTS])
        ax2.bar(x + off, means * scale, 0.4, yerr=err * scale, color=colour, label=arm.upper())
    ax2.set_xticks(x, names, rotation=30, ha="right", fontsize=8)
    ax2.set_title("final, mean and 95% CI over seeds")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="few tasks and iterations (smoke test)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    ap.add_argument("--seeds", type=int, default=None)
    args = ap.parse_args(argv)
    config = {
        "train_tasks": 60 if args.quick else 600,
        "test_tasks": 30 if args.quick else None,  # None: the whole test split
        "iterations": 20 if args.quick else 300,
        "tasks_per_batch": 16,
        "group": 8,
        "lr": 0.05,
        "eval_every": 10 if args.quick else 25,
        "seeds": args.seeds or (2 if args.quick else 8),
        "terms": list(TERMS),
        "grpo_term_weights": WEIGHTS.tolist(),
    }
    t0 = time.perf_counter()
    n_test = len(
        gym.make("rewardgym/ToolCall-v0", action_mode="discrete", split="test").unwrapped.test_tasks
    )
    n_test = min(n_test, config["test_tasks"] or n_test)
    config["test_tasks"] = n_test
    print(f"scoring every candidate of {config['train_tasks']} + {n_test} tasks ...", flush=True)
    train_table = task_table("train", config["train_tasks"])
    test_table = task_table("test", n_test)
    table_s = time.perf_counter() - t0
    runs = []
    for arm in ("grpo", "gdpo"):
        for seed in range(config["seeds"]):
            run = train(
                arm, train_table, test_table, seed=seed, iterations=config["iterations"],
                tasks_per_batch=config["tasks_per_batch"], group=config["group"],
                lr=config["lr"], eval_every=config["eval_every"],
            )  # fmt: skip
            print(
                f"{arm} seed {seed}: distinct advantages/group "
                f"{run['distinct_advantages_per_group']:.2f}, test success "
                f"{run['test']['success']:.3f}",
                flush=True,
            )
            runs.append(run)
    random_success = float(np.mean([t["success"].mean() for t in test_table]))
    summary = {
        arm: {
            k: summarize(runs, arm, k) for k in ("distinct_advantages_per_group", "success", *TERMS)
        }
        for arm in ("grpo", "gdpo")
    }
    result = {
        "benchmark": "GRPO vs GDPO advantages on ToolCall-v0 (discrete), linear softmax policy",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "quick": args.quick,
        "config": config,
        "random_test_success": random_success,
        "summary": summary,
        "runs": runs,
        "table_seconds": table_s,
        "wall_time_s": time.perf_counter() - t0,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "ablation_gdpo.json"
    json_path.write_text(json.dumps(result, indent=2) + "\n")
    plot(result, args.out / "ablation_gdpo.png")
    for arm in ("grpo", "gdpo"):
        s = summary[arm]
        print(
            f"{arm.upper()}: distinct advantages per group of {config['group']}: "
            f"{s['distinct_advantages_per_group']['mean']:.2f} "
            f"{s['distinct_advantages_per_group']['ci95']}; test success "
            f"{s['success']['mean']:.3f} {s['success']['ci95']} (random {random_success:.3f})"
        )
    print(f"wrote {json_path} ({result['wall_time_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
