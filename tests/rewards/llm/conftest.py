"""Fixtures of the LLM-feedback tests: a small text env, the scripted server, the
embedding model (loaded once per session), and a stepping helper."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from rewardgym.envs.text import ActionError, TextEnv, TextStep
from rewardgym.rewards.llm.testing_server import ScriptedLLMProcess, ScriptedScorer

#: What the scripted server rewards: captions about a key or treasure are label 1.
KEYWORDS = {"key": 1.0, "treasure": 2.0}
SCORER = ScriptedScorer(KEYWORDS)


class Vault(TextEnv):
    """Search a vault's rooms. Six commands, four rooms drawn at random each turn; the
    caption names the room, the outcome and the env's ``tag`` (tests change the tag to
    make fresh captions). Searching finds a key, opening the chest shows treasure;
    everything else is uneventful. An episode lasts ``length`` turns."""

    ACTIONS = ("search", "open chest", "pick lock", "go north", "wait", "read map")
    OUTCOMES = (
        "you find a rusty key",
        "the chest holds treasure",
        "the lock does not move",
        "a corridor leads north",
        "time passes",
        "the map is blank",
    )

    def __init__(self, tag: str = "a", length: int = 10, **kwargs: Any):
        kwargs.setdefault("action_mode", "discrete")
        super().__init__(**kwargs)
        self.tag = tag
        self.length = length

    def _reset_task(self, options: dict[str, Any] | None) -> TextStep:
        return TextStep(f"[{self.tag}] You enter the vault.")

    def _step_text(self, action: str) -> TextStep:
        if action not in self.ACTIONS:
            raise ActionError("parse", f"say one of {self.ACTIONS}")
        room = int(self.np_random.integers(4))
        outcome = self.OUTCOMES[self.ACTIONS.index(action)]
        done = self.turn >= self.length
        return TextStep(f"[{self.tag}] Room {room}: {outcome}.", {"step": 0.0}, truncated=done)

    def _candidates(self) -> list[str]:
        return list(self.ACTIONS)

    def all_captions(self) -> list[str]:
        return [f"[{self.tag}] Room {r}: {o}." for r in range(4) for o in self.OUTCOMES]


@dataclass
class Run:
    """What :func:`step_until` saw."""

    steps: int = 0
    bonus: list[float] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    max_step_s: float = 0.0
    seconds: float = 0.0


def step_until(
    env: Any,
    rng: np.random.Generator,
    until: Callable[[], bool] = lambda: False,
    *,
    min_steps: int = 0,
    max_steps: int = 1_000_000,
    timeout: float = 15.0,
    every: int = 50,
) -> Run:
    """Step ``env`` with random actions until ``until()`` (checked every ``every``
    steps) holds and ``min_steps`` were taken; fails after ``timeout`` seconds. Seed
    ``rng`` apart from the env: the same seed would tie the actions to the rooms."""
    run = Run()
    start = time.perf_counter()
    n = len(Vault.ACTIONS)
    while run.steps < max_steps:
        t0 = time.perf_counter()
        _, _, terminated, truncated, info = env.step(int(rng.integers(n)))
        run.max_step_s = max(run.max_step_s, time.perf_counter() - t0)
        run.steps += 1
        run.bonus.append(info["reward_terms"]["llm_feedback"])
        run.captions.append(info["caption"])
        if terminated or truncated:
            env.reset()
        if run.steps % every == 0 and run.steps >= min_steps and until():
            break
        if time.perf_counter() - start > timeout:
            raise AssertionError(f"condition not met after {run.steps} steps and {timeout} s")
    run.seconds = time.perf_counter() - start
    return run


def wait_for(cond: Callable[[], bool], timeout: float = 10.0, every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(every)


@pytest.fixture(scope="module")
def server():
    """A scripted server in a child process, shared by a module (mode reset per test)."""
    with ScriptedLLMProcess(KEYWORDS) as srv:
        yield srv


@pytest.fixture
def fresh_server(server):
    server.set_mode("normal", delay=1.0, latency=0.0)
    server.reset_stats()
    return server


@pytest.fixture(scope="session")
def minilm():
    """The all-MiniLM-L6-v2 model, loaded once for the whole session."""
    from rewardgym.rewards.llm.embedding import load_sentence_model, torch_threads

    with torch_threads(1):
        return load_sentence_model()
