"""``ToolCall`` and ``ToolAgent``: tool use over a real SQLite database, with
verifiable rewards.

Both envs share the domains (retail, travel, banking; see
:mod:`~rewardgym.envs.tool_use.retail`, :mod:`~rewardgym.envs.tool_use.travel`,
:mod:`~rewardgym.envs.tool_use.banking`), the action grammar
(:mod:`~rewardgym.envs.tool_use.parsing`), the tasks and the split
(:mod:`~rewardgym.envs.tool_use.tasks`) and the reward terms below. Each episode
gets a fresh in-memory copy of its domain's database; tools are Python functions
over that connection only (parameterised SQL, no filesystem, network, ``eval`` or
``exec``).

Reward terms (all logged in ``info["reward_terms"]`` on every step; in
``ToolAgent`` the outcome terms are 0 until the last step):

=============  ===========  ============================================================
term           range        meaning
=============  ===========  ============================================================
success        {0, 1}       ``info["success"]`` (see each env)
format         {0, 1}       the action was read and accepted (no error)
invalid        {-p, 0}      ``-invalid_action_penalty`` when the action was rejected
toolrl         [-3, 3]      ToolRL's R_correct of the calls made against the gold calls
bfcl           {0, 1}       BFCL AST match (ToolCall: all calls; ToolAgent: the writes)
db_match       {0, 1}       final database equals the gold one (tau-bench)
outputs        [0, 1]       fraction of the required outputs found in the replies
efficiency     [-1, 0]      ``-min(1, max(0, calls - gold calls) / max(1, gold calls))``
=============  ===========  ============================================================

The scalar reward is ``sum(weights[t] * terms[t])`` with the env's default weights
(documented on each class) or those passed as ``reward_weights``.
"""

from __future__ import annotations

import json
from collections import Counter, OrderedDict
from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar

import numpy as np

from rewardgym.envs.text.base import ActionError, TextEnv, TextStep
from rewardgym.envs.tool_use import db as dbmod
from rewardgym.envs.tool_use.candidates import agent_candidates, call_candidates
from rewardgym.envs.tool_use.parsing import ParsedAction, ParseError, parse_action
from rewardgym.envs.tool_use.tasks import (
    DIFFICULTIES,
    DOMAINS,
    GoldStep,
    Task,
    base_connection,
    base_database,
    format_calls,
    get_domain,
    make_task,
    normalise_output,
    split_tasks,
    table_columns,
    value_pool,
)
from rewardgym.envs.tool_use.tools import Call, Toolbox
from rewardgym.envs.tool_use.user_sim import UserSimulator
from rewardgym.rewards.verifiable import bfcl_match, tool_call_score

__all__ = ["REWARD_TERMS", "ToolAgentEnv", "ToolCallEnv"]

#: The reward terms every step logs, in this order.
REWARD_TERMS: tuple[str, ...] = (
    "success",
    "format",
    "invalid",
    "toolrl",
    "bfcl",
    "db_match",
    "outputs",
    "efficiency",
)
_OUTCOME_TERMS = ("success", "toolrl", "bfcl", "db_match", "outputs", "efficiency")
_TRAIN_INDICES = 2**31 - 1


def _call_key(c: Call) -> str:
    """A call's identity: name and arguments, with integral floats as ints."""

    def canon(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, dict):
            return {k: canon(x) for k, x in v.items()}
        if isinstance(v, list):
            return [canon(x) for x in v]
        return v

    return json.dumps([c["name"], canon(c["parameters"])], sort_keys=True)


def _possible_answer(c: Call, box: Toolbox) -> dict[str, dict[str, list[Any]]]:
    """A gold call in BFCL's possible-answer form: each given value the only one
    allowed; each optional parameter left out of the gold call may be omitted."""
    tool = box.tools[c["name"]]
    spec: dict[str, list[Any]] = {k: [v] for k, v in c["parameters"].items()}
    for name in tool.parameters.get("properties", {}):
        if name not in spec and name not in tool.required:
            spec[name] = [""]
    return {c["name"]: spec}


