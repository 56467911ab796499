r"""Verifiable rewards for tool calls and answers.

Rule-based rewards that score a model's text against a gold answer, with no learned
reward model: the ToolRL reward for tool calls, the BFCL AST match, and format,
exact-match and numeric checks. Each is a plain function of ``(completion, gold)``; the
``trl_*`` factories wrap them as reward functions for TRL's ``GRPOTrainer``.

Every function that reads model output is total: unbalanced or nested tags, invalid
JSON, JSON that is not an object, non-string names, unicode and very long inputs give
the lowest score (or ``None`` / ``False``), never an exception. Gold answers come from
the dataset and are trusted: a malformed gold answer raises ``ValueError``.

ToolRL reward
-------------
Qian et al. 2025, *ToolRL: Reward is All Tool Learning Needs* (reference code:
``qiancheng0/ToolRL``, ``verl/utils/reward_score/rlla.py``). Completions take the form::

    <think>...</think>
    <tool_call>
    {"name": "search", "parameters": {"q": "x"}}
    {"name": "lookup", "parameters": {"id": 3}}
    </tool_call>
    <response>...</response>

and the reward is ``R = R_format + R_correct`` in [-3, 4].

**R_format** in {0, 1} (:func:`toolrl_format_reward`). The required blocks are
``think`` always, ``tool_call`` when the gold answer has tool calls, and ``response``
when it has a response (``gold_response is not None``). R_format = 1 when

1. each required tag pair occurs exactly once (``<t>`` once and ``</t>`` once), and
   the tags of blocks that are not required do not occur at all;
2. the stripped text is the required blocks in the order think, tool_call, response,
   with only whitespace between them and nothing before or after.

Otherwise 0. Block contents are not checked here. The reference code matches
``^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>...$`` with single newlines;
this version accepts any whitespace between blocks (a deliberate relaxation).

**R_correct** in [-3, 3] (:func:`toolrl_correctness_reward`). 0 when the gold answer
has no tool call. Otherwise the predicted calls come from :func:`parse_tool_calls`;
invalid calls give -3, and an exact match (the same calls as a multiset) gives 3.
Otherwise, with the multiset similarity

    match(A, B) = 1 if A == B;  0 if A or B is empty;  |A ∩ B| / |A ∪ B| otherwise,

    S = match(gold names, predicted names)
        + Σ_g max_p [ match(keys_g, keys_p) + Σ_{k ∈ keys_g} 1[k ∈ p and p[k] == g[k]] ]

where, for each gold call g in order, p ranges over the predicted calls with g's name
not yet used by an earlier gold call (the maximiser, first in predicted order, is
then used; g adds 0 when there is none). With S_max = 1 + Σ_g (1 + |params_g|),

    R_correct = 6 S / S_max - 3.

Missing ``<tool_call>`` tags leave no predicted call, so S = 0 and R_correct = -3, as
for invalid JSON. Parameter values compare as JSON values: 1 == 1.0, but booleans never
equal numbers and strings compare exactly (no normalisation).

Worked example: gold ``f(a=1, b=2)``, prediction ``f(a=1)``. S = 1 (names) + 1/2
(keys {a} vs {a, b}) + 1 (a correct) = 2.5; S_max = 1 + (1 + 2) = 4;
R_correct = 6 · 2.5 / 4 - 3 = 0.75.

**Parsing** (:func:`parse_tool_calls`). Every ``<tool_call>...</tool_call>`` block is
read (one block with one call per line is ToolRL's format; one block per call, as in
Hermes/Qwen chat templates, is accepted too). In a block each non-blank line is one JSON
object; if that fails the whole block is read as one JSON object or a JSON list of
objects (pretty-printed output). A call is an object with a non-empty string ``"name"``
and a ``"parameters"`` object; ``"arguments"`` is a synonym (also as a JSON-encoded
string, the OpenAI convention); other keys are ignored. The result is ``[]`` when the
text has no tool_call tag, ``None`` when the tags are unbalanced or nested, a block
does not parse, or a call is invalid.

BFCL AST match
--------------
The Berkeley Function Calling Leaderboard's AST checker (``gorilla``,
``bfcl_eval`` ``ast_checker``), for Python-style calls (:func:`bfcl_match`). The gold
answer is BFCL's "possible answer" format, a list of ``{function_name: {param:
[allowed values...]}}``; an empty string ``""`` among the allowed values marks the
parameter optional. A predicted call matches a gold call when

- the names are equal;
- no parameter is unknown: each is in the gold call (and, with a schema, in the
  schema's ``properties``);
- every required parameter is present: those whose allowed values lack ``""`` and,
  with a schema, those in its ``required`` list;
- with a schema, each value has the declared type (``integer``, ``float``/``number``,
  ``string``, ``boolean``, ``array``/``tuple``, ``dict``/``object``; ``any`` or other
  types are not checked), an int being accepted where a float is declared;
- each value equals one of the allowed values, where: an int equals an allowed float
  (not the reverse, and booleans never equal numbers); strings are compared after
  BFCL's normalisation (remove spaces and the characters ``, . / - _ * ^``, map ``'``
  to ``"``, lowercase); lists are equal element-wise in order, with the same rules;
  a dict is compared against an allowed dict whose values are themselves lists of
  allowed values, recursively (unknown keys fail, a missing key needs ``""``).

Several calls (BFCL's parallel categories) match order-free: the counts must be equal
and the calls are matched one-to-one by maximum bipartite matching.

Simplifications: only the Python checker (no Java/JavaScript type conversion), no
``items`` type checks inside arrays, no rewriting of ``.`` to ``_`` in names, and the
bipartite matching replaces BFCL's greedy one (it accepts a superset: orders that the
greedy pass fails on). Predicted calls may be given as BFCL's decoded form
``[{name: {params}}]``, as ``[{"name": ..., "parameters": ...}]``, or as text with
tool_call tags (or a bare JSON list).

Format and answer checks
------------------------
- :func:`format_reward`: 1.0 when ``re.fullmatch(pattern, text, re.DOTALL)``, else 0.0.
- :func:`exact_match`: 1.0 when the strings are equal after normalisation (strip,
  lowercase, collapse whitespace, strip trailing periods); the gold may be a list of
  accepted answers.
- :func:`numeric_match`: 1.0 when the last number of the prediction is close to the
  gold (``math.isclose`` with ``rel_tol`` and ``abs_tol``). When the text has a
  ``\boxed{...}`` (or ``\fbox{...}``), only the last one is read. Numbers may have
  commas as thousands separators (``1,234.5``), a sign, decimals, an exponent
  (``1.5e-3``), or be simple fractions (``3/4``, ``\frac{3}{4}``). The gold is a
  number or a string read the same way.

Reliability over trials
-----------------------
:func:`pass_hat_k` is tau-bench's pass^k: with ``c`` successes in ``n`` trials of a
task, the chance that ``k`` trials drawn without replacement all succeed is
``C(c, k) / C(n, k)``; pass^k is its mean over tasks (pass^1 is the success rate).

TRL reward functions
--------------------
TRL's ``GRPOTrainer`` calls each reward function as ``f(prompts=..., completions=...,
**columns)`` and expects one float per completion. Completions are strings or chat
messages (a list of ``{"role", "content"}`` dicts, of which the last assistant
message's content is scored); every other dataset column arrives as a keyword list with
one entry per completion. The factories :func:`trl_toolrl_reward`,
:func:`trl_bfcl_reward`, :func:`trl_exact_match`, :func:`trl_numeric_match` and
:func:`trl_format_reward` return such functions, named (``__name__``) for TRL's logs. A
missing column raises ``KeyError`` naming the column. Store tool-call golds as JSON
strings (or ToolRL's tagged text): Arrow unifies the keys of nested dicts across rows
and fills the missing ones with ``None``.

Example::

    from trl import GRPOTrainer
    from rewardgym.rewards.verifiable import trl_toolrl_reward

    trainer = GRPOTrainer(model, reward_funcs=[trl_toolrl_reward("gold_calls")], ...)
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from .terms import Term, Transitions

__all__ = [
    "RewardFunc",
    "VerifiableTerm",
    "bfcl_match",
    "exact_match",
    "extract_number",
    "format_reward",
    "numeric_match",
    "parse_tool_calls",
    "pass_hat_k",
    "tool_call_score",
    "toolrl_correctness_reward",
    "toolrl_format_reward",
    "toolrl_reward",
    "trl_bfcl_reward",
    "trl_exact_match",
    "trl_format_reward",
    "trl_numeric_match",
    "trl_toolrl_reward",
]

ToolCall = dict[str, Any]
RewardFunc = Callable[..., list[float]]

TOOLRL_MIN, TOOLRL_MAX = -3.0, 4.0
_OPEN, _CLOSE = "<tool_call>", "</tool_call>"
_TAGS = ("think", "tool_call", "response")


# --------------------------------------------------------------------------- parsing
def _normalise_call(obj: Any) -> ToolCall | None:
    """``{"name": str, "parameters": dict}`` from one decoded call, or None."""
    if not isinstance(obj, dict):
        return None
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        return None
    if "parameters" in obj:
        params = obj["parameters"]
    elif "arguments" in obj:
        params = obj["arguments"]
        if isinstance(params, str):  # OpenAI encodes arguments as a JSON string
            params = _loads(params)
    else:
        return None
    if not isinstance(params, dict):
        return None
    return {"name": name, "parameters": params}


def _loads(text: str) -> Any:
    """json.loads that returns None instead of raising (depth, huge ints, bad JSON)."""
    try:
        return json.loads(text)
    except Exception:
        return None


def _parse_block(block: str) -> list[ToolCall] | None:
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    per_line = [_normalise_call(_loads(line)) for line in lines]
    if all(call is not None for call in per_line):
        return [call for call in per_line if call is not None]
    # Fallback: the block is one (pretty-printed) object or a list of objects.
    whole = _loads(block)
    items = whole if isinstance(whole, list) else [whole]
    out = [_normalise_call(item) for item in items]
    if not out or any(call is None for call in out):
        return None
    return [call for call in out if call is not None]


def parse_tool_calls(text: str) -> list[ToolCall] | None:
    """The tool calls in ``text`` as ``[{"name": str, "parameters": dict}, ...]``.

    ``[]`` when there is no tool_call tag; ``None`` when the tags are unbalanced or
    nested, a block is not valid JSON, or a call lacks a string name or a parameters
    object. Never raises.
    """
    if not isinstance(text, str):
        return None
    calls: list[ToolCall] = []
    pos = 0
    while True:
        start, stop = text.find(_OPEN, pos), text.find(_CLOSE, pos)
        if start < 0 and stop < 0:
            return calls
        if start < 0 or 0 <= stop < start:  # a closing tag with no opening one
            return None
        body = start + len(_OPEN)
        stop = text.find(_CLOSE, body)
        if stop < 0:
            return None
        block = text[body:stop]
        if _OPEN in block:
            return None
        parsed = _parse_block(block)
        if parsed is None:
            return None
        calls.extend(parsed)
        pos = stop + len(_CLOSE)


def _coerce_gold_calls(gold_calls: Any) -> list[ToolCall]:
    """Gold calls as a list of normalised calls; raises ValueError when malformed."""
    if gold_calls is None:
        return []
    if isinstance(gold_calls, str):
        if _OPEN in gold_calls:
            parsed = parse_tool_calls(gold_calls)
            if parsed is None:
                raise ValueError(f"gold tool calls do not parse: {gold_calls[:200]!r}")
            return parsed
        decoded = _loads(gold_calls)
        if decoded is None and gold_calls.strip():
            raise ValueError(f"gold tool calls are not JSON: {gold_calls[:200]!r}")
        gold_calls = decoded if decoded is not None else []
    if isinstance(gold_calls, Mapping):
        gold_calls = [gold_calls]
    if not isinstance(gold_calls, Sequence):
        raise ValueError(f"gold tool calls must be a list of calls, got {type(gold_calls)}")
    out = []
    for call in gold_calls:
        norm = _normalise_call(dict(call) if isinstance(call, Mapping) else call)
        if norm is None:
            raise ValueError(
                f"invalid gold call {call!r}: expected {{'name': str, 'parameters': dict}}"
            )
        out.append(norm)
    return out


# --------------------------------------------------------------------------- ToolRL
def _match(a: Iterable[Any], b: Iterable[Any]) -> float:
    """Multiset Jaccard similarity: 1 if equal, 0 if either is empty."""
    ca, cb = Counter(a), Counter(b)
    if ca == cb:
        return 1.0
    if not ca or not cb:
        return 0.0
    return sum((ca & cb).values()) / sum((ca | cb).values())


def _json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: 1 == 1.0, booleans are not numbers, exact strings."""
    try:
        if isinstance(a, bool) or isinstance(b, bool):
            return type(a) is type(b) and a == b
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return bool(a == b)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
        return type(a) is type(b) and bool(a == b)
    except Exception:  # RecursionError on absurdly deep values
        return False


