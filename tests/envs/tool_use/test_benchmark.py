"""Smoke test of the tool-use throughput benchmark (``--quick``, into a temp folder)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "tool_use_throughput.py"


def test_tool_use_benchmark_quick_writes_results(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    data = json.loads((tmp_path / "tool_use_throughput.json").read_text())
    assert (tmp_path / "tool_use_throughput.png").stat().st_size > 0
    assert set(data) >= {
        "tool_call_steps_per_s",
        "episodes_per_s",
        "pass_hat_k",
        "target",
        "value",
        "met",
    }
    assert data["target"] == 2000.0 and data["value"] > 0
    for domain in ("retail", "travel", "banking"):
        assert data["tool_call_steps_per_s"][domain]["gym.make"]["best"] > 0
    for name in ("ToolCall-v0", "ToolAgent-v0"):
        for mode in ("text", "discrete"):
            res = data["pass_hat_k"][name][mode]
            assert res["oracle"]["pass^1"] == 1.0 and res["oracle"]["pass^2"] == 1.0
            assert res["random"]["pass^1"] < 0.2
