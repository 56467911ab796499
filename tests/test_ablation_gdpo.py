"""Smoke test of the GRPO-vs-GDPO ablation script (``--quick``), and its scoring table
checked against the env."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "ablation_gdpo.py"


def load_script():
    spec = importlib.util.spec_from_file_location("ablation_gdpo", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_writes_both_arms(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--seeds", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((tmp_path / "ablation_gdpo.json").read_text())
    assert (tmp_path / "ablation_gdpo.png").stat().st_size > 0
    group = data["config"]["group"]
    for arm in ("grpo", "gdpo"):
        s = data["summary"][arm]
        assert 1.0 <= s["distinct_advantages_per_group"]["mean"] <= group
        assert 0.0 <= s["success"]["mean"] <= 1.0
    assert [r["arm"] for r in data["runs"]] == ["grpo", "gdpo"]
    assert 0.0 < data["random_test_success"] < 1.0


def test_the_table_holds_what_the_env_returns() -> None:
    mod = load_script()
    (task,) = mod.task_table("train", 1)
    env = gym.make("rewardgym/ToolCall-v0", action_mode="discrete")
    env.reset(seed=0)
    k = int(env.unwrapped.oracle_action())
    assert task["success"][k] and task["success"].sum() >= 1
    env.reset(seed=0)
    _, _, _, _, info = env.step(k)
    assert np.allclose(task["terms"][k], [info["reward_terms"][t] for t in mod.TERMS])
    assert task["features"].shape == (len(task["success"]), mod.PAIR_BINS + mod.TOOL_BINS + 7)
