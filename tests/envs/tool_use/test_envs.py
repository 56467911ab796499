"""ToolCall and ToolAgent: the oracle, reward ordering, random agents, hostile text,
pickling, truncation and reward composition."""

from __future__ import annotations

import pickle

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rewardgym  # noqa: F401  (registers the ids)
from rewardgym import testing
from rewardgym.agents.random import RandomAgent
from rewardgym.envs.tool_use._common import NO_TOOL_ANSWER
from rewardgym.envs.tool_use.candidates import _alt_value, _perturb
from rewardgym.envs.tool_use.env import REWARD_TERMS, ToolAgentEnv, ToolCallEnv
from rewardgym.envs.tool_use.tasks import (
    DOMAINS,
    format_answer,
    format_calls,
    get_domain,
    value_pool,
)

CALL, AGENT = "rewardgym/ToolCall-v0", "rewardgym/ToolAgent-v0"
MODES = ("text", "discrete")


def _episode(env, policy, index, seed=0):
    """Play one test task with ``policy(env) -> action``; (return, last info, steps)."""
    env.reset(seed=seed, options={"task_index": index})
    total, steps, done, info = 0.0, 0, False, {}
    while not done:
        _, reward, terminated, truncated, info = env.step(policy(env))
        total += reward
        steps += 1
        done = terminated or truncated
    return total, info, steps


def _oracle(env):
    return env.unwrapped.oracle_action()


# -- the oracle ------------------------------------------------------------------------


@pytest.mark.parametrize("env_id", [CALL, AGENT])
@pytest.mark.parametrize("mode", MODES)
def test_oracle_succeeds_on_every_held_out_task(env_id, mode):
    env = gym.make(env_id, split="test", action_mode=mode)
    tasks = env.unwrapped.test_tasks
    assert {t.domain for t in tasks} == set(DOMAINS)
    for i, task in enumerate(tasks):
        total, info, _ = _episode(env, _oracle, i, seed=i)
        assert info["success"], (task.task_id, info["reward_terms"])
        assert info["error"] is None
        terms = info["reward_terms"]
        assert terms["db_match"] == terms["bfcl"] == terms["outputs"] == 1.0
        assert terms["toolrl"] == (3.0 if task.gold_calls else 0.0)
        expected = 2.0 if env_id == AGENT else (1.75 if task.gold_calls else 1.25)
        assert total == pytest.approx(expected), task.task_id


@pytest.mark.parametrize("env_id", [CALL, AGENT])
def test_oracle_succeeds_on_train_tasks_of_every_domain(env_id):
    for domain in DOMAINS:
        env = gym.make(env_id, domain=domain)
        for seed in range(25):
            env.reset(seed=seed)
            done = False
            while not done:
                _, _, terminated, truncated, info = env.step(_oracle(env))
                done = terminated or truncated
            assert info["success"], info["task_id"]


def test_oracle_picks_up_after_other_actions():
    # Someone else did the lookups (and asked the user): the oracle continues from there.
    env = gym.make("rewardgym/ToolAgent-Banking-v0", split="test", action_mode="text")
    env.reset(seed=0, options={"task_index": 9})
    task = env.unwrapped.task
    assert task.steps[0].kind == "ask"
    env.step("Hello! Could you give me your e-mail address please?")
    env.step(task.steps[1].text)
    assert _oracle(env) == task.steps[2].text
    done = False
    while not done:
        _, _, terminated, truncated, info = env.step(_oracle(env))
        done = terminated or truncated
    assert info["success"]


# -- reward ordering ---------------------------------------------------------------------


def _call_partial(task, rng):
    """Right tools, one argument wrong (or, when no tool applies, an answer plus a call)."""
    dom = get_domain(task.domain)
    if not task.gold_calls:
        lookup = next(t for t in dom.toolbox.tools.values() if not t.writes)
        arg = {lookup.required[0]: value_pool(task.domain)[lookup.required[0]][0]}
        return format_answer(NO_TOOL_ANSWER) + format_calls(
            [{"name": lookup.name, "parameters": arg}]
        )
    calls = [{"name": c["name"], "parameters": dict(c["parameters"])} for c in task.gold_calls]
    first = calls[0]
    key = sorted(first["parameters"])[0]
    tool = dom.toolbox.tools[first["name"]]
    first["parameters"][key] = _alt_value(
        tool, key, first["parameters"][key], value_pool(task.domain), rng
    )
    return format_calls(calls)


def _agent_partial_policy(env):
    """The oracle, except the last writing step is skipped and the answer's amounts
    and ids are wrong: the lookups are right, the outcome is not."""
    u = env.unwrapped
    task = u.task
    box = u.toolbox
    writes = [
        s
        for s in task.steps
        if s.kind == "calls" and any(box.tools[c["name"]].writes for c in s.calls)
    ]
    step = u._next_gold_step()
    if step.kind == "answer" or (writes and step.text == writes[-1].text):
        return format_answer(_perturb(task.answer, task.required_outputs))
    return step.text


