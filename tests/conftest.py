"""Shared test settings."""

from __future__ import annotations

import os

# Tests of the CUDA simulator run in subprocesses that set NUMBA_ENABLE_CUDASIM
# themselves; the test process itself must not run under the simulator.
os.environ.pop("NUMBA_ENABLE_CUDASIM", None)
