"""TextQuest: a generated text adventure in the manner of TextWorld."""

from __future__ import annotations

from typing import Any, ClassVar

from rewardgym.envs.text import ActionError, TextEnv, TextStep

from .quest_parser import DONT_UNDERSTAND, Command, ParseError, match, parse
from .quest_planner import Planner
from .quest_world import (
    CLOSE,
    DOOR,
    DROP,
    EAT,
    EXAMINE,
    GO,
    INV,
    INVENTORY,
    LOCK,
    LOOK,
    OPEN_OP,
    PUT,
    TAKE,
    UNLOCK,
    Action,
    QuestGame,
    QuestSettings,
    World,
    command_text,
    generate_world,
)

__all__ = ["REWARDS", "TextQuestEnv"]

#: The rewards the ``reward`` argument selects from (each is logged every step).
REWARDS = ("sparse", "intermediate", "subgoals")

_NO_SUCH_THING = "You can't see any such thing."
_PARSE_CACHE_SIZE = 4096
_PARSE_CACHE_TEXT = 256
_SILENT = frozenset({EXAMINE, LOOK, INVENTORY})  # ops that change nothing
_VERB_OPS = {
    "drop": DROP,
    "eat": EAT,
    "open": OPEN_OP,
    "close": CLOSE,
    "examine": EXAMINE,
    "unlock": UNLOCK,
    "lock": LOCK,
}


class _GameError(ActionError):
    """A command the game read and refused; its message is the game's own text."""


