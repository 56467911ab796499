"""Smoke test of the risk benchmark (``--quick``, into a temp folder)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "risk.py"


def test_risk_benchmark_quick_writes_results(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--workers", "1", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    data = json.loads((tmp_path / "risk.json").read_text())
    assert (tmp_path / "risk.png").stat().st_size > 0
    rows = data["stag_hunt"]["rae_by_gamma"]
    assert rows[0]["gamma"] == 0.0 and rows[0]["near_stag_0.9"]["p_stag_row"] > 0.99
    assert rows[-1]["near_stag_0.9"]["p_stag_row"] < 0.01
    cat = data["catastrophe_games"]["presets"]["catastrophe"]
    assert cat["rae"]["variance"] < cat["nash"]["variance"]
    for part in ("intersection_exact", "intersection_rl"):
        crash = data[part]["crash_rate"]
        for solver in ("nash", "rae"):
            lo, hi = crash[solver]["ci95"]
            assert lo <= crash[solver]["mean"] <= hi
        assert "value" in crash["ratio_nash_over_rae"]
    assert data["oracle_note"]
