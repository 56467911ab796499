"""intersection_v0: crash geometry, rewards and costs, occlusion, the batched
simulator against the env, threshold drivers, the PettingZoo battery and the reward
wrappers per agent."""

from __future__ import annotations

import functools
import types

import numpy as np
import pytest

from rewardgym import testing
from rewardgym.envs.risk import intersection_v0 as iv
from rewardgym.rewards.terms import EnvReward, InfoTerm
from rewardgym.rewards.wrappers import ParallelRewardWrapper


@pytest.mark.parametrize(
    "kwargs",
    [{"num_cars": 3}, {"layout": "overtaking"}, {"speed_noise": 0.0, "sight_distance": np.inf}],
    ids=["three_cars", "overtaking", "no_noise_full_sight"],
)
def test_variants_pass_the_pettingzoo_battery(kwargs):
    module = types.SimpleNamespace(
        env=functools.partial(iv.env, **kwargs),
        parallel_env=functools.partial(iv.parallel_env, **kwargs),
    )
    testing.check_pettingzoo_env(module, num_cycles=60, seed_steps=300, render=False)


def _step(params, pos, vel, actions, status=None):
    pos, vel = np.array([pos], float), np.array([vel], float)
    status = np.zeros_like(pos, dtype=np.int8) if status is None else np.array([status], np.int8)
    rng = np.random.default_rng(0)
    return iv.step_state(params, pos, vel, status, np.array([actions]), rng)


def test_two_cars_inside_the_zone_together_crash():
    p = iv.IntersectionParams(speed_noise=0.0)
    _, _, status, rewards, crashed = _step(p, [-2.0, -3.0], [8.0, 8.0], [2, 2])
    assert crashed.tolist() == [[True, True]] and status.tolist() == [[iv.CRASHED] * 2]
    np.testing.assert_allclose(rewards, [[-p.time_penalty] * 2])  # the cost is not in the reward


def test_a_fast_car_cannot_pass_through_another_between_steps():
    # zone 2 m, both cars cross it entirely within one 0.5 s step, overlapping in time
    p = iv.IntersectionParams(speed_noise=0.0, zone_length=2.0)
    pos, _, _, _, crashed = _step(p, [-1.0, -1.5], [16.0, 16.0], [4, 4])
    assert (pos > p.zone).all() and crashed.all()
    # the same cars one after the other do not meet
    _, _, _, _, crashed = _step(p, [-1.0, -6.0], [16.0, 16.0], [4, 4])
    assert not crashed.any()


def test_a_stopped_car_at_the_line_is_not_in_the_zone():
    p = iv.IntersectionParams(speed_noise=0.0)
    _, _, _, _, crashed = _step(p, [0.0, 1.0], [0.0, 8.0], [0, 2])
    assert not crashed.any()
    _, _, _, _, crashed = _step(p, [0.5, 1.0], [0.0, 8.0], [0, 2])  # nose over the line
    assert crashed.all()


def test_speed_tracks_the_target_within_the_acceleration_limits():
    p = iv.IntersectionParams(speed_noise=0.0)
    _, vel, *_ = _step(p, [-50.0, -50.0], [10.0, 10.0], [4, 0])
    np.testing.assert_allclose(vel, [[10.0 + 3.0 * 0.5, 10.0 - 6.0 * 0.5]])
    _, vel, status, rewards, _ = _step(p, [p.goal - 1.0, -50.0], [4.0, 4.0], [1, 1])
    assert status[0, 0] == iv.CROSSED and rewards[0, 0] == pytest.approx(1.0 - p.time_penalty)


def test_crash_reports_info_and_cost_apart_from_the_reward():
    env = iv.parallel_env()
    for seed in range(50):
        env.reset(seed=seed)
        while env.agents:
            _, rewards, terms, _, infos = env.step({a: 4 for a in env.agents})
        if infos["car_0"]["crashed"]:
            for a in ("car_0", "car_1"):
                assert terms[a] and infos[a]["cost"] == 1.0 and not infos[a]["crossed"]
                assert rewards[a] == pytest.approx(-0.05)
            return
    pytest.fail("two cars flooring it never crashed in 50 episodes")


def test_parallel_reward_wrapper_charges_the_cost_per_agent():
    shaped = EnvReward() - 2.0 * InfoTerm("cost", path=None)
    env = ParallelRewardWrapper(iv.parallel_env(), shaped)
    crashes = 0
    for seed in range(30):
        env.reset(seed=seed)
        while env.agents:
            _, rewards, _, _, infos = env.step({a: 4 for a in env.agents})
            for a, r in rewards.items():
                terms = infos[a]["reward_terms"]
                assert r == pytest.approx(terms["env"] - 2.0 * terms["cost"])
                assert terms["cost"] == infos[a]["cost"]
                crashes += infos[a]["crashed"]
    assert crashes > 0