def tool_call_score(
    predicted: Sequence[Mapping[str, Any]], gold: Sequence[Mapping[str, Any]]
) -> float:
    """ToolRL's R_correct in [-3, 3] for already parsed calls (see the module docs).

    Both arguments are lists of ``{"name": str, "parameters": dict}``; 0.0 when
    ``gold`` is empty.
    """
    if not gold:
        return 0.0
    gold_names = [g["name"] for g in gold]
    score = _match(gold_names, [p["name"] for p in predicted])
    s_max = 1.0 + sum(1.0 + len(g["parameters"]) for g in gold)
    used = [False] * len(predicted)
    for g in gold:
        g_params = g["parameters"]
        best, best_i = -1.0, -1
        for i, p in enumerate(predicted):
            if used[i] or p["name"] != g["name"]:
                continue
            p_params = p["parameters"]
            value = _match(g_params.keys(), p_params.keys()) + sum(
                1.0 for k in g_params if k in p_params and _json_equal(p_params[k], g_params[k])
            )
            if value > best:
                best, best_i = value, i
        if best_i >= 0:
            used[best_i] = True
            score += best
    if score >= s_max:  # all terms are then integral: an exact match
        return 3.0
    return min(3.0, max(-3.0, 6.0 * score / s_max - 3.0))


