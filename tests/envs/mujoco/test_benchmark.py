"""Smoke test of the MuJoCo throughput benchmark (``--quick``, into a temp folder)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("rewardgym.envs.mujoco._core")

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "mujoco_throughput.py"


def test_mujoco_throughput_quick_writes_results(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    data = json.loads((tmp_path / "mujoco_throughput.json").read_text())
    assert (tmp_path / "mujoco_throughput.png").stat().st_size > 0
    assert data["quick"] is True and data["ns"] == [1, 4]
    (task,) = data["tasks"]
    rows = data["tasks"][task]
    for impl in (
        "rewardgym",
        "rewardgym (1 thread)",
        "batch (no shell)",
        "single-env loop",
        "gymnasium sync",
        "gymnasium async",
    ):
        for n in ("1", "4"):
            assert rows[impl][n]["best"] > 0, (impl, n, rows[impl][n])
    ratios = data["ratios"][task]
    assert set(ratios) == {"vs_single_env", "vs_async"}
    assert ratios["vs_single_env"]["target"] == 2.0 and ratios["vs_async"]["target"] == 3.0
