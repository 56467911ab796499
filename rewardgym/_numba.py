"""Numba settings shared by the modules that compile kernels (kept free of Numba
imports so it is cheap to import)."""

from __future__ import annotations

import os


def cache_enabled(module_file: str) -> bool:
    """Whether ``@njit(cache=True)`` can work for the module at ``module_file``.

    Numba writes its cache to ``__pycache__`` beside the module, or under
    ``NUMBA_CACHE_DIR``, or in a user-wide directory under the home cache; when none
    is writable it raises at import ("no locator available"). ``REWARDGYM_NUMBA_CACHE=0``
    turns caching off.
    """
    if os.environ.get("REWARDGYM_NUMBA_CACHE", "1") == "0":
        return False
    if os.environ.get("NUMBA_CACHE_DIR"):
        return True
    here = os.path.dirname(os.path.abspath(module_file))
    pycache = os.path.join(here, "__pycache__")
    if os.access(pycache if os.path.isdir(pycache) else here, os.W_OK):
        return True
    home_cache = os.path.join(os.path.expanduser("~"), ".cache")
    probe = home_cache if os.path.isdir(home_cache) else os.path.expanduser("~")
    return os.access(probe, os.W_OK)