@pytest.mark.parametrize("domain", DOMAINS)
def test_reward_order_oracle_partial_malformed_toolcall(domain):
    env = gym.make(CALL, domain=domain, split="test")
    rng = np.random.default_rng(0)
    for i, task in enumerate(env.unwrapped.test_tasks):
        r_oracle, _, _ = _episode(env, _oracle, i)
        r_partial, info, _ = _episode(env, lambda e: _call_partial(e.unwrapped.task, rng), i)
        assert not info["success"], task.task_id
        r_bad, info, _ = _episode(env, lambda e: "<tool_call>{not json</tool_call>", i)
        assert info["error"] == "parse" and info["reward_terms"]["format"] == 0.0
        assert r_oracle > r_partial > r_bad, (task.task_id, r_oracle, r_partial, r_bad)


@pytest.mark.parametrize("domain", DOMAINS)
def test_reward_order_oracle_partial_malformed_toolagent(domain):
    env = gym.make(AGENT, domain=domain, split="test")
    for i, task in enumerate(env.unwrapped.test_tasks):
        r_oracle, _, _ = _episode(env, _oracle, i)
        r_partial, info, _ = _episode(env, _agent_partial_policy, i)
        assert not info["success"], task.task_id
        r_bad, info, steps = _episode(env, lambda e: "<tool_call>{oops</tool_call>", i)
        assert info["error"] == "parse" and steps == 30
        assert r_oracle > r_partial > r_bad, (task.task_id, r_oracle, r_partial, r_bad)


# -- the random agent ------------------------------------------------------------------


@pytest.mark.parametrize("env_id", [CALL, AGENT])
@pytest.mark.parametrize("mode", MODES)
def test_random_agent_rarely_succeeds(env_id, mode):
    env = gym.make(env_id, split="test", action_mode=mode)
    agent = RandomAgent(env.action_space, seed=1)
    wins = []
    for i in range(len(env.unwrapped.test_tasks)):
        obs, info = env.reset(seed=i, options={"task_index": i})
        done = False
        while not done:
            obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
            done = terminated or truncated
        wins.append(info["success"])
    rate = float(np.mean(wins))
    # Free text never hits a correct call by chance; a uniform pick among 12 candidates
    # is right about 1 time in 12 per decision.
    assert rate == 0.0 if mode == "text" else rate < 0.15, rate


# -- hostile text ----------------------------------------------------------------------

_pieces = st.sampled_from(
    [
        "<tool_call>",
        "</tool_call>",
        "<answer>",
        "</answer>",
        "{",
        "}",
        "[",
        "]",
        '"name": ',
        '"arguments": ',
        '"get_order_details"',
        '"cancel_order"',
        '"order_id": "O5001"',
        "__import__('os').system('ls')",
        "'; DROP TABLE users; --",
        "\\u0000",
        "NaN",
        "1e999",
        '{"tool_calls": [',
        '"function": {',
        "\ud800",
        "\x00",
        "\n",
        "x" * 50,
    ]
)
_hostile = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(_pieces, st.text(max_size=6)), max_size=30).map("".join),
    st.binary(max_size=100),
    st.integers(),
    st.none(),
    st.just("A" * 10_000),
    st.just("[" * 4000 + "]" * 4000),
    st.just(
        '<tool_call>{"name": "update_user_address", "arguments": {"user_id": "U9999", '
        '"address": "\'; DROP TABLE users; --", "city": "x", "zip": "00000"}}</tool_call>'
    ),
)


def _rows(conn):
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in tables}


@pytest.mark.parametrize("cls", [ToolCallEnv, ToolAgentEnv])
def test_fuzz_hostile_actions_never_raise_and_never_touch_the_database(cls):
    env = cls(domain="retail")
    env.reset(seed=3)
    before = _rows(env._conn)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_hostile)
    def check(action):
        env.reset(seed=3)
        _, reward, _, _, info = env.step(action)
        assert np.isfinite(reward)
        assert info["error"] in (None, "parse", "illegal", "execution")
        assert set(info["reward_terms"]) == set(REWARD_TERMS)
        assert _rows(env._conn) == before

    check()


def test_injection_text_is_stored_as_data():
    env = ToolAgentEnv(domain="retail")
    env.reset(seed=0)
    evil = "'; DROP TABLE users; --"
    action = format_calls(
        [
            {
                "name": "update_user_address",
                "parameters": {
                    "user_id": "U1001",
                    "address": evil,
                    "city": "__import__('os')",
                    "zip": "12345",
                },
            }
        ]
    )
    _, _, _, _, info = env.step(action)
    assert info["error"] is None
    row = env._conn.execute("SELECT address, city FROM users WHERE user_id = 'U1001'").fetchone()
    assert row == (evil, "__import__('os')")
    assert env._conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 40


# -- pickling, truncation, info ---------------------------------------------------------


