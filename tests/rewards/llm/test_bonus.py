"""The LLM-feedback term and wrapper: fading of repeats, every env kind (single, vector,
PettingZoo Parallel and AEC), the embedded default, the three reward models end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import rewardgym  # noqa: F401  (registers the envs)
from rewardgym.envs.text import TextEnv, TextStep
from rewardgym.rewards.llm import LLMFeedbackBonus, LLMFeedbackTerm
from rewardgym.rewards.llm.annotators import FunctionAnnotator, OpenAICompatibleAnnotator
from rewardgym.rewards.terms import EnvReward
from rewardgym.rewards.wrappers import RewardWrapper

from .conftest import SCORER, Vault, step_until, wait_for


class Echo(TextEnv):
    """The caption is what the agent said; episodes end on "bye"."""

    def _reset_task(self, options: dict[str, Any] | None) -> TextStep:
        return TextStep("say something")

    def _step_text(self, action: str) -> TextStep:
        return TextStep(action, {"said": 1.0}, terminated=action == "bye")

    def _candidates(self) -> list[str]:
        return []


def keyword_annotator(**kw: Any) -> FunctionAnnotator:
    return FunctionAnnotator(lambda xs: [float(SCORER.label(x)) for x in xs], name="kw", **kw)


def echo_bonus(**kw: Any) -> Any:
    kw = {"annotator": keyword_annotator(), "coef": 1.0, **kw}
    return LLMFeedbackBonus(Echo(), **kw)


def test_repeated_captions_fade_as_one_over_n_to_the_beta():
    for beta, expected in (
        (3.0, [1, 1 / 8, 1 / 27]),
        (0.0, [1, 1, 1]),
        (1.5, [1, 2**-1.5, 3**-1.5]),
    ):
        env = echo_bonus(decay_beta=beta)
        svc = env.llm_feedback.service
        svc.request("a key")
        assert svc.wait_idle(5)
        env.reset(seed=0)
        got = [env.step("a key")[4]["reward_terms"]["llm_feedback"] for _ in range(3)]
        assert np.allclose(got, expected)
        assert env.step("other")[4]["reward_terms"]["llm_feedback"] == 0.0
        env.reset()
        _, reward, _, _, info = env.step("a key")
        assert info["reward_terms"]["llm_feedback"] == 1.0  # a new episode starts over
        assert reward == info["reward_terms"]["env"] + 1.0
        env.close()
        assert not svc.running


def test_the_bonus_is_zero_until_the_label_arrives():
    env = echo_bonus()
    env.reset(seed=0)
    first = env.step("the key")[4]["reward_terms"]["llm_feedback"]
    assert first == 0.0
    assert env.llm_feedback.service.wait_idle(5)
    env.reset()
    assert env.step("the key")[4]["reward_terms"]["llm_feedback"] == 1.0
    c = env.llm_feedback.counters()
    assert c["answered"] == 1 and c["labels"] == 1
    env.close()


def test_freeze_stops_queuing_new_captions():
    env = echo_bonus()
    env.reset(seed=0)
    env.freeze()
    env.step("a key")
    assert env.llm_feedback.service.wait_idle(2)
    assert env.llm_feedback.counters()["answered"] == 0
    env.unfreeze()
    env.step("a key")
    assert env.llm_feedback.service.wait_idle(5)
    assert env.llm_feedback.counters()["answered"] == 1
    env.close()


def test_the_term_composes_like_any_term():
    term = LLMFeedbackTerm(keyword_annotator(), name="llm")
    env = RewardWrapper(Echo(), EnvReward() + 0.5 * term.clip(0, 0.5))
    term.service.request("key")
    term.service.wait_idle(5)
    env.reset(seed=0)
    _, reward, _, _, info = env.step("key")
    assert info["reward_terms"]["llm"] == 1.0 and reward == 1.25
    stats = env.core.stats()
    assert stats["llm/answered"] == 1.0 and "llm/mean_latency_s" in stats
    term.close()


def test_the_single_env_wrapper_matches_the_general_reward_wrapper():
    """LLMFeedbackBonus on a Gymnasium env is a fast path of
    RewardWrapper(env, ext_coef * EnvReward() + coef * term): same rewards, same logs."""
    fast = LLMFeedbackBonus(
        Vault(), annotator=keyword_annotator(), coef=0.7, ext_coef=2.0, decay_beta=1.5
    )
    term = LLMFeedbackTerm(keyword_annotator(), decay_beta=1.5)
    slow = RewardWrapper(Vault(), 2.0 * EnvReward() + 0.7 * term)
    for svc in (fast.llm_feedback.service, term.service):
        for c in Vault().all_captions():
            svc.request(c)
        assert svc.wait_idle(5)
    rng = np.random.default_rng(7)
    for env in (fast, slow):
        env.reset(seed=3)
    for _ in range(300):
        action = int(rng.integers(6))
        a, b = fast.step(action), slow.step(action)
        assert a[1] == pytest.approx(b[1], abs=1e-12) and a[2:4] == b[2:4]
        assert a[4]["reward_terms"] == pytest.approx(b[4]["reward_terms"], abs=1e-12)
        if a[2] or a[3]:
            fast.reset()
            slow.reset()
    fast.close()
    term.close()


def cartpole_caption(obs: np.ndarray) -> str:
    angle = float(obs[2])
    if abs(angle) < 0.05:
        return "the pole is upright"
    return "the pole leans left" if angle < 0 else "the pole leans right"


def test_vector_env_with_caption_fn():
    n = 8
    envs = gym.make_vec(
        "rewardgym/CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point"
    )
    upright = FunctionAnnotator(lambda xs: [float("upright" in x) for x in xs], name="upright")
    envs = LLMFeedbackBonus(envs, annotator=upright, coef=0.5, caption_fn=cartpole_caption)
    envs.reset(seed=0)
    svc = envs.llm_feedback.service
    for c in ("the pole is upright", "the pole leans left", "the pole leans right"):
        svc.request(c)
    assert svc.wait_idle(5)
    rng = np.random.default_rng(0)
    prev_done = np.zeros(n, bool)
    seen_positive = False
    for _ in range(300):
        _, reward, term, trunc, info = envs.step(rng.integers(0, 2, n))
        bonus = info["reward_terms"]["llm_feedback"]
        assert bonus.shape == (n,)
        assert np.all(bonus[prev_done] == 0)  # NEXT_STEP reset rows are no transition
        assert np.allclose(reward, info["reward_terms"]["env"] + 0.5 * bonus)
        seen_positive |= bool((bonus == 1.0).any())
        prev_done = term | trunc
    assert seen_positive
    assert svc.counters()["answered"] == 3  # three captions in all, each asked once
    envs.close()


def test_gymnasium_vector_text_env_reads_info_captions():
    gym.register("rewardgym-test/Vault-v0", entry_point=Vault)
    try:
        envs = gym.make_vec("rewardgym-test/Vault-v0", num_envs=3, vectorization_mode="sync")
        envs = LLMFeedbackBonus(envs, annotator=keyword_annotator(), coef=1.0)
        envs.reset(seed=0)
        rng = np.random.default_rng(0)
        for _ in range(30):
            envs.step(rng.integers(0, 6, 3))
        svc = envs.llm_feedback.service
        assert svc.wait_idle(5)
        got = []
        for _ in range(60):
            _, _, _, _, info = envs.step(np.zeros(3, dtype=np.int64))  # always "search"
            got.append(info["reward_terms"]["llm_feedback"])
        assert (np.asarray(got) == 1.0).any()  # a key, first seen in an episode
        envs.close()
    finally:
        del gym.registry["rewardgym-test/Vault-v0"]


def tiny_caption(obs: np.ndarray) -> str:
    return f"round {int(obs[0])}" + (": you find a key" if int(obs[0]) == 2 else "")


def test_pettingzoo_parallel_and_aec():
    import pz_tiny

    for kind in ("parallel", "aec"):
        base = pz_tiny.parallel_env() if kind == "parallel" else pz_tiny.env()
        env = LLMFeedbackBonus(
            base, annotator=keyword_annotator(), coef=1.0, caption_fn=tiny_caption
        )
        svc = env.llm_feedback.service
        for k in range(1, 8):
            svc.request(tiny_caption(np.array([k])))
        assert svc.wait_idle(5)
        found = {a: 0.0 for a in base.possible_agents}
        for seed in range(3):
            if kind == "parallel":
                env.reset(seed=seed)
                while env.agents:
                    _, _, _, _, infos = env.step({a: 1 for a in env.agents})
                    for a, info in infos.items():
                        found[a] += info["reward_terms"]["llm_feedback"]
            else:
                env.reset(seed=seed)
                for agent in env.agent_iter():
                    _, _, term, trunc, info = env.last()
                    found[agent] += info.get("reward_terms", {}).get("llm_feedback", 0.0)
                    env.step(None if term or trunc else 1)
        assert all(v > 0 for v in found.values()), (kind, found)
        assert svc.counters()["answered"] == 7  # one shared service for both agents
        env.close()
        assert not svc.running


def test_risk_board_game_with_caption_fn():
    from rewardgym.envs.risk import risk_v0

    def share(obs: dict[str, np.ndarray]) -> str:
        owned = obs["observation"][:8].reshape(4, 2)[:, 0].sum()  # tiny4, 2 players
        return f"you hold {int(owned)} of 4 territories"

    env = LLMFeedbackBonus(
        risk_v0.env(map="tiny4", max_turns=30),
        annotator=FunctionAnnotator(lambda xs: [float(x[9]) / 4 for x in xs], name="share"),
        coef=1.0, caption_fn=share,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    steps, logged, total = 0, 0, 0.0
    for seed in range(3):  # the first game queues the captions, later ones are labelled
        env.reset(seed=seed)
        for _agent in env.agent_iter(max_iter=400):
            obs, _, term, trunc, info = env.last()
            if "llm_feedback" in info.get("reward_terms", {}):
                logged += 1
                total += info["reward_terms"]["llm_feedback"]
            action = None
            if not (term or trunc):
                action = int(rng.choice(np.flatnonzero(obs["action_mask"])))
            env.step(action)
            steps += 1
        assert env.llm_feedback.service.wait_idle(5)
    assert 1 <= env.llm_feedback.counters()["answered"] <= 5
    # Every selection but each player's first of a game ends a turn of that player,
    # whose values are logged (2 players, 3 games).
    assert steps > 30 and logged == steps - 2 * 3 and total > 0
    env.close()


def test_clear_errors():
    with pytest.raises(LookupError, match="caption_fn"):
        env = LLMFeedbackBonus(gym.make("rewardgym/CartPole-v1"), annotator=keyword_annotator())
        env.reset(seed=0)
        try:
            env.step(0)
        finally:
            env.close()
    with pytest.raises(ValueError, match="goal="):
        LLMFeedbackBonus(Echo())
    with pytest.raises(ValueError, match="decay_beta"):
        echo_bonus(decay_beta=-1)
    with pytest.raises(ValueError, match="reward_model"):
        echo_bonus(reward_model="oracle")
    with pytest.raises(TypeError, match="PettingZoo"):
        LLMFeedbackBonus(object(), annotator=keyword_annotator())
    with pytest.raises(ValueError, match="kind"):
        echo_bonus(reward_model="ranking")  # the keyword annotator labels, it cannot compare


def test_embedded_judge_is_the_default(minilm):
    env = LLMFeedbackBonus(
        Vault(action_mode="discrete"), goal="Find the key and the treasure.", coef=1.0,
        model_kwargs=None, service_kwargs={"batch_wait": 0.0},
    )  # fmt: skip
    env.reset(seed=0)
    rng = np.random.default_rng(7)  # not the env's seed: actions and rooms stay independent
    svc = env.llm_feedback.service
    step_until(env, rng, lambda: svc.counters()["labels"] >= 24, timeout=60)
    labels = svc.labels()
    key = [v for c, v in labels.items() if "key" in c or "treasure" in c]
    other = [v for c, v in labels.items() if not ("key" in c or "treasure" in c)]
    assert min(key) > max(other)
    assert svc.stats()["annotator/loaded"] is True
    env.close()


def test_classification_and_ranking_end_to_end_through_the_server(fresh_server):
    def annotator() -> OpenAICompatibleAnnotator:
        return OpenAICompatibleAnnotator(fresh_server.base_url, "scripted", prompt="text_games")

    rng = np.random.default_rng(7)
    env = LLMFeedbackBonus(
        Vault(), annotator=annotator(), reward_model="classification", coef=1.0,
        model_kwargs={"steps_per_update": 50}, service_kwargs={"batch_wait": 0.0},
    )  # fmt: skip
    env.reset(seed=0)
    model = env.llm_feedback.model
    step_until(env, rng, lambda: model.stats()["labels"] >= 24, timeout=30)
    model.fit([], [], steps=200)
    env.unwrapped.tag = "b"  # unseen captions: the classifier's estimate applies at once
    unseen = env.unwrapped.all_captions()
    values = [model.value(c, submit=False) for c in unseen]
    accuracy = np.mean([v == SCORER.label(c) for v, c in zip(values, unseen, strict=True)])
    assert accuracy > 0.9
    env.close()

    env = LLMFeedbackBonus(
        Vault(), annotator=annotator(), reward_model="ranking", coef=1.0,
        model_kwargs={"pairs_per_caption": 6, "refit_every": 4},
        service_kwargs={"batch_wait": 0.0},
    )  # fmt: skip
    env.reset(seed=0)
    model = env.llm_feedback.model
    svc = env.llm_feedback.service
    step_until(
        env, rng, lambda: model.stats()["captions"] >= 24 and svc.wait_idle(0.01), timeout=30
    )
    model.fit([], [])
    scores = model.scores()
    treasure = [s for c, s in scores.items() if "treasure" in c]
    key = [s for c, s in scores.items() if "key" in c]
    rest = [s for c, s in scores.items() if "key" not in c and "treasure" not in c]
    assert min(treasure) > max(key) > max(rest)  # the scripted scores: 2 > 1 > 0
    rewards = model.rewards()
    assert all(rewards[c] > 0 for c in scores if "treasure" in c)
    assert sum(v == 0 for v in rewards.values()) >= len(rewards) // 2
    env.close()


def test_importing_the_package_stays_light():
    code = (
        "import sys, json, rewardgym.rewards, rewardgym.rewards.llm, rewardgym.rewards.llm.bonus;"
        "json.dump(sorted(sys.modules), sys.stdout)"
    )
    mods = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout
    )
    for heavy in ("torch", "httpx", "sentence_transformers", "transformers"):
        assert heavy not in mods


def test_close_is_idempotent_and_wait_for_helper():
    env = echo_bonus()
    env.close()
    env.close()
    wait_for(lambda: not env.llm_feedback.service.running, timeout=2)