class TextQuestEnv(TextEnv):
    """A text adventure generated from the seed: explore rooms, find keys, unlock
    doors and containers, and finish the quest (put the quest item on or in a
    target, or eat it).

    Each :meth:`reset` generates a new world (map, things and quest) from
    ``self.np_random`` at the chosen difficulty; see
    :mod:`rewardgym.envs.text_games.quest_world` for the generator (the quest is built
    by forward chaining over rules, so every key is reachable and every world is
    winnable). The parser (:mod:`~rewardgym.envs.text_games.quest_parser`) reads
    natural commands with synonyms: ``go north``/``n``, ``take``/``get``/``pick up``,
    ``drop``, ``open``, ``close``, ``unlock X with Y``, ``lock X with Y``, ``put X
    in/on Y``, ``eat``, ``examine``/``x``, ``inventory``/``i``, ``look``/``l``.

    ## Action space
    ``action_mode="text"``: any string (:class:`~rewardgym.envs.text.UnicodeText`),
    a command. ``action_mode="discrete"``: ``Discrete(max_candidates)``, an index
    into the admissible commands (``info["candidates"]``), with an action mask.

    ## Observation space
    Text mode: the game's answer to the last command (the room description after a
    move or ``look``; the intro with the objective after reset). Discrete mode: a
    dict of hashed bag-of-words features of that text and of each candidate, and the
    ``action_mask`` (see :class:`~rewardgym.envs.text.TextEnv`).

    ## Info
    The text-env contract (``success``, ``error``, ``error_message``, ``caption``,
    ``reward_terms``, ``text``, ``turn``) plus ``admissible_commands``: every command
    possible in the current state, in a fixed order (moves; open, close, unlock and
    lock; take; eat; put; drop; examine; look; inventory); empty once the game is
    over. ``reset`` adds ``objective`` and ``world_seed``.

    A command that is not understood (``info["error"] == "parse"``: "I don't
    understand that.", or "Which do you mean, ...?") or that is impossible here
    (``"illegal"``: "You can't see any such thing.", "The oak door is locked.", ...)
    leaves the state unchanged; the game's answer is the observation.

    ## Reward
    Every term is logged in ``info["reward_terms"]`` on every step:

    * ``sparse``: 1 when the quest is completed, else 0;
    * ``intermediate`` (TextWorld's intermediate reward): +1 on a win, -1 on a loss,
      else ``sign(len(plan_before) - len(plan_after))`` with ``plan`` the shortest
      winning command sequence from the state (:class:`~rewardgym.envs.text_games.
      quest_planner.Planner`, exact): +1 for a step along an optimal plan, -1 for a
      step away, 0 otherwise. Along an optimal plan the terms sum to its length;
    * ``subgoals``: ``1/n`` the first time each of the quest's ``n`` steps has its
      effect (key taken, door unlocked, door opened, item taken, ...); the rest at
      once on a win, so a won episode's terms sum to 1;
    * ``invalid``: ``-invalid_action_penalty`` on a rejected command, else 0.

    The scalar reward is the term named by ``reward`` (default ``"sparse"``) plus
    ``invalid``.

    ## Starting state
    A new world; the player in its start room with empty hands.

    ## Episode end
    Terminated on a win (``info["success"]``) or a loss: eating the quest item when
    the goal was to put it somewhere. Truncated by the ``TimeLimit`` of
    ``gym.make`` (200 steps).

    ## Arguments
    * ``difficulty``: ``"easy"`` (3 rooms, 1 chain rule), ``"medium"`` (default: 7
      rooms, 3 rules), ``"hard"`` (13 rooms, 6 rules) or a level 1-10
      (:class:`~rewardgym.envs.text_games.quest_world.QuestSettings`);
    * ``reward``: ``"sparse"``, ``"intermediate"`` or ``"subgoals"``;
    * ``invalid_action_penalty`` (default 0: a refused command costs a turn only, as
      in TextWorld); ``max_candidates`` (default 64, or 128 above level 3; the
      admissible list is cut there in discrete mode); ``action_mode``,
      ``render_mode`` and the other :class:`~rewardgym.envs.text.TextEnv` arguments.
    * ``reset(options={"world_seed": n})`` replays the world of ``info["world_seed"]``;
      ``options={"world": world}`` plays a given
      :class:`~rewardgym.envs.text_games.quest_world.World`.

    ## Version history
    * v0: first release.

    ## Example
    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/TextQuest-v0", difficulty="easy")
    >>> obs, info = env.reset(seed=0)
    >>> obs.splitlines()[0]
    'Welcome to TextQuest!'
    >>> obs, reward, terminated, truncated, info = env.step("dance a jig")
    >>> info["error"], obs
    ('parse', "I don't understand that.")
    >>> while not terminated:
    ...     obs, reward, terminated, truncated, info = env.step(env.unwrapped.oracle_action())
    >>> info["success"], reward
    (True, 1.0)
    """

    reward_terms: ClassVar[tuple[str, ...]] = ("sparse", "intermediate", "subgoals", "invalid")

    def __init__(
        self,
        difficulty: str | int = "medium",
        reward: str = "sparse",
        *,
        max_candidates: int | None = None,
        invalid_action_penalty: float = 0.0,
        **kwargs: Any,
    ) -> None:
        self.settings = QuestSettings.from_difficulty(difficulty)
        if reward not in REWARDS:
            raise ValueError(
                f"reward must be one of {REWARDS} (every one is logged in "
                f"info['reward_terms'] whichever you pick), got {reward!r}"
            )
        if max_candidates is None:
            max_candidates = 64 if self.settings.level <= 3 else 128
        super().__init__(
            max_candidates=max_candidates, invalid_action_penalty=invalid_action_penalty, **kwargs
        )
        self.reward = reward
        self.world: World | None = None
        self._game: QuestGame | None = None
        self._planner: Planner | None = None
        self._words: list[frozenset[str]] = []
        self._parse_cache: dict[str, Command | str] = {}
        self._plan_length = 0
        self._pending: list[tuple[str, int, int]] = []
        self._subgoal_value = 0.0
        self._over = False

    # -- the text-env hooks -------------------------------------------------------------

    def _reset_task(self, options: dict[str, Any] | None) -> TextStep:
        options = options or {}
        world = options.get("world")
        if world is None:
            seed = options.get("world_seed")
            if seed is None:
                seed = int(self.np_random.integers(0, 2**62))
            elif not isinstance(seed, int) or isinstance(seed, bool):
                raise ValueError(f"options['world_seed'] must be an int, got {seed!r}")
            world = generate_world(seed, self.settings)
        elif not isinstance(world, World):
            raise ValueError(
                f"options['world'] must be a World (see generate_world), got {type(world).__name__}"
            )
        self.world = world
        self._game = game = QuestGame(world)
        self._planner = Planner(world)
        self._words = [frozenset(name.split()) for name in world.names]
        length = self._planner.plan_length(game.room, game.loc, game.lock)
        if length is None or length == 0:
            raise RuntimeError(f"world {world.seed} has no quest to play (plan length {length})")
        self._plan_length = length
        self._pending = [s.fact for s in world.quest if not game.fact_holds(s.fact)]
        self._subgoal_value = 1.0 / len(world.quest)
        self._over = False
        return TextStep(
            game.intro(),
            info={
                "admissible_commands": list(game.admissible()[0]),
                "objective": world.objective,
                "world_seed": world.seed,
            },
        )

    def _step_text(self, action: str) -> TextStep:
        game = self._require_game()
        if self._over:
            raise _GameError("illegal", "The game is over. Reset to play again.")
        act = game.admissible()[1].get(action)
        if act is None:
            act = self._read(action, game)
        message = game.apply(act)
        return self._outcome(act, message, game)

    def _candidates(self) -> list[str]:
        return self._require_game().admissible()[0]

    def _oracle_text(self) -> str:
        game = self._require_game()
        planner = self._planner
        assert planner is not None and self.world is not None
        return command_text(self.world, planner.next_action(game.room, game.loc, game.lock))

    def _on_error(self, error: ActionError) -> TextStep:
        if isinstance(error, _GameError):
            message = error.message
        else:  # refused by the text-env base before it reached the parser
            message = f"{DONT_UNDERSTAND} ({error.message})"
        penalty = -self.invalid_action_penalty if self.invalid_action_penalty else 0.0
        terms = {"sparse": 0.0, "intermediate": 0.0, "subgoals": 0.0, "invalid": penalty}
        game = self._game
        admissible = [] if game is None or self._over else list(game.admissible()[0])
        return TextStep(
            message,
            reward_terms=terms,
            reward=penalty,
            caption=message,
            info={"admissible_commands": admissible},
        )

    # -- game logic ---------------------------------------------------------------------

    def _require_game(self) -> QuestGame:
        if self._game is None:
            raise RuntimeError("call reset() before step()")
        return self._game

    def _outcome(self, act: Action, message: str, game: QuestGame) -> TextStep:
        before = self._plan_length
        subgoals = 0.0
        if act[0] in _SILENT:
            after: int | None = before
            won = lost = False
        else:
            won = game.won()
            planner = self._planner
            assert planner is not None
            after = 0 if won else planner.plan_length(game.room, game.loc, game.lock)
            lost = not won and (after is None or game.lost())
            pending = self._pending
            if pending:
                if won:
                    subgoals = self._subgoal_value * len(pending)
                    pending.clear()
                else:
                    keep = [f for f in pending if not game.fact_holds(f)]
                    if len(keep) != len(pending):
                        subgoals = self._subgoal_value * (len(pending) - len(keep))
                        self._pending = keep
        if won:
            intermediate = 1.0
            message += "\n\n*** You won! The quest is complete. ***"
        elif lost:
            intermediate = -1.0
            message += "\n\n*** You lost! The quest can no longer be completed. ***"
        else:
            assert after is not None
            intermediate = float((before > after) - (before < after))
            self._plan_length = after
        terms = {
            "sparse": 1.0 if won else 0.0,
            "intermediate": intermediate,
            "subgoals": subgoals,
            "invalid": 0.0,
        }
        over = won or lost
        self._over = over
        return TextStep(
            message,
            reward_terms=terms,
            reward=terms[self.reward],
            terminated=over,
            success=won,
            info={"admissible_commands": [] if over else list(game.admissible()[0])},
        )

    def _read(self, text: str, game: QuestGame) -> Action:
        """Parse a command that is not, as written, an admissible one."""
        normal = " ".join(text.lower().split())
        act = game.admissible()[1].get(normal)
        if act is not None:
            return act
        cached = self._parse_cache.get(normal)
        if cached is None:
            try:
                cached = parse(normal)
            except ParseError as exc:
                cached = str(exc)
            if len(normal) <= _PARSE_CACHE_TEXT:
                if len(self._parse_cache) >= _PARSE_CACHE_SIZE:
                    self._parse_cache.clear()
                self._parse_cache[normal] = cached
        if isinstance(cached, str):
            raise _GameError("parse", cached)
        act = game.resolve_take(self._resolve(cached, game))
        problem = game.check(act)
        if problem is not None:
            raise _GameError("illegal", problem)
        return act

    def _one(self, phrase: tuple[str, ...], game: QuestGame, held: bool | None = None) -> int:
        """The thing in view a phrase names; ``held`` prefers held (True) or not held
        (False) things when the phrase fits several."""
        found = match(phrase, game.scope(), self._words)
        if len(found) > 1 and held is not None:
            narrowed = [t for t in found if (game.loc[t] == INV) == held]
            if len(narrowed) == 1:
                found = narrowed
        if not found:
            raise _GameError("illegal", _NO_SUCH_THING)
        if len(found) > 1:
            assert self.world is not None
            names = [f"the {self.world.names[t]}" for t in found]
            options = ", ".join(names[:-1]) + " or " + names[-1]
            raise _GameError("parse", f"Which do you mean, {options}?")
        return found[0]

    def _resolve(self, cmd: Command, game: QuestGame) -> Action:
        verb = cmd.verb
        if verb == "go":
            return (GO, cmd.direction, -1)
        if verb == "look":
            return (LOOK, -1, -1)
        if verb == "inventory":
            return (INVENTORY, -1, -1)
        world = self.world
        assert world is not None
        if verb == "enter":
            door = self._one(cmd.obj, game)
            for d, _, through in world.exits[game.room]:
                if through == door:
                    return (GO, d, -1)
            what = "a door" if world.kinds[door] != DOOR else "that way"
            raise _GameError("illegal", f"You can't go through {what}.")
        if verb == "take":
            thing = self._one(cmd.obj, game, held=False)
            source = self._one(cmd.obj2, game) if cmd.obj2 else -1
            return (TAKE, thing, source)
        if verb == "put":
            thing = self._one(cmd.obj, game, held=True)
            return (PUT, thing, self._one(cmd.obj2, game))
        op = _VERB_OPS[verb]
        if op in (UNLOCK, LOCK):
            target = self._one(cmd.obj, game)
            if cmd.obj2:
                return (op, target, self._one(cmd.obj2, game, held=True))
            key = world.key_of[target]
            return (op, target, key if key >= 0 and game.loc[key] == INV else -1)
        held = True if op in (DROP, EAT) else None
        return (op, self._one(cmd.obj, game, held=held), -1)

    # -- extras -------------------------------------------------------------------------

    def plan_length(self) -> int | None:
        """Commands in the shortest winning sequence from the current state (None
        once the quest can no longer be won)."""
        game = self._require_game()
        assert self._planner is not None
        return self._planner.plan_length(game.room, game.loc, game.lock)
