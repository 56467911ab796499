"""Smoke test of the text-game bonus ablation (``--quick``): every arm trains and is
evaluated, the LLM arm's judge answers, and the count term counts captions."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "ablation_text_bonus.py"


def test_quick_run_covers_every_arm(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--difficulty", "easy", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((tmp_path / "ablation_text_bonus.json").read_text())
    assert (tmp_path / "ablation_text_bonus.png").stat().st_size > 0
    assert [r["arm"] for r in data["runs"]] == ["none", "count", "llm"]
    for r in data["runs"]:
        assert 0.0 <= r["eval"]["success"] <= 1.0 and r["eval"]["length"] >= 1
    llm = data["runs"][2]["annotation"]
    assert llm["failed"] == 0 and llm["queued"] > 0
    assert data["goal"]


def test_count_term_gives_one_over_sqrt_of_the_caption_count() -> None:
    spec = importlib.util.spec_from_file_location("ablation_text_bonus", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    env = mod.FixedWorld(gym.make("rewardgym/TextQuest-v0", difficulty="easy"), 1)
    from rewardgym.rewards import RewardWrapper

    env = RewardWrapper(env, mod.caption_count_term(1.0))
    env.reset(seed=0)
    seen = []
    for _ in range(3):  # the same refused command: the same caption each time
        *_, info = env.step("xyzzy")
        seen.append(info["reward_terms"]["count"])
    assert np.allclose(seen, [1.0, 1 / np.sqrt(2), 1 / np.sqrt(3)])
