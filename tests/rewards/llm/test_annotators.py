"""Annotators against the real scripted server: labels, retries, malformed and chatty
answers, the circuit breaker; the embedded judge; plain functions."""

from __future__ import annotations

import time

import numpy as np
import pytest

from rewardgym.rewards.llm.annotators import (
    AnnotatorUnavailable,
    CircuitBreaker,
    CircuitOpen,
    EmbeddingJudge,
    FunctionAnnotator,
    OpenAICompatibleAnnotator,
)
from rewardgym.rewards.llm.testing_server import ScriptedLLMServer

from .conftest import KEYWORDS, SCORER

CAPTIONS = ["You find a rusty key.", "Nothing happens.", "Treasure!", "A wall."]


@pytest.fixture(scope="module")
def local():
    with ScriptedLLMServer(KEYWORDS) as srv:
        yield srv


@pytest.fixture
def srv(local):
    local.set_mode("normal", delay=1.0, latency=0.0)
    local.reset_stats()
    return local


def annotator(srv, **kw):
    kw = {"timeout": 2.0, "max_retries": 1, "backoff": 0.01, "breaker_threshold": 2,
          "breaker_cooldown": 0.3, **kw}  # fmt: skip
    return OpenAICompatibleAnnotator(srv.base_url, "scripted", prompt="text_games", **kw)


def test_labels_and_preferences_come_back_in_order(srv):
    a = annotator(srv)
    assert a.annotate("label", CAPTIONS) == [1.0, 0.0, 1.0, 0.0]
    pairs = [(CAPTIONS[1], CAPTIONS[0]), (CAPTIONS[2], CAPTIONS[0]), (CAPTIONS[1], CAPTIONS[3])]
    assert a.annotate("pair", pairs) == [0.0, 1.0, 0.5]
    s = a.stats()
    assert (s["requests"], s["calls"], s["retries"], s["unparseable"]) == (2, 2, 0, 0)
    assert srv.stats()["requests"] == {"normal": 2}
    a.close()


def test_chatty_answers_are_read(srv):
    srv.set_mode("chatty")
    a = annotator(srv)
    for _ in range(4):  # the server cycles through its chatty forms
        assert a.annotate("label", CAPTIONS) == [float(SCORER.label(c)) for c in CAPTIONS]
    assert a.stats()["unparseable"] == 0


def test_unreadable_answers_are_counted(srv):
    srv.set_mode("garbage")
    a = annotator(srv)
    assert a.annotate("label", CAPTIONS) == [None] * 4
    assert a.annotate("label", CAPTIONS[:1]) == [None]
    assert a.stats()["unparseable"] == 5 == srv.stats()["items"]["garbage"]


def test_malformed_replies_are_retried_then_fail(srv):
    srv.set_mode("malformed")
    a = annotator(srv, max_retries=2, breaker_threshold=5)
    with pytest.raises(AnnotatorUnavailable, match="3 attempt"):
        a.annotate("label", CAPTIONS)
    s = a.stats()
    assert s["malformed"] == 3 == srv.stats()["requests"]["malformed"]
    assert s["retries"] == 2 and s["breaker"] == "closed"


def test_server_errors_open_the_breaker_which_closes_after_recovery(srv):
    srv.set_mode("error")
    a = annotator(srv)
    for _ in range(2):
        with pytest.raises(AnnotatorUnavailable):
            a.annotate("label", CAPTIONS)
    assert a.stats()["http_errors"] == 4 == srv.stats()["requests"]["error"]
    assert a.breaker.state == "open" and a.available_in() > 0
    with pytest.raises(CircuitOpen):  # fails fast: nothing is sent
        a.annotate("label", CAPTIONS)
    assert srv.stats()["total_requests"] == 4
    srv.set_mode("normal")
    time.sleep(0.35)
    assert a.breaker.state == "half_open"
    assert a.annotate("label", CAPTIONS) == [1.0, 0.0, 1.0, 0.0]
    assert a.breaker.state == "closed"
    assert a.stats()["breaker_opens"] == 1


def test_half_open_probe_failure_reopens(srv):
    srv.set_mode("error")
    a = annotator(srv, breaker_threshold=1, breaker_cooldown=0.1)
    with pytest.raises(AnnotatorUnavailable):
        a.annotate("label", CAPTIONS)
    time.sleep(0.12)
    before = srv.stats()["total_requests"]
    with pytest.raises(AnnotatorUnavailable):
        a.annotate("label", CAPTIONS)  # the probe gets one attempt, no retries
    assert srv.stats()["total_requests"] == before + 1
    assert a.breaker.state == "open" and a.breaker.opens == 2


def test_slow_replies_time_out(srv):
    srv.set_mode("slow", delay=0.5)
    a = annotator(srv, timeout=0.1, max_retries=0)
    start = time.monotonic()
    with pytest.raises(AnnotatorUnavailable, match="Timeout"):
        a.annotate("label", CAPTIONS)
    assert time.monotonic() - start < 0.45
    assert a.stats()["transport_errors"] == 1


