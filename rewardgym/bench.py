"""The benchmark harness behind ``rewardgym bench SUITE``.

A suite is data: a list of runs, each an (env id, agent, reward configuration, seed)
with its budget. :func:`run_suite` runs the runs that have no result yet (so an
interrupted suite resumes where it stopped), in parallel processes with a progress
bar, keeps one JSON file per finished run and one per failed run (failures are
reported, never dropped), then writes ``<out>/<suite>/results.json`` and plots:

* per (env, agent, reward) group: mean return, success rate and the normalised
  score's IQM and mean with stratified-bootstrap 95 % confidence intervals
  (:mod:`rewardgym.stats`);
* per (agent, reward) over the suite's envs: IQM, mean, median and optimality gap
  with CIs, and the probability of improvement between configurations on shared
  envs;
* ``scores.png`` (IQM with CIs per group) and ``curves.png`` (learning curves of the
  trained agents, mean over seeds with a min-max band).

Agents: ``random``; ``oracle`` (the env's own solution); ``ppo`` (the project's
batched PPO, for vector envs); ``sb3:<algo>`` (:func:`rewardgym.agents.sb3.train`,
e.g. ``sb3:ppo``, ``sb3:maskable_ppo`` for text envs). Reward configurations:
``env`` (the env's reward), ``shaping:<potential>`` (env reward plus potential-based
shaping with one of the env's exported potentials).

Scores are normalised per env as ``(return - low) / (high - low)`` with the suite's
``score_ranges`` (e.g. the random and the solved return), so 1 means solved.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

__all__ = ["SUITES", "RunSpec", "Suite", "get_suite", "run_one", "run_suite", "summarize"]


@dataclass(frozen=True)
class RunSpec:
    """One run of a suite."""

    env_id: str
    agent: str
    reward: str = "env"
    seed: int = 0
    #: training budget in env steps (learning agents)
    train_steps: int = 0
    #: evaluation episodes
    episodes: int = 10
    #: env constructor arguments, as sorted (key, value) pairs
    env_kwargs: tuple[tuple[str, Any], ...] = ()
    #: agent arguments (e.g. PPO config fields, SB3 algo kwargs)
    agent_kwargs: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> str:
        """A stable file name for this run's result."""
        blob = json.dumps(asdict(self), sort_keys=True, default=str).encode()
        short = self.env_id.split("/")[-1]
        agent = self.agent.replace(":", "-")
        reward = self.reward.replace(":", "-")
        return f"{short}__{agent}__{reward}__s{self.seed}__{hashlib.sha1(blob).hexdigest()[:8]}"

    @property
    def group(self) -> tuple[str, str, str]:
        return (self.env_id, self.agent, self.reward)


@dataclass
class Suite:
    """A named list of runs and the score range of each env."""

    name: str
    description: str
    runs: list[RunSpec]
    #: env id -> (low, high) return for score normalisation
    score_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = sorted({r.env_id for r in self.runs} - set(self.score_ranges))
        if missing:
            raise ValueError(f"suite {self.name!r}: no score range for {missing}")
        keys = [r.key for r in self.runs]
        if len(set(keys)) != len(keys):
            raise ValueError(f"suite {self.name!r} lists the same run twice")


def _kw(**kwargs: Any) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(kwargs.items()))


def _grid(
    env_id: str,
    agents: Iterable[str],
    seeds: Iterable[int],
    *,
    rewards: Iterable[str] = ("env",),
    train_steps: int = 0,
    episodes: int = 10,
    env_kwargs: dict[str, Any] | None = None,
    agent_kwargs: dict[str, Any] | None = None,
) -> list[RunSpec]:
    return [
        RunSpec(
            env_id,
            agent,
            reward,
            seed,
            train_steps=train_steps if agent not in ("random", "oracle") else 0,
            episodes=episodes,
            env_kwargs=_kw(**(env_kwargs or {})),
            agent_kwargs=_kw(**(agent_kwargs or {})) if agent not in ("random", "oracle") else (),
        )
        for agent in agents
        for reward in rewards
        for seed in seeds
    ]


#: Discrete mode for the text envs: random plays uniformly over the legal candidates
#: (in text mode it would type noise) and MaskablePPO can train on them.
_DISCRETE = {"action_mode": "discrete"}


