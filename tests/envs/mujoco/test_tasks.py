"""The MuJoCo tasks one by one: rewards, success, potentials, oracles, rendering,
parameters, state and pickling."""

from __future__ import annotations

import pickle
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import rewardgym  # noqa: F401  (registers the ids)
from rewardgym.agents.oracle import OracleAgent
from rewardgym.testing import assert_same

# Imports mujoco after choosing its offscreen OpenGL backend (MUJOCO_GL=egl).
pytest.importorskip("rewardgym.envs.mujoco._core")

from rewardgym.envs.mujoco import hopper, point_reach, reacher

GOAL_IDS = ["rewardgym/PointReach-v0", "rewardgym/ReacherSparse-v0"]
ALL_IDS = [*GOAL_IDS, "rewardgym/HopperForward-v0"]


def _episode(env, policy, seed):
    obs, info = env.reset(seed=seed)
    rewards, infos = [], []
    while True:
        obs, r, term, trunc, info = env.step(policy(obs))
        rewards.append(r)
        infos.append(info)
        if term or trunc:
            return rewards, infos, term


@pytest.mark.parametrize("env_id", GOAL_IDS)
def test_oracle_reaches_the_goal_and_is_paid_only_then(env_id):
    env = gym.make(env_id)
    agent = OracleAgent(env)
    for seed in range(8):
        rewards, infos, terminated = _episode(env, agent.act, seed)
        assert terminated and infos[-1]["success"], f"seed {seed}"
        assert not any(i["success"] for i in infos[:-1])
        assert infos[-1]["reward_terms"]["success"] == 1.0
        assert all(i["reward_terms"]["success"] == 0.0 for i in infos[:-1])
        for r, i in zip(rewards, infos, strict=True):
            assert r == pytest.approx(sum(i["reward_terms"].values()), abs=1e-12)


@pytest.mark.parametrize("env_id", GOAL_IDS)
def test_random_actions_score_below_the_oracle(env_id):
    env = gym.make(env_id)
    env.action_space.seed(0)
    oracle = OracleAgent(env)
    oracle_returns = [sum(_episode(env, oracle.act, s)[0]) for s in range(5)]

    def sample(obs):
        return env.action_space.sample()

    random_returns = [sum(_episode(env, sample, s)[0]) for s in range(5)]
    assert min(oracle_returns) > max(random_returns)


def test_point_reach_sparse_and_dense_rewards():
    sparse = gym.make("rewardgym/PointReach-v0")
    obs, _ = sparse.reset(seed=0)
    obs, r, *_ = sparse.step(np.zeros(2, np.float32))
    assert r == 0.0
    dense = gym.make("rewardgym/PointReach-v0", reward_type="dense", ctrl_cost_weight=0.1)
    obs, _ = dense.reset(seed=0)
    action = np.array([0.5, -1.5], np.float32)  # clipped to [0.5, -1]
    obs, r, _, _, info = dense.step(action)
    distance = float(np.hypot(obs[4], obs[5]))
    assert info["reward_terms"]["distance"] == pytest.approx(-distance, abs=1e-12)
    assert info["reward_terms"]["ctrl_cost"] == pytest.approx(-0.1 * (0.25 + 1.0))
    assert r == pytest.approx(-distance - 0.125)


def test_point_reach_can_keep_going_after_success():
    env = gym.make("rewardgym/PointReach-v0", terminate_on_success=False, max_episode_steps=100)
    agent = OracleAgent(env)
    rewards, infos, terminated = _episode(env, agent.act, 0)
    assert not terminated
    assert sum(i["success"] for i in infos) > 10  # it stays on the goal, paid every step
    assert sum(rewards) == sum(i["success"] for i in infos)


def test_point_reach_potentials_measure_distance_and_braking():
    pots = point_reach.PointReachEnv.potentials
    assert set(pots) == {"neg_distance", "damped_neg_distance"}
    obs = np.array([[0.0, 0.0, 0.0, 0.0, 3.0, 4.0], [1.0, 1.0, 0.6, 0.8, 0.0, 0.0]])
    assert pots["neg_distance"](obs).tolist() == [-5.0, 0.0]
    assert pots["damped_neg_distance"](obs).tolist() == [-5.0, -0.5]
    assert pots["damped_neg_distance"](obs, damping=2.0).tolist() == [-5.0, -2.0]
    assert pots["neg_distance"](obs[0]) == -5.0  # one observation works too


