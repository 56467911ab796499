"""The TextQuest command parser: natural commands to a :class:`Command`.

Reading happens in two stages. :func:`parse` turns text into a verb and noun
phrases, with no knowledge of the world: case, spacing and punctuation do not
matter, articles ("the", "a", "an", "some", ...) and a leading "please" are
dropped, and verbs have synonyms:

=============  ======================================================================
verb           forms
=============  ======================================================================
go             ``go/walk/move/head/run/travel north``, ``north``, ``n`` (and ``go to
               the north``); ``go through/enter the oak door``
take           ``take/get/grab/pick up/collect X``, ``pick X up``, ``take X from/off/
               out of Y``
drop           ``drop/discard X``, ``put down X``, ``put X down``
put            ``put/place/insert/set/stash X in/into/inside/on/onto/on top of Y``
open, close    ``open X``, ``close/shut X``
unlock, lock   ``unlock X with Y``, ``unlock X`` (a fitting key in hand is used)
eat            ``eat/consume/devour/swallow/munch/chew X``
examine        ``examine/x/inspect/check/describe/read X``, ``look at/in X``
look           ``look``, ``l``, ``look around``
inventory      ``inventory``, ``inv``, ``i``
=============  ======================================================================

:func:`match` then picks the things a noun phrase names among those in view: a
thing matches when every word of the phrase is in its name ("key", "brass key"),
and a full-name match wins over partial ones.

Text that is not a command raises :class:`ParseError` ("I don't understand
that."); a phrase that names nothing in view is the caller's "You can't see any
such thing." Nothing here raises anything else, whatever the input.

>>> parse("  Pick UP the Brass key! ")
Command(verb='take', obj=('brass', 'key'), obj2=(), prep='', direction=-1)
>>> parse("put the apple on top of the table").prep
'on'
>>> parse("n").direction
0
>>> parse("dance")
Traceback (most recent call last):
...
rewardgym.envs.text_games.quest_parser.ParseError: I don't understand that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["DONT_UNDERSTAND", "Command", "ParseError", "match", "parse", "tokens"]

DONT_UNDERSTAND = "I don't understand that."

ARTICLES = frozenset({"the", "a", "an", "some", "my", "your", "this", "that", "these", "those"})
DIRECTION_WORDS = {
    "n": 0,
    "north": 0,
    "e": 1,
    "east": 1,
    "s": 2,
    "south": 2,
    "w": 3,
    "west": 3,
}
GO_VERBS = frozenset({"go", "walk", "move", "head", "run", "travel", "proceed", "step"})
TAKE_VERBS = frozenset({"take", "get", "grab", "collect", "acquire", "fetch", "snatch"})
DROP_VERBS = frozenset({"drop", "discard"})
PUT_VERBS = frozenset({"put", "place", "insert", "set", "stash", "stuff"})
OPEN_VERBS = frozenset({"open"})
CLOSE_VERBS = frozenset({"close", "shut"})
EAT_VERBS = frozenset({"eat", "consume", "devour", "swallow", "munch", "chew"})
EXAMINE_VERBS = frozenset({"examine", "x", "inspect", "check", "describe", "read"})
LOOK_VERBS = frozenset({"look", "l"})
INVENTORY_VERBS = frozenset({"inventory", "inv", "i"})
IN_WORDS = frozenset({"in", "into", "inside"})
ON_WORDS = frozenset({"on", "onto", "upon"})
FROM_WORDS = frozenset({"from", "off", "out"})

# Punctuation that separates words; anything else stays part of a word (so a word
# with odd characters simply names nothing).
_SEPARATORS = str.maketrans({c: " " for c in ".,;:!?\"'()[]{}<>/\\|`~*&^%$#@+=-_"})


class ParseError(Exception):
    """The text is not a command; ``str(err)`` is the game's answer."""


class Command(NamedTuple):
    """A parsed command: ``verb`` (go, enter, take, drop, put, open, close,
    unlock, lock, eat, examine, look, inventory), the noun phrases ``obj`` and
    ``obj2`` (tuples of words, empty when absent), ``prep`` ("in", "on" or "from"
    when given) and ``direction`` (0-3 for go, else -1)."""

    verb: str
    obj: tuple[str, ...] = ()
    obj2: tuple[str, ...] = ()
    prep: str = ""
    direction: int = -1


def tokens(text: str) -> list[str]:
    """Lower-case words of ``text`` with punctuation and articles removed."""
    words = text.lower().translate(_SEPARATORS).split()
    return [w for w in words if w not in ARTICLES]


