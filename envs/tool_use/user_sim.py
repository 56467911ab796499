"""The scripted user of ``ToolAgent``: it knows a few facts and tells them when asked.

The user starts with the task's opening message. Each later message the agent sends
(a turn with no tool call and no answer) gets a reply by these rules, in order:

1. **Reveal.** Every fact whose keywords appear in the agent's message (lowercased)
   is told, e.g. "email" or "account" makes it say its email, "order" its order
   number. Several facts can be told at once.
2. **Confirm.** A message that asks for confirmation ("shall I", "should I",
   "confirm", "proceed", "go ahead", "do you want", "would you like") gets "Yes,
   please go ahead." (before any facts of rule 1).
3. **Close.** "anything else" gets "No, that's all. Thanks!"
4. **Restate.** Otherwise the user repeats its goal and asks what the agent needs.

The simulator is deterministic and total (any string gets a reply, nothing raises),
so episodes replay exactly and hostile text goes nowhere.

>>> from rewardgym.envs.tool_use.tasks import Fact
>>> user = UserSimulator((Fact("email", ("email",), "It's ann@example.com."),),
...                      goal="I want my order cancelled.")
>>> user.reply("What is your EMAIL address?")
"It's ann@example.com."
>>> user.revealed
('email',)
>>> user.reply("Hmm.")
'I want my order cancelled. What do you need from me?'
"""

from __future__ import annotations

from collections.abc import Iterable

from rewardgym.envs.tool_use.tasks import Fact

__all__ = ["UserSimulator"]

_CONFIRM = (
    "shall i",
    "should i",
    "confirm",
    "proceed",
    "go ahead",
    "do you want",
    "would you like",
)
_CLOSE = ("anything else",)


class UserSimulator:
    """A scripted user with ``facts`` (told when asked) and a ``goal`` (restated
    when the agent's message asks for nothing it knows). ``revealed`` holds the keys
    of the facts told so far (those in ``known`` count as told from the start)."""

    def __init__(self, facts: Iterable[Fact], goal: str, known: Iterable[str] = ()):
        self.facts = tuple(facts)
        self.goal = goal
        keys = {f.key for f in self.facts}
        self._revealed: list[str] = [k for k in dict.fromkeys(known) if k in keys]

    @property
    def revealed(self) -> tuple[str, ...]:
        return tuple(self._revealed)

    def reply(self, message: str) -> str:
        low = message.lower()
        told = [f for f in self.facts if any(k in low for k in f.keywords)]
        confirm = any(k in low for k in _CONFIRM)
        if told:
            for f in told:
                if f.key not in self._revealed:
                    self._revealed.append(f.key)
            replies = " ".join(f.reply for f in told)
            return f"Yes, please go ahead. {replies}" if confirm else replies
        if confirm:
            return "Yes, please go ahead."
        if any(k in low for k in _CLOSE):
            return "No, that's all. Thanks!"
        return f"{self.goal} What do you need from me?".strip()