def toolrl_format_reward(
    completion: str,
    gold_calls: Sequence[Mapping[str, Any]] | str | None,
    gold_response: str | None = None,
) -> float:
    """ToolRL's R_format in {0, 1}: the required tag pairs once each, in order.

    ``think`` is always required, ``tool_call`` when ``gold_calls`` is non-empty and
    ``response`` when ``gold_response`` is not None; the tags of the other blocks must
    be absent, and only whitespace may separate the blocks.
    """
    if not isinstance(completion, str):
        return 0.0
    required = ["think"]
    if _coerce_gold_calls(gold_calls):
        required.append("tool_call")
    if gold_response is not None:
        required.append("response")
    for tag in _TAGS:
        want = 1 if tag in required else 0
        if completion.count(f"<{tag}>") != want or completion.count(f"</{tag}>") != want:
            return 0.0
    rest = completion.strip()
    for tag in required:
        opening, closing = f"<{tag}>", f"</{tag}>"
        if not rest.startswith(opening):
            return 0.0
        end = rest.find(closing, len(opening))
        if end < 0:
            return 0.0
        rest = rest[end + len(closing) :].lstrip()
    return 1.0 if not rest else 0.0


def toolrl_correctness_reward(
    completion: str,
    gold_calls: Sequence[Mapping[str, Any]] | str | None,
    gold_response: str | None = None,
) -> float:
    """ToolRL's R_correct in [-3, 3]: 0 without gold calls, -3 for invalid calls, 3
    for an exact match, partial credit ``6 S / S_max - 3`` otherwise.

    ``gold_response`` is accepted for a signature shared with the other ToolRL rewards
    and does not enter the score.
    """
    gold = _coerce_gold_calls(gold_calls)
    if not gold:
        return 0.0
    predicted = parse_tool_calls(completion)
    if predicted is None:
        return -3.0
    return tool_call_score(predicted, gold)


