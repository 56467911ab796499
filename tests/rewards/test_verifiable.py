"""Verifiable rewards: hand-computed ToolRL scores, the BFCL AST match rule by rule,
numeric and exact matches, the TRL adapters, and fuzzing for hostile completions."""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewardgym.rewards.verifiable import (
    bfcl_match,
    exact_match,
    extract_number,
    format_reward,
    numeric_match,
    parse_tool_calls,
    pass_hat_k,
    tool_call_score,
    toolrl_correctness_reward,
    toolrl_format_reward,
    toolrl_reward,
    trl_bfcl_reward,
    trl_exact_match,
    trl_format_reward,
    trl_numeric_match,
    trl_toolrl_reward,
)


def _call(name, **params):
    return {"name": name, "parameters": params}


def _completion(*calls, think="plan", response=None, raw_calls=None):
    """A ToolRL completion: a think block, a tool_call block, an optional response."""
    parts = [f"<think>{think}</think>"]
    body = raw_calls if raw_calls is not None else "\n".join(json.dumps(c) for c in calls)
    if calls or raw_calls is not None:
        parts.append(f"<tool_call>\n{body}\n</tool_call>")
    if response is not None:
        parts.append(f"<response>{response}</response>")
    return "\n".join(parts)


WEATHER = _call("get_weather", city="Paris", unit="celsius")


# --------------------------------------------------------------------------- parsing
def test_parse_one_call_per_line_and_arguments_synonym():
    text = (
        '<tool_call>\n{"name": "a", "parameters": {"x": 1}}\n'
        '{"name": "b", "arguments": {"y": [1, 2]}}\n</tool_call>'
    )
    assert parse_tool_calls(text) == [_call("a", x=1), _call("b", y=[1, 2])]


def test_parse_blocks_pretty_printed_and_openai_string_arguments():
    pretty = '<tool_call>\n{\n  "name": "a",\n  "parameters": {"x": 1}\n}\n</tool_call>'
    assert parse_tool_calls(pretty) == [_call("a", x=1)]
    hermes = (
        '<tool_call>{"name": "a", "arguments": "{\\"x\\": 1}"}</tool_call>\n'
        '<tool_call>{"name": "b", "parameters": {}}</tool_call>'
    )
    assert parse_tool_calls(hermes) == [_call("a", x=1), _call("b")]
    as_list = '<tool_call>[{"name": "a", "parameters": {}}]</tool_call>'
    assert parse_tool_calls(as_list) == [_call("a")]


def test_parse_no_tags_is_empty_and_malformed_is_none():
    assert parse_tool_calls("just text") == []
    assert parse_tool_calls("<tool_call>\n</tool_call>") == []
    bad = [
        "<tool_call>{not json}</tool_call>",
        '<tool_call>{"name": "a", "parameters": {}}',  # unclosed
        '</tool_call><tool_call>{"name": "a", "parameters": {}}</tool_call>',
        '<tool_call><tool_call>{"name": "a", "parameters": {}}</tool_call></tool_call>',
        "<tool_call>[1, 2]</tool_call>",  # not objects
        '<tool_call>"a string"</tool_call>',
        '<tool_call>{"name": 3, "parameters": {}}</tool_call>',  # non-string name
        '<tool_call>{"name": "", "parameters": {}}</tool_call>',
        '<tool_call>{"name": "a", "parameters": [1]}</tool_call>',  # parameters not a dict
        '<tool_call>{"name": "a"}</tool_call>',  # no parameters
        '<tool_call>{"name": "a", "parameters": {}}\n{"name": "b"}</tool_call>',
        "<tool_call>" + "[" * 5000 + "]" * 5000 + "</tool_call>",  # RecursionError
        '<tool_call>{"name": "a", "parameters": {"n": ' + "9" * 5000 + "}}</tool_call>",
    ]
    for text in bad:
        assert parse_tool_calls(text) is None, text
    assert parse_tool_calls(None) is None  # type: ignore[arg-type]


# --------------------------------------------------------------------------- ToolRL
def test_toolrl_exact_match_scores_four():
    completion = _completion(WEATHER)
    assert toolrl_format_reward(completion, [WEATHER]) == 1.0
    assert toolrl_correctness_reward(completion, [WEATHER]) == 3.0
    assert toolrl_reward(completion, [WEATHER]) == 4.0


