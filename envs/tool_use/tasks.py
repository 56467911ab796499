"""Tasks: seeded generation, gold solutions and the fixed held-out split.

A :class:`Task` is one user request in one domain, for one of the two envs
(``kind="call"`` for ``ToolCall``, single turn; ``kind="agent"`` for ``ToolAgent``,
multi-turn), with its gold solution:

* ``steps``: the oracle's script, a tuple of :class:`GoldStep` (ask the user for a
  detail, make one or more tool calls, give the final answer), each with the exact
  text action it stands for;
* ``gold_calls``: every call of the script in order (ToolRL and BFCL references);
  the gold final database is these calls replayed on a fresh copy of the domain's
  base database (tau-bench);
* ``required_outputs``: strings the agent's messages to the user must contain (an
  amount, a flight number); compared after :func:`normalise_output`;
* for ``ToolAgent``, what the simulated user knows (``facts``, revealed when asked,
  see :mod:`~rewardgym.envs.tool_use.user_sim`) and wants (``goal``).

Generation is a pure function of ``(domain, kind, difficulty, split, index)``
(:func:`make_task`): a generator of the chosen category draws entities from the
domain's world with ``numpy.random.default_rng`` seeded by those five values.

The split. A task's *signature* is its content with the phrasing left out (domain,
kind, category, gold calls, required outputs, the facts, and the request itself for
tasks without a gold call). A task belongs to the held-out test set when the CRC32
of its signature is ``0 mod 4``; test generation keeps only such tasks, train
generation only the others, so the two sets are disjoint by construction (no train
task equals a test task up to phrasing). The test split is the fixed list
:func:`heldout_tasks`: the first :data:`TEST_TASKS_PER_GROUP` distinct test tasks of each
(domain, kind, difficulty), categories taken in turn. Train tasks are unbounded:
every non-negative index gives one.

>>> tasks = heldout_tasks("banking", "call", "easy")
>>> len(tasks), tasks[0].split, tasks[0].task_id
(8, 'test', 'banking/call/easy/test/0')
>>> tasks == heldout_tasks.__wrapped__("banking", "call", "easy")  # regenerated: the same
True
"""

from __future__ import annotations

import importlib
import json
import re
import sqlite3
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Literal

import numpy as np

from rewardgym.envs.tool_use.db import copy_database, install_change_log
from rewardgym.envs.tool_use.tools import Call, Toolbox

__all__ = [
    "DIFFICULTIES",
    "DOMAINS",
    "KINDS",
    "TEST_TASKS_PER_GROUP",
    "Domain",
    "Draft",
    "Fact",
    "GoldStep",
    "Task",
    "answer_step",
    "ask_step",
    "base_database",
    "call",
    "calls_step",
    "format_answer",
    "format_calls",
    "get_domain",
    "heldout_tasks",
    "make_task",
    "normalise_output",
    "split_tasks",
]

DOMAINS: tuple[str, ...] = ("retail", "travel", "banking")
KINDS: tuple[str, ...] = ("call", "agent")
DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")
#: Held-out tasks per (domain, kind, difficulty).
TEST_TASKS_PER_GROUP = 8
_SPLIT_SEEDS = {"train": 0x5EED_0001, "test": 0x5EED_7E57}
_MAX_ATTEMPTS = 400

Kind = Literal["call", "agent"]


# --------------------------------------------------------------------- task parts
@dataclass(frozen=True)
class Fact:
    """Something the simulated user knows and says when the agent's message
    mentions one of ``keywords`` (lowercase substrings)."""

    key: str
    keywords: tuple[str, ...]
    reply: str


@dataclass(frozen=True)
class GoldStep:
    """One action of the oracle's script. ``kind``: ``"ask"`` (a message to the user
    that makes it reveal the facts ``reveals``), ``"calls"`` (tool calls, all in one
    action) or ``"answer"`` (the final answer). ``text`` is the action itself."""

    kind: Literal["ask", "calls", "answer"]
    text: str
    calls: tuple[Call, ...] = ()
    reveals: tuple[str, ...] = ()


@dataclass(frozen=True)
class Draft:
    """What a category generator returns; :func:`make_task` completes it."""

    instruction: str
    steps: tuple[GoldStep, ...]
    required_outputs: tuple[str, ...] = ()
    facts: tuple[Fact, ...] = ()
    revealed: tuple[str, ...] = ()
    goal: str = ""


