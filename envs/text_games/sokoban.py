"""Sokoban as a text game: levels, a generator of solvable levels, and a solver.

A level is a text grid in the standard notation:

=====  ==========================
``#``  wall
`` ``  floor
``.``  target
``$``  box
``@``  player
``*``  box on a target
``+``  player on a target
=====  ==========================

:class:`SokobanLevel` parses and prints it (cells are integer indices
``row * width + col``). :func:`solve` is an A* search over push states (the boxes,
and the area the player can reach), with the number of pushes still needed as its
heuristic (each box's push distance to its nearest target, ignoring the others) and
two deadlock prunings: a box on a square from which no target can be reached, and a
2x2 block of boxes and walls holding a box off target. It returns the moves
(``u``, ``d``, ``l``, ``r``) of a solution with the fewest pushes, or None.

:func:`generate_level` makes a level by *reverse play*: carve a room with a random
walk, put the boxes on their targets (the solved state), then walk the player
around at random, pulling boxes backwards; the state reached that moved the boxes
most (box changes times distance moved) becomes the start. Undoing the pulls is a
solution, so every generated level is solvable; the generator also solves it with
:func:`solve` (within a node budget) for a short solution and rejects levels the
solver cannot finish.

>>> level = SokobanLevel.from_text('''
... #####
... #@$.#
... #####
... ''')
>>> solve(level)
['r']
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardgym.envs.text import ActionError, TextStep
from rewardgym.envs.text_games.word_games import DONT_UNDERSTAND, PuzzleTextEnv, _clean, _preview

__all__ = [
    "LEVELS",
    "MOVES",
    "SokobanEnv",
    "SokobanLevel",
    "SokobanSettings",
    "generate_level",
    "solve",
]

#: Moves in their canonical order, with their one-letter codes.
MOVES: tuple[tuple[str, str], ...] = (("up", "u"), ("down", "d"), ("left", "l"), ("right", "r"))
_ALIASES: dict[str, str] = {}
for _name, _code in MOVES:
    _ALIASES[_name] = _code
    _ALIASES[_code] = _code
_ALIASES.update({"north": "u", "n": "u", "south": "d", "s": "d", "west": "l", "w": "l"})
_ALIASES.update({"east": "r", "e": "r"})
_OPPOSITE = {"u": "d", "d": "u", "l": "r", "r": "l"}
_NAME = {code: name for name, code in MOVES}
_VERBS = ("move", "go", "walk", "push", "step")


@dataclass(frozen=True)
class SokobanLevel:
    """A Sokoban position: the grid, the targets, the boxes and the player.

    Cells are indices ``row * width + col``. Everything the player can reach is
    enclosed by walls (checked by :meth:`from_text` and :meth:`__post_init__`).
    """

    width: int
    height: int
    walls: frozenset[int]
    targets: frozenset[int]
    boxes: frozenset[int]
    player: int

    def __post_init__(self) -> None:
        if len(self.boxes) != len(self.targets):
            raise ValueError(
                f"a level needs as many boxes as targets; it has {len(self.boxes)} boxes "
                f"and {len(self.targets)} targets"
            )
        if not self.boxes:
            raise ValueError("a level needs at least one box")
        inside = set(self.region())
        for what, cells in (("box", self.boxes), ("target", self.targets)):
            outside = [c for c in cells if c not in inside]
            if outside:
                raise ValueError(f"a {what} at cell {outside[0]} is out of the player's area")

    def region(self) -> list[int]:
        """The cells of the player's area (floor, boxes and targets reachable through
        non-wall cells, boxes ignored); raises if it is not enclosed by walls."""
        w, h = self.width, self.height
        seen = {self.player}
        queue = [self.player]
        while queue:
            cell = queue.pop()
            r, c = divmod(cell, w)
            if r in (0, h - 1) or c in (0, w - 1):
                raise ValueError(
                    "the level is not enclosed: the player can reach the edge of the grid; "
                    "surround the level with walls (#)"
                )
            for nxt in (cell - w, cell + w, cell - 1, cell + 1):
                if nxt not in seen and nxt not in self.walls:
                    seen.add(nxt)
                    queue.append(nxt)
        return sorted(seen)

    @classmethod
    def from_text(cls, text: str) -> SokobanLevel:
        """Parse a level in the standard notation (``-`` or ``_`` also mean floor).
        Blank lines around it are ignored; short rows are padded with floor."""
        rows = [row.rstrip() for row in text.splitlines()]
        while rows and not rows[0].strip():
            rows.pop(0)
        while rows and not rows[-1].strip():
            rows.pop()
        if not rows:
            raise ValueError("the level is empty")
        width = max(len(r) for r in rows)
        walls: set[int] = set()
        targets: set[int] = set()
        boxes: set[int] = set()
        players: list[int] = []
        for r, row in enumerate(rows):
            for c, ch in enumerate(row.ljust(width)):
                cell = r * width + c
                if ch == "#":
                    walls.add(cell)
                elif ch in "@+":
                    players.append(cell)
                elif ch not in " -_.$*":
                    raise ValueError(
                        f"unknown character {ch!r} at row {r}, column {c}; use # . $ @ * + "
                        "and spaces"
                    )
                if ch in ".*+":
                    targets.add(cell)
                if ch in "$*":
                    boxes.add(cell)
        if len(players) != 1:
            raise ValueError(f"a level needs exactly one player (@ or +), found {len(players)}")
        return cls(
            width,
            len(rows),
            frozenset(walls),
            frozenset(targets),
            frozenset(boxes),
            players[0],
        )

    def with_state(self, boxes: Iterable[int], player: int) -> SokobanLevel:
        """The same room with other box and player positions."""
        return SokobanLevel(
            self.width, self.height, self.walls, self.targets, frozenset(boxes), player
        )

    def to_text(self, boxes: frozenset[int] | None = None, player: int | None = None) -> str:
        """The grid in the standard notation (trailing spaces kept off), optionally
        with other box and player positions."""
        boxes = self.boxes if boxes is None else boxes
        player = self.player if player is None else player
        lines = []
        for r in range(self.height):
            row = []
            for c in range(self.width):
                cell = r * self.width + c
                if cell in self.walls:
                    ch = "#"
                elif cell == player:
                    ch = "+" if cell in self.targets else "@"
                elif cell in boxes:
                    ch = "*" if cell in self.targets else "$"
                else:
                    ch = "." if cell in self.targets else " "
                row.append(ch)
            lines.append("".join(row).rstrip())
        return "\n".join(lines)

    @property
    def solved(self) -> bool:
        return self.boxes == self.targets

    @property
    def boxes_on_targets(self) -> int:
        return len(self.boxes & self.targets)


class _Room:
    """What the solver precomputes about a room: its floor, where a box can still
    reach a target, and each cell's push distance to the nearest target."""

    def __init__(self, level: SokobanLevel):
        self.width = level.width
        self.offsets = {"u": -level.width, "d": level.width, "l": -1, "r": 1}
        self.floor = frozenset(level.region())
        self.targets = level.targets
        # Pull search from the targets: a box at `cell` can be pulled to `cell + off`
        # when the player can stand on `cell + off` and step back to `cell + 2 off`.
        dist = dict.fromkeys(level.targets, 0)
        queue = deque(level.targets)
        while queue:
            cell = queue.popleft()
            for off in self.offsets.values():
                a, b = cell + off, cell + 2 * off
                if a in self.floor and b in self.floor and a not in dist:
                    dist[a] = dist[cell] + 1
                    queue.append(a)
        self.push_distance = dist  # cells missing here are dead squares

    def reach(self, player: int, boxes: frozenset[int] | set[int]) -> set[int]:
        seen = {player}
        stack = [player]
        floor, w = self.floor, self.width
        while stack:
            cell = stack.pop()
            for nxt in (cell - w, cell + w, cell - 1, cell + 1):
                if nxt in floor and nxt not in seen and nxt not in boxes:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def frozen(self, cell: int, boxes: frozenset[int] | set[int]) -> bool:
        """Whether the box at ``cell`` closes a 2x2 block of boxes and walls that holds
        a box off target (such boxes can never move again)."""
        w = self.width
        for dx in (-1, 1):
            for dy in (-w, w):
                block = (cell, cell + dx, cell + dy, cell + dx + dy)
                if all(b in boxes or b not in self.floor for b in block) and any(
                    b in boxes and b not in self.targets for b in block
                ):
                    return True
        return False

    def dead(self, cell: int, boxes: frozenset[int] | set[int]) -> bool:
        """Whether a box at ``cell`` makes the position unsolvable (simple checks)."""
        return cell not in self.push_distance or self.frozen(cell, boxes)

    def path(self, start: int, goal: int, boxes: frozenset[int] | set[int]) -> list[str] | None:
        """Player moves from ``start`` to ``goal`` around the boxes (BFS)."""
        if start == goal:
            return []
        back: dict[int, tuple[int, str]] = {start: (start, "")}
        queue = deque([start])
        while queue:
            cell = queue.popleft()
            for move, off in self.offsets.items():
                nxt = cell + off
                if nxt in self.floor and nxt not in boxes and nxt not in back:
                    back[nxt] = (cell, move)
                    if nxt == goal:
                        moves = []
                        while nxt != start:
                            nxt, m = back[nxt]
                            moves.append(m)
                        return moves[::-1]
                    queue.append(nxt)
        return None


