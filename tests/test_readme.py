"""Every code block of the README runs as written."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```(python|bash)\n(.*?)```", README.read_text(), flags=re.S)
PYTHON = [code for lang, code in BLOCKS if lang == "python"]
COMMANDS = [
    line.split("#")[0].strip()
    for lang, code in BLOCKS
    if lang == "bash"
    for line in code.splitlines()
    if line.strip().startswith("rewardgym ")
]


def test_readme_has_examples():
    assert len(PYTHON) >= 5
    assert len(COMMANDS) >= 5


# Blocks that start Ray share the xdist group of the Ray tests: one local instance at a time.
BLOCK_PARAMS = [
    pytest.param(i, marks=pytest.mark.xdist_group("ray")) if "ray" in code else i
    for i, code in enumerate(PYTHON)
]


@pytest.mark.parametrize("index", BLOCK_PARAMS)
def test_readme_python_block_runs(index, capsys):
    exec(compile(PYTHON[index], f"README.md block {index}", "exec"), {"__name__": "__readme__"})


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_cli_command_runs(command):
    args = shlex.split(command)[1:]
    if args[0] == "play":
        args += ["--fps", "0", "--max-steps", "3"]
    out = subprocess.run(
        [sys.executable, "-m", "rewardgym", *args],
        input="2\n0\nq\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()
