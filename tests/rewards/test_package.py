"""The rewardgym.rewards namespace: lazy re-exports that all resolve."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import rewardgym.rewards as R


@pytest.mark.parametrize("name", R.__all__)
def test_every_export_resolves(name):
    assert getattr(R, name) is not None


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        R.Nope  # noqa: B018


def test_importing_the_package_imports_no_submodule_and_no_torch():
    code = "import sys, json, rewardgym.rewards; json.dump(sorted(sys.modules), sys.stdout)"
    mods = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout
    )
    assert "torch" not in mods
    assert not [m for m in mods if m.startswith("rewardgym.rewards.")]
