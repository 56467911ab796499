"""The world of TextQuest: its model, its rules and its generator.

A world is a map of rooms joined by exits (north, east, south, west; every exit has
its way back), with *things* in it, each an integer id:

* **doors** on some exits: open, closed, or locked with a key;
* **containers** (chests, cabinets, ...) that are open, closed or locked, and
  **supporters** (tables, shelves, ...), fixed in a room; portable things lie in or
  on them;
* **portable things**: keys (each unlocks one door or container), food (edible)
  and plain items (distractors, and the quest item).

:class:`World` is the static part (layout, names, initial state, quest);
:class:`QuestGame` holds the dynamic state (the player's room, where each portable
thing is, the state of each door and container) and the rules: what each action
needs, what it changes, the text it produces, and the admissible commands of the
current state. Actions are integer tuples ``(op, a, b)`` (see ``GO`` ... ``INVENTORY``);
:func:`command_text` writes one as the canonical command.

:func:`generate_world` builds a world from a seed and a difficulty. The quest is
built by forward chaining over rules from the start state: each rule's
preconditions hold in the state the previous rules produced, and it adds the
things it needs to the world:

* *locked door*: a door on an exit out of the reachable area is locked and its key
  placed where the previous rule made room (so the key is always reachable); the
  quest gains ``take key``, ``unlock door with key``, ``open door``, and the rooms
  behind it become reachable;
* *locked container*: a container is locked, its key placed likewise; ``take key``,
  ``unlock container with key``, ``open container``; its inside becomes reachable;
* *closed container*: ``open container``;
* *goal*: the quest item is placed in the last place made reachable; the quest
  ends with ``take item`` then ``put item on/in target`` (or ``eat item`` when the
  item is food and the goal is to eat it).

Then distractors fill the world: rooms off the quest's path, unlocked doors,
furniture, a locked container with nothing needed in it (its key reachable too),
and items and food. Difficulty (``"easy"``, ``"medium"``, ``"hard"`` or a level
1-10) sets the number of rooms, chain rules and distractors (:class:`QuestSettings`).

>>> world = generate_world(seed=3, difficulty="easy")
>>> game = QuestGame(world)
>>> game.room == world.start_room and not game.won() and not game.lost()
True
>>> "look" in game.admissible()[0]
True
"""

from __future__ import annotations

import random
from bisect import insort
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CLOSE",
    "CLOSED",
    "CONTAINER",
    "DIRECTIONS",
    "DOOR",
    "DROP",
    "EAT",
    "EXAMINE",
    "FIXED",
    "FOOD",
    "GO",
    "GONE",
    "INV",
    "INVENTORY",
    "ITEM",
    "KEY",
    "LEVELS",
    "LOCK",
    "LOCKED",
    "LOOK",
    "OPEN",
    "OPEN_OP",
    "PUT",
    "SUPPORTER",
    "TAKE",
    "UNLOCK",
    "Action",
    "QuestGame",
    "QuestSettings",
    "QuestStep",
    "World",
    "command_text",
    "generate_world",
]

# Kinds of things. Kinds >= KEY are portable.
DOOR, CONTAINER, SUPPORTER, KEY, FOOD, ITEM = range(6)
KIND_NAMES = ("door", "container", "supporter", "key", "food", "item")

# States of doors and containers (``QuestGame.lock``); 0 for every other thing.
OPEN, CLOSED, LOCKED = 0, 1, 2

# Locations of portable things (``QuestGame.loc``): a room id ``r`` (on the floor),
# ``n_rooms + h`` (in or on the container or supporter ``h``), or one of these.
INV, GONE, FIXED = -1, -2, -3

DIRECTIONS = ("north", "east", "south", "west")
_DELTAS = ((0, 1), (1, 0), (0, -1), (-1, 0))

# Action ops: an action is ``(op, a, b)``.
GO, TAKE, DROP, PUT, OPEN_OP, CLOSE, UNLOCK, LOCK, EAT, EXAMINE, LOOK, INVENTORY = range(12)
Action = tuple[int, int, int]

#: Named difficulties and their levels.
LEVELS: dict[str, int] = {"easy": 1, "medium": 3, "hard": 6}
MAX_LEVEL = 10


