"""Tools: Python functions over the episode's SQLite database, with JSON-schema
signatures in the OpenAI function-calling format.

A :class:`Tool` is a name, a description, a JSON schema for its arguments (an
``object`` with ``additionalProperties: false``), the tables it may change, and a
function ``fn(conn, args) -> result`` that reads or writes the database through
parameterised SQL only. A :class:`Toolbox` is one domain's set of tools: it checks a
call against its tool's schema with ``jsonschema`` (validators built once) and runs
it in a transaction.

Outcomes of a call, and where they land in the error taxonomy of
:data:`rewardgym.envs.text.base.ERROR_KINDS`:

* unknown tool, missing or unknown parameter, wrong type, value outside the schema
  (enum, pattern, bounds): :meth:`Toolbox.check` returns a message; the env reports
  an ``"illegal"`` error and runs none of the action's calls;
* the tool ran and refused (not found, order not cancellable, transfer over the daily
  limit, flight full): :class:`ToolFailure`; the env reports an ``"execution"`` error
  and shows the tool's message as the call's result, so the agent can read it and
  recover. A failed write changes nothing (its transaction is rolled back);
* otherwise the call's JSON result.

>>> import sqlite3
>>> echo = Tool("echo", "Echo a word.", params({"word": string("a word", max_length=10)}),
...             lambda conn, a: {"word": a["word"]})
>>> box = Toolbox([echo])
>>> box.check({"name": "echo", "parameters": {"word": 3}})
"echo: argument 'word': 3 is not of type 'string'"
>>> box.check({"name": "shout", "parameters": {}})
"unknown tool 'shout'; the tools are: echo"
>>> box.run(sqlite3.connect(":memory:"), {"name": "echo", "parameters": {"word": "hi"}})
(True, {'word': 'hi'})
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

__all__ = [
    "Call",
    "Tool",
    "ToolFailure",
    "Toolbox",
    "array",
    "dollars",
    "integer",
    "number",
    "params",
    "string",
    "to_cents",
]

#: A tool call: ``{"name": str, "parameters": dict}`` (the form of
#: :func:`rewardgym.rewards.verifiable.parse_tool_calls`).
Call = dict[str, Any]

ToolFn = Callable[[sqlite3.Connection, dict[str, Any]], Any]


class ToolFailure(Exception):
    """A tool refused a well-formed call: not found, or a business rule violated."""


@dataclass(frozen=True)
class Tool:
    """One tool. ``writes`` names the tables it may change (empty for a read-only
    tool): the writing tools run in a transaction, and ``ToolAgent``'s BFCL term
    scores the writing calls. The tests check the declared tables against the
    database's change log."""

    name: str
    description: str
    parameters: Mapping[str, Any]
    fn: ToolFn
    writes: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(self.parameters.get("required", ()))

    def openai_schema(self) -> dict[str, Any]:
        """The tool in OpenAI's function-calling format."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


class Toolbox:
    """A domain's tools, with their argument validators."""

    def __init__(self, tools: Sequence[Tool]):
        names = [t.name for t in tools]
        if len(set(names)) != len(names):
            raise ValueError(f"tool names must be unique, got {names}")
        self.tools: dict[str, Tool] = {t.name: t for t in tools}
        self._validators = {}
        for t in tools:
            Draft202012Validator.check_schema(t.parameters)
            self._validators[t.name] = Draft202012Validator(t.parameters)
        self.schemas: list[dict[str, Any]] = [t.openai_schema() for t in tools]
        self.names = tuple(names)

    def __contains__(self, name: object) -> bool:
        return name in self.tools

    def check(self, call: Call) -> str | None:
        """None when ``call`` names a tool and its parameters satisfy the schema;
        else what is wrong, in a sentence the agent can act on."""
        name = call["name"]
        if name not in self.tools:
            return f"unknown tool {name!r}; the tools are: {', '.join(self.names)}"
        validator = self._validators[name]
        args = call["parameters"]
        if validator.is_valid(args):
            return None
        error = best_match(validator.iter_errors(args))
        where = "".join(f"[{p!r}]" if isinstance(p, int) else f"{p}" for p in error.path)
        if error.validator == "additionalProperties":
            known = ", ".join(self.tools[name].parameters.get("properties", {})) or "none"
            return f"{name}: {error.message}; its parameters are: {known}"
        if where:
            return f"{name}: argument {where!r}: {error.message}"
        return f"{name}: {error.message}"

    def run(self, conn: sqlite3.Connection, call: Call) -> tuple[bool, Any]:
        """Run a checked call: ``(True, result)`` or ``(False, message)``.

        A writing tool runs in a transaction that is rolled back when it fails, so a
        refused write leaves the database as it was.
        """
        tool = self.tools[call["name"]]
        args = dict(call["parameters"])
        if not tool.writes:
            try:
                return True, tool.fn(conn, args)
            except ToolFailure as exc:
                return False, str(exc)
            except (sqlite3.Error, ValueError, TypeError, OverflowError) as exc:
                return False, f"{tool.name} failed: {exc}"
        conn.execute("BEGIN")
        try:
            result = tool.fn(conn, args)
        except ToolFailure as exc:
            conn.execute("ROLLBACK")
            return False, str(exc)
        except (sqlite3.Error, ValueError, TypeError, OverflowError) as exc:
            conn.execute("ROLLBACK")
            return False, f"{tool.name} failed: {exc}"
        conn.execute("COMMIT")
        return True, result