def _quick() -> Suite:
    seeds = range(3)
    text_ppo = {"n_steps": 128, "batch_size": 128}
    runs = [
        # control: the Numba vector env and the batched PPO
        *_grid("rewardgym/CartPole-v1", ["random"], seeds),
        *_grid("rewardgym/CartPole-v1", ["ppo"], seeds, train_steps=100_000),
        # MuJoCo: the batched mujoco.batch vector env
        *_grid("rewardgym/PointReach-v0", ["random", "oracle"], seeds),
        # the sparse goal reward alone vs with potential-based shaping (-distance)
        *_grid(
            "rewardgym/PointReach-v0", ["ppo"], seeds, train_steps=200_000,
            rewards=("env", "shaping:neg_distance"),
            agent_kwargs={"num_envs": 16, "num_steps": 64},
        ),
        # tool use, text games, web: discrete mode over the candidate actions
        *_grid("rewardgym/ToolCall-v0", ["random", "oracle"], seeds, env_kwargs=_DISCRETE,
               episodes=20),
        *_grid(
            "rewardgym/ToolCall-v0", ["sb3:maskable_ppo"], seeds, train_steps=6_000,
            env_kwargs=_DISCRETE, episodes=20, agent_kwargs=text_ppo,
        ),
        *_grid("rewardgym/TextQuest-v0", ["random", "oracle"], seeds,
               env_kwargs={**_DISCRETE, "difficulty": "easy"}),
        *_grid(
            "rewardgym/TextQuest-v0", ["sb3:maskable_ppo"], seeds, train_steps=6_000,
            env_kwargs={**_DISCRETE, "difficulty": "easy"}, agent_kwargs=text_ppo,
        ),
        *_grid("rewardgym/WebShop-v0", ["random", "oracle"], seeds, env_kwargs=_DISCRETE),
    ]  # fmt: skip
    return Suite(
        "quick",
        "A few minutes on 2 cores: one task per family (control, MuJoCo, tool use, text "
        "games, web) with random, oracle and a short-trained agent. Risk games are "
        "PettingZoo envs: benchmarks/risk.py runs their solvers.",
        runs,
        {
            "rewardgym/CartPole-v1": (22.0, 500.0),
            # sparse success tasks: 0 (never) to the oracle's 1
            "rewardgym/PointReach-v0": (0.0, 1.0),
            "rewardgym/TextQuest-v0": (0.0, 1.0),
            "rewardgym/WebShop-v0": (0.0, 1.0),
            # ToolCall: the worst scalar reward (-1.5: unknown tool) to the oracle's
            "rewardgym/ToolCall-v0": (-1.5, 1.65),
        },
    )


