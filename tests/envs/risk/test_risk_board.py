"""The Risk board game: maps, dice, cards, the turn state machine (scripted move
tables and random playouts) and the PettingZoo env around it."""

from __future__ import annotations

import importlib
import json
import time
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from rewardgym import testing
from rewardgym.agents.risk_players import RiskHeuristicPlayer, RiskRandomPlayer, play_game
from rewardgym.envs.registry import get_entry
from rewardgym.envs.risk import risk_v0
from rewardgym.envs.risk._rules import (
    IllegalActionError,
    Phase,
    RiskGame,
    RiskMap,
    battle_losses,
    battle_odds,
    load_map,
    set_bonus,
    shipped_maps,
)

TINY = ("tiny4", "tiny6", "tiny8")


class ScriptedDice:
    """Dice that return the scripted values in order."""

    def __init__(self, values):
        self.values = list(values)

    def __call__(self, n):
        out, self.values = self.values[:n], self.values[n:]
        assert len(out) == n, "the script ran out of dice"
        return out


def tiny4_game(num_players=2, dice=None, **kwargs):
    """tiny4: 0 North West, 1 North East, 2 South West, 3 South East; a ring
    NW-NE-SE-SW-NW; continents North {NW, NE} and South {SW, SE}, bonus 1 each."""
    return RiskGame("tiny4", num_players, dice=dice, **kwargs)


def act(game, block, *args):
    """The action index of a block with a territory / edge / choice argument."""
    lay, m = game.layout, game.map
    if block == "trade":
        return lay.trade + (0 if args[0] is None else 1 + args[0])
    if block in ("reinforce_one", "reinforce_all"):
        return getattr(lay, block) + m.territory_index(args[0])
    if block in ("attack", "fortify_one", "fortify_half", "fortify_all"):
        return getattr(lay, block) + m.edge_index(args[0], args[1])
    if block == "occupy":
        return lay.occupy + ("min", "half", "all").index(args[0])
    return getattr(lay, block)


# -- maps -----------------------------------------------------------------------------------


def test_shipped_maps_have_the_documented_sizes():
    assert set(shipped_maps()) >= {"classic", *TINY}
    for name, size in zip(TINY, (4, 6, 8), strict=True):
        assert load_map(name).num_territories == size


def test_classic_map_matches_the_board():
    m = load_map("classic")
    assert m.num_territories == 42 and len(m.edges) == 83
    bonuses = {c.name: (c.bonus, len(c.territories)) for c in m.continents}
    assert bonuses == {
        "North America": (5, 9),
        "South America": (2, 4),
        "Europe": (5, 7),
        "Africa": (3, 6),
        "Asia": (7, 12),
        "Australia": (2, 4),
    }
    adj = m.adjacency
    assert np.array_equal(adj, adj.T) and not adj.diagonal().any()
    for a, b in [
        ("Alaska", "Kamchatka"),
        ("Greenland", "Iceland"),
        ("Brazil", "North Africa"),
        ("Western Europe", "North Africa"),
        ("Southern Europe", "Egypt"),
        ("East Africa", "Middle East"),
        ("Ukraine", "Ural"),
        ("Siam", "Indonesia"),
        ("Central America", "Venezuela"),
    ]:
        assert adj[m.territory_index(a), m.territory_index(b)], (a, b)
    assert not adj[m.territory_index("Argentina"), m.territory_index("North Africa")]
    degree = dict(zip(m.territories, adj.sum(axis=1), strict=True))
    assert degree["Ukraine"] == 6 and degree["Argentina"] == 2 and degree["China"] == 6
    assert m.deck_counts.tolist() == [14, 14, 14]


def _map_data(**changes):
    data = {
        "name": "line",
        "continents": [{"name": "A", "bonus": 1, "territories": ["a", "b", "c"]}],
        "edges": [["a", "b"], ["b", "c"]],
    }
    data.update(changes)
    return data