def test_potential_shaping_uses_the_exported_potentials_by_name():
    from rewardgym.rewards.shaping import PotentialShaping, VectorPotentialShaping

    env = PotentialShaping(gym.make("rewardgym/PointReach-v0"), "neg_distance", gamma=1.0)
    obs, _ = env.reset(seed=0)
    before = point_reach.neg_distance(obs)
    obs, r, _, _, info = env.step(np.array([1.0, 0.0], np.float32))
    shaping = info["reward_terms"]["shaping/neg_distance"]
    assert shaping == pytest.approx(point_reach.neg_distance(obs) - before)
    assert r == pytest.approx(info["reward_terms"]["env"] + shaping)

    venv = VectorPotentialShaping(
        gym.make_vec(
            "rewardgym/ReacherSparse-v0", num_envs=3, vectorization_mode="vector_entry_point"
        ),
        "neg_distance",
        gamma=0.99,
    )
    venv.reset(seed=0)
    _, r, _, _, info = venv.step(np.zeros((3, 2), np.float32))
    assert r.shape == (3,) and set(info["reward_terms"]) >= {"env", "shaping/neg_distance"}
    with pytest.raises(ValueError, match="neg_distance"):
        PotentialShaping(gym.make("rewardgym/ReacherSparse-v0"), "upright")


@pytest.mark.parametrize(
    ("env_id", "potential"),
    [
        ("rewardgym/PointReach-v0", "neg_distance"),
        ("rewardgym/PointReach-v0", "damped_neg_distance"),
        ("rewardgym/ReacherSparse-v0", "neg_distance"),
    ],
)
def test_compiled_potentials_equal_the_numpy_ones(env_id, potential):
    """The fused reward path (compiled potentials) gives the NumPy path's rewards."""
    from rewardgym.rewards.shaping import Shaping
    from rewardgym.rewards.terms import EnvReward
    from rewardgym.rewards.wrappers import VectorRewardWrapper

    fn = gym.make(env_id).unwrapped.potentials[potential]
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(64, 10 if "Reacher" in env_id else 6))
    out = np.empty(64)
    fn.numba(obs, out)
    assert_same(out, fn(obs))
    runs = []
    for fused in (True, False):
        venv = VectorRewardWrapper(
            gym.make_vec(env_id, num_envs=4, vectorization_mode="vector_entry_point"),
            EnvReward() + Shaping(fn, gamma=0.9),
            fused=fused,
        )
        venv.reset(seed=0)
        assert venv.fused is fused
        acts = np.random.default_rng(1)
        runs.append(
            [venv.step(acts.uniform(-1, 1, (4, 2)).astype(np.float32))[1] for _ in range(30)]
        )
    assert_same(runs[0], runs[1])


def test_reacher_observation_matches_the_arm_geometry():
    env = gym.make("rewardgym/ReacherSparse-v0")
    obs, _ = env.reset(seed=3)
    for _ in range(5):
        obs, *_ = env.step(np.array([0.7, -0.4], np.float32))
    shoulder, elbow = env.unwrapped.data.qpos
    assert obs[0:2] == pytest.approx([np.cos(shoulder), np.sin(shoulder)], abs=1e-12)
    assert obs[2:4] == pytest.approx([np.cos(shoulder + elbow), np.sin(shoulder + elbow)])
    tip = reacher.UPPER_ARM * obs[0:2] + reacher.FOREARM * obs[2:4]
    assert tip - obs[6:8] == pytest.approx(obs[8:10], abs=1e-9)
    r_neg = reacher.neg_distance(obs)
    assert r_neg == pytest.approx(-np.hypot(obs[8], obs[9]))


def test_hopper_terms_are_forward_alive_control_and_contact():
    env = gym.make("rewardgym/HopperForward-v0")
    env.action_space.seed(1)
    env.reset(seed=1)
    dt = env.unwrapped.dt
    seen_contact, terminated = False, False
    while not terminated:
        x_before = env.unwrapped.data.qpos[0]
        action = env.action_space.sample()
        _, r, terminated, _, info = env.step(action)
        terms = info["reward_terms"]
        assert list(terms) == ["forward", "alive", "ctrl_cost", "contact_cost"]
        assert r == pytest.approx(sum(terms.values()), abs=1e-12)
        assert terms["forward"] == pytest.approx((env.unwrapped.data.qpos[0] - x_before) / dt)
        assert terms["ctrl_cost"] == pytest.approx(-1e-3 * float(np.sum(action.astype(float) ** 2)))
        assert terms["alive"] == (0.0 if terminated else 1.0)
        assert terms["contact_cost"] <= 0.0
        seen_contact |= terms["contact_cost"] < 0.0
        assert "success" not in info
    assert seen_contact, "the foot's landing should cost something"
    # without termination the episode runs on after the fall, without the alive bonus
    env = gym.make("rewardgym/HopperForward-v0", terminate_when_unhealthy=False)
    env.reset(seed=0)
    alive = [env.step(np.ones(3, np.float32))[4]["reward_terms"]["alive"] for _ in range(200)]
    assert alive[0] == 1.0 and alive[-1] == 0.0


