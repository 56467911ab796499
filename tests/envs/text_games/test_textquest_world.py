"""TextQuest's world generator, rules and planner."""

from __future__ import annotations

import random
from collections import deque

import pytest

from rewardgym.envs.text_games.quest_planner import Planner
from rewardgym.envs.text_games.quest_world import (
    CLOSE,
    CONTAINER,
    DOOR,
    DROP,
    EAT,
    EXAMINE,
    GO,
    INV,
    INVENTORY,
    KEY,
    LOCK,
    LOCKED,
    LOOK,
    OPEN,
    OPEN_OP,
    PUT,
    SUPPORTER,
    TAKE,
    UNLOCK,
    QuestGame,
    QuestSettings,
    World,
    command_text,
    generate_world,
)

DIFFICULTIES = ["easy", "medium", "hard", *range(1, 11)]


def _reachable_closure(world: World) -> tuple[set[int], set[int]]:
    """Rooms and portable things a player can reach from the start, by a fixed point:
    a door or container opens once its key is reachable."""
    rooms = {world.start_room}
    things: set[int] = set()
    n = world.n_rooms

    def usable(t: int) -> bool:  # a door or container that is or can be opened
        return world.init_lock[t] != LOCKED or world.key_of[t] in things

    changed = True
    while changed:
        changed = False
        for r in list(rooms):
            for _, x, door in world.exits[r]:
                if x not in rooms and (door < 0 or usable(door)):
                    rooms.add(x)
                    changed = True
        for t, where in enumerate(world.init_loc):
            if t in things or where < 0:
                continue
            if where < n:
                ok = where in rooms
            else:
                h = where - n
                ok = world.home[h] in rooms and (world.kinds[h] == SUPPORTER or usable(h))
            if ok:
                things.add(t)
                changed = True
    return rooms, things


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_generated_worlds_are_connected_consistent_and_solvable(difficulty):
    settings = QuestSettings.from_difficulty(difficulty)
    for seed in range(40):
        world = generate_world(seed, difficulty)
        assert world.n_rooms == settings.rooms
        # exits are consistent both ways, doors shared by both sides
        for r, exits in enumerate(world.exits):
            for d, x, door in exits:
                assert (((d + 2) % 4), r, door) in world.exits[x], (seed, r, d)
                if door >= 0:
                    assert set(world.door_rooms[door]) == {r, x}
        # every room, key and thing is reachable: keys never lie behind their own lock
        rooms, things = _reachable_closure(world)
        assert rooms == set(range(world.n_rooms)), seed
        portable = {t for t, where in enumerate(world.init_loc) if where >= 0}
        assert things == portable, seed
        # names are unique, each lock has its own key
        assert len(set(world.names)) == len(world.names)
        keyed = [k for k in world.key_of if k >= 0]
        assert len(keyed) == len(set(keyed)) == len(world.keys)
        # the quest can be won, and is at least as long as its non-move steps
        game = QuestGame(world)
        length = Planner(world).plan_length(game.room, game.loc, game.lock)
        assert length is not None and length >= len(world.quest), seed


def test_difficulty_scales_the_world_and_the_quest():
    def mean_plan(difficulty):
        total = 0
        for seed in range(30):
            w = generate_world(seed, difficulty)
            g = QuestGame(w)
            total += Planner(w).plan_length(g.room, g.loc, g.lock)
        return total / 30

    easy, medium, hard = (mean_plan(d) for d in ("easy", "medium", "hard"))
    assert easy < medium < hard
    sizes = [len(generate_world(0, level).names) for level in (1, 4, 8)]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


def test_generation_is_a_function_of_the_seed():
    assert generate_world(5, "hard") == generate_world(5, "hard")
    assert generate_world(5, "hard") != generate_world(6, "hard")
    assert generate_world(5, 3) == generate_world(5, "medium")


@pytest.mark.parametrize("bad", ["impossible", 0, 11, 2.5, True, None])
def test_invalid_difficulty_says_what_to_pass(bad):
    with pytest.raises(ValueError, match="easy"):
        QuestSettings.from_difficulty(bad)