@dataclass(frozen=True)
class QuestSettings:
    """What a difficulty level sets. Level ``L`` (1-10): ``1 + 2L`` rooms, ``L``
    chain rules, ``2L + 1`` distractor items, ``L + 1`` extra pieces of furniture,
    ``L // 3`` distractor locks, a door on a free exit with probability
    ``min(0.6, 0.15 L)``.

    >>> QuestSettings.from_difficulty("medium").rooms
    7
    >>> QuestSettings.from_difficulty(10).chain
    10
    """

    level: int
    rooms: int
    chain: int
    distractors: int
    furniture: int
    distractor_locks: int
    door_prob: float

    @classmethod
    def from_difficulty(cls, difficulty: str | int | QuestSettings) -> QuestSettings:
        if isinstance(difficulty, QuestSettings):
            return difficulty
        if isinstance(difficulty, str):
            if difficulty not in LEVELS:
                raise ValueError(
                    f"difficulty must be one of {sorted(LEVELS)} or a level 1-{MAX_LEVEL}, "
                    f"got {difficulty!r}"
                )
            level = LEVELS[difficulty]
        elif isinstance(difficulty, int) and not isinstance(difficulty, bool):
            level = int(difficulty)
            if not 1 <= level <= MAX_LEVEL:
                raise ValueError(
                    f"difficulty level must be 1-{MAX_LEVEL} (easy=1, medium=3, hard=6), "
                    f"got {difficulty}"
                )
        else:
            raise ValueError(
                f"difficulty must be 'easy', 'medium', 'hard' or an int 1-{MAX_LEVEL}, "
                f"got {difficulty!r}"
            )
        return cls(
            level=level,
            rooms=1 + 2 * level,
            chain=level,
            distractors=2 * level + 1,
            furniture=level + 1,
            distractor_locks=level // 3,
            door_prob=min(0.6, 0.15 * level),
        )


@dataclass(frozen=True)
class QuestStep:
    """One action of the generated quest (navigation left out), with the fact it
    makes true: ``("have", item)``, ``("unlocked", t)``, ``("open", t)``,
    ``("at", item, holder)`` or ``("eaten", item)``."""

    command: str
    fact: tuple[str, int, int]


@dataclass(frozen=True)
class World:
    """The static part of a generated world; the ids of rooms and of things are
    separate ranges ``0..n_rooms-1`` and ``0..n_things-1``."""

    seed: int
    level: int
    room_names: tuple[str, ...]
    #: Per room, its exits sorted by direction: ``(direction, room, door or -1)``.
    exits: tuple[tuple[tuple[int, int, int], ...], ...]
    names: tuple[str, ...]
    kinds: tuple[int, ...]
    #: The room of each container and supporter; -1 for doors and portable things.
    home: tuple[int, ...]
    #: The two rooms of each door; ``(-1, -1)`` for other things.
    door_rooms: tuple[tuple[int, int], ...]
    #: The key of each lockable door or container; -1 when it has no lock (and -1
    #: for other things).
    key_of: tuple[int, ...]
    start_room: int
    init_loc: tuple[int, ...]
    init_lock: tuple[int, ...]
    #: ``"put"`` (put ``goal_item`` in or on ``goal_target``) or ``"eat"``.
    goal_kind: str
    goal_item: int
    goal_target: int
    quest: tuple[QuestStep, ...]

    @property
    def n_rooms(self) -> int:
        return len(self.room_names)

    @property
    def n_things(self) -> int:
        return len(self.names)

    @property
    def keys(self) -> tuple[int, ...]:
        return tuple(t for t, k in enumerate(self.kinds) if k == KEY)

    @property
    def lockables(self) -> tuple[int, ...]:
        """Doors and containers (the things with an open/closed state)."""
        return tuple(t for t, k in enumerate(self.kinds) if k in (DOOR, CONTAINER))

    def unlocks(self, key: int) -> int:
        """The door or container ``key`` unlocks."""
        return self.key_of.index(key)

    @property
    def objective(self) -> str:
        item = self.names[self.goal_item]
        if self.goal_kind == "eat":
            return f"Find the {item} and eat it."
        target = self.goal_target
        prep = "in" if self.kinds[target] == CONTAINER else "on"
        room = self.room_names[self.home[target]]
        return f"Find the {item} and put it {prep} the {self.names[target]} in the {room}."


def _article(name: str) -> str:
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def command_text(world: World, action: Action) -> str:
    """The canonical command of an action (the form the admissible list uses).

    >>> w = generate_world(seed=0, difficulty="easy")
    >>> command_text(w, (GO, 0, -1)), command_text(w, (LOOK, -1, -1))
    ('go north', 'look')
    """
    op, a, b = action
    names = world.names
    if op == GO:
        return f"go {DIRECTIONS[a]}"
    if op == TAKE:
        return f"take {names[a]}" if b < 0 else f"take {names[a]} from {names[b]}"
    if op == DROP:
        return f"drop {names[a]}"
    if op == PUT:
        prep = "in" if world.kinds[b] == CONTAINER else "on"
        return f"put {names[a]} {prep} {names[b]}"
    if op == OPEN_OP:
        return f"open {names[a]}"
    if op == CLOSE:
        return f"close {names[a]}"
    if op == UNLOCK:
        return f"unlock {names[a]} with {names[b]}"
    if op == LOCK:
        return f"lock {names[a]} with {names[b]}"
    if op == EAT:
        return f"eat {names[a]}"
    if op == EXAMINE:
        return f"examine {names[a]}"
    if op == LOOK:
        return "look"
    if op == INVENTORY:
        return "inventory"
    raise ValueError(f"unknown action op {op}")


