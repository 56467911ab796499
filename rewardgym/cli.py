"""The ``rewardgym`` command: list, info, play, run and demo."""

from __future__ import annotations

import argparse
import inspect
import sys
import time
from collections.abc import Sequence
from typing import Any, Literal

import gymnasium as gym
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import rewardgym
from rewardgym.envs.registry import EnvEntry, get_entry


def _console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:  # piped output: wide enough for the full ids
        console = Console(highlight=False, width=140)
    return console


def _entry_or_exit(console: Console, env_id: str) -> EnvEntry:
    try:
        return get_entry(env_id)
    except gym.error.NameNotFound as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(2) from None


def cmd_list(args: argparse.Namespace) -> int:
    console = _console()
    table = Table(title=f"rewardgym {rewardgym.__version__} environments")
    for col in ("id", "family", "kind", "summary"):
        table.add_column(col)
    for info in rewardgym.list_envs(args.family):
        table.add_row(info.id, info.family, info.kind, info.summary)
    console.print(table)
    return 0


def _env_class(entry: EnvEntry) -> Any:
    """The env's class (Gymnasium) or module (PettingZoo), whose docstring is its doc
    page."""
    if not entry.is_gymnasium:
        import importlib

        return importlib.import_module(entry.entry_point)
    from gymnasium.envs.registration import load_env_creator

    return load_env_creator(entry.entry_point)


def cmd_info(args: argparse.Namespace) -> int:
    console = _console()
    entry = _entry_or_exit(console, args.env_id)
    console.print(f"[bold]{entry.id}[/bold]  ({entry.family}, {entry.kind})")
    console.print(entry.summary)
    if entry.is_gymnasium:
        env = gym.make(entry.id)
        console.print(f"observation space: {env.observation_space}")
        console.print(f"action space:      {env.action_space}")
        console.print(f"max episode steps: {entry.max_episode_steps}")
        if entry.vector_entry_point:
            console.print(f"vector entry point: {entry.vector_entry_point}")
        potentials = getattr(env.unwrapped, "potentials", None)
        if potentials:
            console.print(f"potentials (for shaping): {', '.join(potentials)}")
        terms = getattr(env.unwrapped, "reward_terms", None)
        if terms:
            console.print(f"reward terms: {', '.join(terms)}")
        env.close()
    else:
        pz = _env_class(entry).env()
        pz.reset(seed=0)
        agent = pz.possible_agents[0]
        console.print(f"agents:            {', '.join(pz.possible_agents)}")
        console.print(f"observation space: {pz.observation_space(agent)}", markup=False)
        console.print(f"action space:      {pz.action_space(agent)}", markup=False)
        pz.close()
    cls = _env_class(entry)
    doc = inspect.getdoc(cls)
    if doc:
        console.print()
        console.print(doc, markup=False)
    return 0


def _parse_action(text: str, space: gym.Space[Any]) -> Any:
    import numpy as np

    if isinstance(space, gym.spaces.Text):
        return text  # text envs take what the person types, as an LLM's output

    if isinstance(space, gym.spaces.Discrete):
        value = int(text)
        if not space.contains(value):
            raise ValueError(f"expected an integer in [0, {space.n})")
        return value
    if isinstance(space, gym.spaces.Box):
        values = np.array([float(v) for v in text.replace(",", " ").split()], dtype=space.dtype)
        if values.shape != space.shape:
            raise ValueError(f"expected {space.shape[0]} numbers")
        return values
    raise ValueError(f"cannot read actions for {space}")


def _env_kwargs(pairs: Sequence[str]) -> dict[str, Any]:
    """``--set KEY=VALUE`` pairs as constructor arguments; values are read as JSON
    (numbers, true/false, lists) and otherwise kept as strings."""
    import json

    kwargs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise ValueError(f"--set takes KEY=VALUE, got {pair!r}")
        try:
            kwargs[key] = json.loads(value)
        except json.JSONDecodeError:
            kwargs[key] = value
    return kwargs