def toolrl_reward(
    completion: str,
    gold_calls: Sequence[Mapping[str, Any]] | str | None,
    gold_response: str | None = None,
) -> float:
    """ToolRL's total reward R_format + R_correct, in [-3, 4]."""
    return toolrl_format_reward(completion, gold_calls, gold_response) + (
        toolrl_correctness_reward(completion, gold_calls)
    )


# --------------------------------------------------------------------------- BFCL
_BFCL_STRIP = re.compile(r"[ ,./\-_*^]")


def _bfcl_norm(s: str) -> str:
    return _BFCL_STRIP.sub("", s).lower().replace("'", '"')


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _value_matches(value: Any, allowed: Any) -> bool:
    """``value`` equals one allowed value (recursion follows the trusted gold)."""
    if isinstance(allowed, bool):
        return isinstance(value, bool) and value == allowed
    if isinstance(allowed, float):
        return _is_number(value) and float(value) == allowed
    if isinstance(allowed, int):
        return isinstance(value, int) and not isinstance(value, bool) and value == allowed
    if isinstance(allowed, str):
        return isinstance(value, str) and _bfcl_norm(value) == _bfcl_norm(allowed)
    if isinstance(allowed, (list, tuple)):
        return (
            isinstance(value, (list, tuple))
            and len(value) == len(allowed)
            and all(_value_matches(v, a) for v, a in zip(value, allowed, strict=True))
        )
    if isinstance(allowed, Mapping):
        return isinstance(value, Mapping) and _params_match(value, allowed)
    if allowed is None:
        return value is None
    return type(value) is type(allowed) and bool(value == allowed)


