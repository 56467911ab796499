"""The benchmark harness: suites as data, parallel and resumable runs, failures kept,
rliable aggregates and plots."""

from __future__ import annotations

import json

import pytest

from rewardgym import bench
from rewardgym.cli import main

CARTPOLE = "rewardgym/CartPole-v1"
PPO_KW = {"num_envs": 8, "num_steps": 64}


def tiny_suite() -> bench.Suite:
    runs = [
        bench.RunSpec(CARTPOLE, "random", seed=0, episodes=3),
        bench.RunSpec(CARTPOLE, "random", seed=1, episodes=3),
        bench.RunSpec(
            CARTPOLE, "ppo", seed=0, train_steps=1024, episodes=2, agent_kwargs=bench._kw(**PPO_KW)
        ),
        bench.RunSpec(
            CARTPOLE,
            "ppo",
            "shaping:upright",
            seed=0,
            train_steps=1024,
            episodes=2,
            agent_kwargs=bench._kw(**PPO_KW),
        ),
        bench.RunSpec(CARTPOLE, "ppo", "shaping:no_such_potential", seed=0, train_steps=1024),
    ]
    return bench.Suite("tiny", "test suite", runs, {CARTPOLE: (22.0, 500.0)})


def test_suite_runs_in_parallel_resumes_and_reports_failures(tmp_path):
    suite = tiny_suite()
    summary = bench.run_suite(suite, tmp_path, workers=2, progress=False)
    folder = tmp_path / "tiny"
    assert (folder / "scores.png").stat().st_size > 0
    assert (folder / "curves.png").stat().st_size > 0
    saved = json.loads((folder / "results.json").read_text())
    assert saved["groups"] == summary["groups"]
    (failed_key,) = summary["failures"]
    assert "no_such_potential" in failed_key
    assert "exports no potential" in summary["failures"][failed_key]
    groups = {(g["agent"], g["reward"]): g for g in summary["groups"]}
    assert groups[("random", "env")]["runs"] == 2
    assert groups[("random", "env")]["iqm"]["value"] < 0.05
    assert set(summary["aggregate"]) == {"ppo | env", "ppo | shaping:upright", "random | env"}
    assert "P(ppo | env > random | env)" in summary["probability_of_improvement"]

    # Resumed: the four finished runs are not redone; the failed one is retried.
    again = bench.run_suite(suite, tmp_path, workers=1, progress=False)
    assert again["skipped_as_finished"] == 4
    assert len(again["failures"]) == 1
    assert again["groups"] == summary["groups"]


def test_scores_are_normalised_by_the_suite_ranges():
    suite = bench.Suite("s", "", [bench.RunSpec(CARTPOLE, "random")], {CARTPOLE: (0.0, 100.0)})
    rec = {"spec": {"env_id": CARTPOLE, "agent": "random", "reward": "env"},
           "returns": [50.0, 100.0], "success_rate": None, "mean_return": 75.0,
           "wall_time_s": 1.0, "curve": []}  # fmt: skip
    out = bench.summarize(suite, [rec, {**rec, "returns": [0.0, 0.0]}], reps=100)
    (row,) = out["groups"]
    assert row["mean_score"]["value"] == pytest.approx((0.75 + 0.0) / 2)


def test_suites_validate_their_data(tmp_path):
    with pytest.raises(ValueError, match="no score range"):
        bench.Suite("x", "", [bench.RunSpec(CARTPOLE, "random")], {})
    with pytest.raises(ValueError, match="same run twice"):
        bench.Suite("x", "", [bench.RunSpec(CARTPOLE, "random")] * 2, {CARTPOLE: (0, 1)})
    with pytest.raises(ValueError, match="unknown suite"):
        bench.get_suite("nope")
    for name in bench.SUITES:
        assert bench.get_suite(name).runs


def test_json_suites_and_the_cli(tmp_path, capsys):
    spec = {
        "name": "cli", "score_ranges": {CARTPOLE: [22, 500]},
        "runs": [{"env_id": CARTPOLE, "agent": "random", "seed": 3, "episodes": 2}],
    }  # fmt: skip
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(spec))
    assert main(["bench", str(path), "--out", str(tmp_path), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "IQM score" in out and "random" in out and "results.json" in out
    assert main(["bench", "--list"]) == 0
    assert "quick" in capsys.readouterr().out


def _fault_suite(tmp_path, env_id: str) -> bench.Suite:
    """A run whose worker process dies, between two CartPole runs sharing its pool."""
    crash = bench.RunSpec(env_id, "random", episodes=2,
                          env_kwargs=(("marker", str(tmp_path / "marker")),))  # fmt: skip
    runs = [bench.RunSpec(CARTPOLE, "random", seed=s, episodes=2) for s in (0, 1)]
    return bench.Suite("faults", "a worker dies", [runs[0], crash, runs[1]],
                       {CARTPOLE: (22.0, 500.0), env_id: (0.0, 5.0)})  # fmt: skip


def _returns(folder) -> dict[str, list[float]]:
    recs = [json.loads(p.read_text()) for p in (folder / "runs").glob("*.json")]
    return {r["key"]: r["returns"] for r in recs if "key" in r}


def test_local_runner_reruns_the_runs_a_dead_worker_took_down(tmp_path):
    suite = _fault_suite(tmp_path, "ray_faults:CrashOnce-v0")
    summary = bench.run_suite(suite, tmp_path / "pool", workers=2, retries=0, progress=False)
    assert (tmp_path / "marker").exists()  # the first attempt ran and died
    assert not summary["failures"]
    got = _returns(tmp_path / "pool" / "faults")
    assert len(got) == 3 and all(len(r) == 2 for r in got.values())
    # The CartPole runs give what they give in a pool that never broke.
    clean = bench.Suite("faults", "", [r for r in suite.runs if r.env_id == CARTPOLE],
                        {CARTPOLE: (22.0, 500.0)})  # fmt: skip
    bench.run_suite(clean, tmp_path / "serial", workers=1, progress=False)
    for key, returns in _returns(tmp_path / "serial" / "faults").items():
        assert got[key] == returns


def test_local_runner_reports_a_run_whose_worker_always_dies(tmp_path):
    suite = _fault_suite(tmp_path, "ray_faults:CrashAlways-v0")
    summary = bench.run_suite(suite, tmp_path, workers=2, retries=1, progress=False)
    (key,) = summary["failures"]
    assert "CrashAlways" in key and "2 attempts" in summary["failures"][key]
    assert "worker process died" in summary["failures"][key]
    assert (tmp_path / "faults" / "runs" / f"{key}.error.json").exists()
    assert len(_returns(tmp_path / "faults")) == 2  # the other runs are kept
