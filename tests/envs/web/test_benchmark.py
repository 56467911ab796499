"""Smoke test of benchmarks/web_throughput.py (``--quick``, into a temp folder)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "web_throughput.py"


def test_web_throughput_quick_writes_results(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    data = json.loads((tmp_path / "web_throughput.json").read_text())
    assert (tmp_path / "web_throughput.png").stat().st_size > 0
    rows = {(r["env"], r["backend"]): r for r in data["rows"]}
    for env_id in ("rewardgym/WebShop-v0", "rewardgym/WebForms-v0"):
        row = rows[(env_id, "inprocess")]
        assert row["best_steps_per_s"] > 0 and row["oracle_success_rate"] == 1.0
        assert row["same_outcomes_as_recorded"]
        browser = rows[(env_id, "browser")]
        ratio = data["ratio_inprocess_vs_browser"][env_id.split("/")[1]]
        assert set(ratio) >= {"value", "target", "met"}
        if "skipped" not in browser:
            assert browser["oracle_success_rate"] == 1.0 and browser["same_outcomes_as_recorded"]
            assert ratio["value"] > 0