@dataclass(frozen=True)
class Task:
    """One generated task with its gold solution (see the module docs)."""

    domain: str
    kind: str
    category: str
    difficulty: str
    split: str
    index: int
    instruction: str
    steps: tuple[GoldStep, ...]
    required_outputs: tuple[str, ...] = ()
    facts: tuple[Fact, ...] = ()
    revealed: tuple[str, ...] = ()
    goal: str = ""
    signature: str = field(default="", compare=False, repr=False)

    @property
    def task_id(self) -> str:
        return f"{self.domain}/{self.kind}/{self.difficulty}/{self.split}/{self.index}"

    @property
    def gold_calls(self) -> tuple[Call, ...]:
        return tuple(c for step in self.steps for c in step.calls)

    @property
    def answer(self) -> str | None:
        """The text of the gold final answer (inside the answer tags), if any."""
        for step in self.steps:
            if step.kind == "answer":
                return _ANSWER.fullmatch(step.text).group(1)  # type: ignore[union-attr]
        return None


GeneratorFn = Callable[[Any, np.random.Generator], Draft]


@dataclass(frozen=True)
class Domain:
    """A domain: its tools, database, world and task generators.

    ``call_tasks`` and ``agent_tasks`` map a category name to ``(difficulty,
    generator)``; ``value_pool(world)`` gives plausible values per parameter name
    (other ids, emails, dates) for the discrete mode's distractors; ``volatile``
    names, per table, generated id columns left out of the database comparison.
    """

    name: str
    title: str
    policy: str
    toolbox: Toolbox
    ddl: str
    build_world: Callable[[], Any]
    populate: Callable[[sqlite3.Connection, Any], None]
    call_tasks: Mapping[str, tuple[str, GeneratorFn]]
    agent_tasks: Mapping[str, tuple[str, GeneratorFn]]
    value_pool: Callable[[Any], Mapping[str, tuple[Any, ...]]]
    volatile: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_MODULES = {name: f"rewardgym.envs.tool_use.{name}" for name in DOMAINS}


@cache
def get_domain(name: str) -> Domain:
    """The :class:`Domain` called ``name`` (one of :data:`DOMAINS`)."""
    if name not in _MODULES:
        raise ValueError(f"unknown domain {name!r}; the domains are {', '.join(DOMAINS)}")
    domain: Domain = importlib.import_module(_MODULES[name]).DOMAIN
    return domain


@cache
def world(name: str) -> Any:
    """The domain's world (its seeded data as Python objects), built once."""
    return get_domain(name).build_world()


@dataclass(frozen=True)
class _Base:
    conn: sqlite3.Connection
    columns: dict[str, tuple[str, ...]]
    pool: Mapping[str, tuple[Any, ...]]


@cache
def _base(name: str) -> _Base:
    dom = get_domain(name)
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.executescript(dom.ddl)
    w = world(name)
    conn.execute("BEGIN")
    dom.populate(conn, w)
    conn.execute("COMMIT")
    columns = {}
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    ]
    install_change_log(conn, tables)
    for table in tables:
        cols = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        skip = set(dom.volatile.get(table, ()))
        columns[table] = tuple(c for c in cols if c not in skip)
    return _Base(conn, columns, dom.value_pool(w))


def base_database(name: str) -> sqlite3.Connection:
    """A fresh episode copy of the domain's seeded base database."""
    return copy_database(_base(name).conn)


def base_connection(name: str) -> sqlite3.Connection:
    """The domain's shared base database itself (read it, never write it)."""
    return _base(name).conn


def table_columns(name: str) -> dict[str, tuple[str, ...]]:
    """Per table, the columns the database comparison looks at."""
    return _base(name).columns


def value_pool(name: str) -> Mapping[str, tuple[Any, ...]]:
    return _base(name).pool


# --------------------------------------------------------------------- text forms
_ANSWER = re.compile(r"<answer>(.*)</answer>", re.DOTALL)


def call(name: str, **parameters: Any) -> Call:
    """A tool call value: ``call("get_order", order_id="O1")``."""
    return {"name": name, "parameters": parameters}


def format_calls(calls: tuple[Call, ...] | list[Call]) -> str:
    """Calls as the text action: one ``<tool_call>`` block, one JSON object a line.

    >>> print(format_calls([call("get_account", account_id="ACC100001")]))
    <tool_call>
    {"name": "get_account", "arguments": {"account_id": "ACC100001"}}
    </tool_call>
    """
    lines = [
        json.dumps({"name": c["name"], "arguments": c["parameters"]}, ensure_ascii=False)
        for c in calls
    ]
    return "<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"


def format_answer(text: str) -> str:
    return f"<answer>{text}</answer>"