class QuestGame:
    """The dynamic state of a world and its rules.

    State: ``room`` (the player's), ``loc`` (per thing: where a portable thing is,
    ``FIXED`` for the others) and ``lock`` (per thing: ``OPEN``/``CLOSED``/``LOCKED``
    for doors and containers, 0 for the others). :meth:`check` says why an action
    is impossible (or returns None), :meth:`apply` carries out a possible one and
    returns its text; :meth:`admissible` lists the possible actions.

    The admissible commands and room descriptions are cached and dropped when the
    state changes (moving only changes the room, so they survive a walk around).
    """

    def __init__(self, world: World):
        self.world = world
        n = world.n_things
        r = world.n_rooms
        kinds = world.kinds
        self._n_rooms = r
        self._portable = tuple(k >= KEY for k in kinds)
        self._doors_in: list[list[int]] = [[] for _ in range(r)]
        self._fixed_in: list[list[int]] = [[] for _ in range(r)]
        for t in range(n):
            if kinds[t] == DOOR:
                a, b = world.door_rooms[t]
                self._doors_in[a].append(t)
                self._doors_in[b].append(t)
            elif kinds[t] in (CONTAINER, SUPPORTER):
                self._fixed_in[world.home[t]].append(t)
        # lockables of each room in a fixed order: its doors, then its containers
        self._lockables_in = [
            self._doors_in[i] + [t for t in self._fixed_in[i] if kinds[t] == CONTAINER]
            for i in range(r)
        ]
        names = world.names
        self._cmd_take = tuple(f"take {x}" for x in names)
        self._cmd_drop = tuple(f"drop {x}" for x in names)
        self._cmd_eat = tuple(f"eat {x}" for x in names)
        self._cmd_open = tuple(f"open {x}" for x in names)
        self._cmd_close = tuple(f"close {x}" for x in names)
        self._cmd_examine = tuple(f"examine {x}" for x in names)
        self._the = tuple(f"the {x}" for x in names)
        self._a = tuple(_article(x) for x in names)
        self._cmd_go = tuple(f"go {d}" for d in DIRECTIONS)
        self.room = world.start_room
        self.loc: list[int] = []
        self.lock: list[int] = []
        self.contents: list[list[int]] = []
        self.inventory: list[int] = []
        self._adm_cache: dict[int, tuple[list[str], dict[str, Action]]] = {}
        self._desc_cache: dict[int, str] = {}
        self.reset()

    # -- state --------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the world's initial state."""
        w = self.world
        self.room = w.start_room
        self.loc = list(w.init_loc)
        self.lock = list(w.init_lock)
        self.contents = [[] for _ in range(w.n_rooms + w.n_things)]
        self.inventory = []
        for t, where in enumerate(self.loc):
            if where == INV:
                self.inventory.append(t)
            elif where >= 0:
                self.contents[where].append(t)
        self._adm_cache.clear()
        self._desc_cache.clear()

    def state_key(self) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
        """The whole state as a hashable value."""
        return (self.room, tuple(self.loc), tuple(self.lock))

    def won(self) -> bool:
        w = self.world
        where = self.loc[w.goal_item]
        if w.goal_kind == "eat":
            return where == GONE
        return where == self._n_rooms + w.goal_target

    def lost(self) -> bool:
        """The quest item was eaten when the goal was to put it somewhere."""
        w = self.world
        return w.goal_kind == "put" and self.loc[w.goal_item] == GONE

    def fact_holds(self, fact: tuple[str, int, int]) -> bool:
        kind, a, b = fact
        if kind == "have":
            return self.loc[a] == INV
        if kind == "unlocked":
            return self.lock[a] != LOCKED
        if kind == "open":
            return self.lock[a] == OPEN
        if kind == "at":
            return self.loc[a] == self._n_rooms + b
        if kind == "eaten":
            return self.loc[a] == GONE
        raise ValueError(f"unknown fact {fact!r}")

    def _move(self, thing: int, where: int) -> None:
        old = self.loc[thing]
        if old == INV:
            self.inventory.remove(thing)
        elif old >= 0:
            self.contents[old].remove(thing)
        self.loc[thing] = where
        if where == INV:
            insort(self.inventory, thing)
        elif where >= 0:
            insort(self.contents[where], thing)

    def _changed(self, *rooms: int) -> None:
        self._adm_cache.clear()
        for r in rooms:
            self._desc_cache.pop(r, None)

    # -- what the player sees ------------------------------------------------------------

    def _holder_open(self, h: int) -> bool:
        return self.world.kinds[h] == SUPPORTER or self.lock[h] == OPEN

    def scope(self) -> list[int]:
        """The things the player can see or hold, in a fixed order."""
        r = self.room
        seen = list(self._doors_in[r])
        seen += self._fixed_in[r]
        seen += self.contents[r]
        base = self._n_rooms
        for h in self._fixed_in[r]:
            if self._holder_open(h):
                seen += self.contents[base + h]
        seen += self.inventory
        return seen

    def visible(self, t: int) -> bool:
        where = self.loc[t]
        r = self.room
        if where == FIXED:
            kind = self.world.kinds[t]
            if kind == DOOR:
                return r in self.world.door_rooms[t]
            return self.world.home[t] == r
        if where in (INV, r):
            return True
        if where >= self._n_rooms:
            h = where - self._n_rooms
            return self.world.home[h] == r and self._holder_open(h)
        return False

    def _state_word(self, t: int) -> str:
        s = self.lock[t]
        return "open" if s == OPEN else "closed" if s == CLOSED else "locked"

    def describe_room(self) -> str:
        """The text of ``look`` (cached until something in the room changes)."""
        r = self.room
        text = self._desc_cache.get(r)
        if text is not None:
            return text
        w = self.world
        name = w.room_names[r]
        lines = [f"-= {name.title()} =-", f"You are in the {name}."]
        things = []
        for h in self._fixed_in[r]:
            if w.kinds[h] == CONTAINER:
                things.append(f"{self._a[h]} ({self._state_word(h)})")
            else:
                things.append(self._a[h])
        things += [self._a[x] for x in self.contents[r]]
        if things:
            lines.append(f"You see {_join(things)}.")
        base = self._n_rooms
        for h in self._fixed_in[r]:
            inside = self.contents[base + h]
            if not inside or not self._holder_open(h):
                continue
            items = _join([self._a[x] for x in inside])
            if w.kinds[h] == SUPPORTER:
                lines.append(f"On the {w.names[h]} you see {items}.")
            else:
                lines.append(f"In the {w.names[h]} you see {items}.")
        exits = []
        for d, _, door in w.exits[r]:
            if door < 0:
                exits.append(DIRECTIONS[d])
            else:
                exits.append(f"{DIRECTIONS[d]} ({self._the[door]}, {self._state_word(door)})")
        lines.append(f"Exits: {_join(exits)}." if exits else "There is no way out.")
        text = "\n".join(lines)
        self._desc_cache[r] = text
        return text

    def describe_inventory(self) -> str:
        if not self.inventory:
            return "You are carrying nothing."
        return f"You are carrying {_join([self._a[x] for x in self.inventory])}."

    def _examine(self, t: int) -> str:
        w = self.world
        kind = w.kinds[t]
        name = w.names[t]
        if kind == DOOR:
            a, b = w.door_rooms[t]
            other = b if a == self.room else a
            return f"The {name} leads to the {w.room_names[other]}. It is {self._state_word(t)}."
        if kind == CONTAINER:
            state = self._state_word(t)
            if self.lock[t] != OPEN:
                return f"The {name} is {state}."
            inside = self.contents[self._n_rooms + t]
            if not inside:
                return f"The {name} is open and empty."
            return f"The {name} is open. Inside you see {_join([self._a[x] for x in inside])}."
        if kind == SUPPORTER:
            on = self.contents[self._n_rooms + t]
            if not on:
                return f"There is nothing on the {name}."
            return f"On the {name} you see {_join([self._a[x] for x in on])}."
        if kind == KEY:
            return f"A {name}. It must open something."
        if kind == FOOD:
            return f"The {name} looks edible."
        return f"It's {self._a[t]}. Nothing special about it."

    # -- rules --------------------------------------------------------------------------

    def check(self, action: Action) -> str | None:
        """Why ``action`` is impossible here (a message), or None if it is possible.
        Things named in the action must be in :meth:`scope` (the parser ensures it)."""
        op, a, b = action
        w = self.world
        kinds = w.kinds
        lock = self.lock
        if op == GO:
            for d, _, door in w.exits[self.room]:
                if d == a:
                    if door >= 0 and lock[door] != OPEN:
                        return f"The {w.names[door]} is {self._state_word(door)}."
                    return None
            return "You can't go that way."
        if op in (LOOK, INVENTORY):
            return None
        if not self.visible(a) or (b >= 0 and not self.visible(b)):
            return "You can't see any such thing."
        if op == EXAMINE:
            return None
        name = w.names[a]
        if op == TAKE:
            if not self._portable[a]:
                return "That's fixed in place." if kinds[a] != DOOR else "You can't take a door."
            where = self.loc[a]
            if where == INV:
                return "You already have that."
            if b >= 0 and where != self._n_rooms + b:
                prep = "in" if kinds[b] == CONTAINER else "on"
                return f"The {name} isn't {prep} the {w.names[b]}."
            return None
        if op == DROP:
            return None if self.loc[a] == INV else "You're not carrying that."
        if op == EAT:
            if kinds[a] != FOOD:
                return "That's plainly inedible."
            if self.loc[a] != INV:
                return f"You need to take the {name} first."
            return None
        if op == PUT:
            if b < 0:
                return f"Where do you want to put the {name}?"
            if self.loc[a] != INV:
                return "You're not carrying that."
            if kinds[b] not in (CONTAINER, SUPPORTER):
                return f"You can't put things {'in' if kinds[b] == DOOR else 'on'} that."
            if kinds[b] == CONTAINER and lock[b] != OPEN:
                return f"The {w.names[b]} is {self._state_word(b)}."
            return None
        if op in (OPEN_OP, CLOSE, UNLOCK, LOCK):
            if kinds[a] not in (DOOR, CONTAINER):
                verb = ("open", "close", "unlock", "lock")[(OPEN_OP, CLOSE, UNLOCK, LOCK).index(op)]
                return f"That's not something you can {verb}."
            s = lock[a]
            if op == OPEN_OP:
                if s == OPEN:
                    return "That's already open."
                if s == LOCKED:
                    return f"The {name} is locked."
                return None
            if op == CLOSE:
                return "That's already closed." if s != OPEN else None
            if w.key_of[a] < 0:
                return f"The {name} has no lock."
            if op == UNLOCK and s != LOCKED:
                return f"The {name} isn't locked."
            if op == LOCK:
                if s == LOCKED:
                    return "That's already locked."
                if s == OPEN:
                    return f"You have to close the {name} first."
            if b < 0:
                verb = "unlock" if op == UNLOCK else "lock"
                return f"You need the right key in hand to {verb} the {name}."
            if kinds[b] != KEY:
                return f"You can't {'unlock' if op == UNLOCK else 'lock'} things with that."
            if self.loc[b] != INV:
                return f"You're not carrying the {w.names[b]}."
            if w.key_of[a] != b:
                return f"The {w.names[b]} doesn't fit the {name}."
            return None
        raise ValueError(f"unknown action op {op}")

    def apply(self, action: Action) -> str:
        """Carry out a possible action; returns the game's text."""
        op, a, b = action
        w = self.world
        names = w.names
        r = self.room
        if op == GO:
            for d, to, _ in w.exits[r]:
                if d == a:
                    self.room = to
                    break
            return self.describe_room()
        if op == LOOK:
            return self.describe_room()
        if op == INVENTORY:
            return self.describe_inventory()
        if op == EXAMINE:
            return self._examine(a)
        if op == TAKE:
            where = self.loc[a]
            self._move(a, INV)
            self._changed(r)
            if where >= self._n_rooms:
                return f"You take the {names[a]} from the {names[where - self._n_rooms]}."
            return f"You take the {names[a]}."
        if op == DROP:
            self._move(a, r)
            self._changed(r)
            return f"You drop the {names[a]}."
        if op == PUT:
            self._move(a, self._n_rooms + b)
            self._changed(r)
            prep = "in" if w.kinds[b] == CONTAINER else "on"
            return f"You put the {names[a]} {prep} the {names[b]}."
        if op == EAT:
            self._move(a, GONE)
            self._changed(r)
            return f"You eat the {names[a]}. Not bad."
        rooms = w.door_rooms[a] if w.kinds[a] == DOOR else (r,)
        if op == OPEN_OP:
            self.lock[a] = OPEN
            self._changed(*rooms)
            if w.kinds[a] == CONTAINER:
                inside = self.contents[self._n_rooms + a]
                if inside:
                    found = _join([self._a[x] for x in inside])
                    return f"You open the {names[a]}, revealing {found}."
                return f"You open the {names[a]}. It is empty."
            return f"You open the {names[a]}."
        if op == CLOSE:
            self.lock[a] = CLOSED
            self._changed(*rooms)
            return f"You close the {names[a]}."
        if op == UNLOCK:
            self.lock[a] = CLOSED
            self._changed(*rooms)
            return f"You unlock the {names[a]} with the {names[b]}."
        if op == LOCK:
            self.lock[a] = LOCKED
            self._changed(*rooms)
            return f"You lock the {names[a]} with the {names[b]}."
        raise ValueError(f"unknown action op {op}")

    def resolve_take(self, action: Action) -> Action:
        """``take X`` of a thing in or on a holder names that holder as the source."""
        op, a, b = action
        if op == TAKE and b < 0:
            where = self.loc[a]
            if where >= self._n_rooms:
                return (TAKE, a, where - self._n_rooms)
        return action

    def admissible(self) -> tuple[list[str], dict[str, Action]]:
        """The commands possible in the current state, in a fixed order (moves; open,
        close, unlock and lock; take; eat; put; drop; examine; look; inventory), and
        a map from each command to its action. Cached until the state changes."""
        r = self.room
        cached = self._adm_cache.get(r)
        if cached is not None:
            return cached
        w = self.world
        names = w.names
        kinds = w.kinds
        lock = self.lock
        key_of = w.key_of
        loc = self.loc
        inv = self.inventory
        base = self._n_rooms
        cmds: list[str] = []
        acts: dict[str, Action] = {}
        for d, _, door in w.exits[r]:
            if door < 0 or lock[door] == OPEN:
                text = self._cmd_go[d]
                cmds.append(text)
                acts[text] = (GO, d, -1)
        for t in self._lockables_in[r]:
            s = lock[t]
            if s == OPEN:
                text = self._cmd_close[t]
                cmds.append(text)
                acts[text] = (CLOSE, t, -1)
                continue
            k = key_of[t]
            if s == CLOSED:
                text = self._cmd_open[t]
                cmds.append(text)
                acts[text] = (OPEN_OP, t, -1)
                if k >= 0 and loc[k] == INV:
                    text = f"lock {names[t]} with {names[k]}"
                    cmds.append(text)
                    acts[text] = (LOCK, t, k)
            elif k >= 0 and loc[k] == INV:
                text = f"unlock {names[t]} with {names[k]}"
                cmds.append(text)
                acts[text] = (UNLOCK, t, k)
        for x in self.contents[r]:
            text = self._cmd_take[x]
            cmds.append(text)
            acts[text] = (TAKE, x, -1)
        holders = [h for h in self._fixed_in[r] if kinds[h] == SUPPORTER or lock[h] == OPEN]
        for h in holders:
            for x in self.contents[base + h]:
                text = f"take {names[x]} from {names[h]}"
                cmds.append(text)
                acts[text] = (TAKE, x, h)
        for x in inv:
            if kinds[x] == FOOD:
                text = self._cmd_eat[x]
                cmds.append(text)
                acts[text] = (EAT, x, -1)
        for x in inv:
            for h in holders:
                prep = "in" if kinds[h] == CONTAINER else "on"
                text = f"put {names[x]} {prep} {names[h]}"
                cmds.append(text)
                acts[text] = (PUT, x, h)
        for x in inv:
            text = self._cmd_drop[x]
            cmds.append(text)
            acts[text] = (DROP, x, -1)
        for t in self.scope():
            text = self._cmd_examine[t]
            cmds.append(text)
            acts[text] = (EXAMINE, t, -1)
        cmds.append("look")
        acts["look"] = (LOOK, -1, -1)
        cmds.append("inventory")
        acts["inventory"] = (INVENTORY, -1, -1)
        out = (cmds, acts)
        self._adm_cache[r] = out
        return out

    def intro(self) -> str:
        return (
            "Welcome to TextQuest!\n"
            f"Your task: {self.world.objective}\n"
            "(Commands: look, inventory, go north, take the key, open the door, "
            "unlock the door with the key, put the apple on the table, eat the apple, "
            "examine the chest, ...)\n\n" + self.describe_room()
        )

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_adm_cache"] = {}
        state["_desc_cache"] = {}
        return state