def test_toolrl_exact_match_is_order_free_and_accepts_arguments():
    gold = [_call("a", x=1), _call("b", y="z")]
    pred = '<think>t</think>\n<tool_call>\n{"name": "b", "arguments": {"y": "z"}}\n'
    pred += '{"name": "a", "parameters": {"x": 1.0}}\n</tool_call>'
    assert toolrl_reward(pred, gold) == 4.0


def test_toolrl_partial_credit_one_param_wrong():
    # gold get_weather(city, unit); predicted same keys, city right, unit wrong:
    # S = 1 (names) + [1 (keys {city, unit} both) + 1 (city equal)] = 3
    # S_max = 1 + (1 + 2) = 4;  R_correct = 6 * 3 / 4 - 3 = 1.5
    pred = _completion(_call("get_weather", city="Paris", unit="kelvin"))
    assert toolrl_correctness_reward(pred, [WEATHER]) == pytest.approx(1.5)
    assert toolrl_reward(pred, [WEATHER]) == pytest.approx(2.5)


def test_toolrl_partial_credit_one_param_missing():
    # predicted get_weather(city="Paris") only:
    # S = 1 + [|{city}| / |{city, unit}| = 1/2 + 1 (city equal)] = 2.5
    # R_correct = 6 * 2.5 / 4 - 3 = 0.75
    pred = _completion(_call("get_weather", city="Paris"))
    assert toolrl_correctness_reward(pred, [WEATHER]) == pytest.approx(0.75)


def test_toolrl_partial_credit_missing_call_and_wrong_name():
    gold = [_call("a", x=1), _call("b", y=2)]
    # predicted a(x=1) only: names {a, b} vs {a} -> 1/2; a -> 1 + 1; b -> nothing.
    # S = 0.5 + 2 = 2.5, S_max = 1 + (1 + 1) + (1 + 1) = 5, R = 6 * 2.5 / 5 - 3 = 0
    assert toolrl_correctness_reward(_completion(_call("a", x=1)), gold) == pytest.approx(0.0)
    # predicted a(x=1), c(y=2): names {a, b} vs {a, c} -> 1/3; S = 1/3 + 2
    # R = 6 * (7/3) / 5 - 3 = -0.2
    pred = _completion(_call("a", x=1), _call("c", y=2))
    assert toolrl_correctness_reward(pred, gold) == pytest.approx(-0.2)
    # an extra key: gold a(x=1), predicted a(x=1, z=0): keys {x} vs {x, z} -> 1/2
    # S = 1 + 1/2 + 1 = 2.5, S_max = 1 + 2 = 3, R = 6 * 2.5 / 3 - 3 = 2
    pred = _completion(_call("a", x=1, z=0))
    assert toolrl_correctness_reward(pred, [_call("a", x=1)]) == pytest.approx(2.0)


def test_toolrl_greedy_picks_best_unused_prediction():
    gold = [_call("f", x=1), _call("f", x=2)]
    # both golds find their exact copy even when listed in the other order
    assert tool_call_score([_call("f", x=2), _call("f", x=1)], gold) == 3.0
    # two golds, one prediction f(x=2): names {f, f} vs {f} -> 1/2; the first gold takes
    # f(x=2) for 1 (keys) + 0, the second finds it used: S = 1.5, S_max = 5
    assert tool_call_score([_call("f", x=2)], gold) == pytest.approx(6 * 1.5 / 5 - 3)


def test_toolrl_values_compare_as_json():
    gold = [_call("f", flag=True, n=1)]
    # flag=1 is not True; n=1.0 equals 1: S = 1 + 1 + 1 = 3, S_max = 4 -> 1.5
    assert tool_call_score([_call("f", flag=1, n=1.0)], gold) == pytest.approx(1.5)


def test_toolrl_missing_tags_and_invalid_json_give_minus_three():
    assert toolrl_correctness_reward("<think>x</think>\nno call", [WEATHER]) == -3.0
    assert toolrl_correctness_reward(_completion(raw_calls="{oops"), [WEATHER]) == -3.0
    assert toolrl_correctness_reward(_completion(raw_calls="[1]"), [WEATHER]) == -3.0
    assert toolrl_correctness_reward(_completion(raw_calls=""), [WEATHER]) == -3.0
    # invalid JSON but correct layout: format 1, correctness -3
    assert toolrl_reward(_completion(raw_calls="{oops"), [WEATHER]) == -2.0