@pytest.mark.parametrize("env_id", [CALL, AGENT])
@pytest.mark.parametrize("mode", MODES)
def test_pickle_mid_episode_continues_identically(env_id, mode):
    env = gym.make(env_id, split="test", action_mode=mode)
    env.reset(seed=0, options={"task_index": 20})
    if env_id == AGENT:
        for _ in range(2):
            env.step(_oracle(env))
    clone = pickle.loads(pickle.dumps(env))
    assert _rows(clone.unwrapped._conn) == _rows(env.unwrapped._conn)
    done = False
    while not done:
        action = _oracle(env)
        assert _oracle(clone) == action
        out_a, out_b = env.step(action), clone.step(action)
        testing.assert_same(out_a, out_b)
        done = out_a[2] or out_a[3]
    assert out_b[4]["success"]
    with pytest.raises(Exception, match="not authorized"):  # the copy is protected too
        clone.unwrapped._conn.execute("DROP TABLE users")


def test_turn_budget_truncates_with_final_terms():
    env = ToolAgentEnv(domain="travel", max_turns=3)
    env.reset(seed=0)
    for t in range(3):
        _, _, terminated, truncated, info = env.step("Hello?")
        assert not terminated
        assert truncated == (t == 2)
    assert not info["success"] and info["reward_terms"]["toolrl"] == -3.0
    assert "turn limit" in info["text"]


def test_info_contract_and_conversation_log():
    env = gym.make("rewardgym/ToolAgent-Retail-v0", split="test")
    obs, info = env.reset(seed=0, options={"task_index": 10})
    assert info["domain"] == "retail" and info["task_id"].startswith("retail/agent/")
    assert "# Tools" in obs and env.unwrapped.tools[0]["type"] == "function"
    _, reward, _, _, info = env.step(_oracle(env))
    assert set(info["reward_terms"]) == set(REWARD_TERMS) and reward == 0.0
    assert info["caption"] == info["text"] and info["text"].startswith("User:")
    env.step(_oracle(env))
    roles = [m["role"] for m in env.unwrapped.messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "tool"]


def test_discrete_candidates_hold_the_gold_action_once():
    for env_id in (CALL, AGENT):
        env = gym.make(env_id, split="test", action_mode="discrete")
        for i in range(0, 72, 7):
            obs, info = env.reset(seed=i, options={"task_index": i})
            cands = info["candidates"]
            assert len(cands) == len(set(cands)) >= 6
            assert obs["action_mask"].sum() == len(cands)
            gold = env.unwrapped._oracle_text()
            assert cands.count(gold) == 1 and cands[_oracle(env)] == gold


def test_reward_terms_compose_with_the_reward_suite():
    from rewardgym.rewards.terms import InfoTerm
    from rewardgym.rewards.wrappers import RewardWrapper

    env = RewardWrapper(
        gym.make(AGENT, split="test"), InfoTerm("db_match") + InfoTerm("outputs") * 0.5
    )
    env.reset(seed=0, options={"task_index": 5})
    done, total = False, 0.0
    while not done:
        _, reward, terminated, truncated, _ = env.step(env.unwrapped.oracle_action())
        total += reward
        done = terminated or truncated
    assert total == pytest.approx(1.5)


def test_custom_weights_and_bad_arguments():
    env = ToolCallEnv(split="test", reward_weights={"success": 10.0, "format": 0.0})
    env.reset(seed=0, options={"task_index": 0})
    _, reward, *_ = env.step(env.oracle_action())
    assert reward == pytest.approx(10.0 + 0.5)
    for kwargs, fragment in (
        ({"domain": "casino"}, "domain must be"),
        ({"difficulty": "extreme"}, "difficulty must be"),
        ({"split": "dev"}, "split must be"),
        ({"reward_weights": {"speed": 1.0}}, "unknown term 'speed'"),
        ({"max_calls_per_action": 0}, "max_calls_per_action"),
    ):
        with pytest.raises(ValueError, match=fragment):
            ToolCallEnv(**kwargs)
    with pytest.raises(ValueError, match="max_turns"):
        ToolAgentEnv(max_turns=0)
    env = ToolAgentEnv(split="test")
    with pytest.raises(ValueError, match="out of range"):
        env.reset(options={"task_index": 10_000})


def test_toolcall_errors_keep_partial_credit():
    env = ToolCallEnv(domain="banking", split="test", difficulty="medium")
    env.reset(seed=0, options={"task_index": 0})
    gold = env.task.gold_calls[0]
    wrong_type = {
        "name": gold["name"],
        "parameters": {**gold["parameters"], next(iter(gold["parameters"])): 12345},
    }
    _, _, terminated, _, info = env.step(format_calls([wrong_type]))
    assert terminated and info["error"] == "illegal"
    assert -3.0 < info["reward_terms"]["toolrl"] < 3.0
    assert info["reward_terms"]["invalid"] == -1.0 and not info["success"]
    env.reset(seed=0, options={"task_index": 0})
    _, _, _, _, info = env.step("I think you should transfer it.")
    assert info["error"] == "parse" and "no tool call and no <answer>" in info["error_message"]
