"""The asynchronous annotation service: deduplication, the SQLite cache across
restarts and a hard crash, retries of unreadable answers, counters."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from rewardgym.rewards.llm.annotators import FunctionAnnotator, OpenAICompatibleAnnotator
from rewardgym.rewards.llm.service import AnnotationService, LabelStore

from .conftest import SCORER, wait_for


class Scripted:
    """A function annotator whose behaviour the test switches: ``"ok"`` (length
    parity), ``"fail"`` (raises), ``"none"`` (unreadable), ``"hold"`` (blocks until
    released). Records every batch."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.batches: list[list[str]] = []
        self.release = threading.Event()

    def __call__(self, items: list[str]) -> list[float | None]:
        self.batches.append(list(items))
        if self.mode == "hold":
            self.release.wait(10)
        if self.mode == "fail":
            raise ConnectionError("down")
        if self.mode == "none":
            return [None] * len(items)
        return [float(len(x) % 2) for x in items]

    @property
    def sent(self) -> list[str]:
        return [x for b in self.batches for x in b]


def service(fn, path=None, **kw) -> AnnotationService:
    kw = {"batch_wait": 0.0, "retry_pause": 0.01, **kw}
    return AnnotationService(
        FunctionAnnotator(fn, name="parity", batch_size=4), "label", path, **kw
    )


def test_requests_return_at_once_and_labels_arrive_deduplicated():
    fn = Scripted()
    fn.mode = "hold"
    with service(fn) as svc:
        start = time.perf_counter()
        for _ in range(50):
            for c in ("a", "bb", "ccc"):
                assert svc.request(c) is None
        assert time.perf_counter() - start < 0.5  # the held annotator blocks nothing
        wait_for(lambda: svc.counters()["in_flight"] == 3)
        fn.release.set()
        assert svc.wait_idle(5)
        assert [svc.request(c) for c in ("a", "bb", "ccc")] == [1.0, 0.0, 1.0]
        assert sorted(fn.sent) == ["a", "bb", "ccc"]
        c = svc.counters()
        assert (c["answered"], c["queued"], c["in_flight"], c["calls"]) == (3, 0, 0, 1)
        assert c["mean_latency_s"] > 0


def test_labels_survive_a_restart_as_cache_hits(tmp_path):
    path = tmp_path / "labels.sqlite"
    fn = Scripted()
    with service(fn, path) as svc:
        for c in ("a", "bb", "ccc", "dddd"):
            svc.request(c)
        assert svc.wait_idle(5)
    fn2 = Scripted()
    with service(fn2, path) as again:
        assert [again.request(c) for c in ("a", "bb", "a", "ccc")] == [1.0, 0.0, 1.0, 1.0]
        c = again.counters()
        assert c["cache_hits"] == 3 and c["answered"] == 0 and c["labels"] == 4
        assert again.wait_idle(1) and fn2.batches == []  # nothing was sent again
    # another annotator (fingerprint) on the same file starts empty
    other = AnnotationService(FunctionAnnotator(fn2, name="other"), "label", path)
    assert other.request("a") is None
    other.close()


def test_pending_items_are_persisted_and_sent_after_a_restart(tmp_path):
    path = tmp_path / "labels.sqlite"
    down = Scripted()
    down.mode = "fail"
    svc = service(down, path)
    for c in ("a", "bb", "ccc"):
        svc.request(c)
    wait_for(lambda: svc.counters()["failed"] >= 6)  # tried and failed, nothing lost
    assert svc.counters()["queued"] == 3
    svc.close()
    assert LabelStore(path).counts() == {"pending": 3}
    up = Scripted()
    with service(up, path) as svc2:
        assert svc2.counters()["restored"] == 3
        assert svc2.wait_idle(5)  # re-sent without being requested again
        assert sorted(up.sent) == ["a", "bb", "ccc"]
        assert svc2.lookup("bb") == 0.0
    assert LabelStore(path).counts() == {"done": 3}


def test_unreadable_answers_are_retried_then_dropped_for_good(tmp_path):
    path = tmp_path / "labels.sqlite"
    fn = Scripted()
    fn.mode = "none"
    with service(fn, path, max_attempts=3) as svc:
        svc.request("a")
        svc.request("bb")
        assert svc.wait_idle(5)
        c = svc.counters()
        assert (c["unparseable"], c["dropped"], c["answered"]) == (6, 2, 0)
        assert fn.sent.count("a") == 3
    fn2 = Scripted()
    with service(fn2, path) as again:
        assert again.request("a") is None
        assert again.wait_idle(1) and fn2.batches == []  # dropped items are not re-sent