def test_a_map_file_loads_by_path(tmp_path):
    path = tmp_path / "line.json"
    path.write_text(json.dumps(_map_data()))
    m = load_map(path)
    assert m.territories == ("a", "b", "c") and m.neighbors[1] == (0, 2)
    env = risk_v0.raw_env(map=str(path))
    env.reset(seed=0)
    assert env.action_space("player_0").n == 10 + 2 * 3 + 4 * 4


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"edges": [["a", "b"], ["b", "z"]]}, "names 'z', which no continent lists"),
        ({"edges": [["a", "b"]]}, "not connected; cannot reach 'c'"),
        ({"edges": [["a", "b"], ["b", "a"], ["b", "c"]]}, "listed twice"),
        ({"edges": [["a", "a"], ["b", "c"]]}, "joins a territory to itself"),
        (
            {"continents": [{"name": "A", "bonus": -1, "territories": ["a", "b", "c"]}]},
            "invalid map at continents/0/bonus",
        ),
        (
            {
                "continents": [
                    {"name": "A", "bonus": 1, "territories": ["a", "b"]},
                    {"name": "B", "bonus": 1, "territories": ["b", "c"]},
                ]
            },
            "territory 'b' is listed twice",
        ),
    ],
)
def test_invalid_maps_are_rejected_with_the_reason(changes, message):
    with pytest.raises(ValueError, match=message):
        RiskMap.from_dict(_map_data(**changes))


def test_unknown_map_names_the_shipped_ones():
    with pytest.raises(ValueError, match="unknown map 'atlantis'; use one of classic"):
        load_map("atlantis")
    with pytest.raises(ValueError, match="does not exist"):
        load_map("/nonexistent/board.json")


# -- dice and cards -------------------------------------------------------------------------


def test_battle_odds_enumerated_exactly():
    assert battle_odds(3, 2) == {
        (0, 2): Fraction(2890, 7776),
        (1, 1): Fraction(2611, 7776),
        (2, 0): Fraction(2275, 7776),
    }
    assert battle_odds(1, 1) == {(0, 1): Fraction(15, 36), (1, 0): Fraction(21, 36)}
    assert battle_odds(3, 1)[(0, 1)] == Fraction(855, 1296)
    assert battle_odds(2, 2) == {
        (0, 2): Fraction(295, 1296),
        (1, 1): Fraction(420, 1296),
        (2, 0): Fraction(581, 1296),
    }
    assert battle_losses([4, 4, 1], [4, 3]) == (1, 1)  # a tie goes to the defender


def test_engine_dice_match_the_exact_3v2_odds():
    """The seeded dice of the engine: 12,000 rounds of 3 dice against 2 agree with
    the enumerated distribution (chi-square p > 0.001; the seed is fixed)."""
    game = tiny4_game()
    big = 10**6
    game.setup([0, 0, 1, 1], [big, 1, big, 1], rng=np.random.default_rng(7))
    game.step(act(game, "reinforce_all", "North West"))
    edge = act(game, "attack", "North West", "South West")
    counts = {(0, 2): 0, (1, 1): 0, (2, 0): 0}
    for _ in range(12_000):
        e = game.step(edge)
        assert len(e.attacker_dice) == 3 and len(e.defender_dice) == 2
        counts[(e.attacker_losses, e.defender_losses)] += 1
    expected = battle_odds(3, 2)
    observed = np.array([counts[k] for k in expected])
    probs = np.array([float(v) for v in expected.values()])
    assert stats.chisquare(observed, probs * observed.sum()).pvalue > 1e-3


def test_set_bonuses_escalate():
    assert [set_bonus(k) for k in range(9)] == [4, 6, 8, 10, 12, 15, 20, 25, 30]


# -- scripted games -------------------------------------------------------------------------


