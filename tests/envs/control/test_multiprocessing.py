"""The control envs in worker processes after the parent ran parallel (OpenMP)
kernels. GNU OpenMP kills a forked child that enters a parallel region
("fork() called from a process already using GNU OpenMP"), so a child forked after
a parallel kernel ran steps with the serial kernel instead."""

from __future__ import annotations

import subprocess
import sys
import textwrap

_SCRIPT = textwrap.dedent(
    """
    import multiprocessing as mp, sys
    import numpy as np, gymnasium as gym, numba, rewardgym
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import SubprocVecEnv

    kw = dict(num_envs=4096, vectorization_mode="vector_entry_point")
    big = gym.make_vec("rewardgym/CartPole-v1", **kw)
    big.reset(seed=0)
    big.step(np.ones(4096, np.int64))  # the OpenMP pool now exists in this process
    layer = numba.threading_layer()

    def child(q):
        v = gym.make_vec("rewardgym/Acrobot-v1", **kw)
        v.reset(seed=0)
        for _ in range(5):
            v.step(np.ones(4096, np.int64))
        q.put("vector env stepped in a forked child")

    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=child, args=(q,))
    p.start(); p.join(120)
    assert p.exitcode == 0, f"forked child died: exit code {p.exitcode}"
    print(q.get(timeout=5))

    fns = [lambda: gym.make("rewardgym/CartPole-v1") for _ in range(2)]
    asyncenv = gym.vector.AsyncVectorEnv(fns, context="fork")
    asyncenv.reset(seed=0)
    for _ in range(50):
        asyncenv.step(asyncenv.action_space.sample())
    asyncenv.close()
    print("AsyncVectorEnv(fork) ok")

    sb3 = make_vec_env("rewardgym/Pendulum-v1", n_envs=2, vec_env_cls=SubprocVecEnv,
                       vec_env_kwargs={"start_method": "fork"})
    sb3.reset()
    for _ in range(50):
        sb3.step(np.zeros((2, 1), np.float32))
    sb3.close()
    print("SubprocVecEnv(fork) ok", layer)
    """
)


def test_vector_and_single_envs_work_in_forked_workers_after_parallel_kernels():
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "vector env stepped in a forked child"
    assert lines[1] == "AsyncVectorEnv(fork) ok"
    assert lines[2].startswith("SubprocVecEnv(fork) ok")


def test_spawned_workers_work_too(tmp_path):
    code = textwrap.dedent(
        """
        import gymnasium as gym, rewardgym
        if __name__ == "__main__":
            envs = gym.vector.AsyncVectorEnv(
                [lambda: gym.make("rewardgym/MountainCar-v0") for _ in range(2)], context="spawn")
            envs.reset(seed=0)
            for _ in range(20):
                envs.step(envs.action_space.sample())
            envs.close()
            print("ok")
        """
    )
    script = tmp_path / "spawn_workers.py"  # spawn re-imports __main__ from a file
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "ok"
