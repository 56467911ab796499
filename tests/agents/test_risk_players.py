"""Random and heuristic Risk players."""

from __future__ import annotations

import numpy as np
import pytest

from rewardgym.agents.risk_players import RiskHeuristicPlayer, RiskRandomPlayer, play_game
from rewardgym.envs.risk import risk_v0
from rewardgym.envs.risk._rules import Phase, RiskGame


def _heuristic_wins(map_name, players, games, max_turns=300):
    game = RiskGame(map_name, players, max_turns=max_turns)
    wins = 0
    for k in range(games):
        seat = k % players  # the heuristic takes every seat in turn
        lineup = [RiskRandomPlayer(seed=1000 * k + i) for i in range(players)]
        lineup[seat] = RiskHeuristicPlayer()
        wins += play_game(game, lineup, seed=k) == seat
    return wins


def test_heuristic_beats_random_in_most_games_on_a_small_map():
    wins = _heuristic_wins("tiny8", 2, games=30)
    assert wins >= 24, f"heuristic won {wins} of 30"


def test_heuristic_beats_random_on_the_classic_map():
    assert _heuristic_wins("classic", 3, games=6) >= 5


def test_random_player_is_seeded_and_legal():
    game = RiskGame("tiny6", 3, max_turns=50)
    a = play_game(game, [RiskRandomPlayer(seed=s) for s in range(3)], seed=4)
    turns = game.turn
    b = play_game(game, [RiskRandomPlayer(seed=s) for s in range(3)], seed=4)
    assert a == b and game.turn == turns
    player = RiskRandomPlayer(seed=0)
    mask = np.zeros(10, dtype=np.int8)
    mask[[2, 7]] = 1
    assert {player.act({"action_mask": mask}) for _ in range(40)} == {2, 7}
    with pytest.raises(ValueError, match="no legal action"):
        player.act({"action_mask": np.zeros(10, dtype=np.int8)})


def test_both_players_play_full_games_through_the_wrapped_env():
    """No illegal move in whole games (the wrapped env would end them with -1)."""
    for seed in range(3):
        env = risk_v0.env(map="tiny8", num_players=3, max_turns=100)
        env.reset(seed=seed)
        players = {
            "player_0": RiskHeuristicPlayer(env),
            "player_1": RiskRandomPlayer(seed=seed),
            "player_2": RiskHeuristicPlayer(env.unwrapped.game),
        }
        totals = dict.fromkeys(env.possible_agents, 0.0)
        for agent in env.agent_iter():
            obs, reward, term, trunc, info = env.last()
            totals[agent] += reward
            env.step(None if term or trunc else players[agent].act(obs, info))
        game = env.unwrapped.game
        assert game.done
        assert sum(totals.values()) == pytest.approx(0.0)
        assert min(totals.values()) >= -0.5 - 1e-9, "an illegal move would cost -1"


def _game(owner, armies, map_name="tiny8", players=2, dice=None):
    game = RiskGame(map_name, players, dice=dice)
    game.setup(owner, armies, rng=np.random.default_rng(0))
    return game


# tiny8: 0-2 North 1-3, 3-5 South 1-3, 6-7 Island 1-2. Edges: N1-N2, N1-N3, N2-N3,
# S1-S2, S1-S3, S2-S3, N3-S1, N2-S2, I1-I2, I1-N1, I2-S3.


def test_heuristic_reinforces_a_border_and_attacks_only_with_an_advantage():
    #        N1 N2 N3 S1 S2 S3 I1 I2
    owner = [0, 0, 0, 1, 1, 1, 0, 1]
    game = _game(owner, [9, 1, 2, 4, 6, 1, 1, 3])
    h = RiskHeuristicPlayer()
    block, territory = game.layout.decode(h.choose(game))
    assert block == "reinforce_all"
    # N1 faces nothing hostile; N2, N3 and I1 are borders.
    assert game.map.territories[territory] in ("North 2", "North 3", "Island 1")
    game.step(h.choose(game))
    while game.phase == Phase.ATTACK:
        a = h.choose(game)
        block, edge = game.layout.decode(a)
        if block == "attack_stop":
            break
        src, dst = game.map.edge_src[edge], game.map.edge_dst[edge]
        assert game.armies[src] - 1 - game.armies[dst] >= 1
        game.step(a)
        if game.phase == Phase.OCCUPY:
            game.step(h.choose(game))


def test_heuristic_occupies_with_all_but_one_when_the_source_is_safe():
    owner = [0, 0, 0, 1, 0, 0, 0, 0]  # player 1 holds only South 1 (next to N3, S2, S3)
    attacker_wins = lambda n: [6] * (n - 1) + [1]  # noqa: E731
    game = _game(owner, [1, 1, 8, 1, 1, 1, 1, 1], dice=attacker_wins)
    game.step(game.layout.reinforce_all + 0)
    game.step(game.layout.attack + game.map.edge_index("North 3", "South 1"))
    assert game.done and game.winner == 0  # the last territory: a win, no occupy phase

    owner = [0, 0, 0, 1, 1, 0, 0, 0]  # player 1: South 1 and South 2
    game = _game(owner, [1, 1, 8, 1, 5, 1, 1, 1], dice=attacker_wins)
    game.step(game.layout.reinforce_all + 7)  # Island 2
    game.step(game.layout.attack + game.map.edge_index("North 3", "South 1"))
    assert game.phase == Phase.OCCUPY
    h = RiskHeuristicPlayer()
    # North 3 borders nothing hostile now (South 1 is taken, North 1 and 2 are own).
    assert h.choose(game) == game.layout.occupy + 2
    trial = game.clone()
    trial.owner[1] = 1  # were North 2 hostile, N3 would keep half back
    assert h.choose(trial) == game.layout.occupy + 1


def test_heuristic_fortifies_toward_the_front():
    # player 0 holds the North triangle and Island 1; player 1 the rest.
    owner = [0, 0, 0, 1, 1, 1, 0, 1]
    game = _game(owner, [7, 1, 1, 9, 9, 9, 1, 9])
    h = RiskHeuristicPlayer()
    game.step(game.layout.reinforce_all + game.map.territory_index("North 3"))
    game.step(game.layout.attack_stop)
    assert game.phase == Phase.FORTIFY
    # N1 borders Island 1 (own) and N2, N3 (own): interior, 7 armies, one step from the
    # front; it moves all but one to a border territory.
    block, edge = game.layout.decode(h.choose(game))
    assert block == "fortify_all"
    assert game.map.territories[game.map.edge_src[edge]] == "North 1"
    assert game.map.territories[game.map.edge_dst[edge]] in ("North 2", "North 3", "Island 1")


def test_heuristic_needs_a_game_to_act_on():
    with pytest.raises(ValueError, match="needs the env"):
        RiskHeuristicPlayer().act({})
    with pytest.raises(TypeError, match="expected a RiskGame or a risk_v0 env"):
        RiskHeuristicPlayer(object()).act({})
