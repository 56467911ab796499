"""A text env runs with the LLM bonus for thousands of steps against the real scripted
server while it answers normally, slowly, with 500s, malformed and chatty replies,
unreadable ones, and is killed mid-run and restarted. Stepping never stops, the bonus
appears once labels arrive, no answered label is lost, pending captions are annotated
after the restart, the breaker opens and closes, and the counters agree with what
the server saw."""

from __future__ import annotations

import time

import numpy as np
import pytest

from rewardgym.rewards.llm import LLMFeedbackBonus
from rewardgym.rewards.llm.annotators import OpenAICompatibleAnnotator
from rewardgym.rewards.llm.service import LabelStore
from rewardgym.rewards.llm.testing_server import ScriptedLLMProcess

from .conftest import KEYWORDS, SCORER, Vault, step_until, wait_for

#: No single step may take this long, whatever the server does (its slow replies take
#: 0.6 s, a dead server's calls fail after retries and backoff).
MAX_STEP_S = 0.3


@pytest.fixture
def faulty():
    """A server of this test's own: it gets killed and restarted."""
    with ScriptedLLMProcess(KEYWORDS) as srv:
        yield srv


def annotator(srv: ScriptedLLMProcess) -> OpenAICompatibleAnnotator:
    return OpenAICompatibleAnnotator(
        srv.base_url, "scripted", prompt="text_games", batch_size=8, timeout=1.0,
        max_retries=1, backoff=0.02, max_backoff=0.1, breaker_threshold=2,
        breaker_cooldown=0.5,
    )  # fmt: skip


def bonus_env(srv: ScriptedLLMProcess, path, tag: str = "a") -> tuple:
    ann = annotator(srv)
    env = LLMFeedbackBonus(
        Vault(tag=tag), annotator=ann, coef=1.0, cache_path=path,
        service_kwargs={"batch_wait": 0.01, "retry_pause": 0.02, "max_attempts": 2},
    )  # fmt: skip
    env.reset(seed=0)
    return env, ann, env.llm_feedback.service


