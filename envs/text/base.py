"""The base class of every text environment (tool use, web, text games).

A text env reads like a conversation: the observation is text, the action is what
an agent writes back. :class:`TextEnv` owns everything the families share, so that
each family only writes its task logic:

* **Two action modes.** ``action_mode="text"`` (default): the action is free text
  (:class:`~rewardgym.envs.text.spaces.UnicodeText`) and the observation is the text
  an LLM reads. ``action_mode="discrete"``: the action is an index into the
  admissible actions the env lists (its *candidates*), the observation is a dict of
  numeric features with an ``action_mask``, and :meth:`TextEnv.action_masks` serves
  sb3-contrib's MaskablePPO, so classic RL agents train on the same tasks.
* **The info contract.** Every step's ``info`` carries ``success`` (bool),
  ``error`` (``None`` or one of :data:`ERROR_KINDS`) with ``error_message``,
  ``caption`` (the text this step produced, for LLM-feedback bonuses),
  ``reward_terms`` (name -> value, every component of the reward), ``text`` (the
  observation text, in both modes), ``turn``, and ``candidates`` in discrete mode.
* **Bad input never raises.** Non-strings, binary data, invalid unicode, oversize
  text, out-of-range or masked indices, and anything a family rejects by raising
  :class:`ActionError` become an observation that says what was wrong, a recorded
  error kind and the configured ``invalid_action_penalty``.
* **The oracle.** :meth:`TextEnv.oracle_action` returns the family's known solution
  step in the current action mode (text, or its index among the candidates).

A family subclasses :class:`TextEnv` and implements :meth:`TextEnv._reset_task`,
:meth:`TextEnv._step_text` and :meth:`TextEnv._candidates` (and
:meth:`TextEnv._oracle_text` when its tasks have a known solution).
"""

from __future__ import annotations

import functools
import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rewardgym.envs.text.spaces import UnicodeText

__all__ = [
    "ERROR_KINDS",
    "ActionError",
    "TextEnv",
    "TextStep",
    "hash_features",
]

ErrorKind = Literal["parse", "illegal", "execution", "timeout"]
#: The error taxonomy of ``info["error"]``: ``parse`` (the action could not be read:
#: malformed JSON, binary data, oversize text), ``illegal`` (read, but not allowed
#: here: unknown tool, masked index, impossible move), ``execution`` (allowed, but
#: it failed when carried out: a tool raised, a constraint was violated) and
#: ``timeout`` (the action took too long).
ERROR_KINDS: tuple[str, ...] = ("parse", "illegal", "execution", "timeout")

ActionMode = Literal["text", "discrete"]

# C0 control characters other than tab, newline and carriage return, and DEL: a
# string containing them is binary data, not text a model meant to write.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TOKEN = re.compile(r"\w+", re.UNICODE)