def test_toolrl_no_tool_gold_gives_zero_correctness():
    completion = _completion(response="It is sunny.")
    assert toolrl_correctness_reward(completion, [], "It is sunny.") == 0.0
    assert toolrl_correctness_reward(_completion(WEATHER), []) == 0.0
    assert toolrl_reward(completion, [], gold_response="It is sunny.") == 1.0


def test_toolrl_format_rules():
    both = _completion(WEATHER, response="ok")
    assert toolrl_format_reward(both, [WEATHER], "ok") == 1.0
    # a response block that the gold does not have, or a missing required one
    assert toolrl_format_reward(both, [WEATHER]) == 0.0
    assert toolrl_format_reward(_completion(WEATHER), [WEATHER], "ok") == 0.0
    # a tool_call block when the gold only has a response
    assert toolrl_format_reward(both, [], "ok") == 0.0
    assert toolrl_format_reward(_completion(response="ok"), [], "ok") == 1.0
    # whitespace between and around blocks is fine
    assert toolrl_format_reward("  \n" + _completion(WEATHER) + "\n\n", [WEATHER]) == 1.0
    call = json.dumps(WEATHER)
    violations = [
        f"<think>a</think><think>b</think>\n<tool_call>\n{call}\n</tool_call>",  # two thinks
        f"<tool_call>\n{call}\n</tool_call>\n<think>a</think>",  # wrong order
        f"<tool_call>\n{call}\n</tool_call>",  # no think
        f"<think>a</think>\n<tool_call>\n{call}\n</tool_call>\n<tool_call>\n{call}\n</tool_call>",
        f"intro <think>a</think>\n<tool_call>\n{call}\n</tool_call>",  # text outside
        f"<think>a</think>\n<tool_call>\n{call}\n</tool_call> trailing",
        f"<think>a</think> between <tool_call>\n{call}\n</tool_call>",
        f"<think>a\n<tool_call>\n{call}\n</tool_call></think>",  # nested
        f"<think>a</think>\n<tool_call>\n{call}\n",  # unclosed
        f"</think>a<think>\n<tool_call>\n{call}\n</tool_call>",  # reversed tags
    ]
    for text in violations:
        assert toolrl_format_reward(text, [WEATHER]) == 0.0, text


def test_toolrl_gold_as_text_or_json_and_bad_gold_raises():
    tagged = f"<tool_call>\n{json.dumps(WEATHER)}\n</tool_call>"
    assert toolrl_reward(_completion(WEATHER), tagged) == 4.0
    assert toolrl_reward(_completion(WEATHER), json.dumps([WEATHER])) == 4.0
    with pytest.raises(ValueError, match="invalid gold call"):
        toolrl_reward(_completion(WEATHER), [{"name": "f"}])
    with pytest.raises(ValueError, match="not JSON"):
        toolrl_reward(_completion(WEATHER), "{nope")


# --------------------------------------------------------------------------- BFCL
def _bfcl(name, **params):
    return {name: params}


def test_bfcl_exact_and_names():
    gold = [_bfcl("area", base=[10], height=[5])]
    assert bfcl_match([_bfcl("area", base=10, height=5)], gold)
    assert not bfcl_match([_bfcl("volume", base=10, height=5)], gold)
    assert not bfcl_match([_bfcl("area", base=11, height=5)], gold)
    # the {"name", "parameters"} form and tagged text are accepted too
    assert bfcl_match([_call("area", base=10, height=5)], gold)
    text = '<tool_call>{"name": "area", "arguments": {"base": 10, "height": 5}}</tool_call>'
    assert bfcl_match(text, gold)
    assert bfcl_match('[{"area": {"base": 10, "height": 5}}]', gold)


def test_bfcl_int_accepted_for_float_not_the_reverse():
    assert bfcl_match([_bfcl("f", x=2)], [_bfcl("f", x=[2.0])])
    assert not bfcl_match([_bfcl("f", x=2.0)], [_bfcl("f", x=[2])])
    assert not bfcl_match([_bfcl("f", x=True)], [_bfcl("f", x=[1])])
    schema = [{"name": "f", "parameters": {"properties": {"x": {"type": "float"}}}}]
    assert bfcl_match([_bfcl("f", x=2)], [_bfcl("f", x=[2.0])], schema)
    schema_int = [{"name": "f", "parameters": {"properties": {"x": {"type": "integer"}}}}]
    assert not bfcl_match([_bfcl("f", x=2.0)], [_bfcl("f", x=[2.0])], schema_int)
    schema_str = [{"name": "f", "parameters": {"properties": {"x": {"type": "string"}}}}]
    assert not bfcl_match([_bfcl("f", x=2)], [_bfcl("f", x=[2.0])], schema_str)


