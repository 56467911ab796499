"""Smoke test of the throughput benchmark script (``--quick``, into a temp folder)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "throughput.py"


def test_throughput_quick_writes_results(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--quick",
            "--out",
            str(tmp_path),
            "--families",
            "text_games",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    data = json.loads((tmp_path / "throughput.json").read_text())
    assert (tmp_path / "throughput.png").stat().st_size > 0
    assert data["cartpole"]["rewardgym"]["64"]["best"] > 0
    assert data["cartpole"]["rewardgym (copy=False)"]["64"]["best"] > 0
    ratios = data["ratios"]
    for key in (
        "cartpole_rewardgym_vs_gymnasium_vector",
        "cartpole_rewardgym_vs_envpool",
        "single_env_rewardgym_vs_gymnasium",
        "mountaincar_rewardgym_vs_sync",
        "acrobot_rewardgym_vs_sync",
        "pendulum_rewardgym_vs_sync",
        "fraction_of_bare_kernel_N64",
    ):
        assert key in ratios, key
        assert set(ratios[key]) >= {"value", "target", "met"}
    # The other families run through their own scripts; their targets are gathered.
    family = data["families"]["text_games"]
    assert (tmp_path / "text_games_throughput.json").exists()
    target = family["targets"]["textquest_default_steps_per_s"]
    assert target["value"] > 0 and target["target"] == 20_000


def test_cuda_benchmark_runs_in_the_simulator(tmp_path: Path) -> None:
    script = SCRIPT.with_name("throughput_cuda.py")
    proc = subprocess.run(
        [sys.executable, str(script), "--simulate", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = json.loads((tmp_path / "throughput_cuda.json").read_text())
    (row,) = data["rows"]
    assert row["num_envs"] == 64
    for key in ("env", "env (validated)", "bare kernel", "fraction of bandwidth floor"):
        assert row[key] > 0, key
    assert data["bytes_per_step"] == 116


def test_rewards_overhead_benchmark_runs(tmp_path: Path) -> None:
    script = SCRIPT.with_name("rewards_overhead.py")
    proc = subprocess.run(
        [sys.executable, str(script), "--num-envs", "32", "--windows", "1", "--seconds", "0.05",
         "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = json.loads((tmp_path / "rewards_overhead.json").read_text())
    row = data["rows"]["32"]
    assert set(row) == {
        "bare",
        "+ logging",
        "+ shaping",
        "+ shaping + normalization",
        "+ SimHash keys",
        "+ count bonus",
        "full stack",
        "full stack, NumPy path",
    }
    assert row["bare"]["ratio_to_bare"] == 1.0
    assert data["full_stack_ratio"]["n"] == 32 and "met" in data["full_stack_ratio"]
    assert (tmp_path / "rewards_overhead.png").stat().st_size > 0
