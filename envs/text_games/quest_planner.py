"""The TextQuest planner: the length of the shortest winning command sequence from
any state, and its next command.

The plan is exact, found by a memoised search over an abstract state that keeps
only what can matter for winning: the player's room, where the quest item and every
key are, and the state (open, closed, locked) of every door and container. Actions
that can never shorten a winning sequence are left out of the search, which keeps it
exact: dropping (the inventory is unbounded), closing and locking (nothing needs a
closed thing), taking anything but the quest item or a key whose lock is locked,
and opening anything not on the way. What is left is a sequence of *pick-ups* (a key
or the quest item) and a *finish* (``put`` or ``eat``), with the moves between them:
on the map (a tree) the way between two rooms is unique, and each door on it costs
one extra command if closed (``open``) or two if locked (``unlock`` then ``open``,
with its key in hand); a closed or locked container at a pick-up costs the same.
The search branches on which pick-up comes next, so any order the locks allow is
considered.

Results are memoised per abstract state, for the life of the planner (one world):
successive states of an episode share almost all of their sub-results, so after the
first call a step costs a handful of dictionary lookups.

>>> from rewardgym.envs.text_games.quest_world import QuestGame, generate_world
>>> world = generate_world(seed=0, difficulty="medium")
>>> game, planner = QuestGame(world), Planner(world)
>>> n = planner.plan_length(game.room, game.loc, game.lock)
>>> steps = 0
>>> while not game.won():
...     _ = game.apply(planner.next_action(game.room, game.loc, game.lock))
...     steps += 1
>>> steps == n
True
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .quest_world import (
    CLOSED,
    CONTAINER,
    EAT,
    GO,
    GONE,
    INV,
    LOCKED,
    OPEN,
    OPEN_OP,
    PUT,
    TAKE,
    UNLOCK,
    Action,
    World,
)

__all__ = ["Planner"]

_INF = 1 << 30
_FINISH = -1


class Planner:
    """Shortest winning plans in one world (see the module docstring).

    ``plan_length(room, loc, lock)`` takes :class:`QuestGame`'s state fields and
    returns the number of commands of the shortest winning sequence, or None when
    the quest can no longer be won (the quest item was eaten).
    """

    def __init__(self, world: World):
        self.world = world
        n_rooms = world.n_rooms
        self._n_rooms = n_rooms
        keys = world.keys
        #: The things the plan can need: the quest item (index 0), then every key.
        self.relevant: tuple[int, ...] = (world.goal_item, *keys)
        lockables = world.lockables
        self.lockables = lockables
        lk_index = {t: j for j, t in enumerate(lockables)}
        self._lk_index = lk_index
        rel_index = {t: i for i, t in enumerate(self.relevant)}
        # per lockable: the relevant index of its key (-1 without a lock)
        self._key_rel = tuple(
            rel_index[world.key_of[t]] if world.key_of[t] >= 0 else -1 for t in lockables
        )
        # per relevant item: the lockable its key opens (-1 for the quest item)
        self._lk_of_key = (-1, *(lk_index[world.unlocks(k)] for k in keys))
        # per relevant item location >= n_rooms: the holder's room and lockable index
        self._home = world.home
        self._holder_lk = tuple(
            lk_index[t] if world.kinds[t] == CONTAINER else -1 for t in range(world.n_things)
        )
        self._eat = world.goal_kind == "eat"
        target = world.goal_target
        self._target_room = world.home[target] if target >= 0 else -1
        self._target_lk = self._holder_lk[target] if target >= 0 else -1
        # the map as adjacency lists (direction, room, lockable index of its door or -1)
        self._adj = tuple(
            tuple((d, x, lk_index[door] if door >= 0 else -1) for d, x, door in world.exits[r])
            for r in range(n_rooms)
        )
        self._paths: dict[tuple[int, int], tuple[int, tuple[int, ...], tuple[int, int, int]]] = {}
        self._memo: dict[Any, tuple[int, int]] = {}

    # -- abstract state -----------------------------------------------------------------

    def _abstract(self, loc: list[int], lock: list[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return tuple([loc[t] for t in self.relevant]), tuple([lock[t] for t in self.lockables])

    def _path(self, a: int, b: int) -> tuple[int, tuple[int, ...], tuple[int, int, int]]:
        """(moves, lockable indices of the doors on the way, first hop) from a to b;
        the first hop is ``(direction, room, door lockable index or -1)``."""
        key = (a, b)
        found = self._paths.get(key)
        if found is not None:
            return found
        prev: dict[int, tuple[int, int, int, int]] = {a: (-1, -1, -1, -1)}
        queue = deque([a])
        while queue:
            u = queue.popleft()
            if u == b:
                break
            for d, x, j in self._adj[u]:
                if x not in prev:
                    prev[x] = (u, d, x, j)
                    queue.append(x)
        if b not in prev:
            raise ValueError(f"room {b} cannot be reached from room {a}: the map is not connected")
        doors: list[int] = []
        hops = 0
        node = b
        first = (-1, -1, -1)
        while node != a:
            u, d, x, j = prev[node]
            if j >= 0:
                doors.append(j)
            first = (d, x, j)
            hops += 1
            node = u
        found = (hops, tuple(reversed(doors)), first)
        self._paths[key] = found
        return found

    def _travel(
        self, a: int, b: int, locs: tuple[int, ...], locks: tuple[int, ...]
    ) -> tuple[int, tuple[int, ...]] | None:
        """Commands to walk from a to b (opening and unlocking doors on the way) and
        the door states after; None if a locked door's key is not in hand."""
        if a == b:
            return 0, locks
        cost, doors, _ = self._path(a, b)
        changed: list[int] | None = None
        for j in doors:
            s = locks[j]
            if s:
                if s == LOCKED:
                    k = self._key_rel[j]
                    if k < 0 or locs[k] != INV:
                        return None
                    cost += 2
                else:
                    cost += 1
                if changed is None:
                    changed = list(locks)
                changed[j] = OPEN
        return cost, (locks if changed is None else tuple(changed))

    def _solve(self, pos: int, locs: tuple[int, ...], locks: tuple[int, ...]) -> tuple[int, int]:
        """(shortest plan length, first choice: ``_FINISH`` or a relevant index)."""
        key = (pos, locs, locks)
        found = self._memo.get(key)
        if found is not None:
            return found
        best, choice = _INF, _FINISH
        first = locs[0]
        if first == INV:
            if self._eat:
                best = 1
            else:
                walk = self._travel(pos, self._target_room, locs, locks)
                if walk is not None:
                    cost, after = walk
                    j = self._target_lk
                    s = after[j] if j >= 0 else OPEN
                    if s == CLOSED:
                        cost += 1
                    elif s == LOCKED:
                        k = self._key_rel[j]
                        cost = cost + 2 if k >= 0 and locs[k] == INV else _INF
                    best = cost + 1
        if first != GONE and best > 1:
            n_rooms = self._n_rooms
            for i, where in enumerate(locs):
                if where < 0:  # held (or eaten)
                    continue
                if i and locks[self._lk_of_key[i]] != LOCKED:
                    continue  # a key whose lock is already unlocked is of no use
                if where < n_rooms:
                    room, j = where, -1
                else:
                    h = where - n_rooms
                    room, j = self._home[h], self._holder_lk[h]
                walk = self._travel(pos, room, locs, locks)
                if walk is None:
                    continue
                cost, after = walk
                if j >= 0 and after[j] != OPEN:
                    if after[j] == LOCKED:
                        k = self._key_rel[j]
                        if k < 0 or locs[k] != INV:
                            continue
                        cost += 2
                    else:
                        cost += 1
                    after = (*after[:j], OPEN, *after[j + 1 :])
                cost += 1
                if cost + 1 >= best:  # what follows a pick-up takes at least one command
                    continue
                rest = self._solve(room, (*locs[:i], INV, *locs[i + 1 :]), after)[0]
                if cost + rest < best:
                    best, choice = cost + rest, i
        found = (min(best, _INF), choice)
        self._memo[key] = found
        return found

    # -- public -------------------------------------------------------------------------

    def plan_length(self, room: int, loc: list[int], lock: list[int]) -> int | None:
        """Commands in the shortest winning sequence from this state (0 when the
        quest is done), or None when it can no longer be won."""
        w = self.world
        item_at = loc[w.goal_item]
        if (w.goal_kind == "eat" and item_at == GONE) or (
            w.goal_kind == "put" and item_at == self._n_rooms + w.goal_target
        ):
            return 0
        locs, locks = self._abstract(loc, lock)
        best = self._solve(room, locs, locks)[0]
        return None if best >= _INF else best

    def next_action(self, room: int, loc: list[int], lock: list[int]) -> Action:
        """The first command of a shortest winning sequence (as an action tuple).
        Raises ``RuntimeError`` when the quest is done or can no longer be won."""
        locs, locks = self._abstract(loc, lock)
        best, choice = self._solve(room, locs, locks)
        w = self.world
        if best >= _INF or self.plan_length(room, loc, lock) == 0:
            raise RuntimeError("no winning plan from this state: the quest is over")
        item = w.goal_item
        if choice == _FINISH:
            if self._eat:
                return (EAT, item, -1)
            target = w.goal_target
            if room != self._target_room:
                return self._step_towards(room, self._target_room, lock)
            if lock[target] == LOCKED:
                return (UNLOCK, target, w.key_of[target])
            if lock[target] == CLOSED and self._target_lk >= 0:
                return (OPEN_OP, target, -1)
            return (PUT, item, target)
        thing = self.relevant[choice]
        where = loc[thing]
        if where < self._n_rooms:
            dest, holder = where, -1
        else:
            holder = where - self._n_rooms
            dest = self._home[holder]
        if room != dest:
            return self._step_towards(room, dest, lock)
        if holder >= 0 and self._holder_lk[holder] >= 0:
            if lock[holder] == LOCKED:
                return (UNLOCK, holder, w.key_of[holder])
            if lock[holder] == CLOSED:
                return (OPEN_OP, holder, -1)
        return (TAKE, thing, holder)

    def _step_towards(self, room: int, dest: int, lock: list[int]) -> Action:
        d, _, j = self._path(room, dest)[2]
        if j >= 0:
            door = self.lockables[j]
            if lock[door] == LOCKED:
                return (UNLOCK, door, self.world.key_of[door])
            if lock[door] == CLOSED:
                return (OPEN_OP, door, -1)
        return (GO, d, -1)

    def clear(self) -> None:
        """Forget the memoised results (they stay valid; this only frees memory)."""
        self._memo.clear()
