"""Ray: `rewardgym bench --ray` against the local runner, retries of a worker that
dies, and RLlib training on registered envs. One local Ray instance with 2 CPUs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from rewardgym.bench import RunSpec, Suite, run_suite  # noqa: E402
from rewardgym.cli import main as cli_main  # noqa: E402

pytestmark = pytest.mark.xdist_group("ray")
TESTS = str(Path(__file__).resolve().parent)


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    path = os.pathsep.join(p for p in (TESTS, os.environ.get("PYTHONPATH")) if p)
    ray.init(
        num_cpus=2, include_dashboard=False, log_to_driver=False,
        object_store_memory=200 * 2**20, runtime_env={"env_vars": {"PYTHONPATH": path}},
    )  # fmt: skip
    yield
    ray.shutdown()


def small_suite(name: str) -> Suite:
    runs = [RunSpec("rewardgym/CartPole-v1", "random", seed=s, episodes=3) for s in range(3)]
    runs += [
        RunSpec("rewardgym/PointReach-v0", a, seed=0, episodes=2) for a in ("random", "oracle")
    ]
    ranges = {"rewardgym/CartPole-v1": (22.0, 500.0), "rewardgym/PointReach-v0": (0.0, 1.0)}
    return Suite(name, "ray test", runs, ranges)


def records(folder: Path) -> dict[str, list[float]]:
    return {
        json.loads(p.read_text())["key"]: json.loads(p.read_text())["returns"]
        for p in (folder / "runs").glob("*.json")
        if not p.name.endswith(".error.json")
    }


def test_ray_runner_gives_the_local_runner_results(tmp_path):
    local = run_suite(small_suite("s"), tmp_path / "local", workers=1, progress=False)
    remote = run_suite(small_suite("s"), tmp_path / "ray", ray_address=None, progress=False)
    assert not local["failures"] and not remote["failures"]
    a, b = records(tmp_path / "local" / "s"), records(tmp_path / "ray" / "s")
    assert a.keys() == b.keys() and len(a) == 5
    for key in a:
        assert np.array_equal(a[key], b[key]), key
    for name in ("results.json", "scores.png"):
        assert (tmp_path / "ray" / "s" / name).exists()
    # resumed: every run is finished, none is redone
    again = run_suite(small_suite("s"), tmp_path / "ray", ray_address=None, progress=False)
    assert again["skipped_as_finished"] == 5


def crash_suite(marker: Path) -> Suite:
    spec = RunSpec("ray_faults:CrashOnce-v0", "random", episodes=2,
                   env_kwargs=(("marker", str(marker)),))  # fmt: skip
    return Suite("crash", "a worker dies on the first attempt", [spec],
                 {"ray_faults:CrashOnce-v0": (0.0, 5.0)})  # fmt: skip


def test_a_worker_that_dies_is_retried(tmp_path):
    marker = tmp_path / "marker"
    summary = run_suite(crash_suite(marker), tmp_path, ray_address=None, retries=1, progress=False)
    assert marker.exists()  # the first attempt ran and died
    assert not summary["failures"]
    (rec,) = records(tmp_path / "crash").values()
    assert len(rec) == 2


def test_a_run_out_of_retries_is_reported_not_dropped(tmp_path):
    marker = tmp_path / "marker"
    summary = run_suite(crash_suite(marker), tmp_path, ray_address=None, retries=0, progress=False)
    (key,) = summary["failures"]
    assert "1 attempts" in summary["failures"][key]
    assert (tmp_path / "crash" / "runs" / f"{key}.error.json").exists()


def test_cli_bench_ray(tmp_path, capsys):
    suite = {
        "name": "cli",
        "runs": [{"env_id": "rewardgym/CartPole-v1", "agent": "random", "seed": 0, "episodes": 2}],
        "score_ranges": {"rewardgym/CartPole-v1": [22, 500]},
    }
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(suite))
    assert cli_main(["bench", str(path), "--out", str(tmp_path), "--ray", "--retries", "1"]) == 0
    assert "CartPole-v1" in capsys.readouterr().out
    assert (tmp_path / "cli" / "results.json").exists()


def test_rllib_ppo_trains_on_a_vector_env_and_a_pettingzoo_env():
    from ray.rllib.algorithms.ppo import PPOConfig

    from rewardgym.agents.rllib import make_env_creator, register_all
    from rewardgym.envs.control.cartpole import upright
    from rewardgym.envs.risk import matrix_risk_v0
    from rewardgym.rewards import EnvReward, Shaping

    ids = register_all(reward=EnvReward() + Shaping(upright, 0.99))
    assert "rewardgym/CartPole-v1" in ids and "rewardgym/matrix_risk_v0" in ids
    # the creator builds the batched vector env, reward wrapper applied, when RLlib asks
    vec = make_env_creator("rewardgym/CartPole-v1", EnvReward() + Shaping(upright, 0.99))(
        {"num_envs": 4}
    )
    vec.reset(seed=0)
    *_, info = vec.step(np.ones(4, dtype=np.int64))
    assert "shaping/upright" in info["reward_terms"] and vec.num_envs == 4
    vec.close()

    config = (
        PPOConfig()
        .environment("rewardgym/CartPole-v1")
        .env_runners(num_env_runners=1, num_envs_per_env_runner=8,
                     gym_env_vectorize_mode="vector_entry_point")
        .training(train_batch_size_per_learner=256, minibatch_size=64, num_epochs=1)
    )  # fmt: skip
    algo = config.build_algo()
    result = algo.train()
    algo.stop()
    assert result["env_runners"]["num_env_steps_sampled_lifetime"] >= 256

    agents = matrix_risk_v0.parallel_env().possible_agents
    config = (
        PPOConfig()
        .environment("rewardgym/matrix_risk_v0")
        .env_runners(num_env_runners=0)
        .multi_agent(policies=set(agents), policy_mapping_fn=lambda aid, *a, **k: aid)
        .training(train_batch_size_per_learner=128, minibatch_size=64, num_epochs=1)
    )
    algo = config.build_algo()
    result = algo.train()
    algo.stop()
    assert np.isfinite(result["env_runners"]["episode_return_mean"])


@pytest.mark.parametrize("env_id", ["rewardgym/risk_v0", "rewardgym/intersection_v0"])
def test_pettingzoo_envs_step_through_rllibs_multi_agent_wrappers(env_id):
    from rewardgym.agents.rllib import make_env_creator
    from rewardgym.rewards import EnvReward

    env = make_env_creator(env_id, reward=EnvReward())({})
    obs, _ = env.reset(seed=0)
    assert obs, "no agent observed the start"
    for _ in range(5):
        actions = {}
        for agent, o in obs.items():
            space = (
                env.action_space[agent]
                if isinstance(env.action_space, dict)
                else (env.get_action_space(agent))
            )
            mask = o.get("action_mask") if isinstance(o, dict) else None
            actions[agent] = int(np.flatnonzero(mask)[0]) if mask is not None else space.sample()
        obs, rewards, terminateds, truncateds, _ = env.step(actions)
        assert set(rewards) <= set(env.get_agent_ids()) | {"__all__"}
        if terminateds.get("__all__") or truncateds.get("__all__"):
            break