def _alternatives(spec: Any) -> list[Any]:
    return list(spec) if isinstance(spec, (list, tuple)) else [spec]


def _params_match(params: Mapping[Any, Any], spec: Mapping[Any, Any]) -> bool:
    """Parameters (or a nested dict) against ``{key: [allowed values]}``."""
    for key, value in params.items():
        if key not in spec:
            return False
        if not any(_value_matches(value, alt) for alt in _alternatives(spec[key])):
            return False
    return all(key in params or "" in _alternatives(alts) for key, alts in spec.items())


_SCHEMA_TYPES: dict[str, Callable[[Any], bool]] = {
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": _is_number,
    "number": _is_number,
    "string": lambda v: isinstance(v, str),
    "str": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, (list, tuple)),
    "tuple": lambda v: isinstance(v, (list, tuple)),
    "list": lambda v: isinstance(v, (list, tuple)),
    "dict": lambda v: isinstance(v, Mapping),
    "object": lambda v: isinstance(v, Mapping),
}


class _Schema:
    """The parts of a BFCL function document the checker uses."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        params = doc.get("parameters") or {}
        props = params.get("properties") or {}
        self.types: dict[str, str | None] = {
            str(k): (v.get("type") if isinstance(v, Mapping) else None) for k, v in props.items()
        }
        self.required: set[str] = {str(k) for k in params.get("required") or []}


def _coerce_schemas(schemas: Any) -> dict[str, _Schema]:
    if schemas is None:
        return {}
    if isinstance(schemas, str):
        schemas = json.loads(schemas)
    if isinstance(schemas, Mapping):
        if "name" in schemas or "function" in schemas:
            schemas = [schemas]
        else:  # {name: doc}
            return {str(k): _Schema(v) for k, v in schemas.items()}
    out = {}
    for doc in schemas:
        if isinstance(doc, Mapping) and isinstance(doc.get("function"), Mapping):
            doc = doc["function"]  # OpenAI {"type": "function", "function": {...}}
        if not isinstance(doc, Mapping) or not isinstance(doc.get("name"), str):
            raise ValueError(f"a function schema needs a name: {doc!r}")
        out[doc["name"]] = _Schema(doc)
    return out


def _coerce_bfcl_gold(gold: Any) -> list[tuple[str, dict[str, list[Any]]]]:
    if isinstance(gold, str):
        gold = json.loads(gold)
    if isinstance(gold, Mapping):
        gold = [gold]
    out = []
    for entry in gold:
        if not isinstance(entry, Mapping) or len(entry) != 1:
            raise ValueError(f"a BFCL gold call is {{name: {{param: [values]}}}}, got {entry!r}")
        (name, spec), *_ = entry.items()
        if not isinstance(spec, Mapping):
            raise ValueError(f"the parameters of gold call {name!r} must be a dict")
        out.append((str(name), {str(k): _alternatives(v) for k, v in spec.items()}))
    return out


def _coerce_predicted(calls: Any) -> list[tuple[str, Mapping[Any, Any]]] | None:
    if isinstance(calls, str):
        if _OPEN in calls or _CLOSE in calls:
            calls = parse_tool_calls(calls)
        else:
            decoded = _loads(calls.strip()) if calls.strip() else []
            calls = decoded if isinstance(decoded, list) else [decoded]
        if calls is None:
            return None
    if isinstance(calls, Mapping):
        calls = [calls]
    if not isinstance(calls, (list, tuple)):
        return None
    out: list[tuple[str, Mapping[Any, Any]]] = []
    for call in calls:
        if not isinstance(call, Mapping):
            return None
        if isinstance(call.get("name"), str) and ("parameters" in call or "arguments" in call):
            norm = _normalise_call(dict(call))
            if norm is None:
                return None
            out.append((norm["name"], norm["parameters"]))
        elif len(call) == 1:
            ((name, params),) = call.items()
            if not isinstance(name, str) or not isinstance(params, Mapping):
                return None
            out.append((name, params))
        else:
            return None
    return out


def _bfcl_call_ok(
    name: str,
    params: Mapping[Any, Any],
    gname: str,
    spec: dict[str, list[Any]],
    schema: _Schema | None,
) -> bool:
    if name != gname:
        return False
    for key, value in params.items():
        if key not in spec:
            return False
        if schema is not None:
            if key not in schema.types:
                return False
            check = _SCHEMA_TYPES.get(str(schema.types[key]))
            if check is not None and not check(value):
                return False
        if not any(_value_matches(value, alt) for alt in spec[key]):
            return False
    if any(key not in params and "" not in alts for key, alts in spec.items()):
        return False
    return schema is None or all(key in params for key in schema.required)


def _perfect_matching(ok: list[list[bool]]) -> bool:
    """Whether the square compatibility matrix has a perfect matching (Kuhn)."""
    n = len(ok)
    owner = [-1] * n  # predicted j -> gold i

    def augment(i: int, seen: list[bool]) -> bool:
        for j in range(n):
            if ok[i][j] and not seen[j]:
                seen[j] = True
                if owner[j] < 0 or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return all(augment(i, [False] * n) for i in range(n))


def bfcl_match(
    calls: str | Sequence[Mapping[str, Any]] | Mapping[str, Any],
    gold: Sequence[Mapping[str, Mapping[str, Any]]] | Mapping[str, Any] | str,
    schemas: Sequence[Mapping[str, Any]] | Mapping[str, Any] | str | None = None,
) -> bool:
    """BFCL's AST match of predicted calls against BFCL possible answers.

    ``gold`` is ``[{function_name: {param: [allowed values]}}]`` (``""`` among the
    values marks the parameter optional); ``schemas`` are optional BFCL/OpenAI function
    documents, which add the ``required`` list, known parameters and type checks.
    Calls match one-to-one in any order. False for predicted calls that do not parse.
    """
    gold_calls = _coerce_bfcl_gold(gold)
    docs = _coerce_schemas(schemas)
    try:
        predicted = _coerce_predicted(calls)
        if predicted is None or len(predicted) != len(gold_calls):
            return False
        ok = [
            [_bfcl_call_ok(n, p, gname, spec, docs.get(gname)) for n, p in predicted]
            for gname, spec in gold_calls
        ]
        return _perfect_matching(ok)
    except Exception:  # RecursionError, or a hostile value's comparison
        return False


# --------------------------------------------------------------------------- answers
@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)


def format_reward(text: str, pattern: str | re.Pattern[str]) -> float:
    """1.0 when ``pattern`` matches the whole of ``text`` (``re.DOTALL``), else 0.0.

    A compiled pattern is used with its own flags.
    """
    if not isinstance(text, str):
        return 0.0
    regex = pattern if isinstance(pattern, re.Pattern) else _compile(pattern)
    return 1.0 if regex.fullmatch(text) else 0.0


def _normalise_answer(s: str) -> str:
    return " ".join(s.lower().split()).rstrip(".").rstrip()


def exact_match(pred: str, gold: str | Sequence[str], normalize: bool = True) -> float:
    """1.0 when ``pred`` equals ``gold`` (or one of a list of golds), else 0.0.

    With ``normalize``, both sides are stripped, lowercased, their whitespace runs
    collapsed to one space and their trailing periods removed.
    """
    if not isinstance(pred, str):
        return 0.0
    golds = [str(g) for g in gold] if isinstance(gold, (list, tuple)) else [str(gold)]
    if normalize:
        pred = _normalise_answer(pred)
        golds = [_normalise_answer(g) for g in golds]
    return 1.0 if pred in golds else 0.0


_NUM = r"(?:\d{1,3}(?:,\d{3}(?!\d))+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?"
_NUMBER = re.compile(rf"(?P<neg>(?<![\w)\]}}])-)?(?P<a>{_NUM})(?:[ \t]*/[ \t]*(?P<b>{_NUM}))?")
_FRAC = re.compile(rf"\\[dt]?frac\{{\s*(-?(?:{_NUM}))\s*\}}\{{\s*(-?(?:{_NUM}))\s*\}}")


def _last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` / ``\\fbox{...}``, braces balanced."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth, begin = 1, i
    while i < len(text):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[begin:i]
        i += 1
    return None


def extract_number(text: str) -> float | None:
    r"""The last number in ``text`` (in its last ``\boxed{}`` if any), or None."""
    if not isinstance(text, str):
        return None
    try:
        boxed = _last_boxed(text)
        if boxed is not None:
            text = boxed
        text = _FRAC.sub(r"\1/\2", text.replace("{,}", ","))
        for m in reversed(list(_NUMBER.finditer(text))):
            value = float(m["a"].replace(",", ""))
            if m["b"] is not None:
                denom = float(m["b"].replace(",", ""))
                if denom == 0.0:
                    continue
                value /= denom
            return -value if m["neg"] else value
    except Exception:
        return None
    return None


def numeric_match(
    pred: str, gold: str | float, rel_tol: float = 1e-6, abs_tol: float = 1e-9
) -> float:
    """1.0 when the last number in ``pred`` is close to ``gold``, else 0.0.

    ``gold`` is a number or a string read like ``pred``; a gold with no number raises
    ValueError.
    """
    if isinstance(gold, bool):
        raise ValueError("the gold answer must be a number, got a bool")
    target = float(gold) if isinstance(gold, (int, float)) else extract_number(gold)
    if target is None:
        raise ValueError(f"the gold answer has no number: {gold!r}")
    value = extract_number(pred)
    if value is None:
        return 0.0
    return 1.0 if math.isclose(value, target, rel_tol=rel_tol, abs_tol=abs_tol) else 0.0


# --------------------------------------------------------------------------- pass^k
def pass_hat_k(trials: Iterable[Sequence[bool]], k: int) -> float:
    """tau-bench's pass^k: the mean over tasks of ``C(c, k) / C(n, k)``, where a task
    has ``c`` successes in its ``n`` trials (see the module docs).

    ``trials`` holds one sequence of outcomes per task; every task needs ``n >= k``.

    >>> pass_hat_k([[True, True, False], [True, True, True]], 2)  # (1/3 + 1) / 2
    0.6666666666666666
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    values = []
    for i, outcomes in enumerate(trials):
        n, c = len(outcomes), sum(bool(x) for x in outcomes)
        if n < k:
            raise ValueError(f"task {i} has {n} trials; pass^{k} needs at least {k} per task")
        values.append(math.comb(c, k) / math.comb(n, k))
    if not values:
        raise ValueError("pass_hat_k needs at least one task")
    return float(sum(values) / len(values))


