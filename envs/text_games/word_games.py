"""Word and logic games: Wordle, Mastermind and Hangman, each with a solver.

Every game here is a :class:`~rewardgym.envs.text.TextEnv`: the agent reads the
board as text and replies with text (``action_mode="text"``), or picks an index
among the admissible actions (``action_mode="discrete"``, with an action mask).
They share :class:`PuzzleTextEnv`: the default scalar reward is

``reward = solved + partial_credit * (partial-credit terms) + invalid``

with every term logged in ``info["reward_terms"]`` on every step (zeros included,
so a :class:`~rewardgym.rewards.terms.InfoTerm` can pick any of them), and text the
game cannot read answered with "I don't understand ..." and an error kind.

The solvers are plain classes usable outside the envs:

* :class:`WordleSolver`: picks the guess (from every allowed word) that minimises
  the expected number of answers left; on the shipped lists it finds every answer
  within 6 guesses (a test plays all of them).
* :class:`MastermindSolver`: Knuth's minimax over the codes still possible; at most
  5 guesses for 4 pegs and 6 colours.
* :class:`HangmanSolver`: guesses the letter that most of the words still possible
  contain (it does not know the answer and can lose).

Word lists ship in ``data/``: ``wordle_answers.txt`` (common 5-letter words, the
answers), ``wordle_allowed.txt`` (the answers plus plurals and verb forms, accepted
as guesses) and ``hangman_words.txt`` (common words of 4 to 11 letters).

>>> wordle_feedback("geese", "eerie")
'-GY-G'
>>> mastermind_feedback((0, 0, 1, 1), (0, 1, 2, 3))
(1, 1)
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np
from numba import njit

from rewardgym.envs.text import ActionError, TextEnv, TextStep

__all__ = [
    "DONT_UNDERSTAND",
    "PALETTE",
    "HangmanEnv",
    "HangmanSolver",
    "MastermindEnv",
    "MastermindSolver",
    "PuzzleTextEnv",
    "WordleEnv",
    "WordleSolver",
    "hangman_words",
    "load_word_list",
    "mastermind_feedback",
    "wordle_allowed",
    "wordle_answers",
    "wordle_feedback",
]

#: The opening of the message a game gives for text it cannot read.
DONT_UNDERSTAND = "I don't understand"

_PREFIX = re.compile(r"^(?:guess|try|word|answer|code|letter|play)\b\s*[:=]?\s*", re.IGNORECASE)
_EDGE = " \t\r\n\"'`.,;:!?()[]{}<>"


def _preview(text: str, limit: int = 40) -> str:
    """The agent's text, quoted and cut, for messages."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 3] + "..."
    return f'"{flat}"'


def _clean(text: str) -> str:
    """Lower-case ``text``, drop surrounding quotes and punctuation and a leading
    command word ("guess crane" -> "crane")."""
    text = text.strip(_EDGE).lower()
    text = _PREFIX.sub("", text, count=1)
    return text.strip(_EDGE)


# -- word lists ---------------------------------------------------------------------