def test_faster_driving_pays_more_when_the_road_is_clear():
    sim = iv.IntersectionSimulator(iv.IntersectionParams())
    stay = iv.GapPolicy(0, 0.0)  # the other car never moves, so never meets the zone
    fast = sim.rollout([iv.GapPolicy(4, 0.0), stay], 200, seed=0)
    slow = sim.rollout([iv.GapPolicy(2, 0.0), stay], 200, seed=0)
    assert not fast.crashed.any() and fast.crossed[:, 0].all() and slow.crossed[:, 0].all()
    assert fast.returns[:, 0].mean() > slow.returns[:, 0].mean() + 0.1


def test_aggressive_drivers_crash_more_than_cautious_ones():
    sim = iv.IntersectionSimulator()
    wild = sim.rollout([iv.GapPolicy(4, 0.0)] * 2, 2000, seed=1)
    calm = sim.rollout([iv.GapPolicy(3, 1.0)] * 2, 2000, seed=1)
    assert wild.crashed.any(axis=1).mean() > 0.3
    assert calm.crashed.any(axis=1).mean() < 0.02
    assert calm.crossed.all(axis=1).mean() > 0.95


def test_simulator_with_one_episode_reproduces_the_env():
    policies = [iv.GapPolicy(4, 1.0), iv.GapPolicy(3, 2.0)]
    for seed in range(5):
        env = iv.parallel_env()
        obs, _ = env.reset(seed=seed)
        returns = {a: 0.0 for a in env.possible_agents}
        costs = dict(returns)
        while env.agents:
            actions = {a: policies[int(a[-1])].act(obs[a]) for a in env.agents}
            obs, rewards, _, _, infos = env.step(actions)
            for a in rewards:
                returns[a] += rewards[a]
                costs[a] += infos[a]["cost"]
        out = iv.IntersectionSimulator().rollout(policies, 1, seed=seed)
        np.testing.assert_allclose(out.returns[0], [returns["car_0"], returns["car_1"]])
        np.testing.assert_allclose(out.costs[0], [costs["car_0"], costs["car_1"]])


def test_cars_see_each_other_only_near_the_intersection():
    p = iv.IntersectionParams(sight_distance=20.0)
    status = np.zeros((1, 2), np.int8)
    far = iv.observe(p, np.array([[-30.0, -10.0]]), np.array([[5.0, 5.0]]), status, 0)
    assert far[0, 0, 2:5].tolist() == [0.0, 0.0, 0.0] and far[0, 1, 2:5].tolist() == [0, 0, 0]
    near = iv.observe(p, np.array([[-15.0, -10.0]]), np.array([[5.0, 8.0]]), status, 3)
    np.testing.assert_allclose(
        near[0, 0], [-15 / 55, 5 / 16, -10 / 55, 8 / 16, 1.0, 3 / 60], atol=1e-6
    )
    assert iv.parallel_env().observation_space("car_0").contains(near[0, 0])


def test_gap_policy_yields_to_a_car_that_arrives_first():
    p = iv.IntersectionParams()
    me = iv.GapPolicy(4, 2.0, p)
    # me 12 m out at 8 m/s (1.5 s); the other 5 m out at 10 m/s (0.5 s): yield
    obs = iv.observe(
        p, np.array([[-12.0, -5.0]]), np.array([[8.0, 10.0]]), np.zeros((1, 2), np.int8), 0
    )
    assert me.act(obs[0, 0]) == 0
    assert iv.GapPolicy(4, 0.0, p).act(obs[0, 0]) == 4  # never yields
    assert me.act(obs[0, 1]) == 4  # the first car goes
    assert len(iv.gap_policies(p)) == 15


def test_episode_truncates_at_the_time_limit():
    env = iv.parallel_env(max_steps=5)
    env.reset(seed=0)
    for _ in range(5):
        _, _, terms, truncs, _ = env.step({a: 0 for a in env.agents})
    assert all(truncs.values()) and not any(terms.values()) and env.agents == []


def test_invalid_arguments_say_what_to_do():
    with pytest.raises(ValueError, match="num_cars"):
        iv.parallel_env(num_cars=5)
    with pytest.raises(ValueError, match="exactly 2 cars"):
        iv.parallel_env(layout="overtaking", num_cars=3)
    with pytest.raises(ValueError, match="speed_levels"):
        iv.parallel_env(speed_levels=(4.0, 2.0))
    with pytest.raises(ValueError, match="start_speed"):
        iv.parallel_env(start_speed=(5.0, 30.0))
    with pytest.raises(TypeError, match="unknown argument"):
        iv.parallel_env(zone=3.0)
    assert iv.parallel_env(layout="overtaking").params.zone == 30.0
    env = iv.parallel_env()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="missing"):
        env.step({"car_0": 1})