# --------------------------------------------------------------------------- TRL
def _completion_text(completion: Any) -> str:
    """A completion's text: the string itself, or the last assistant message."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        completion = [completion]
    if not isinstance(completion, (list, tuple)) or not completion:
        return ""
    messages = [m for m in completion if isinstance(m, Mapping)]
    assistant = [m for m in messages if m.get("role") == "assistant"]
    if not messages:
        return ""
    chosen = (assistant or messages)[-1]
    content = chosen.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):  # [{"type": "text", "text": ...}, ...]
        return "".join(
            part.get("text", "")
            for part in content
            if isinstance(part, Mapping) and isinstance(part.get("text"), str)
        )
    return ""


def _column(name: str, key: str, kwargs: Mapping[str, Any], n: int) -> list[Any]:
    if key not in kwargs:
        columns = ", ".join(sorted(k for k in kwargs if k not in ("trainer_state",))) or "none"
        raise KeyError(
            f"{name} needs the dataset column {key!r} (one entry per completion); "
            f"the columns passed were: {columns}"
        )
    values = list(kwargs[key])
    if len(values) != n:
        raise ValueError(f"{name}: column {key!r} has {len(values)} entries for {n} completions")
    return values


def _make(name: str, columns: Sequence[str | None], score: Callable[..., float]) -> RewardFunc:
    def reward(
        prompts: Any = None, completions: Sequence[Any] | None = None, **kwargs: Any
    ) -> list[float]:
        if completions is None:
            raise ValueError(f"{name} needs the completions (TRL passes completions=...)")
        texts = [_completion_text(c) for c in completions]
        cols = [
            _column(name, key, kwargs, len(texts)) if key else [None] * len(texts)
            for key in columns
        ]
        return [float(score(text, *row)) for text, *row in zip(texts, *cols, strict=True)]

    reward.__name__ = reward.__qualname__ = name
    return reward


_TOOLRL_COMPONENTS: dict[str, Callable[..., float]] = {
    "total": toolrl_reward,
    "format": toolrl_format_reward,
    "correctness": toolrl_correctness_reward,
}


def _split_gold(value: Any, response: Any) -> tuple[list[ToolCall], str | None]:
    """Gold calls and response from a column entry; ToolRL's tagged text is accepted."""
    if isinstance(value, str) and "<response>" in value:
        start = value.find("<response>") + len("<response>")
        stop = value.find("</response>", start)
        if response is None:
            response = value[start : stop if stop >= 0 else len(value)]
        value = value[: start - len("<response>")]
    return _coerce_gold_calls(value), (None if response is None else str(response))


