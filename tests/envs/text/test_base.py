"""The text-env base: action modes, the info contract, bad input, the oracle."""

from __future__ import annotations

import pickle
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardgym import testing
from rewardgym.envs.text import (
    ERROR_KINDS,
    ActionError,
    TextEnv,
    TextStep,
    UnicodeText,
    hash_features,
)


class GuessNumber(TextEnv):
    """Guess a secret number in [1, 20]; the game says higher or lower."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.secret = 0
        self.lo, self.hi = 1, 20

    def _reset_task(self, options):
        self.secret = int(self.np_random.integers(1, 21))
        self.lo, self.hi = 1, 20
        return TextStep("I picked a number from 1 to 20. Say 'guess N'.")

    def _step_text(self, action):
        words = action.strip().lower().split()
        if len(words) != 2 or words[0] != "guess" or not words[1].isdigit():
            raise ActionError("parse", "say 'guess N' with N a whole number")
        n = int(words[1])
        if not 1 <= n <= 20:
            raise ActionError("illegal", f"{n} is outside 1..20")
        if n == self.secret:
            return TextStep("Correct!", {"solved": 1.0}, terminated=True, success=True)
        if n < self.secret:
            self.lo = max(self.lo, n + 1)
            return TextStep(f"{n}: higher.", {"solved": 0.0})
        self.hi = min(self.hi, n - 1)
        return TextStep(f"{n}: lower.", {"solved": 0.0})

    def _candidates(self):
        return [f"guess {n}" for n in range(1, 21)]

    def _oracle_text(self):
        return f"guess {(self.lo + self.hi) // 2}"


ID = "rewardgym-test/GuessNumber-v0"


@pytest.fixture(scope="module", autouse=True)
def registered():
    gym.register(ID, entry_point=GuessNumber, max_episode_steps=30)
    yield
    del gym.registry[ID]


@pytest.mark.parametrize("mode", ["text", "discrete"])
def test_harness_passes_in_both_modes(mode):
    testing.check_gymnasium_env(ID, action_mode=mode)
    testing.check_determinism(ID, steps=300, action_mode=mode)
    testing.check_pickle(ID, action_mode=mode)


@pytest.mark.parametrize("mode", ["text", "discrete"])
def test_oracle_wins_every_seed(mode):
    env = gym.make(ID, action_mode=mode)
    for seed in range(20):
        env.reset(seed=seed)
        for _ in range(6):
            _, reward, terminated, _, info = env.step(env.unwrapped.oracle_action())
            assert info["error"] is None
            if terminated:
                break
        assert info["success"] and reward == 1.0, seed


def test_info_contract_on_every_step():
    env = gym.make(ID)
    obs, info = env.reset(seed=0)
    assert obs == info["text"] == info["caption"]
    assert info["success"] is False and info["error"] is None
    obs, reward, _, _, info = env.step("guess 1")
    assert set(info) >= {"success", "error", "error_message", "caption", "reward_terms", "text"}
    assert info["reward_terms"] == {"solved": reward}
    assert obs == info["text"]


@pytest.mark.parametrize(
    ("action", "kind", "fragment"),
    [
        ("hello", "parse", "guess N"),
        ("guess 99", "illegal", "outside"),
        (b"guess 3", "parse", "bytes"),
        (None, "parse", "must be text"),
        (3, "parse", "must be text"),
        ("guess \x00 3", "parse", "control character"),
        ("\ud800", "parse", "surrogates"),
        ("x" * 9000, "parse", "limit is 8192"),
    ],
)
def test_bad_actions_become_error_observations(action, kind, fragment):
    env = gym.make(ID, invalid_action_penalty=0.5)
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(action)
    assert info["error"] == kind
    assert fragment in info["error_message"]
    assert info["error_message"] in obs and "Say 'guess N'" in obs
    assert reward == -0.5 and info["reward_terms"] == {"invalid": -0.5}
    assert not terminated and not truncated


def test_discrete_mode_masks_and_indices():
    env = gym.make(ID, action_mode="discrete", max_candidates=24)
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    assert obs["action_mask"].tolist() == [1] * 20 + [0] * 4
    assert env.unwrapped.action_masks().sum() == 20
    assert info["candidates"][4] == "guess 5"
    _, _, _, _, info = env.step(np.int64(4))
    assert info["error"] is None
    assert info["success"] or info["text"].startswith("5: ")
    for bad, kind in ((22, "illegal"), (-1, "illegal"), ("3", "parse"), (1.5, "parse")):
        env.reset(seed=3)
        _, reward, _, _, info = env.step(bad)
        assert info["error"] == kind, bad
        assert reward == -1.0


def test_oracle_outside_the_offered_candidates_says_what_to_do():
    env = gym.make(ID, action_mode="discrete", max_candidates=5)
    env.reset(seed=0)
    env.unwrapped.secret = 20
    with pytest.raises(RuntimeError, match="raise max_candidates"):
        env.unwrapped.oracle_action()


@settings(max_examples=150, deadline=None)
@given(
    action=st.one_of(
        st.text(max_size=300),
        st.binary(max_size=50),
        st.integers(),
        st.floats(allow_nan=True),
        st.none(),
        st.lists(st.integers(), max_size=3),
    )
)
def test_hostile_actions_never_raise(action):
    env = GuessNumber()
    env.reset(seed=1)
    obs, reward, _, _, info = env.step(action)
    assert isinstance(obs, str) and env.observation_space.contains(obs)
    assert info["error"] in (None, *ERROR_KINDS)
    if info["error"] is not None:
        assert reward == -1.0 and info["error_message"]


def test_long_observations_are_cut_with_a_note():
    class Verbose(GuessNumber):
        def _step_text(self, action):
            return TextStep("y" * 5000)

    env = Verbose(max_observation_length=1000)
    env.reset(seed=0)
    obs, *_ = env.step("anything")
    assert len(obs) == 1000 and "cut" in obs[-40:]
    assert env.observation_space.contains(obs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"action_mode": "json"}, "action_mode must be"),
        ({"max_candidates": 0}, "max_candidates must be a positive"),
        ({"invalid_action_penalty": -1.0}, ">= 0"),
        ({"render_mode": "rgb_array"}, "render_mode must be"),
    ],
)
def test_constructor_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GuessNumber(**kwargs)


def test_render_shows_the_last_exchange():
    env = gym.make(ID, render_mode="ansi")
    env.reset(seed=0)
    env.step("guess 10")
    frame = env.render()
    assert frame.startswith("> guess 10\n")


def test_unicode_text_space():
    space = UnicodeText(50, seed=0)
    samples = [space.sample() for _ in range(200)]
    assert all(space.contains(s) for s in samples)
    assert any(not s.isascii() for s in samples)
    assert space.contains("") and not space.contains("x" * 51) and not space.contains(b"x")
    assert space == UnicodeText(50) and space != UnicodeText(51)
    assert pickle.loads(pickle.dumps(space)) == space
    with pytest.raises(ValueError, match="positive"):
        UnicodeText(0)


def test_text_envs_batch_in_gymnasium_vector_envs():
    venv = gym.make_vec(ID, num_envs=3, vectorization_mode="sync")
    obs, _ = venv.reset(seed=0)
    assert len(obs) == 3 and all(isinstance(o, str) for o in obs)
    obs, reward, *_ = venv.step(("guess 10", "nonsense", "guess 1"))
    assert reward[1] == -1.0
    venv.close()


def test_hash_features_are_stable_across_processes():
    # CRC32 buckets, not Python's salted hash(): fixed values.
    v = hash_features("open the door", 8)
    assert np.count_nonzero(v) >= 2
    assert np.allclose(v, hash_features("OPEN the door!", 8))
    import json
    import subprocess
    import sys

    code = (
        "import json; from rewardgym.envs.text import hash_features as h; "
        "print(json.dumps(h('open the door', 8).tolist()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert np.allclose(json.loads(out.stdout), v)


def test_maskable_ppo_trains_on_the_discrete_mode():
    pytest.importorskip("sb3_contrib")
    from sb3_contrib import MaskablePPO

    env = gym.make(ID, action_mode="discrete", max_candidates=20)
    model = MaskablePPO("MultiInputPolicy", env, n_steps=64, batch_size=32, seed=0, device="cpu")
    model.learn(128)
    obs, _ = env.reset(seed=0)
    action, _ = model.predict(obs, action_masks=env.unwrapped.action_masks())
    assert 0 <= int(action) < 20