def test_quest_has_keys_doors_and_containers_across_seeds():
    facts = set()
    for seed in range(50):
        w = generate_world(seed, "medium")
        for step in w.quest:
            kind, thing, _ = step.fact
            facts.add((kind, w.kinds[thing]))
        assert w.quest[-1].fact[0] in ("at", "eaten")
    assert {("have", KEY), ("unlocked", DOOR), ("unlocked", CONTAINER), ("open", DOOR)} <= facts


# -- rules ------------------------------------------------------------------------------


def _random_state(world: World, rng: random.Random, steps: int) -> QuestGame:
    game = QuestGame(world)
    for _ in range(steps):
        cmds, acts = game.admissible()
        game.apply(acts[rng.choice(cmds)])
        if game.won() or game.lost():
            game.reset()
    return game


def _all_actions(world: World) -> list[tuple[int, int, int]]:
    n = world.n_things
    acts = [(GO, d, -1) for d in range(4)] + [(LOOK, -1, -1), (INVENTORY, -1, -1)]
    for a in range(n):
        for op in (TAKE, DROP, OPEN_OP, CLOSE, EAT, EXAMINE):
            acts.append((op, a, -1))
        for b in range(n):
            for op in (TAKE, PUT, UNLOCK, LOCK):
                acts.append((op, a, b))
    return acts


def test_admissible_commands_are_exactly_the_possible_actions():
    rng = random.Random(0)
    for seed in range(6):
        world = generate_world(seed, "medium")
        actions = _all_actions(world)
        for _ in range(4):
            game = _random_state(world, rng, rng.randrange(60))
            cmds, acts = game.admissible()
            assert len(cmds) == len(set(cmds))
            possible = {game.resolve_take(a) for a in actions if game.check(a) is None}
            assert possible == set(acts.values()), seed
            for text, act in acts.items():
                assert command_text(world, act) == text


def test_rejected_actions_leave_the_state_unchanged():
    rng = random.Random(1)
    world = generate_world(2, "medium")
    game = _random_state(world, rng, 30)
    before = game.state_key()
    refused = [a for a in _all_actions(world) if game.check(a) is not None]
    assert refused
    for a in refused:
        assert isinstance(game.check(a), str)
    assert game.state_key() == before


def test_moving_things_keeps_the_contents_index_in_sync():
    rng = random.Random(2)
    world = generate_world(4, "hard")
    game = _random_state(world, rng, 300)
    n = world.n_rooms
    for t, where in enumerate(game.loc):
        if where == INV:
            assert t in game.inventory
        elif where >= 0:
            assert t in game.contents[where]
    assert sum(map(len, game.contents)) + len(game.inventory) == sum(
        1 for where in game.loc if where >= 0 or where == INV
    )
    assert n < len(game.contents)


def test_doors_block_moves_until_opened():
    for seed in range(50):
        world = generate_world(seed, "medium")
        game = QuestGame(world)
        for d, _, door in world.exits[game.room]:
            if door >= 0 and world.init_lock[door] == LOCKED:
                assert "locked" in game.check((GO, d, -1))
                assert game.check((OPEN_OP, door, -1)) == f"The {world.names[door]} is locked."
                return
    pytest.fail("no seed starts next to a locked door")


def test_room_description_is_refreshed_after_a_change():
    world = generate_world(0, "easy")
    game = QuestGame(world)
    for _ in range(20):
        cmds, acts = game.admissible()
        takes = [c for c in cmds if c.startswith("take ")]
        if takes:
            break
        game.apply(acts[next(c for c in cmds if c.startswith("go "))])
    act = acts[takes[0]]
    name = world.names[act[1]]
    assert name in game.describe_room()
    game.apply(act)
    assert name not in game.describe_room()
    game.apply((DROP, act[1], -1))
    assert name in game.describe_room()


# -- planner ----------------------------------------------------------------------------


