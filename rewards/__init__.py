"""The reward suite: terms, wrappers, shaping, normalisation, combination,
exploration bonuses, verifiable rewards and reward distances.

Modules: :mod:`.terms` (terms and their algebra), :mod:`.wrappers` (one core, with
Gymnasium, vector and PettingZoo adapters), :mod:`.shaping`, :mod:`.normalize`,
:mod:`.combine`, :mod:`.exploration`, :mod:`.verifiable`, :mod:`.metrics`, and
:mod:`.llm` (intrinsic bonuses from LLM feedback; the ``llm`` extra).

The names below are re-exported lazily, so ``import rewardgym.rewards`` imports no
submodule (and so no torch) until one of them is used.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    # terms
    "Term": "terms",
    "Transitions": "terms",
    "EnvReward": "terms",
    "InfoTerm": "terms",
    "FnTerm": "terms",
    "Constant": "terms",
    "minimum": "terms",
    "maximum": "terms",
    "weighted_sum": "terms",
    # wrappers
    "RewardCore": "wrappers",
    "RewardWrapper": "wrappers",
    "VectorRewardWrapper": "wrappers",
    "ParallelRewardWrapper": "wrappers",
    "AECRewardWrapper": "wrappers",
    "LinearScalarization": "wrappers",
    "ChebyshevScalarization": "wrappers",
    # shaping
    "Shaping": "shaping",
    "PotentialShaping": "shaping",
    "VectorPotentialShaping": "shaping",
    "check_gamma": "shaping",
    # normalisation
    "NormalizedReturn": "normalize",
    "ZScore": "normalize",
    "ReturnNormalizer": "normalize",
    "RunningZScore": "normalize",
    "grpo_advantages": "normalize",
    "gdpo_advantages": "normalize",
    "GroupNormalizer": "normalize",
    "GroupAdvantages": "normalize",
    "calibrate_process_rewards": "normalize",
    # combination
    "LogSigmoid": "combine",
    "log_sigmoid_and": "combine",
    "PAR": "combine",
    "Ensemble": "combine",
    "LagrangianConstraint": "combine",
    # exploration
    "Bonus": "exploration",
    "CountBonus": "exploration",
    "SimHash": "exploration",
    "RNDBonus": "exploration",
    "E3BBonus": "exploration",
    # verifiable
    "VerifiableTerm": "verifiable",
    "toolrl_reward": "verifiable",
    "bfcl_match": "verifiable",
    "pass_hat_k": "verifiable",
    # LLM feedback (the `llm` extra)
    "LLMFeedbackBonus": "llm.bonus",
    "LLMFeedbackTerm": "llm.bonus",
    "OpenAICompatibleAnnotator": "llm.annotators",
    "EmbeddingJudge": "llm.annotators",
    "ProcessAnnotator": "llm.process",
    "AnnotationService": "llm.service",
    # metrics
    "epic_distance": "metrics",
    "starc_distance": "metrics",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rewardgym.rewards' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
