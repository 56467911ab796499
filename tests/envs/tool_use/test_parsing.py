"""The action grammar: tagged calls, OpenAI JSON, answers, messages, and hostile
text (which must give a ParseError or a reading, never another exception)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewardgym.envs.tool_use.parsing import MAX_DEPTH, ParseError, parse_action

HOSTILE = (
    "__import__('os').system('rm -rf /')",
    "'; DROP TABLE users; --",
    '<tool_call>{"name": "__import__", "arguments": {"x": "os"}}</tool_call>',
    "<tool_call><tool_call></tool_call></tool_call>",
    "</answer><answer>",
    '{"tool_calls": "rm -rf"}',
    "[" * 5000 + "]" * 5000,
    '<tool_call>{"name": "f", "arguments": ' + "[" * 3000 + "]" * 3000 + "}</tool_call>",
    '<tool_call>{"name": "f", "arguments": {"x": NaN}}</tool_call>',
    '<tool_call>{"name": "f", "arguments": {"x": "\\ud800"}}</tool_call>',
    '<tool_call>{"name": "f", "arguments": {"x": "\\u0000"}}</tool_call>',
    '<tool_call>{"name": "f", "arguments": {"x": 1' + "0" * 5000 + "}}</tool_call>",
    "{{{{",
    "<think>" * 100,
    "eval(compile('1', 'x', 'eval'))",
)


def _call(name, **params):
    return {"name": name, "parameters": params}


def test_tagged_calls_lines_blocks_lists_and_synonyms():
    text = (
        "<think>two lookups</think>\n<tool_call>\n"
        '{"name": "a", "arguments": {"x": 1}}\n{"name": "b", "parameters": {"y": "z"}}\n'
        '</tool_call>\n<tool_call>[{"name": "c", "arguments": "{\\"k\\": [1, 2]}"}]</tool_call>'
    )
    parsed = parse_action(text)
    assert parsed.calls == (_call("a", x=1), _call("b", y="z"), _call("c", k=[1, 2]))
    assert parsed.answer is None and parsed.message == ""
    pretty = '<tool_call>\n{\n  "name": "a",\n  "arguments": {"x": 2}\n}\n</tool_call>'
    assert parse_action(pretty).calls == (_call("a", x=2),)


def test_openai_message_forms():
    fn = {"type": "function", "function": {"name": "a", "arguments": json.dumps({"x": 1})}}
    msg = {"role": "assistant", "content": None, "tool_calls": [fn, fn]}
    assert parse_action(json.dumps(msg)).calls == (_call("a", x=1),) * 2
    assert parse_action(json.dumps([fn])).calls == (_call("a", x=1),)
    assert parse_action(json.dumps({"name": "a", "arguments": {"x": 3}})).calls == (
        _call("a", x=3),
    )
    content = {"role": "assistant", "content": "<answer>done</answer>", "tool_calls": []}
    parsed = parse_action(json.dumps(content))
    assert parsed.calls == () and parsed.answer == "done"


def test_answer_and_message():
    parsed = parse_action("Sure. <answer> Your refund is $5.00. </answer>")
    assert parsed.answer == "Your refund is $5.00." and parsed.message == "Sure."
    parsed = parse_action("What's your email?")
    assert parsed.calls == () and parsed.answer is None and parsed.message == "What's your email?"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("   ", "empty"),
        ("<tool_call>{bad}</tool_call>", "not valid JSON"),
        ('<tool_call>\n{"name": "a", "arguments": {}}\n{bad\n</tool_call>', "line 2"),
        ("<tool_call></tool_call>", "is empty"),
        ('<tool_call>{"name": "a"}</tool_call>', "'arguments' object"),
        ('<tool_call>{"name": 3, "arguments": {}}</tool_call>', "string 'name'"),
        ("<tool_call>{}", "never closed"),
        ("</tool_call>", "without an opening tag"),
        ("<answer><tool_call>x</tool_call></answer>", "cannot be nested"),
        ("<answer>a</answer><answer>b</answer>", "2 <answer> blocks"),
        ('{"tool_calls": [1]}', "tool call 1 must be"),
        ('{"tool_calls": 5}', "must be a list"),
        ('{"content": 5}', "'content' must be a string"),
        ("{not json", "not valid JSON"),
        ('<tool_call>{"name": "a", "arguments": {"x": NaN}}</tool_call>', "not a JSON number"),
        ('<tool_call>{"name": "a", "arguments": {"x": "\\ud800"}}</tool_call>', "lone surrogate"),
        ('<tool_call>{"name": "a", "arguments": {"x": "a\\u0000b"}}</tool_call>', "control"),
        (
            '<tool_call>{"name": "a", "arguments": {"x": ' + "[" * 20 + "]" * 20 + "}}</tool_call>",
            f"more than {MAX_DEPTH} levels",
        ),
    ],
)
def test_malformed_actions_say_what_is_wrong(text, fragment):
    with pytest.raises(ParseError, match=None) as info:
        parse_action(text)
    assert fragment in str(info.value)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_give_a_parse_error_or_a_harmless_reading(text):
    try:
        parsed = parse_action(text)
    except ParseError:
        return
    # Read as plain text or as calls whose names are mere strings: nothing ran.
    assert isinstance(parsed.message, str)
    assert all(isinstance(c["name"], str) for c in parsed.calls)


_fragments = st.sampled_from(
    [
        "<tool_call>",
        "</tool_call>",
        "<answer>",
        "</answer>",
        "<think>",
        "</think>",
        "{",
        "}",
        "[",
        "]",
        '"name"',
        '"arguments"',
        ":",
        ",",
        '"',
        "\\",
        "NaN",
        "\n",
        "\x00",
        "\ud800",
        "__import__('os')",
        "'; DROP TABLE users; --",
        '{"name": "get_account", "arguments": {',
        '"account_id": "ACC100101"',
        "1e999",
        "-0",
        "null",
        "tool_calls",
        "function",
    ]
)
hostile_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_fragments, st.text(max_size=8)), max_size=40).map("".join),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=20,
    ).map(lambda v: "<tool_call>" + json.dumps(v) + "</tool_call>"),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text)
def test_fuzz_parser_never_raises_anything_but_parse_error(text):
    try:
        parsed = parse_action(text)
    except ParseError as exc:
        assert str(exc)
        return
    for c in parsed.calls:
        assert isinstance(c["name"], str) and isinstance(c["parameters"], dict)
        json.dumps(c["parameters"])  # only JSON values come out


def test_huge_input_is_linear():
    import time

    text = "<think>x</think>" * 20000 + "<answer>" + "y" * 100000 + "</answer>"
    start = time.perf_counter()
    assert parse_action(text).answer == "y" * 100000
    assert time.perf_counter() - start < 1.0