def _bfs_plan_length(game: QuestGame, cap: int = 60_000) -> int | None:
    """Shortest winning sequence by breadth-first search over the game's own rules
    (every admissible command but the ones that change nothing)."""
    world = game.world

    def load(key):
        g = QuestGame(world)
        g.room, loc, lock = key
        for t, (a, b) in enumerate(zip(loc, g.loc, strict=True)):
            if a != b:
                g._move(t, a)
        g.lock = list(lock)
        return g

    start = game.state_key()
    if game.won():
        return 0
    seen = {start: 0}
    queue = deque([start])
    while queue:
        key = queue.popleft()
        depth = seen[key]
        g = load(key)
        for act in list(g.admissible()[1].values()):
            if act[0] in (EXAMINE, LOOK, INVENTORY):
                continue
            nxt = load(key)
            nxt.apply(act)
            if nxt.won():
                return depth + 1
            k2 = nxt.state_key()
            if not nxt.lost() and k2 not in seen:
                seen[k2] = depth + 1
                queue.append(k2)
        if len(seen) > cap:
            pytest.skip("state space too large for the reference search")
    return None


def test_plan_length_equals_breadth_first_search_over_the_rules():
    rng = random.Random(3)
    checked = 0
    for seed in range(12):
        world = generate_world(seed, "easy")
        planner = Planner(world)
        for _ in range(3):
            game = _random_state(world, rng, rng.randrange(25))
            assert planner.plan_length(game.room, game.loc, game.lock) == _bfs_plan_length(game)
            checked += 1
    assert checked == 36


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard", 10])
def test_next_action_shortens_the_plan_by_one_until_won(difficulty):
    for seed in range(25):
        world = generate_world(seed, difficulty)
        game, planner = QuestGame(world), Planner(world)
        length = planner.plan_length(game.room, game.loc, game.lock)
        for step in range(1, length + 1):
            act = planner.next_action(game.room, game.loc, game.lock)
            assert game.check(act) is None, (seed, act)
            game.apply(act)
            assert planner.plan_length(game.room, game.loc, game.lock) == length - step
        assert game.won()
        with pytest.raises(RuntimeError, match="quest is over"):
            planner.next_action(game.room, game.loc, game.lock)


def test_planner_recovers_from_random_detours():
    rng = random.Random(4)
    for seed in range(15):
        world = generate_world(seed, "medium")
        game = _random_state(world, rng, 80)
        planner = Planner(world)
        length = planner.plan_length(game.room, game.loc, game.lock)
        if length is None:
            assert game.lost()
            continue
        for _ in range(length):
            game.apply(planner.next_action(game.room, game.loc, game.lock))
        assert game.won(), seed


def test_eating_the_quest_item_makes_the_quest_unwinnable():
    for seed in range(200):
        world = generate_world(seed, "medium")
        if world.goal_kind == "put" and world.kinds[world.goal_item] == 4:  # FOOD
            break
    else:
        pytest.fail("no put-goal with a food item in 200 seeds")
    game, planner = QuestGame(world), Planner(world)
    while game.loc[world.goal_item] != INV:
        game.apply(planner.next_action(game.room, game.loc, game.lock))
    assert game.check((EAT, world.goal_item, -1)) is None
    game.apply((EAT, world.goal_item, -1))
    assert game.lost() and not game.won()
    assert planner.plan_length(game.room, game.loc, game.lock) is None


def test_containers_and_locks_round_trip():
    for seed in range(100):
        world = generate_world(seed, "medium")
        game = QuestGame(world)
        planner = Planner(world)
        # walk the plan until a key is in hand and its lock is in this room and unlocked
        while not game.won():
            act = planner.next_action(game.room, game.loc, game.lock)
            game.apply(act)
            if act[0] == UNLOCK:
                target, key = act[1], act[2]
                assert game.check((LOCK, target, key)) is None
                game.apply((LOCK, target, key))
                assert game.lock[target] == LOCKED
                game.apply((UNLOCK, target, key))
                game.apply((OPEN_OP, target, -1))
                assert game.lock[target] == OPEN
                assert game.check((LOCK, target, key)) == (
                    f"You have to close the {world.names[target]} first."
                )
                game.apply((CLOSE, target, -1))
                if world.kinds[target] == CONTAINER:
                    assert game.check((PUT, key, target)) is not None
                return
    pytest.fail("no unlock in 100 plans")