def test_bfcl_string_normalisation():
    gold = [_bfcl("book", city=["New York, NY", "NYC"])]
    assert bfcl_match([_bfcl("book", city="new york ny")], gold)
    assert bfcl_match([_bfcl("book", city="New-York.NY")], gold)
    assert bfcl_match([_bfcl("book", city="n_y_c")], gold)
    assert not bfcl_match([_bfcl("book", city="Newark")], gold)
    assert not bfcl_match([_bfcl("book", city=3)], gold)


def test_bfcl_required_unknown_and_optional():
    gold = [_bfcl("f", a=[1], b=["x", ""])]  # b optional
    assert bfcl_match([_bfcl("f", a=1)], gold)  # optional omitted
    assert bfcl_match([_bfcl("f", a=1, b="x")], gold)
    assert not bfcl_match([_bfcl("f", a=1, b="y")], gold)
    assert not bfcl_match([_bfcl("f", b="x")], gold)  # required a missing
    assert not bfcl_match([_bfcl("f", a=1, c=0)], gold)  # unknown c
    # a schema adds its required list and known parameters
    schema = {
        "name": "f",
        "parameters": {
            "type": "dict",
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
            "required": ["a", "b"],
        },
    }
    assert not bfcl_match([_bfcl("f", a=1)], gold, [schema])
    assert bfcl_match([_bfcl("f", a=1, b="x")], gold, [schema])
    narrow = {"name": "f", "parameters": {"properties": {"a": {"type": "integer"}}}}
    assert not bfcl_match([_bfcl("f", a=1, b="x")], gold, [narrow])  # b unknown to the schema
    assert not bfcl_match([_bfcl("f", a=1, b="x")], gold, {"f": narrow})  # {name: doc} form
    openai = {"type": "function", "function": schema}
    assert not bfcl_match([_bfcl("f", a=1)], gold, [openai])


def test_bfcl_lists_and_dicts():
    gold = [_bfcl("f", xs=[["New York", "Paris"]], d=[{"k": [1], "opt": ["", 2]}])]
    assert bfcl_match([_bfcl("f", xs=["newyork", "paris"], d={"k": 1})], gold)
    assert bfcl_match([_bfcl("f", xs=["New York", "Paris"], d={"k": 1, "opt": 2})], gold)
    assert not bfcl_match([_bfcl("f", xs=["Paris", "New York"], d={"k": 1})], gold)  # order
    assert not bfcl_match([_bfcl("f", xs=["New York"], d={"k": 1})], gold)  # length
    assert not bfcl_match([_bfcl("f", xs=["New York", "Paris"], d={"k": 2})], gold)
    assert not bfcl_match([_bfcl("f", xs=["New York", "Paris"], d={"opt": 2})], gold)
    assert not bfcl_match([_bfcl("f", xs=["New York", "Paris"], d={"k": 1, "z": 0})], gold)
    assert not bfcl_match([_bfcl("f", xs="New York", d={"k": 1})], gold)


def test_bfcl_parallel_calls_order_free_one_to_one():
    gold = [_bfcl("w", city=["Paris"]), _bfcl("w", city=["Rome"]), _bfcl("t", tz=["UTC"])]
    pred = [_bfcl("t", tz="utc"), _bfcl("w", city="Rome"), _bfcl("w", city="Paris")]
    assert bfcl_match(pred, gold)
    assert not bfcl_match(pred[:2], gold)  # count mismatch
    assert not bfcl_match([*pred, _bfcl("t", tz="UTC")], gold)
    # two predictions may not both serve the same gold call
    assert not bfcl_match([_bfcl("w", city="Paris")] * 2 + [pred[0]], gold)
    # greedy would pair the first gold with the first prediction and fail; matching does not
    gold2 = [_bfcl("g", x=[1, 2]), _bfcl("g", x=[1])]
    assert bfcl_match([_bfcl("g", x=1), _bfcl("g", x=2)], gold2)
    assert bfcl_match([], [])
    assert not bfcl_match([_bfcl("g", x=1)], [])