def test_counters_add_up(tmp_path):
    path = tmp_path / "labels.sqlite"
    with service(Scripted(), path) as svc:
        for c in ("a", "bb"):
            svc.request(c)
        svc.wait_idle(5)
    fn = Scripted()
    fn.mode = "hold"
    with service(fn, path, max_queue=6, batch_size=2) as svc:
        requested = ["a", "bb", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"]
        for c in requested:
            svc.request(c)
        wait_for(lambda: svc.counters()["in_flight"] == 2)
        c = svc.counters()
        assert c["cache_hits"] == 2 and c["overflow"] == 3  # 6 queued at most
        assert c["queued"] + c["in_flight"] + c["cache_hits"] + c["overflow"] == len(requested)
        fn.release.set()
        fn.mode = "ok"
        assert svc.wait_idle(5)
        c = svc.counters()
        assert (c["answered"], c["queued"], c["in_flight"]) == (6, 0, 0)
        for x in ("c7", "c8", "c9"):  # refused ones are taken when requested again
            svc.request(x)
        assert svc.wait_idle(5) and svc.counters()["answered"] == 9
        assert svc.counters()["labels"] == 11


def test_subscribers_get_replayed_and_new_labels_and_cannot_break_the_worker():
    got: list[tuple[str, float]] = []
    with service(Scripted()) as svc:
        svc.request("a")
        svc.wait_idle(5)
        svc.subscribe(got.extend)
        assert got == [("a", 1.0)]

        def broken(items):
            raise RuntimeError("bug")

        svc.subscribe(broken, replay=False)
        svc.request("bb")
        svc.wait_idle(5)
        assert got == [("a", 1.0), ("bb", 0.0)]
        assert svc.stats()["subscriber_errors"] == 1
        svc.request("ccc")
        assert svc.wait_idle(5) and svc.lookup("ccc") == 1.0


def test_parallel_workers_share_the_queue():
    calls = []

    def slow(items):
        calls.append(threading.get_ident())
        time.sleep(0.05)
        return [1.0] * len(items)

    with service(slow, workers=4, batch_size=1) as svc:
        for i in range(12):
            svc.request(f"c{i}")
        start = time.perf_counter()
        assert svc.wait_idle(5)
        assert time.perf_counter() - start < 12 * 0.05  # faster than one at a time
        assert len(set(calls)) > 1 and svc.counters()["answered"] == 12


def test_bad_arguments():
    fn = FunctionAnnotator(lambda xs: xs, kind="label")
    with pytest.raises(ValueError, match="kinds"):
        AnnotationService(fn, "pair")
    with pytest.raises(TypeError, match="Annotator"):
        AnnotationService(lambda x: x)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_attempts"):
        AnnotationService(fn, max_attempts=0)


CHILD = textwrap.dedent(
    """
    import json, sys, time
    from rewardgym.rewards.llm.annotators import OpenAICompatibleAnnotator
    from rewardgym.rewards.llm.service import AnnotationService
    url, path = sys.argv[1], sys.argv[2]
    ann = OpenAICompatibleAnnotator(url, "scripted", batch_size=4, timeout=5)
    svc = AnnotationService(ann, "label", path, batch_wait=0.0)
    for i in range(40):
        svc.request(f"caption {i}: " + ("a key" if i % 3 == 0 else "nothing"))
    while True:
        print(json.dumps(svc.counters()), flush=True)
        time.sleep(0.05)
    """
)


def test_a_hard_crash_loses_no_answered_label(tmp_path, fresh_server):
    """A run killed with SIGKILL while labels come in: every label it had received is
    in the file, and the rest are re-sent by the next run."""
    path = tmp_path / "labels.sqlite"
    fresh_server.set_mode("slow", delay=0.15)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, fresh_server.base_url, str(path)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    answered = 0
    try:
        assert child.stdout is not None
        for line in child.stdout:
            answered = int(json.loads(line)["answered"])
            if answered >= 8:
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    counts = LabelStore(path).counts()
    assert counts.get("done", 0) >= answered >= 8
    assert counts.get("done", 0) + counts.get("pending", 0) == 40
    assert counts.get("pending", 0) > 0

    fresh_server.set_mode("normal")
    ann = OpenAICompatibleAnnotator(fresh_server.base_url, "scripted", batch_size=8)
    with AnnotationService(ann, "label", path, batch_wait=0.0) as svc:
        assert svc.counters()["restored"] == counts["pending"]
        assert svc.wait_idle(10)
        labels = svc.labels()
    assert len(labels) == 40
    assert all(v == SCORER.label(k) for k, v in labels.items())