def test_hopper_observation_leaves_out_x_and_clips_velocities():
    env = gym.make("rewardgym/HopperForward-v0", terminate_when_unhealthy=False)
    env.reset(seed=0)
    for _ in range(40):
        obs, *_ = env.step(np.array([1.0, -1.0, 1.0], np.float32))
    data = env.unwrapped.data
    assert_same(obs[0:5], data.qpos[1:])
    assert_same(obs[5:], np.clip(data.qvel, -10, 10))


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_rgb_render_is_offscreen_and_leaves_the_rollout_alone(env_id):
    rendered = gym.make(env_id, render_mode="rgb_array", width=96, height=64)
    plain = gym.make(env_id)
    assert_same(rendered.reset(seed=0), plain.reset(seed=0))
    frames = []
    for t in range(6):
        frames.append(rendered.render())
        action = np.full(rendered.action_space.shape, 0.5, np.float32)
        assert_same(rendered.step(action), plain.step(action), f"step {t}")
    assert frames[0].shape == (64, 96, 3) and frames[0].dtype == np.uint8
    assert frames[0].std() > 1.0  # a picture, not a blank buffer
    rendered.close()


def test_mujoco_gl_defaults_to_egl_only_when_unset():
    code = (
        "import os; from rewardgym.envs.mujoco import point_reach; "
        "print(os.environ.get('MUJOCO_GL'))"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "MUJOCO_GL"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == ("egl" if sys.platform.startswith("linux") else "None")
    env["MUJOCO_GL"] = "osmesa"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "osmesa"


@pytest.mark.parametrize(
    ("env_id", "kwargs", "match"),
    [
        ("rewardgym/PointReach-v0", {"frame_skip": 0}, "frame_skip must be an int >= 1"),
        ("rewardgym/PointReach-v0", {"reward_type": "shaped"}, "reward_type must be one of"),
        ("rewardgym/PointReach-v0", {"goal_max_radius": 1.5}, "half-width"),
        ("rewardgym/PointReach-v0", {"start_noise": 0.3}, "no episode starts at the goal"),
        ("rewardgym/ReacherSparse-v0", {"target_max_radius": 0.3}, "the arm's reach"),
        ("rewardgym/ReacherSparse-v0", {"ctrl_cost_weight": -1.0}, "ctrl_cost_weight"),
        ("rewardgym/HopperForward-v0", {"healthy_z_min": 1.5}, "standing height"),
        ("rewardgym/HopperForward-v0", {"contact_force_scale": 0.0}, "contact_force_scale"),
        ("rewardgym/HopperForward-v0", {"width": 0, "render_mode": "rgb_array"}, "width"),
    ],
)
def test_invalid_arguments_fail_at_construction(env_id, kwargs, match):
    with pytest.raises(ValueError, match=match):
        gym.make(env_id, **kwargs)


def test_params_object_or_keywords_but_not_both():
    params = hopper.HopperForwardParams(healthy_reward=2.0)
    env = hopper.HopperForwardEnv(params=params)
    assert env.params.healthy_reward == 2.0
    with pytest.raises(ValueError, match="choose 'rgb_array'"):
        hopper.HopperForwardEnv(render_mode="human")  # no screen: offscreen only
    with pytest.raises(TypeError, match="not both"):
        hopper.HopperForwardEnv(params=params, healthy_reward=3.0)
    with pytest.raises(TypeError, match="params must be a HopperForwardParams"):
        hopper.HopperForwardEnv(params=point_reach.PointReachParams())


def test_invalid_actions_are_rejected_and_out_of_range_ones_clipped():
    env = gym.make("rewardgym/PointReach-v0", disable_env_checker=True).unwrapped
    with pytest.raises(gym.error.ResetNeeded):
        env.step(np.zeros(2, np.float32))
    env.reset(seed=0)
    with pytest.raises(gym.error.InvalidAction, match=r"shape \(2,\)"):
        env.step(np.zeros(3))
    with pytest.raises(gym.error.InvalidAction, match="finite"):
        env.step(np.array([np.inf, 0.0]))
    clone = pickle.loads(pickle.dumps(env))
    assert_same(env.step(np.array([5.0, -5.0])), clone.step(np.array([1.0, -1.0])))


def test_state_moves_an_episode_between_envs():
    a = gym.make("rewardgym/HopperForward-v0").unwrapped
    b = gym.make("rewardgym/HopperForward-v0").unwrapped
    a.reset(seed=0)
    b.reset(seed=1)
    for _ in range(7):
        a.step(np.full(3, 0.3, np.float32))
    b.state = a.state
    assert a.state.shape == (a.nstate,)
    assert_same(b.observation(), a.observation())
    for t in range(20):
        action = np.array([0.2, -0.5, 0.9], np.float32)
        assert_same(a.step(action), b.step(action), f"step {t}")
    with pytest.raises(ValueError, match="state must have"):
        b.state = np.zeros(3)


def test_model_edits_survive_pickling():
    env = gym.make("rewardgym/PointReach-v0").unwrapped
    env.model.body_mass[1] = 4.0  # a heavier puck
    env.reset(seed=0)
    clone = pickle.loads(pickle.dumps(env))
    assert clone.model.body_mass[1] == 4.0
    action = np.ones(2, np.float32)
    for _ in range(5):
        assert_same(env.step(action), clone.step(action))
    fresh = gym.make("rewardgym/PointReach-v0").unwrapped
    assert fresh.model.body_mass[1] == 1.0  # edits stay with their env