def solve(level: SokobanLevel, max_nodes: int = 50_000) -> list[str] | None:
    """Moves (``u``/``d``/``l``/``r``) that solve ``level`` with the fewest pushes, or
    None when there is no solution or the search expands more than ``max_nodes``
    push states."""
    room = _Room(level)
    if level.solved:
        return []
    if any(room.dead(b, level.boxes) for b in level.boxes):
        return None

    def key(boxes: frozenset[int], player: int) -> tuple[frozenset[int], int]:
        return boxes, min(room.reach(player, boxes))

    def estimate(boxes: frozenset[int]) -> int:
        return sum(room.push_distance[b] for b in boxes)

    start = key(level.boxes, level.player)
    parent: dict[tuple[frozenset[int], int], tuple[Any, int, str]] = {start: (None, 0, "")}
    cost = {start: 0}
    counter = itertools.count()
    frontier: list[tuple[int, int, int, frozenset[int], int]] = [
        (estimate(level.boxes), 0, next(counter), level.boxes, level.player)
    ]
    expanded = 0
    goal = None
    while frontier:
        _, g, _, boxes, player = heapq.heappop(frontier)
        state = key(boxes, player)
        if cost.get(state, g) < g:
            continue
        if boxes == level.targets:
            goal = state
            break
        expanded += 1
        if expanded > max_nodes:
            return None
        reach = room.reach(player, boxes)
        for box in boxes:
            for move, off in room.offsets.items():
                dest = box + off
                if (
                    box - off not in reach
                    or dest not in room.floor
                    or dest in boxes
                    or dest not in room.push_distance
                ):
                    continue
                moved = (boxes - {box}) | {dest}
                if room.frozen(dest, moved):
                    continue
                nxt = key(moved, box)
                if nxt in cost and cost[nxt] <= g + 1:
                    continue
                cost[nxt] = g + 1
                parent[nxt] = (state, box, move)
                heapq.heappush(
                    frontier, (g + 1 + estimate(moved), g + 1, next(counter), moved, box)
                )
    if goal is None:
        return None
    pushes: list[tuple[int, str]] = []
    state = goal
    while True:
        prev, box, move = parent[state]
        if prev is None:
            break
        pushes.append((box, move))
        state = prev
    moves: list[str] = []
    boxes_now, player = set(level.boxes), level.player
    for box, move in reversed(pushes):
        off = room.offsets[move]
        walk = room.path(player, box - off, boxes_now)
        if walk is None:  # pragma: no cover - the search only pushes from reachable cells
            raise RuntimeError("internal error: a push the search chose is not reachable")
        moves.extend(walk)
        moves.append(move)
        boxes_now.remove(box)
        boxes_now.add(box + off)
        player = box
    return moves