_Rows = dict[int, "tuple[Any, ...] | None"]
_GOLD_CACHE: OrderedDict[str, dict[str, _Rows]] = OrderedDict()


def _gold_changes(task: Task) -> dict[str, _Rows]:
    """The gold final database of ``task`` (its gold calls replayed on a fresh copy
    of the base), as the rows the gold calls touched: per table, rowid -> row for
    every logged rowid (a deleted row is absent). Kept for the last 512 tasks,
    keyed by content (phrasing aside)."""
    key = task.signature or json.dumps([task.domain, list(task.gold_calls)], sort_keys=True)
    hit = _GOLD_CACHE.get(key)
    if hit is not None:
        _GOLD_CACHE.move_to_end(key)
        return hit
    box = get_domain(task.domain).toolbox
    conn = base_database(task.domain)
    try:
        for c in task.gold_calls:
            ok, result = box.run(conn, c)
            if not ok:
                raise RuntimeError(f"gold call {c} of task {task.task_id} failed: {result}")
        columns = table_columns(task.domain)
        gold = {
            t: {rid: None for rid in rids} | dbmod.rows_at(conn, t, columns[t], rids)
            for t, rids in dbmod.changed_rowids(conn).items()
        }
    finally:
        conn.close()
    _GOLD_CACHE[key] = gold
    if len(_GOLD_CACHE) > 512:
        _GOLD_CACHE.popitem(last=False)
    return gold


def _same_database(conn: Any, task: Task) -> bool:
    """Whether ``conn`` holds the gold final database of ``task``: table by table,
    the multisets of rows among the rowids either side changed are equal (every
    other row is the base's row on both sides; see
    :func:`~rewardgym.envs.tool_use.db.install_change_log`)."""
    gold = _gold_changes(task)
    mine = dbmod.changed_rowids(conn)
    columns = table_columns(task.domain)
    base = base_connection(task.domain)
    for table in set(gold) | set(mine):
        gold_rows = gold.get(table, {})
        rids = set(gold_rows) | mine.get(table, set())
        ours = dbmod.rows_at(conn, table, columns[table], rids)
        from_base = dbmod.rows_at(base, table, columns[table], rids - set(gold_rows))
        theirs = [r for r in gold_rows.values() if r is not None] + list(from_base.values())
        if Counter(ours.values()) != Counter(theirs):
            return False
    return True


@cache
def _tools_text(domain: str) -> str:
    box = get_domain(domain).toolbox
    return "\n".join(json.dumps(s, ensure_ascii=False) for s in box.schemas)


_CALL_FORMAT = (
    'Write each call as <tool_call>{"name": "<tool>", "arguments": {...}}</tool_call> (one '
    "JSON object per line; several calls in one turn run in order), or reply with an "
    'OpenAI assistant message in JSON ({"tool_calls": [...]}).'
)


@cache
def _call_prompt(domain: str) -> str:
    dom = get_domain(domain)
    return (
        f"You are the function-calling assistant of a {dom.title}.\n\n"
        f"# Tools (OpenAI function schemas)\n{_tools_text(domain)}\n\n"
        "# How to reply\nReply in a single turn; you will not see the results. If the "
        "tools can do what the user asks, write every call needed (and no other). "
        f"{_CALL_FORMAT} If no tool applies, call nothing and reply inside "
        "<answer>...</answer>.\n\n# Request\nUser: "
    )


@cache
def _agent_prompt(domain: str) -> str:
    dom = get_domain(domain)
    return (
        f"{dom.policy}\n\n# Tools (OpenAI function schemas)\n{_tools_text(domain)}\n\n"
        f"# How to act\n- Tools: {_CALL_FORMAT} You will see their results.\n"
        "- To talk to the user, write plain text (no tags).\n"
        "- When the request is handled, give your final reply to the user inside "
        "<answer>...</answer>; this ends the conversation.\n\n# Conversation\nUser: "
    )


