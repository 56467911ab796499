"""CUDA backend of the control vector envs: one thread per env, state on the device.

The kernels run the same row functions as the CPU kernels (:mod:`._kernels`),
compiled as CUDA device functions, so the transitions are those of the CPU backend.
Imported only when a vector env is made with ``backend="cuda"``.

Without a GPU, set ``NUMBA_ENABLE_CUDASIM=1`` before Numba is imported to run the
kernels in Numba's CUDA simulator (slow; for tests with small N).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from . import _kernels as K

try:
    from numba import cuda
except ImportError as exc:  # pragma: no cover - numba always ships numba.cuda or numba-cuda
    raise ImportError(
        "backend='cuda' needs numba.cuda; install the extra: pip install 'rewardgym[cuda]'"
    ) from exc

SIMULATOR = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") == "1"
THREADS_PER_BLOCK = 32 if SIMULATOR else 256

_step_row_dev = cuda.jit(device=True, inline="always")(K._step_row_py)
_reset_row_dev = cuda.jit(device=True, inline="always")(K._reset_row_py)


def _step_kernel_py(
    task, mode, max_steps, state, act, obs, rew, term, trunc, elapsed, prev_done, rng,
    final_obs, has_final, p, lo, hi,
):  # fmt: skip
    i: int = cuda.grid(1)  # type: ignore[call-arg]  # Numba's stub omits the 1-d form
    if i < state.shape[0]:
        _step_row_dev(
            i, task, mode, max_steps, state, act, obs, rew, term, trunc, elapsed, prev_done,
            rng, final_obs, has_final, p, lo, hi,
        )  # fmt: skip


def _reset_kernel_py(task, draw, mask, state, obs, rng, elapsed, prev_done, lo, hi):
    i: int = cuda.grid(1)  # type: ignore[call-arg]  # Numba's stub omits the 1-d form
    if i < state.shape[0] and mask[i]:
        _reset_row_dev(i, task, draw, state, obs, rng, elapsed, prev_done, lo, hi)


def _check_discrete_py(act, n, bad):
    i: int = cuda.grid(1)  # type: ignore[call-arg]  # Numba's stub omits the 1-d form
    if i < act.shape[0] and (act[i] < 0 or act[i] >= n):
        cuda.atomic.min(bad, 0, i)


def _check_finite_py(act, bad):
    i: int = cuda.grid(1)  # type: ignore[call-arg]  # Numba's stub omits the 1-d form
    if i < act.shape[0]:
        a = act[i]
        if a != a or a - a != 0:  # NaN or +-inf
            cuda.atomic.min(bad, 0, i)


step_kernel = cuda.jit(_step_kernel_py)
reset_kernel = cuda.jit(_reset_kernel_py)
check_discrete_kernel = cuda.jit(_check_discrete_py)
check_finite_kernel = cuda.jit(_check_finite_py)

#: Python functions and argument types of every kernel, for ``cuda.compile_ptx``.
KERNEL_SOURCES = {
    "step": _step_kernel_py,
    "reset": _reset_kernel_py,
    "check_discrete": _check_discrete_py,
    "check_finite": _check_finite_py,
}


def kernel_signatures(discrete: bool) -> dict[str, tuple[Any, ...]]:
    """Numba argument types of each kernel (``discrete`` picks the action dtype)."""
    from numba import types

    f64_2 = types.float64[:, ::1]
    f32_2 = types.float32[:, ::1]
    act = types.int64[::1] if discrete else types.float32[::1]
    step = (
        types.int64, types.int64, types.int64, f64_2, act, f32_2, types.float64[::1],
        types.boolean[::1], types.boolean[::1], types.int64[::1], types.boolean[::1],
        types.uint64[:, ::1], f32_2, types.boolean[::1], types.float64[::1],
        types.float64[::1], types.float64[::1],
    )  # fmt: skip
    reset = (
        types.int64, types.boolean, types.boolean[::1], f64_2, f32_2, types.uint64[:, ::1],
        types.int64[::1], types.boolean[::1], types.float64[::1], types.float64[::1],
    )  # fmt: skip
    sigs: dict[str, tuple[Any, ...]] = {"step": step, "reset": reset}
    if discrete:
        sigs["check_discrete"] = (types.int64[::1], types.int64, types.int64[::1])
    else:
        sigs["check_finite"] = (types.float32[::1], types.int64[::1])
    return sigs


def _require_device() -> None:
    if SIMULATOR:
        return
    if not cuda.is_available():
        raise RuntimeError(
            "backend='cuda' needs an NVIDIA GPU with a working driver (numba.cuda found "
            "none). Use backend='cpu', or set NUMBA_ENABLE_CUDASIM=1 before importing "
            "numba to run the kernels in the CUDA simulator."
        )


def _is_torch_tensor(x: Any) -> bool:
    return type(x).__module__.startswith("torch") and hasattr(x, "detach")


class CudaBuffers:
    """Device buffers of a vector env and the launches that step them."""

    def __init__(self, host: dict[str, np.ndarray]):
        _require_device()
        self.n = host["state"].shape[0]
        self.d = {k: cuda.to_device(np.ascontiguousarray(v)) for k, v in host.items()}
        self.blocks = (self.n + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK
        self._bad = cuda.to_device(np.array([self.n], dtype=np.int64))
        self._all = cuda.to_device(np.ones(self.n, dtype=np.bool_))

    def __getitem__(self, key: str) -> Any:
        return self.d[key]

    def host(self, key: str) -> np.ndarray:
        return np.asarray(self.d[key].copy_to_host())

    def output(self, key: str, as_torch: bool) -> Any:
        arr = self.d[key]
        if as_torch:
            import torch

            return torch.as_tensor(arr, device="cuda")
        return arr

    def reset(
        self,
        task: int,
        lo: np.ndarray | None,
        hi: np.ndarray | None,
        seeds: np.ndarray | None,
        mask: np.ndarray | None,
        full_state: np.ndarray | None,
    ) -> None:
        d = self.d
        if lo is not None and hi is not None:
            d["lo"].copy_to_device(np.ascontiguousarray(lo, dtype=np.float64))
            d["hi"].copy_to_device(np.ascontiguousarray(hi, dtype=np.float64))
        if seeds is not None:
            if mask is not None:
                current = d["rng"].copy_to_host()
                current[mask] = seeds[mask]
                seeds = current
            d["rng"].copy_to_device(np.ascontiguousarray(seeds))
        if full_state is not None:
            d["state"].copy_to_device(np.ascontiguousarray(full_state))
            d["elapsed"].copy_to_device(np.zeros(self.n, dtype=np.int64))
            d["prev_done"].copy_to_device(np.zeros(self.n, dtype=np.bool_))
        dmask = self._all if mask is None else cuda.to_device(np.ascontiguousarray(mask))
        reset_kernel[self.blocks, THREADS_PER_BLOCK](
            task, full_state is None, dmask, d["state"], d["obs"], d["rng"], d["elapsed"],
            d["prev_done"], d["lo"], d["hi"],
        )  # fmt: skip

    def check_actions(self, actions: Any, discrete: bool, space: Any, validate: bool) -> Any:
        n = self.n
        want_dtype = np.int64 if discrete else np.float32
        want_shape = (n,) if discrete else (n, 1)
        if _is_torch_tensor(actions):
            t = actions.detach()
            actions = cuda.as_cuda_array(t.contiguous()) if t.is_cuda else t.numpy()
        if hasattr(actions, "__cuda_array_interface__") or hasattr(actions, "copy_to_host"):
            dev = actions if hasattr(actions, "copy_to_host") else cuda.as_cuda_array(actions)
            if tuple(dev.shape) != want_shape:
                raise ValueError(f"actions must have shape {want_shape}, got {tuple(dev.shape)}")
            if np.dtype(dev.dtype) != want_dtype:
                raise TypeError(
                    f"device actions must be {np.dtype(want_dtype).name}, got {dev.dtype}; "
                    "convert them on the device before stepping"
                )
            dev = dev.reshape(n) if not discrete else dev
        else:
            from .core import host_actions

            dev = cuda.to_device(host_actions(actions, discrete, n))
        if not validate:
            return dev
        self._bad.copy_to_device(np.array([n], dtype=np.int64))
        if discrete:
            check_discrete_kernel[self.blocks, THREADS_PER_BLOCK](dev, space.n, self._bad)
        else:
            check_finite_kernel[self.blocks, THREADS_PER_BLOCK](dev, self._bad)
        bad = int(self._bad.copy_to_host()[0])
        if bad < n:
            value = dev[bad : bad + 1].copy_to_host()[0]
            if discrete:
                raise ValueError(
                    f"action {value} of env {bad} is out of range: expected an integer in "
                    f"[0, {space.n})"
                )
            raise ValueError(f"action of env {bad} is not finite: {value}")
        return dev

    def step(self, task: int, mode: int, max_steps: int, act: Any) -> None:
        d = self.d
        step_kernel[self.blocks, THREADS_PER_BLOCK](
            task, mode, max_steps, d["state"], act, d["obs"], d["rew"], d["term"], d["trunc"],
            d["elapsed"], d["prev_done"], d["rng"], d["final_obs"], d["has_final"], d["p"],
            d["lo"], d["hi"],
        )  # fmt: skip
