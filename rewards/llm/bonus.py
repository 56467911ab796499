"""The LLM-feedback intrinsic reward as a reward term, and the one-line wrapper.

:class:`LLMFeedbackTerm` is a stateful :class:`~rewardgym.rewards.terms.Term`: for each
transition it takes the caption of the step (``info["caption"]``, which every text
env emits, or ``caption_fn(next_obs)`` for other envs), asks its reward model for the
caption's intrinsic reward (never waiting for the annotator: see
:mod:`.service`), and fades captions repeated within an episode,

    ``r_int = value(caption) / N_ep(caption) ** decay_beta``,

with ``N_ep`` the number of times the caption has appeared in the env's current
episode, this step included (``decay_beta = 3``: the second sighting gives 1/8, the
third 1/27). It is logged like every term, under ``info["reward_terms"][name]``.

:func:`LLMFeedbackBonus` wraps an env in one call, with reward
``ext_coef * r_ext + coef * r_int``, for a Gymnasium env, a Gymnasium vector env, or a
PettingZoo Parallel or AEC env (one term per agent, sharing the annotation service and
the reward model)::

    from rewardgym.rewards.llm import LLMFeedbackBonus, OpenAICompatibleAnnotator

    annotator = OpenAICompatibleAnnotator(
        "http://127.0.0.1:8000/v1", model="Qwen/Qwen2.5-7B-Instruct", prompt="text_games"
    )
    env = LLMFeedbackBonus(env, annotator=annotator, reward_model="retrieval", coef=0.1,
                           cache_path="labels.sqlite")
    ...
    print(env.llm_feedback.counters())
    env.close()  # stops the annotation worker

With no annotator, the embedded judge (:class:`~.annotators.EmbeddingJudge`) scores
captions against ``goal``; its model loads when the term is built (seconds, once per
process). ``freeze()`` (evaluation) stops queuing new captions;
known labels still give rewards.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium.vector import VectorEnv

from ..terms import EnvReward, Term, Transitions
from ..wrappers import AECRewardWrapper, ParallelRewardWrapper, VectorRewardWrapper
from .annotators import Annotator, EmbeddingJudge
from .models import RewardModel, make_reward_model
from .service import AnnotationService

__all__ = ["LLMFeedbackBonus", "LLMFeedbackTerm"]

CaptionFn = Callable[[Any], Any]


def _row(obs: Any, i: int) -> Any:
    if isinstance(obs, dict):
        return {k: _row(v, i) for k, v in obs.items()}
    if isinstance(obs, tuple):
        return tuple(_row(v, i) for v in obs)
    return obs[i]


def _as_list(values: Any, b: int) -> list[Any]:
    if isinstance(values, (list, tuple)):
        out = list(values)
    else:
        out = np.asarray(values, dtype=object).reshape(-1).tolist()
    if len(out) != b:
        raise ValueError(f"expected {b} captions, one per transition, got {len(out)}")
    return out


class LLMFeedbackTerm(Term):
    """The LLM-feedback intrinsic reward of each transition (see the module docstring).

    Args:
        annotator: an :class:`~.annotators.Annotator`, or None / ``"embedded"`` for the
            embedded judge (needs ``goal``).
        reward_model: ``"retrieval"``, ``"classification"``, ``"ranking"`` or a
            :class:`~.models.RewardModel` (not yet attached).
        decay_beta: the fading exponent of repeated captions within an episode (>= 0).
        caption_fn: ``obs -> str``, the caption of a successor observation, for envs
            that emit no ``info["caption"]``; None reads ``info["caption"]``.
        goal: the task in words, for the embedded judge.
        cache_path: the SQLite label cache (None: in memory only).
        service: an existing :class:`~.service.AnnotationService` to share (then
            ``annotator`` and ``cache_path`` are not used).
        name: the logged name.
        max_caption_chars: longer captions are cut to this length.
        model_kwargs, service_kwargs: passed to the reward model and the service.

    ``counters()`` gives the service's counters; ``stats()`` (through the wrapper's
    ``core.stats()``) also the reward model's. ``close()`` stops the service this
    term created. :meth:`share` makes another term (own episode counts) on the same
    service and model, e.g. one per agent.
    """

    stateful = True

    def __init__(
        self,
        annotator: Annotator | Literal["embedded"] | None = None,
        reward_model: str | RewardModel = "retrieval",
        *,
        decay_beta: float = 3.0,
        caption_fn: CaptionFn | None = None,
        goal: str | None = None,
        cache_path: str | os.PathLike[str] | None = None,
        service: AnnotationService | None = None,
        name: str = "llm_feedback",
        max_caption_chars: int = 2000,
        model_kwargs: Mapping[str, Any] | None = None,
        service_kwargs: Mapping[str, Any] | None = None,
        _shared: tuple[RewardModel, AnnotationService] | None = None,
    ):
        super().__init__(name)
        beta = float(decay_beta)
        if not math.isfinite(beta) or beta < 0:
            raise ValueError(
                f"decay_beta must be a finite number >= 0 (0: no fading), got {decay_beta!r}"
            )
        if caption_fn is not None and not callable(caption_fn):
            raise TypeError(
                f"caption_fn must be callable obs -> str, got {type(caption_fn).__name__}"
            )
        if (
            isinstance(max_caption_chars, bool)
            or not isinstance(max_caption_chars, int)
            or max_caption_chars < 1
        ):
            raise ValueError(
                f"max_caption_chars must be a positive integer, got {max_caption_chars!r}"
            )
        self.decay_beta = beta
        self.caption_fn = caption_fn
        self.max_caption_chars = max_caption_chars
        self._owns_service = False
        if _shared is not None:
            self.model, self.service = _shared
        else:
            model = make_reward_model(reward_model, **dict(model_kwargs or {}))
            if model.service is not None:
                raise ValueError(
                    "the reward model is already attached to a service; pass a new one"
                )
            if service is None:
                if annotator is None or annotator == "embedded":
                    if goal is None:
                        raise ValueError(
                            "the embedded judge needs the task in words: pass goal='...', or "
                            "an annotator (e.g. OpenAICompatibleAnnotator(base_url, model))"
                        )
                    annotator = EmbeddingJudge(goal)
                    # load the model now: loading it on the worker thread would hold the
                    # GIL for seconds while stepping runs
                    annotator.warm_up()
                if not isinstance(annotator, Annotator):
                    raise TypeError(
                        "annotator must be an Annotator, 'embedded' or None, got "
                        f"{type(annotator).__name__}"
                    )
                service = AnnotationService(
                    annotator, model.kind, cache_path, **dict(service_kwargs or {})
                )
                self._owns_service = True
            elif service.kind != model.kind:
                raise ValueError(
                    f"the {type(model).__name__} needs a service of kind {model.kind!r}, "
                    f"the one given annotates {service.kind!r}"
                )
            try:
                model.attach(service)
            except Exception:
                if self._owns_service:
                    service.close()
                raise
            self.model, self.service = model, service
        self._episode: list[dict[str, int]] = []

    def share(self, name: str | None = None) -> LLMFeedbackTerm:
        """A term on the same service and reward model, with its own episode counts."""
        return LLMFeedbackTerm(
            decay_beta=self.decay_beta, caption_fn=self.caption_fn,
            name=name or self.label, max_caption_chars=self.max_caption_chars,
            _shared=(self.model, self.service),
        )  # fmt: skip

    # -- captions -------------------------------------------------------------------------------
    def _clean(self, caption: Any) -> str | None:
        if caption is None:
            return None
        text = caption if isinstance(caption, str) else str(caption)
        if not text:
            return None
        return text[: self.max_caption_chars]

    def _no_caption(self) -> LookupError:
        return LookupError(
            f"{self.label}: the env's info has no 'caption' (only text envs emit one); "
            "pass caption_fn=obs -> str to describe observations in words"
        )

    def captions(self, t: Transitions) -> list[str | None]:
        """The caption of each transition of the batch (None: no caption)."""
        b = t.batch_size
        if self.caption_fn is not None:
            return [self._clean(self.caption_fn(_row(t.next_obs, i))) for i in range(b)]
        if "caption" not in t.info:
            raise self._no_caption()
        caps = _as_list(t.info["caption"], b)
        mask = t.info.get("_caption")
        if mask is not None:
            m = np.asarray(mask, dtype=bool).reshape(-1)
            caps = [c if m[i] else None for i, c in enumerate(caps)]
        final = t.info.get("final_info")
        if t.autoreset == "same_step" and isinstance(final, dict) and "caption" in final:
            rows = np.asarray(t.info.get("_final_info", np.zeros(b, bool)), dtype=bool).reshape(-1)
            last = _as_list(final["caption"], b)
            caps = [last[i] if rows[i] else c for i, c in enumerate(caps)]
        return [self._clean(c) for c in caps]

    # -- Term -----------------------------------------------------------------------------------
    def score(self, row: int, caption: str | None) -> float:
        """The bonus of one transition of env ``row`` with ``caption`` (counted in the
        row's episode); what :meth:`compute` does for each valid row."""
        if caption is None:
            return 0.0
        while len(self._episode) <= row:
            self._episode.append({})
        counts = self._episode[row]
        n = counts.get(caption, 0) + 1
        counts[caption] = n
        v = self.model.value(caption, self.training)
        return v if n == 1 or v == 0.0 else v / n**self.decay_beta

    def compute(self, t: Transitions, values: Callable[[Term], np.ndarray]) -> np.ndarray:
        b = t.batch_size
        captions = self.captions(t)
        if len(self._episode) != b:
            self._episode = [{} for _ in range(b)]
        valid = t.valid
        out = np.zeros(b)
        for i, caption in enumerate(captions):
            if valid is None or valid[i]:
                out[i] = self.score(i, caption)
        return out

    def reset(self, mask: np.ndarray | None = None) -> None:
        if mask is None:
            for counts in self._episode:
                counts.clear()
            return
        m = np.asarray(mask, dtype=bool).reshape(-1)
        for i in np.flatnonzero(m[: len(self._episode)]):
            self._episode[i].clear()

    def counters(self) -> dict[str, float]:
        """The annotation service's counters (queued, in flight, answered, ...)."""
        return self.service.counters()

    def _own_stats(self) -> dict[str, float]:
        out = {k: v for k, v in self.service.counters().items()}
        out.update({f"model/{k}": v for k, v in self.model.stats().items()})
        return out

    def close(self) -> None:
        """Stop the annotation service if this term created it (pending captions stay
        in the cache file and are sent by the next run)."""
        if self._owns_service:
            self.service.close()


# -- wrappers ---------------------------------------------------------------------------------


class _ClosesTerm:
    """Closes the LLM-feedback term's service with the env."""

    llm_feedback: LLMFeedbackTerm

    def close(self, **kwargs: Any) -> None:
        try:
            super().close(**kwargs)  # type: ignore[misc]
        finally:
            term = getattr(self, "llm_feedback", None)
            if term is not None:
                term.close()


class _LLMRewardWrapper(_ClosesTerm, gym.Wrapper[Any, Any, Any, Any]):
    """A Gymnasium env with reward ``ext_coef * r + coef * r_int``: what
    ``RewardWrapper(env, ext_coef * EnvReward() + coef * term)`` gives (same reward, same
    ``info["reward_terms"]``), in a few microseconds per step instead of the general
    expression evaluation (a test ties the two together)."""

    def __init__(self, env: gym.Env[Any, Any], term: LLMFeedbackTerm, coef: float, ext_coef: float):
        super().__init__(env)
        self.llm_feedback = term
        self.coef, self.ext_coef = float(coef), float(ext_coef)
        self._name = term.label

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        self.llm_feedback.reset(None)
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        term = self.llm_feedback
        if term.caption_fn is not None:
            caption = term._clean(term.caption_fn(obs))
        elif "caption" in info:
            caption = term._clean(info["caption"])
        else:
            raise term._no_caption()
        r_ext = float(reward)
        bonus = term.score(0, caption)
        terms = dict(info.get("reward_terms", {}))
        terms["env"] = r_ext
        terms[self._name] = bonus
        info = {**info, "reward_terms": terms}
        return obs, self.ext_coef * r_ext + self.coef * bonus, terminated, truncated, info

    def freeze(self) -> None:
        """Stop queuing new captions (evaluation)."""
        self.llm_feedback.freeze()

    def unfreeze(self) -> None:
        self.llm_feedback.unfreeze()


class _LLMVectorRewardWrapper(_ClosesTerm, VectorRewardWrapper):
    pass


class _LLMParallelRewardWrapper(_ClosesTerm, ParallelRewardWrapper):
    pass


class _LLMAECRewardWrapper(_ClosesTerm, AECRewardWrapper):
    pass


def _is_pettingzoo(env: Any) -> str | None:
    try:
        from pettingzoo.utils.env import AECEnv, ParallelEnv
    except ImportError:  # pragma: no cover - pettingzoo is a dependency
        return None
    if isinstance(env, ParallelEnv):
        return "parallel"
    if isinstance(env, AECEnv):
        return "aec"
    return None


def LLMFeedbackBonus(
    env: Any,
    annotator: Annotator | Literal["embedded"] | None = None,
    reward_model: str | RewardModel = "retrieval",
    coef: float = 0.1,
    decay_beta: float = 3.0,
    caption_fn: CaptionFn | None = None,
    *,
    ext_coef: float = 1.0,
    goal: str | None = None,
    cache_path: str | os.PathLike[str] | None = None,
    name: str = "llm_feedback",
    model_kwargs: Mapping[str, Any] | None = None,
    service_kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """``env`` with reward ``ext_coef * r_ext + coef * r_int``, ``r_int`` the
    :class:`LLMFeedbackTerm` (arguments as there).

    Works on a Gymnasium env (a wrapper equivalent to
    ``RewardWrapper(env, ext_coef * EnvReward() + coef * term)``, specialised for speed),
    a Gymnasium vector env (``VectorRewardWrapper``) and a PettingZoo Parallel or AEC env
    (``ParallelRewardWrapper`` / ``AECRewardWrapper``, one term per agent, sharing the
    service and the reward model). The env's reward is logged as
    ``info["reward_terms"]["env"]`` and the bonus (before ``coef``) under ``name``.
    The returned wrapper's ``llm_feedback`` is the term (``.counters()``,
    ``.service``, ``.model``); closing the wrapper stops the annotation worker.
    """
    for label, c in (("coef", coef), ("ext_coef", ext_coef)):
        if not math.isfinite(float(c)):
            raise ValueError(f"{label} must be finite, got {c!r}")
    term = LLMFeedbackTerm(
        annotator, reward_model, decay_beta=decay_beta, caption_fn=caption_fn, goal=goal,
        cache_path=cache_path, name=name, model_kwargs=model_kwargs,
        service_kwargs=service_kwargs,
    )  # fmt: skip

    def reward_of(t: LLMFeedbackTerm) -> Term:
        return float(ext_coef) * EnvReward() + float(coef) * t

    wrapper: Any
    try:
        if isinstance(env, VectorEnv):
            wrapper = _LLMVectorRewardWrapper(env, reward_of(term))
        elif isinstance(env, gym.Env):
            wrapper = _LLMRewardWrapper(env, term, coef, ext_coef)
        else:
            kind = _is_pettingzoo(env)
            if kind is None:
                raise TypeError(
                    "env must be a Gymnasium Env or VectorEnv, or a PettingZoo Parallel or AEC "
                    f"env, got {type(env).__name__}"
                )
            first = [True]

            def per_agent(agent: str) -> Term:
                if first[0]:
                    first[0] = False
                    return reward_of(term)
                return reward_of(term.share())

            cls = _LLMParallelRewardWrapper if kind == "parallel" else _LLMAECRewardWrapper
            wrapper = cls(env, per_agent)
    except Exception:
        term.close()
        raise
    wrapper.llm_feedback = term
    return wrapper
