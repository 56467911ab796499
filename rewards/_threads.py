"""When the reward kernels may run Numba ``prange`` loops.

The GNU OpenMP runtime does not survive a fork once its thread pool exists: a child
forked after a parallel region hangs or dies in its first one. Any parallel region in
the process counts, the control envs' kernels included, so this module tracks its own
kernels and asks the control envs' shell (when it is loaded) about theirs. A process
forked after either ran a parallel region runs the serial kernels, which give the same
results on one core.
"""

from __future__ import annotations

import os
import sys

#: Below this many rows the serial kernels run: a parallel launch costs a few
#: microseconds, more than the work on a small batch.
PARALLEL_MIN_ROWS = 2048

_USED = False
_FORKED_AFTER_USE = False


def _after_fork_in_child() -> None:
    global _FORKED_AFTER_USE
    if _USED or _envs_used_parallel():
        _FORKED_AFTER_USE = True


def _envs_used_parallel() -> bool:
    core = sys.modules.get("rewardgym.envs.control.core")
    return bool(getattr(core, "_PARALLEL_USED", False))


os.register_at_fork(after_in_child=_after_fork_in_child)


def use_parallel(rows: int) -> bool:
    """Whether a kernel over ``rows`` rows should take its parallel variant (and
    record that a parallel region ran)."""
    global _USED
    if rows < PARALLEL_MIN_ROWS or _FORKED_AFTER_USE:
        return False
    core = sys.modules.get("rewardgym.envs.control.core")
    if core is not None and not core.parallel_allowed():
        return False
    _USED = True
    return True