def _full() -> Suite:
    seeds = range(10)
    text_ppo = {"n_steps": 128, "batch_size": 128}
    runs = [
        *_grid("rewardgym/CartPole-v1", ["random"], seeds),
        *_grid("rewardgym/CartPole-v1", ["ppo"], seeds, train_steps=300_000),
        *_grid("rewardgym/CartPole-v1", ["sb3:ppo"], range(5), train_steps=100_000),
        *_grid("rewardgym/Acrobot-v1", ["random"], seeds),
        *_grid("rewardgym/Acrobot-v1", ["ppo"], seeds, train_steps=300_000),
        *_grid("rewardgym/MountainCar-v0", ["random"], seeds),
        *_grid("rewardgym/MountainCar-v0", ["ppo"], seeds, train_steps=500_000),
        *_grid("rewardgym/PointReach-v0", ["random", "oracle"], seeds),
        *_grid(
            "rewardgym/PointReach-v0", ["ppo"], seeds, train_steps=300_000,
            rewards=("env", "shaping:neg_distance"),
            agent_kwargs={"num_envs": 16, "num_steps": 64},
        ),
        *_grid("rewardgym/ReacherSparse-v0", ["random", "oracle"], seeds),
        *_grid("rewardgym/ToolCall-v0", ["random", "oracle"], seeds, env_kwargs=_DISCRETE,
               episodes=50),
        *_grid(
            "rewardgym/ToolCall-v0", ["sb3:maskable_ppo"], range(5), train_steps=50_000,
            env_kwargs=_DISCRETE, episodes=50, agent_kwargs=text_ppo,
        ),
        *_grid("rewardgym/ToolAgent-v0", ["random", "oracle"], seeds, env_kwargs=_DISCRETE),
        *_grid("rewardgym/TextQuest-v0", ["random", "oracle"], seeds, env_kwargs=_DISCRETE),
        *_grid(
            "rewardgym/TextQuest-v0", ["sb3:maskable_ppo"], range(5), train_steps=50_000,
            env_kwargs=_DISCRETE, agent_kwargs=text_ppo,
        ),
        *_grid("rewardgym/Sokoban-v0", ["random", "oracle"], seeds, env_kwargs=_DISCRETE),
        *_grid("rewardgym/WebShop-v0", ["random", "oracle"], seeds, env_kwargs=_DISCRETE),
        *_grid("rewardgym/WebForms-v0", ["random", "oracle"], seeds, env_kwargs=_DISCRETE),
    ]  # fmt: skip
    return Suite(
        "full",
        "Several seeds per task, every Gymnasium family (about an hour on 2 cores).",
        runs,
        {
            "rewardgym/CartPole-v1": (22.0, 500.0),
            "rewardgym/Acrobot-v1": (-500.0, -100.0),
            "rewardgym/MountainCar-v0": (-200.0, -110.0),
            "rewardgym/PointReach-v0": (0.0, 1.0),
            # (about a random agent's return, the oracle's); returns include penalties
            "rewardgym/ReacherSparse-v0": (-0.75, 0.7),
            "rewardgym/ToolCall-v0": (-1.5, 1.65),
            "rewardgym/ToolAgent-v0": (-20.0, 2.0),
            "rewardgym/TextQuest-v0": (0.0, 1.0),
            "rewardgym/Sokoban-v0": (-80.0, 1.2),
            "rewardgym/WebShop-v0": (0.0, 1.0),
            "rewardgym/WebForms-v0": (-1.0, 1.0),
        },
    )


def _shaping_ablation() -> Suite:
    """Sparse PointReach (reward 1 on reaching the goal) with and without
    potential-based shaping."""
    runs = _grid(
        "rewardgym/PointReach-v0", ["ppo"], range(5), train_steps=200_000, episodes=20,
        rewards=("env", "shaping:neg_distance", "shaping:damped_neg_distance"),
        agent_kwargs={"num_envs": 16, "num_steps": 64},
    )  # fmt: skip
    runs += _grid("rewardgym/PointReach-v0", ["random", "oracle"], range(5), episodes=20)
    return Suite(
        "ablation-shaping",
        "PointReach (sparse: 1 when the puck reaches the goal): PPO on the env reward vs "
        "the env reward plus potential-based shaping with the task's exported potentials "
        "(same gamma as the learner).",
        runs,
        {"rewardgym/PointReach-v0": (0.0, 1.0)},
    )


#: suite name -> factory
SUITES: dict[str, Callable[[], Suite]] = {
    "quick": _quick,
    "full": _full,
    "ablation-shaping": _shaping_ablation,
}


def get_suite(name: str) -> Suite:
    """A suite by name, or from a JSON file ``{"name", "description", "runs": [...],
    "score_ranges": {...}}`` whose runs have :class:`RunSpec`'s fields."""
    if name in SUITES:
        return SUITES[name]()
    path = Path(name)
    if path.suffix == ".json" and path.exists():
        data = json.loads(path.read_text())
        runs = [
            RunSpec(
                **{
                    **r,
                    "env_kwargs": _kw(**r.get("env_kwargs", {})),
                    "agent_kwargs": _kw(**r.get("agent_kwargs", {})),
                }
            )
            for r in data["runs"]
        ]
        ranges = {k: (float(v[0]), float(v[1])) for k, v in data["score_ranges"].items()}
        return Suite(data["name"], data.get("description", ""), runs, ranges)
    raise ValueError(f"unknown suite {name!r}; choose one of {sorted(SUITES)} or a .json file")


# -- one run ---------------------------------------------------------------------------


def _reward_term(spec: RunSpec, gamma: float) -> Any:
    if spec.reward == "env":
        return None
    kind, _, arg = spec.reward.partition(":")
    if kind == "shaping":
        from rewardgym.rewards.shaping import Shaping
        from rewardgym.rewards.terms import EnvReward

        return EnvReward() + Shaping(_potential(spec.env_id, arg), gamma)
    raise ValueError(f"unknown reward configuration {spec.reward!r} (env, shaping:<potential>)")


