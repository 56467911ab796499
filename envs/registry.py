"""The one table of rewardgym environments.

``import rewardgym`` registers every entry with Gymnasium under the ``rewardgym/``
namespace. Entry points are strings, so registering imports no env module (and so
none of numba, torch, mujoco or a browser); an env's module is imported when it is
first made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import gymnasium as gym

NAMESPACE = "rewardgym"

Kind = Literal["single", "vector", "aec", "parallel"]


@dataclass(frozen=True)
class EnvEntry:
    """One registered environment.

    ``kind``: ``"single"`` (a Gymnasium env), ``"vector"`` (a Gymnasium env that also
    has a native vector entry point for ``gym.make_vec``), ``"aec"`` or ``"parallel"``
    (PettingZoo; ``entry_point`` then names the module with ``env()`` /
    ``parallel_env()`` factories).
    """

    id: str
    family: str
    kind: Kind
    entry_point: str
    summary: str
    vector_entry_point: str | None = None
    max_episode_steps: int | None = None
    reward_threshold: float | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def is_gymnasium(self) -> bool:
        return self.kind in ("single", "vector")


_CONTROL = "rewardgym.envs.control"

CONTROL_ENVS: tuple[EnvEntry, ...] = (
    EnvEntry(
        id=f"{NAMESPACE}/CartPole-v1",
        family="control",
        kind="vector",
        entry_point=f"{_CONTROL}.cartpole:CartPoleEnv",
        vector_entry_point=f"{_CONTROL}.cartpole:CartPoleVectorEnv",
        max_episode_steps=500,
        reward_threshold=475.0,
        summary="Balance a pole on a cart (Gymnasium CartPole-v1 dynamics, Numba/CUDA batched)",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/MountainCar-v0",
        family="control",
        kind="vector",
        entry_point=f"{_CONTROL}.mountain_car:MountainCarEnv",
        vector_entry_point=f"{_CONTROL}.mountain_car:MountainCarVectorEnv",
        max_episode_steps=200,
        reward_threshold=-110.0,
        summary="Drive an underpowered car up a hill (sparse -1 per step)",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/MountainCarContinuous-v0",
        family="control",
        kind="vector",
        entry_point=f"{_CONTROL}.mountain_car:MountainCarContinuousEnv",
        vector_entry_point=f"{_CONTROL}.mountain_car:MountainCarContinuousVectorEnv",
        max_episode_steps=999,
        reward_threshold=90.0,
        summary="MountainCar with a continuous engine and an energy cost",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/Acrobot-v1",
        family="control",
        kind="vector",
        entry_point=f"{_CONTROL}.acrobot:AcrobotEnv",
        vector_entry_point=f"{_CONTROL}.acrobot:AcrobotVectorEnv",
        max_episode_steps=500,
        reward_threshold=-100.0,
        summary="Swing a two-link arm's tip above the bar (RK4 dynamics)",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/Pendulum-v1",
        family="control",
        kind="vector",
        entry_point=f"{_CONTROL}.pendulum:PendulumEnv",
        vector_entry_point=f"{_CONTROL}.pendulum:PendulumVectorEnv",
        max_episode_steps=200,
        summary="Swing up and balance a pendulum (dense angle/velocity/torque cost)",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/PendulumSparse-v0",
        family="control",
        kind="vector",
        entry_point=f"{_CONTROL}.pendulum:PendulumSparseEnv",
        vector_entry_point=f"{_CONTROL}.pendulum:PendulumSparseVectorEnv",
        max_episode_steps=200,
        summary="Pendulum with reward 1 only within 0.1 rad of upright",
    ),
)

# Each family keeps its entries in its own tuple below; ENVS joins them.

_TOOL_USE = "rewardgym.envs.tool_use"
TOOL_USE_ENVS: tuple[EnvEntry, ...] = (
    EnvEntry(
        id=f"{NAMESPACE}/ToolCall-v0",
        family="tool_use",
        kind="single",
        entry_point=f"{_TOOL_USE}.env:ToolCallEnv",
        summary="Single-turn function calling over a SQLite database (BFCL/ToolRL rewards)",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/ToolAgent-v0",
        family="tool_use",
        kind="single",
        entry_point=f"{_TOOL_USE}.env:ToolAgentEnv",
        max_episode_steps=30,
        summary="Multi-turn tool use with a scripted user, retail/travel/banking (tau-bench)",
    ),
    *(
        EnvEntry(
            id=f"{NAMESPACE}/ToolAgent-{name.capitalize()}-v0",
            family="tool_use",
            kind="single",
            entry_point=f"{_TOOL_USE}.env:ToolAgentEnv",
            max_episode_steps=30,
            summary=f"ToolAgent on the {name} domain only",
            kwargs={"domain": name},
        )
        for name in ("retail", "travel", "banking")
    ),
)

_TEXT_GAMES = "rewardgym.envs.text_games"
TEXT_GAME_ENVS: tuple[EnvEntry, ...] = (
    EnvEntry(
        id=f"{NAMESPACE}/TextQuest-v0",
        family="text_games",
        kind="single",
        entry_point=f"{_TEXT_GAMES}.textquest:TextQuestEnv",
        max_episode_steps=200,
        summary="Generated text adventure (TextWorld-like): keys, doors, containers, a quest",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/Wordle-v0",
        family="text_games",
        kind="single",
        entry_point=f"{_TEXT_GAMES}.word_games:WordleEnv",
        max_episode_steps=30,
        summary="Find a hidden 5-letter word in 6 guesses from green/yellow marks",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/Mastermind-v0",
        family="text_games",
        kind="single",
        entry_point=f"{_TEXT_GAMES}.word_games:MastermindEnv",
        max_episode_steps=40,
        summary="Crack a 4-peg, 6-colour code in 10 guesses from black/white pegs",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/Hangman-v0",
        family="text_games",
        kind="single",
        entry_point=f"{_TEXT_GAMES}.word_games:HangmanEnv",
        max_episode_steps=40,
        summary="Reveal a hidden word letter by letter before 6 wrong guesses",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/Sokoban-v0",
        family="text_games",
        kind="single",
        entry_point=f"{_TEXT_GAMES}.sokoban:SokobanEnv",
        max_episode_steps=200,
        summary="Push boxes onto targets in generated solvable warehouses (text grid)",
    ),
)

_RISK = "rewardgym.envs.risk"
RISK_ENVS: tuple[EnvEntry, ...] = (
    EnvEntry(
        id=f"{NAMESPACE}/risk_v0",
        family="risk",
        kind="aec",
        entry_point=f"{_RISK}.risk_v0",
        summary="The Risk board game for 2-6 players (PettingZoo AEC, classic and tiny maps)",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/matrix_risk_v0",
        family="risk",
        kind="parallel",
        entry_point=f"{_RISK}.matrix_risk_v0",
        summary="Repeated matrix games with risky outcomes: stag hunt, chicken, catastrophes",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/intersection_v0",
        family="risk",
        kind="parallel",
        entry_point=f"{_RISK}.intersection_v0",
        summary="Cars at an unsignalled intersection choose speeds; crashes cost apart from reward",
    ),
)

_MUJOCO = "rewardgym.envs.mujoco"
MUJOCO_ENVS: tuple[EnvEntry, ...] = (
    EnvEntry(
        id=f"{NAMESPACE}/PointReach-v0",
        family="mujoco",
        kind="vector",
        entry_point=f"{_MUJOCO}.point_reach:PointReachEnv",
        vector_entry_point=f"{_MUJOCO}.point_reach:PointReachVectorEnv",
        max_episode_steps=100,
        summary="Push a puck to a random goal (MuJoCo; sparse success, exported potentials)",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/ReacherSparse-v0",
        family="mujoco",
        kind="vector",
        entry_point=f"{_MUJOCO}.reacher:ReacherSparseEnv",
        vector_entry_point=f"{_MUJOCO}.reacher:ReacherSparseVectorEnv",
        max_episode_steps=100,
        summary="Two-link arm reaching a target (MuJoCo; sparse success with control cost)",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/HopperForward-v0",
        family="mujoco",
        kind="vector",
        entry_point=f"{_MUJOCO}.hopper:HopperForwardEnv",
        vector_entry_point=f"{_MUJOCO}.hopper:HopperForwardVectorEnv",
        max_episode_steps=1000,
        summary="One-legged hopper; forward, alive, control and contact terms (MuJoCo)",
    ),
)

_WEB = "rewardgym.envs.web"
WEB_ENVS: tuple[EnvEntry, ...] = (
    EnvEntry(
        id=f"{NAMESPACE}/WebShop-v0",
        family="web",
        kind="single",
        entry_point=f"{_WEB}.webshop:WebShopEnv",
        max_episode_steps=50,
        summary="Shop a generated web store (WebShop-like): search, pick options, buy",
    ),
    EnvEntry(
        id=f"{NAMESPACE}/WebForms-v0",
        family="web",
        kind="single",
        entry_point=f"{_WEB}.webforms:WebFormsEnv",
        max_episode_steps=20,
        summary="MiniWoB-style web forms: login, fill a form, book a flight, pick a date, a menu",
    ),
)

ENVS: tuple[EnvEntry, ...] = (
    CONTROL_ENVS + TOOL_USE_ENVS + TEXT_GAME_ENVS + RISK_ENVS + WEB_ENVS + MUJOCO_ENVS
)


def register_all() -> None:
    """Register every Gymnasium entry of :data:`ENVS` (idempotent)."""
    for entry in ENVS:
        if not entry.is_gymnasium or entry.id in gym.registry:
            continue
        gym.register(
            id=entry.id,
            entry_point=entry.entry_point,
            vector_entry_point=entry.vector_entry_point,
            max_episode_steps=entry.max_episode_steps,
            reward_threshold=entry.reward_threshold,
            kwargs=dict(entry.kwargs),
        )


def get_entry(env_id: str) -> EnvEntry:
    """The table entry of ``env_id`` (with or without the ``rewardgym/`` prefix).

    Raises ``gymnasium.error.NameNotFound`` with close matches when it is unknown.
    """
    full = env_id if env_id.startswith(f"{NAMESPACE}/") else f"{NAMESPACE}/{env_id}"
    for entry in ENVS:
        if entry.id == full:
            return entry
    import difflib

    ids = [e.id for e in ENVS]
    close = difflib.get_close_matches(full, ids, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise gym.error.NameNotFound(
        f"Environment {env_id!r} is not a rewardgym environment.{hint} "
        "`rewardgym list` shows them all."
    )
