"""The action language of the web envs: parse what an agent writes, format what the
env offers.

An action is one line; ids are the numbers in brackets of the page's accessibility
tree, text arguments are quoted (double or single quotes; a backslash escapes the
quote or a backslash). The canonical form, which the env offers as candidates and
the oracle writes, is on the left; the function-call spelling on the right is read
too:

==============================  ================================  =================================
``click [12]``                  ``click(12)``                     click a link, button, radio, box
``type [7] "blue jacket"``      ``type(7, "blue jacket")``        replace a text field's content
``select [9] "M"``              ``select(9, "M")``                choose an option of a drop-down
``search "blue jacket"``        ``search("blue jacket")``         type into the page's search box
                                                                  and submit it
``scroll down``                 ``scroll(down)``                  move the view (``up`` / ``down``)
``back``                        ``back()``                        the previous page of the episode
``stop``                        ``stop("answer")``                end the episode (with an answer)
==============================  ================================  =================================

Verbs are case-insensitive; surrounding whitespace is ignored. Anything else is a
:class:`ActionParseError` whose message says what was expected, never another
exception.

>>> parse_action('type [7] "blue \\\\"rain\\\\" jacket"')
WebAction(verb='type', target=7, text='blue "rain" jacket')
>>> format_action(parse_action("CLICK(12)"))
'click [12]'
>>> parse_action("click the button")
Traceback (most recent call last):
...
rewardgym.envs.web.actions.ActionParseError: click needs an element id in brackets, e.g. click [12]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "VERBS",
    "ActionParseError",
    "WebAction",
    "format_action",
    "parse_action",
    "quote",
]

#: The verbs of the language.
VERBS: tuple[str, ...] = ("click", "type", "select", "search", "scroll", "back", "stop")

#: The largest element id accepted (ids are small page-local numbers).
MAX_ID = 1_000_000

_EXAMPLES = {
    "click": "click [12]",
    "type": 'type [7] "blue jacket"',
    "select": 'select [9] "M"',
    "search": 'search "blue jacket"',
    "scroll": "scroll down",
    "back": "back",
    "stop": 'stop or stop "answer"',
}


class ActionParseError(ValueError):
    """The action could not be read; the message says what was expected."""


@dataclass(frozen=True)
class WebAction:
    """A parsed action: ``verb`` (one of :data:`VERBS`), ``target`` (element id, for
    click/type/select) and ``text`` (the typed text, option, query, scroll direction
    or answer; ``None`` for a bare ``stop``)."""

    verb: str
    target: int | None = None
    text: str | None = None


def quote(text: str) -> str:
    """``text`` in double quotes, with backslashes and double quotes escaped.

    >>> quote('a "b" \\\\ c')
    '"a \\\\"b\\\\" \\\\\\\\ c"'
    """
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_action(action: WebAction) -> str:
    """The canonical text of an action (``parse_action`` reads it back unchanged)."""
    v = action.verb
    if v == "click":
        return f"click [{action.target}]"
    if v in ("type", "select"):
        return f"{v} [{action.target}] {quote(action.text or '')}"
    if v == "search":
        return f"search {quote(action.text or '')}"
    if v == "scroll":
        return f"scroll {action.text}"
    if v == "back":
        return "back"
    if v == "stop":
        return "stop" if action.text is None else f"stop {quote(action.text)}"
    raise ValueError(f"unknown verb {v!r}")


_VERB = re.compile(r"[A-Za-z_]+")
_INT = re.compile(r"[0-9]+")


class _Reader:
    """A cursor over the action text (hand-written, so that every failure is an
    :class:`ActionParseError` with a useful message)."""

    def __init__(self, text: str, verb: str):
        self.s = text
        self.i = 0
        self.verb = verb

    def fail(self, what: str) -> ActionParseError:
        return ActionParseError(f"{self.verb} needs {what}, e.g. {_EXAMPLES[self.verb]}")

    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def eat(self, ch: str) -> bool:
        self.ws()
        if self.s.startswith(ch, self.i):
            self.i += len(ch)
            return True
        return False

    def at_end(self) -> bool:
        self.ws()
        return self.i >= len(self.s)

    def integer(self, what: str) -> int:
        self.ws()
        m = _INT.match(self.s, self.i)
        if m is None:
            raise self.fail(what)
        self.i = m.end()
        value = int(m.group()) if len(m.group()) <= 9 else MAX_ID + 1
        if value > MAX_ID:
            raise ActionParseError(f"element id {m.group()[:12]} is too large")
        return value

    def element_id(self) -> int:
        """``[12]`` (or a bare ``12``)."""
        self.ws()
        if self.eat("["):
            value = self.integer("an element id in brackets")
            if not self.eat("]"):
                raise self.fail("a closing bracket after the element id")
            return value
        return self.integer("an element id in brackets")

    def string(self, what: str) -> str:
        self.ws()
        q = self.peek()
        if q not in ('"', "'"):
            raise self.fail(f"{what} in quotes")
        self.i += 1
        out: list[str] = []
        while self.i < len(self.s):
            ch = self.s[self.i]
            if ch == "\\" and self.i + 1 < len(self.s) and self.s[self.i + 1] in ("\\", q):
                out.append(self.s[self.i + 1])
                self.i += 2
                continue
            if ch == q:
                self.i += 1
                return "".join(out)
            out.append(ch)
            self.i += 1
        raise ActionParseError(
            f"the quoted text of {self.verb} is not closed: end it with {q} "
            "(escape a quote inside it as \\" + q + ")"
        )

    def word(self) -> str:
        self.ws()
        m = _VERB.match(self.s, self.i)
        if m is None:
            return ""
        self.i = m.end()
        return m.group().lower()


def parse_action(text: str) -> WebAction:
    """Read one action (see the module docstring); raises :class:`ActionParseError`.

    >>> parse_action("  scroll(DOWN) ")
    WebAction(verb='scroll', target=None, text='down')
    >>> parse_action("stop")
    WebAction(verb='stop', target=None, text=None)
    """
    if not isinstance(text, str):
        raise ActionParseError(f"an action is text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise ActionParseError(
            "the action is empty; write one of: " + ", ".join(_EXAMPLES[v] for v in VERBS)
        )
    m = _VERB.match(stripped)
    verb = m.group().lower() if m else ""
    if verb not in VERBS:
        shown = stripped.split(None, 1)[0][:40]
        raise ActionParseError(
            f"unknown action {shown!r}; write one of: " + ", ".join(_EXAMPLES[v] for v in VERBS)
        )
    r = _Reader(stripped, verb)
    r.i = len(verb)
    call = r.eat("(")  # the function-call spelling
    action = _parse_args(r, verb, call)
    if call and not r.eat(")"):
        raise r.fail("a closing parenthesis")
    if not r.at_end():
        rest = r.s[r.i : r.i + 40]
        raise ActionParseError(
            f"unexpected text after the action: {rest!r}; write one action, e.g. {_EXAMPLES[verb]}"
        )
    return action


def _parse_args(r: _Reader, verb: str, call: bool) -> WebAction:
    if verb == "click":
        return WebAction("click", r.element_id())
    if verb in ("type", "select"):
        target = r.element_id()
        if call and not r.eat(","):
            raise r.fail("a comma after the element id")
        r.ws()
        return WebAction(verb, target, r.string("the text" if verb == "type" else "the option"))
    if verb == "search":
        return WebAction("search", None, r.string("the query"))
    if verb == "scroll":
        r.ws()
        direction = r.string("up or down") if r.peek() in ('"', "'") else r.word()
        direction = direction.strip().lower()
        if direction not in ("up", "down"):
            raise r.fail("a direction, up or down")
        return WebAction("scroll", None, direction)
    if verb == "back":
        return WebAction("back")
    # stop, with an optional answer
    r.ws()
    if r.peek() in ('"', "'"):
        return WebAction("stop", None, r.string("the answer"))
    return WebAction("stop")