def test_stepping_never_stops_through_server_faults(tmp_path, faulty):
    path = tmp_path / "labels.sqlite"
    env, ann, svc = bonus_env(faulty, path)
    vault = env.unwrapped
    rng = np.random.default_rng(7)
    steps = 0

    def captions(tag: str) -> list[str]:
        return [c.replace("[a]", f"[{tag}]", 1) for c in Vault(tag="a").all_captions()]

    def labelled(tag: str) -> bool:
        return all(svc.lookup(c) is not None for c in captions(tag))

    def check_labels(tag: str) -> None:
        for c in captions(tag):
            assert svc.lookup(c) == SCORER.label(c), c

    def phase(tag: str, until, **kw):
        nonlocal steps
        vault.tag = tag
        run = step_until(env, rng, until, **kw)
        steps += run.steps
        assert run.max_step_s < MAX_STEP_S, (tag, run.max_step_s)
        return run

    # 1. Normal answers: the bonus is 0 until a caption's label arrives, then 1 for the
    # first sighting in an episode of a caption about a key or treasure.
    run = phase("normal", lambda: labelled("normal"), min_steps=1000)
    check_labels("normal")
    more = phase("normal", lambda: True, min_steps=1000)
    bonus, seen = run.bonus + more.bonus, run.captions + more.captions
    for c in captions("normal"):
        got = [b for b, x in zip(bonus, seen, strict=True) if x == c]
        assert got and got[0] == 0.0
        assert (max(got) == 1.0) == (SCORER.label(c) == 1), c

    # 2. Slow answers (0.6 s each): steps stay fast, labels come anyway.
    faulty.set_mode("slow", delay=0.6)
    seen_in_flight = []
    run = phase(
        "slow",
        lambda: seen_in_flight.append(svc.counters()["in_flight"]) or labelled("slow"),
        min_steps=1500, timeout=20,
    )  # fmt: skip
    check_labels("slow")
    assert max(seen_in_flight) > 0 and run.seconds > 0.6

    # 3. HTTP 500s: calls fail, nothing is labelled, the breaker opens and then sends
    # nothing during its cooldown.
    faulty.set_mode("error")
    phase("error", lambda: ann.breaker.state == "open", min_steps=500)
    opened = time.monotonic()
    assert not any(svc.lookup(c) is not None for c in captions("error"))
    assert svc.counters()["failed"] > 0
    sent = faulty.stats()["total_requests"]
    phase("error", lambda: time.monotonic() - opened > 0.2, min_steps=200)
    if time.monotonic() - opened < 0.5:  # still inside the cooldown
        assert faulty.stats()["total_requests"] == sent
    assert ann.stats()["http_errors"] == faulty.stats()["requests"]["error"]
    faulty.set_mode("normal")
    phase("error", lambda: labelled("error") and ann.breaker.state == "closed", min_steps=500)
    check_labels("error")
    assert ann.stats()["breaker_opens"] >= 1

    # 4. Malformed bodies (retried, then failed), then chatty answers (read).
    faulty.set_mode("malformed")
    phase("malformed", lambda: ann.stats()["malformed"] >= 4, min_steps=300)
    assert not any(svc.lookup(c) is not None for c in captions("malformed"))
    faulty.set_mode("chatty")
    phase("malformed", lambda: labelled("malformed"), min_steps=300)
    check_labels("malformed")
    assert ann.stats()["malformed"] == faulty.stats()["requests"]["malformed"]

    # 5. Answers with no labels at all: counted, sent again once, then dropped.
    before = svc.counters()
    faulty.set_mode("garbage")
    phase("garbage", lambda: svc.counters()["dropped"] - before["dropped"] == 24, min_steps=300)
    garbage_items = faulty.stats()["items"]["garbage"]
    assert garbage_items == 48  # 24 captions, 2 attempts each
    assert ann.stats()["unparseable"] == garbage_items
    assert svc.counters()["unparseable"] - before["unparseable"] == garbage_items

    # 6. Killed mid-request and restarted: stepping goes on, the breaker opens, and the
    # pending captions are annotated once the server is back.
    faulty.set_mode("slow", delay=0.3)
    phase("killed", lambda: svc.counters()["in_flight"] > 0, every=1)
    faulty.kill()
    transport = ann.stats()["transport_errors"]
    phase("killed", lambda: ann.breaker.state == "open", min_steps=1000)
    assert ann.stats()["transport_errors"] > transport
    assert svc.counters()["queued"] > 0
    faulty.restart()
    phase("killed", lambda: labelled("killed"), min_steps=500)
    check_labels("killed")

    # Every answered label is counted once and written to the file.
    assert svc.wait_idle(5)
    c = svc.counters()
    assert (c["answered"], c["labels"], c["dropped"], c["queued"], c["in_flight"]) == (
        120, 120, 24, 0, 0,
    )  # fmt: skip
    assert steps > 6000
    env.close()
    assert LabelStore(path).counts() == {"done": 120, "dropped": 24}

    # A new run on the same file reuses every label: cache hits, nothing sent.
    faulty.reset_stats()
    env, ann, svc = bonus_env(faulty, path, tag="normal")
    run = step_until(env, rng, min_steps=600, max_steps=600)
    for c in captions("normal"):
        got = [b for b, x in zip(run.bonus, run.captions, strict=True) if x == c]
        assert got and got[0] == float(SCORER.label(c))  # a reward from the first sighting
    c = svc.counters()
    assert (c["cache_hits"], c["answered"], c["labels"]) == (24, 0, 120)
    assert faulty.stats()["total_requests"] == 0
    env.close()


def test_pending_captions_survive_a_restart_of_the_run(tmp_path, faulty):
    """Captions queued while the server is down are in the file when the run stops;
    the next run sends them before it sees them again."""
    path = tmp_path / "labels.sqlite"
    faulty.kill()
    env, _, svc = bonus_env(faulty, path, tag="offline")
    rng = np.random.default_rng(7)
    run = step_until(env, rng, lambda: svc.counters()["queued"] == 24, min_steps=500)
    assert max(run.bonus) == 0.0 and run.max_step_s < MAX_STEP_S
    env.close()
    assert LabelStore(path).counts() == {"pending": 24}

    faulty.restart()
    env, _, svc = bonus_env(faulty, path, tag="other")
    assert svc.counters()["restored"] == 24
    wait_for(lambda: svc.counters()["answered"] == 24, timeout=10)
    assert faulty.stats()["distinct_items"] == 24
    env.close()
    assert LabelStore(path).counts() == {"done": 24}
