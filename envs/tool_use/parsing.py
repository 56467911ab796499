r"""Reading an agent's action: tool calls, a final answer, or a message.

An action is the model's raw output, in one of two forms.

**Tagged text** (Hermes/Qwen/ToolRL style)::

    <think>optional reasoning, ignored</think>
    <tool_call>
    {"name": "get_order_details", "arguments": {"order_id": "O5003"}}
    {"name": "get_product_details", "arguments": {"product_id": "P204"}}
    </tool_call>

Each ``<tool_call>`` block holds one JSON call per line, or one (pretty-printed)
object, or a JSON list of them (read by
:func:`rewardgym.rewards.verifiable.parse_tool_calls`); ``"parameters"`` is accepted
for ``"arguments"``, and ``"arguments"`` may be a JSON-encoded string. Several blocks
or lines are parallel calls, run in order. ``<answer>...</answer>`` (at most one)
is the final answer. The text outside the blocks is the *message*: in ``ToolAgent``
a turn with no call and no answer sends it to the user.

**OpenAI JSON**: when the stripped action starts with ``{`` or ``[`` it must be JSON:
an assistant message ``{"role": "assistant", "content": ..., "tool_calls": [{"type":
"function", "function": {"name": ..., "arguments": "<JSON string>"}}, ...]}``, a
``{"tool_calls": [...]}`` object, one call, or a list of calls (OpenAI's form or
``{"name", "arguments"}``). The ``content`` string is read as tagged text.

Anything else raises :class:`ParseError` (the env's ``"parse"`` error): unbalanced or
nested tags, a block that is not JSON, a call without a string ``name`` or an object
of arguments, an empty ``tool_call`` block, two answers, argument values that JSON
does not define (``NaN``, ``Infinity``), strings with control characters or lone
surrogates, arguments nested deeper than :data:`MAX_DEPTH`. The parser never
evaluates anything: it reads JSON and nothing else.

>>> parse_action('<tool_call>{"name": "f", "arguments": {"x": 1}}</tool_call>').calls
({'name': 'f', 'parameters': {'x': 1}},)
>>> parse_action("<answer>It is $12.50.</answer>").answer
'It is $12.50.'
>>> parse_action('{"tool_calls": [{"type": "function", "function": '
...              '{"name": "f", "arguments": "{\\"x\\": 2}"}}]}').calls
({'name': 'f', 'parameters': {'x': 2}},)
>>> parse_action("Could you tell me your email?").message
'Could you tell me your email?'
>>> parse_action("<tool_call>{oops}</tool_call>")
Traceback (most recent call last):
...
rewardgym.envs.tool_use.parsing.ParseError: tool_call block 1 is not valid JSON: ...
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from rewardgym.envs.tool_use.tools import Call
from rewardgym.rewards.verifiable import parse_tool_calls

__all__ = ["MAX_DEPTH", "ParseError", "ParsedAction", "parse_action"]

#: The deepest nesting of lists and objects accepted in arguments.
MAX_DEPTH = 16

_TAG = re.compile(r"<(/?)(think|tool_call|answer)>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORMAT_HINT = (
    'write calls as <tool_call>{"name": ..., "arguments": {...}}</tool_call> (one JSON '
    "object per line) and the final answer as <answer>...</answer>"
)


class ParseError(Exception):
    """The action could not be read; the message says what was wrong."""


@dataclass(frozen=True)
class ParsedAction:
    """What an action says: ``calls`` (``{"name", "parameters"}`` each, in order),
    ``answer`` (the final answer's text, or None) and ``message`` (the text outside
    the blocks, stripped)."""

    calls: tuple[Call, ...]
    answer: str | None
    message: str


def parse_action(text: str) -> ParsedAction:
    """Read ``text`` (see the module docs); raises :class:`ParseError`."""
    stripped = text.strip()
    if not stripped:
        raise ParseError(f"the action is empty; {_FORMAT_HINT}")
    parsed = _parse_json(stripped) if stripped[0] in "{[" else _parse_tagged(text)
    for i, c in enumerate(parsed.calls):
        _check_value(c["parameters"], f"call {i + 1} ({_short(c['name'])})")
        _check_value(c["name"], f"call {i + 1}")
    return parsed


def _short(value: Any, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ----------------------------------------------------------------------- tags
def _parse_tagged(text: str) -> ParsedAction:
    open_tag: str | None = None
    open_end = 0
    spans: list[tuple[str, int, int, int, int]] = []  # tag, start, body, stop, end
    start = 0
    for m in _TAG.finditer(text):
        closing, tag = m.group(1) == "/", m.group(2)
        if not closing:
            if open_tag is not None:
                raise ParseError(f"<{tag}> opens inside <{open_tag}>: blocks cannot be nested")
            open_tag, start, open_end = tag, m.start(), m.end()
        else:
            if open_tag != tag:
                where = f"inside <{open_tag}>" if open_tag else "without an opening tag"
                raise ParseError(f"</{tag}> appears {where}; {_FORMAT_HINT}")
            spans.append((tag, start, open_end, m.start(), m.end()))
            open_tag = None
    if open_tag is not None:
        raise ParseError(f"<{open_tag}> is never closed; {_FORMAT_HINT}")

    calls: list[Call] = []
    answers: list[str] = []
    pieces: list[str] = []
    pos = 0
    n_blocks = 0
    for tag, s, body, stop, e in spans:
        pieces.append(text[pos:s])
        pos = e
        content = text[body:stop]
        if tag == "tool_call":
            n_blocks += 1
            calls.extend(_read_block(content, n_blocks))
        elif tag == "answer":
            answers.append(content.strip())
    pieces.append(text[pos:])
    if len(answers) > 1:
        raise ParseError(f"the action has {len(answers)} <answer> blocks; give one answer")
    message = " ".join(p.strip() for p in pieces if p.strip())
    return ParsedAction(tuple(calls), answers[0] if answers else None, message)


def _read_block(content: str, n: int) -> list[Call]:
    if not content.strip():
        raise ParseError(f"tool_call block {n} is empty; {_FORMAT_HINT}")
    parsed = parse_tool_calls(f"<tool_call>{content}</tool_call>")
    if parsed is not None:
        return parsed
    try:
        json.loads(content)
    except json.JSONDecodeError as exc:
        lines = [ln for ln in content.splitlines() if ln.strip()]
        if len(lines) > 1:
            for j, line in enumerate(lines, 1):
                try:
                    json.loads(line)
                except json.JSONDecodeError as line_exc:
                    raise ParseError(
                        f"tool_call block {n} is not valid JSON: line {j}: {line_exc.msg} "
                        f"at column {line_exc.colno}"
                    ) from None
                except (ValueError, RecursionError):
                    break
        raise ParseError(
            f"tool_call block {n} is not valid JSON: {exc.msg} at line {exc.lineno} column "
            f"{exc.colno}"
        ) from None
    except (ValueError, RecursionError):
        raise ParseError(f"tool_call block {n} is not valid JSON (too deep or too large)") from None
    raise ParseError(
        f"tool_call block {n}: each call must be a JSON object with a string 'name' and an "
        "'arguments' object"
    )


# ----------------------------------------------------------------------- JSON
def _parse_json(stripped: str) -> ParsedAction:
    try:
        obj = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"the action starts like JSON but is not valid JSON: {exc.msg} at line "
            f"{exc.lineno} column {exc.colno}"
        ) from None
    except (ValueError, RecursionError):
        raise ParseError("the action is not valid JSON (too deep or too large)") from None
    content: Any = ""
    if isinstance(obj, dict) and ("tool_calls" in obj or "content" in obj or "role" in obj):
        raw_calls = obj.get("tool_calls") or []
        content = obj.get("content") or ""
        if not isinstance(content, str):
            raise ParseError("the message's 'content' must be a string or null")
    elif isinstance(obj, dict):
        raw_calls = [obj]
    else:
        raw_calls = obj
    if not isinstance(raw_calls, list):
        raise ParseError("'tool_calls' must be a list of calls")
    calls = [_openai_call(item, i + 1) for i, item in enumerate(raw_calls)]
    rest = _parse_tagged(content) if content.strip() else ParsedAction((), None, "")
    return ParsedAction(tuple(calls) + rest.calls, rest.answer, rest.message)


def _openai_call(item: Any, i: int) -> Call:
    bad = ParseError(
        f"tool call {i} must be {{'type': 'function', 'function': {{'name': str, "
        f"'arguments': JSON object or string}}}} or {{'name': str, 'arguments': {{...}}}}"
    )
    if not isinstance(item, dict):
        raise bad
    inner = item.get("function")
    fn: dict[str, Any] = inner if isinstance(inner, dict) else item
    name = fn.get("name")
    if not isinstance(name, str) or not name:
        raise bad
    args = fn.get("arguments", fn.get("parameters"))
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except (ValueError, RecursionError):
            raise ParseError(
                f"tool call {i} ({_short(name)}): 'arguments' is not valid JSON"
            ) from None
    if not isinstance(args, dict):
        raise bad
    return {"name": name, "parameters": args}


# ----------------------------------------------------------------------- values
def _check_value(value: Any, where: str) -> None:
    """Reject what JSON does not mean or a database should not store."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseError(f"{where}: arguments are nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, str):
            _check_string(item, where)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ParseError(f"{where}: {item} is not a JSON number")
        elif isinstance(item, dict):
            for key, sub in item.items():
                _check_string(key, where)
                stack.append((sub, depth + 1))
        elif isinstance(item, list):
            stack.extend((sub, depth + 1) for sub in item)


def _check_string(s: str, where: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise ParseError(f"{where}: a string is not valid unicode (lone surrogate)") from None
    m = _CONTROL.search(s)
    if m is not None:
        raise ParseError(f"{where}: a string contains the control character {m.group()!r}")
