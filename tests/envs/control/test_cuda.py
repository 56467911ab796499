"""The CUDA backend without a GPU: every kernel compiles to PTX, and under Numba's
CUDA simulator (a subprocess with NUMBA_ENABLE_CUDASIM=1 set before Numba is
imported) it gives the same transitions as the CPU kernel."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import gymnasium as gym
import pytest


@pytest.mark.parametrize("discrete", [True, False], ids=["discrete", "continuous"])
def test_every_cuda_kernel_compiles_to_ptx(discrete):
    from numba import cuda

    from rewardgym.envs.control import _cuda

    sigs = _cuda.kernel_signatures(discrete)
    assert set(sigs) <= set(_cuda.KERNEL_SOURCES)
    for name, sig in sigs.items():
        ptx, _ = cuda.compile_ptx(_cuda.KERNEL_SOURCES[name], sig, cc=(8, 0))
        assert ".entry" in ptx, name
        if name == "step":
            # the task dynamics are inlined into the kernel, not left as calls
            assert "sin" in ptx or "cos" in ptx


_SIM_SCRIPT = textwrap.dedent(
    """
    import os, warnings
    assert os.environ["NUMBA_ENABLE_CUDASIM"] == "1"
    warnings.simplefilter("ignore")
    import numpy as np, gymnasium as gym, torch, rewardgym
    from gymnasium.vector import AutoresetMode
    from numba import cuda

    def host(x):
        return x.copy_to_host() if hasattr(x, "copy_to_host") else np.asarray(x)

    checked = 0
    for env_id in [i.id for i in rewardgym.list_envs("control")]:
        for mode in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            n = 6
            kw = dict(num_envs=n, vectorization_mode="vector_entry_point", max_episode_steps=3,
                      autoreset_mode=mode)
            gpu = gym.make_vec(env_id, backend="cuda", **kw)
            cpu = gym.make_vec(env_id, **kw)
            og, _ = gpu.reset(seed=3)
            oc, _ = cpu.reset(seed=3)
            np.testing.assert_array_equal(host(og), oc)
            rng = np.random.default_rng(0)
            states = cpu.unwrapped.state + rng.normal(0, 0.05, cpu.unwrapped.state.shape)
            gpu.unwrapped.state = states
            cpu.unwrapped.state = states
            cpu.action_space.seed(1)
            for t in range(4):
                a = cpu.action_space.sample()
                # numpy, torch (CPU) and device-array actions are all accepted
                given = [a, torch.as_tensor(a), cuda.to_device(np.ascontiguousarray(
                    a, dtype=np.int64 if a.ndim == 1 else np.float32))][t % 3]
                rg = gpu.step(given)
                rc = cpu.step(a)
                for x, y in zip(rg[:4], rc[:4]):
                    np.testing.assert_array_equal(host(x), y)
                if mode == AutoresetMode.SAME_STEP and "final_obs" in rc[4]:
                    np.testing.assert_array_equal(rg[4]["_final_obs"], rc[4]["_final_obs"])
                    for i in np.flatnonzero(rc[4]["_final_obs"]):
                        np.testing.assert_array_equal(rg[4]["final_obs"][i], rc[4]["final_obs"][i])
                checked += 1
            np.testing.assert_array_equal(gpu.unwrapped.state, cpu.unwrapped.state)

    gpu = gym.make_vec("rewardgym/CartPole-v1", num_envs=4, vectorization_mode="vector_entry_point",
                       backend="cuda")
    gpu.reset(seed=0)
    errors = []
    for bad in (np.array([0, 1, 2, 0]), np.zeros(3, np.int64), np.zeros(4, np.float32),
                cuda.to_device(np.zeros(4, np.int32))):
        try:
            gpu.step(bad)
        except (ValueError, TypeError) as exc:
            errors.append(str(exc))
    assert "out of range" in errors[0] and "env 2" in errors[0], errors
    assert "shape" in errors[1] and "integers" in errors[2] and "int64" in errors[3], errors
    assert len(errors) == 4
    print("checked", checked)
    """
)


def test_cuda_simulator_matches_cpu_kernel_for_every_task():
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    out = subprocess.run(
        [sys.executable, "-c", _SIM_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    assert out.stdout.split()[-1] == str(6 * 2 * 4)


def test_cuda_backend_without_a_gpu_says_what_to_do():
    from numba import cuda

    if cuda.is_available():  # pragma: no cover - only on GPU machines
        pytest.skip("a GPU is present; this checks the message shown without one")
    with pytest.raises(RuntimeError, match="NUMBA_ENABLE_CUDASIM=1"):
        gym.make_vec(
            "rewardgym/CartPole-v1",
            num_envs=4,
            vectorization_mode="vector_entry_point",
            backend="cuda",
        )