def _potential(env_id: str, name: str) -> Any:
    import gymnasium as gym

    env = gym.make(env_id)
    potentials = getattr(env.unwrapped, "potentials", {}) or {}
    env.close()
    if name not in potentials:
        raise ValueError(f"{env_id} exports no potential {name!r}; it has {sorted(potentials)}")
    return potentials[name]


def run_one(spec: RunSpec) -> dict[str, Any]:
    """Run one spec and return its record (returns, successes, timings, curve)."""
    import rewardgym  # noqa: F401  (registers the envs)

    env_kwargs = dict(spec.env_kwargs)
    agent_kwargs = dict(spec.agent_kwargs)
    start = time.perf_counter()
    curve: list[tuple[int, float]] = []
    if spec.agent in ("random", "oracle"):
        if spec.reward != "env":
            raise ValueError("random and oracle agents do not train: use reward='env'")
        from rewardgym.agents.runner import run_episodes

        stats = run_episodes(
            spec.env_id, spec.agent, episodes=spec.episodes, seed=spec.seed, **env_kwargs
        )
        returns, successes = stats.returns, (stats.successes or None)
    elif spec.agent == "ppo":
        from rewardgym.agents.ppo import PPOConfig, train

        config = PPOConfig(
            env_id=spec.env_id, env_kwargs=env_kwargs, seed=spec.seed,
            total_timesteps=spec.train_steps, eval_episodes=spec.episodes, **agent_kwargs,
        )  # fmt: skip
        result = train(config, reward=_reward_term(spec, config.gamma))
        returns, successes, curve = result.eval_returns, None, result.curve
    elif spec.agent.startswith("sb3:"):
        from rewardgym.agents import sb3

        algo = spec.agent.split(":", 1)[1]
        res = sb3.train(
            spec.env_id, algo, spec.train_steps, seed=spec.seed, env_kwargs=env_kwargs,
            reward=_reward_term(spec, float(agent_kwargs.get("gamma", 0.99))),
            algo_kwargs=agent_kwargs, eval_episodes=spec.episodes,
        )  # fmt: skip
        returns, successes = res.eval_returns, res.eval_success
    else:
        raise ValueError(f"unknown agent {spec.agent!r} (random, oracle, ppo, sb3:<algo>)")
    return {
        "spec": asdict(spec),
        "key": spec.key,
        "returns": [float(r) for r in returns],
        "successes": None if successes is None else [bool(s) for s in successes],
        "mean_return": float(np.mean(returns)),
        "success_rate": None if successes is None else float(np.mean(successes)),
        "wall_time_s": time.perf_counter() - start,
        "curve": [[int(t), float(v)] for t, v in curve],
    }


def _run_safely(spec: RunSpec) -> tuple[str, dict[str, Any] | None, str | None]:
    try:
        return spec.key, run_one(spec), None
    except Exception:  # a failed run is recorded and reported, never dropped
        return spec.key, None, traceback.format_exc()


def _run_isolated(spec: RunSpec, retries: int) -> tuple[str, dict[str, Any] | None, str | None]:
    """Run ``spec`` alone in a fresh process, up to ``1 + retries`` times while the
    process dies; a run that raises is recorded as :func:`_run_safely` does."""
    import multiprocessing as mp

    for _ in range(retries + 1):
        with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
            try:
                return pool.submit(_run_safely, spec).result()
            except BrokenProcessPool:
                continue
    return spec.key, None, f"failed after {retries + 1} attempts: its worker process died"


# -- a suite ---------------------------------------------------------------------------


def _ray_run(spec: RunSpec) -> dict[str, Any]:
    """The body of one Ray task: :func:`run_one`, raising on failure so that Ray
    retries it."""
    return run_one(spec)


def _run_on_ray(
    pending: list[RunSpec],
    address: str | None,
    retries: int,
    record: Callable[[str, dict[str, Any] | None, str | None], None],
    advance: Callable[[], None],
) -> None:
    """Submit each run as a Ray task (``max_retries=retries``, application errors
    retried too) and record each as it finishes. ``address``: ``None`` starts a local
    Ray instance, ``"auto"`` joins the running cluster, else a cluster address."""
    try:
        import ray
    except ImportError as exc:
        raise ImportError("--ray needs Ray: pip install 'rewardgym[ray]'") from exc

    started = False
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
        started = True
    try:
        task = ray.remote(num_cpus=1, max_retries=retries, retry_exceptions=True)(_ray_run)
        refs = {task.remote(spec): spec for spec in pending}
        while refs:
            done, _ = ray.wait(list(refs), num_returns=1)
            for ref in done:
                spec = refs.pop(ref)
                try:
                    record(spec.key, ray.get(ref), None)
                except Exception as exc:  # the last attempt failed: kept, not dropped
                    record(spec.key, None, f"failed after {retries + 1} attempts:\n{exc}")
                advance()
    finally:
        if started:
            ray.shutdown()