def trl_toolrl_reward(
    gold_key: str = "gold_calls",
    response_key: str | None = None,
    component: str = "total",
    name: str | None = None,
) -> RewardFunc:
    """A TRL reward function for the ToolRL reward.

    ``gold_key`` names the column of gold calls: a list of ``{"name", "parameters"}``,
    its JSON string, or ToolRL's tagged text (``<tool_call>...</tool_call>`` and an
    optional ``<response>...</response>``, which then requires a response block).
    ``response_key`` optionally names a column of gold responses (None entries: no
    response). ``component`` is ``"total"``, ``"format"`` or ``"correctness"``; the
    function is named ``toolrl_<component>`` unless ``name`` is given.
    """
    if component not in _TOOLRL_COMPONENTS:
        raise ValueError(
            f"component must be one of {sorted(_TOOLRL_COMPONENTS)}, got {component!r}"
        )
    fn = _TOOLRL_COMPONENTS[component]

    def score(text: str, gold: Any, response: Any) -> float:
        calls, gold_response = _split_gold(gold, response)
        return fn(text, calls, gold_response)

    return _make(name or f"toolrl_{component}", [gold_key, response_key], score)


def trl_bfcl_reward(
    gold_key: str = "possible_answer", schema_key: str | None = None, name: str = "bfcl_match"
) -> RewardFunc:
    """A TRL reward function: 1.0 when :func:`bfcl_match` accepts the completion's calls.

    ``gold_key`` names the column of BFCL possible answers (or their JSON strings);
    ``schema_key`` optionally names a column of function documents.
    """

    def score(text: str, gold: Any, schemas: Any) -> float:
        return 1.0 if bfcl_match(text, gold, schemas) else 0.0

    return _make(name, [gold_key, schema_key], score)