# -- generation ---------------------------------------------------------------------------

ROOM_NAMES = (
    "kitchen", "pantry", "cellar", "attic", "study", "library", "bedroom", "bathroom",
    "hallway", "garage", "workshop", "garden", "greenhouse", "laundry room", "dining room",
    "living room", "office", "storeroom", "chapel", "vault", "gallery", "conservatory",
    "nursery", "armory", "ballroom", "foyer", "scullery", "larder", "observatory", "studio",
)  # fmt: skip
_DOOR_ADJ = (
    "oak", "pine", "iron", "glass", "steel", "red", "blue", "green", "heavy", "narrow",
    "arched", "painted", "carved", "sliding", "wooden", "metal",
)  # fmt: skip
_DOOR_NOUNS = ("door", "gate", "hatch")
_CONTAINER_NOUNS = (
    "chest", "box", "crate", "cabinet", "trunk", "locker", "safe", "cupboard", "drawer",
    "coffer", "case", "bin",
)  # fmt: skip
_SUPPORTER_NOUNS = (
    "table", "shelf", "counter", "desk", "bench", "stand", "pedestal", "workbench", "sideboard",
    "dresser",
)  # fmt: skip
_FURNITURE_ADJ = (
    "wooden", "old", "large", "small", "dusty", "metal", "painted", "antique", "sturdy",
    "rickety", "plain", "polished", "oak", "pine", "battered", "tall",
)  # fmt: skip
_KEY_ADJ = (
    "brass", "iron", "silver", "golden", "copper", "bronze", "steel", "tin", "rusty", "tiny",
    "ornate", "heavy", "bent", "crystal", "bone", "glass",
)  # fmt: skip
_FOOD_NOUNS = (
    "apple", "pear", "carrot", "cheese", "pie", "muffin", "sandwich", "banana", "peach",
    "plum", "cookie", "tomato", "onion", "potato", "mango", "turnip", "radish", "biscuit",
)  # fmt: skip
_FOOD_ADJ = ("red", "green", "fresh", "ripe", "small", "yellow", "sweet", "juicy", "big", "tasty")
_ITEM_NOUNS = (
    "lamp", "book", "coin", "hat", "sock", "pen", "cup", "map", "shoe", "ring", "spoon",
    "candle", "rope", "bottle", "feather", "compass", "scarf", "glove", "mug", "vase",
    "clock", "brush", "whistle", "bell", "ribbon", "marble", "button", "notebook", "kettle",
)  # fmt: skip
_ITEM_ADJ = (
    "red", "blue", "green", "yellow", "purple", "white", "black", "old", "shiny", "dusty",
    "striped", "tiny", "worn", "wooden", "silk", "chipped",
)  # fmt: skip