def run_suite(
    suite: Suite,
    out: str | Path = "benchmarks/results",
    *,
    workers: int = 2,
    resume: bool = True,
    progress: bool = True,
    ray_address: str | Literal[False] | None = False,
    retries: int = 2,
) -> dict[str, Any]:
    """Run every unfinished run of ``suite`` and write the summary; returns it.

    Runs go to ``workers`` spawned processes, or with ``ray_address`` to Ray tasks
    (``None``: a local Ray instance; ``"auto"``: the running cluster; else its
    address). On Ray each run is retried up to ``retries`` times (a worker that dies
    included). Locally a run that raises is recorded as a failure; when a worker
    process dies, the runs the pool loses then are each re-run alone in a fresh process
    (where a death is the run's own), up to ``1 + retries`` times. The files written are
    the same either way.
    """
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    folder = Path(out) / suite.name
    runs_dir = folder / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    pending = [s for s in suite.runs if not (resume and (runs_dir / f"{s.key}.json").exists())]
    for stale in runs_dir.glob("*.error.json"):
        stale.unlink()
    failures: dict[str, str] = {}

    def record(key: str, rec: dict[str, Any] | None, err: str | None) -> None:
        if rec is not None:
            (runs_dir / f"{key}.json").write_text(json.dumps(rec, indent=1))
        else:
            failures[key] = err or "unknown error"
            (runs_dir / f"{key}.error.json").write_text(json.dumps({"error": err}))

    from rich.progress import Progress

    with Progress(disable=not progress) as bar:
        task = bar.add_task(f"suite {suite.name}", total=len(pending))
        if ray_address is not False and pending:
            _run_on_ray(pending, ray_address, retries, record, lambda: bar.advance(task))
        elif workers <= 1 or len(pending) <= 1:
            for spec in pending:
                record(*_run_safely(spec))
                bar.advance(task)
        else:
            import multiprocessing as mp

            # spawn: Numba's threading layer and torch do not survive fork.
            broken: list[RunSpec] = []
            with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
                futures = {pool.submit(_run_safely, spec): spec for spec in pending}
                for fut in as_completed(futures):
                    try:
                        result = fut.result()
                    except BrokenProcessPool:  # a worker died; which run killed it is unknown
                        broken.append(futures[fut])
                        continue
                    record(*result)
                    bar.advance(task)
            for spec in broken:
                record(*_run_isolated(spec, retries))
                bar.advance(task)

    records = []
    for spec in suite.runs:
        path = runs_dir / f"{spec.key}.json"
        if path.exists():
            records.append(json.loads(path.read_text()))
    summary = summarize(suite, records)
    summary["skipped_as_finished"] = len(suite.runs) - len(pending)
    summary["failures"] = failures
    (folder / "results.json").write_text(json.dumps(summary, indent=1))
    plot(summary, folder)
    return summary


def _scores(suite: Suite, rec: dict[str, Any]) -> np.ndarray:
    lo, hi = suite.score_ranges[rec["spec"]["env_id"]]
    return (np.asarray(rec["returns"]) - lo) / (hi - lo)