def test_scripted_two_player_game_to_the_win():
    dice = ScriptedDice([6, 5, 4, 3, 2, 2, 1, 6, 6, 6, 6, 6, 1, 1, 6, 6, 6, 5])
    game = tiny4_game(dice=dice)
    game.setup([0, 0, 1, 1], [5, 2, 1, 3])
    # North is player 0's: 3 + 1 bonus.
    assert (game.phase, game.reserve) == (Phase.REINFORCE, 4)
    table = [
        # action, expected armies after, phase after, event checks
        (("reinforce_all", "North West"), [9, 2, 1, 3], Phase.ATTACK, {"placed": 4}),
        (
            ("attack", "North West", "South West"),
            [9, 2, 0, 3],
            Phase.OCCUPY,
            {"defender_losses": 1, "conquered": 2},
        ),
        (("occupy", "all"), [1, 2, 8, 3], Phase.ATTACK, {"moved": 8}),
        (
            ("attack", "South West", "South East"),
            [1, 2, 6, 3],
            Phase.ATTACK,
            {"attacker_losses": 2, "defender_losses": 0},
        ),
        (
            ("attack", "South West", "South East"),
            [1, 2, 6, 1],
            Phase.ATTACK,
            {"attacker_losses": 0, "defender_losses": 2},
        ),
        (
            ("attack", "South West", "South East"),
            [1, 2, 3, 3],  # the win moves the minimum (3 dice) in
            Phase.GAME_OVER,
            {"eliminated": 1, "conquered": 3},
        ),
    ]
    for action, armies, phase, checks in table:
        event = game.step(act(game, *action))
        assert game.armies.tolist() == armies, action
        assert game.phase == phase, action
        for key, value in checks.items():
            assert getattr(event, key) == value, (action, key)
    assert game.winner == 0 and game.done and not game.truncated
    assert game.owner.tolist() == [0, 0, 0, 0]
    assert not game.legal_mask().any()
    with pytest.raises(IllegalActionError, match="the game is over"):
        game.step(0)


def test_occupy_choices_and_fortify_amounts():
    dice = ScriptedDice([6, 6, 6, 1])
    game = tiny4_game(dice=dice)
    game.setup([0, 0, 1, 1], [2, 2, 1, 5])
    game.step(act(game, "reinforce_all", "North West"))  # NW 6
    game.step(act(game, "attack", "North West", "South West"))
    assert (game.occupy_min, game.attack_from, game.attack_to) == (3, 0, 2)
    # movable 5: minimum 3, half 3 (ceil 5/2), all but one 5
    for choice, moved in (("min", 3), ("half", 3), ("all", 5)):
        trial = game.clone()
        assert trial.step(act(trial, "occupy", choice)).moved == moved
    game.step(act(game, "occupy", "min"))  # NW 3, SW 3
    game.step(act(game, "attack_stop"))
    assert game.phase == Phase.FORTIFY
    # NE (2 armies) can move to NW; NW (3) to NE and SW; SW (3) to NW.
    for block, moved in (("fortify_one", 1), ("fortify_half", 1), ("fortify_all", 2)):
        trial = game.clone()
        event = trial.step(act(trial, block, "North West", "North East"))
        assert event.moved == moved and event.turn_ended
        assert trial.current_player == 1
    event = game.step(act(game, "end_turn"))
    assert event.turn_ended and event.card_drawn is not None  # conquered: one card
    assert game.cards[0].sum() == 1 and game.deck.sum() == 3


def test_no_card_without_a_conquest_and_the_turn_cap():
    game = tiny4_game(max_turns=2)
    game.setup([0, 0, 1, 1], [2, 2, 2, 2], rng=np.random.default_rng(0))
    game.step(act(game, "reinforce_all", "North East"))
    game.step(act(game, "attack_stop"))
    event = game.step(act(game, "end_turn"))
    assert event.card_drawn is None and game.cards.sum() == 0
    assert (game.current_player, game.turn) == (1, 1)
    game.step(act(game, "reinforce_all", "South East"))
    game.step(act(game, "attack_stop"))
    game.step(act(game, "end_turn"))
    assert game.truncated and game.done and game.winner is None


