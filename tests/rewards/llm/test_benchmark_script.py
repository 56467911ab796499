"""Smoke test of the LLM-bonus benchmark script at a tiny budget (into a temp folder)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "llm_bonus.py"


def test_llm_bonus_benchmark_writes_results(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--cycles", "1", "--windows", "1", "--seconds", "0.1",
         "--warmup", "10", "--no-embedded", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = json.loads((tmp_path / "llm_bonus.json").read_text())
    assert set(data["rows"]) == {
        "no bonus",
        "async server, retrieval",
        "async server, classification",
        "async server, ranking",
    }
    assert data["rows"]["no bonus"]["ratio_to_no_bonus"] == 1.0
    for row in data["rows"].values():
        assert row["median_steps_per_s"] > 0
    assert data["rows"]["async server, retrieval"]["service_at_end_of_last_cycle"]["calls"] >= 0
    assert set(data["target_ratio"]) == {"value", "target", "met"}
    assert (tmp_path / "llm_bonus.png").stat().st_size > 0