@functools.cache
def load_word_list(name: str) -> tuple[str, ...]:
    """A word list shipped in ``rewardgym/envs/text_games/data/`` (``name`` without
    ``.txt``): one lower-case word per line, in file order."""
    path = resources.files("rewardgym.envs.text_games") / "data" / f"{name}.txt"
    if not path.is_file():
        raise FileNotFoundError(f"no shipped word list {name!r} (looked for {path})")
    words = tuple(line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return tuple(w for w in words if w)


def wordle_answers() -> tuple[str, ...]:
    """The Wordle answers: common 5-letter English words."""
    return load_word_list("wordle_answers")


def wordle_allowed() -> tuple[str, ...]:
    """The words Wordle accepts as guesses (a superset of :func:`wordle_answers`)."""
    return load_word_list("wordle_allowed")


def hangman_words() -> tuple[str, ...]:
    """The Hangman vocabulary: common English words of 4 to 11 letters."""
    return load_word_list("hangman_words")


def _check_words(words: Sequence[str], what: str, length: int | None = None) -> tuple[str, ...]:
    out = tuple(words)
    if not out:
        raise ValueError(f"{what} is empty; pass at least one word")
    for w in out:
        if not isinstance(w, str) or not re.fullmatch(r"[a-z]+", w):
            raise ValueError(f"{what} must hold lower-case ASCII words, got {w!r}")
        if length is not None and len(w) != length:
            raise ValueError(f"{what} must hold {length}-letter words, got {w!r}")
    if len(set(out)) != len(out):
        raise ValueError(f"{what} has repeated words; remove the duplicates")
    return out


# -- the shared shell ---------------------------------------------------------------


class PuzzleTextEnv(TextEnv):
    """What the word and logic games share.

    A subclass sets :attr:`TERMS` (its reward terms; ``"solved"`` first) and
    :attr:`PARTIAL` (those weighted by ``partial_credit`` in the default reward),
    builds its steps with :meth:`_outcome`, gives its status keys in
    :meth:`_status_info` (added to every step's ``info``, errors included) and its
    display in :meth:`_board` (shown again under an error message, so errors do not
    pile up in the observation).

    Args:
        partial_credit: weight of the partial-credit terms in the default reward
            (``0`` gives the sparse reward ``solved``); ``>= 0``.
        **kwargs: passed to :class:`~rewardgym.envs.text.TextEnv` (``action_mode``,
            ``max_candidates``, ``invalid_action_penalty``, ``render_mode``, ...).
    """

    TERMS: tuple[str, ...] = ("solved",)
    PARTIAL: tuple[str, ...] = ()

    def __init__(self, *, partial_credit: float = 0.1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(partial_credit, (int, float)) or not math.isfinite(partial_credit):
            raise ValueError(f"partial_credit must be a finite number, got {partial_credit!r}")
        if partial_credit < 0:
            raise ValueError(
                "partial_credit weighs progress in the reward; pass a value >= 0 "
                f"(0 for the sparse reward), got {partial_credit!r}"
            )
        self.partial_credit = float(partial_credit)
        self._over = False

    def _status_info(self) -> dict[str, Any]:
        return {}

    def _board(self, message: str) -> str:
        """The game's current display, ``message`` appended when not empty."""
        return f"{self._text}\n{message}" if message else self._text

    def _outcome(
        self,
        observation: str,
        terms: dict[str, float],
        *,
        caption: str,
        terminated: bool = False,
        success: bool = False,
    ) -> TextStep:
        full = dict.fromkeys(self.TERMS, 0.0)
        full.update(terms)
        full["invalid"] = 0.0
        reward = full["solved"] + self.partial_credit * sum(full[name] for name in self.PARTIAL)
        return TextStep(
            observation=observation,
            reward_terms=full,
            reward=reward,
            terminated=terminated,
            success=success,
            caption=caption,
            info=self._status_info(),
        )

    def _on_error(self, error: ActionError) -> TextStep:
        message = error.message
        if error.kind == "parse" and not message.startswith(DONT_UNDERSTAND):
            message = f"{DONT_UNDERSTAND} that: {message}"
        caption = f"[{error.kind} error] {message}"
        terms = dict.fromkeys(self.TERMS, 0.0)
        terms["invalid"] = -self.invalid_action_penalty
        board = self._board("")
        return TextStep(
            observation=f"{caption}\n\n{board}" if board else caption,
            reward_terms=terms,
            reward=-self.invalid_action_penalty,
            caption=caption,
            info=self._status_info(),
        )

    def _check_not_over(self) -> None:
        if self._over:
            raise ActionError("illegal", "the game is over; reset the environment to play again")


# -- Wordle -------------------------------------------------------------------------

_POW3 = (1, 3, 9, 27, 81)
_MARKS = "-YG"  # 0 absent, 1 present elsewhere, 2 right spot


def wordle_feedback(guess: str, answer: str) -> str:
    """Wordle's marks for ``guess`` against ``answer``: ``G`` right letter in the
    right spot, ``Y`` in the word elsewhere, ``-`` not in the word.

    Duplicates follow the game's rule: greens are marked first, then each other
    copy of a letter is yellow only while the answer has unmatched copies left
    (left to right).

    >>> wordle_feedback("speed", "abide")
    '--Y-Y'
    >>> wordle_feedback("eerie", "crane")
    '--Y-G'
    """
    if len(guess) != len(answer):
        raise ValueError(f"guess and answer differ in length: {guess!r}, {answer!r}")
    marks = ["-"] * len(guess)
    left: dict[str, int] = {}
    for g, a in zip(guess, answer, strict=True):
        if g != a:
            left[a] = left.get(a, 0) + 1
    for i, (g, a) in enumerate(zip(guess, answer, strict=True)):
        if g == a:
            marks[i] = "G"
        elif left.get(g, 0) > 0:
            marks[i] = "Y"
            left[g] -= 1
    return "".join(marks)


def _pattern_code(marks: str) -> int:
    return sum(_MARKS.index(m) * p for m, p in zip(marks, _POW3, strict=True))


@njit(cache=True)
def _pattern_matrix_kernel(guesses: np.ndarray, answers: np.ndarray) -> np.ndarray:
    """Marks codes (base 3, ``uint8``) of every guess against every answer; inputs
    are ``(n, 5)`` arrays of letter indices 0-25. Same rule as :func:`wordle_feedback`."""
    n_guess, n_answer = guesses.shape[0], answers.shape[0]
    out = np.empty((n_guess, n_answer), np.uint8)
    left = np.zeros(26, np.int8)
    for x in range(n_guess):
        for y in range(n_answer):
            for c in range(5):
                left[answers[y, c]] = 0
                left[guesses[x, c]] = 0
            for c in range(5):
                if guesses[x, c] != answers[y, c]:
                    left[answers[y, c]] += 1
            code = 0
            power = 1
            for c in range(5):
                letter = guesses[x, c]
                if letter == answers[y, c]:
                    code += 2 * power
                elif left[letter] > 0:
                    code += power
                    left[letter] -= 1
                power *= 3
            out[x, y] = code
    return out


@njit(cache=True)
def _split_scores(matrix: np.ndarray, cands: np.ndarray) -> np.ndarray:
    """For every guess (row of ``matrix``), the sum of the squared sizes of the parts
    its marks split the answers ``cands`` into."""
    out = np.empty(matrix.shape[0], np.int64)
    counts = np.zeros(243, np.int64)
    for g in range(matrix.shape[0]):
        for j in range(cands.shape[0]):
            counts[matrix[g, cands[j]]] += 1
        total = 0
        for j in range(cands.shape[0]):
            code = matrix[g, cands[j]]
            c = counts[code]
            if c > 0:
                total += c * c
                counts[code] = 0
        out[g] = total
    return out


def _letter_codes(words: Sequence[str]) -> np.ndarray:
    return (np.frombuffer("".join(words).encode("ascii"), np.uint8).reshape(-1, 5) - 97).astype(
        np.int8
    )


def _spread_choice(best: int, can_win: np.ndarray, k: int) -> list[int]:
    """Up to ``k`` indices for a discrete action list, ascending: ``best``, indices where
    ``can_win`` holds (at most about half of ``k``) and indices where it does not, each
    group spread evenly over its index range (deterministic)."""
    possible = np.flatnonzero(can_win)
    others = np.flatnonzero(~can_win)
    possible, others = possible[possible != best], others[others != best]
    chosen = {int(best)}
    n_possible = min(len(possible), max(k // 2, k - len(others)) - 1)
    for i in np.linspace(0, len(possible) - 1, max(n_possible, 0)).round().astype(int):
        chosen.add(int(possible[i]))
    n_others = min(len(others), k - len(chosen))
    if n_others > 0:
        for i in np.linspace(0, len(others) - 1, n_others).round().astype(int):
            chosen.add(int(others[i]))
    return sorted(chosen)


class WordleSolver:
    """Chooses Wordle guesses by minimising the expected number of answers left.

    For every allowed guess it splits the answers still possible by the marks they
    would give; the score is the sum of the squared part sizes (the expected size
    of the part the real answer falls in, times the number of answers). Ties go to
    a guess that could itself be the answer, then to the earlier word. With one or
    two answers left it guesses one of them. Decisions are cached by history, so a
    whole game costs a few table look-ups once the tree is warm.

    >>> solver = WordleSolver(("crane", "crate", "trace"), ("crane", "crate", "trace"))
    >>> solver.best([])
    'crane'
    >>> solver.best([("crane", wordle_feedback("crane", "crate"))])
    'crate'
    """

    def __init__(self, answers: Sequence[str], allowed: Sequence[str]):
        self.answers = _check_words(answers, "answers", 5)
        self.allowed = _check_words(allowed, "allowed", 5)
        missing = set(self.answers) - set(self.allowed)
        if missing:
            raise ValueError(
                f"every answer must be an allowed guess; add {sorted(missing)[:5]} to allowed"
            )
        self._index = {w: i for i, w in enumerate(self.allowed)}
        self._answer_index = np.array([self._index[w] for w in self.answers], dtype=np.int64)
        self._matrix: np.ndarray | None = None
        self._ranked: dict[tuple[tuple[int, int], ...], np.ndarray] = {}

    @property
    def matrix(self) -> np.ndarray:
        """``(len(allowed), len(answers))`` uint8 codes of the marks (base 3)."""
        if self._matrix is None:
            self._matrix = _pattern_matrix_kernel(
                _letter_codes(self.allowed), _letter_codes(self.answers)
            )
        return self._matrix

    def _key(self, history: Sequence[tuple[str, str]]) -> tuple[tuple[int, int], ...]:
        try:
            return tuple((self._index[w], _pattern_code(marks)) for w, marks in history)
        except KeyError as exc:
            raise ValueError(f"{exc.args[0]!r} is not an allowed guess") from None
        except ValueError:
            raise ValueError(
                f"marks must be 5 characters of G, Y and -; got {[m for _, m in history]}"
            ) from None

    def consistent(self, history: Sequence[tuple[str, str]]) -> np.ndarray:
        """Indices (into ``answers``) of the answers that fit every (guess, marks)."""
        mask = np.ones(len(self.answers), dtype=bool)
        for gi, code in self._key(history):
            mask &= self.matrix[gi] == code
        return np.flatnonzero(mask)

    def ranked(self, history: Sequence[tuple[str, str]]) -> np.ndarray:
        """Allowed-guess indices, best first (at most 256 of them)."""
        key = self._key(history)
        cached = self._ranked.get(key)
        if cached is not None:
            return cached
        cands = self.consistent(history)
        if len(cands) == 0:
            raise ValueError("no answer fits this history; was the feedback right?")
        if len(cands) <= 2:
            order = self._answer_index[cands]
        else:
            score = 2 * _split_scores(self.matrix, cands.astype(np.int64))
            score[self._answer_index[cands]] -= 1  # a possible answer wins the tie
            order = np.argsort(score, kind="stable")[:256]
        self._ranked[key] = order
        return order

    def best(self, history: Sequence[tuple[str, str]]) -> str:
        """The guess to play after ``history``: pairs of a guess and its marks
        (``"GY--G"``)."""
        return self.allowed[int(self.ranked(history)[0])]

    def candidates(self, history: Sequence[tuple[str, str]], k: int) -> list[str]:
        """``k`` guesses for a discrete action space, alphabetical: :meth:`best`, answers
        still possible (spread over them alphabetically, at most about half of ``k``)
        and guesses the marks have ruled out as the answer (spread likewise; allowed
        words that are no answer count among them). So a player must tell the words
        that can still win from those that cannot: picking at random among them loses
        most games."""
        best = int(self.ranked(history)[0])
        possible = np.zeros(len(self.allowed), dtype=bool)
        possible[self._answer_index[self.consistent(history)]] = True
        return [self.allowed[i] for i in _spread_choice(best, possible, k)]


@functools.lru_cache(maxsize=4)
def _wordle_solver(answers: tuple[str, ...], allowed: tuple[str, ...]) -> WordleSolver:
    return WordleSolver(answers, allowed)


class WordleEnv(PuzzleTextEnv):
    """Wordle: find a hidden 5-letter word in 6 guesses from per-letter marks.

    The answer is drawn (with ``self.np_random``) from :func:`wordle_answers`, about
    2,200 common English words; guesses may be any of :func:`wordle_allowed` (the
    answers plus plurals and verb forms, about 3,000).

    **Marks.** After each guess every letter gets ``G`` (right letter, right spot),
    ``Y`` (in the word, elsewhere) or ``-`` (not in the word). Repeated letters follow
    the game's rule: greens first, then yellows only while the answer has unmatched
    copies of that letter, left to right (``speed`` against ``abide`` is ``--Y-Y``:
    the first ``e`` is yellow, the second grey).

    **Actions.** Text mode: one word, case-insensitive, optionally quoted or
    prefixed (``crane``, ``"CRANE"``, ``guess crane``). Discrete mode: an index into
    ``info["candidates"]``, at most ``max_candidates`` words chosen by the solver
    (:meth:`WordleSolver.candidates`): its best guess, some of the answers still
    possible and some words the marks have ruled out, alphabetical; a random choice
    among them wins about 20% of games (32 candidates).

    **Errors.** Text that is not a 5-letter word gets "I don't understand ..."
    (kind ``parse``). A 5-letter word that is not in the word list is rejected as
    ``illegal`` ("not in the word list") and does not use up a guess. After the game
    is over every action is ``illegal``. An error costs ``invalid_action_penalty``.

    **Reward terms** (``info["reward_terms"]``, every step):

    ============  ================================================================
    ``solved``    1 on the guess that finds the word, else 0
    ``greens``    new positions confirmed green by this guess / 5
    ``letters``   new letters confirmed in the word (counted with repeats) / 5
    ``invalid``   ``-invalid_action_penalty`` for a rejected action, else 0
    ============  ================================================================

    ``greens`` and ``letters`` each add up to 1 over a won game. Default reward:
    ``solved + partial_credit * (greens + letters) + invalid`` (``partial_credit``
    0.1).

    **Episode end.** Terminated when the word is found (``info["success"]`` true) or
    after the 6th wrong guess (the answer is then shown). Registered with a 30-step
    time limit (rejected words do not use guesses, so an episode could otherwise go
    on forever).

    **Info keys** (besides the base's ``success``, ``error``, ``error_message``,
    ``caption``, ``text``, ``turn``, ``reward_terms``): ``guesses_left``,
    ``feedback`` (marks of the last guess, or None), ``answer`` (None until the game
    is over).

    **Oracle.** :meth:`oracle_action` plays :class:`WordleSolver`, which does not
    look at the answer; it finds every shipped answer within 6 guesses.

    Args:
        max_guesses: guesses allowed (6).
        partial_credit: weight of ``greens + letters`` in the default reward.
        answers, allowed: custom word lists (5-letter lower-case words; every answer
            must be allowed). Default: the shipped lists.
        **kwargs: :class:`~rewardgym.envs.text.TextEnv` arguments.

    ``reset(options={"answer": "crane"})`` plays a chosen answer.

    Version history: v0, first release.

    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/Wordle-v0")
    >>> obs, info = env.reset(seed=0, options={"answer": "crane"})
    >>> obs, reward, terminated, truncated, info = env.step("trace")
    >>> info["feedback"], info["guesses_left"]
    ('-GGYG', 5)
    >>> env.step("xyzzy")[4]["error"]
    'illegal'
    """

    TERMS = ("solved", "greens", "letters")
    PARTIAL = ("greens", "letters")

    def __init__(
        self,
        *,
        max_guesses: int = 6,
        partial_credit: float = 0.1,
        answers: Sequence[str] | None = None,
        allowed: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(partial_credit=partial_credit, **kwargs)
        if not isinstance(max_guesses, (int, np.integer)) or max_guesses < 1:
            raise ValueError(f"max_guesses must be a positive integer, got {max_guesses!r}")
        self.max_guesses = int(max_guesses)
        self.answers = (
            _check_words(answers, "answers", 5) if answers is not None else wordle_answers()
        )
        if allowed is not None:
            self.allowed = _check_words(allowed, "allowed", 5)
        elif answers is not None:
            self.allowed = tuple(sorted(set(self.answers) | set(wordle_allowed())))
        else:
            self.allowed = wordle_allowed()
        missing = set(self.answers) - set(self.allowed)
        if missing:
            raise ValueError(
                f"every answer must be an allowed guess; add {sorted(missing)[:5]} to allowed"
            )
        self._allowed_set = frozenset(self.allowed)
        self.answer = ""
        self.history: list[tuple[str, str]] = []
        self._greens: set[int] = set()
        self._known: dict[str, int] = {}
        self._absent: set[str] = set()

    @property
    def solver(self) -> WordleSolver:
        """The (shared, cached) solver for this env's word lists."""
        return _wordle_solver(self.answers, self.allowed)

    @property
    def guesses_left(self) -> int:
        return self.max_guesses - len(self.history)

    def _status_info(self) -> dict[str, Any]:
        return {
            "guesses_left": self.guesses_left,
            "feedback": self.history[-1][1] if self.history else None,
            "answer": self.answer if self._over else None,
        }

    def _board(self, message: str) -> str:
        lines = [
            f"Wordle: find the hidden 5-letter word in {self.max_guesses} guesses. "
            'Reply with one word, e.g. "crane".',
            "Marks: G = right letter, right spot; Y = in the word, wrong spot; "
            "- = not in the word (or no more copies of it).",
        ]
        for n, (word, marks) in enumerate(self.history, 1):
            lines.append(f"{n:2d}. {word.upper()}  {marks}")
        if self.history:
            spots = " ".join(self.answer[i].upper() if i in self._greens else "_" for i in range(5))
            known = " ".join(sorted(self._known)) or "none"
            absent = " ".join(sorted(self._absent)) or "none"
            lines.append(f"Known spots: {spots}. In the word: {known}. Not in the word: {absent}.")
        lines.append(f"Guesses left: {self.guesses_left}.")
        if message:
            lines.append(message)
        return "\n".join(lines)

    def _reset_task(self, options: dict[str, Any] | None) -> TextStep:
        answer = (options or {}).get("answer")
        if answer is not None:
            if answer not in set(self.answers):
                raise ValueError(f"options['answer'] must be one of the answers, got {answer!r}")
            self.answer = answer
        else:
            self.answer = self.answers[int(self.np_random.integers(len(self.answers)))]
        self.history = []
        self._greens = set()
        self._known = {}
        self._absent = set()
        self._over = False
        return TextStep(self._board(""), info=self._status_info())

    def _step_text(self, action: str) -> TextStep:
        self._check_not_over()
        word = _clean(action)
        if not (word.isascii() and re.fullmatch(r"[a-z]{5}", word)):
            raise ActionError(
                "parse",
                f'{DONT_UNDERSTAND} {_preview(action)}: reply with one 5-letter word, e.g. "crane"',
            )
        if word not in self._allowed_set:
            raise ActionError(
                "illegal",
                f'"{word}" is not in the word list; try another word '
                f"(this did not use a guess: {self.guesses_left} left)",
            )
        marks = wordle_feedback(word, self.answer)
        self.history.append((word, marks))
        new_greens = {i for i, m in enumerate(marks) if m == "G"} - self._greens
        self._greens |= new_greens
        gained = 0
        for letter in set(word):
            found = sum(1 for w, m in zip(word, marks, strict=True) if w == letter and m != "-")
            if found > self._known.get(letter, 0):
                gained += found - self._known.get(letter, 0)
                self._known[letter] = found
            elif found == 0 and letter not in self._known:
                self._absent.add(letter)
        terms = {"greens": len(new_greens) / 5, "letters": gained / 5}
        if word == self.answer:
            self._over = True
            n = len(self.history)
            caption = f"{word.upper()}  {marks}: you found the word in {n} guess{'es' * (n > 1)}!"
            terms["solved"] = 1.0
            return self._outcome(
                self._board(caption), terms, caption=caption, terminated=True, success=True
            )
        if self.guesses_left == 0:
            self._over = True
            caption = (
                f"{word.upper()}  {marks}: out of guesses. The word was {self.answer.upper()}."
            )
            return self._outcome(self._board(caption), terms, caption=caption, terminated=True)
        caption = f"{word.upper()}  {marks}"
        return self._outcome(self._board(""), terms, caption=caption)

    def _candidates(self) -> list[str]:
        return self.solver.candidates(self.history, self.max_candidates)

    def _oracle_text(self) -> str:
        return self.solver.best(self.history)


# -- Mastermind ---------------------------------------------------------------------

#: Colour names and their one-letter codes, in the order games use them.
PALETTE: tuple[tuple[str, str], ...] = (
    ("red", "R"),
    ("green", "G"),
    ("blue", "B"),
    ("yellow", "Y"),
    ("white", "W"),
    ("black", "K"),
    ("orange", "O"),
    ("purple", "P"),
    ("cyan", "C"),
    ("magenta", "M"),
)
_MAX_CODES = 100_000


def mastermind_feedback(guess: Sequence[int], secret: Sequence[int]) -> tuple[int, int]:
    """(black, white) pegs: black = right colour in the right place; white = right
    colour in the wrong place (each peg of the secret counted once).

    >>> mastermind_feedback((0, 0, 0, 1), (1, 0, 0, 0))
    (2, 2)
    """
    if len(guess) != len(secret):
        raise ValueError("guess and secret differ in length")
    black = sum(1 for g, s in zip(guess, secret, strict=True) if g == s)
    common = sum(min(guess.count(c), secret.count(c)) for c in set(guess))
    return black, common - black


class MastermindSolver:
    """Knuth's minimax strategy for Mastermind.

    Each guess is the code (from all codes) whose worst-case feedback leaves the
    fewest codes possible; ties go to a code that is still possible, then to the
    lowest code. For 4 pegs over 6 colours this wins every game in at most 5
    guesses. Where a full search would be too large (more than 2,000,000
    code pairs) it searches the possible codes only, and past that it plays the
    first possible code (the consistent-set strategy). Decisions are cached by
    history.

    >>> solver = MastermindSolver(4, 6)
    >>> solver.code_text(solver.best([]))
    'RRGG'
    """

    def __init__(self, code_length: int = 4, num_colours: int = 6, allow_repeats: bool = True):
        self.code_length = int(code_length)
        self.num_colours = int(num_colours)
        self.allow_repeats = bool(allow_repeats)
        colours = range(self.num_colours)
        if self.allow_repeats:
            codes = list(itertools.product(colours, repeat=self.code_length))
        else:
            codes = list(itertools.permutations(colours, self.code_length))
        self.codes = np.array(codes, dtype=np.int8).reshape(-1, self.code_length)
        self.counts = np.zeros((len(self.codes), self.num_colours), dtype=np.int8)
        for c in range(self.num_colours):
            self.counts[:, c] = (self.codes == c).sum(axis=1)
        powers = self.num_colours ** np.arange(self.code_length - 1, -1, -1, dtype=np.int64)
        self._powers = powers
        self._keys = self.codes.astype(np.int64) @ powers  # ascending (lexicographic order)
        self._best: dict[tuple[tuple[int, int], ...], int] = {}

    @property
    def num_feedbacks(self) -> int:
        return (self.code_length + 1) ** 2

    def index(self, code: Sequence[int]) -> int:
        """The index of ``code`` in :attr:`codes`; ``ValueError`` if it is not a code."""
        key = int(np.asarray(code, dtype=np.int64) @ self._powers)
        i = int(np.searchsorted(self._keys, key))
        if i >= len(self._keys) or self._keys[i] != key or len(code) != self.code_length:
            raise ValueError(f"{tuple(code)} is not a code of this game")
        return i

    def code_text(self, index: int) -> str:
        return "".join(PALETTE[c][1] for c in self.codes[index])

    def encode(self, black: int, white: int) -> int:
        return black * (self.code_length + 1) + white

    def feedback_all(self, guess: int, among: np.ndarray | None = None) -> np.ndarray:
        """Encoded feedback of code ``guess`` against every code (or those in ``among``)."""
        codes = self.codes if among is None else self.codes[among]
        counts = self.counts if among is None else self.counts[among]
        black = (codes == self.codes[guess]).sum(axis=1)
        common = np.minimum(counts, self.counts[guess]).sum(axis=1)
        return (black * (self.code_length + 1) + common - black).astype(np.int64)

    def consistent(self, history: Sequence[tuple[int, int]]) -> np.ndarray:
        """Indices of the codes that fit every (guess index, encoded feedback)."""
        mask = np.ones(len(self.codes), dtype=bool)
        for guess, fb in history:
            mask &= self.feedback_all(guess) == fb
        return np.flatnonzero(mask)

    def best(self, history: Sequence[tuple[int, int]]) -> int:
        """The index of the code to play after ``history``."""
        key = tuple((int(g), int(f)) for g, f in history)
        cached = self._best.get(key)
        if cached is not None:
            return cached
        possible = self.consistent(key)
        if len(possible) == 0:
            raise ValueError("no code fits this history; was the feedback right?")
        choice = int(possible[0])
        if len(possible) > 2:
            if len(self.codes) * len(possible) <= 2_000_000:
                pool = np.arange(len(self.codes))
            elif len(possible) ** 2 <= 2_000_000:
                pool = possible
            else:
                pool = None
            if pool is not None:
                choice = self._minimax(pool, possible)
        self._best[key] = choice
        return choice

    def _minimax(self, pool: np.ndarray, possible: np.ndarray) -> int:
        nf = self.num_feedbacks
        worst = np.empty(len(pool), dtype=np.int64)
        sub_codes, sub_counts = self.codes[possible], self.counts[possible]
        for start in range(0, len(pool), 256):
            part = pool[start : start + 256]
            black = (self.codes[part][:, None, :] == sub_codes[None, :, :]).sum(axis=2)
            common = np.minimum(self.counts[part][:, None, :], sub_counts[None, :, :]).sum(axis=2)
            fb = black * (self.code_length + 1) + common - black
            fb = fb.astype(np.int64) + nf * np.arange(len(part), dtype=np.int64)[:, None]
            hist = np.bincount(fb.ravel(), minlength=nf * len(part)).reshape(len(part), nf)
            worst[start : start + len(part)] = hist.max(axis=1)
        in_possible = np.isin(pool, possible)
        # Lowest worst case; then a code that may be the secret; then the lowest code.
        score = worst * 2 - in_possible
        return int(pool[int(np.argmin(score))])


@functools.lru_cache(maxsize=8)
def _mastermind_solver(code_length: int, num_colours: int, allow_repeats: bool) -> MastermindSolver:
    return MastermindSolver(code_length, num_colours, allow_repeats)


class MastermindEnv(PuzzleTextEnv):
    """Mastermind: crack a hidden code of coloured pegs from black/white feedback.

    The secret is a code of ``code_length`` pegs (4), each one of ``num_colours``
    colours (6: red R, green G, blue B, yellow Y, white W, black K; up to 10 with
    orange O, purple P, cyan C, magenta M), repeats allowed unless
    ``allow_repeats=False``, drawn with ``self.np_random``.

    **Feedback.** After each guess: *black* pegs = pegs of the right colour in the
    right place; *white* pegs = further pegs of a right colour in the wrong place
    (each secret peg counted once).

    **Actions.** Text mode: a code as letters (``RGBY``, ``r g b y``), colour names
    (``red green blue yellow``, commas allowed) or digits 1-9 (``1122``), optionally
    after ``guess``. Discrete mode: an index into ``info["candidates"]`` (codes as
    letters): the solver's guess, codes still possible (evenly spread over them) and
    codes already ruled out, at most ``max_candidates``, in code order.

    **Errors.** Unreadable text gets "I don't understand ..." (``parse``); a colour
    not in this game, the wrong number of pegs, or a repeat when repeats are off is
    ``illegal``; no guess is used up.

    **Reward terms** (every step):

    =============  ===============================================================
    ``solved``     1 on the guess that cracks the code
    ``pegs``       rise of the best ``(black + white / 2) / code_length`` so far
    ``info_gain``  ``log(possible before / possible after) / log(number of codes)``
    ``invalid``    ``-invalid_action_penalty`` for a rejected action
    =============  ===============================================================

    ``pegs`` and ``info_gain`` each add up to 1 over a won game. Default reward:
    ``solved + partial_credit * pegs + invalid`` (``partial_credit`` 0.1);
    ``info_gain`` is logged for custom rewards.

    **Episode end.** Terminated on cracking the code (success) or after
    ``max_guesses`` (10) wrong guesses, when the code is shown. Registered with a
    40-step time limit.

    **Info keys:** ``guesses_left``, ``black``, ``white`` (of the last guess, or
    None), ``possible`` (how many codes still fit), ``secret`` (None until the game
    is over).

    **Oracle.** :class:`MastermindSolver` (Knuth's minimax, blind to the secret):
    at most 5 guesses at the default size.

    Args:
        code_length: pegs per code, 1-8.
        num_colours: colours, 2-10.
        allow_repeats: whether a code may repeat a colour.
        max_guesses: guesses allowed (10).
        partial_credit: weight of ``pegs`` in the default reward.
        **kwargs: :class:`~rewardgym.envs.text.TextEnv` arguments.

    ``reset(options={"code": "RGBY"})`` plays a chosen secret.

    Version history: v0, first release.

    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/Mastermind-v0")
    >>> _ = env.reset(seed=0, options={"code": "RGBY"})
    >>> info = env.step("red red green green")[4]
    >>> info["black"], info["white"]
    (1, 1)
    """

    TERMS = ("solved", "pegs", "info_gain")
    PARTIAL = ("pegs",)

    def __init__(
        self,
        *,
        code_length: int = 4,
        num_colours: int = 6,
        allow_repeats: bool = True,
        max_guesses: int = 10,
        partial_credit: float = 0.1,
        **kwargs: Any,
    ) -> None:
        super().__init__(partial_credit=partial_credit, **kwargs)
        if not isinstance(code_length, (int, np.integer)) or not 1 <= code_length <= 8:
            raise ValueError(f"code_length must be an integer in 1..8, got {code_length!r}")
        if not isinstance(num_colours, (int, np.integer)) or not 2 <= num_colours <= len(PALETTE):
            raise ValueError(
                f"num_colours must be an integer in 2..{len(PALETTE)}, got {num_colours!r}"
            )
        if not allow_repeats and code_length > num_colours:
            raise ValueError(
                f"without repeats a code of {code_length} pegs needs at least {code_length} "
                f"colours; raise num_colours or pass allow_repeats=True"
            )
        n_codes = (
            num_colours**code_length
            if allow_repeats
            else math.perm(int(num_colours), int(code_length))
        )
        if n_codes > _MAX_CODES:
            raise ValueError(
                f"{n_codes} possible codes is more than {_MAX_CODES}; lower code_length or "
                "num_colours"
            )
        if not isinstance(max_guesses, (int, np.integer)) or max_guesses < 1:
            raise ValueError(f"max_guesses must be a positive integer, got {max_guesses!r}")
        self.code_length = int(code_length)
        self.num_colours = int(num_colours)
        self.allow_repeats = bool(allow_repeats)
        self.max_guesses = int(max_guesses)
        self._names = {name: i for i, (name, _) in enumerate(PALETTE)}
        self._letters = {letter.lower(): i for i, (_, letter) in enumerate(PALETTE)}
        self.secret = 0
        self.history: list[tuple[int, int]] = []
        self._possible = np.ones(0, dtype=bool)
        self._best_pegs = 0.0

    @property
    def solver(self) -> MastermindSolver:
        return _mastermind_solver(self.code_length, self.num_colours, self.allow_repeats)

    @property
    def guesses_left(self) -> int:
        return self.max_guesses - len(self.history)

    def _status_info(self) -> dict[str, Any]:
        black = white = None
        if self.history:
            black, white = divmod(self.history[-1][1], self.code_length + 1)
        return {
            "guesses_left": self.guesses_left,
            "black": black,
            "white": white,
            "possible": int(self._possible.sum()),
            "secret": self.solver.code_text(self.secret) if self._over else None,
        }

    def _board(self, message: str) -> str:
        colours = " ".join(f"{letter} ({name})" for name, letter in PALETTE[: self.num_colours])
        repeats = "Colours may repeat." if self.allow_repeats else "No colour repeats."
        lines = [
            f"Mastermind: crack the hidden code of {self.code_length} pegs in "
            f"{self.max_guesses} guesses. Colours: {colours}. {repeats}",
            f'Reply with a code, e.g. "{self._example()}". After each guess: black = right '
            "colour, right place; white = right colour, wrong place.",
        ]
        for n, (guess, fb) in enumerate(self.history, 1):
            black, white = divmod(fb, self.code_length + 1)
            code = " ".join(self.solver.code_text(guess))
            lines.append(f"{n:2d}. {code}   black {black}, white {white}")
        lines.append(f"Guesses left: {self.guesses_left}.")
        if message:
            lines.append(message)
        return "\n".join(lines)

    def _example(self) -> str:
        return "".join(PALETTE[i % self.num_colours][1] for i in range(self.code_length))

    def _reset_task(self, options: dict[str, Any] | None) -> TextStep:
        code = (options or {}).get("code")
        solver = self.solver
        if code is not None:
            try:
                self.secret = solver.index(self._read_code(str(code)))
            except (ActionError, ValueError) as exc:
                raise ValueError(f"options['code'] is not a code of this game: {exc}") from None
        else:
            self.secret = int(self.np_random.integers(len(solver.codes)))
        self.history = []
        self._possible = np.ones(len(solver.codes), dtype=bool)
        self._best_pegs = 0.0
        self._over = False
        return TextStep(self._board(""), info=self._status_info())

    def _read_code(self, action: str) -> tuple[int, ...]:
        text = _clean(action)
        tokens = [t for t in re.split(r"[\s,;/|\-]+", text) if t]
        if len(tokens) == 1 and len(tokens[0]) > 1 and tokens[0] not in self._names:
            tokens = list(tokens[0])
        if not tokens:
            raise ActionError(
                "parse",
                f"{DONT_UNDERSTAND} {_preview(action)}: reply with a code such as "
                f'"{self._example()}"',
            )
        code: list[int] = []
        for token in tokens:
            if token in self._names:
                colour = self._names[token]
            elif token in self._letters:
                colour = self._letters[token]
            elif token.isascii() and token.isdigit() and len(token) == 1 and token != "0":
                colour = int(token) - 1
            else:
                raise ActionError(
                    "parse",
                    f"{DONT_UNDERSTAND} {_preview(action)}: {_preview(token, 20)} is not a "
                    f'colour; reply with a code such as "{self._example()}"',
                )
            code.append(colour)
        for colour in code:
            if colour >= self.num_colours:
                allowed = ", ".join(name for name, _ in PALETTE[: self.num_colours])
                raise ActionError(
                    "illegal", f"{PALETTE[colour][0]} is not a colour of this game ({allowed})"
                )
        if len(code) != self.code_length:
            raise ActionError(
                "illegal",
                f"a code has {self.code_length} pegs; you gave {len(code)} (no guess used)",
            )
        if not self.allow_repeats and len(set(code)) != len(code):
            raise ActionError("illegal", "colours may not repeat in this game (no guess used)")
        return tuple(code)

    def _step_text(self, action: str) -> TextStep:
        self._check_not_over()
        solver = self.solver
        guess = solver.index(self._read_code(action))
        fb = int(solver.feedback_all(guess, np.array([self.secret]))[0])
        black, white = divmod(fb, self.code_length + 1)
        self.history.append((guess, fb))
        before = int(self._possible.sum())
        self._possible &= solver.feedback_all(guess) == fb
        after = int(self._possible.sum())
        total = len(solver.codes)
        score = (black + white / 2) / self.code_length
        terms = {
            "pegs": max(0.0, score - self._best_pegs),
            "info_gain": math.log(before / after) / math.log(total) if total > 1 else 0.0,
        }
        self._best_pegs = max(self._best_pegs, score)
        code = solver.code_text(guess)
        if guess == self.secret:
            self._over = True
            n = len(self.history)
            caption = f"{code}: black {black}. You cracked the code in {n} guess{'es' * (n > 1)}!"
            terms["solved"] = 1.0
            return self._outcome(
                self._board(caption), terms, caption=caption, terminated=True, success=True
            )
        caption = f"{code}: black {black}, white {white}."
        if self.guesses_left == 0:
            self._over = True
            caption += f" Out of guesses: the code was {solver.code_text(self.secret)}."
            return self._outcome(self._board(caption), terms, caption=caption, terminated=True)
        return self._outcome(self._board(""), terms, caption=caption)

    def _candidates(self) -> list[str]:
        solver = self.solver
        k = self.max_candidates
        best = solver.best(self.history)
        return [solver.code_text(i) for i in _spread_choice(best, self._possible, k)]

    def _oracle_text(self) -> str:
        return self.solver.code_text(self.solver.best(self.history))


# -- Hangman ------------------------------------------------------------------------

_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def _fits(word: str, pattern: str, guessed: frozenset[str]) -> bool:
    """Whether ``word`` fits a Hangman board: revealed letters in place, and no
    guessed letter hiding in an unrevealed spot."""
    if len(word) != len(pattern):
        return False
    for w, p in zip(word, pattern, strict=True):
        if p == "_":
            if w in guessed:
                return False
        elif w != p:
            return False
    return True


class HangmanSolver:
    """Guesses the letter contained in the most words that still fit the board.

    The words that fit are those of the vocabulary with the revealed letters in
    place and no guessed letter in an unrevealed spot; ties go to the earlier
    letter of the alphabet. With one word left it names the word. It does not
    know the answer, so an unlucky word (``_atch`` with many candidates) can cost
    all the lives.

    >>> HangmanSolver(("cat", "cot", "dog")).choose("c_t", {"c", "t"})
    'a'
    """

    def __init__(self, vocabulary: Sequence[str]):
        self.vocabulary = _check_words(vocabulary, "vocabulary")

    def fitting(self, pattern: str, guessed: set[str] | frozenset[str]) -> list[str]:
        """The words of the vocabulary that fit ``pattern`` (``_`` unrevealed)."""
        frozen = frozenset(guessed)
        return [w for w in self.vocabulary if _fits(w, pattern, frozen)]

    def letter_counts(
        self, words: Sequence[str], guessed: set[str] | frozenset[str]
    ) -> dict[str, int]:
        counts = dict.fromkeys((c for c in _ALPHABET if c not in guessed), 0)
        for w in words:
            for c in set(w):
                if c in counts:
                    counts[c] += 1
        return counts

    def choose(self, pattern: str, guessed: set[str] | frozenset[str]) -> str:
        """A letter (or, with one word left, that word) to guess next."""
        words = self.fitting(pattern, guessed)
        if len(words) == 1:
            return words[0]
        counts = self.letter_counts(words, guessed)
        if not counts:
            raise ValueError("every letter has been guessed")
        return max(counts, key=lambda c: (counts[c], -ord(c)))


class HangmanEnv(PuzzleTextEnv):
    """Hangman: reveal a hidden word by guessing letters, before the lives run out.

    The word is drawn (with ``self.np_random``) from :func:`hangman_words` (about 500
    common words of 4 to 11 letters), filtered by ``min_length``/``max_length``.

    **Actions.** Text mode: a letter (``e``, ``guess e``, ``letter E``) or the whole
    word (``guess giraffe``). A correct letter reveals every copy of it; a wrong letter
    or a wrong word costs a life. Discrete mode: an index into ``info["candidates"]``,
    the letters not yet guessed, alphabetical.

    **Errors.** Text that is neither a letter nor a word gets "I don't understand
    ..." (``parse``); a letter guessed before, or a word of the wrong length, is
    ``illegal`` and costs no life.

    **Reward terms** (every step):

    ============  ================================================================
    ``solved``    1 when the word is complete (by letters or a word guess)
    ``revealed``  letters revealed by this guess / word length (sums to 1 on a win)
    ``miss``      -1 for a wrong guess (a life lost), else 0
    ``invalid``   ``-invalid_action_penalty`` for a rejected action
    ============  ================================================================

    Default reward: ``solved + partial_credit * revealed + invalid``
    (``partial_credit`` 0.1); ``miss`` is logged for custom rewards.

    **Episode end.** Terminated when the word is revealed (success) or the lives
    (``lives``, 6) run out, when the word is shown. Registered with a 40-step limit.

    **Info keys:** ``pattern`` (the board, ``_`` for hidden letters), ``lives``,
    ``wrong`` (wrong letters, in order), ``word`` (None until the game is over).

    **Oracle: it knows the answer.** :meth:`oracle_action` guesses only letters of the
    word, choosing among them the one most words still fitting the board contain, so
    it never loses a life and wins every game: an upper bound, not a fair player.
    :class:`HangmanSolver` is the fair player (blind to the word; it wins most games
    at the default settings, not all).

    Args:
        lives: wrong guesses allowed (6).
        min_length, max_length: bounds on the word length.
        partial_credit: weight of ``revealed`` in the default reward.
        words: a custom vocabulary (lower-case ASCII words). Default: the shipped list.
        **kwargs: :class:`~rewardgym.envs.text.TextEnv` arguments.

    ``reset(options={"word": "giraffe"})`` plays a chosen word (any lower-case word).

    Version history: v0, first release.

    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/Hangman-v0")
    >>> _ = env.reset(seed=0, options={"word": "apple"})
    >>> env.step("p")[4]["pattern"]
    '_pp__'
    """

    TERMS = ("solved", "revealed", "miss")
    PARTIAL = ("revealed",)

    def __init__(
        self,
        *,
        lives: int = 6,
        min_length: int = 4,
        max_length: int = 12,
        partial_credit: float = 0.1,
        words: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(partial_credit=partial_credit, **kwargs)
        if self.action_mode == "discrete" and self.max_candidates < 26:
            raise ValueError(
                "Hangman's discrete mode offers every unguessed letter; pass "
                f"max_candidates >= 26, got {self.max_candidates}"
            )
        if not isinstance(lives, (int, np.integer)) or lives < 1:
            raise ValueError(f"lives must be a positive integer, got {lives!r}")
        if not (
            isinstance(min_length, (int, np.integer)) and isinstance(max_length, (int, np.integer))
        ):
            raise ValueError("min_length and max_length must be integers")
        if min_length < 1 or max_length < min_length:
            raise ValueError(
                f"need 1 <= min_length <= max_length, got {min_length} and {max_length}"
            )
        vocabulary = _check_words(words, "words") if words is not None else hangman_words()
        self.words = tuple(w for w in vocabulary if min_length <= len(w) <= max_length)
        if not self.words:
            raise ValueError(f"no word has {min_length} to {max_length} letters; widen the bounds")
        self.lives_at_start = int(lives)
        self.word = ""
        self.lives = self.lives_at_start
        self.guessed: list[str] = []
        self.wrong: list[str] = []

    @property
    def pattern(self) -> str:
        """The board: the word with unguessed letters as ``_``."""
        shown = set(self.guessed)
        return "".join(c if c in shown else "_" for c in self.word)

    def _status_info(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "lives": self.lives,
            "wrong": "".join(self.wrong),
            "word": self.word if self._over else None,
        }

    def _board(self, message: str) -> str:
        lines = [
            "Hangman: guess the hidden word one letter at a time, or the whole word at "
            f"once. A wrong guess costs a life; you have {self.lives_at_start}.",
            'Reply with a letter (e.g. "e") or a word (e.g. "guess apple").',
            f"Word: {' '.join(self.pattern.upper())}   ({len(self.word)} letters)",
            f"Wrong guesses: {' '.join(self.wrong).upper() or 'none'}.  Lives left: {self.lives}.",
        ]
        if message:
            lines.append(message)
        return "\n".join(lines)

    def _reset_task(self, options: dict[str, Any] | None) -> TextStep:
        word = (options or {}).get("word")
        if word is not None:
            if not (isinstance(word, str) and re.fullmatch(r"[a-z]+", word)):
                raise ValueError(f"options['word'] must be a lower-case ASCII word, got {word!r}")
            self.word = word
        else:
            self.word = self.words[int(self.np_random.integers(len(self.words)))]
        self.lives = self.lives_at_start
        self.guessed = []
        self.wrong = []
        self._over = False
        return TextStep(self._board(""), info=self._status_info())

    def _step_text(self, action: str) -> TextStep:
        self._check_not_over()
        text = _clean(action)
        if not (text.isascii() and re.fullmatch(r"[a-z]+", text)):
            raise ActionError(
                "parse",
                f'{DONT_UNDERSTAND} {_preview(action)}: reply with one letter (e.g. "e") or '
                'the whole word (e.g. "guess apple")',
            )
        hidden_before = self.pattern.count("_")
        if len(text) == 1:
            if text in self.guessed:
                raise ActionError("illegal", f'you already guessed "{text}"; try another letter')
            self.guessed.append(text)
            hit = text in self.word
            if not hit:
                self.wrong.append(text)
            said = f"Letter {text.upper()}: " + (
                f"yes, {self.word.count(text)} in the word." if hit else "not in the word."
            )
        else:
            if len(text) != len(self.word):
                raise ActionError(
                    "illegal",
                    f"the word has {len(self.word)} letters, {_preview(text)} has {len(text)} "
                    "(no life lost)",
                )
            hit = text == self.word
            if hit:
                self.guessed.extend(c for c in dict.fromkeys(self.word) if c not in self.guessed)
            said = f"{text.upper()}: " + ("that's the word!" if hit else "no, that's not the word.")
        terms: dict[str, float] = {
            "revealed": (hidden_before - self.pattern.count("_")) / len(self.word),
            "miss": 0.0 if hit else -1.0,
        }
        if not hit:
            self.lives -= 1
        if "_" not in self.pattern:
            self._over = True
            caption = f"{said} You found {self.word.upper()}!"
            terms["solved"] = 1.0
            return self._outcome(
                self._board(caption), terms, caption=caption, terminated=True, success=True
            )
        if self.lives <= 0:
            self._over = True
            caption = f"{said} Out of lives: the word was {self.word.upper()}."
            return self._outcome(self._board(caption), terms, caption=caption, terminated=True)
        return self._outcome(self._board(said), terms, caption=said)

    def _candidates(self) -> list[str]:
        return [c for c in _ALPHABET if c not in self.guessed]

    def _oracle_text(self) -> str:
        guessed = frozenset(self.guessed)
        letters = [c for c in dict.fromkeys(self.word) if c not in guessed]
        if not letters:
            raise RuntimeError("the word is already revealed; reset to play again")
        pattern = self.pattern
        fitting = [w for w in self.words if _fits(w, pattern, guessed)] or [self.word]
        score = {c: sum(1 for w in fitting if c in w) for c in letters}
        return max(letters, key=lambda c: (score[c], -ord(c)))