def test_card_trades_forced_at_five_and_the_bonus_escalates():
    """tiny8 (deck: 3 infantry, 3 cavalry, 2 artillery); player 0 holds 5 cards."""
    owner = [0, 0, 0, 1, 1, 1, 0, 1]
    game = RiskGame("tiny8", 2)
    game.setup(owner, [2] * 8, cards=[[2, 2, 1], [0, 0, 0]], sets_traded=5)
    assert game.phase == Phase.TRADE and game.reserve == 3 + 2  # North's bonus
    mask = game.legal_mask()
    lay = game.layout
    assert mask[lay.trade] == 0, "5 cards: keeping them is not allowed"
    assert mask[lay.trade + 1 : lay.trade + 5].tolist() == [0, 0, 0, 1]
    event = game.step(act(game, "trade", 3))
    assert event.traded_bonus == 15 and game.reserve == 5 + 15 and game.sets_traded == 6
    assert game.cards[0].tolist() == [1, 1, 0]
    assert game.deck.tolist() == [2, 2, 2]  # [3, 3, 2] less [1, 1, 0] still held
    assert game.phase == Phase.REINFORCE  # no set left: trading is over
    game2 = RiskGame("tiny8", 2)
    game2.setup(owner, [2] * 8, cards=[[3, 0, 0], [0, 0, 0]], sets_traded=6)
    assert game2.legal_mask()[lay.trade : lay.trade + 5].tolist() == [1, 1, 0, 0, 0]
    game2.step(act(game2, "trade", None))  # 3 cards: may keep them
    assert game2.phase == Phase.REINFORCE and game2.cards[0].tolist() == [3, 0, 0]
    assert game2.reserve == 5
    with pytest.raises(ValueError, match="must fit in the deck"):
        game2.setup(owner, [2] * 8, cards=[[0, 0, 3], [0, 0, 0]])


def test_elimination_hands_over_cards_and_forces_a_midturn_trade():
    """tiny6, three players; player 0 takes player 2's last territory and, with 6
    cards, must trade at once and place the armies before attacking on."""
    m = load_map("tiny6")
    dice = ScriptedDice([6, 6, 6, 1])
    game = RiskGame(m, 3, dice=dice)
    cards = [[2, 1, 0], [0, 0, 0], [0, 1, 2]]  # the whole deck of 6
    game.setup([0, 0, 0, 2, 1, 1], [2, 2, 9, 1, 3, 3], cards=cards)
    assert (game.phase, game.reserve) == (Phase.REINFORCE, 3 + 2)  # no set; West's bonus
    game.step(act(game, "reinforce_all", "West 3"))
    event = game.step(act(game, "attack", "West 3", "East 1"))
    assert event.eliminated == 2 and event.cards_taken == 3
    assert game.cards[0].tolist() == [2, 2, 2] and game.cards[2].tolist() == [0, 0, 0]
    assert not game.alive[2] and game.phase == Phase.OCCUPY
    game.step(act(game, "occupy", "min"))
    assert game.phase == Phase.TRADE and game.legal_mask()[game.layout.trade] == 0
    event = game.step(act(game, "trade", 3))
    assert event.traded_bonus == 4 and game.cards[0].tolist() == [1, 1, 1]
    assert game.phase == Phase.TRADE and game.legal_mask()[game.layout.trade] == 1
    game.step(act(game, "trade", None))  # down to 3 cards: may keep them
    assert (game.phase, game.reserve) == (Phase.REINFORCE, 4)
    game.step(act(game, "reinforce_all", "East 1"))
    assert game.phase == Phase.ATTACK and game.current_player == 0
    game.step(act(game, "attack_stop"))
    game.step(act(game, "end_turn"))
    assert game.current_player == 1, "player 2 is out and skipped"