def test_connection_refused_is_a_transport_error():
    with ScriptedLLMServer(KEYWORDS) as gone:
        url = gone.base_url
    a = OpenAICompatibleAnnotator(url, "m", max_retries=1, backoff=0.01, breaker_threshold=1)
    with pytest.raises(AnnotatorUnavailable):
        a.annotate("label", ["x"])
    assert a.stats()["transport_errors"] == 2 and a.breaker.state == "open"


def test_client_errors_are_not_retried_and_say_what_to_check(srv):
    a = OpenAICompatibleAnnotator(srv.url + "/nope", "m", max_retries=3, backoff=0.01)
    with pytest.raises(AnnotatorUnavailable, match="base_url"):
        a.annotate("label", ["x"])
    assert a.stats()["requests"] == 1


def test_fingerprint_follows_model_prompt_and_goal(srv):
    base = annotator(srv).fingerprint("label")
    assert annotator(srv).fingerprint("label") == base
    assert annotator(srv, goal="escape").fingerprint("label") != base
    assert annotator(srv).fingerprint("pair") != base
    other = OpenAICompatibleAnnotator(srv.base_url, "other", prompt="text_games")
    assert other.fingerprint("label") != base


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"base_url": "localhost:8000"}, "http"),
        ({"model": ""}, "model"),
        ({"batch_size": 0}, "batch_size"),
        ({"timeout": -1}, "timeout"),
        ({"prompt": "chess"}, "no prompt"),
    ],
)
def test_bad_arguments_fail_at_construction(kwargs, match):
    args = {"base_url": "http://127.0.0.1:1/v1", "model": "m", **kwargs}
    with pytest.raises(ValueError, match=match):
        OpenAICompatibleAnnotator(**args)


def test_circuit_breaker_states_with_a_fake_clock():
    now = [0.0]
    b = CircuitBreaker(threshold=2, cooldown=5.0, clock=lambda: now[0])
    assert b.allow() and b.state == "closed"
    b.record_failure()
    b.record_success()
    b.record_failure()
    assert b.state == "closed"  # failures must be consecutive
    b.record_failure()
    assert b.state == "open" and not b.allow() and b.retry_in() == 5.0
    now[0] = 5.0
    assert b.state == "half_open"
    assert b.allow() and not b.allow()  # one trial call only
    b.record_failure()
    assert b.state == "open" and b.opens == 2
    now[0] = 10.0
    assert b.allow()
    b.record_success()
    assert b.state == "closed" and b.allow() and b.refused == 2


# -- embedded judge ---------------------------------------------------------------------------

GOAL = "Find the white lamp and put it in the battered case in the gallery."


def test_embedding_judge_scores_goal_related_captions_higher(minilm):
    judge = EmbeddingJudge(GOAL, model=minilm)
    good = ["You take the white lamp.", "You put the white lamp in the battered case."]
    bad = ["That's not a verb I recognise.", "Nothing happens.", "You eat the sweet pear."]
    labels = judge.annotate("label", good + bad)
    assert min(labels[:2]) > 0.9 and max(labels[2:]) < 0.1
    prefs = judge.annotate("pair", [(good[1], bad[0]), (bad[1], good[0])])
    assert prefs[0] > 0.99 and prefs[1] < 0.01
    assert judge.stats() == {"calls": 2, "items": 7, "loaded": True}


def test_embedding_judge_rubric_sets_the_threshold(minilm):
    judge = EmbeddingJudge(
        "Escape the dungeon.",
        positive=["You unlock the iron gate.", "You find a hidden passage."],
        negative=["You can't go that way.", "I don't understand that."],
        binary=True,
        model=minilm,
    )
    labels = judge.annotate("label", ["You unlock the wooden gate.", "You can't go there."])
    assert labels == [1.0, 0.0]
    assert judge.threshold is not None
    s = judge.scores(["You find a secret passage.", "I don't understand."])
    assert s[0] > judge.threshold > s[1]


def test_embedding_judge_needs_a_goal():
    with pytest.raises(ValueError, match="goal"):
        EmbeddingJudge("  ")


def test_function_annotator_wraps_errors():
    ok = FunctionAnnotator(lambda xs: [float(len(x) > 3) for x in xs], name="len")
    assert ok.annotate("label", ["ab", "abcd"]) == [0.0, 1.0]
    bad = FunctionAnnotator(lambda xs: 1 / 0)
    with pytest.raises(AnnotatorUnavailable, match="ZeroDivisionError"):
        bad.annotate("label", ["x"])
    short = FunctionAnnotator(lambda xs: [])
    with pytest.raises(AnnotatorUnavailable, match="0 labels for 1"):
        short.annotate("label", ["x"])
    with pytest.raises(ValueError, match="kinds"):
        ok.annotate("pair", [("a", "b")])
    assert np.isfinite(len(ok.fingerprint("label")))
