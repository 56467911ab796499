"""The web action language: both spellings, every verb, error messages, and a
Hypothesis fuzz of hostile text (the parser and the envs never raise)."""

from __future__ import annotations

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rewardgym  # noqa: F401  (registers the ids)
from rewardgym.envs.web.actions import (
    VERBS,
    ActionParseError,
    WebAction,
    format_action,
    parse_action,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("click [12]", WebAction("click", 12)),
        ("click(12)", WebAction("click", 12)),
        ("  CLICK [ 3 ]  ", WebAction("click", 3)),
        ("click 7", WebAction("click", 7)),
        ('type [7] "blue jacket"', WebAction("type", 7, "blue jacket")),
        ("type(7, 'blue jacket')", WebAction("type", 7, "blue jacket")),
        ('type [7] ""', WebAction("type", 7, "")),
        (r'type [1] "say \"hi\" \\ bye"', WebAction("type", 1, 'say "hi" \\ bye')),
        ('select [9] "M"', WebAction("select", 9, "M")),
        ('select(9, "x-large")', WebAction("select", 9, "x-large")),
        ('search "waterproof jacket"', WebAction("search", None, "waterproof jacket")),
        ("search('a b')", WebAction("search", None, "a b")),
        ("scroll down", WebAction("scroll", None, "down")),
        ("scroll(UP)", WebAction("scroll", None, "up")),
        ('scroll "down"', WebAction("scroll", None, "down")),
        ("back", WebAction("back")),
        ("back()", WebAction("back")),
        ("stop", WebAction("stop")),
        ('stop "42 dollars"', WebAction("stop", None, "42 dollars")),
        ('stop("")', WebAction("stop", None, "")),
    ],
)
def test_parse_reads_both_spellings(text, expected):
    assert parse_action(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("jump [3]", "unknown action 'jump'"),
        ("click", "element id in brackets"),
        ("click [x]", "element id in brackets"),
        ("click [3", "closing bracket"),
        ("click [-1]", "element id in brackets"),
        ("click [99999999999]", "too large"),
        ("click [3] now", "unexpected text after the action"),
        ("type [3] blue", "the text in quotes"),
        ('type [3] "blue', "not closed"),
        ('type(3 "blue")', "a comma"),
        ("select [2]", "the option in quotes"),
        ("search blue", "the query in quotes"),
        ("scroll left", "up or down"),
        ("back(", "closing parenthesis"),
        ("click(3", "closing parenthesis"),
    ],
)
def test_parse_errors_say_what_was_expected(text, message):
    with pytest.raises(ActionParseError, match=message):
        parse_action(text)


_actions = st.one_of(
    st.builds(WebAction, st.just("click"), st.integers(0, 10**6)),
    st.builds(WebAction, st.sampled_from(["type", "select"]), st.integers(0, 10**6), st.text()),
    st.builds(WebAction, st.just("search"), st.none(), st.text()),
    st.builds(WebAction, st.just("scroll"), st.none(), st.sampled_from(["up", "down"])),
    st.builds(WebAction, st.just("back")),
    st.builds(WebAction, st.just("stop"), st.none(), st.none() | st.text()),
)


@settings(max_examples=300, deadline=None)
@given(_actions)
def test_format_then_parse_is_the_identity(action):
    assert parse_action(format_action(action)) == action


_hostile = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda verb, rest: f"{verb}{rest}",
        st.sampled_from([*VERBS, "CLICK", "type(", "select ["]),
        st.text(alphabet=st.sampled_from(list(" []()\"',\\0123456789abc\n\t<>é")), max_size=30),
    ),
)


@settings(max_examples=400, deadline=None)
@given(_hostile)
def test_parser_never_raises_anything_but_a_parse_error(text):
    try:
        action = parse_action(text)
    except ActionParseError as exc:
        assert str(exc)
    else:
        assert action.verb in VERBS
        assert parse_action(format_action(action)) == action


@pytest.fixture(scope="module")
def envs():
    made = {name: gym.make(f"rewardgym/{name}-v0") for name in ("WebShop", "WebForms")}
    yield made
    for env in made.values():
        env.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_hostile, name=st.sampled_from(["WebShop", "WebForms"]))
def test_envs_turn_hostile_text_into_error_observations(envs, text, name):
    env = envs[name]
    env.reset(seed=0)
    obs, reward, _terminated, _truncated, info = env.step(text)
    assert isinstance(obs, str)
    assert info["error"] in (None, "parse", "illegal")
    if info["error"] is not None:
        assert info["error_message"] and obs.startswith(f"[{info['error']} error]")
        assert reward == 0.0 and info["reward_terms"]["invalid"] == 0.0