def test_bfcl_hostile_predictions_are_false():
    gold = [_bfcl("f", a=[1])]
    for calls in [None, 3, "garbage", "<tool_call>{", [1], [{"f": 1}], [{3: {}}], {}, [{}]]:
        assert bfcl_match(calls, gold) is False  # type: ignore[arg-type]
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    assert bfcl_match([{"f": {"a": deep}}], gold) is False
    with pytest.raises(ValueError):
        bfcl_match([_bfcl("f", a=1)], [{"f": {}, "g": {}}])


# --------------------------------------------------------------------------- answers
def test_format_reward():
    pattern = r"<think>.*</think>\s*<answer>.*</answer>"
    assert format_reward("<think>a\nb</think>\n<answer>4</answer>", pattern) == 1.0
    assert format_reward("x<think>a</think><answer>4</answer>", pattern) == 0.0
    assert format_reward("<think>a</think><answer>4</answer> tail", pattern) == 0.0
    assert format_reward(None, pattern) == 0.0  # type: ignore[arg-type]
    assert format_reward("ABC", re.compile("abc", re.IGNORECASE)) == 1.0


def test_exact_match():
    assert exact_match("  Paris. ", "paris") == 1.0
    assert exact_match("New   York\nCity", "new york city.") == 1.0
    assert exact_match("Paris", "Paris, France") == 0.0
    assert exact_match("Paris.", "paris", normalize=False) == 0.0
    assert exact_match("Paris", "Paris", normalize=False) == 1.0
    assert exact_match("rome", ["Paris", "Rome"]) == 1.0
    assert exact_match("42", 42) == 1.0  # type: ignore[arg-type]
    assert exact_match(None, "x") == 0.0  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("The answer is 42.", 42.0),
        ("costs $1,234,567.89 in total", 1234567.89),
        ("x = -3.5", -3.5),
        ("from 3 to 7", 7.0),
        ("about 1.5e-3 m", 1.5e-3),
        ("6.02E23", 6.02e23),
        ("it is 3/4 of it", 0.75),
        ("-1/2", -0.5),
        (r"so \boxed{17} and then 99", 17.0),
        (r"\boxed{\frac{3}{4}}", 0.75),
        (r"\boxed{1{,}000}", 1000.0),
        (r"\boxed{x^{2}} = \boxed{12}", 12.0),
        ("range 3-5", 5.0),
        ("1,2,3", 3.0),
        (".5", 0.5),
        ("nothing here", None),
        (r"\boxed{none}", None),
        ("1/0", None),
    ],
)
def test_extract_number(text, value):
    got = extract_number(text)
    assert got == (pytest.approx(value) if value is not None else None)


def test_numeric_match():
    assert numeric_match("so the total is 1,000", 1000) == 1.0
    assert numeric_match("so the total is 1,000", "1000") == 1.0
    assert numeric_match("#### 72", "72") == 1.0
    assert numeric_match("0.75", "3/4") == 1.0
    assert numeric_match("0.3333333", 1 / 3) == 1.0
    assert numeric_match("0.33", 1 / 3) == 0.0
    assert numeric_match("0.33", 1 / 3, rel_tol=0.05) == 1.0
    assert numeric_match("12 then 13", 12) == 0.0
    assert numeric_match("no number", 3) == 0.0
    assert numeric_match("1e999", math.inf) == 1.0
    with pytest.raises(ValueError, match="no number"):
        numeric_match("3", "three")


# --------------------------------------------------------------------------- TRL
def _chat(text):
    return [{"role": "assistant", "content": text}]


def test_trl_toolrl_strings_chat_and_components():
    fn = trl_toolrl_reward("gold_calls")
    assert fn.__name__ == "toolrl_total"
    good, bad = _completion(WEATHER), "<think>x</think>"
    gold = [json.dumps([WEATHER]), [WEATHER]]
    out = fn(prompts=["p", "p"], completions=[good, bad], gold_calls=gold)
    assert out == [4.0, -3.0]
    chat = [[{"role": "user", "content": "hi"}, *_chat(good)], _chat(bad)]
    assert fn(prompts=["p", "p"], completions=chat, gold_calls=gold) == [4.0, -3.0]
    fmt = trl_toolrl_reward(component="format")
    corr = trl_toolrl_reward(component="correctness", name="tool_ok")
    assert (fmt.__name__, corr.__name__) == ("toolrl_format", "tool_ok")
    assert fmt(completions=[bad], gold_calls=[[WEATHER]]) == [0.0]
    assert corr(completions=[good], gold_calls=[[WEATHER]]) == [3.0]
    with pytest.raises(ValueError, match="component"):
        trl_toolrl_reward(component="nope")


