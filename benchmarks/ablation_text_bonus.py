"""Exploration bonuses on a sparse text game: none vs a caption count bonus vs the
LLM-feedback bonus with the embedded judge.

Run from the repository root::

    python benchmarks/ablation_text_bonus.py   # writes results/ablation_text_bonus.{json,png}
    python benchmarks/ablation_text_bonus.py --quick --out /tmp/tb   # smoke test

The game is one generated ``rewardgym/TextQuest-v0`` world (``--difficulty``, the
world of ``--world-seed`` replayed at every reset) with the sparse reward: 1 on
completing the quest, else 0. MaskablePPO (``rewardgym.agents.sb3.train``, discrete
mode over the admissible commands) trains for ``--steps`` env steps in three arms that
differ only in the training reward:

* ``none``: the env's reward;
* ``count``: plus ``coef * 1/sqrt(N(caption))``, the global count bonus
  (:class:`rewardgym.rewards.CountBonus`, mode ``"global"``) keyed by the step's game
  message (``info["caption"]``);
* ``llm``: plus ``coef * r_int`` from :func:`rewardgym.rewards.llm.LLMFeedbackBonus`
  with the embedded judge (all-MiniLM-L6-v2, asynchronous, retrieval reward model)
  scoring each caption against the quest text, repeats within an episode faded
  (``decay_beta = 3``).

Each trained policy then plays ``--eval-episodes`` episodes of the same world on the
env's reward alone, greedy and sampled from the policy; reported per arm over seeds:
those success rates, the fraction of training episodes won (how often exploration
reached the goal), return, episode length and training wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import rewardgym  # noqa: F401  (registers the envs)
from rewardgym.agents.sb3 import train
from rewardgym.rewards import CountBonus, EnvReward, FnTerm, RewardWrapper
from rewardgym.stats import mean, stratified_bootstrap_ci

ENV_ID = "rewardgym/TextQuest-v0"
ARMS = ("none", "count", "llm")


class FixedWorld(gym.Wrapper[Any, Any, Any, Any]):
    """Replays one generated world at every reset."""

    def __init__(self, env: gym.Env[Any, Any], world_seed: int):
        super().__init__(env)
        self.world_seed = world_seed

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        return self.env.reset(seed=seed, options={**(options or {}), "world_seed": self.world_seed})


class WinCounter(gym.Wrapper[Any, Any, Any, Any]):
    """Counts the episodes finished and won while training (shared tally)."""

    def __init__(self, env: gym.Env[Any, Any], tally: dict[str, int]):
        super().__init__(env)
        self.tally = tally

    def step(self, action: Any):
        obs, reward, terminated, truncated, info = self.env.step(action)
        if terminated or truncated:
            self.tally["episodes"] += 1
            self.tally["wins"] += int(bool(info.get("success")))
        return obs, reward, terminated, truncated, info


def quest_text(difficulty: str, world_seed: int) -> str:
    """The task line of the world (the embedded judge's goal)."""
    env = FixedWorld(gym.make(ENV_ID, difficulty=difficulty), world_seed)
    obs, _ = env.reset(seed=0)
    env.close()
    line = next(ln for ln in obs.splitlines() if ln.startswith("Your task:"))
    return line.removeprefix("Your task:").strip()


def caption_count_term(coef: float) -> Any:
    """``coef / sqrt(N(caption))`` with N the global count of the step's game message
    (CountBonus keyed by a hash of the caption text)."""
    counts = CountBonus(1, "global")

    def bonus(t: Any) -> np.ndarray:
        keys = np.array(
            [[zlib.crc32(str(c).encode())] for c in np.atleast_1d(t.info.get("caption"))],
            dtype=np.int64,
        )
        return counts(keys, np.zeros(len(keys)), keys, t.terminated, t.truncated)

    return EnvReward() + coef * FnTerm("count", bonus)


def make_wrapper(arm: str, difficulty: str, world_seed: int, coef: float, goal: str) -> Any:
    """The ``env -> env`` wrapper of one arm (applied to each of SB3's envs)."""
    shared: dict[str, Any] = {"tally": {"episodes": 0, "wins": 0}}

    def wrap(env: gym.Env[Any, Any]) -> gym.Env[Any, Any]:
        env = WinCounter(FixedWorld(env, world_seed), shared["tally"])
        if arm == "none":
            return env
        if arm == "count":
            if "term" not in shared:  # one term: counts are global across the envs
                shared["term"] = caption_count_term(coef)
            return RewardWrapper(env, shared["term"])
        from rewardgym.rewards.llm import LLMFeedbackTerm

        if "term" not in shared:  # one judge and service for every env
            shared["term"] = LLMFeedbackTerm("embedded", "retrieval", goal=goal)
            term = shared["term"]
        else:
            term = shared["term"].share()
        return RewardWrapper(env, EnvReward() + coef * term)

    wrap.shared = shared  # type: ignore[attr-defined]
    return wrap


def evaluate(
    model: Any, difficulty: str, world_seed: int, episodes: int, deterministic: bool = True
) -> dict[str, Any]:
    """Episodes on the env's own reward, greedy or sampled from the policy."""
    env = FixedWorld(gym.make(ENV_ID, difficulty=difficulty, action_mode="discrete"), world_seed)
    wins, returns, lengths = [], [], []
    for ep in range(episodes):
        obs, info = env.reset(seed=ep)
        done, ret, n = False, 0.0, 0
        while not done:
            action, _ = model.predict(
                obs, deterministic=deterministic, action_masks=env.unwrapped.action_masks()
            )
            obs, reward, terminated, truncated, info = env.step(int(action))
            ret += float(reward)
            n += 1
            done = terminated or truncated
        wins.append(bool(info["success"]))
        returns.append(ret)
        lengths.append(n)
    env.close()
    return {"success": float(np.mean(wins)), "return": float(np.mean(returns)),
            "length": float(np.mean(lengths))}  # fmt: skip


def random_baseline(difficulty: str, world_seed: int, episodes: int) -> float:
    env = FixedWorld(gym.make(ENV_ID, difficulty=difficulty, action_mode="discrete"), world_seed)
    rng = np.random.default_rng(0)
    wins = []
    for ep in range(episodes):
        _, info = env.reset(seed=ep)
        done = False
        while not done:
            legal = np.flatnonzero(env.unwrapped.action_masks())
            _, _, terminated, truncated, info = env.step(int(rng.choice(legal)))
            done = terminated or truncated
        wins.append(bool(info["success"]))
    env.close()
    return float(np.mean(wins))


def summarize(runs: list[dict[str, Any]], arm: str, key: str) -> dict[str, Any]:
    values = np.array([r["eval"][key] for r in runs if r["arm"] == arm])
    ci = stratified_bootstrap_ci(values, mean, reps=2000, seed=0)
    return {"mean": ci.value, "ci95": [ci.low, ci.high], "per_seed": values.tolist()}


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    s = result["summary"]
    metrics = (
        ("success", "greedy"),
        ("sampled_success", "sampled"),
        ("train_win_rate", "training"),
    )
    x = np.arange(len(ARMS))
    for j, (key, label) in enumerate(metrics):
        means = np.array([s[a][key]["mean"] for a in ARMS])
        lo = np.array([s[a][key]["ci95"][0] for a in ARMS])
        hi = np.array([s[a][key]["ci95"][1] for a in ARMS])
        ax.bar(x + (j - 1) * 0.27, means, 0.27, yerr=[means - lo, hi - means], capsize=3,
               label=f"{label} success")  # fmt: skip
    ax.set_xticks(x, ARMS)
    ax.axhline(result["random_success"], color="black", ls="--", lw=1, label="random")
    cfg = result["config"]
    ax.set_ylabel("success rate (95% CI over seeds)")
    ax.set_title(
        f"TextQuest ({cfg['difficulty']}, one world), MaskablePPO {cfg['steps']:,} steps",
        fontsize=10,
    )
    ax.set_ylim(0, 1.05)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one seed, few steps (smoke test)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    ap.add_argument("--difficulty", default="easy")
    ap.add_argument("--world-seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--seeds", type=int, default=None)
    ap.add_argument("--coef", type=float, default=0.1)
    ap.add_argument("--eval-episodes", type=int, default=None)
    args = ap.parse_args(argv)
    config = {
        "difficulty": args.difficulty,
        "world_seed": args.world_seed,
        "steps": args.steps or (512 if args.quick else 60_000),
        "seeds": args.seeds or (1 if args.quick else 3),
        "coef": args.coef,
        "eval_episodes": args.eval_episodes or (2 if args.quick else 10),
        "num_envs": 4,
        "algo_kwargs": {"n_steps": 128, "batch_size": 128, "ent_coef": 0.01},
    }
    t0 = time.perf_counter()
    goal = quest_text(args.difficulty, args.world_seed)
    print(f"world {args.world_seed} ({args.difficulty}): {goal}", flush=True)
    runs = []
    for arm in ARMS:
        for seed in range(config["seeds"]):
            wrapper = make_wrapper(arm, args.difficulty, args.world_seed, args.coef, goal)
            res = train(
                ENV_ID, "maskable_ppo", config["steps"], seed=seed, num_envs=config["num_envs"],
                env_kwargs={"difficulty": args.difficulty}, reward=wrapper, eval_episodes=0,
                algo_kwargs=config["algo_kwargs"],
            )  # fmt: skip
            ev = evaluate(res.model, args.difficulty, args.world_seed, config["eval_episodes"])
            sampled = evaluate(
                res.model, args.difficulty, args.world_seed, config["eval_episodes"], False
            )
            ev["sampled_success"] = sampled["success"]
            tally = wrapper.shared["tally"]  # type: ignore[attr-defined]
            ev["train_win_rate"] = tally["wins"] / max(tally["episodes"], 1)
            term = wrapper.shared.get("term")  # type: ignore[attr-defined]
            extra = {}
            if arm == "llm" and term is not None:
                extra = {k: float(v) for k, v in term.counters().items()}
                term.close()
            print(f"{arm} seed {seed}: {ev} ({res.wall_time_s:.0f} s)", flush=True)
            runs.append({"arm": arm, "seed": seed, "eval": ev, "train_wall_s": res.wall_time_s,
                         "annotation": extra})  # fmt: skip
    keys = ("success", "sampled_success", "train_win_rate", "return", "length")
    summary = {a: {k: summarize(runs, a, k) for k in keys} for a in ARMS}
    result = {
        "benchmark": "exploration bonuses on sparse TextQuest (MaskablePPO)",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "quick": args.quick,
        "config": config,
        "goal": goal,
        "random_success": random_baseline(args.difficulty, args.world_seed, 20),
        "summary": summary,
        "runs": runs,
        "wall_time_s": time.perf_counter() - t0,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "ablation_text_bonus.json"
    json_path.write_text(json.dumps(result, indent=2) + "\n")
    plot(result, args.out / "ablation_text_bonus.png")
    for arm in ARMS:
        line = "  ".join(f"{k} {summary[arm][k]['mean']:.2f}" for k in keys[:3])
        print(f"{arm:6s} {line}")
    print(f"random success {result['random_success']:.2f}; wrote {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
