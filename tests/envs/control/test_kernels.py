"""Kernel-level properties: compiled signatures, thread-count independence, the
kernel cache and its fallback, and errors for bad input."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap

import gymnasium as gym
import numpy as np
import pytest

import rewardgym
from rewardgym.envs.control import _kernels as K

CONTROL_IDS = [i.id for i in rewardgym.list_envs("control")]


def _exercise_every_path():
    from gymnasium.vector import AutoresetMode

    for env_id in CONTROL_IDS:
        env = gym.make(env_id)
        env.reset(seed=0)
        for _ in range(3):
            env.step(env.action_space.sample())
        for n, mode in [(8, AutoresetMode.NEXT_STEP), (600, AutoresetMode.SAME_STEP)]:
            venv = gym.make_vec(
                env_id, num_envs=n, vectorization_mode="vector_entry_point", autoreset_mode=mode
            )
            venv.reset(seed=0)
            for _ in range(3):
                venv.step(venv.action_space.sample())


def test_kernels_compile_one_signature_per_action_dtype():
    """Discrete tasks pin int64 actions and continuous ones float32: exactly two
    signatures of the step kernels, whatever dtype the user passes, and no
    recompiles on repeated use."""
    _exercise_every_path()
    venv = gym.make_vec(
        "rewardgym/CartPole-v1", num_envs=4, vectorization_mode="vector_entry_point"
    )
    venv.reset(seed=0)
    venv.step(np.ones(4, dtype=np.int32))  # converted at the boundary
    venv.step(np.ones(4, dtype=np.uint8))
    before = {k.__name__: len(k.signatures) for k in K.CPU_KERNELS}
    _exercise_every_path()
    after = {k.__name__: len(k.signatures) for k in K.CPU_KERNELS}
    assert after == before
    assert after["step_serial"] == 2
    assert after["step_parallel"] == 2
    assert after["reset_serial"] == 1
    assert after["first_invalid_discrete"] == 1
    assert after["first_nonfinite"] == 1


_THREADS_SCRIPT = textwrap.dedent(
    """
    import hashlib, sys, numpy as np, gymnasium as gym, rewardgym, numba
    h = hashlib.sha256()
    for env_id in ["rewardgym/CartPole-v1", "rewardgym/Pendulum-v1", "rewardgym/Acrobot-v1"]:
        venv = gym.make_vec(env_id, num_envs=3000, vectorization_mode="vector_entry_point",
                            parallel_threshold=int(sys.argv[1]), max_episode_steps=40)
        venv.reset(seed=7)
        venv.action_space.seed(7)
        for _ in range(60):
            obs, rew, term, trunc, _ = venv.step(venv.action_space.sample())
            for a in (obs, rew, term, trunc):
                h.update(np.ascontiguousarray(a).tobytes())
    print(numba.get_num_threads(), h.hexdigest())
    """
)


def test_results_do_not_depend_on_the_thread_count():
    digests = set()
    for threads, threshold in [("1", "1"), ("2", "1"), ("2", "1000000")]:
        env = {**os.environ, "NUMBA_NUM_THREADS": threads}
        out = subprocess.run(
            [sys.executable, "-c", _THREADS_SCRIPT, threshold],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        ).stdout.split()
        assert out[0] == threads
        digests.add(out[1])
    assert len(digests) == 1, "parallel, serial and 1-thread runs must give identical outputs"


def test_kernel_cache_is_written_and_reloaded(tmp_path):
    code = (
        "import json, gymnasium as gym, rewardgym\n"
        "from rewardgym.envs.control import _kernels as K\n"
        "env = gym.make('rewardgym/CartPole-v1'); env.reset(seed=0); env.step(0)\n"
        "print(json.dumps({'cache': K.CACHE, 'hits': sum(K.step_serial.stats.cache_hits.values()),"
        " 'misses': sum(K.step_serial.stats.cache_misses.values())}))\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
            ).stdout
        )
        for _ in range(2)
    ]
    assert runs[0]["cache"] and runs[0]["misses"] == 1 and runs[0]["hits"] == 0
    assert runs[1]["hits"] == 1 and runs[1]["misses"] == 0
    assert any(p.suffix == ".nbi" for p in tmp_path.rglob("*"))


def test_cache_falls_back_to_no_cache_where_nothing_is_writable(monkeypatch):
    """Numba raises at import ("no locator available") when ``cache=True`` finds no
    writable directory. The probe must then turn caching off. (Permission bits do
    not bind root, so the unwritable file system is simulated through os.access.)"""
    from rewardgym._numba import cache_enabled

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert cache_enabled(K.__file__) is False
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere/writable")
    assert cache_enabled(K.__file__) is True


def test_no_cache_mode_imports_and_steps():
    code = (
        "import gymnasium as gym, rewardgym\n"
        "from rewardgym.envs.control import _kernels as K\n"
        "assert K.CACHE is False\n"
        "env = gym.make('rewardgym/Acrobot-v1'); env.reset(seed=0); env.step(1); print('ok')\n"
    )
    env = {**os.environ, "REWARDGYM_NUMBA_CACHE": "0"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_xoroshiro_stream_is_xoroshiro128plus():
    """Pin the generator to the published algorithm (reference values computed with
    Python integers)."""
    from numba import njit

    @njit
    def draw(s0, s1, n):
        out = np.empty(n, dtype=np.uint64)
        for i in range(n):
            s0, s1, r = K.xoroshiro_next(s0, s1)
            out[i] = r
        return out

    def reference(s0, s1, n):
        mask = (1 << 64) - 1

        def rotl(x, k):
            return ((x << k) | (x >> (64 - k))) & mask

        out = []
        for _ in range(n):
            out.append((s0 + s1) & mask)
            s1 ^= s0
            s0, s1 = rotl(s0, 24) ^ s1 ^ ((s1 << 16) & mask), rotl(s1, 37)
        return out

    seeds = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9)
    got = draw(np.uint64(seeds[0]), np.uint64(seeds[1]), 50)
    assert [int(x) for x in got] == reference(*seeds, 50)
    digest = hashlib.sha256(got.tobytes()).hexdigest()
    assert len(digest) == 64


class TestErrors:
    def test_discrete_out_of_range_action_says_which_env(self):
        venv = gym.make_vec(
            "rewardgym/CartPole-v1", num_envs=4, vectorization_mode="vector_entry_point"
        )
        venv.reset(seed=0)
        state = venv.unwrapped.state
        with pytest.raises(ValueError, match=r"action 2 of env 3 is out of range.*\[0, 2\)"):
            venv.step(np.array([0, 1, 0, 2]))
        np.testing.assert_array_equal(venv.unwrapped.state, state)  # nothing was stepped

    def test_wrong_shape_and_dtype(self):
        venv = gym.make_vec(
            "rewardgym/CartPole-v1", num_envs=4, vectorization_mode="vector_entry_point"
        )
        venv.reset(seed=0)
        with pytest.raises(ValueError, match=r"shape \(4,\)"):
            venv.step(np.zeros(3, dtype=np.int64))
        with pytest.raises(TypeError, match="must be integers"):
            venv.step(np.zeros(4, dtype=np.float32))
        cont = gym.make_vec(
            "rewardgym/Pendulum-v1", num_envs=4, vectorization_mode="vector_entry_point"
        )
        cont.reset(seed=0)
        with pytest.raises(ValueError, match=r"shape \(4, 1\)"):
            cont.step(np.zeros(4, dtype=np.float32))
        with pytest.raises(ValueError, match="env 2 is not finite"):
            cont.step(np.array([[0.0], [0.0], [np.nan], [0.0]], dtype=np.float32))
        with pytest.raises(TypeError, match="must be floats"):
            cont.step(np.zeros((4, 1), dtype=np.int64))

    def test_single_env_invalid_actions(self):
        env = gym.make("rewardgym/CartPole-v1").unwrapped
        env.reset(seed=0)
        for bad in (2, -1, 0.5, "left", [0, 1]):
            with pytest.raises(gym.error.InvalidAction):
                env.step(bad)
        env.step(np.int64(1))
        cont = gym.make("rewardgym/Pendulum-v1").unwrapped
        cont.reset(seed=0)
        with pytest.raises(gym.error.InvalidAction, match="finite"):
            cont.step(np.array([np.inf], np.float32))
        with pytest.raises(gym.error.InvalidAction, match=r"shape \(1,\)"):
            cont.step(np.zeros(2, np.float32))

    def test_step_before_reset(self):
        with pytest.raises(gym.error.ResetNeeded):
            gym.make("rewardgym/CartPole-v1").unwrapped.step(0)
        venv = gym.make_vec(
            "rewardgym/CartPole-v1", num_envs=2, vectorization_mode="vector_entry_point"
        )
        with pytest.raises(gym.error.ResetNeeded):
            venv.step(np.zeros(2, np.int64))

    def test_constructor_arguments_are_validated(self):
        from rewardgym.envs.control.cartpole import CartPoleParams, CartPoleVectorEnv

        with pytest.raises(ValueError, match="num_envs must be >= 1"):
            CartPoleVectorEnv(0)
        with pytest.raises(ValueError, match="backend must be 'cpu' or 'cuda'"):
            CartPoleVectorEnv(2, backend="gpu")
        with pytest.raises(ValueError, match="as_torch=True"):
            CartPoleVectorEnv(2, as_torch=True)
        with pytest.raises(ValueError, match="autoreset_mode"):
            CartPoleVectorEnv(2, autoreset_mode=gym.vector.AutoresetMode.DISABLED)
        with pytest.raises(ValueError, match=r"CartPoleParams\.masspole must be a positive"):
            gym.make("rewardgym/CartPole-v1", masspole=-1.0)
        with pytest.raises(TypeError, match="unexpected keyword"):
            gym.make("rewardgym/CartPole-v1", mass=1.0)
        with pytest.raises(ValueError, match="render_mode='bogus' is not supported"):
            gym.make("rewardgym/CartPole-v1", render_mode="bogus", disable_env_checker=True)
        env = gym.make("rewardgym/CartPole-v1", params=CartPoleParams(gravity=3.7))
        assert env.unwrapped.params.gravity == 3.7
        assert CartPoleParams().polemass_length == pytest.approx(0.05)
        assert CartPoleParams(masspole=0.2).total_mass == pytest.approx(1.2)

    def test_state_setter_checks_the_layout(self):
        env = gym.make("rewardgym/MountainCar-v0").unwrapped
        env.reset(seed=0)
        with pytest.raises(ValueError, match="2 values"):
            env.state = np.zeros(4)
        venv = gym.make_vec(
            "rewardgym/MountainCar-v0", num_envs=3, vectorization_mode="vector_entry_point"
        )
        with pytest.raises(ValueError, match=r"shape \(3, 2\)"):
            venv.unwrapped.state = np.zeros((3, 4))


def test_custom_params_change_the_dynamics_in_both_shells():
    heavy = gym.make("rewardgym/Pendulum-v1", g=20.0).unwrapped
    light = gym.make("rewardgym/Pendulum-v1").unwrapped
    for env in (heavy, light):
        env.reset(seed=0)
        env.state = np.array([1.0, 0.0])
    a = np.zeros(1, np.float32)
    assert heavy.step(a)[0][2] == pytest.approx(2 * light.step(a)[0][2])
    venv = gym.make_vec(
        "rewardgym/Pendulum-v1", num_envs=2, vectorization_mode="vector_entry_point", g=20.0
    )
    venv.reset(seed=0)
    venv.unwrapped.state = np.array([[1.0, 0.0], [1.0, 0.0]])
    heavy.state = np.array([1.0, 0.0])
    np.testing.assert_array_equal(venv.step(np.zeros((2, 1), np.float32))[0][0], heavy.step(a)[0])