def ask_step(text: str, *reveals: str) -> GoldStep:
    return GoldStep("ask", text, reveals=reveals)


def calls_step(*calls: Call) -> GoldStep:
    return GoldStep("calls", format_calls(calls), calls=tuple(calls))


def answer_step(text: str) -> GoldStep:
    return GoldStep("answer", format_answer(text))


_MONEY_NOISE = re.compile(r"[$,]")


def normalise_output(text: str) -> str:
    """What the required-output check compares: lowercase, ``$`` and ``,`` removed,
    whitespace collapsed.

    >>> normalise_output("Refund: $1,250.00  to  Card")
    'refund: 1250.00 to card'
    """
    return " ".join(_MONEY_NOISE.sub("", text).lower().split())


# --------------------------------------------------------------------- generation
def _signature(domain: str, kind: str, category: str, draft: Draft) -> str:
    gold = [c for s in draft.steps for c in s.calls]
    content: list[Any] = [
        domain,
        kind,
        category,
        gold,
        list(draft.required_outputs),
        sorted(f.reply for f in draft.facts),
    ]
    if not gold:
        content.append(draft.instruction)
    return json.dumps(content, sort_keys=True, ensure_ascii=False)


def _held_out(signature: str) -> bool:
    return zlib.crc32(signature.encode("utf-8")) % 4 == 0


def _check(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")


def make_task(domain: str, kind: str, difficulty: str, split: str, index: int) -> Task:
    """The task of ``index`` in ``split`` (deterministic; see the module docs).

    In the test split the categories of the difficulty are taken in turn; in the
    train split one is drawn. Draws whose signature falls in the other split are
    redrawn.
    """
    _check("domain", domain, DOMAINS)
    _check("kind", kind, KINDS)
    _check("difficulty", difficulty, DIFFICULTIES)
    _check("split", split, ("train", "test"))
    if index < 0:
        raise ValueError(f"index must be >= 0, got {index}")
    dom = get_domain(domain)
    table = dom.call_tasks if kind == "call" else dom.agent_tasks
    cats = [c for c, (d, _) in table.items() if d == difficulty]
    rng = np.random.default_rng(
        [
            _SPLIT_SEEDS[split],
            DOMAINS.index(domain),
            KINDS.index(kind),
            DIFFICULTIES.index(difficulty),
            int(index),
        ]
    )
    w = world(domain)
    want_test = split == "test"
    for attempt in range(_MAX_ATTEMPTS):
        if want_test:  # the category of the index, or (rarely) the next ones
            category = cats[(index + attempt // 50) % len(cats)]
        else:
            category = cats[int(rng.integers(len(cats)))]
        draft = table[category][1](w, rng)
        sig = _signature(domain, kind, category, draft)
        if _held_out(sig) == want_test:
            return Task(
                domain=domain,
                kind=kind,
                category=category,
                difficulty=difficulty,
                split=split,
                index=int(index),
                instruction=draft.instruction,
                steps=draft.steps,
                required_outputs=draft.required_outputs,
                facts=draft.facts,
                revealed=draft.revealed,
                goal=draft.goal,
                signature=sig,
            )
    raise RuntimeError(
        f"no {split} task found for {domain}/{kind}/{difficulty} index {index} in "
        f"{_MAX_ATTEMPTS} draws; the generators of this group have too little variety"
    )


@cache
def heldout_tasks(domain: str, kind: str, difficulty: str) -> tuple[Task, ...]:
    """The fixed held-out tasks of one (domain, kind, difficulty): the first
    :data:`TEST_TASKS_PER_GROUP` distinct test draws, indexed 0, 1, ..."""
    out: list[Task] = []
    seen: set[str] = set()
    j = 0
    while len(out) < TEST_TASKS_PER_GROUP:
        if j > 100 * TEST_TASKS_PER_GROUP:
            raise RuntimeError(f"too few distinct test tasks for {domain}/{kind}/{difficulty}")
        task = make_task(domain, kind, difficulty, "test", j)
        j += 1
        if task.signature in seen:
            continue
        seen.add(task.signature)
        out.append(replace(task, index=len(out)))
    return tuple(out)


def split_tasks(
    kind: str,
    domains: tuple[str, ...] = DOMAINS,
    difficulties: tuple[str, ...] = DIFFICULTIES,
) -> tuple[Task, ...]:
    """The held-out tasks of several domains and difficulties, in a fixed order."""
    return tuple(t for d in domains for lvl in difficulties for t in heldout_tasks(d, kind, lvl))