class _Builder:
    """Builds one world; see the module docstring for the rules."""

    def __init__(self, rng: random.Random, settings: QuestSettings, seed: int):
        self.rng = rng
        self.s = settings
        self.seed = seed
        self.names: list[str] = []
        self.kinds: list[int] = []
        self.home: list[int] = []
        self.door_rooms: list[tuple[int, int]] = []
        self.key_of: list[int] = []
        self.loc: list[int] = []
        self.lock: list[int] = []
        self.used: set[str] = set()
        self.quest: list[QuestStep] = []

    # things
    def _name(self, adjectives: tuple[str, ...], nouns: tuple[str, ...]) -> str:
        rng = self.rng
        for _ in range(200):
            name = f"{rng.choice(adjectives)} {rng.choice(nouns)}"
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("ran out of unique names")  # pragma: no cover - 100s of names

    def _thing(self, kind: int, name: str, home: int = -1, loc: int = FIXED) -> int:
        t = len(self.names)
        self.names.append(name)
        self.kinds.append(kind)
        self.home.append(home)
        self.door_rooms.append((-1, -1))
        self.key_of.append(-1)
        self.loc.append(loc)
        self.lock.append(0)
        return t

    def _furniture(self, room: int, kind: int, state: int = OPEN) -> int:
        nouns = _CONTAINER_NOUNS if kind == CONTAINER else _SUPPORTER_NOUNS
        t = self._thing(kind, self._name(_FURNITURE_ADJ, nouns), home=room)
        if kind == CONTAINER:
            self.lock[t] = state
        self.fixed_in[room].append(t)
        return t

    def _key_for(self, lockable: int) -> int:
        k = self._thing(KEY, self._name(_KEY_ADJ, ("key",)), loc=INV)
        self.key_of[lockable] = k
        return k

    def _spot(self, rooms: list[int], holder_p: float = 0.6) -> int:
        """A place in one of ``rooms``: the floor or an existing or new supporter."""
        rng = self.rng
        room = rng.choice(rooms)
        if rng.random() < holder_p:
            supporters = [h for h in self.fixed_in[room] if self.kinds[h] == SUPPORTER]
            if not supporters or rng.random() < 0.3:
                supporters.append(self._furniture(room, SUPPORTER))
            return self.n_rooms + rng.choice(supporters)
        return room

    def _step(self, command: str, fact: tuple[str, int, int]) -> None:
        self.quest.append(QuestStep(command, fact))

    # map
    def _map(self) -> None:
        rng = self.rng
        n = self.s.rooms
        coords = [(0, 0)]
        cells = {(0, 0): 0}
        self.adj: list[list[tuple[int, int]]] = [[]]
        while len(coords) < n:
            r = len(coords) - 1 if rng.random() < 0.5 else rng.randrange(len(coords))
            x, y = coords[r]
            free = [d for d in range(4) if (x + _DELTAS[d][0], y + _DELTAS[d][1]) not in cells]
            if not free:
                continue
            d = rng.choice(free)
            cell = (x + _DELTAS[d][0], y + _DELTAS[d][1])
            new = len(coords)
            coords.append(cell)
            cells[cell] = new
            self.adj.append([])
            self.adj[r].append((d, new))
            self.adj[new].append(((d + 2) % 4, r))
        self.n_rooms = n
        self.room_names = tuple(rng.sample(ROOM_NAMES, n))
        self.start = rng.randrange(n)
        self.fixed_in: list[list[int]] = [[] for _ in range(n)]
        self.edge_door: dict[tuple[int, int], int] = {}

    def _grow(self, v: int, area: set[int], p: float) -> list[int]:
        """Add ``v`` and a random connected part of the rooms beyond it to ``area``."""
        new = [v]
        area.add(v)
        stack = [v]
        while stack:
            u = stack.pop()
            for _, x in self.adj[u]:
                if x not in area and self.rng.random() < p:
                    area.add(x)
                    new.append(x)
                    stack.append(x)
        return new

    def _door(self, u: int, v: int, state: int) -> int:
        noun = self.rng.choice(_DOOR_NOUNS)
        t = self._thing(DOOR, self._name(_DOOR_ADJ, (noun,)))
        self.door_rooms[t] = (u, v)
        self.lock[t] = state
        self.edge_door[(u, v)] = self.edge_door[(v, u)] = t
        return t

    def _place_key(self, key: int, frontier: int | None, newest: list[int]) -> None:
        self.loc[key] = self.n_rooms + frontier if frontier is not None else self._spot(newest)
        self._step(self._take_text(key), ("have", key, -1))

    def _take_text(self, x: int) -> str:
        where = self.loc[x]
        if where >= self.n_rooms:
            return f"take {self.names[x]} from {self.names[where - self.n_rooms]}"
        return f"take {self.names[x]}"

    # the quest, by forward chaining
    def _chain(self) -> None:
        rng = self.rng
        area: set[int] = set()
        newest = self._grow(self.start, area, 0.35)
        frontier: int | None = None  # the container opened by the last rule, if any
        for _ in range(self.s.chain):
            boundary = [(u, x) for u in sorted(area) for _, x in self.adj[u] if x not in area]
            rules = ["locked container"]
            if boundary:
                rules += ["locked door"] * 2
            if frontier is None:
                rules.append("closed container")
            rule = rng.choice(rules)
            if rule == "locked door":
                deep = [e for e in boundary if e[0] in newest]
                u, v = rng.choice(deep if deep and rng.random() < 0.7 else boundary)
                door = self._door(u, v, LOCKED)
                key = self._key_for(door)
                self._place_key(key, frontier, newest)
                self._step(
                    f"unlock {self.names[door]} with {self.names[key]}", ("unlocked", door, -1)
                )
                self._step(f"open {self.names[door]}", ("open", door, -1))
                newest = self._grow(v, area, 0.5)
                frontier = None
            elif rule == "locked container":
                room = self.home[frontier] if frontier is not None else rng.choice(newest)
                box = self._furniture(room, CONTAINER, LOCKED)
                key = self._key_for(box)
                self._place_key(key, frontier, newest)
                self._step(
                    f"unlock {self.names[box]} with {self.names[key]}", ("unlocked", box, -1)
                )
                self._step(f"open {self.names[box]}", ("open", box, -1))
                frontier = box
            else:
                box = self._furniture(rng.choice(newest), CONTAINER, CLOSED)
                self._step(f"open {self.names[box]}", ("open", box, -1))
                frontier = box
        # the goal
        eat = rng.random() < 0.3
        food = eat or rng.random() < 0.3
        item = self._thing(
            FOOD if food else ITEM,
            self._name(_FOOD_ADJ, _FOOD_NOUNS) if food else self._name(_ITEM_ADJ, _ITEM_NOUNS),
            loc=INV,
        )
        self.loc[item] = self.n_rooms + frontier if frontier is not None else self._spot(newest)
        self._step(self._take_text(item), ("have", item, -1))
        self.goal_item = item
        if eat:
            self.goal_kind, self.goal_target = "eat", -1
            self._step(f"eat {self.names[item]}", ("eaten", item, -1))
        else:
            self.goal_kind = "put"
            room = rng.choice(sorted(area))
            source = self.loc[item] - self.n_rooms
            options = [
                h
                for h in self.fixed_in[room]
                if h != source
                and (self.kinds[h] == SUPPORTER or self.lock[h] != LOCKED)
                and self.key_of[h] < 0
            ]
            if not options or rng.random() < 0.4:
                kind = SUPPORTER if rng.random() < 0.6 else CONTAINER
                options = [self._furniture(room, kind, rng.choice((OPEN, CLOSED)))]
            target = rng.choice(options)
            self.goal_target = target
            opened = {step.fact[1] for step in self.quest if step.fact[0] == "open"}
            if self.kinds[target] == CONTAINER and target not in opened and self.lock[target]:
                self._step(f"open {self.names[target]}", ("open", target, -1))
            prep = "in" if self.kinds[target] == CONTAINER else "on"
            self._step(f"put {self.names[item]} {prep} {self.names[target]}", ("at", item, target))
        # every exit not locked by the chain is free: maybe a door, closed or open
        for u in range(self.n_rooms):
            for _, x in self.adj[u]:
                if u < x and (u, x) not in self.edge_door and rng.random() < self.s.door_prob:
                    self._door(u, x, CLOSED if rng.random() < 0.65 else OPEN)

    def _distractors(self) -> None:
        rng = self.rng
        rooms = list(range(self.n_rooms))
        for _ in range(self.s.furniture):
            kind = CONTAINER if rng.random() < 0.5 else SUPPORTER
            self._furniture(rng.choice(rooms), kind, rng.choice((OPEN, CLOSED)))
        for _ in range(self.s.distractor_locks):
            box = self._furniture(rng.choice(rooms), CONTAINER, LOCKED)
            key = self._key_for(box)
            self.loc[key] = self._spot(rooms)  # a floor or a supporter: never locked away
        for _ in range(self.s.distractors):
            food = rng.random() < 0.25
            x = self._thing(
                FOOD if food else ITEM,
                self._name(_FOOD_ADJ, _FOOD_NOUNS) if food else self._name(_ITEM_ADJ, _ITEM_NOUNS),
                loc=INV,
            )
            room = rng.choice(rooms)
            holders = self.fixed_in[room]
            if holders and rng.random() < 0.6:
                self.loc[x] = self.n_rooms + rng.choice(holders)
            else:
                self.loc[x] = room

    def build(self) -> World:
        self._map()
        self._chain()
        self._distractors()
        exits = []
        for u in range(self.n_rooms):
            exits.append(
                tuple(sorted((d, x, self.edge_door.get((u, x), -1)) for d, x in self.adj[u]))
            )
        return World(
            seed=self.seed,
            level=self.s.level,
            room_names=self.room_names,
            exits=tuple(exits),
            names=tuple(self.names),
            kinds=tuple(self.kinds),
            home=tuple(self.home),
            door_rooms=tuple(self.door_rooms),
            key_of=tuple(self.key_of),
            start_room=self.start,
            init_loc=tuple(self.loc),
            init_lock=tuple(self.lock),
            goal_kind=self.goal_kind,
            goal_item=self.goal_item,
            goal_target=self.goal_target,
            quest=tuple(self.quest),
        )


def generate_world(seed: int, difficulty: str | int | QuestSettings = "medium") -> World:
    """A world and its quest from ``seed`` (any int) and a difficulty; the same
    arguments give the same world.

    >>> w = generate_world(seed=7, difficulty="hard")
    >>> w.n_rooms, w.level, w == generate_world(seed=7, difficulty=6)
    (13, 6, True)
    >>> len(w.quest) >= 6
    True
    """
    settings = QuestSettings.from_difficulty(difficulty)
    return _Builder(random.Random(seed), settings, seed).build()
