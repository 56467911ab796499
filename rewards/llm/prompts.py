"""Prompts for LLM feedback, one per environment family, and the parser of answers.

Every prompt comes in two forms:

* **classification** (``kind="label"``): the model labels each caption 1 (the message
  shows progress towards the task, or useful information) or 0;
* **pairwise ranking** (``kind="pair"``): for each pair of captions ``[A, B]`` the
  model says which shows more progress: ``"A"``, ``"B"`` or ``"tie"``.

Captions are sent in batches. The user message lists them under the line
``### Messages``, one per line as ``<n>: <JSON string>`` (a pair as
``<n>: [<JSON string>, <JSON string>]``), so a caption with quotes, newlines or
instructions of its own cannot break the list; :func:`extract_items` reads the list
back (the project's test server uses it). The model is asked to reply with one JSON
object, ``{"1": 1, "2": 0}`` or ``{"1": "A", "2": "tie"}``.

Models often answer with more than that: a preamble, a code fence, a numbered list,
an explanation. :func:`parse_answer` reads labels from any of

* the last JSON object or list in the text that holds labels (``{"1": "yes"}``,
  ``[1, 0]``, ``{"labels": {...}}``, ``[{"id": 1, "label": 1}]``);
* numbered lines (``1: yes``, ``2. No``, ``**3** - B``, ``Message 4: 1``);
* for a single caption, ``Answer: yes`` / ``Label = 0`` or a reply that is just a label,

and returns ``None`` for every caption it could not read (the annotators count them).
Labels are floats: 1.0 / 0.0 (or a probability in [0, 1]) for classification; for
pairs, the probability that A shows more progress: 1.0 (A), 0.0 (B), 0.5 (tie).

>>> p = get_prompt("text_games")
>>> messages = p.messages("label", ["You unlock the door.", "Nothing happens."], goal="escape")
>>> [m["role"] for m in messages]
['system', 'user']
>>> extract_items(messages[1]["content"])
['You unlock the door.', 'Nothing happens.']
>>> parse_answer('Sure! Here you go:\\n```json\\n{"1": "yes", "2": 0}\\n```', 2, "label")
[1.0, 0.0]
>>> parse_answer("1. A (it opens the way)\\n2. tie", 2, "pair")
[1.0, 0.5]
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "FAMILIES",
    "ITEMS_HEADER",
    "PROMPTS",
    "Item",
    "Kind",
    "Prompt",
    "extract_items",
    "get_prompt",
    "parse_answer",
    "parse_value",
    "render_items",
]

Kind = Literal["label", "pair"]
#: A caption (classification) or a pair of captions (ranking).
Item = str | tuple[str, str]

#: The line that opens the numbered list of messages in every user prompt.
ITEMS_HEADER = "### Messages"

_LABEL_FORMAT = (
    "Reply with one JSON object that maps each message number to its label, 1 or 0, "
    'for example {"1": 1, "2": 0}. Give every number a label and write nothing else.'
)
_PAIR_FORMAT = (
    "Each numbered line is a pair [A, B]. Reply with one JSON object that maps each pair "
    'number to "A", "B" or "tie", for example {"1": "A", "2": "tie"}. Give every number '
    "an answer and write nothing else."
)


@dataclass(frozen=True)
class Prompt:
    """The prompt of one environment family.

    ``system`` describes the setting; ``label_rule`` says what deserves label 1;
    ``pair_rule`` what makes one caption better than another. ``messages(kind,
    items, goal)`` builds the chat messages of a batch; the optional ``goal`` (the
    task in words) is included when given.
    """

    family: str
    system: str
    label_rule: str
    pair_rule: str

    def instructions(self, kind: Kind) -> str:
        _check_kind(kind)
        rule = self.label_rule if kind == "label" else self.pair_rule
        return f"{rule}\n{_LABEL_FORMAT if kind == 'label' else _PAIR_FORMAT}"

    def messages(
        self, kind: Kind, items: Sequence[Item], goal: str | None = None
    ) -> list[dict[str, str]]:
        """The chat-completions ``messages`` of one batch."""
        parts = []
        if goal:
            parts.append(f"The agent's task: {goal}")
        parts.append(self.instructions(kind))
        parts.append(render_items(kind, items))
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": "\n\n".join(parts)},
        ]

    def text(self, kind: Kind) -> str:
        """Everything of the prompt that decides a label (keys the label cache)."""
        return f"{self.family}\n{self.system}\n{self.instructions(kind)}"


_COMMON_LABEL = (
    "Label each message 1 if it shows that the agent made progress towards its task or "
    "learned something useful for it, and 0 if it shows no progress: failures, "
    "refusals, errors, idle or repeated descriptions."
)
_COMMON_PAIR = "Judge which message of each pair shows more progress towards the task."

#: The prompts by family: ``tool_use``, ``web``, ``text_games``, ``control``, ``risk``
#: and ``generic`` (any other environment).
PROMPTS: dict[str, Prompt] = {
    "generic": Prompt(
        family="generic",
        system=(
            "You evaluate the messages an environment shows to an agent that is learning "
            "a task by trial and error. Each message describes what just happened."
        ),
        label_rule=_COMMON_LABEL,
        pair_rule=_COMMON_PAIR,
    ),
    "text_games": Prompt(
        family="text_games",
        system=(
            "You evaluate messages from a text adventure game in which an agent explores "
            "rooms, picks up and uses objects, unlocks doors and containers, and tries to "
            "finish a quest. Each message is the game's reply to one command."
        ),
        label_rule=(
            "Label a message 1 if it shows progress in the game or reveals information a "
            "good player would want: a new room or exit, an object taken or found, a door "
            "or container opened or unlocked, a quest step done. Label it 0 if it shows "
            "none: the command was not understood or not possible, nothing happened, or "
            "it only repeats what the player already knew."
        ),
        pair_rule=(
            "For each pair, judge which message shows more progress towards finishing the "
            "quest (a solved step beats new information, which beats nothing happening)."
        ),
    ),
    "tool_use": Prompt(
        family="tool_use",
        system=(
            "You evaluate an assistant that completes users' requests by calling tools "
            "(databases, bookings, payments). Each message is a tool result or the user's "
            "reply after one assistant turn."
        ),
        label_rule=(
            "Label a message 1 if it shows the request advancing: a tool call succeeded "
            "and returned what the task needs, a change was confirmed, the user's need "
            "was clarified or met. Label it 0 for errors, invalid calls, irrelevant or "
            "empty results, policy refusals and repeated calls."
        ),
        pair_rule=(
            "For each pair, judge which message shows the user's request closer to "
            "being completed correctly."
        ),
    ),
    "web": Prompt(
        family="web",
        system=(
            "You evaluate an agent that navigates websites to complete a task: searching, "
            "following links, filling in forms. Each message is the title or a summary of "
            "the page the agent reached, or the result of its action."
        ),
        label_rule=(
            "Label a message 1 if the page or result brings the agent closer to finishing "
            "the task: the relevant item found, a form step accepted, the right section "
            "reached. Label it 0 for error pages, dead ends, unrelated pages and actions "
            "that changed nothing."
        ),
        pair_rule=("For each pair, judge which page or result is closer to completing the task."),
    ),
    "control": Prompt(
        family="control",
        system=(
            "You evaluate the state of a physical system that an agent controls (a pole on "
            "a cart, a car on a hill, a swinging arm). Each message describes the system's "
            "state in words."
        ),
        label_rule=(
            "Label a message 1 if the described state is good for the task or a clear step "
            "towards it (balanced, higher, closer to the target, more controlled), and 0 "
            "if it is bad or a step away from it (falling, lower, out of control)."
        ),
        pair_rule=("For each pair, judge which described state is better for the task."),
    ),
    "risk": Prompt(
        family="risk",
        system=(
            "You evaluate events in multi-agent games with risk (a board game of "
            "conquest, repeated games such as the stag hunt, cars at an intersection). "
            "Each message describes what happened to one player."
        ),
        label_rule=(
            "Label a message 1 if it shows the player improving its position without "
            "reckless risk: territory gained or held, successful cooperation, a safe "
            "crossing. Label it 0 for losses, crashes, eliminations and gambles that put "
            "the player at risk of catastrophe."
        ),
        pair_rule=(
            "For each pair, judge which event leaves the player in the better and safer position."
        ),
    ),
}

#: The families that have a prompt of their own.
FAMILIES: tuple[str, ...] = tuple(sorted(PROMPTS))


def get_prompt(family: str | Prompt) -> Prompt:
    """The prompt of ``family`` (a :class:`Prompt` is returned as is)."""
    if isinstance(family, Prompt):
        return family
    if family not in PROMPTS:
        raise ValueError(
            f"no prompt for family {family!r}; use one of {list(FAMILIES)} or pass a "
            "Prompt(family=..., system=..., label_rule=..., pair_rule=...)"
        )
    return PROMPTS[family]


def _check_kind(kind: str) -> None:
    if kind not in ("label", "pair"):
        raise ValueError(f"kind must be 'label' (classification) or 'pair' (ranking), got {kind!r}")


# -- the list of items ------------------------------------------------------------------------


def render_items(kind: Kind, items: Sequence[Item]) -> str:
    """The numbered list of a batch, opened by :data:`ITEMS_HEADER`."""
    _check_kind(kind)
    lines = [ITEMS_HEADER]
    for i, item in enumerate(items, 1):
        if kind == "label":
            if not isinstance(item, str):
                raise TypeError(f"a classification item is a caption (str), got {item!r}")
            lines.append(f"{i}: {json.dumps(item, ensure_ascii=False)}")
        else:
            if not (isinstance(item, tuple) and len(item) == 2):
                raise TypeError(f"a ranking item is a pair of captions, got {item!r}")
            lines.append(f"{i}: {json.dumps(list(item), ensure_ascii=False)}")
    return "\n".join(lines)


_ITEM_LINE = re.compile(r"^(\d+): (.*)$", re.DOTALL)


def extract_items(text: str) -> list[Item]:
    """The items listed after the last :data:`ITEMS_HEADER` line of a user message
    (captions as str, pairs as tuples), in order; lines that are not items are skipped."""
    # JSON escapes "\n" and "\r" inside strings, so only those end a line here (not
    # the other separators str.splitlines() knows, which may sit inside a caption).
    lines = [line.rstrip("\r") for line in text.split("\n")]
    starts = [i for i, line in enumerate(lines) if line.strip() == ITEMS_HEADER]
    if not starts:
        return []
    out: list[Item] = []
    for line in lines[starts[-1] + 1 :]:
        m = _ITEM_LINE.match(line)
        if m is None:
            continue
        try:
            value = json.loads(m.group(2))
        except ValueError:
            continue
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
            out.append((value[0], value[1]))
    return out


# -- answers ----------------------------------------------------------------------------------

_TRUE = frozenset(
    ["1", "yes", "y", "true", "positive", "helpful", "good", "interesting", "useful",
     "progress", "correct", "pass"]
)  # fmt: skip
_FALSE = frozenset(
    ["0", "no", "n", "false", "negative", "unhelpful", "bad", "uninteresting", "useless",
     "none", "incorrect", "fail"]
)  # fmt: skip
_PAIR_A = frozenset(["a", "first", "message_a", "option_a", "1st", "left"])
_PAIR_B = frozenset(["b", "second", "message_b", "option_b", "2nd", "right"])
_PAIR_TIE = frozenset(["tie", "tied", "equal", "same", "neither", "both", "draw", "even"])
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")

#: The longest answer read; the rest is ignored (keeps hostile input cheap).
MAX_ANSWER_CHARS = 32_768
_MAX_JSON_TRIES = 256


def parse_value(value: Any, kind: Kind) -> float | None:
    """One label from a JSON value or a word; None when it is not a label of ``kind``."""
    if isinstance(value, bool):
        return (1.0 if value else 0.0) if kind == "label" else None
    if isinstance(value, (int, float)):
        v = float(value)
        return v if math.isfinite(v) and 0.0 <= v <= 1.0 else None
    if not isinstance(value, str):
        return None
    word = value.strip().strip("\"'`*.,;!()[]").strip().lower().replace(" ", "_")
    if not word:
        return None
    if _NUMBER.match(word):
        return parse_value(float(word), kind)
    if kind == "label":
        if word in _TRUE:
            return 1.0
        if word in _FALSE:
            return 0.0
        return None
    if word in _PAIR_A:
        return 1.0
    if word in _PAIR_B:
        return 0.0
    if word in _PAIR_TIE:
        return 0.5
    return None


_INDEX_KEYS = ("id", "index", "n", "number", "item", "message", "pair")
_VALUE_KEYS = ("label", "answer", "value", "verdict", "choice", "preference", "winner", "score")
_CONTAINER_KEYS = ("labels", "answers", "results", "preferences", "choices", "items")


def _index(key: Any, n: int) -> int | None:
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        i = key
    elif isinstance(key, str):
        k = key.strip().lstrip("#").strip()
        if not k.isdigit() or len(k) > 6:
            return None
        i = int(k)
    else:
        return None
    return i - 1 if 1 <= i <= n else None


def _from_json(obj: Any, n: int, kind: Kind) -> list[float | None]:
    out: list[float | None] = [None] * n
    if isinstance(obj, dict):
        for key in _CONTAINER_KEYS:
            if key in obj and isinstance(obj[key], (dict, list)):
                inner = _from_json(obj[key], n, kind)
                if any(v is not None for v in inner):
                    return inner
        for key, value in obj.items():
            i = _index(key, n)
            if i is not None:
                if isinstance(value, dict):
                    value = next((value[k] for k in _VALUE_KEYS if k in value), None)
                out[i] = parse_value(value, kind)
        if n == 1 and out[0] is None:
            for key in _VALUE_KEYS:
                if key in obj:
                    out[0] = parse_value(obj[key], kind)
                    break
        return out
    if isinstance(obj, list):
        if obj and all(isinstance(x, dict) for x in obj):
            for x in obj:
                i = next((_index(x[k], n) for k in _INDEX_KEYS if k in x), None)
                value = next((x[k] for k in _VALUE_KEYS if k in x), None)
                if i is not None:
                    out[i] = parse_value(value, kind)
            if not any(v is not None for v in out) and len(obj) == n:
                for i, x in enumerate(obj):
                    value = next((x[k] for k in _VALUE_KEYS if k in x), None)
                    out[i] = parse_value(value, kind)
            return out
        if len(obj) == n:
            return [parse_value(x, kind) for x in obj]
    return out


def _json_candidates(text: str) -> list[Any]:
    """Every JSON object or list that decodes at a ``{`` or ``[`` of ``text``, in order
    (an inner value of a decoded one is not listed again)."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    pos, tries = 0, 0
    while tries < _MAX_JSON_TRIES:
        starts = [i for i in (text.find("{", pos), text.find("[", pos)) if i >= 0]
        if not starts:
            break
        start = min(starts)
        tries += 1
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            pos = start + 1
            continue
        found.append(value)
        pos = end
    return found


_LINE = re.compile(
    r"^[ \t>]*(?:[-*•][ \t]*)?(?:\*\*|__)?[ \t]*"
    r"(?:(?:message|caption|item|pair|answer|no\.?)[ \t]*)?"
    r"[#(\[]?[ \t]*(\d{1,6})[ \t]*[)\]]?[ \t]*(?:\*\*|__)?[ \t]*[:.)=\-–—][ \t]*(?:\*\*|__)?"
    r"[ \t]*(?:label[ \t]*[:=]?[ \t]*)?[\"'`*(\[]*[ \t]*([A-Za-z_]+|[+-]?\d+(?:\.\d+)?)",
    re.IGNORECASE | re.MULTILINE,
)
_SINGLE = re.compile(
    r"\b(?:label|answer|verdict|rating|choice|preference|winner|final answer)\b[ \t]*(?:is)?"
    r"[ \t]*[:=]?[ \t]*[\"'`*(\[]*[ \t]*([A-Za-z_]+|[+-]?\d+(?:\.\d+)?)",
    re.IGNORECASE,
)


def parse_answer(text: str, n: int, kind: Kind) -> list[float | None]:
    """The labels of a batch of ``n`` items read from a model's reply (see the module
    docstring); ``None`` where no label could be read. Never raises on any text."""
    _check_kind(kind)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    out: list[float | None] = [None] * n
    if n == 0 or not isinstance(text, str):
        return out
    text = text[:MAX_ANSWER_CHARS]
    # JSON: the last value that holds labels wins; earlier ones fill its gaps.
    for candidate in reversed(_json_candidates(text)):
        labels = _from_json(candidate, n, kind)
        for i, v in enumerate(labels):
            if out[i] is None and v is not None:
                out[i] = v
        if all(v is not None for v in out):
            return out
    # Numbered lines fill what JSON left (the first line of a number counts).
    seen: set[int] = set()
    for m in _LINE.finditer(text):
        at = _index(m.group(1), n)
        if at is None or at in seen:
            continue
        seen.add(at)
        if out[at] is None:
            out[at] = parse_value(m.group(2), kind)
    if n == 1 and out[0] is None:
        whole = parse_value(text, kind)
        if whole is not None:
            out[0] = whole
        else:
            matches = list(_SINGLE.finditer(text))
            if matches:
                out[0] = parse_value(matches[-1].group(1), kind)
    return out
