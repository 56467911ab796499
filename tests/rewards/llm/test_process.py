"""An annotator in a child process: same answers, restarts after the child dies; the
embedded judge travels by pickle."""

from __future__ import annotations

import pickle

import pytest

from rewardgym.rewards.llm.annotators import (
    AnnotatorUnavailable,
    EmbeddingJudge,
    FunctionAnnotator,
    OpenAICompatibleAnnotator,
)
from rewardgym.rewards.llm.process import ProcessAnnotator

from .conftest import SCORER

CAPTIONS = ["You find a rusty key.", "Nothing happens.", "Treasure!"]


def test_http_annotator_in_a_child_answers_like_in_process(fresh_server):
    inner = OpenAICompatibleAnnotator(fresh_server.base_url, "scripted", prompt="text_games")
    child = ProcessAnnotator(inner)
    try:
        assert child.fingerprint("label") == "process:" + inner.fingerprint("label")
        assert child.batch_size == inner.batch_size and child.kinds == inner.kinds
        expected = [float(SCORER.label(c)) for c in CAPTIONS]
        assert child.annotate("label", CAPTIONS) == expected
        assert child.stats()["requests"] == 1  # the child's own counters come back

        # a child found dead is started again
        assert child._proc is not None
        child._proc.kill()
        child._proc.wait()
        assert child.annotate("label", CAPTIONS) == expected
        assert child.stats()["process_starts"] == 2

        fresh_server.set_mode("error")
        with pytest.raises(AnnotatorUnavailable, match="500"):
            child.annotate("label", CAPTIONS)  # the child's failures come back as such
    finally:
        child.close()
    assert not child.stats()["process_alive"]
    with pytest.raises(AnnotatorUnavailable, match="closed"):
        child.annotate("label", CAPTIONS)


def test_unpicklable_annotators_are_refused_at_construction(minilm):
    with pytest.raises(TypeError, match="pickled"):
        ProcessAnnotator(FunctionAnnotator(lambda xs: [1.0] * len(xs)))
    with pytest.raises(TypeError, match="path"):
        ProcessAnnotator(EmbeddingJudge("goal", model=minilm))


def test_the_embedded_judge_travels_by_pickle(minilm):
    """What the child receives: a judge that loads its model again and judges alike
    (the model comes from this process's cache here; a child loads its own)."""
    judge = EmbeddingJudge("Find the key and the treasure.")
    copy = pickle.loads(pickle.dumps(judge))
    captions = ["You find a rusty key.", "Time passes."]
    assert copy.annotate("label", captions) == judge.annotate("label", captions)
    assert copy.fingerprint("label") == judge.fingerprint("label")
    loaded = pickle.loads(pickle.dumps(copy))  # a judge that has loaded still travels
    assert loaded.stats()["loaded"] is False


def test_a_child_whose_parent_is_gone_exits_quietly():
    """The child reads its annotator, and finds nobody left to tell it is ready: it
    exits 0 without a traceback (a parent that exits early leaves no noise)."""
    import subprocess
    import sys

    from rewardgym.rewards.llm.process import _write

    proc = subprocess.Popen(
        [sys.executable, "-m", "rewardgym.rewards.llm.process"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the parent stops listening before the child is ready
    _write(proc.stdin, OpenAICompatibleAnnotator("http://127.0.0.1:9/v1", "m"))
    proc.stdin.close()
    assert proc.wait(timeout=60) == 0
    assert b"Traceback" not in proc.stderr.read()
    proc.stderr.close()
