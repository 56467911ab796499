"""WebFormsEnv in process: the oracle on every kind, MiniWoB's time-discounted
reward, timeouts and wrong submissions, progress, and the candidates."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import rewardgym  # noqa: F401  (registers the ids)
from rewardgym.agents.random import RandomAgent
from rewardgym.envs.web.forms import KINDS, TEST_TASKS, make_task
from rewardgym.envs.web.webforms import WebFormsEnv

ID = "rewardgym/WebForms-v0"


@pytest.mark.parametrize("mode", ["text", "discrete"])
def test_oracle_completes_every_held_out_task(mode, oracle_runner):
    env = gym.make(ID, action_mode=mode)
    kinds = set()
    for task_id in range(TEST_TASKS):
        out = oracle_runner(env, task_id)
        info = out["info"]
        assert info["success"], (task_id, info["goal"])
        steps = out["steps"]
        # MiniWoB: r * max(0, 1 - elapsed / limit), elapsed in steps (limit 20)
        assert out["rewards"][-1] == pytest.approx(1.0 - steps / 20)
        assert info["reward_terms"]["time_factor"] == pytest.approx(1.0 - steps / 20)
        assert info["reward_terms"]["task"] == 1.0
        assert out["totals"]["progress"] == pytest.approx(1.0)
        assert info["url"] == "/done" and info["caption"] == "Submitted"
        kinds.add(info["kind"])
    assert kinds == set(KINDS)


def test_oracle_beats_a_slow_oracle_beats_random():
    tasks = range(25)
    scores: dict[str, list[float]] = {"oracle": [], "slow": [], "random": []}
    env = gym.make(ID)
    for task_id in tasks:
        for name, detours in (("oracle", 0), ("slow", 4)):
            env.reset(options={"task_id": task_id})
            total, done, t = 0.0, False, 0
            while not done:
                action = "look around" if t < detours else env.unwrapped.oracle_action()
                _, reward, terminated, truncated, info = env.step(action)
                total += reward
                done = terminated or truncated
                t += 1
            assert info["success"]
            scores[name].append(total)
    denv = gym.make(ID, action_mode="discrete")
    agent = RandomAgent(denv.action_space, seed=0)
    for task_id in tasks:
        obs, info = denv.reset(seed=task_id, options={"task_id": task_id})
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, info = denv.step(agent.act(obs, info))
            total += reward
            done = terminated or truncated
        scores["random"].append(total)
    means = {k: float(np.mean(v)) for k, v in scores.items()}
    assert means["oracle"] > means["slow"] > means["random"], means
    assert means["slow"] == pytest.approx(means["oracle"] - 4 / 20)


def test_timeout_gives_minus_one_and_truncates():
    env = gym.make(ID, time_limit=5, max_episode_steps=50)
    env.reset(options={"task_id": 0})
    for _t in range(5):
        _, reward, terminated, truncated, info = env.step("nonsense")
        assert info["error"] == "parse"
    assert truncated and not terminated and reward == -1.0
    assert info["reward_terms"]["miniwob"] == -1.0 and not info["success"]


def test_wrong_submission_and_stop_give_minus_one():
    env = gym.make(ID)
    env.reset(options={"task_id": 0})  # login
    env.step('type [1] "someone_else"')
    _, reward, terminated, _, info = env.step("click [4]")
    assert terminated and reward == -1.0 and not info["success"]
    assert info["reward_terms"]["task"] == -1.0 and info["reward_terms"]["progress"] == 0.0
    env.reset(options={"task_id": 0})
    _, reward, terminated, _, info = env.step("stop")
    assert terminated and reward == -1.0


def test_oracle_recovers_from_detours(oracle_runner):
    env = gym.make(ID)
    # login: visit the dead-end page first
    env.reset(options={"task_id": 0})
    env.step("click [5]")
    assert env.unwrapped.page.url == "/forgot"
    # flight: a wrong search first
    flight = next(i for i in range(TEST_TASKS) if make_task(0, i).kind == "flight")
    for task_id, first in ((0, None), (flight, ["click [4]"])):
        if first:
            env.reset(options={"task_id": task_id})
            for a in first:
                env.step(a)
        done = False
        while not done:
            _, _reward, terminated, truncated, info = env.step(env.unwrapped.oracle_action())
            assert info["error"] is None
            done = terminated or truncated
        assert info["success"], task_id


def test_discrete_candidates_offer_the_quoted_values():
    env = gym.make(ID, action_mode="discrete")
    _, info = env.reset(options={"task_id": 0})
    task = make_task(0, 0)
    user, password = task.gold["username"], task.gold["password"]
    assert f'type [1] "{user}"' in info["candidates"]
    assert f'type [2] "{password}"' in info["candidates"]
    assert "click [4]" in info["candidates"]
    assert info["action_mask"].sum() == len(info["candidates"])


def test_menu_tree_is_indented_and_date_picker_changes_month():
    env = gym.make(ID)
    menu = next(i for i in range(TEST_TASKS) if make_task(0, i).kind == "menu")
    env.reset(options={"task_id": menu})
    obs, *_ = env.step(env.unwrapped.oracle_action())
    assert "▾" in obs and "\n    [" in obs  # the open submenu, one level in
    date = next(
        i
        for i in range(TEST_TASKS)
        if make_task(0, i).kind == "date"
        and make_task(0, i).params["start"] != make_task(0, i).gold["date"][:7]
    )
    env.reset(options={"task_id": date})
    obs, _, _, _, info = env.step(env.unwrapped.oracle_action())
    assert info["url"].startswith("/?month=") and info["reward_terms"]["progress"] in (0.0, 0.5)


def test_bad_time_limit():
    with pytest.raises(ValueError, match="time_limit"):
        WebFormsEnv(time_limit=0)