def _split(words: list[str], seps: frozenset[str]) -> tuple[list[str], str, list[str]] | None:
    """Split at the first separator word (or ``on top of``)."""
    for i, w in enumerate(words):
        if w in seps:
            rest = words[i + 1 :]
            if w == "on" and rest[:2] == ["top", "of"]:
                rest = rest[2:]
            elif w == "out" and rest[:1] == ["of"]:
                rest = rest[1:]
            return words[:i], w, rest
    return None


def _need(words: list[str], verb: str) -> tuple[str, ...]:
    if not words:
        raise ParseError(f"What do you want to {verb}?")
    return tuple(words)


def parse(text: str) -> Command:
    """Read a command; raises :class:`ParseError` when it is not one."""
    words = tokens(text)
    if words and words[0] == "please":
        words = words[1:]
    if not words:
        raise ParseError(DONT_UNDERSTAND)
    verb, rest = words[0], words[1:]
    if verb in DIRECTION_WORDS and not rest:
        return Command("go", direction=DIRECTION_WORDS[verb])
    if verb in GO_VERBS:
        if rest[:1] == ["to"]:
            rest = rest[1:]
        if len(rest) == 1 and rest[0] in DIRECTION_WORDS:
            return Command("go", direction=DIRECTION_WORDS[rest[0]])
        if rest[:1] in (["through"], ["in"], ["into"]):
            return Command("enter", obj=_need(rest[1:], "go through"))
        raise ParseError(f"{DONT_UNDERSTAND} (Say which way: north, east, south or west.)")
    if verb == "enter":
        return Command("enter", obj=_need(rest, "enter"))
    if verb == "pick":
        if rest[:1] == ["up"]:
            rest = rest[1:]
        elif rest[-1:] == ["up"]:
            rest = rest[:-1]
        else:
            raise ParseError(DONT_UNDERSTAND)
        verb = "take"
    elif verb in TAKE_VERBS:
        verb = "take"
    if verb == "take":
        split = _split(rest, FROM_WORDS)
        if split is not None:
            obj, _, src = split
            return Command("take", _need(obj, "take"), _need(src, "take it from"), "from")
        return Command("take", _need(rest, "take"))
    if verb in DROP_VERBS:
        return Command("drop", _need(rest, "drop"))
    if verb in PUT_VERBS:
        if rest[:1] == ["down"]:
            return Command("drop", _need(rest[1:], "put down"))
        if rest[-1:] == ["down"]:
            return Command("drop", _need(rest[:-1], "put down"))
        split = _split(rest, IN_WORDS | ON_WORDS)
        if split is None:
            raise ParseError(f"Where do you want to put {'it' if rest else 'what'}?")
        obj, sep, dest = split
        prep = "in" if sep in IN_WORDS else "on"
        return Command("put", _need(obj, "put"), _need(dest, f"put it {prep}"), prep)
    if verb in OPEN_VERBS:
        return Command("open", _need(rest, "open"))
    if verb in CLOSE_VERBS:
        return Command("close", _need(rest, "close"))
    if verb in ("unlock", "lock"):
        split = _split(rest, frozenset({"with", "using"}))
        if split is not None:
            obj, _, key = split
            return Command(verb, _need(obj, verb), _need(key, f"{verb} it with"), "with")
        return Command(verb, _need(rest, verb))
    if verb in EAT_VERBS:
        return Command("eat", _need(rest, "eat"))
    if verb in EXAMINE_VERBS:
        return Command("examine", _need(rest, "examine"))
    if verb in LOOK_VERBS:
        if not rest or rest == ["around"]:
            return Command("look")
        if rest[0] in ("at", "in", "inside", "into", "on"):
            return Command("examine", _need(rest[1:], "look at"))
        raise ParseError(DONT_UNDERSTAND)
    if verb in INVENTORY_VERBS and not rest:
        return Command("inventory")
    raise ParseError(DONT_UNDERSTAND)


def match(
    phrase: Sequence[str], things: Sequence[int], words: Sequence[frozenset[str]]
) -> list[int]:
    """The things among ``things`` that ``phrase`` names (``words[t]`` is the set of
    words of thing ``t``'s name). A thing whose whole name is the phrase wins; else
    every thing whose name has all the phrase's words. Order follows ``things``.

    >>> names = [frozenset({"brass", "key"}), frozenset({"iron", "key"})]
    >>> match(("key",), [0, 1], names), match(("iron", "key"), [0, 1], names)
    ([0, 1], [1])
    """
    want = frozenset(phrase)
    found: list[int] = []
    for t in things:
        have = words[t]
        if want == have:
            return [t]
        if want <= have and t not in found:
            found.append(t)
    return found
