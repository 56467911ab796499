"""The registry table, lazy imports and the public listing."""

from __future__ import annotations

import json
import subprocess
import sys

import gymnasium as gym
import pytest

import rewardgym
from rewardgym.envs.registry import ENVS, get_entry

HEAVY = ("numba", "torch", "mujoco", "playwright", "sentence_transformers", "stable_baselines3")


def test_import_rewardgym_imports_no_heavy_module_and_no_env_module():
    code = (
        "import sys, json, rewardgym, gymnasium as gym\n"
        "ids = [e.id for e in rewardgym.ENVS if e.is_gymnasium]\n"
        "json.dump({'mods': sorted(sys.modules), 'registered': [i in gym.registry for i in ids]},"
        " sys.stdout)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    data = json.loads(out.stdout)
    heavy = [m for m in data["mods"] if m.split(".")[0] in HEAVY]
    assert heavy == []
    env_modules = [
        m for m in data["mods"] if m.startswith("rewardgym.envs.") and "registry" not in m
    ]
    assert env_modules == []
    assert all(data["registered"])


def test_every_entry_is_registered_with_gymnasium_under_the_namespace():
    for entry in ENVS:
        assert entry.id.startswith("rewardgym/")
        if entry.is_gymnasium:
            spec = gym.spec(entry.id)
            assert spec.entry_point == entry.entry_point
            assert spec.vector_entry_point == entry.vector_entry_point
            assert spec.max_episode_steps == entry.max_episode_steps


def test_list_envs_reports_family_and_kind():
    infos = rewardgym.list_envs()
    assert [i.id for i in infos] == [e.id for e in ENVS]
    cartpole = next(i for i in infos if i.id == "rewardgym/CartPole-v1")
    assert cartpole.family == "control" and cartpole.kind == "vector" and cartpole.vector_capable
    assert {i.id for i in rewardgym.list_envs("control")} >= {
        "rewardgym/CartPole-v1",
        "rewardgym/MountainCar-v0",
        "rewardgym/MountainCarContinuous-v0",
        "rewardgym/Acrobot-v1",
        "rewardgym/Pendulum-v1",
        "rewardgym/PendulumSparse-v0",
    }
    with pytest.raises(ValueError, match="unknown family 'nope'"):
        rewardgym.list_envs("nope")


def test_get_entry_suggests_close_ids():
    assert get_entry("CartPole-v1").id == "rewardgym/CartPole-v1"
    with pytest.raises(gym.error.NameNotFound, match="Did you mean: rewardgym/CartPole-v1"):
        get_entry("CartPol-v1")


def test_gym_make_of_a_mistyped_id_suggests_the_right_one():
    with pytest.raises(gym.error.Error, match="CartPole"):
        gym.make("rewardgym/CartPol-v1")
