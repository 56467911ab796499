"""The rewardgym command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rewardgym.cli import main


def test_list_prints_every_env(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for env_id in ("rewardgym/CartPole-v1", "rewardgym/PendulumSparse-v0"):
        assert env_id in out


def test_info_shows_spaces_potentials_and_the_doc_page(capsys):
    assert main(["info", "Acrobot-v1"]) == 0
    out = capsys.readouterr().out
    assert "Discrete(3)" in out and "tip_height" in out and "## Episode end" in out


def test_wrong_id_suggests_the_right_one(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["info", "rewardgym/Acrobat-v1"])
    assert exc.value.code == 2
    assert "Did you mean: rewardgym/Acrobot-v1" in capsys.readouterr().out


def test_run_reports_returns_and_speed(capsys):
    assert main(["run", "rewardgym/MountainCar-v0", "--episodes", "2", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "-200.00" in out and "steps/s" in out


def test_run_with_an_agent_the_env_cannot_have(capsys):
    assert main(["run", "rewardgym/CartPole-v1", "--agent", "oracle"]) == 2
    assert "no oracle_action" in capsys.readouterr().out


def test_play_interactive_reads_actions_and_rejects_bad_ones():
    out = subprocess.run(
        [sys.executable, "-m", "rewardgym", "play", "rewardgym/CartPole-v1", "--interactive"],
        input="7\nleft\n1\n0\nq\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "expected an integer in [0, 2)" in out.stdout
    assert "step 2 action=0" in out.stdout


def test_play_continuous_env_parses_vectors():
    out = subprocess.run(
        [sys.executable, "-m", "rewardgym", "play", "rewardgym/Pendulum-v1", "--interactive"],
        input="0.5\n1 2\nq\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "step 1 action=[0.5]" in out.stdout and "expected 1 numbers" in out.stdout


def test_demo_prints_the_table_and_a_batched_rate(capsys):
    assert main(["demo", "--episodes", "1"]) == 0
    out = capsys.readouterr().out
    assert "random agent on every environment" in out
    assert "steps/s" in out and "rewardgym/Acrobot-v1" in out


def test_info_of_a_pettingzoo_env_shows_agents_and_its_module_doc(capsys):
    assert main(["info", "rewardgym/risk_v0"]) == 0
    out = capsys.readouterr().out
    assert "agents:" in out and "player_0" in out and "Discrete(" in out
    assert "# Risk" in out


def test_set_passes_constructor_arguments_and_reports_bad_ones(capsys):
    assert main(["run", "rewardgym/Pendulum-v1", "--episodes", "1", "--set", "g=9.81"]) == 0
    assert main(["run", "rewardgym/Pendulum-v1", "--set", "gravity=1"]) == 2
    assert "gravity" in capsys.readouterr().out
    assert main(["run", "rewardgym/Pendulum-v1", "--set", "g"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().out


TEXT_IDS = [
    "rewardgym/ToolCall-v0",
    "rewardgym/ToolAgent-v0",
    "rewardgym/TextQuest-v0",
    "rewardgym/Wordle-v0",
    "rewardgym/Mastermind-v0",
    "rewardgym/Hangman-v0",
    "rewardgym/Sokoban-v0",
    "rewardgym/WebShop-v0",
    "rewardgym/WebForms-v0",
]


@pytest.mark.parametrize("env_id", TEXT_IDS)
def test_play_text_envs_with_the_oracle_until_it_wins(env_id, capsys):
    assert main(["play", env_id, "--agent", "oracle", "--fps", "0", "--seed", "1"]) == 0
    assert "success=True)" in capsys.readouterr().out


@pytest.mark.parametrize("env_id", TEXT_IDS)
def test_play_text_envs_interactively_types_text_actions(env_id):
    out = subprocess.run(
        [sys.executable, "-m", "rewardgym", "play", env_id, "--interactive", "--fps", "0"],
        input="hello there\n\x00\x01 ; rm -rf /\nq\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "step 1 action='hello there'" in out.stdout
    # the hostile second line is played too (single-turn ToolCall has ended by then)
    assert "step 2" in out.stdout or "episode over" in out.stdout