class ActionError(Exception):
    """Raised by a family's step logic to reject an action.

    The base turns it into an observation (``message`` is shown to the agent), sets
    ``info["error"] = kind`` and applies the invalid-action penalty; the env's state
    is unchanged unless the family changed it before raising.
    """

    def __init__(self, kind: str, message: str):
        if kind not in ERROR_KINDS:
            raise ValueError(f"error kind must be one of {ERROR_KINDS}, got {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class TextStep:
    """What a family's reset or step produced.

    ``reward`` defaults to the sum of ``reward_terms``; set it to use another
    combination (the terms are still logged). ``caption`` defaults to
    ``observation``. ``info`` adds family-specific entries to the step's info.
    """

    observation: str
    reward_terms: dict[str, float] = field(default_factory=dict)
    reward: float | None = None
    terminated: bool = False
    truncated: bool = False
    success: bool = False
    caption: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


def hash_features(text: str, dim: int) -> np.ndarray:
    """A bag of words hashed into ``dim`` buckets (CRC32, so it is the same in every
    process), L2-normalised: a fixed-size numeric view of text for classic RL agents.

    >>> v = hash_features("take the key; take the lamp", 16)
    >>> v.shape, round(float(np.linalg.norm(v)), 6)
    ((16,), 1.0)
    >>> float(hash_features("", 16).sum())
    0.0
    """
    buckets = [
        zlib.crc32(token.encode("utf-8", "surrogatepass")) % dim
        for token in _TOKEN.findall(text.lower())
    ]
    out = np.bincount(buckets, minlength=dim).astype(np.float32)
    norm = float(np.linalg.norm(out))
    if norm > 0:
        out /= norm
    return out


@functools.lru_cache(maxsize=4096)
def _cached_features(text: str, dim: int) -> np.ndarray:
    """:func:`hash_features`, cached (read-only): discrete-mode observations hash the
    same candidate commands and room texts step after step."""
    out = hash_features(text, dim)
    out.setflags(write=False)
    return out


class TextEnv(gym.Env[Any, Any]):
    """Base class of text environments; see the module docstring for the contract.

    Args:
        action_mode: ``"text"`` (free text, the default) or ``"discrete"`` (an index
            over the env's candidate actions, with an action mask).
        max_action_length: the longest text action accepted, in characters; longer
            text is rejected as a ``parse`` error (text mode).
        max_observation_length: observations longer than this are cut, with a note.
        max_candidates: the size ``K`` of the discrete action space; when an env
            lists more candidates, the first ``K`` are offered.
        feature_dim: size of the hashed bag-of-words observation features
            (discrete mode); candidates get ``candidate_feature_dim`` each.
        invalid_action_penalty: the reward term ``invalid`` (negated) of a rejected
            action; ``>= 0``.
        render_mode: ``"ansi"`` (``render()`` returns the transcript of the last
            step) or ``"human"`` (prints it).
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 2}  # noqa: RUF012

    def __init__(
        self,
        *,
        action_mode: ActionMode = "text",
        max_action_length: int = 8192,
        max_observation_length: int = 32_768,
        max_candidates: int = 32,
        feature_dim: int = 256,
        candidate_feature_dim: int = 32,
        invalid_action_penalty: float = 1.0,
        render_mode: str | None = None,
    ) -> None:
        if action_mode not in ("text", "discrete"):
            raise ValueError(
                f"action_mode must be 'text' (free text) or 'discrete' (index over the "
                f"admissible actions), got {action_mode!r}"
            )
        for name, value in (
            ("max_action_length", max_action_length),
            ("max_observation_length", max_observation_length),
            ("max_candidates", max_candidates),
            ("feature_dim", feature_dim),
            ("candidate_feature_dim", candidate_feature_dim),
        ):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not np.isfinite(invalid_action_penalty) or invalid_action_penalty < 0:
            raise ValueError(
                "invalid_action_penalty is subtracted from the reward of a rejected "
                f"action; pass a finite value >= 0, got {invalid_action_penalty!r}"
            )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, "
                f"got {render_mode!r}"
            )
        self.action_mode: ActionMode = action_mode
        self.max_action_length = int(max_action_length)
        self.max_observation_length = int(max_observation_length)
        self.max_candidates = int(max_candidates)
        self.feature_dim = int(feature_dim)
        self.candidate_feature_dim = int(candidate_feature_dim)
        self.invalid_action_penalty = float(invalid_action_penalty)
        self.render_mode = render_mode

        self.action_space: spaces.Space[Any]
        self.observation_space: spaces.Space[Any]
        if action_mode == "text":
            self.action_space = UnicodeText(self.max_action_length)
            self.observation_space = UnicodeText(self.max_observation_length)
        else:
            k = self.max_candidates
            self.action_space = spaces.Discrete(k)
            self.observation_space = spaces.Dict(
                {
                    "observation": spaces.Box(0.0, 1.0, (self.feature_dim,), np.float32),
                    "candidates": spaces.Box(0.0, 1.0, (k, self.candidate_feature_dim), np.float32),
                    "action_mask": spaces.Box(0, 1, (k,), np.int8),
                }
            )
        self.turn = 0
        self._text = ""
        self._candidate_list: list[str] = []
        self._transcript = ""

    # -- what a family implements ----------------------------------------------------

    def _reset_task(self, options: dict[str, Any] | None) -> TextStep:
        """Start a new task (draw it from ``self.np_random``); return the first
        observation (its reward fields are ignored)."""
        raise NotImplementedError

    def _step_text(self, action: str) -> TextStep:
        """Carry out a text action; raise :class:`ActionError` to reject it."""
        raise NotImplementedError

    def _candidates(self) -> list[str]:
        """The admissible actions in the current state, as text (discrete mode lists
        them in this order; a solution's next action should be among the first
        ``max_candidates``)."""
        raise NotImplementedError

    def _oracle_text(self) -> str:
        """The next action of a known solution, as text."""
        raise NotImplementedError(f"{type(self).__name__} has no known solution")

    def _on_error(self, error: ActionError) -> TextStep:
        """The step a rejected action produces. Default: the message, then the
        current observation again; reward term ``invalid`` = -penalty."""
        message = f"[{error.kind} error] {error.message}"
        return TextStep(
            observation=f"{message}\n\n{self._text}" if self._text else message,
            reward_terms={"invalid": -self.invalid_action_penalty},
            caption=message,
        )

    # -- Gymnasium API -----------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        super().reset(seed=seed)
        self.turn = 0
        first = self._reset_task(options)
        self._transcript = first.observation
        obs, _, _, _, info = self._finish(first, error=None, with_reward=False)
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        self.turn += 1
        error: ActionError | None = None
        shown = ""
        try:
            text = self._read_action(action)
            shown = text
            outcome = self._step_text(text)
        except ActionError as exc:
            error = exc
            outcome = self._on_error(exc)
        self._transcript = f"> {_preview(shown)}\n{outcome.observation}"
        obs, reward, terminated, truncated, info = self._finish(outcome, error, with_reward=True)
        if self.render_mode == "human":
            self.render()
        return obs, reward, terminated, truncated, info

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self._transcript
        if self.render_mode == "human":
            print(self._transcript)
        return None

    def action_masks(self) -> np.ndarray:
        """Boolean mask of the legal discrete actions (sb3-contrib MaskablePPO)."""
        mask = np.zeros(self.max_candidates, dtype=bool)
        mask[: len(self._candidate_list)] = True
        return mask

    def oracle_action(self) -> Any:
        """The next action of a known solution: its text in text mode, its index
        among the candidates in discrete mode."""
        text = self._oracle_text()
        if self.action_mode == "text":
            return text
        try:
            return self._candidate_list.index(text)
        except ValueError:
            raise RuntimeError(
                f"{type(self).__name__}: the solution's next action {text!r} is not among "
                f"the first {self.max_candidates} candidates; raise max_candidates"
            ) from None

    @property
    def candidates(self) -> list[str]:
        """The admissible actions offered in discrete mode (as text; empty in text
        mode, where the family's own ``info`` lists them if it has them)."""
        return list(self._candidate_list)

    # -- shared machinery --------------------------------------------------------------

    def _read_action(self, action: Any) -> str:
        """Turn the agent's action into text, or raise :class:`ActionError`."""
        if self.action_mode == "discrete":
            if isinstance(action, np.ndarray) and action.shape == ():
                action = action.item()
            if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
                raise ActionError(
                    "parse", f"expected an integer action index, got {type(action).__name__}"
                )
            index = int(action)
            if not 0 <= index < len(self._candidate_list):
                raise ActionError(
                    "illegal",
                    f"action {index} is not available here: choose one of the "
                    f"{len(self._candidate_list)} unmasked actions",
                )
            return self._candidate_list[index]
        if isinstance(action, (bytes, bytearray)):
            raise ActionError("parse", "the action is bytes, not text; decode it first")
        if not isinstance(action, str):
            raise ActionError("parse", f"the action must be text, got {type(action).__name__}")
        if len(action) > self.max_action_length:
            raise ActionError(
                "parse",
                f"the action is {len(action)} characters long; the limit is "
                f"{self.max_action_length}",
            )
        try:
            action.encode("utf-8")
        except UnicodeEncodeError:
            raise ActionError(
                "parse", "the action is not valid unicode (it has lone surrogates)"
            ) from None
        match = _BINARY.search(action)
        if match is not None:
            raise ActionError(
                "parse",
                f"the action contains the control character {match.group()!r} at "
                f"position {match.start()}: binary data is not accepted",
            )
        return action

    def _clip(self, text: str) -> str:
        limit = self.max_observation_length
        if len(text) <= limit:
            return text
        note = f"\n[... cut {len(text) - limit} characters]"
        return text[: max(0, limit - len(note))] + note

    def _finish(
        self, outcome: TextStep, error: ActionError | None, *, with_reward: bool
    ) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        self._text = self._clip(outcome.observation)
        terms = {k: float(v) for k, v in outcome.reward_terms.items()}
        reward = float(outcome.reward) if outcome.reward is not None else float(sum(terms.values()))
        finished = outcome.terminated or outcome.truncated
        # Candidates are listed only where they are the action space (discrete mode);
        # a family that wants them in text mode too puts them in its info.
        if self.action_mode == "discrete" and not finished:
            self._candidate_list = self._candidates()[: self.max_candidates]
        else:
            self._candidate_list = []
        info: dict[str, Any] = {
            "success": bool(outcome.success),
            "error": None if error is None else error.kind,
            "error_message": None if error is None else error.message,
            "caption": outcome.caption if outcome.caption is not None else outcome.observation,
            "text": self._text,
            "turn": self.turn,
        }
        if with_reward:
            info["reward_terms"] = terms
        if self.action_mode == "discrete":
            info["candidates"] = list(self._candidate_list)
            info["action_mask"] = self.action_masks().astype(np.int8)
        info.update(outcome.info)
        return (
            self._observation(),
            reward,
            bool(outcome.terminated),
            bool(outcome.truncated),
            info,
        )

    def _observation(self) -> Any:
        if self.action_mode == "text":
            return self._text
        k, d = self.max_candidates, self.candidate_feature_dim
        cand = np.zeros((k, d), dtype=np.float32)
        for i, text in enumerate(self._candidate_list):
            cand[i] = _cached_features(text, d)
        return {
            "observation": _cached_features(self._text, self.feature_dim).copy(),
            "candidates": cand,
            "action_mask": self.action_masks().astype(np.int8),
        }


def _preview(text: str, limit: int = 200) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."
