"""The examples in the docstrings (each env's doc page among them) run as written."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import rewardgym
import rewardgym.agents
import rewardgym.envs
import rewardgym.rewards

# _cuda needs a GPU or the simulator (tested in tests/envs/control/test_cuda.py);
# __main__ runs the CLI on import.
SKIP = {"rewardgym.__main__", "rewardgym.envs.control._cuda"}
PACKAGES = (rewardgym, rewardgym.envs, rewardgym.rewards, rewardgym.agents)
MODULES = sorted(
    {
        m.name
        for pkg in PACKAGES
        for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")
        if m.name not in SKIP
    }
    | {pkg.__name__ for pkg in PACKAGES}
)


def test_every_package_module_is_found():
    assert "rewardgym.envs.control.cartpole" in MODULES
    assert "rewardgym.rewards.terms" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
