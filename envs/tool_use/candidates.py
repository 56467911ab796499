"""Candidate actions for the discrete mode: the gold action among plausible
distractors.

Every candidate is the *text* of an action (tool-call blocks, an answer, a message),
so a discrete index goes through the same parser, validator and tools as free text.
Distractors are built from the gold action:

* **wrong value**: one argument replaced by another plausible value (another order
  id of the world, another enum member, an amount off by some dollars);
* **wrong tool**: one call's tool swapped for another tool of the domain, filled with
  the gold call's values where the parameter names agree;
* **missing / extra call**: a call dropped from, or a lookup added to, a multi-call
  action;
* **answer now**: a final answer in place of calls (or calls in place of the answer
  when no tool applies);
* in ``ToolAgent``: off-topic messages to the user, answers with a wrong amount or
  id, and repeated lookups.

The list is deduplicated, contains the gold action exactly once and is shuffled with
a generator the env seeds per episode and turn (so the gold index carries no
information and rollouts replay exactly).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rewardgym.envs.tool_use._common import NO_TOOL_ANSWER
from rewardgym.envs.tool_use.tasks import GoldStep, Task, format_answer, format_calls
from rewardgym.envs.tool_use.tools import Call, Tool, Toolbox

__all__ = ["agent_candidates", "call_candidates"]

_MESSAGES = (
    "Could you tell me your phone number?",
    "Is there anything else I can help you with?",
    "Please hold on while I check something.",
    "Could you describe the problem in more detail?",
)
_PREMATURE = (
    "I've taken care of that for you.",
    "I'm sorry, I can't help with that.",
    "Everything is done. Have a nice day!",
)


def _alt_value(
    tool: Tool,
    param: str,
    value: Any,
    pool: Mapping[str, Sequence[Any]],
    rng: np.random.Generator,
) -> Any:
    """A plausible value for ``param`` other than ``value`` (or ``value`` itself
    when none is found)."""
    schema = tool.parameters["properties"].get(param, {})
    options = [v for v in pool.get(param, ()) if v != value]
    if options:
        return options[int(rng.integers(len(options)))]
    if "enum" in schema:
        others = [v for v in schema["enum"] if v != value]
        return others[int(rng.integers(len(others)))] if others else value
    kind = schema.get("type")
    if kind == "integer" and isinstance(value, int):
        lo, hi = schema.get("minimum", value - 1), schema.get("maximum", value + 1)
        return value + 1 if value + 1 <= hi else max(lo, value - 1)
    if kind == "number" and isinstance(value, (int, float)):
        return float(value) + float(rng.integers(1, 50)) * 10.0
    if kind == "array" and isinstance(value, list) and value:
        item_pool = pool.get(param.removesuffix("s"), ())
        others = [v for v in item_pool if v not in value]
        if others:
            return [others[int(rng.integers(len(others)))]]
        return value[:-1] or value
    if isinstance(value, str):
        return value + " Apt 2" if param == "address" else value.upper() + "X"
    return value


def _fill(
    tool: Tool,
    hints: Mapping[str, Any],
    pool: Mapping[str, Sequence[Any]],
    rng: np.random.Generator,
) -> Call:
    """A call of ``tool`` with its required parameters filled from ``hints`` (the gold
    call's values, where names agree) or else plausible values."""
    args: dict[str, Any] = {}
    for name in tool.required:
        if name in hints:
            args[name] = hints[name]
            continue
        schema = tool.parameters["properties"][name]
        if pool.get(name):
            args[name] = pool[name][int(rng.integers(len(pool[name])))]
        elif "enum" in schema:
            args[name] = schema["enum"][0]
        elif schema.get("type") == "integer":
            args[name] = schema.get("minimum", 1)
        elif schema.get("type") == "number":
            args[name] = 100.0
        elif schema.get("type") == "array":
            items = pool.get(name.removesuffix("s"), ())
            args[name] = [items[int(rng.integers(len(items)))]] if items else []
        else:
            args[name] = "unknown"
    return {"name": tool.name, "parameters": args}


def _call_variants(
    calls: Sequence[Call],
    box: Toolbox,
    pool: Mapping[str, Sequence[Any]],
    rng: np.random.Generator,
    n: int,
) -> list[list[Call]]:
    """Up to ``n`` distractor call lists near ``calls``."""
    out: list[list[Call]] = []
    tools = list(box.tools.values())
    for attempt in range(6 * n):
        if len(out) >= n:
            break
        variant = [{"name": c["name"], "parameters": dict(c["parameters"])} for c in calls]
        i = int(rng.integers(len(variant)))
        target = variant[i]
        tool = box.tools[target["name"]]
        mode = attempt % 4
        if mode in (0, 1) and target["parameters"]:
            keys = list(target["parameters"])
            key = keys[int(rng.integers(len(keys)))]
            target["parameters"][key] = _alt_value(tool, key, target["parameters"][key], pool, rng)
        elif mode == 2:
            others = [t for t in tools if t.name != target["name"]]
            variant[i] = _fill(
                others[int(rng.integers(len(others)))], target["parameters"], pool, rng
            )
        elif len(variant) > 1:
            del variant[i]
        else:
            readers = [t for t in tools if not t.writes]
            extra = _fill(readers[int(rng.integers(len(readers)))], target["parameters"], pool, rng)
            variant.append(extra)
        out.append(variant)
    return out


def _finish(gold: str, others: Sequence[str], rng: np.random.Generator, limit: int) -> list[str]:
    seen = {gold}
    unique = []
    for text in others:
        if text not in seen:
            seen.add(text)
            unique.append(text)
    pick = unique[: limit - 1]
    pick.append(gold)
    order = rng.permutation(len(pick))
    return [pick[int(j)] for j in order]


def call_candidates(
    task: Task,
    box: Toolbox,
    pool: Mapping[str, Sequence[Any]],
    rng: np.random.Generator,
    size: int = 12,
) -> list[str]:
    """The single-turn candidates of a ``ToolCall`` task: the gold output and
    ``size - 1`` distractors, shuffled."""
    gold_step = task.steps[0]
    others: list[str] = []
    if gold_step.calls:
        others.append(format_answer(NO_TOOL_ANSWER))
        others += [
            format_calls(v) for v in _call_variants(gold_step.calls, box, pool, rng, 2 * size)
        ]
    else:
        tools = list(box.tools.values())
        for _ in range(3 * size):
            tool = tools[int(rng.integers(len(tools)))]
            others.append(format_calls([_fill(tool, {}, pool, rng)]))
        others.append(format_answer("Sure, I have done that for you."))
    return _finish(gold_step.text, others, rng, size)


_DIGIT = re.compile(r"\d")


def _perturb(answer: str, required: Sequence[str]) -> str:
    """``answer`` with its required outputs made wrong (first digit changed, or the
    word dropped)."""
    out = answer
    for r in required:
        if r not in out:
            continue
        m = _DIGIT.search(r)
        if m is not None:
            d = str((int(m.group()) + 1) % 10)
            wrong = r[: m.start()] + d + r[m.end() :]
        else:
            wrong = "being processed"
        out = out.replace(r, wrong)
    return out


def agent_candidates(
    task: Task,
    step: GoldStep,
    last_calls: Sequence[Call],
    box: Toolbox,
    pool: Mapping[str, Sequence[Any]],
    rng: np.random.Generator,
    size: int = 12,
) -> list[str]:
    """Candidates of a ``ToolAgent`` state whose next gold action is ``step``."""
    others: list[str] = []
    if step.kind == "calls":
        others += [format_calls(v) for v in _call_variants(step.calls, box, pool, rng, 2 * size)]
        others.append(format_answer(_PREMATURE[int(rng.integers(len(_PREMATURE)))]))
        others.append(_MESSAGES[int(rng.integers(len(_MESSAGES)))])
    elif step.kind == "ask":
        others += list(_MESSAGES)
        readers = [t for t in box.tools.values() if not t.writes]
        for _ in range(3):
            tool = readers[int(rng.integers(len(readers)))]
            others.append(format_calls([_fill(tool, {}, pool, rng)]))
        others.append(format_answer(_PREMATURE[int(rng.integers(len(_PREMATURE)))]))
    else:
        answer = task.answer or ""
        wrong = _perturb(answer, task.required_outputs)
        if wrong != answer:
            others.append(format_answer(wrong))
        others += [format_answer(p) for p in _PREMATURE]
        if last_calls:
            others.append(format_calls(list(last_calls)))
        others.append("Is there anything else I can help you with?")
    return _finish(step.text, others, rng, size)