# ----------------------------------------------------------------------- schemas
def string(
    description: str,
    *,
    enum: Sequence[str] | None = None,
    pattern: str | None = None,
    max_length: int = 200,
) -> dict[str, Any]:
    """A string parameter (non-empty, at most ``max_length`` characters)."""
    out: dict[str, Any] = {"type": "string", "description": description}
    if enum is not None:
        out["enum"] = list(enum)
    else:
        out["minLength"] = 1
        out["maxLength"] = max_length
    if pattern is not None:
        out["pattern"] = pattern
    return out


def integer(description: str, *, minimum: int, maximum: int) -> dict[str, Any]:
    return {"type": "integer", "description": description, "minimum": minimum, "maximum": maximum}


def number(description: str, *, exclusive_minimum: float, maximum: float) -> dict[str, Any]:
    return {
        "type": "number",
        "description": description,
        "exclusiveMinimum": exclusive_minimum,
        "maximum": maximum,
    }


def array(
    description: str, items: dict[str, Any], *, min_items: int = 1, max_items: int = 10
) -> dict[str, Any]:
    return {
        "type": "array",
        "description": description,
        "items": items,
        "minItems": min_items,
        "maxItems": max_items,
        "uniqueItems": True,
    }


def params(properties: dict[str, dict[str, Any]], optional: Sequence[str] = ()) -> dict[str, Any]:
    """An arguments schema: every property required unless listed in ``optional``;
    unknown properties rejected."""
    return {
        "type": "object",
        "properties": properties,
        "required": [k for k in properties if k not in optional],
        "additionalProperties": False,
    }


# ----------------------------------------------------------------------- money
def to_cents(amount: float) -> int:
    """Dollars (at most two decimals) to integer cents; :class:`ToolFailure` when
    the amount has more than two decimals.

    >>> to_cents(12.5), to_cents(3)
    (1250, 300)
    """
    cents = round(float(amount) * 100)
    if abs(float(amount) * 100 - cents) > 1e-6:
        raise ToolFailure(f"amounts have at most two decimals, got {amount!r}")
    return int(cents)


def dollars(cents: int) -> str:
    """Integer cents as text: ``"$12.50"`` (``"-$3.00"`` when negative).

    >>> dollars(1250), dollars(-300)
    ('$12.50', '-$3.00')
    """
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}${cents // 100}.{cents % 100:02d}"