@dataclass(frozen=True)
class SokobanSettings:
    """Generator settings: grid size (walls included), boxes, the reverse-play walk
    length, the share of the inside carved to floor, and the solver's node budget."""

    width: int = 8
    height: int = 8
    num_boxes: int = 2
    reverse_steps: int = 300
    walks: int = 4
    min_pushes: int = 4
    fill: float = 0.75
    max_nodes: int = 20_000

    def __post_init__(self) -> None:
        if not (5 <= self.width <= 30 and 5 <= self.height <= 30):
            raise ValueError(
                f"width and height must be in 5..30 (walls included), got "
                f"{self.width}x{self.height}"
            )
        inside = (self.width - 2) * (self.height - 2)
        if not 1 <= self.num_boxes <= max(1, inside // 4):
            raise ValueError(
                f"num_boxes must be in 1..{max(1, inside // 4)} for a "
                f"{self.width}x{self.height} grid, got {self.num_boxes}"
            )
        if min(self.reverse_steps, self.walks, self.min_pushes, self.max_nodes) < 1:
            raise ValueError("reverse_steps, walks, min_pushes and max_nodes must be positive")
        if not 0.2 <= self.fill <= 1.0:
            raise ValueError(f"fill must be in [0.2, 1.0], got {self.fill}")


#: Difficulty presets.
LEVELS: dict[str, SokobanSettings] = {
    "easy": SokobanSettings(width=7, height=7, num_boxes=1, min_pushes=2),
    "medium": SokobanSettings(width=8, height=8, num_boxes=2, min_pushes=4),
    "hard": SokobanSettings(width=10, height=10, num_boxes=3, min_pushes=6, max_nodes=40_000),
}

# Shapes stamped around the walker when carving a room (row, col offsets).
_STAMPS: tuple[tuple[tuple[int, int], ...], ...] = (
    ((0, 0),),
    ((0, 0), (0, 1)),
    ((0, 0), (1, 0)),
    ((0, 0), (0, 1), (0, 2)),
    ((0, 0), (1, 0), (2, 0)),
    ((0, 0), (0, 1), (1, 0), (1, 1)),
    ((0, 0), (1, 0), (1, 1)),
)


def _carve(rng: np.random.Generator, width: int, height: int, fill: float) -> set[int]:
    inside = (width - 2) * (height - 2)
    want = max(6, int(fill * inside))
    r, c = int(rng.integers(1, height - 1)), int(rng.integers(1, width - 1))
    dr, dc = ((-1, 0), (1, 0), (0, -1), (0, 1))[int(rng.integers(4))]
    floor: set[int] = set()
    for _ in range(inside * 20):
        for sr, sc in _STAMPS[int(rng.integers(len(_STAMPS)))]:
            rr, cc = r + sr, c + sc
            if 1 <= rr < height - 1 and 1 <= cc < width - 1:
                floor.add(rr * width + cc)
        if len(floor) >= want:
            break
        if rng.random() < 0.35:
            dr, dc = ((-1, 0), (1, 0), (0, -1), (0, 1))[int(rng.integers(4))]
        if not (1 <= r + dr < height - 1 and 1 <= c + dc < width - 1):
            dr, dc = -dr, -dc
        r, c = r + dr, c + dc
    return floor


def _reverse_play(
    rng: np.random.Generator, room: SokobanLevel, steps: int
) -> tuple[int, SokobanLevel, list[str]] | None:
    """Walk the player from the solved ``room`` pulling boxes; return the start
    position that moved the boxes most and the moves that solve it (undoing the
    walk), or None when no box moved."""
    w = room.width
    offsets = {"u": -w, "d": w, "l": -1, "r": 1}
    codes = "udlr"
    floor = set(room.region())
    distance = _Room(room).push_distance
    owner = {cell: i for i, cell in enumerate(sorted(room.targets))}  # cell -> box id
    player = room.player
    walked: list[str] = []
    swaps, last = 0, -1
    best_score, best = 0, None
    for _ in range(steps):
        move = codes[int(rng.integers(4))]
        off = offsets[move]
        nxt = player + off
        if nxt not in floor or nxt in owner:
            continue
        behind = player - off
        pull = behind in owner and rng.random() < 0.8
        if pull:
            box = owner.pop(behind)
            owner[player] = box
            if box != last:
                swaps, last = swaps + 1, box
        player = nxt
        walked.append(move)
        if pull:
            score = swaps * sum(distance.get(cell, 0) for cell in owner)
            if score > best_score and any(cell not in room.targets for cell in owner):
                best_score, best = score, (frozenset(owner), player, len(walked))
    if best is None:
        return None
    boxes, start, length = best
    solution = [_OPPOSITE[m] for m in reversed(walked[:length])]
    return best_score, room.with_state(boxes, start), solution


def generate_level(
    rng: np.random.Generator, settings: SokobanSettings | None = None, *, attempts: int = 100
) -> tuple[SokobanLevel, list[str]]:
    """A solvable level drawn from ``rng`` and a solution (as moves).

    Each attempt carves a room, places the targets and the player, runs
    ``settings.walks`` reverse-play walks and keeps the start position that moved
    the boxes most. It is accepted when :func:`solve` finishes it within
    ``settings.max_nodes`` and needs at least ``settings.min_pushes`` pushes; the
    solution returned is the solver's (fewest pushes). After
    ``attempts`` rejected attempts the last reverse-play level is returned with the
    undoing of its walk as the solution (always valid, often long).
    """
    settings = settings or LEVELS["medium"]
    w, h = settings.width, settings.height
    min_pushes = settings.min_pushes
    fallback = None
    for _ in range(attempts):
        floor = _carve(rng, w, h, settings.fill)
        if len(floor) < 2 * settings.num_boxes + 3:
            continue
        cells = sorted(floor)
        picks = rng.choice(len(cells), size=settings.num_boxes + 1, replace=False)
        targets = frozenset(cells[int(i)] for i in picks[:-1])
        player = cells[int(picks[-1])]
        walls = frozenset(i for i in range(w * h) if i not in floor)
        room = SokobanLevel(w, h, walls, targets, targets, player)
        best: tuple[int, SokobanLevel, list[str]] | None = None
        for _ in range(settings.walks):
            played = _reverse_play(rng, room, settings.reverse_steps)
            if played is not None and (best is None or played[0] > best[0]):
                best = played
        if best is None:
            continue
        _, level, certificate = best
        fallback = (level, certificate)
        moves = solve(level, settings.max_nodes)
        if moves and _count_pushes(level, moves) >= min_pushes:
            return level, moves
    if fallback is None:
        raise RuntimeError(
            f"could not generate a {w}x{h} level with {settings.num_boxes} boxes in "
            f"{attempts} attempts; use a larger grid or fewer boxes"
        )
    return fallback


def _count_pushes(level: SokobanLevel, moves: list[str]) -> int:
    w = level.width
    offsets = {"u": -w, "d": w, "l": -1, "r": 1}
    boxes, player, pushes = set(level.boxes), level.player, 0
    for move in moves:
        player += offsets[move]
        if player in boxes:
            boxes.remove(player)
            boxes.add(player + offsets[move])
            pushes += 1
    return pushes


def _read_move(action: str) -> str:
    text = _clean(action)
    words = text.split()
    if len(words) == 2 and words[0] in _VERBS:
        words = words[1:]
    if len(words) == 1 and words[0] in _ALIASES:
        return _ALIASES[words[0]]
    raise ActionError(
        "parse",
        f"{DONT_UNDERSTAND} {_preview(action)}: reply with one move: up, down, left or "
        "right (or u, d, l, r)",
    )


class SokobanEnv(PuzzleTextEnv):
    """Sokoban: push every box onto a target in a generated warehouse, as text.

    **Levels** are generated from the seed by reverse play (see
    :func:`generate_level`): a room carved by a random walk, boxes placed on their
    targets and pulled away by a random walk of the player. Every level is solvable
    and verified by the solver. ``difficulty``: ``"easy"`` (7x7 grid, 1 box),
    ``"medium"`` (8x8, 2 boxes; default) or ``"hard"`` (10x10, 3 boxes), sizes
    including the outer walls; ``width``, ``height`` and ``num_boxes`` override the
    preset. ``reset(options={"level": text})`` plays a given level.

    **Observation.** The grid (``#`` wall, ``.`` target, ``$`` box, ``@`` you, ``*``
    box on a target, ``+`` you on a target), then boxes on targets and moves so far.

    **Actions.** Text mode: ``up``, ``down``, ``left``, ``right`` (also ``u d l r``,
    ``north``/``south``/``west``/``east``, ``move up``, any case). Moving into a box
    pushes it if the square beyond is free. Discrete mode: an index into
    ``("up", "down", "left", "right")``, always all four.

    **Errors.** Unreadable text gets "I don't understand ..." (``parse``); walking
    into a wall, or pushing a box into a wall or another box, is ``illegal`` (nothing
    moves). Both cost ``invalid_action_penalty`` (default 1).

    **Reward terms** (every step):

    ===========  ===============================================================
    ``solved``   1 when the last box reaches a target
    ``boxes``    change in the number of boxes on targets (+1 on, -1 off)
    ``invalid``  ``-invalid_action_penalty`` for a rejected action
    ===========  ===============================================================

    Default reward: ``solved + partial_credit * boxes + invalid`` (``partial_credit``
    0.1, the ratio of gym-sokoban's box and finish rewards).

    **Episode end.** Terminated when every box is on a target (success); with
    ``end_on_deadlock=True`` also when a push makes the level unsolvable by the
    simple checks (a box stuck off target in a corner, against a wall it cannot
    leave, or in a 2x2 block). Registered with a 200-step limit.

    **Info keys:** ``boxes_on_targets``, ``num_boxes``, ``moves``, ``pushes``,
    ``deadlock`` (the simple checks found the position unsolvable).

    **Oracle.** Follows the solver's fewest-push solution; when the agent has left
    that line it solves again from the current position (within
    ``solver_max_nodes``). It wins every generated level at every preset.

    Args:
        difficulty: ``"easy"``, ``"medium"`` or ``"hard"``.
        width, height, num_boxes: override the preset's grid size and box count.
        end_on_deadlock: end the episode on a detected deadlock.
        solver_max_nodes: node budget of the oracle's re-planning.
        partial_credit: weight of ``boxes`` in the default reward.
        **kwargs: :class:`~rewardgym.envs.text.TextEnv` arguments.

    Version history: v0, first release.

    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/Sokoban-v0")
    >>> level = "#####\\n#@$.#\\n#####"
    >>> _ = env.reset(seed=0, options={"level": level})
    >>> obs, reward, terminated, truncated, info = env.step("right")
    >>> terminated, info["success"], round(reward, 2)
    (True, True, 1.1)
    """

    TERMS = ("solved", "boxes")
    PARTIAL = ("boxes",)

    def __init__(
        self,
        *,
        difficulty: str = "medium",
        width: int | None = None,
        height: int | None = None,
        num_boxes: int | None = None,
        end_on_deadlock: bool = False,
        solver_max_nodes: int = 50_000,
        partial_credit: float = 0.1,
        **kwargs: Any,
    ) -> None:
        super().__init__(partial_credit=partial_credit, **kwargs)
        if self.action_mode == "discrete" and self.max_candidates < len(MOVES):
            raise ValueError(
                f"Sokoban's discrete mode offers the 4 moves; pass max_candidates >= 4, got "
                f"{self.max_candidates}"
            )
        if difficulty not in LEVELS:
            raise ValueError(f"difficulty must be one of {sorted(LEVELS)}, got {difficulty!r}")
        base = LEVELS[difficulty]
        self.settings = SokobanSettings(
            width=base.width if width is None else int(width),
            height=base.height if height is None else int(height),
            num_boxes=base.num_boxes if num_boxes is None else int(num_boxes),
            reverse_steps=base.reverse_steps,
            fill=base.fill,
            max_nodes=base.max_nodes,
        )
        if not isinstance(solver_max_nodes, (int, np.integer)) or solver_max_nodes < 1:
            raise ValueError(
                f"solver_max_nodes must be a positive integer, got {solver_max_nodes!r}"
            )
        self.difficulty = difficulty
        self.end_on_deadlock = bool(end_on_deadlock)
        self.solver_max_nodes = int(solver_max_nodes)
        self.level: SokobanLevel | None = None
        self.boxes: frozenset[int] = frozenset()
        self.player = 0
        self._room: _Room | None = None
        self.moves = 0
        self.pushes = 0
        self.deadlock = False
        self._plan: list[str] | None = None
        self._no_plan_at: tuple[frozenset[int], int] | None = None

    @property
    def state(self) -> SokobanLevel:
        """The current position as a level (the start level with the boxes and the
        player where they are now)."""
        return self._level().with_state(self.boxes, self.player)

    def _level(self) -> SokobanLevel:
        if self.level is None:
            raise RuntimeError("call reset() before using the environment")
        return self.level

    @property
    def boxes_on_targets(self) -> int:
        return len(self.boxes & self._level().targets)

    def _status_info(self) -> dict[str, Any]:
        return {
            "boxes_on_targets": self.boxes_on_targets,
            "num_boxes": len(self.boxes),
            "moves": self.moves,
            "pushes": self.pushes,
            "deadlock": self.deadlock,
        }

    def _board(self, message: str) -> str:
        level = self._level()
        lines = [
            "Sokoban: push every box ($) onto a target (.). # is a wall, @ is you, * a box "
            "on a target, + you on a target. You can push a box but never pull it.",
            "Reply with one move: up, down, left or right (or u, d, l, r).",
            level.to_text(self.boxes, self.player),
            f"Boxes on targets: {self.boxes_on_targets}/{len(self.boxes)}. Moves: {self.moves}.",
        ]
        if message:
            lines.append(message)
        return "\n".join(lines)

    def _reset_task(self, options: dict[str, Any] | None) -> TextStep:
        text = (options or {}).get("level")
        plan: list[str] | None
        if text is not None:
            try:
                level = SokobanLevel.from_text(str(text))
            except ValueError as exc:
                raise ValueError(f"options['level'] is not a playable level: {exc}") from None
            plan = None
        else:
            level, moves = generate_level(self.np_random, self.settings)
            plan = list(moves)
        self.level = level
        self.boxes, self.player = level.boxes, level.player
        self._room = room = _Room(level)
        self.moves = self.pushes = 0
        self.deadlock = any(room.dead(b, level.boxes) for b in level.boxes - level.targets)
        self._plan = plan
        self._no_plan_at = None
        self._over = level.solved
        return TextStep(self._board(""), info=self._status_info())

    def _step_text(self, action: str) -> TextStep:
        self._check_not_over()
        move = _read_move(action)
        room = self._room
        assert room is not None
        off = room.offsets[move]
        nxt = self.player + off
        if nxt not in room.floor:
            raise ActionError(
                "illegal", f"you bump into a wall moving {_NAME[move]}; nothing moves"
            )
        boxes = self.boxes
        pushed = nxt in boxes
        dest = nxt + off
        if pushed:
            if dest not in room.floor or dest in boxes:
                blocker = "a wall" if dest not in room.floor else "another box"
                raise ActionError(
                    "illegal", f"the box won't move {_NAME[move]}: {blocker} is behind it"
                )
            boxes = (boxes - {nxt}) | {dest}
        before = self.boxes_on_targets
        self.boxes, self.player = boxes, nxt
        self.moves += 1
        if self._plan and self._plan[0] == move:
            self._plan.pop(0)
        else:
            self._plan = None
        after = self.boxes_on_targets
        terms = {"boxes": float(after - before)}
        said = f"You move {_NAME[move]}."
        if pushed:
            self.pushes += 1
            said = f"You push a box {_NAME[move]}."
            if after > before:
                said = f"You push a box onto a target ({after}/{len(boxes)})."
            elif after < before:
                said = f"You push a box off its target ({after}/{len(boxes)})."
            self.deadlock = any(room.dead(b, boxes) for b in boxes - room.targets)
        if after == len(boxes):
            self._over = True
            caption = f"{said} Every box is on a target: solved in {self.moves} moves!"
            terms["solved"] = 1.0
            return self._outcome(
                self._board(caption), terms, caption=caption, terminated=True, success=True
            )
        if self.deadlock and pushed:
            said += " A box is stuck where it can never reach a target: this level is lost."
        if self.deadlock and self.end_on_deadlock:
            self._over = True
            return self._outcome(self._board(said), terms, caption=said, terminated=True)
        return self._outcome(self._board(said), terms, caption=said)

    def _candidates(self) -> list[str]:
        return [name for name, _ in MOVES]

    def _oracle_text(self) -> str:
        if not self._plan and self._no_plan_at != (self.boxes, self.player):
            self._plan = solve(self.state, self.solver_max_nodes)
            if not self._plan:
                self._no_plan_at = (self.boxes, self.player)
        if self._plan:
            return _NAME[self._plan[0]]
        room = self._room
        assert room is not None
        for name, code in MOVES:  # no solution found: any move that is allowed
            nxt = self.player + room.offsets[code]
            dest = nxt + room.offsets[code]
            if nxt in room.floor and (
                nxt not in self.boxes or (dest in room.floor and dest not in self.boxes)
            ):
                return name
        return MOVES[0][0]
