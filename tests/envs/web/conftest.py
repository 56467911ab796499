"""Helpers shared by the web env tests."""

from __future__ import annotations

from typing import Any

import pytest


def play_oracle(env: Any, task_id: int, *, check_candidates: bool = True) -> dict[str, Any]:
    """Run the oracle on one task; returns the last info, the summed reward terms,
    the number of steps and the rewards."""
    obs, info = env.reset(seed=task_id, options={"task_id": task_id})
    q = env.unwrapped
    done, steps, rewards = False, 0, []
    totals: dict[str, float] = {}
    while not done:
        action = q.oracle_action()
        if q.action_mode == "discrete":
            assert info["action_mask"][action] == 1
            if check_candidates:
                assert len(q._candidates()) <= q.max_candidates, task_id
        obs, reward, terminated, truncated, info = env.step(action)
        assert info["error"] is None, (task_id, action, info["error_message"])
        for k, v in info["reward_terms"].items():
            totals[k] = totals.get(k, 0.0) + v
        rewards.append(reward)
        steps += 1
        done = terminated or truncated
    return {"info": info, "totals": totals, "steps": steps, "rewards": rewards, "obs": obs}


@pytest.fixture
def oracle_runner():
    return play_oracle