def test_continent_bonuses_in_the_reinforcement():
    game = RiskGame("classic", 2)
    m = game.map
    owner = np.ones(42, dtype=np.int64)
    australia = [m.territory_index(t) for t in ("Indonesia", "New Guinea")]
    australia += [m.territory_index(t) for t in ("Western Australia", "Eastern Australia")]
    owner[australia] = 0
    owner[m.territory_index("Siam")] = 0
    game.setup(owner, np.ones(42, dtype=np.int64))
    assert game.reinforcement(0) == 3 + 2  # 5 territories: 3, plus Australia
    asia = next(c for c in m.continents if c.name == "Asia")
    owner[list(asia.territories)] = 0  # 16 territories: 5, plus Asia 7 and Australia 2
    game.setup(owner, np.ones(42, dtype=np.int64))
    assert game.reinforcement(0) == 5 + 7 + 2 and game.reserve == 14
    # player 1: 26 territories and the four other continents
    assert game.reinforcement(1) == 26 // 3 + 5 + 2 + 5 + 3


# -- random playouts ------------------------------------------------------------------------


def reference_legal(game, a):
    """Legality straight from the rules text, for comparison with the engine."""
    if game.done:
        return False
    lay, p, phase = game.layout, game.current_player, game.phase
    own = game.owner == p
    src, dst = game.map.edge_src, game.map.edge_dst
    if a < lay.reinforce_one:
        if phase != Phase.TRADE:
            return False
        c = game.cards[p]
        if a == lay.trade:
            return c.sum() < 5
        return (c[0] >= 3, c[1] >= 3, c[2] >= 3, min(c) >= 1)[a - 1]
    if a < lay.attack:
        t = (a - lay.reinforce_one) % game.map.num_territories
        return phase == Phase.REINFORCE and own[t]
    if a < lay.attack_stop:
        e = a - lay.attack
        return bool(
            phase == Phase.ATTACK and own[src[e]] and game.armies[src[e]] >= 2 and not own[dst[e]]
        )
    if a == lay.attack_stop:
        return phase == Phase.ATTACK
    if a < lay.fortify_one:
        return phase == Phase.OCCUPY
    if a < lay.end_turn:
        e = (a - lay.fortify_one) % game.map.num_directed_edges
        return bool(
            phase == Phase.FORTIFY and own[src[e]] and own[dst[e]] and game.armies[src[e]] >= 2
        )
    return phase == Phase.FORTIFY


def snapshot(game):
    return (
        game.owner.copy(),
        game.armies.copy(),
        game.cards.copy(),
        game.phase,
        game.reserve,
        game.current_player,
    )


PLAYOUTS = [("tiny4", 2, 0), ("tiny4", 3, 1), ("tiny6", 3, 2), ("tiny8", 2, 3), ("tiny8", 4, 4)]


@pytest.mark.parametrize(("name", "players", "seed"), PLAYOUTS)
def test_legal_moves_are_exactly_the_unmasked_ones(name, players, seed):
    """Every state of random games: the mask, the engine's rule-by-rule check and
    the reference rules agree on every action; each legal action can be played and
    each illegal one raises without changing the game."""
    game = RiskGame(name, players, max_turns=60)
    rng = np.random.default_rng(seed)
    states = 0
    for g in range(3):
        game.reset(np.random.default_rng(100 * seed + g))
        while not game.done:
            mask = game.legal_mask().copy()
            blocks = game.layout.phase_blocks[game.phase]
            assert mask.any() and mask[: blocks.start].sum() == 0
            assert mask[blocks.stop :].sum() == 0
            for a in range(game.layout.size):
                legal = game.why_illegal(a) is None
                assert legal == bool(mask[a]) == reference_legal(game, a), (
                    game.phase,
                    game.describe(a),
                )
            if states % 4 == 0:
                before = snapshot(game)
                for a in range(game.layout.size):
                    if mask[a]:
                        game.clone().step(a)
                    else:
                        with pytest.raises(IllegalActionError):
                            game.step(a)
                testing.assert_same(before, snapshot(game))
            game.step(int(rng.choice(np.flatnonzero(mask))))
            states += 1
    assert states > 100


