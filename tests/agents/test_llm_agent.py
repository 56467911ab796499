"""The LLM agent against the project's scripted OpenAI-compatible server: the server
plays the model (its replies come from the env's oracle, plain or wrapped in chatty
text), so an episode succeeds only if the prompt, the HTTP exchange and the parsing of
the reply into an action all work."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rewardgym  # noqa: F401
from rewardgym.agents import make_agent
from rewardgym.agents.llm import LLMAgent, LLMAgentError, clean_reply, match_candidate
from rewardgym.agents.runner import run_episodes
from rewardgym.rewards.llm import ScriptedLLMServer


def play(env: gym.Env[Any, Any], agent: LLMAgent, seed: int, max_steps: int = 60) -> dict[str, Any]:
    obs, info = env.reset(seed=seed)
    ret, steps = 0.0, 0
    while True:
        obs, reward, terminated, truncated, info = env.step(agent.act(obs, info))
        ret += float(reward)
        steps += 1
        if terminated or truncated or steps >= max_steps:
            return {"return": ret, "success": bool(info["success"]), "info": info}


def oracle_reply(env: gym.Env[Any, Any], discrete: bool = False):
    def respond(messages: list[dict[str, Any]]) -> str:
        action = env.unwrapped.oracle_action()
        if discrete:  # answer with the candidate's text, as a model would
            return env.unwrapped.candidates[int(action)]
        return str(action)

    return respond


@pytest.mark.parametrize("mode", ["normal", "chatty"])
@pytest.mark.parametrize(
    "env_id, kwargs",
    [
        ("rewardgym/TextQuest-v0", {"difficulty": "easy"}),
        ("rewardgym/ToolAgent-v0", {}),
        ("rewardgym/WebShop-v0", {}),
        ("rewardgym/Wordle-v0", {}),
    ],
)
def test_llm_agent_wins_when_the_model_answers_right(env_id, kwargs, mode):
    env = gym.make(env_id, **kwargs)
    with ScriptedLLMServer(responder=oracle_reply(env), mode=mode) as server:
        agent = LLMAgent(env, server.base_url, "scripted", backoff=0.0)
        for seed in range(2):
            result = play(env, agent, seed)
            assert result["success"], (env_id, seed, result["info"].get("error_message"))
        # the conversation restarts each episode: the system prompt holds the env's docs
        assert agent.stats()["failures"] == 0 and agent.stats()["requests"] > 0
    env.close()


def test_discrete_mode_matches_the_reply_to_a_candidate():
    env = gym.make("rewardgym/ToolCall-v0", action_mode="discrete")
    with ScriptedLLMServer(responder=oracle_reply(env, discrete=True), mode="chatty") as server:
        agent = LLMAgent(env, server.base_url, "scripted", backoff=0.0)
        wins = [play(env, agent, seed)["success"] for seed in range(5)]
    assert all(wins) and agent.unparsed == 0


def test_the_prompt_is_the_env_documentation_and_the_history_is_bounded():
    seen: list[list[dict[str, Any]]] = []
    env = gym.make("rewardgym/TextQuest-v0", difficulty="easy")

    def respond(messages):
        seen.append(messages)
        return "look"

    with ScriptedLLMServer(responder=respond) as server:
        agent = LLMAgent(env, server.base_url, "scripted", history=2)
        obs, info = env.reset(seed=0)
        shown = []
        for _ in range(5):
            shown.append(obs)
            obs, *_, info = env.step(agent.act(obs, info))
    system = seen[0][0]
    assert system["role"] == "system" and "TextQuest" in system["content"]
    assert [len(m) for m in seen] == [2, 4, 6, 6, 6]  # system + 2 past turns + the new one
    assert [m["content"] for m in seen[-1][1:]] == [shown[2], "look", shown[3], "look", shown[4]]


def test_a_failing_server_raises_after_retries_or_degrades_to_an_empty_action():
    env = gym.make("rewardgym/TextQuest-v0", difficulty="easy")
    with ScriptedLLMServer(mode="error") as server:
        agent = LLMAgent(env, server.base_url, "scripted", retries=2, backoff=0.0)
        obs, info = env.reset(seed=0)
        with pytest.raises(LLMAgentError, match="3 attempts"):
            agent.act(obs, info)
        assert agent.failures == 1 and agent.requests == 3
        lenient = LLMAgent(env, server.base_url, "scripted", retries=0, on_error="empty")
        obs, _, terminated, _, info = env.step(lenient.act(obs, info))
        assert info["error"] == "parse" and not terminated  # the episode goes on
        assert lenient.failures == 1


def test_make_agent_and_the_runner_use_the_environment_variables(monkeypatch):
    with ScriptedLLMServer(responder=lambda messages: "inventory") as server:
        monkeypatch.setenv("REWARDGYM_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("REWARDGYM_LLM_MODEL", "scripted")
        stats = run_episodes("rewardgym/TextQuest-v0", "llm", episodes=1, seed=0, max_steps=4,
                             difficulty="easy")  # fmt: skip
    assert stats.lengths == [4] and stats.successes == [False]


def test_constructor_arguments_are_checked(monkeypatch):
    env = gym.make("rewardgym/TextQuest-v0")
    for var in ("REWARDGYM_LLM_BASE_URL", "OPENAI_BASE_URL", "REWARDGYM_LLM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ValueError, match="REWARDGYM_LLM_BASE_URL"):
        make_agent("llm", env)
    with pytest.raises(ValueError, match="model"):
        LLMAgent(env, "http://127.0.0.1:1/v1")
    with pytest.raises(ValueError, match="on_error"):
        LLMAgent(env, "http://127.0.0.1:1/v1", "m", on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="history"):
        LLMAgent(env, "http://127.0.0.1:1/v1", "m", history=-1)


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("look", "look"),
        ("<think>the key is in the box</think>\ntake key", "take key"),
        ("```\nopen door\n```", "open door"),
        ("Action: go north", "go north"),
        ("<think>unfinished reasoning", ""),
    ],
)
def test_clean_reply(reply, expected):
    assert clean_reply(reply) == expected


def test_match_candidate_rules():
    cands = ["go north", "take red key", "open wooden door"]
    assert match_candidate("take red key", cands) == (1, True)
    assert match_candidate("I will do this:\nOpen wooden door.", cands) == (2, True)
    assert match_candidate("3", cands) == (2, True)
    assert match_candidate("[1]", cands) == (0, True)
    assert match_candidate('I choose "go north" now', cands) == (0, True)
    assert match_candidate("the key looks useful", cands) == (1, False)
    assert match_candidate("nothing in common", cands) == (0, False)
    with pytest.raises(ValueError):
        match_candidate("x", [])


@given(st.text(max_size=300), st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=8))
def test_match_candidate_never_fails_on_hostile_replies(reply, cands):
    index, exact = match_candidate(reply, cands)
    assert 0 <= index < len(cands) and isinstance(exact, bool)