def trl_exact_match(
    answer_key: str = "answer", normalize: bool = True, name: str = "exact_match"
) -> RewardFunc:
    """A TRL reward function for :func:`exact_match` against the ``answer_key`` column."""

    def score(text: str, gold: Any) -> float:
        return exact_match(text, gold, normalize=normalize)

    return _make(name, [answer_key], score)


def trl_numeric_match(
    answer_key: str = "answer",
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
    name: str = "numeric_match",
) -> RewardFunc:
    """A TRL reward function for :func:`numeric_match` against the ``answer_key`` column."""

    def score(text: str, gold: Any) -> float:
        return numeric_match(text, gold, rel_tol=rel_tol, abs_tol=abs_tol)

    return _make(name, [answer_key], score)


def trl_format_reward(pattern: str | re.Pattern[str], name: str = "format_reward") -> RewardFunc:
    """A TRL reward function for :func:`format_reward` with a fixed pattern."""
    regex = pattern if isinstance(pattern, re.Pattern) else _compile(pattern)

    def score(text: str) -> float:
        return format_reward(text, regex)

    return _make(name, [], score)


class VerifiableTerm(Term):
    """A verifiable check as a reward term: ``fn(completion, gold)`` for every row,
    reading both from the step's ``info`` (``info[completion_key]``,
    ``info[gold_key]``, one entry per env in a vector batch).

    >>> import numpy as np
    >>> from rewardgym.rewards.terms import Transitions
    >>> term = VerifiableTerm("answer", numeric_match)
    >>> t = Transitions.from_arrays(np.zeros(2), np.zeros(2), np.zeros(2), [0.0, 0.0],
    ...     info={"completion": np.array(["it is 42", "41"], dtype=object),
    ...           "gold": np.array(["42", "42"], dtype=object)})
    >>> term(t).tolist()
    [1.0, 0.0]
    """

    def __init__(
        self,
        name: str,
        fn: Callable[[str, Any], float],
        completion_key: str = "completion",
        gold_key: str = "gold",
    ) -> None:
        if not callable(fn):
            raise TypeError(f"VerifiableTerm {name!r}: fn must be callable")
        super().__init__(name)
        self.fn = fn
        self.completion_key = completion_key
        self.gold_key = gold_key

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        for key in (self.completion_key, self.gold_key):
            if key not in t.info:
                raise LookupError(
                    f"{self.label}: info has no {key!r} (it has {sorted(t.info)}); set "
                    "completion_key/gold_key to the fields the env reports"
                )
        completions = np.asarray(t.info[self.completion_key], dtype=object).reshape(-1)
        golds = np.asarray(t.info[self.gold_key], dtype=object).reshape(-1)
        return np.array(
            [float(self.fn(str(c), g)) for c, g in zip(completions, golds, strict=True)],
            dtype=np.float64,
        )
