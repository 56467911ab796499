"""The asynchronous annotation service: a background worker, a SQLite label cache, counters.

Stepping an environment never waits for an annotator. The env's side calls
:meth:`AnnotationService.request` with a caption (or a pair of captions): it returns the
label when one is known and otherwise queues the item, once (items are deduplicated),
and returns None at once. Background worker threads drain the queue in batches, call
the :class:`~.annotators.Annotator`, and publish the labels, which the next
``request`` of the item returns; subscribers (the reward models) are told of every new
label.

Persistence. With ``cache_path`` set, every item is a row of a SQLite file keyed by a
hash of the annotator's fingerprint, the kind and the item:

* a queued item is written as ``pending`` before it is sent (and, while a backlog
  waits, within ``persist_interval`` seconds of being queued);
* an answered item is written as ``done`` with its label, committed right after the
  batch returns, so a crash (even ``kill -9``) loses no label that was answered;
* an item whose answer could not be read is sent again, up to ``max_attempts`` times,
  and then written as ``dropped`` (never sent again).

A new service on the same file loads the ``done`` labels (a request for one of them is
a *cache hit*: no annotator call) and queues the ``pending`` items again, so work
still in flight when a run stopped is not lost. Several services (different
annotators or kinds) can share one file. The file uses SQLite's WAL journal.

Failures. A call that fails (:class:`~.annotators.AnnotatorUnavailable`: the server is
down, errors, times out, or its circuit breaker is open) puts its items back at the
head of the queue; the worker waits ``retry_pause`` seconds, or as long as the
breaker says, and tries again. Failed calls never drop items.

Counters (:meth:`AnnotationService.counters`): ``queued`` (waiting to be sent),
``in_flight`` (in a call now), ``answered`` (labels received in this run),
``failed`` (item-attempts in failed calls), ``unparseable`` (answers that could not
be read), ``dropped`` (items given up), ``cache_hits`` (items first requested in this
run whose label came from the file), ``restored`` (pending items re-queued from the
file), ``overflow`` (requests refused because the queue was full; they are requested
again the next time they are seen), ``calls`` (successful annotator calls),
``mean_latency_s`` (their mean duration), ``labels`` (labels known).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .annotators import Annotator, AnnotatorUnavailable, CircuitOpen
from .prompts import Item, Kind

__all__ = ["AnnotationService", "LabelStore", "item_key"]

log = logging.getLogger(__name__)

Subscriber = Callable[[list[tuple[Any, float]]], None]


def _item_json(item: Item) -> str:
    return json.dumps(item if isinstance(item, str) else list(item), ensure_ascii=False)


def _item_from_json(text: str) -> Item:
    value = json.loads(text)
    return value if isinstance(value, str) else (str(value[0]), str(value[1]))


def item_key(fingerprint: str, kind: str, item: Item) -> str:
    """The cache key of an item: SHA-256 of the annotator fingerprint, kind and item."""
    raw = f"{fingerprint}\n{kind}\n{_item_json(item)}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()


class LabelStore:
    """The SQLite label cache (one table, ``labels``); thread-safe.

    ``path=None`` keeps it in memory (nothing survives the process): there pending
    items are not written at all, since no later process could re-send them.
    """

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS labels (
        key TEXT PRIMARY KEY,
        annotator TEXT NOT NULL,
        kind TEXT NOT NULL,
        item TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'dropped')),
        label REAL,
        attempts INTEGER NOT NULL DEFAULT 0,
        updated REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS labels_by_annotator ON labels (annotator, kind, status);
    """

    def __init__(self, path: str | os.PathLike[str] | None):
        self.path = None if path is None else Path(path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._enc: dict[tuple[str, str, Item], tuple[str, str]] = {}
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            ":memory:" if self.path is None else str(self.path),
            check_same_thread=False,
            timeout=30.0,
        )
        with self._lock:
            conn = self._conn
            if self.path is not None:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(self.SCHEMA)
            conn.commit()

    @property
    def closed(self) -> bool:
        return self._conn is None

    def load(self, fingerprint: str, kind: str) -> tuple[dict[Item, float], list[Item], list[Item]]:
        """(labels of ``done`` items, ``pending`` items, ``dropped`` items)."""
        done: dict[Item, float] = {}
        pending: list[Item] = []
        dropped: list[Item] = []
        with self._lock:
            if self._conn is None:
                return done, pending, dropped
            rows = self._conn.execute(
                "SELECT item, status, label FROM labels WHERE annotator = ? AND kind = ? "
                "ORDER BY updated",
                (fingerprint, kind),
            ).fetchall()
        for text, status, label in rows:
            item = _item_from_json(text)
            if status == "done" and label is not None:
                done[item] = float(label)
            elif status == "pending":
                pending.append(item)
            else:
                dropped.append(item)
        return done, pending, dropped

    def _encoded(self, fingerprint: str, kind: str, item: Item, keep: bool) -> tuple[str, str]:
        """(key, JSON) of an item; kept for items still pending, so that writing their
        answer does not hash and encode them again."""
        cache_key = (fingerprint, kind, item)
        found = self._enc.pop(cache_key, None)
        if found is None:
            text = _item_json(item)
            raw = f"{fingerprint}\n{kind}\n{text}".encode("utf-8", "surrogatepass")
            found = (hashlib.sha256(raw).hexdigest(), text)
        if keep:
            self._enc[cache_key] = found
        return found

    def _write(self, head: str, tail: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """``head VALUES (...), (...), ... tail`` for ``rows``, up to 1000 rows a
        statement. (``executemany`` runs one statement per row, and the sqlite3 module
        releases the GIL around each: with a stepping thread busy, every row then waits
        for the GIL and takes it back from the stepping thread.)"""
        assert self._conn is not None
        for i in range(0, len(rows), 1000):
            chunk = rows[i : i + 1000]
            one = "(" + ", ".join("?" * len(chunk[0])) + ")"
            sql = f"{head} VALUES {', '.join([one] * len(chunk))} {tail}"
            self._conn.execute(sql, [v for row in chunk for v in row])

    def add_pending(self, fingerprint: str, kind: str, items: Iterable[Item]) -> None:
        if self.path is None:  # in memory: pending rows would only cost the GIL
            return
        now = time.time()
        rows = [
            (*self._encoded(fingerprint, kind, it, True), fingerprint, kind, "pending", now)
            for it in items
        ]
        with self._lock:
            if self._conn is None or not rows:
                return
            with self._conn:
                self._write(
                    "INSERT OR IGNORE INTO labels (key, item, annotator, kind, status, updated)",
                    "",
                    rows,
                )

    def record(
        self,
        fingerprint: str,
        kind: str,
        answered: Sequence[tuple[Item, float]],
        retried: Sequence[tuple[Item, int]] = (),
        dropped: Sequence[tuple[Item, int]] = (),
    ) -> None:
        """Write a batch's outcome in one transaction (committed on return)."""
        now = time.time()
        done = [
            (*self._encoded(fingerprint, kind, it, False), fingerprint, kind, "done", lab, now)
            for it, lab in answered
        ]
        other = [
            (*self._encoded(fingerprint, kind, it, status == "pending"),
             fingerprint, kind, status, n, now)
            for status, group in (("pending", retried), ("dropped", dropped))
            for it, n in group
        ]  # fmt: skip
        with self._lock:
            if self._conn is None or not (done or other):
                return
            with self._conn:
                if done:
                    self._write(
                        "INSERT INTO labels (key, item, annotator, kind, status, label, updated)",
                        "ON CONFLICT(key) DO UPDATE SET status = 'done', label = excluded.label, "
                        "updated = excluded.updated",
                        done,
                    )
                if other:
                    self._write(
                        "INSERT INTO labels (key, item, annotator, kind, status, attempts, "
                        "updated)",
                        "ON CONFLICT(key) DO UPDATE SET status = excluded.status, "
                        "attempts = excluded.attempts, updated = excluded.updated",
                        other,
                    )

    def counts(self, fingerprint: str | None = None) -> dict[str, int]:
        """Rows by status (of one annotator, or all)."""
        with self._lock:
            if self._conn is None:
                return {}
            if fingerprint is None:
                rows = self._conn.execute(
                    "SELECT status, COUNT(*) FROM labels GROUP BY status"
                ).fetchall()
            else:
                rows = self._conn.execute(
                    "SELECT status, COUNT(*) FROM labels WHERE annotator = ? GROUP BY status",
                    (fingerprint,),
                ).fetchall()
        return {str(s): int(n) for s, n in rows}

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _nonneg(name: str, value: Any) -> float:
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


class AnnotationService:
    """Annotates captions (``kind="label"``) or caption pairs (``kind="pair"``) in the
    background; see the module docstring.

    Args:
        annotator: what answers (an :class:`~.annotators.Annotator`).
        kind: ``"label"`` or ``"pair"``.
        cache_path: the SQLite file (created if missing); None keeps labels in memory.
        batch_size: items per call (default: the annotator's).
        batch_wait: seconds a batch that is not full may wait for more items.
        persist_interval: while items wait for the annotator (a backlog, an outage),
            new ones are written to the file as pending at least this often (seconds);
            a crash can lose the requests of this last interval, not their labels.
        max_attempts: unreadable answers an item may get before it is dropped.
        max_queue: the most items waiting; more requests are refused until it drains.
        workers: worker threads (calls in parallel).
        retry_pause: seconds to wait after a failed call (at least).
        close_annotator: close the annotator when the service closes.
        autostart: start the workers now (else call :meth:`start`).
    """

    def __init__(
        self,
        annotator: Annotator,
        kind: Kind = "label",
        cache_path: str | os.PathLike[str] | None = None,
        *,
        batch_size: int | None = None,
        batch_wait: float = 0.02,
        persist_interval: float = 0.5,
        max_attempts: int = 3,
        max_queue: int = 100_000,
        workers: int = 1,
        retry_pause: float = 0.05,
        close_annotator: bool = True,
        autostart: bool = True,
    ):
        if not isinstance(annotator, Annotator):
            raise TypeError(
                "annotator must be an Annotator (OpenAICompatibleAnnotator, EmbeddingJudge, "
                f"FunctionAnnotator), got {type(annotator).__name__}"
            )
        if kind not in annotator.kinds:
            raise ValueError(
                f"{type(annotator).__name__} answers kinds {annotator.kinds}, not {kind!r}"
            )
        self.annotator = annotator
        self.kind: Kind = kind
        self.fingerprint = annotator.fingerprint(kind)
        self.batch_size = _positive_int(
            "batch_size", annotator.batch_size if batch_size is None else batch_size
        )
        self.batch_wait = _nonneg("batch_wait", batch_wait)
        self.persist_interval = _nonneg("persist_interval", persist_interval)
        self.max_attempts = _positive_int("max_attempts", max_attempts)
        self.max_queue = _positive_int("max_queue", max_queue)
        self.num_workers = _positive_int("workers", workers)
        self.retry_pause = _nonneg("retry_pause", retry_pause)
        self.close_annotator = bool(close_annotator)
        self.store = LabelStore(cache_path)

        self._cond = threading.Condition()
        self._publish_lock = threading.RLock()
        self._new: deque[tuple[Item, float]] = deque()
        self._ready: deque[tuple[Item, float]] = deque()
        self._attempts: dict[Item, int] = {}
        self._subscribers: list[Subscriber] = []
        self._threads: list[threading.Thread] = []
        self._persisting = 0  # taken from _new, being written as pending
        self._stop = False
        self._accepting = True
        self._pause_until = 0.0
        self._counts = dict.fromkeys(
            ("in_flight", "answered", "failed", "unparseable", "dropped", "restored", "overflow",
             "calls", "subscriber_errors"), 0,
        )  # fmt: skip
        self._latency_total = 0.0
        self.cache_hits = 0
        self.last_error = ""

        done, pending, dropped = self.store.load(self.fingerprint, kind)
        self._labels: dict[Any, float] = dict(done)
        self._from_cache: set[Any] = set(done)
        self._seen: set[Any] = set(pending) | set(dropped)
        now = time.monotonic()
        self._ready.extend((it, now) for it in pending)
        self._counts["restored"] = len(pending)
        if autostart:
            self.start()

    # -- the env's side (never blocks) ----------------------------------------------------------
    def request(self, item: Item) -> float | None:
        """The label of ``item`` if known; else queue it (once) and return None."""
        label = self._labels.get(item)
        if label is not None:
            if self._from_cache and item in self._from_cache:
                self._from_cache.discard(item)
                self.cache_hits += 1
            return label
        if item in self._seen or not self._accepting:
            return None
        if len(self._new) + len(self._ready) + self._persisting >= self.max_queue:
            self._counts["overflow"] += 1
            return None
        self._seen.add(item)
        self._new.append((item, time.monotonic()))
        if len(self._new) == 1:  # else the worker already has a time to wake
            with self._cond:
                self._cond.notify()
        return None

    def lookup(self, item: Item) -> float | None:
        """The label of ``item`` if known (queues nothing, counts nothing)."""
        return self._labels.get(item)

    def labels(self) -> dict[Any, float]:
        """A copy of every known label."""
        with self._publish_lock:
            return dict(self._labels)

    def subscribe(self, fn: Subscriber, replay: bool = True) -> None:
        """Call ``fn(list of (item, label))`` from a worker thread after each answered
        batch; with ``replay`` first call it now with every label already known."""
        if not callable(fn):
            raise TypeError("a subscriber must be callable")
        with self._publish_lock:
            if replay and self._labels:
                fn(list(self._labels.items()))
            self._subscribers.append(fn)

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> AnnotationService:
        """Start the worker threads (idempotent)."""
        if self._threads:
            return self
        if self.store.closed:
            raise RuntimeError("this service is closed; make a new one")
        for i in range(self.num_workers):
            t = threading.Thread(target=self._run, name=f"annotation-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def pause(self) -> None:
        """Stop queuing new items (requests still return known labels)."""
        self._accepting = False

    def resume(self) -> None:
        self._accepting = not self._stop

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is queued or in flight; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._new or self._ready or self._persisting or self._counts["in_flight"]:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(timeout=0.05 if remaining is None else min(0.05, remaining))
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Stop the workers, keep what is still queued as pending in the file, close it."""
        with self._cond:
            if self._stop and self.store.closed:
                return
            self._stop, self._accepting = True, False
            self._cond.notify_all()
        if self.close_annotator:
            self.annotator.close()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        with self._cond:
            rest = [it for it, _ in self._new]
            self._new.clear()
        self.store.add_pending(self.fingerprint, self.kind, rest)
        self.store.close()

    def __enter__(self) -> AnnotationService:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- counters -------------------------------------------------------------------------------
    def counters(self) -> dict[str, float]:
        """The counters of the module docstring (a snapshot)."""
        with self._cond:
            out = {k: float(v) for k, v in self._counts.items() if k != "subscriber_errors"}
            out["queued"] = float(len(self._new) + len(self._ready) + self._persisting)
            calls = self._counts["calls"]
        out["cache_hits"] = float(self.cache_hits)
        out["mean_latency_s"] = self._latency_total / calls if calls else math.nan
        out["labels"] = float(len(self._labels))
        out["blocked"] = 1.0 if self.annotator.available_in() > 0 else 0.0
        return out

    def stats(self) -> dict[str, Any]:
        """Counters plus the annotator's own statistics (prefixed ``annotator/``)."""
        out: dict[str, Any] = dict(self.counters())
        out["subscriber_errors"] = float(self._counts["subscriber_errors"])
        out["last_error"] = self.last_error
        out.update({f"annotator/{k}": v for k, v in self.annotator.stats().items()})
        return out

    # -- the worker -----------------------------------------------------------------------------
    def _send_wait(self, now: float) -> float | None:
        """Under the lock: None when nothing is ready, else seconds to wait before a
        batch may go (0: now)."""
        if not self._ready:
            return None
        wait = max(self.annotator.available_in(), self._pause_until - now)
        if wait > 0:
            return wait
        if len(self._ready) < self.batch_size and self.batch_wait > 0:
            age = now - self._ready[0][1]
            if age < self.batch_wait:
                return self.batch_wait - age
        return 0.0

    def _run(self) -> None:
        while True:
            batch: list[tuple[Item, float]] = []
            new: list[tuple[Item, float]] = []
            with self._cond:
                while True:
                    if self._stop:
                        return
                    now = time.monotonic()
                    persist_in = None
                    if self._new:
                        # New items are written as pending in bulk: when the next batch
                        # needs them (after batch_wait, or at once for a full batch),
                        # else every persist_interval. Each write takes the GIL from
                        # the stepping thread, so a backlog is not written item by item.
                        needed = len(self._ready) < self.batch_size and (
                            self.annotator.available_in() <= 0 and self._pause_until <= now
                        )
                        due = self.batch_wait if needed else self.persist_interval
                        persist_in = due - (now - self._new[0][1])
                        if (needed and len(self._new) >= self.batch_size) or persist_in <= 0:
                            while self._new:
                                new.append(self._new.popleft())
                            self._persisting += len(new)
                            break
                    wait = self._send_wait(now)
                    if wait == 0.0:
                        for _ in range(min(self.batch_size, len(self._ready))):
                            batch.append(self._ready.popleft())
                        self._counts["in_flight"] += len(batch)
                        break
                    timeout = min(t for t in (persist_in, wait, 1.0) if t is not None)
                    self._cond.wait(timeout=timeout)
            if new:
                try:
                    self.store.add_pending(self.fingerprint, self.kind, [it for it, _ in new])
                finally:
                    with self._cond:
                        self._ready.extend(new)
                        self._persisting -= len(new)
                        self._cond.notify_all()
            if batch:
                self._annotate(batch)

    def _annotate(self, batch: list[tuple[Item, float]]) -> None:
        items = [it for it, _ in batch]
        start = time.monotonic()
        error: BaseException | None = None
        labels: list[float | None] = []
        try:
            labels = list(self.annotator.annotate(self.kind, items))
            if len(labels) != len(items):
                raise AnnotatorUnavailable(
                    f"the annotator returned {len(labels)} labels for {len(items)} items"
                )
        except AnnotatorUnavailable as e:
            error = e
        except Exception as e:  # a bug in an annotator must not kill the worker
            log.exception("annotator call failed")
            error = e
        elapsed = time.monotonic() - start
        if error is not None:
            retry_in = getattr(error, "retry_in", 0.0)
            refused = isinstance(error, CircuitOpen)  # nothing was sent: not a failure
            if not refused:
                self.last_error = f"{type(error).__name__}: {error}"
            with self._cond:
                self._counts["in_flight"] -= len(items)
                self._counts["failed"] += 0 if refused else len(items)
                self._ready.extendleft(reversed(batch))
                self._pause_until = time.monotonic() + max(self.retry_pause, retry_in)
                self._cond.notify_all()
            return

        answered: list[tuple[Item, float]] = []
        retried: list[tuple[Item, int]] = []
        dropped: list[tuple[Item, int]] = []
        for item, label in zip(items, labels, strict=True):
            if label is not None and math.isfinite(label):
                answered.append((item, float(label)))
                continue
            n = self._attempts.get(item, 0) + 1
            if n >= self.max_attempts:
                self._attempts.pop(item, None)
                dropped.append((item, n))
            else:
                self._attempts[item] = n
                retried.append((item, n))
        try:
            self.store.record(self.fingerprint, self.kind, answered, retried, dropped)
        except sqlite3.Error as e:  # the labels still count for this run
            log.warning("could not write labels to the cache: %s", e)
            self.last_error = f"cache: {e}"
        errors = 0
        with self._publish_lock:
            for item, label in answered:
                self._labels[item] = label
                self._attempts.pop(item, None)
            if answered:
                for fn in list(self._subscribers):
                    try:
                        fn(answered)
                    except Exception:
                        log.exception("a label subscriber failed")
                        errors += 1
        now = time.monotonic()
        with self._cond:
            # in_flight drops last: once wait_idle() returns, labels are published and
            # subscribers have seen them.
            self._counts["in_flight"] -= len(items)
            self._counts["answered"] += len(answered)
            self._counts["unparseable"] += len(retried) + len(dropped)
            self._counts["dropped"] += len(dropped)
            self._counts["calls"] += 1
            self._counts["subscriber_errors"] += errors
            self._latency_total += elapsed
            self._ready.extend((it, now) for it, _ in retried)
            self._cond.notify_all()
