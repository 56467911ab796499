"""The batched vector envs against the single envs: transitions, autoreset, thread
count, partial resets, pickling, forking and argument errors."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import rewardgym
from rewardgym.testing import assert_same

# Imports mujoco after choosing its offscreen OpenGL backend (MUJOCO_GL=egl).
pytest.importorskip("rewardgym.envs.mujoco._core")

MUJOCO_IDS = [e.id for e in rewardgym.list_envs("mujoco")]
# Short time limits so every task sees truncations and resets within a short test.
LIMIT = {"rewardgym/PointReach-v0": 25, "rewardgym/ReacherSparse-v0": 20}


def _make_vec(env_id: str, n: int, **kwargs):
    return gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", **kwargs)


def _actions(rng: np.random.Generator, n: int, nu: int) -> np.ndarray:
    # a little outside the box, so clipping is exercised on both paths
    return rng.uniform(-1.2, 1.2, (n, nu)).astype(np.float32)


def test_registry_lists_the_three_mujoco_tasks():
    assert MUJOCO_IDS == [
        "rewardgym/PointReach-v0",
        "rewardgym/ReacherSparse-v0",
        "rewardgym/HopperForward-v0",
    ]
    assert all(e.kind == "vector" for e in rewardgym.list_envs("mujoco"))


@pytest.mark.parametrize("env_id", MUJOCO_IDS)
def test_vector_env_matches_single_envs_state_by_state(env_id):
    """N single envs stepped one by one give the vector env's transitions: the full
    float64 MuJoCo state within 1e-6 (in fact bit for bit), observations, rewards,
    flags and infos, through NEXT_STEP autoresets and truncations."""
    n, steps = 5, 90
    limit = LIMIT.get(env_id)
    extra = {} if limit is None else {"max_episode_steps": limit}
    venv = _make_vec(env_id, n, **extra)
    singles = [gym.make(env_id, **extra) for _ in range(n)]
    rng = np.random.default_rng(1)
    venv.reset(seed=3)
    for i, env in enumerate(singles):
        env.reset(seed=i)
        env.unwrapped.state = venv.unwrapped.state[i]
    prev_done = np.zeros(n, dtype=bool)
    resets = 0
    nu = venv.single_action_space.shape[0]
    for t in range(steps):
        actions = _actions(rng, n, nu)
        obs, rew, term, trunc, info = venv.step(actions)
        vstate = venv.unwrapped.state
        for i, env in enumerate(singles):
            where = f"{env_id} step {t} env {i}"
            if prev_done[i]:
                resets += 1
                env.reset(seed=1000 + t)
                env.unwrapped.state = vstate[i]
                assert rew[i] == 0 and not term[i] and not trunc[i], where
                assert all(v[i] == 0 for v in info["reward_terms"].values()), where
                continue
            s_obs, s_rew, s_term, s_trunc, s_info = env.step(actions[i])
            sstate = env.unwrapped.state
            np.testing.assert_allclose(vstate[i], sstate, rtol=0, atol=1e-6, err_msg=where)
            assert_same(vstate[i], sstate, f"{where} state")
            assert_same(obs[i], s_obs, f"{where} obs")
            assert_same(rew[i], s_rew, f"{where} reward")
            assert (bool(term[i]), bool(trunc[i])) == (s_term, s_trunc), where
            assert {k: v[i] for k, v in info["reward_terms"].items()} == s_info["reward_terms"]
            if "success" in s_info:
                assert bool(info["success"][i]) == s_info["success"], where
        prev_done = term | trunc
    assert resets >= 2, "the test should cross episode ends"
    venv.close()


def test_reset_of_a_one_env_vector_equals_the_single_env_reset():
    """Same seed, same draws: the batch's reset (defaults, then the drawn start state)
    equals mj_resetData plus the start state in the single env, bit for bit."""
    for env_id in MUJOCO_IDS:
        venv = _make_vec(env_id, 1)
        env = gym.make(env_id)
        v_obs, _ = venv.reset(seed=11)
        s_obs, _ = env.reset(seed=11)
        assert_same(v_obs[0], s_obs, f"{env_id} reset obs")
        assert_same(venv.unwrapped.state[0], env.unwrapped.state, f"{env_id} reset state")
        venv.close()


def test_same_step_autoreset_reports_final_obs_and_restarts():
    env_id = "rewardgym/HopperForward-v0"  # random actions end its episodes in ~30 steps
    n = 4
    venv = _make_vec(env_id, n, autoreset_mode=AutoresetMode.SAME_STEP)
    assert venv.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    singles = [gym.make(env_id) for _ in range(n)]
    venv.reset(seed=0)
    for i, env in enumerate(singles):
        env.reset(seed=i)
        env.unwrapped.state = venv.unwrapped.state[i]
    rng = np.random.default_rng(0)
    ended = 0
    for t in range(80):
        actions = _actions(rng, n, 3)
        obs, rew, term, trunc, info = venv.step(actions)
        state = venv.unwrapped.state
        for i, env in enumerate(singles):
            s_obs, s_rew, s_term, s_trunc, _ = env.step(actions[i])
            assert_same(rew[i], s_rew, f"step {t} env {i} reward")
            assert (bool(term[i]), bool(trunc[i])) == (s_term, s_trunc)
            if s_term or s_trunc:
                ended += 1
                assert info["_final_obs"][i]
                assert_same(info["final_obs"][i], s_obs, f"step {t} env {i} final obs")
                env.reset(seed=t)
                env.unwrapped.state = state[i]
                assert_same(obs[i], env.unwrapped.observation(), f"step {t} env {i} start obs")
            else:
                assert_same(obs[i], s_obs, f"step {t} env {i} obs")
    assert ended >= 2
    venv.close()


@pytest.mark.parametrize("env_id", ["rewardgym/ReacherSparse-v0", "rewardgym/HopperForward-v0"])
def test_results_do_not_depend_on_the_thread_count(env_id):
    runs = []
    for nthread in (1, 2, 3):
        venv = _make_vec(env_id, 6, nthread=nthread, max_episode_steps=15)
        assert venv.unwrapped.nthread == nthread
        rng = np.random.default_rng(5)
        record = [venv.reset(seed=2)[0]]
        for _ in range(40):
            record.append(venv.step(_actions(rng, 6, venv.single_action_space.shape[0]))[:4])
        runs.append(record)
        venv.close()
    assert_same(runs[0], runs[1], "1 vs 2 threads")
    assert_same(runs[0], runs[2], "1 vs 3 threads")


def test_each_vector_step_is_one_batch_call():
    """No Python loop over envs: one call into mujoco.batch steps every simulation,
    the frame skip included (the reset rows of a NEXT_STEP step are reset, not
    stepped)."""
    venv = _make_vec("rewardgym/PointReach-v0", 8, max_episode_steps=3)
    venv.reset(seed=0)
    calls: list[tuple[object, int]] = []
    batch = venv.unwrapped._batch
    real_step = batch.step

    def counting_step(ids=None, nstep=1, stage=0):
        calls.append((None if ids is None else np.asarray(ids).copy(), nstep))
        return real_step(ids, nstep=nstep, stage=stage)

    batch.step = counting_step
    for _ in range(4):
        venv.step(np.zeros((8, 2), np.float32))
    assert len(calls) == 4
    assert all(nstep == venv.unwrapped.frame_skip == 5 for _, nstep in calls)
    assert calls[0][0] is None
    # step 4 follows the truncation at step 3: every env is reset, none stepped
    assert not np.asarray(calls[3][0]).any()
    venv.close()


def test_reset_mask_resets_only_the_masked_envs():
    venv = _make_vec("rewardgym/PointReach-v0", 4)
    venv.reset(seed=0)
    for _ in range(5):
        venv.step(np.ones((4, 2), np.float32))
    before = venv.unwrapped.state
    mask = np.array([True, False, True, False])
    obs, _ = venv.reset(options={"reset_mask": mask})
    after = venv.unwrapped.state
    assert_same(after[~mask], before[~mask])
    assert (after[mask, 0] == 0.0).all()  # time restarts
    assert np.allclose(obs[mask, 2:4], 0.0)  # at rest
    with pytest.raises(ValueError, match="reset_mask must be a bool array"):
        venv.reset(options={"reset_mask": np.ones(3, bool)})
    venv.close()


def test_pickled_vector_env_continues_identically():
    venv = _make_vec("rewardgym/HopperForward-v0", 3)
    venv.reset(seed=4)
    rng = np.random.default_rng(0)
    for _ in range(5):
        venv.step(_actions(rng, 3, 3))
    clone = pickle.loads(pickle.dumps(venv))
    for t in range(40):
        actions = _actions(rng, 3, 3)
        assert_same(venv.step(actions)[:4], clone.step(actions)[:4], f"step {t}")
    venv.close()
    clone.close()


_FORK_SCRIPT = textwrap.dedent(
    """
    import multiprocessing as mp
    import numpy as np, gymnasium as gym, rewardgym

    kw = dict(num_envs=8, vectorization_mode="vector_entry_point", nthread=2)
    venv = gym.make_vec("rewardgym/HopperForward-v0", **kw)
    venv.reset(seed=0)
    venv.step(np.zeros((8, 3), np.float32))  # the batch's threads now exist

    def child(q):
        # the inherited env rebuilds its batch; a new env makes its own
        a = venv.step(np.zeros((8, 3), np.float32))[0]
        other = gym.make_vec("rewardgym/PointReach-v0", **kw)
        other.reset(seed=0)
        other.step(np.zeros((8, 2), np.float32))
        q.put(a.tolist())

    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=child, args=(q,))
    p.start(); p.join(60)
    assert p.exitcode == 0, f"forked child failed: exit code {p.exitcode}"
    expected = venv.step(np.zeros((8, 3), np.float32))[0]
    assert np.array_equal(np.array(q.get(timeout=5)), expected), "child diverged"
    print("forked vector env ok")

    fns = [lambda: gym.make("rewardgym/PointReach-v0") for _ in range(2)]
    asyncenv = gym.vector.AsyncVectorEnv(fns, context="fork")
    asyncenv.reset(seed=0)
    for _ in range(20):
        asyncenv.step(asyncenv.action_space.sample())
    asyncenv.close()
    print("AsyncVectorEnv(fork) ok")
    """
)


def test_vector_env_survives_a_fork_after_its_threads_started():
    """A forked child has none of the parent's threads: the inherited vector env
    rebuilds its batch (and continues exactly), instead of hanging."""
    out = subprocess.run(
        [sys.executable, "-c", _FORK_SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "forked vector env ok" in out.stdout
    assert "AsyncVectorEnv(fork) ok" in out.stdout


def test_vector_env_arguments_and_actions_are_checked():
    env_id = "rewardgym/PointReach-v0"
    with pytest.raises(ValueError, match="num_envs must be >= 1"):
        _make_vec(env_id, 0)
    with pytest.raises(ValueError, match="nthread must be an int >= 1"):
        _make_vec(env_id, 2, nthread=0)
    with pytest.raises(ValueError, match="do not render"):
        _make_vec(env_id, 2, render_mode="rgb_array")
    with pytest.raises(ValueError, match="autoreset_mode"):
        _make_vec(env_id, 2, autoreset_mode=AutoresetMode.DISABLED)
    with pytest.raises(ValueError, match="max_episode_steps"):
        _make_vec(env_id, 2, max_episode_steps=-1)
    with pytest.raises(ValueError, match="goal_radius"):
        _make_vec(env_id, 2, goal_radius=-1.0)
    venv = _make_vec(env_id, 2)
    with pytest.raises(gym.error.ResetNeeded):
        venv.step(np.zeros((2, 2), np.float32))
    venv.reset(seed=0)
    with pytest.raises(ValueError, match=r"actions must have shape \(2, 2\)"):
        venv.step(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="action of env 1 is not finite"):
        venv.step(np.array([[0.0, 0.0], [np.nan, 0.0]], np.float32))
    with pytest.raises(ValueError, match="state must have shape"):
        venv.unwrapped.state = np.zeros((2, 3))
    venv.close()
