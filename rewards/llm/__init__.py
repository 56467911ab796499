"""Intrinsic rewards from LLM feedback (ONI / Motif style), asynchronous and fault tolerant.

An environment's captions (``info["caption"]``, or ``caption_fn(obs)``) are annotated by
an LLM or by the embedded sentence-embedding judge in the background; a reward model
turns the labels into an intrinsic reward, added as a reward term.

Modules: :mod:`.bonus` (:class:`LLMFeedbackTerm`, :func:`LLMFeedbackBonus`),
:mod:`.annotators` (:class:`OpenAICompatibleAnnotator`, :class:`EmbeddingJudge`),
:mod:`.process` (:class:`ProcessAnnotator`: an annotator in a child process),
:mod:`.service` (the asynchronous :class:`AnnotationService` and its SQLite cache),
:mod:`.models` (retrieval, classification, Bradley-Terry ranking), :mod:`.prompts`
(one prompt per env family; answer parsing), :mod:`.testing_server` (a scripted
OpenAI-compatible server for tests and set-up checks).

The names below load lazily: importing this package imports neither torch, httpx nor
sentence-transformers.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "LLMFeedbackBonus": "bonus",
    "LLMFeedbackTerm": "bonus",
    "Annotator": "annotators",
    "AnnotatorUnavailable": "annotators",
    "CircuitBreaker": "annotators",
    "CircuitOpen": "annotators",
    "EmbeddingJudge": "annotators",
    "FunctionAnnotator": "annotators",
    "OpenAICompatibleAnnotator": "annotators",
    "ProcessAnnotator": "process",
    "AnnotationService": "service",
    "LabelStore": "service",
    "RewardModel": "models",
    "RetrievalModel": "models",
    "ClassificationModel": "models",
    "RankingModel": "models",
    "fit_bradley_terry": "models",
    "make_reward_model": "models",
    "Prompt": "prompts",
    "PROMPTS": "prompts",
    "get_prompt": "prompts",
    "parse_answer": "prompts",
    "ScriptedLLMServer": "testing_server",
    "ScriptedLLMProcess": "testing_server",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rewardgym.rewards.llm' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
