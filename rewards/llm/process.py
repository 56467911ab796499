"""Run an annotator in a child process, away from the stepping process's GIL.

An annotator that computes in Python (the embedded judge runs a transformer whose
layers are Python calls) competes for the GIL with the thread that steps the
environment, even on its own worker thread. :class:`ProcessAnnotator` moves it into
a child process: the service's worker thread only writes a batch to a pipe and waits
(releasing the GIL) for the answer, so stepping keeps its core to itself.

The child is ``python -m rewardgym.rewards.llm.process`` (no ``multiprocessing``, so
a user's script is never re-imported); the annotator travels to it by pickle, and it
calls the annotator's ``warm_up()`` (the embedded judge loads its model then) as soon
as it starts. A child found dead is started again at the next call; a call during
which it dies fails (the service retries it).

>>> from rewardgym.rewards.llm.annotators import EmbeddingJudge
>>> judge = ProcessAnnotator(EmbeddingJudge("Escape the maze."))  # doctest: +SKIP
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import IO, Any

from .annotators import Annotator, AnnotatorUnavailable
from .prompts import Item, Kind

__all__ = ["ProcessAnnotator"]

_HEADER = struct.Struct(">I")


def _write(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError("the annotator process did not answer in time")
        chunk = os.read(fd, n - got)
        if not chunk:
            raise EOFError("the annotator process closed its pipe")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _read(fd: int, deadline: float | None) -> Any:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    return pickle.loads(_read_exact(fd, size, deadline))


class ProcessAnnotator(Annotator):
    """``annotator`` (picklable) run in a child process; same kinds, batch size and
    fingerprints. ``timeout``: seconds one call may take (the first call also waits
    for the child to start and warm up, up to ``start_timeout``)."""

    def __init__(
        self, annotator: Annotator, *, timeout: float = 300.0, start_timeout: float = 300.0
    ):
        if not isinstance(annotator, Annotator):
            raise TypeError(f"expected an Annotator, got {type(annotator).__name__}")
        try:
            self._payload = pickle.dumps(annotator, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:
            raise TypeError(
                f"{type(annotator).__name__} cannot be pickled for a child process ({e}); "
                "give the embedded judge a model path, not a loaded model"
            ) from e
        self.inner_type = type(annotator).__name__
        self.kinds = annotator.kinds
        self.batch_size = annotator.batch_size
        self._fingerprints = {k: f"process:{annotator.fingerprint(k)}" for k in annotator.kinds}  # type: ignore[arg-type]
        self.timeout = float(timeout)
        self.start_timeout = float(start_timeout)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._closed = False
        self._starts = 0
        self._inner_stats: dict[str, Any] = {}
        self._start()

    def _start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "rewardgym.rewards.llm.process"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
        )  # fmt: skip
        assert self._proc.stdin is not None
        self._proc.stdin.write(_HEADER.pack(len(self._payload)) + self._payload)
        self._proc.stdin.flush()
        self._ready = False
        self._starts += 1

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.poll() is None and proc.stdin is not None:
                _write(proc.stdin, None)
                proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()

    def fingerprint(self, kind: Kind) -> str:
        if kind not in self._fingerprints:
            raise ValueError(f"this annotator answers kinds {tuple(self.kinds)}, not {kind!r}")
        return self._fingerprints[kind]

    def _ensure_ready(self) -> subprocess.Popen[bytes]:
        """Under the lock: a started child that has warmed up."""
        if self._closed:
            raise AnnotatorUnavailable("the annotator process is closed")
        if self._proc is None or self._proc.poll() is not None:
            self._stop()
            self._start()
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        if not self._ready:
            try:
                reply = _read(proc.stdout.fileno(), time.monotonic() + self.start_timeout)
            except (EOFError, OSError, TimeoutError) as e:
                self._stop()
                raise AnnotatorUnavailable(f"the annotator process did not start: {e}") from e
            if reply[0] != "ready":
                self._stop()
                raise AnnotatorUnavailable(f"the annotator process failed: {reply[1]}")
            self._ready = True
        return proc

    def warm_up(self) -> None:
        """Wait until the child has started and warmed up its annotator."""
        with self._lock:
            self._ensure_ready()

    def annotate(self, kind: Kind, items: Sequence[Item]) -> list[float | None]:
        self.fingerprint(kind)
        with self._lock:
            proc = self._ensure_ready()
            assert proc.stdin is not None and proc.stdout is not None
            fd = proc.stdout.fileno()
            try:
                _write(proc.stdin, ("annotate", kind, list(items)))
                reply = _read(fd, time.monotonic() + self.timeout)
            except (EOFError, OSError, TimeoutError) as e:
                self._stop()
                raise AnnotatorUnavailable(f"the annotator process failed: {e}") from e
        status = reply[0]
        if status == "ok":
            labels, self._inner_stats = reply[1], reply[2]
            return list(labels)
        if status == "unavailable":
            raise AnnotatorUnavailable(reply[1], reply[2])
        raise AnnotatorUnavailable(f"the annotator process raised {reply[1]}")

    def stats(self) -> dict[str, Any]:
        alive = self._proc is not None and self._proc.poll() is None
        return {**self._inner_stats, "process_starts": self._starts, "process_alive": alive}

    def close(self) -> None:
        self._closed = True
        with self._lock:
            self._stop()


def main() -> None:
    """The child: read the annotator, warm it up, answer batches until told to stop."""
    stdin = sys.stdin.buffer
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints go to stderr
    fd = stdin.fileno()
    try:
        annotator = _read(fd, None)
        annotator.warm_up()
        _write(out, ("ready",))
    except BrokenPipeError:
        os._exit(0)  # the parent is gone: nobody to answer (and no buffer to flush)
    except Exception as e:
        _write(out, ("error", f"{type(e).__name__}: {e}"))
        return
    while True:
        try:
            message = _read(fd, None)
        except EOFError:
            return
        if message is None:
            return
        _, kind, items = message
        try:
            labels = annotator.annotate(kind, items)
            reply: tuple[Any, ...] = ("ok", labels, annotator.stats())
        except AnnotatorUnavailable as e:
            reply = ("unavailable", str(e), e.retry_in)
        except Exception as e:
            reply = ("error", f"{type(e).__name__}: {e}")
        try:
            _write(out, reply)
        except BrokenPipeError:
            os._exit(0)


if __name__ == "__main__":
    main()