def test_trl_toolrl_response_column_and_tagged_gold():
    fn = trl_toolrl_reward("gold", response_key="resp")
    both = _completion(WEATHER, response="ok")
    assert fn(completions=[both, both], gold=[[WEATHER]] * 2, resp=["ok", None]) == [4.0, 3.0]
    tagged = f"<tool_call>\n{json.dumps(WEATHER)}\n</tool_call>\n<response>ok</response>"
    plain = trl_toolrl_reward("gold")
    assert plain(completions=[both, _completion(WEATHER)], gold=[tagged] * 2) == [4.0, 3.0]
    only_response = "<response>Hello</response>"
    assert plain(completions=[_completion(response="Hi")], gold=[only_response]) == [1.0]


def test_trl_answer_functions():
    em = trl_exact_match()
    assert em.__name__ == "exact_match"
    assert em(prompts=["a", "b"], completions=["Paris.", _chat("rome")], answer=["paris", "x"]) == [
        1.0,
        0.0,
    ]
    nm = trl_numeric_match("solution")
    assert nm.__name__ == "numeric_match"
    out = nm(completions=[r"\boxed{12}", [{"content": "about 3.5"}]], solution=["12", 3.5])
    assert out == [1.0, 1.0]
    fr = trl_format_reward(r"<answer>\d+</answer>")
    assert fr.__name__ == "format_reward"
    assert fr(prompts=None, completions=["<answer>12</answer>", "12", None, 5]) == [
        1.0,
        0.0,
        0.0,
        0.0,
    ]
    bf = trl_bfcl_reward()
    assert bf.__name__ == "bfcl_match"
    text = '<tool_call>{"name": "f", "parameters": {"a": 1}}</tool_call>'
    assert bf(completions=[text, "no"], possible_answer=[[{"f": {"a": [1]}}]] * 2) == [1.0, 0.0]


def test_trl_multimodal_content_and_hostile_messages():
    fn = trl_exact_match()
    parts = [{"role": "assistant", "content": [{"type": "text", "text": "Paris"}]}]
    hostile = [[], [{"role": "assistant"}], [{"content": 3}], [1, 2], {"content": "paris"}]
    out = fn(completions=[parts, *hostile], answer=["paris"] * 6)
    assert out == [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]


def test_trl_missing_column_is_a_clear_error():
    with pytest.raises(KeyError, match="'answer'"):
        trl_exact_match()(prompts=["p"], completions=["x"], solution=["x"])
    with pytest.raises(KeyError, match="'gold_calls'"):
        trl_toolrl_reward()(prompts=["p"], completions=["x"])
    with pytest.raises(ValueError, match="2 entries for 1"):
        trl_numeric_match()(completions=["1"], answer=["1", "2"])
    with pytest.raises(ValueError, match="completions"):
        trl_exact_match()(prompts=["p"])


# --------------------------------------------------------------------------- fuzzing
_FRAGMENTS = st.sampled_from(
    [
        "<think>",
        "</think>",
        "<tool_call>",
        "</tool_call>",
        "<response>",
        "</response>",
        "\n",
        " ",
        '{"name": "get_weather", "parameters": {"city": "Paris", "unit": "celsius"}}',
        '{"name": "get_weather", "arguments": {"city": "Paris"}}',
        '{"name": 3, "parameters": {}}',
        '{"name": "x", "parameters": []}',
        '{"name": "x", "arguments": "{\\"a\\": 1}"}',
        '[{"name": "get_weather", "parameters": {}}]',
        "[[[[",
        "{",
        "}",
        '"',
        "null",
        "1e999",
        "-3/4",
        "\\boxed{",
        "1,234.5",
        "é🙂\u202e",
        "\x00",
    ]
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
    max_leaves=8,
)
_CALL_LINE = st.one_of(
    st.builds(
        lambda n, p: json.dumps({"name": n, "parameters": p}),
        st.sampled_from(["get_weather", "get_time", "x"]),
        st.dictionaries(st.sampled_from(["city", "unit", "tz"]), _JSON, max_size=3),
    ),
    _JSON.map(json.dumps),
)
_BLOCK = st.one_of(
    st.just("<think>reason</think>"),
    st.lists(_CALL_LINE, max_size=3).map(
        lambda ls: "<tool_call>\n" + "\n".join(ls) + "\n</tool_call>"
    ),
    st.just("<response>ok</response>"),
    _FRAGMENTS,
)
_HOSTILE = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_FRAGMENTS, st.text(max_size=8)), max_size=30).map("".join),
    st.lists(_BLOCK, max_size=5).map("\n".join),  # near-valid layouts
)
_GOLDS = [[], [WEATHER], [WEATHER, _call("get_time", tz="UTC")]]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_HOSTILE, gold_i=st.integers(0, 2), response=st.sampled_from([None, "ok"]))
def test_fuzz_toolrl_never_raises_and_stays_in_range(text, gold_i, response):
    gold = _GOLDS[gold_i]
    fmt = toolrl_format_reward(text, gold, response)
    corr = toolrl_correctness_reward(text, gold, response)
    total = toolrl_reward(text, gold, response)
    assert fmt in (0.0, 1.0)
    assert -3.0 <= corr <= 3.0
    assert -3.0 <= total <= 4.0
    assert total == pytest.approx(fmt + corr)
    if not gold:
        assert corr == 0.0
    calls = parse_tool_calls(text)
    assert calls is None or all(
        isinstance(c["name"], str) and isinstance(c["parameters"], dict) for c in calls
    )


