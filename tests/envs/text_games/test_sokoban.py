"""Sokoban: levels, the solver, the reverse-play generator, the env and its oracle."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rewardgym  # noqa: F401 - registers the envs
from rewardgym.envs.text import ERROR_KINDS
from rewardgym.envs.text_games.sokoban import (
    LEVELS,
    SokobanEnv,
    SokobanLevel,
    SokobanSettings,
    _reverse_play,
    generate_level,
    solve,
)
from rewardgym.envs.text_games.word_games import DONT_UNDERSTAND

ID = "rewardgym/Sokoban-v0"

# Two boxes in a room where the order matters: the left box must go first.
TWO_BOXES = """
#######
#.    #
#.$$ @#
#     #
#######
"""


def replay(level: SokobanLevel, moves: list[str], pushes: list[int] | None = None) -> SokobanLevel:
    """Apply moves by the rules, failing on an illegal one; counts pushes into
    ``pushes[0]`` when given."""
    w = level.width
    offsets = {"u": -w, "d": w, "l": -1, "r": 1}
    boxes, player = set(level.boxes), level.player
    for move in moves:
        nxt = player + offsets[move]
        assert nxt not in level.walls, "walked into a wall"
        if nxt in boxes:
            dest = nxt + offsets[move]
            assert dest not in level.walls and dest not in boxes, "blocked push"
            boxes.remove(nxt)
            boxes.add(dest)
            if pushes is not None:
                pushes[0] += 1
        player = nxt
    return level.with_state(boxes, player)


# -- levels -------------------------------------------------------------------------


def test_level_text_round_trip():
    text = "######\n#@$. #\n# *  #\n######"
    level = SokobanLevel.from_text(text)
    assert level.to_text() == text
    assert level.width == 6 and level.height == 4
    assert len(level.boxes) == 2 and level.boxes_on_targets == 1 and not level.solved
    on_target = SokobanLevel.from_text("\n######\n#+$ *#\n######\n\n")
    assert on_target.player in on_target.targets and on_target.boxes_on_targets == 1
    assert on_target.to_text() == "######\n#+$ *#\n######"
    assert SokobanLevel.from_text("#####\n#@ *#\n#####").solved


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty"),
        ("#####\n#$..#\n#####", "one player"),
        ("#####\n#@$$.#\n#####", "as many boxes as targets"),
        ("#####\n#@ .#\n#####", "as many boxes as targets"),
        ("#####\n#@$.\n#####", "not enclosed"),
        ("#####\n#@$x#\n#####", "unknown character"),
        ("#####\n#@ .#\n#####\n#$###\n#####", "out of the player's area"),
    ],
)
def test_bad_levels_are_rejected_with_the_reason(text, match):
    with pytest.raises(ValueError, match=match):
        SokobanLevel.from_text(text)


# -- solver -------------------------------------------------------------------------


def test_solver_finds_the_order_that_works():
    level = SokobanLevel.from_text(TWO_BOXES)
    moves = solve(level)
    assert moves is not None and replay(level, moves).solved
    assert sum(1 for _ in moves) >= 4


def test_solver_reports_unsolvable_and_over_budget_levels():
    corner = SokobanLevel.from_text("#####\n#$ .#\n#  @#\n#####")
    assert solve(corner) is None  # the box is in a corner, off target
    blocked = SokobanLevel.from_text("######\n#@$$.#\n#   .#\n######")
    assert solve(blocked, max_nodes=100_000) is None
    level = SokobanLevel.from_text(TWO_BOXES)
    assert solve(level, max_nodes=1) is None
    assert solve(level.with_state(level.targets, level.player)) == []


def test_solver_is_push_optimal_on_a_corridor():
    level = SokobanLevel.from_text("#######\n#@ $ .#\n#######")
    assert solve(level) == ["r", "r", "r"]


# -- generator ----------------------------------------------------------------------


@pytest.mark.parametrize("difficulty", sorted(LEVELS))
def test_generated_levels_are_solvable_and_not_trivial(difficulty):
    settings_ = LEVELS[difficulty]
    n = 40 if difficulty != "hard" else 10
    for seed in range(n):
        level, moves = generate_level(np.random.default_rng(seed), settings_)
        assert (level.width, level.height) == (settings_.width, settings_.height)
        assert len(level.boxes) == settings_.num_boxes and not level.solved
        pushes = [0]
        assert replay(level, moves, pushes).solved, seed
        assert pushes[0] >= settings_.min_pushes
        # The level round-trips through its text.
        again = SokobanLevel.from_text(level.to_text())
        assert (again.boxes, again.targets, again.player) == (
            level.boxes,
            level.targets,
            level.player,
        )


def test_generation_is_a_function_of_the_generator_state():
    a = generate_level(np.random.default_rng(11))
    b = generate_level(np.random.default_rng(11))
    c = generate_level(np.random.default_rng(12))
    assert a == b and a[0] != c[0]


def test_undoing_the_reverse_walk_solves_the_level():
    rng = np.random.default_rng(0)
    room = SokobanLevel.from_text("########\n#*     #\n#   *  #\n#      #\n#    @ #\n########")
    assert room.solved
    for _ in range(20):
        played = _reverse_play(rng, room, 150)
        if played is None:
            continue
        score, level, certificate = played
        assert score > 0 and not level.solved
        assert replay(level, certificate).solved


def test_generator_settings_are_validated():
    with pytest.raises(ValueError, match="width and height"):
        SokobanSettings(width=3)
    with pytest.raises(ValueError, match="num_boxes"):
        SokobanSettings(width=6, height=6, num_boxes=9)
    with pytest.raises(ValueError, match="difficulty"):
        SokobanEnv(difficulty="insane")
    with pytest.raises(ValueError, match="max_candidates >= 4"):
        SokobanEnv(action_mode="discrete", max_candidates=2)


# -- env ----------------------------------------------------------------------------


def test_pushing_scores_boxes_on_and_off_targets():
    env = gym.make(ID)
    level = "#######\n#@$. .#\n#   $ #\n#######"
    _, info = env.reset(seed=0, options={"level": level})
    assert info["boxes_on_targets"] == 0 and info["num_boxes"] == 2
    _, reward, _, _, info = env.step("right")
    assert info["reward_terms"] == {"solved": 0.0, "boxes": 1.0, "invalid": 0.0}
    assert reward == pytest.approx(0.1) and info["pushes"] == 1
    _, reward, _, _, info = env.step("R")
    assert info["reward_terms"]["boxes"] == -1.0 and reward == pytest.approx(-0.1)
    assert "off its target" in info["caption"]


def test_walls_and_blocked_boxes_are_illegal_and_change_nothing():
    env = gym.make(ID, invalid_action_penalty=0.25)
    obs0, _ = env.reset(seed=0, options={"level": "######\n#@$$.#\n#   .#\n######"})
    _, reward, _, _, info = env.step("up")
    assert info["error"] == "illegal" and "wall" in info["error_message"]
    assert reward == -0.25 and info["moves"] == 0
    _, _, _, _, info = env.step("right")
    assert info["error"] == "illegal" and "another box" in info["error_message"]
    assert env.unwrapped.state.to_text() in obs0


@pytest.mark.parametrize("text", ["u", "UP", "  Up. ", "north", "N", "move up", "go up", "push up"])
def test_moves_are_read_in_many_spellings(text):
    env = gym.make(ID)
    env.reset(seed=0, options={"level": "#####\n# . #\n# $ #\n# @ #\n#####"})
    _, _, terminated, _, info = env.step(text)
    assert info["error"] is None and terminated and info["success"]


def test_deadlocks_are_flagged_and_can_end_the_episode():
    level = "######\n#    #\n# $ .#\n#  @ #\n######"
    env = gym.make(ID)
    env.reset(seed=0, options={"level": level})
    env.step("left")
    _, _, terminated, _, info = env.step("up")  # the box goes into the top wall row
    assert info["deadlock"] and not terminated and "lost" in info["caption"]
    env = gym.make(ID, end_on_deadlock=True)
    env.reset(seed=0, options={"level": level})
    env.step("left")
    _, _, terminated, _, info = env.step("up")
    assert terminated and not info["success"]


@pytest.mark.parametrize("mode", ["text", "discrete"])
def test_oracle_wins_every_generated_level(mode):
    env = gym.make(ID, action_mode=mode)
    for seed in range(100 if mode == "text" else 40):
        _, info = env.reset(seed=seed)
        already = info["boxes_on_targets"]
        total = 0.0
        for _ in range(200):
            action = env.unwrapped.oracle_action()
            _, reward, terminated, truncated, info = env.step(action)
            total += reward
            assert info["error"] is None
            if terminated or truncated:
                break
        assert terminated and info["success"], seed
        assert total == pytest.approx(1.0 + 0.1 * (info["num_boxes"] - already))


@pytest.mark.parametrize("difficulty", ["easy", "hard"])
def test_oracle_wins_other_difficulties(difficulty):
    env = gym.make(ID, difficulty=difficulty)
    for seed in range(8 if difficulty == "hard" else 20):
        env.reset(seed=seed)
        for _ in range(200):
            _, _, terminated, truncated, info = env.step(env.unwrapped.oracle_action())
            if terminated or truncated:
                break
        assert info["success"], seed


def test_oracle_replans_after_the_agent_wanders_off():
    env = gym.make(ID)
    rng = np.random.default_rng(0)
    wins = 0
    for seed in range(15):
        env.reset(seed=seed)
        for _ in range(6):  # a few random moves first
            env.step(["up", "down", "left", "right"][int(rng.integers(4))])
        if env.unwrapped.deadlock or solve(env.unwrapped.state, 10**6) is None:
            assert env.unwrapped.oracle_action() in ("up", "down", "left", "right")
            continue  # the wandering made it unsolvable
        for _ in range(200):
            _, _, terminated, truncated, info = env.step(env.unwrapped.oracle_action())
            if terminated or truncated:
                break
        assert info["success"], seed
        wins += 1
    assert wins >= 8


def test_discrete_mode_offers_the_four_moves():
    env = gym.make(ID, action_mode="discrete")
    obs, info = env.reset(seed=0)
    assert info["candidates"] == ["up", "down", "left", "right"]
    assert obs["action_mask"].sum() == 4


def test_observation_shows_the_grid_and_the_count():
    env = gym.make(ID)
    obs, info = env.reset(seed=3)
    grid = env.unwrapped.state.to_text()
    assert grid in obs and f"Boxes on targets: {info['boxes_on_targets']}/2" in obs
    assert set(grid) <= set("#.$@*+ \n")


HOSTILE = [
    "",
    "x" * 6000,
    "; rm -rf / #",
    "up; down",
    "$(reboot)",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "\x1b[2J",
    "上",
    "\ud800",
    "uuuu",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_gets_i_dont_understand(text):
    env = gym.make(ID)
    env.reset(seed=0)
    obs, reward, terminated, _, info = env.step(text)
    assert info["error"] == "parse" and DONT_UNDERSTAND in info["caption"]
    assert DONT_UNDERSTAND in obs and reward == -1.0 and not terminated


@settings(max_examples=80, deadline=None)
@given(action=st.one_of(st.text(max_size=100), st.binary(max_size=10), st.integers(), st.none()))
def test_hostile_input_never_raises(action):
    env = SokobanEnv()
    env.reset(seed=1)
    obs, _, _, _, info = env.step(action)
    assert isinstance(obs, str) and env.observation_space.contains(obs)
    assert info["error"] in (None, *ERROR_KINDS)
    if info["error"] == "parse":
        assert DONT_UNDERSTAND in info["caption"]


def test_bad_level_option_raises():
    env = gym.make(ID)
    with pytest.raises(ValueError, match="not a playable level"):
        env.reset(seed=0, options={"level": "#@#"})
