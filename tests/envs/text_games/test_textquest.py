"""TextQuestEnv: the oracle, the rewards, the info contract, the harness, the CLI
and the benchmark script."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from rewardgym import testing
from rewardgym.cli import main as cli_main
from rewardgym.envs.text_games.quest_world import FOOD, generate_world
from rewardgym.envs.text_games.textquest import TextQuestEnv
from rewardgym.rewards.terms import InfoTerm
from rewardgym.rewards.wrappers import RewardWrapper

ID = "rewardgym/TextQuest-v0"
ROOT = Path(__file__).resolve().parents[3]


def _play_oracle(env, seed, mode):
    _, info = env.reset(seed=seed)
    q = env.unwrapped
    start = q.plan_length()
    rewards, subgoals, steps = [], [], 0
    terminated = truncated = False
    while not (terminated or truncated):
        action = q.oracle_action()
        if mode == "discrete":
            assert info["action_mask"][action] == 1
        _, _, terminated, truncated, info = env.step(action)
        assert info["error"] is None, (seed, action, info["error_message"])
        rewards.append(info["reward_terms"]["intermediate"])
        subgoals.append(info["reward_terms"]["subgoals"])
        steps += 1
    return start, steps, rewards, subgoals, info


@pytest.mark.parametrize("mode", ["text", "discrete"])
def test_oracle_wins_every_instance_at_the_default_difficulty(mode):
    env = gym.make(ID, action_mode=mode)
    for seed in range(200):
        start, steps, rewards, subgoals, info = _play_oracle(env, seed, mode)
        assert info["success"], seed
        assert steps == start, seed
        # the intermediate reward is +1 on every step of an optimal plan
        assert rewards == [1.0] * steps, seed
        assert all(s >= 0 for s in subgoals) and sum(subgoals) == pytest.approx(1.0)


@pytest.mark.parametrize("difficulty", ["easy", "hard", 10])
def test_oracle_wins_at_other_difficulties(difficulty):
    env = gym.make(ID, difficulty=difficulty)
    for seed in range(15):
        start, steps, rewards, _, info = _play_oracle(env, seed, "text")
        assert info["success"] and steps == start and sum(rewards) == start


def test_intermediate_reward_is_negative_when_walking_away():
    env = gym.make(ID, reward="intermediate")
    seen = 0
    for seed in range(40):
        env.reset(seed=seed)
        q = env.unwrapped
        before = q.plan_length()
        best = q._oracle_text()
        for cmd in env.unwrapped._game.admissible()[0]:
            if cmd.startswith("go ") and cmd != best:
                _, reward, _, _, info = env.step(cmd)
                assert q.plan_length() == before + 1
                assert reward == info["reward_terms"]["intermediate"] == -1.0
                # and coming back is a step along the plan again
                back = q._oracle_text()
                _, reward, _, _, _ = env.step(back)
                assert reward == 1.0 and q.plan_length() == before
                seen += 1
                break
    assert seen >= 10


def test_commands_that_change_nothing_give_zero_intermediate_reward():
    env = gym.make(ID, reward="intermediate")
    env.reset(seed=3)
    for cmd in ("look", "inventory", "dance", "take the unicorn"):
        _, reward, _, _, info = env.step(cmd)
        assert reward == 0.0 and info["reward_terms"]["intermediate"] == 0.0


def test_eating_the_quest_item_loses():
    env = gym.make(ID, reward="intermediate")
    for seed in range(300):
        env.reset(seed=seed)
        w = env.unwrapped.world
        if w.goal_kind == "put" and w.kinds[w.goal_item] == FOOD:
            break
    else:
        pytest.fail("no world whose quest item is food to put somewhere")
    q = env.unwrapped
    item = w.names[w.goal_item]
    while not q._oracle_text().startswith("put "):
        env.step(q._oracle_text())
    obs, reward, terminated, truncated, info = env.step(f"eat the {item}")
    assert terminated and not truncated and not info["success"]
    assert reward == -1.0 and info["reward_terms"]["sparse"] == 0.0
    assert "You lost" in obs and info["admissible_commands"] == []
    _, _, _, _, info = env.step("look")
    assert info["error"] == "illegal" and "game is over" in info["error_message"]


@pytest.mark.parametrize("reward", ["sparse", "intermediate", "subgoals"])
def test_reward_argument_selects_the_scalar_and_logs_every_term(reward):
    env = gym.make(ID, reward=reward, invalid_action_penalty=0.25)
    env.reset(seed=5)
    q = env.unwrapped
    expected = {"sparse": 1.0, "subgoals": 1.0, "intermediate": float(q.plan_length())}[reward]
    total = 0.0
    terminated = False
    while not terminated:
        _, r, terminated, _, info = env.step(q.oracle_action())
        assert set(info["reward_terms"]) == {"sparse", "intermediate", "subgoals", "invalid"}
        assert r == info["reward_terms"][reward]
        total += r
    assert total == pytest.approx(expected)
    env.reset(seed=5)
    _, r, _, _, info = env.step("xyzzy")
    assert r == -0.25 and info["reward_terms"]["invalid"] == -0.25


def test_invalid_arguments_say_what_to_pass():
    with pytest.raises(ValueError, match="reward must be one of"):
        TextQuestEnv(reward="dense")
    with pytest.raises(ValueError, match="difficulty"):
        TextQuestEnv(difficulty="nightmare")
    with pytest.raises(ValueError, match="action_mode"):
        TextQuestEnv(action_mode="json")
    env = TextQuestEnv()
    with pytest.raises(ValueError, match="World"):
        env.reset(options={"world": "a castle"})
    with pytest.raises(RuntimeError, match="reset"):
        TextQuestEnv().step("look")


def test_info_contract_and_caption():
    env = gym.make(ID)
    obs, info = env.reset(seed=11)
    assert obs.startswith("Welcome to TextQuest!") and info["objective"] in obs
    assert isinstance(info["world_seed"], int) and info["admissible_commands"]
    obs, _, _, _, info = env.step("look")
    assert obs == info["caption"] == info["text"] and obs.startswith("-= ")
    assert set(info) >= {"success", "error", "error_message", "caption", "reward_terms", "text"}
    assert info["admissible_commands"][-2:] == ["look", "inventory"]


def test_world_seed_option_replays_a_world():
    env = gym.make(ID)
    obs, info = env.reset(seed=4)
    obs2, info2 = env.reset(seed=99, options={"world_seed": info["world_seed"]})
    assert obs2 == obs and info2["admissible_commands"] == info["admissible_commands"]
    world = generate_world(123, "medium")
    _, info3 = env.reset(options={"world": world})
    assert info3["world_seed"] == 123


def test_discrete_mode_offers_the_admissible_commands():
    env = gym.make(ID, action_mode="discrete")
    obs, info = env.reset(seed=2)
    assert env.action_space.n == 64
    assert info["candidates"] == env.unwrapped._game.admissible()[0][:64]
    assert obs["action_mask"].sum() == len(info["candidates"])
    go = next(i for i, c in enumerate(info["candidates"]) if c.startswith("go "))
    _, _, _, _, info = env.step(np.int64(go))
    assert info["error"] is None and info["caption"].startswith("-= ")
    assert gym.make(ID, difficulty="hard", action_mode="discrete").action_space.n == 128


def test_admissible_list_is_bounded_and_ordered_in_long_random_walks():
    env = gym.make(ID, difficulty="hard", max_episode_steps=400)
    rng = np.random.default_rng(0)
    _, info = env.reset(seed=0)
    order = ("go ", "open ", "close ", "unlock ", "lock ", "take ", "eat ", "put ", "drop ",
             "examine ", "look", "inventory")  # fmt: skip
    q = env.unwrapped
    longest = 0
    for _ in range(1500):
        cmds = info["admissible_commands"]
        longest = max(longest, len(cmds))
        groups = [next(i for i, p in enumerate(order) if c.startswith(p)) for c in cmds]
        # open/close/unlock/lock interleave per door; the other groups come in order
        coarse = [1 if 1 <= g <= 4 else g for g in groups]
        assert coarse == sorted(coarse)
        if not q._over:
            assert q._oracle_text() in cmds[: q.max_candidates]
        _, _, terminated, truncated, info = env.step(cmds[int(rng.integers(len(cmds)))])
        if terminated or truncated:
            _, info = env.reset()
    assert longest > 10


@pytest.mark.parametrize("mode", ["text", "discrete"])
def test_harness_passes(mode):
    testing.check_gymnasium_env(ID, action_mode=mode, difficulty="hard")
    testing.check_determinism(ID, steps=300, action_mode=mode, difficulty="easy")
    testing.check_pickle(ID, action_mode=mode)


def test_pickled_env_continues_identically():
    env = gym.make(ID)
    env.reset(seed=8)
    for _ in range(5):
        env.step(env.unwrapped.oracle_action())
    clone = pickle.loads(pickle.dumps(env))
    for _ in range(3):
        a = env.step(env.unwrapped.oracle_action())
        b = clone.step(clone.unwrapped.oracle_action())
        testing.assert_same(a, b)


def test_moves_through_doors_need_them_open():
    env = gym.make(ID)
    for seed in range(100):
        env.reset(seed=seed)
        q = env.unwrapped
        for d, _, door in q.world.exits[q._game.room]:
            if door >= 0 and q._game.lock[door] != 0:
                name = q.world.names[door]
                _, _, _, _, info = env.step(["north", "east", "south", "west"][d])
                assert info["error"] == "illegal" and name in info["error_message"]
                _, _, _, _, info = env.step(f"go through the {name}")
                assert info["error"] == "illegal"
                return
    pytest.fail("no start room with a closed door")


def test_reward_wrapper_composes_logged_terms():
    env = RewardWrapper(
        gym.make(ID), (InfoTerm("sparse") + 0.1 * InfoTerm("intermediate")).named("total")
    )
    env.reset(seed=6)
    total = 0.0
    terminated = False
    steps = 0
    while not terminated:
        _, r, terminated, _, info = env.step(env.unwrapped.oracle_action())
        assert r == pytest.approx(
            info["reward_terms"]["sparse"] + 0.1 * info["reward_terms"]["intermediate"]
        )
        assert info["reward_terms"]["total"] == pytest.approx(r)
        total += r
        steps += 1
    assert total == pytest.approx(1.0 + 0.1 * steps)


def test_cli_play_with_the_oracle_completes_a_game(capsys):
    assert cli_main(["play", ID, "--agent", "oracle", "--fps", "0", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "*** You won!" in out and "episode over (terminated, success=True)" in out


def test_oracle_agent_runs_through_the_runner():
    from rewardgym.agents.runner import run_episodes

    stats = run_episodes(ID, "oracle", episodes=5, seed=0)
    assert stats.success_rate == 1.0


def test_envs_do_not_share_state():
    a, b = gym.make(ID), gym.make(ID)
    a.reset(seed=0)
    b.reset(seed=0)
    assert a.unwrapped.world == b.unwrapped.world
    a.step(a.unwrapped.oracle_action())
    assert a.unwrapped._game.state_key() != b.unwrapped._game.state_key()
    assert b.unwrapped._game.room == b.unwrapped.world.start_room


def test_benchmark_quick_writes_results(tmp_path):
    script = ROOT / "benchmarks" / "text_games_throughput.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((tmp_path / "text_games_throughput.json").read_text())
    default = data["textquest_default"]
    assert default["value"] > 0 and default["target"] == 20_000 and "met" in default
    assert any(r["mode"] == "discrete" for r in data["rows"])
    assert (tmp_path / "text_games_throughput.png").stat().st_size > 0