@settings(max_examples=200, deadline=None)
@given(text=_HOSTILE)
def test_fuzz_bfcl_and_answers_never_raise(text):
    gold = [_bfcl("get_weather", city=["Paris"], unit=["celsius", ""])]
    assert bfcl_match(text, gold) in (True, False)
    assert format_reward(text, r"<think>.*</think>") in (0.0, 1.0)
    assert exact_match(text, "paris") in (0.0, 1.0)
    assert numeric_match(text, 3) in (0.0, 1.0)
    value = extract_number(text)
    assert value is None or isinstance(value, float)
    fn = trl_toolrl_reward()
    assert len(fn(completions=[text, _chat(text)], gold_calls=[[WEATHER]] * 2)) == 2


@settings(max_examples=100, deadline=None)
@given(obj=_JSON)
def test_fuzz_arbitrary_json_in_tool_call(obj):
    text = _completion(raw_calls=json.dumps(obj))
    assert -3.0 <= toolrl_reward(text, [WEATHER]) <= 4.0
    assert bfcl_match([{"get_weather": obj}], [_bfcl("get_weather", city=["Paris"])]) in (
        True,
        False,
    )


def test_huge_inputs_are_fast_and_safe():
    call = json.dumps(WEATHER)
    huge = "<think>" + "a" * 1_000_000 + "</think>\n<tool_call>\n" + call + "\n</tool_call>"
    assert toolrl_reward(huge, [WEATHER]) == 4.0
    junk = ("<tool_call>" + "{" * 1000) * 200
    assert toolrl_reward(junk, [WEATHER]) == -3.0
    assert extract_number("1" * 200_000) == math.inf
    assert extract_number("5" + " " * 200_000 + "x") == 5.0
    assert numeric_match("\\boxed{" * 10_000, 1) == 0.0
    assert bfcl_match("<tool_call>" + call * 5000 + "</tool_call>", [_bfcl("f", a=[1])]) is False


def test_pass_hat_k_by_hand():
    # Task A: 2 of 4 trials succeed; task B: 4 of 4; task C: 1 of 4.
    trials = [[True, False, True, False], [True] * 4, [False, False, True, False]]
    # k=1: success rates 1/2, 1, 1/4.
    assert pass_hat_k(trials, 1) == pytest.approx((0.5 + 1.0 + 0.25) / 3)
    # k=2: C(2,2)/C(4,2) = 1/6, 1, C(1,2) = 0.
    assert pass_hat_k(trials, 2) == pytest.approx((1 / 6 + 1.0 + 0.0) / 3)
    # k=4: only the all-success task counts.
    assert pass_hat_k(trials, 4) == pytest.approx(1 / 3)
    assert pass_hat_k([[1, 1, 0]], 2) == pytest.approx(1 / 3)  # truthy outcomes count
    with pytest.raises(ValueError, match="at least 3"):
        pass_hat_k([[True, True]], 3)
    with pytest.raises(ValueError, match="positive integer"):
        pass_hat_k(trials, 0)
    with pytest.raises(ValueError, match="at least one task"):
        pass_hat_k([], 1)