@pytest.mark.parametrize(("name", "players", "seed"), [*PLAYOUTS, ("classic", 5, 5)])
def test_armies_and_cards_are_conserved_over_random_games(name, players, seed):
    game = RiskGame(name, players, max_turns=150)
    rng = np.random.default_rng(seed)
    deck_size = game.map.num_territories
    for g in range(4):
        game.reset(np.random.default_rng(1000 * seed + g))
        while not game.done:
            p = game.current_player
            board, reserve = int(game.armies.sum()), game.reserve
            cards_before = game.cards[p].sum()
            phase = game.phase
            e = game.step(int(rng.choice(game.legal_actions())))
            lost = e.attacker_losses + e.defender_losses
            assert int(game.armies.sum()) == board + e.placed - lost, e
            if not e.turn_ended and not game.done:
                assert game.reserve == reserve - e.placed + e.traded_bonus, e
            elif not game.done:
                assert game.reserve == game.reinforcement(game.current_player)
            assert lost == min(len(e.attacker_dice), len(e.defender_dice))
            assert (e.block == "attack") == (phase == Phase.ATTACK and len(e.attacker_dice) > 0)
            if e.traded_bonus:
                assert game.cards[p].sum() == cards_before - 3
            assert game.armies.min() >= 1 or game.phase == Phase.OCCUPY
            assert int(game.cards.sum() + game.deck.sum()) == deck_size
            counts = game.territory_counts()
            assert np.array_equal(counts > 0, game.alive)
            assert not game.cards[~game.alive].any()
        assert game.armies.min() >= 1
        assert (game.winner is not None) != game.truncated


def test_a_random_game_on_the_classic_map_takes_well_under_a_second():
    game = RiskGame("classic", 2, max_turns=600)
    players = [RiskRandomPlayer(seed=1), RiskRandomPlayer(seed=2)]
    play_game(game, players, seed=0)  # warm-up
    start = time.perf_counter()
    play_game(game, players, seed=1)
    elapsed = time.perf_counter() - start
    assert game.done and (game.truncated or game.winner is not None)
    assert elapsed < 1.0, f"{elapsed:.2f} s for a random classic game of {game.turn} turns"


def test_same_seed_same_deal_other_seed_other_deal():
    a, b = RiskGame("classic", 4), RiskGame("classic", 4)
    a.reset(np.random.default_rng(5))
    b.reset(np.random.default_rng(5))
    assert np.array_equal(a.owner, b.owner) and np.array_equal(a.armies, b.armies)
    assert a.territory_counts().tolist() == [11, 11, 10, 10]
    assert [int(a.armies[a.owner == p].sum()) for p in range(4)] == [30] * 4
    b.reset(np.random.default_rng(6))
    assert not np.array_equal(a.owner, b.owner)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"num_players": 1}, ValueError, "2 to 6 players"),
        ({"num_players": 7}, ValueError, "2 to 6 players"),
        ({"num_players": 5, "map": "tiny4"}, ValueError, "too few for 5 players"),
        ({"map": "middle_earth"}, ValueError, "unknown map 'middle_earth'"),
        ({"max_turns": 0}, ValueError, "max_turns must be at least 1"),
        ({"initial_armies": 3}, ValueError, "initial_armies=3 is fewer than the 21"),
        ({"render_mode": "rgb_array"}, ValueError, "render_mode='rgb_array' is not supported"),
        ({"territory_share_weight": float("nan")}, ValueError, "must be finite"),
        ({"num_players": 2.0}, TypeError, "num_players must be an int"),
    ],
)
def test_constructor_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        risk_v0.raw_env(**kwargs)


# -- the PettingZoo env ---------------------------------------------------------------------