def summarize(
    suite: Suite, records: Sequence[dict[str, Any]], *, reps: int = 2000
) -> dict[str, Any]:
    """Group records by (env, agent, reward) and aggregate with bootstrap CIs."""
    from rewardgym import stats

    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for rec in records:
        s = rec["spec"]
        groups.setdefault((s["env_id"], s["agent"], s["reward"]), []).append(rec)
    rows = []
    # per-run score = mean normalised score of its evaluation episodes
    per_run: dict[tuple[str, str, str], np.ndarray] = {}
    for (env_id, agent, reward), recs in sorted(groups.items()):
        run_scores = np.array([_scores(suite, r).mean() for r in recs])
        per_run[(env_id, agent, reward)] = run_scores
        rates = [r["success_rate"] for r in recs if r["success_rate"] is not None]
        ci = stats.aggregate_with_ci({"g": run_scores[:, None]}, ("iqm", "mean"), reps=reps)["g"]
        rows.append(
            {
                "env_id": env_id,
                "agent": agent,
                "reward": reward,
                "runs": len(recs),
                "mean_return": float(np.mean([r["mean_return"] for r in recs])),
                "success_rate": float(np.mean(rates)) if rates else None,
                "iqm": ci["iqm"].as_dict(),
                "mean_score": ci["mean"].as_dict(),
                "wall_time_s": float(np.mean([r["wall_time_s"] for r in recs])),
            }
        )
    # Across envs: (agent, reward) configurations with the same number of runs per env.
    configs: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    for (env_id, agent, reward), sc in per_run.items():
        configs.setdefault((agent, reward), {})[env_id] = sc
    aggregate = {}
    matrices: dict[str, tuple[list[str], np.ndarray]] = {}
    for (agent, reward), by_env in sorted(configs.items()):
        n = min(len(v) for v in by_env.values())
        envs = sorted(by_env)
        mat = np.column_stack([by_env[e][:n] for e in envs])
        name = f"{agent} | {reward}"
        matrices[name] = (envs, mat)
        cis = stats.aggregate_with_ci({name: mat}, reps=reps)[name]
        aggregate[name] = {
            "envs": envs,
            "runs_per_env": n,
            **{m: iv.as_dict() for m, iv in cis.items()},
        }
    improvement = {}
    names = sorted(matrices)
    for a in names:
        for b in names:
            ea, ma = matrices[a]
            eb, mb = matrices[b]
            if a != b and ea == eb:
                improvement[f"P({a} > {b})"] = stats.probability_of_improvement(ma, mb)
    return {
        "suite": suite.name,
        "description": suite.description,
        "score_ranges": {k: list(v) for k, v in suite.score_ranges.items()},
        "groups": rows,
        "aggregate": aggregate,
        "probability_of_improvement": improvement,
        "curves": _curves(records),
    }


def _curves(records: Sequence[dict[str, Any]]) -> dict[str, list[list[list[float]]]]:
    out: dict[str, list[list[list[float]]]] = {}
    for r in records:
        if r["curve"]:
            s = r["spec"]
            out.setdefault(f"{s['env_id']} | {s['agent']} | {s['reward']}", []).append(r["curve"])
    return out


def plot(summary: dict[str, Any], folder: Path) -> None:
    """``scores.png`` (IQM with 95 % CIs per group) and, when there are learning
    curves, ``curves.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = summary["groups"]
    if rows:
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.2))
        labels = [f"{r['env_id'].split('/')[-1]} | {r['agent']} | {r['reward']}" for r in rows]
        iqm = np.array([r["iqm"]["value"] for r in rows])
        err = np.array([[r["iqm"]["value"] - r["iqm"]["low"], r["iqm"]["high"] - r["iqm"]["value"]]
                        for r in rows]).T  # fmt: skip
        ax.barh(range(len(rows)), iqm, xerr=err, color="tab:blue", alpha=0.8, capsize=3)
        ax.set_yticks(range(len(rows)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.axvline(1.0, color="k", lw=0.8, ls="--")
        ax.set_xlabel("normalised score: IQM over runs, 95% stratified-bootstrap CI")
        ax.set_title(f"rewardgym bench {summary['suite']}")
        fig.tight_layout()
        fig.savefig(folder / "scores.png", dpi=110)
        plt.close(fig)
    curves = summary["curves"]
    if curves:
        fig, ax = plt.subplots(figsize=(7, 4))
        for label, runs in curves.items():
            if not runs:
                continue
            steps = np.unique(np.concatenate([np.asarray(c)[:, 0] for c in runs]))
            ys = np.array(
                [np.interp(steps, np.asarray(c)[:, 0], np.asarray(c)[:, 1]) for c in runs]
            )
            ax.plot(steps, ys.mean(0), label=label)
            ax.fill_between(steps, ys.min(0), ys.max(0), alpha=0.2)
        ax.set_xlabel("env steps")
        ax.set_ylabel("training episode return")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(folder / "curves.png", dpi=110)
        plt.close(fig)