def _print_choices(console: Console, info: dict[str, Any]) -> None:
    """Text envs in discrete mode: the numbered admissible actions."""
    for i, text in enumerate(info.get("candidates", [])):
        console.print(f"  [{i}] {text}", markup=False)


def cmd_play(args: argparse.Namespace) -> int:
    """A person plays (``--interactive``) or watches an agent play, rendered as text."""
    from rewardgym.agents import make_agent

    console = _console()
    entry = _entry_or_exit(console, args.env_id)
    if not entry.is_gymnasium:
        console.print("[red]error:[/red] play supports Gymnasium envs")
        return 2
    try:
        kwargs = _env_kwargs(args.set)
        env = gym.make(entry.id, render_mode="ansi", **kwargs)
    except (ValueError, TypeError) as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    agent = None if args.interactive else make_agent(args.agent, env, seed=args.seed)
    obs, info = env.reset(seed=args.seed)
    total, steps = 0.0, 0
    console.print(env.render(), markup=False)
    _print_choices(console, info)
    while steps < args.max_steps:
        if agent is None:
            try:
                prompt = (
                    "your reply"
                    if isinstance(env.action_space, gym.spaces.Text)
                    else f"action {env.action_space}"
                )
                text = input(f"{prompt} (q to quit)> ").strip()
            except EOFError:
                break
            if text in ("q", "quit", "exit"):
                break
            try:
                action = _parse_action(text, env.action_space)
            except ValueError as exc:
                console.print(f"[yellow]{exc}[/yellow]")
                continue
        else:
            action = agent.act(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        total += float(reward)
        steps += 1
        console.print(env.render(), markup=False)
        shown = repr(action) if isinstance(action, str) else action
        if info.get("error"):
            console.print(f"[yellow]{info['error']} error:[/yellow] {info['error_message']}")
        console.print(
            f"step {steps} action={shown} reward={float(reward):+.3f} return={total:+.3f}",
            markup=False,
        )
        if not (terminated or truncated):
            _print_choices(console, info)
        if terminated or truncated:
            end = "terminated" if terminated else "truncated"
            if "success" in info:
                end += f", success={bool(info['success'])}"
            console.print(f"episode over ({end})")
            break
        if agent is not None and args.fps > 0:
            time.sleep(1.0 / args.fps)
    env.close()
    return 0


def _stats_table(rows: Sequence[Any], title: str) -> Table:
    table = Table(title=title)
    for col in (
        "env",
        "agent",
        "episodes",
        "mean return",
        "std",
        "mean length",
        "success",
        "steps/s",
    ):
        table.add_column(col, justify="right" if col not in ("env", "agent") else "left")
    for s in rows:
        success = "-" if s.success_rate is None else f"{s.success_rate:.0%}"
        mean_len = sum(s.lengths) / len(s.lengths)
        table.add_row(
            s.env_id,
            s.agent,
            str(s.episodes),
            f"{s.mean_return:.2f}",
            f"{s.std_return:.2f}",
            f"{mean_len:.1f}",
            success,
            f"{s.steps_per_second:,.0f}",
        )
    return table


def cmd_run(args: argparse.Namespace) -> int:
    from rewardgym.agents.runner import run_episodes

    console = _console()
    entry = _entry_or_exit(console, args.env_id)
    try:
        stats = run_episodes(
            entry.id, args.agent, episodes=args.episodes, seed=args.seed, **_env_kwargs(args.set)
        )
    except (ValueError, TypeError) as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    console.print(_stats_table([stats], f"{entry.id}: {args.agent} agent"))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Every registered env with a random agent, then one batched step rate."""
    from rewardgym.agents.runner import run_episodes

    console = _console()
    rows = []
    for info in rewardgym.list_envs():
        if info.kind not in ("single", "vector"):
            continue
        rows.append(run_episodes(info.id, "random", episodes=args.episodes, seed=args.seed))
    console.print(_stats_table(rows, "rewardgym demo: random agent on every environment"))
    import numpy as np

    n = 8192
    envs = gym.make_vec(
        "rewardgym/CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point"
    )
    envs.reset(seed=args.seed)
    actions = np.random.default_rng(args.seed).integers(0, 2, size=(64, n))
    envs.step(actions[0])
    start = time.perf_counter()
    for a in actions:
        envs.step(a)
    rate = len(actions) * n / (time.perf_counter() - start)
    console.print(f"batched CartPole, {n} envs on the Numba CPU kernel: {rate:,.0f} steps/s")
    envs.close()
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Run a benchmark suite (resumable) and print its table."""
    from rewardgym import bench

    console = _console()
    if args.list:
        for name, factory in bench.SUITES.items():
            suite = factory()
            console.print(f"[bold]{name}[/bold] ({len(suite.runs)} runs): {suite.description}")
        return 0
    if args.suite is None:
        console.print("[red]error:[/red] name a suite (rewardgym bench --list shows them)")
        return 2
    try:
        suite = bench.get_suite(args.suite)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    ray_address: str | Literal[False] | None = False
    if args.ray is not None:
        ray_address = None if args.ray == "local" else args.ray
    try:
        summary = bench.run_suite(
            suite, args.out, workers=args.workers, resume=not args.restart, progress=True,
            ray_address=ray_address, retries=args.retries,
        )  # fmt: skip
    except (ImportError, ValueError, ConnectionError) as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    table = Table(title=f"rewardgym bench {suite.name}")
    for col in ("env", "agent", "reward", "runs", "mean return", "IQM score [95% CI]", "success"):
        table.add_column(col, justify="left" if col in ("env", "agent", "reward") else "right")
    for row in summary["groups"]:
        iqm = row["iqm"]
        rate = row["success_rate"]
        table.add_row(
            row["env_id"].split("/")[-1],
            row["agent"],
            row["reward"],
            str(row["runs"]),
            f"{row['mean_return']:.2f}",
            f"{iqm['value']:.2f} [{iqm['low']:.2f}, {iqm['high']:.2f}]",
            "-" if rate is None else f"{rate:.0%}",
        )
    console.print(table)
    folder = f"{args.out}/{suite.name}"
    console.print(f"results: {folder}/results.json  plots: {folder}/scores.png")
    if summary["failures"]:
        console.print(f"[red]{len(summary['failures'])} runs failed[/red]; see {folder}/runs/")
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rewardgym", description=rewardgym.__doc__)
    parser.add_argument("--version", action="version", version=rewardgym.__version__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list the environments")
    p.add_argument("--family", default=None, help="only this family (e.g. control)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("info", help="spaces, reward terms and the doc page of an env")
    p.add_argument("env_id")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("play", help="play an env in the terminal, or watch an agent play it")
    p.add_argument("env_id")
    p.add_argument("--interactive", action="store_true", help="type the actions yourself")
    p.add_argument("--agent", default="random", help="agent to watch (default: random)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-steps", type=int, default=500)
    p.add_argument("--fps", type=float, default=20.0, help="frames per second when watching")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="constructor argument of the env, e.g. --set action_mode=discrete (repeatable)",
    )
    p.set_defaults(func=cmd_play)

    p = sub.add_parser("run", help="run an agent for some episodes and report the results")
    p.add_argument("env_id")
    p.add_argument("--agent", default="random")
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="constructor argument of the env, e.g. --set action_mode=discrete (repeatable)",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("bench", help="run a benchmark suite and report IQM with CIs")
    p.add_argument("suite", nargs="?", help="suite name (quick, full, ...) or a .json file")
    p.add_argument("--out", default="benchmarks/results", help="results folder")
    p.add_argument("--workers", type=int, default=2, help="parallel processes")
    p.add_argument("--restart", action="store_true", help="redo finished runs")
    p.add_argument(
        "--ray",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="run each run as a Ray task: no address starts a local Ray instance, "
        "'auto' joins the running cluster, or give the cluster's address",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=2,
        help="attempts after the first for a failed run on Ray, or locally for a run "
        "whose worker process died",
    )
    p.add_argument("--list", action="store_true", help="list the suites")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("demo", help="random agent on every env, and a batched step rate")
    p.add_argument("--episodes", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