class _Configured:
    """A module-like object whose ``env()`` builds risk_v0 with fixed arguments."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def env(self, **kwargs):
        return risk_v0.env(**self.kwargs, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"map": "tiny4"},
        {"map": "tiny6", "num_players": 3},
        {"map": "tiny8", "num_players": 4, "graph_obs": True, "territory_share_weight": 0.5},
        {"map": "classic"},
        {"map": "classic", "num_players": 6},
    ],
)
def test_env_passes_the_pettingzoo_battery(kwargs):
    testing.check_pettingzoo_env(_Configured(**kwargs), num_cycles=100, seed_steps=500)


def test_registry_entry_points_at_the_module():
    entry = get_entry("risk_v0")
    assert (entry.kind, entry.family) == ("aec", "risk")
    module = importlib.import_module(entry.entry_point)
    assert module is risk_v0
    env = module.env()
    env.reset(seed=0)
    assert env.action_space("player_0").n == 758 and len(env.agents) == 2


def _play_random(env, seed, heuristic=()):
    """Random legal play to the end (the heuristic for the agents named in
    ``heuristic``); returns per-agent returns and the order in which agents left
    with their last flags."""
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    smart = RiskHeuristicPlayer(env)
    returns = dict.fromkeys(env.possible_agents, 0.0)
    left = []
    for agent in env.agent_iter():
        obs, reward, term, trunc, info = env.last()
        returns[agent] += reward
        if term or trunc:
            left.append((agent, term, trunc))
            env.step(None)
            continue
        mask = obs["action_mask"]
        assert np.array_equal(mask, env.unwrapped.game.legal_mask())
        if agent in heuristic:
            env.step(smart.act(obs, info))
        else:
            env.step(int(rng.choice(np.flatnonzero(mask))))
    return returns, left


@pytest.mark.parametrize("players", [2, 3, 4])
def test_rewards_are_zero_sum_and_eliminated_players_leave(players):
    outcomes = set()
    for seed in range(6):
        env = risk_v0.env(map="tiny8", num_players=players, max_turns=40)
        returns, left = _play_random(env, seed, heuristic=("player_0",) if seed % 2 else ())
        game = env.unwrapped.game
        assert sum(returns.values()) == pytest.approx(0.0, abs=1e-12)
        assert sorted(a for a, *_ in left) == sorted(env.possible_agents)
        stake = 1.0 / (players - 1)
        if game.winner is not None:
            outcomes.add("win")
            winner = f"player_{game.winner}"
            assert returns[winner] == pytest.approx(1.0)
            assert left[-1][0] == winner or left[-2][0] == winner
            for a, term, trunc in left:
                assert term and not trunc
                if a != winner:
                    assert returns[a] == pytest.approx(-stake)
        else:
            outcomes.add("cap" if game.alive.all() else "cap after an elimination")
            alive = [f"player_{p}" for p in np.flatnonzero(game.alive)]
            share = (players - len(alive)) * stake / len(alive)
            for a, term, trunc in left:
                if a in alive:
                    assert trunc and not term and returns[a] == pytest.approx(share)
                else:
                    assert term and returns[a] == pytest.approx(-stake)
    assert "win" in outcomes, outcomes
    if players > 2:
        assert "cap after an elimination" in outcomes, outcomes


def test_territory_share_shaping_is_reported_and_off_by_default():
    for weight in (0.0, 0.5):
        env = risk_v0.raw_env(map="tiny6", num_players=3, territory_share_weight=weight)
        env.reset(seed=1)
        rng = np.random.default_rng(0)
        nonzero_share = 0
        for _ in range(300):
            if not env.agents:
                break
            agent = env.agent_selection
            if env.terminations[agent] or env.truncations[agent]:
                env.step(None)
                continue
            env.step(int(rng.choice(np.flatnonzero(env.observe(agent)["action_mask"]))))
            terms = {a: env.infos[a]["reward_terms"] for a in env.infos}
            assert sum(t["territory_share"] for t in terms.values()) == pytest.approx(0.0)
            for a, t in terms.items():
                assert env.rewards[a] == pytest.approx(t["outcome"] + weight * t["territory_share"])
                nonzero_share += t["territory_share"] != 0
        assert nonzero_share > 0


def test_observation_is_relative_to_the_observer_and_state_is_global():
    env = risk_v0.raw_env(map="tiny6", num_players=3, graph_obs=True)
    env.reset(seed=3)
    game = env.game
    t, n = 6, 3
    for i, agent in enumerate(env.possible_agents):
        obs = env.observe(agent)
        assert env.observation_space(agent).contains(obs)
        owners = obs["observation"][: t * n].reshape(t, n)
        assert np.array_equal(owners[:, 0] == 1, game.owner == i)
        assert np.array_equal(owners.argmax(axis=1), (game.owner - i) % n)
        assert np.array_equal(obs["node_features"][:, :n], owners)
        assert obs["edge_index"].shape == (2, game.map.num_directed_edges)
        acting = agent == env.agent_selection
        assert obs["action_mask"].any() == acting
    state = env.state()
    assert env.state_space.contains(state) and state.shape == (t * (n + 3) + 7 * n + 10,)
    assert np.array_equal(state[: t * n].reshape(t, n).argmax(axis=1), game.owner)
    # Along a random game: the flat vector's territory columns equal the graph view's,
    # and the phase, player-to-move and own-card parts read back the game.
    rng = np.random.default_rng(0)
    occupy_seen = 0
    for _ in range(400):
        if not env.agents:
            break
        agent = env.agent_selection
        if env.terminations[agent] or env.truncations[agent]:
            env.step(None)
            continue
        i = env.possible_agents.index(agent)
        obs = env.observe(agent)
        flat, node = obs["observation"], obs["node_features"]
        for k in range(3):
            column = flat[t * n + k * t : t * n + (k + 1) * t]
            assert np.array_equal(column, node[:, n + k])
        occupy_seen += game.phase == Phase.OCCUPY
        if game.phase == Phase.OCCUPY:
            assert node[game.attack_from, n + 1] == 1 and node[game.attack_to, n + 2] == 1
        o = t * (n + 3)
        assert flat[o : o + 5].argmax() == int(game.phase)
        assert flat[o + 5 : o + 5 + n].argmax() == 0  # the agent to move is itself
        cards = flat[o + 5 + 4 * n : o + 8 + 4 * n]
        assert np.allclose(cards, np.minimum(game.cards[i] / 5, 1))
        env.step(int(rng.choice(np.flatnonzero(obs["action_mask"]))))
    assert occupy_seen > 0


def test_raw_env_raises_on_an_illegal_action_and_env_terminates_the_offender():
    raw = risk_v0.raw_env(map="tiny4")
    raw.reset(seed=0)
    illegal = int(np.flatnonzero(raw.observe(raw.agent_selection)["action_mask"] == 0)[0])
    with pytest.raises(ValueError, match="illegal action"):
        raw.step(illegal)
    env = risk_v0.env(map="tiny4")
    env.reset(seed=0)
    offender = env.agent_selection
    env.step(illegal)
    assert all(env.terminations.values())
    assert env._cumulative_rewards[offender] == -1


def test_render_modes(capsys):
    env = risk_v0.raw_env(map="tiny6", render_mode="ansi")
    env.reset(seed=0)
    text = env.render()
    assert "West 1" in text and "player_0 to move: REINFORCE" in text
    human = risk_v0.raw_env(map="tiny6", render_mode="human")
    human.reset(seed=0)
    assert human.render() is None
    assert "East 3" in capsys.readouterr().out
    assert risk_v0.raw_env(map="tiny6").render() is None


def test_turn_cap_truncates_everyone():
    env = risk_v0.env(map="classic", num_players=3, max_turns=3)
    returns, left = _play_random(env, seed=0)
    assert env.unwrapped.game.truncated
    assert [flags for _, *flags in left] == [[False, True]] * 3
    assert returns == dict.fromkeys(env.possible_agents, 0.0)