class _ToolEnv(TextEnv):
    """What both envs share: task choice, the database, calls, evaluation, pickling."""

    kind: ClassVar[str] = ""
    reward_terms: ClassVar[tuple[str, ...]] = REWARD_TERMS
    default_weights: ClassVar[dict[str, float]] = {}

    def __init__(
        self,
        *,
        domain: str = "all",
        difficulty: str = "mixed",
        split: str = "train",
        reward_weights: Mapping[str, float] | None = None,
        max_calls_per_action: int = 8,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if domain != "all" and domain not in DOMAINS:
            raise ValueError(f"domain must be 'all' or one of {DOMAINS}, got {domain!r}")
        if difficulty != "mixed" and difficulty not in DIFFICULTIES:
            raise ValueError(
                f"difficulty must be 'mixed' or one of {DIFFICULTIES}, got {difficulty!r}"
            )
        if split not in ("train", "test"):
            raise ValueError(
                f"split must be 'train' (generated tasks) or 'test' (the fixed held-out "
                f"tasks), got {split!r}"
            )
        weights = dict(self.default_weights)
        for name, value in (reward_weights or {}).items():
            if name not in REWARD_TERMS:
                raise ValueError(
                    f"reward_weights: unknown term {name!r}; the terms are {REWARD_TERMS}"
                )
            if not np.isfinite(value):
                raise ValueError(f"reward_weights[{name!r}] must be finite, got {value!r}")
            weights[name] = float(value)
        if not isinstance(max_calls_per_action, (int, np.integer)) or max_calls_per_action < 1:
            raise ValueError(
                f"max_calls_per_action must be a positive integer, got {max_calls_per_action!r}"
            )
        self.domain = domain
        self.difficulty = difficulty
        self.split = split
        self.weights = weights
        self.max_calls_per_action = int(max_calls_per_action)
        self.domains: tuple[str, ...] = DOMAINS if domain == "all" else (domain,)
        self.difficulties: tuple[str, ...] = (
            DIFFICULTIES if difficulty == "mixed" else (difficulty,)
        )
        self.task: Task | None = None
        self._conn: Any = None
        self._calls_made: list[Call] = []
        self._ok_calls: list[Call] = []
        self._replies: list[str] = []
        self._pending: TextStep | None = None
        self._cand_seed = 0
        self.messages: list[dict[str, Any]] = []

    # -- task and database -------------------------------------------------------------

    @property
    def toolbox(self) -> Toolbox:
        if self.task is None:
            raise RuntimeError("call reset() first")
        return get_domain(self.task.domain).toolbox

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The current domain's tools in OpenAI's function-calling format."""
        return self.toolbox.schemas

    @property
    def test_tasks(self) -> tuple[Task, ...]:
        """The held-out tasks of this env's domains and difficulties."""
        return split_tasks(self.kind, self.domains, self.difficulties)

    def _pick_task(self, options: Mapping[str, Any] | None) -> Task:
        options = options or {}
        if "task" in options:
            task = options["task"]
            if not isinstance(task, Task) or task.kind != self.kind:
                raise ValueError(f"options['task'] must be a Task of kind {self.kind!r}")
            return task
        index = options.get("task_index")
        if index is not None and (not isinstance(index, (int, np.integer)) or index < 0):
            raise ValueError(f"options['task_index'] must be an int >= 0, got {index!r}")
        if self.split == "test":
            tasks = self.test_tasks
            if index is None:
                index = int(self.np_random.integers(len(tasks)))
            if index >= len(tasks):
                raise ValueError(
                    f"task_index {index} out of range: the test split has {len(tasks)} tasks"
                )
            return tasks[int(index)]
        nd, nl = len(self.domains), len(self.difficulties)
        if index is None:
            domain = self.domains[int(self.np_random.integers(nd))]
            level = self.difficulties[int(self.np_random.integers(nl))]
            index = int(self.np_random.integers(_TRAIN_INDICES))
        else:
            domain, level = self.domains[index % nd], self.difficulties[(index // nd) % nl]
        return make_task(domain, self.kind, level, "train", int(index))

    def _start_episode(self, options: Mapping[str, Any] | None) -> Task:
        task = self._pick_task(options)
        self.task = task
        if self._conn is not None:
            self._conn.close()
        self._conn = base_database(task.domain)
        self._calls_made, self._ok_calls, self._replies = [], [], []
        self._pending = None
        self._cand_seed = int(self.np_random.integers(2**63 - 1))
        return task

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        super().close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self._conn is not None:
            state["_conn"] = dbmod.dump(self._conn)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        script = state.get("_conn")
        self.__dict__.update(state)
        self._conn = dbmod.load(script) if isinstance(script, str) else None

    # -- calls -------------------------------------------------------------------------

    def _check_calls(self, calls: tuple[Call, ...]) -> str | None:
        if len(calls) > self.max_calls_per_action:
            return f"{len(calls)} calls in one action; the limit is {self.max_calls_per_action}"
        box = self.toolbox
        for c in calls:
            problem = box.check(c)
            if problem is not None:
                return problem
        return None

    def _run_calls(self, calls: tuple[Call, ...]) -> list[tuple[Call, bool, Any]]:
        box = self.toolbox
        out = []
        for c in calls:
            ok, result = box.run(self._conn, c)
            self._calls_made.append(c)
            if ok:
                self._ok_calls.append(c)
            out.append((c, ok, result))
        return out

    @staticmethod
    def _results_text(results: list[tuple[Call, bool, Any]]) -> str:
        blocks = []
        for c, ok, result in results:
            body = {"name": c["name"], "result" if ok else "error": result}
            blocks.append(
                f"<tool_response>\n{json.dumps(body, ensure_ascii=False)}\n</tool_response>"
            )
        return "\n".join(blocks)

    # -- evaluation --------------------------------------------------------------------

    def _evaluate(self, *, parsed_ok: bool, bfcl_writes_only: bool) -> dict[str, float]:
        """The outcome terms of the episode so far (``success`` left to the caller)."""
        task = self.task
        assert task is not None
        box = self.toolbox
        gold = list(task.gold_calls)
        db_match = _same_database(self._conn, task)
        said = normalise_output(" ".join(self._replies))
        req = task.required_outputs
        outputs = sum(normalise_output(r) in said for r in req) / len(req) if req else 1.0
        made = self._calls_made
        if not gold:
            toolrl = 0.0
        elif not parsed_ok:
            toolrl = -3.0
        else:
            toolrl = tool_call_score(made, gold)
        if not parsed_ok:
            bfcl = 0.0
        else:
            if bfcl_writes_only:
                pred = [c for c in self._ok_calls if box.tools[c["name"]].writes]
                ref = [c for c in gold if box.tools[c["name"]].writes]
            else:
                pred, ref = made, gold
            possible = [_possible_answer(c, box) for c in ref]
            bfcl = 1.0 if bfcl_match(pred, possible, box.schemas) else 0.0
        extra = max(0, len(made) - len(gold)) / max(1, len(gold))
        return {
            "toolrl": float(toolrl),
            "bfcl": bfcl,
            "db_match": 1.0 if db_match else 0.0,
            "outputs": float(outputs),
            "efficiency": -min(1.0, extra) if extra > 0 else 0.0,
        }

    def _step_of(
        self,
        observation: str,
        terms: dict[str, float],
        *,
        terminated: bool = False,
        truncated: bool = False,
        caption: str | None = None,
    ) -> TextStep:
        full = {name: float(terms.get(name, 0.0)) for name in REWARD_TERMS}
        reward = sum(self.weights.get(k, 0.0) * v for k, v in full.items())
        task = self.task
        return TextStep(
            observation=observation,
            reward_terms=full,
            reward=float(reward),
            terminated=terminated,
            truncated=truncated,
            success=full["success"] == 1.0,
            caption=caption,
            info={
                "task_id": task.task_id if task is not None else None,
                "num_calls": len(self._calls_made),
            },
        )

    def _reset_info(self, task: Task) -> dict[str, Any]:
        return {
            "task_id": task.task_id,
            "domain": task.domain,
            "category": task.category,
            "difficulty": task.difficulty,
            "num_calls": 0,
        }


class ToolCallEnv(_ToolEnv):
    """Single-turn function calling over a real database (BFCL / ToolRL style).

    The observation is one prompt: the domain's tools as OpenAI function schemas, how
    to reply, and a user request that carries every detail needed. The agent answers
    in one action: the call or calls that do what is asked (simple, multiple,
    parallel and parallel-multiple requests), or, when no tool applies (irrelevant or
    unsupported requests), an ``<answer>`` and no call. The calls are checked against
    their schemas and run, in order, on the episode's database; the episode ends
    after that one action.

    ====================  ================================================================
    Action (text)         the model's output: ``<tool_call>`` blocks or OpenAI
                          ``tool_calls`` JSON, and/or ``<answer>...</answer>``
                          (:mod:`~rewardgym.envs.tool_use.parsing`); ``UnicodeText``
    Action (discrete)     index over 12 candidate outputs: the gold one and distractors
                          (wrong value, wrong tool, missing or extra call, answer
                          instead of calls); ``action_mask`` in the observation
    Observation           the prompt (text), or hashed features in discrete mode
    Episode end           after one action (``terminated``)
    ====================  ================================================================

    **Errors** (``info["error"]``): ``parse`` (unreadable output, or neither a call
    nor an answer), ``illegal`` (unknown tool, schema violation, more than
    ``max_calls_per_action`` calls: then no call runs), ``execution`` (a call ran and
    failed, e.g. the order is not pending). All reward terms are still computed.

    **Success**: no error, the final database equals the gold one, the calls match
    the gold calls under BFCL's AST rules, and, for a no-tool request, an answer and
    no call. (A single turn shows no results, so read-only calls are checked by the
    match rather than by an answer.)

    **Default reward** ``success + 0.25 format + toolrl / 6 + 0.25 efficiency +
    invalid``: 1.75 for the gold calls (1.25 for a correct no-tool answer), between
    about -0.25 and 0.75 for partially correct calls, -1.5 for malformed output
    (with the default penalty 1).

    Args:
        domain: ``"retail"``, ``"travel"``, ``"banking"`` or ``"all"`` (one drawn per
            episode).
        difficulty: ``"easy"`` (one call, or an irrelevant request), ``"medium"``
            (two calls), ``"hard"`` (two or three calls of different tools, or an
            unsupported request), or ``"mixed"``.
        split: ``"train"`` (generated tasks, unbounded) or ``"test"`` (the fixed
            held-out tasks, disjoint from train).
        reward_weights: per-term weights replacing the defaults.
        max_calls_per_action: the most calls one action may hold.
        **kwargs: :class:`~rewardgym.envs.text.base.TextEnv` arguments
            (``action_mode``, ``invalid_action_penalty``, ``render_mode``, ...).

    ``reset(options={"task_index": i})`` picks task ``i`` of the split (the test
    split has ``len(env.unwrapped.test_tasks)`` tasks); ``options={"task": task}``
    runs a given :class:`~rewardgym.envs.tool_use.tasks.Task`.

    Version history: v0, first version.

    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/ToolCall-v0", domain="banking", split="test")
    >>> obs, info = env.reset(seed=0, options={"task_index": 0})
    >>> obs, reward, terminated, truncated, info = env.step(env.unwrapped.oracle_action())
    >>> info["success"], terminated, reward
    (True, True, 1.75)
    """

    kind = "call"
    default_weights: ClassVar[dict[str, float]] = {
        "success": 1.0,
        "format": 0.25,
        "invalid": 1.0,
        "toolrl": 1.0 / 6.0,
        "efficiency": 0.25,
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cands: list[str] = []

    def _reset_task(self, options: dict[str, Any] | None) -> TextStep:
        task = self._start_episode(options)
        if self.action_mode == "discrete":
            rng = np.random.default_rng(self._cand_seed)
            self._cands = call_candidates(task, self.toolbox, value_pool(task.domain), rng)
        prompt = _call_prompt(task.domain)
        text = prompt + task.instruction
        self.messages = [
            {"role": "system", "content": prompt[: -len("\n\n# Request\nUser: ")]},
            {"role": "user", "content": task.instruction},
        ]
        return TextStep(text, info=self._reset_info(task))

    def _candidates(self) -> list[str]:
        return list(self._cands)

    def _oracle_text(self) -> str:
        if self.task is None:
            raise RuntimeError("call reset() first")
        return self.task.steps[0].text

    def _conclude(
        self, parsed: ParsedAction | None, error: str | None, observation: str
    ) -> TextStep:
        if parsed is not None and parsed.answer is not None:
            self._replies.append(parsed.answer)
        terms = self._evaluate(parsed_ok=parsed is not None, bfcl_writes_only=False)
        task = self.task
        assert task is not None
        no_tool_ok = bool(task.gold_calls) or (
            parsed is not None and parsed.answer is not None and not parsed.calls
        )
        success = (
            error is None
            and terms["db_match"] == 1.0
            and terms["bfcl"] == 1.0
            and terms["outputs"] == 1.0
            and no_tool_ok
        )
        terms["success"] = 1.0 if success else 0.0
        terms["format"] = 0.0 if error else 1.0
        terms["invalid"] = -self.invalid_action_penalty if error else 0.0
        verdict = "task complete" if success else "task not complete"
        return self._step_of(
            f"{observation}\n[episode over: {verdict}]".lstrip(),
            terms,
            terminated=True,
            caption=observation or verdict,
        )

    def _step_text(self, action: str) -> TextStep:
        self.messages.append({"role": "assistant", "content": action})
        try:
            parsed = parse_action(action)
        except ParseError as exc:
            self._pending = self._conclude(None, "parse", f"[parse error] {exc}")
            raise ActionError("parse", str(exc)) from None
        if not parsed.calls and parsed.answer is None:
            message = (
                "no tool call and no <answer>: write the calls in <tool_call> blocks, or, "
                "when no tool applies, your reply inside <answer>...</answer>"
            )
            self._pending = self._conclude(None, "parse", f"[parse error] {message}")
            raise ActionError("parse", message)
        problem = self._check_calls(parsed.calls)
        if problem is not None:
            # Nothing runs, but the calls as written still earn partial credit.
            self._calls_made.extend(c for c in parsed.calls if c["name"] in self.toolbox)
            self._pending = self._conclude(parsed, "illegal", f"[illegal error] {problem}")
            raise ActionError("illegal", problem)
        results = self._run_calls(parsed.calls)
        text = self._results_text(results)
        failed = [f"{c['name']}: {r}" for c, ok, r in results if not ok]
        if failed:
            message = "; ".join(failed)
            self._pending = self._conclude(parsed, "execution", text)
            raise ActionError("execution", message)
        return self._conclude(parsed, None, text)

    def _on_error(self, error: ActionError) -> TextStep:
        pending, self._pending = self._pending, None
        if pending is None:  # rejected before parsing (binary, oversize, bad index)
            pending = self._conclude(None, error.kind, f"[{error.kind} error] {error.message}")
        return pending


class ToolAgentEnv(_ToolEnv):
    """Multi-turn tool use with a simulated user (tau-bench style).

    The first observation is the domain's policy, its tools (OpenAI function
    schemas), how to act, and the user's opening message, which states what they
    want but (from difficulty ``medium`` on) not who they are or which order or
    booking they mean. Each turn the agent does one of three things:

    * **call tools**: ``<tool_call>`` blocks or OpenAI ``tool_calls`` JSON; the calls
      run in order and the observation is their results (``<tool_response>`` blocks
      holding ``{"name", "result"}`` or ``{"name", "error"}``);
    * **talk to the user**: plain text; the observation is the scripted user's reply
      (:class:`~rewardgym.envs.tool_use.user_sim.UserSimulator`: it tells its email,
      order number... when asked, confirms when asked to confirm);
    * **answer**: ``<answer>...</answer>``, the final reply to the user; the episode
      ends (``terminated``). Calls and an answer in the same turn are rejected.

    The episode is cut (``truncated``) after ``max_turns`` actions; the outcome is
    then scored as it stands, without success.

    ====================  ================================================================
    Action (text)         the model's output (``UnicodeText``), read by
                          :mod:`~rewardgym.envs.tool_use.parsing`
    Action (discrete)     index over up to 12 candidates: the oracle's next action among
                          distractors (wrong values or tools, premature or wrong
                          answers, off-topic messages); ``action_mask``
    Observation           the new turn's text (tool results, the user's reply, or an
                          error), or hashed features in discrete mode;
                          ``env.unwrapped.messages`` keeps the whole conversation in
                          OpenAI chat format
    ====================  ================================================================

    **Errors** (``info["error"]``, penalty ``invalid``): ``parse`` (unreadable),
    ``illegal`` (unknown tool, schema violation, too many calls, calls with an answer:
    then nothing runs), ``execution`` (a tool refused: not found, not cancellable,
    over the limit, booking full; its message is in the results, the agent can read
    it and go on; a refused write changes nothing).

    **Success** (tau-bench): the agent answered, the final database equals the gold
    one (the gold calls replayed on a fresh copy, compared table by table) and every
    required output (an amount, an id) appears in what the agent said to the user
    (messages and answer; ``$`` and ``,`` ignored, case-insensitive).

    **Default reward** ``success + 0.25 db_match + 0.25 outputs + toolrl / 6 + 0.25
    efficiency`` at the last step, plus ``invalid`` on every rejected action: 2.0
    for the oracle.

    Args:
        domain, difficulty, split, reward_weights, max_calls_per_action: as in
            :class:`ToolCallEnv`; ``easy`` tasks give the ids up front and need one
            or two calls, ``medium`` ones need the user's details and a lookup first,
            ``hard`` ones have two goals or a rule to check (refuse a cancellation,
            a transfer over the limit, a full flight).
        max_turns: the step budget (30).
        **kwargs: :class:`~rewardgym.envs.text.base.TextEnv` arguments.

    Version history: v0, first version.

    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/ToolAgent-Retail-v0", split="test")
    >>> obs, info = env.reset(seed=0, options={"task_index": 10})
    >>> done = False
    >>> while not done:
    ...     obs, reward, terminated, truncated, info = env.step(env.unwrapped.oracle_action())
    ...     done = terminated or truncated
    >>> info["success"], info["reward_terms"]["db_match"], reward
    (True, 1.0, 2.0)
    """

    kind = "agent"
    default_weights: ClassVar[dict[str, float]] = {
        "success": 1.0,
        "invalid": 1.0,
        "toolrl": 1.0 / 6.0,
        "db_match": 0.25,
        "outputs": 0.25,
        "efficiency": 0.25,
    }

    def __init__(self, *, max_turns: int = 30, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(max_turns, (int, np.integer)) or max_turns < 1:
            raise ValueError(f"max_turns must be a positive integer, got {max_turns!r}")
        self.max_turns = int(max_turns)
        self._user = UserSimulator((), "")

    def _reset_task(self, options: dict[str, Any] | None) -> TextStep:
        task = self._start_episode(options)
        self._user = UserSimulator(task.facts, task.goal, task.revealed)
        prompt = _agent_prompt(task.domain)
        self.messages = [
            {"role": "system", "content": prompt[: -len("\n\n# Conversation\nUser: ")]},
            {"role": "user", "content": task.instruction},
        ]
        return TextStep(prompt + task.instruction, info=self._reset_info(task))

    # -- the oracle and the candidates -------------------------------------------------

    def _next_gold_step(self) -> GoldStep:
        task = self.task
        if task is None:
            raise RuntimeError("call reset() first")
        done = Counter(_call_key(c) for c in self._ok_calls)
        revealed = set(self._user.revealed)
        for step in task.steps:
            if step.kind == "ask":
                if not set(step.reveals) <= revealed:
                    return step
            elif step.kind == "calls":
                missing = []
                for c in step.calls:
                    key = _call_key(c)
                    if done[key] > 0:
                        done[key] -= 1
                    else:
                        missing.append(c)
                if missing:
                    if len(missing) == len(step.calls):
                        return step
                    return GoldStep("calls", format_calls(missing), calls=tuple(missing))
            else:
                return step
        return task.steps[-1]

    def _oracle_text(self) -> str:
        return self._next_gold_step().text

    def _candidates(self) -> list[str]:
        task = self.task
        assert task is not None
        rng = np.random.default_rng([self._cand_seed, self.turn])
        return agent_candidates(
            task,
            self._next_gold_step(),
            self._ok_calls[-2:],
            self.toolbox,
            value_pool(task.domain),
            rng,
        )

    # -- stepping ----------------------------------------------------------------------

    def _finish_or_continue(
        self, observation: str, terms: dict[str, float], caption: str | None = None
    ) -> TextStep:
        if self.turn >= self.max_turns:
            final = self._evaluate(parsed_ok=True, bfcl_writes_only=True)
            final["success"] = 0.0
            terms = {**terms, **final}
            note = f"\n[turn limit of {self.max_turns} reached: episode over]"
            return self._step_of(observation + note, terms, truncated=True, caption=caption)
        return self._step_of(observation, terms, caption=caption)

    def _step_text(self, action: str) -> TextStep:
        self.messages.append({"role": "assistant", "content": action})
        try:
            parsed = parse_action(action)
        except ParseError as exc:
            raise ActionError("parse", str(exc)) from None
        if parsed.calls and parsed.answer is not None:
            raise ActionError(
                "illegal",
                "an action cannot both call tools and answer: give the final <answer> in a "
                "turn of its own, after reading the results",
            )
        if parsed.answer is not None:
            self._replies.append(parsed.answer)
            terms = self._evaluate(parsed_ok=True, bfcl_writes_only=True)
            success = terms["db_match"] == 1.0 and terms["outputs"] == 1.0
            terms.update(success=1.0 if success else 0.0, format=1.0)
            verdict = "task complete" if success else "task not complete"
            return self._step_of(f"[conversation over: {verdict}]", terms, terminated=True)
        if parsed.calls:
            problem = self._check_calls(parsed.calls)
            if problem is not None:
                raise ActionError("illegal", problem)
            results = self._run_calls(parsed.calls)
            text = self._results_text(results)
            for c, ok, r in results:
                self.messages.append(
                    {
                        "role": "tool",
                        "name": c["name"],
                        "content": json.dumps({"result" if ok else "error": r}),
                    }
                )
            failed = [f"{c['name']}: {r}" for c, ok, r in results if not ok]
            if failed:
                self._pending = self._finish_or_continue(
                    text, {"format": 0.0, "invalid": -self.invalid_action_penalty}
                )
                raise ActionError("execution", "; ".join(failed))
            return self._finish_or_continue(text, {"format": 1.0})
        self._replies.append(parsed.message)
        reply = self._user.reply(parsed.message)
        self.messages.append({"role": "user", "content": reply})
        return self._finish_or_continue(f"User: {reply}", {"format": 1.0})

    def _on_error(self, error: ActionError) -> TextStep:
        pending, self._pending = self._pending, None
        if pending is not None:
            return pending
        message = f"[{error.kind} error] {error.message}"
        self.messages.append({"role": "user", "content": message})
        return self._finish_or_continue(
            message, {"format": 0.0, "invalid": -self.invalid_action_penalty}, caption=message
        )

    def _reset_info(self, task: Task) -> dict[str, Any]:
        return {**super()._reset_info(task), "max_turns": self.max_turns}
