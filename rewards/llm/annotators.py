"""Annotators: what turns captions into labels (classification) or preferences (pairs).

An :class:`Annotator` labels a batch of items of one kind, ``"label"`` (captions) or
``"pair"`` (pairs of captions), returning one float per item, or ``None`` where it
could not produce one (an answer it could not parse). It raises
:class:`AnnotatorUnavailable` when it cannot answer at all (the server is down,
times out, returns errors, or its circuit breaker is open); the
:class:`~.service.AnnotationService` then keeps the items and tries again later.

* :class:`OpenAICompatibleAnnotator`: an OpenAI-style chat-completions endpoint over
  HTTP, which covers vLLM, the llama.cpp server, Ollama and hosted APIs. One request
  per batch; timeouts; retries with exponential backoff and jitter (``Retry-After``
  honoured); a :class:`CircuitBreaker`; answers read by :func:`~.prompts.parse_answer`,
  which tolerates chatty output and reports what it could not read (counted in
  ``stats()["unparseable"]``).
* :class:`EmbeddingJudge`: the embedded default, with no server. It scores a caption by
  the cosine similarity of its sentence embedding (all-MiniLM-L6-v2) to the task's goal
  description and to rubric examples, the text analogue of CLIP-score rewards.
* :class:`FunctionAnnotator`: any Python function of a batch (offline judges, tests).

An annotator's :meth:`~Annotator.fingerprint` names everything that decides its labels
(model, prompt, goal); the label cache keys labels by it, so a changed prompt never
reuses old labels.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .prompts import Item, Kind, Prompt, get_prompt, parse_answer

__all__ = [
    "Annotator",
    "AnnotatorUnavailable",
    "CircuitBreaker",
    "CircuitOpen",
    "EmbeddingJudge",
    "FunctionAnnotator",
    "OpenAICompatibleAnnotator",
]


class AnnotatorUnavailable(RuntimeError):
    """The annotator could not answer this batch (after its retries); try later.

    ``retry_in``: seconds until it may answer again (0: unknown, try soon).
    """

    def __init__(self, message: str, retry_in: float = 0.0):
        super().__init__(message)
        self.retry_in = float(retry_in)


class CircuitOpen(AnnotatorUnavailable):
    """The circuit breaker is open: no request is sent until ``retry_in`` has passed."""


def _check_kind(kind: str, kinds: Sequence[str]) -> None:
    if kind not in kinds:
        raise ValueError(f"this annotator answers kinds {tuple(kinds)}, not {kind!r}")


def _positive(name: str, value: Any, *, integer: bool = False, zero: bool = False) -> Any:
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or not math.isfinite(value):
        raise ValueError(
            f"{name} must be a finite {'integer' if integer else 'number'}, got {value!r}"
        )
    if value < 0 or (value == 0 and not zero):
        raise ValueError(f"{name} must be {'>= 0' if zero else '> 0'}, got {value!r}")
    return int(value) if integer else float(value)


class Annotator(ABC):
    """The interface the annotation service drives (see the module docstring).

    ``kinds`` lists the item kinds it answers; ``batch_size`` is the largest batch
    one call takes.
    """

    kinds: tuple[str, ...] = ("label", "pair")
    batch_size: int = 8

    @abstractmethod
    def fingerprint(self, kind: Kind) -> str:
        """A short string naming what decides this annotator's answers of ``kind``."""

    @abstractmethod
    def annotate(self, kind: Kind, items: Sequence[Item]) -> list[float | None]:
        """One label per item (None: no readable answer); raises
        :class:`AnnotatorUnavailable` when no answer could be had."""

    def available_in(self) -> float:
        """Seconds until a call may be answered (an open breaker); 0 when it may now."""
        return 0.0

    def stats(self) -> dict[str, Any]:
        """Counters of the annotator's own work (requests, errors, ...)."""
        return {}

    def warm_up(self) -> None:  # noqa: B027 - default: nothing to prepare
        """Prepare for the first call (load a model); optional."""

    def close(self) -> None:  # noqa: B027 - default: nothing to release
        """Release connections; interrupt backoff sleeps."""


# -- circuit breaker ---------------------------------------------------------------------------


class CircuitBreaker:
    """Stops calling a failing service for a while.

    *Closed* (normal): calls pass; ``threshold`` failures in a row open it. *Open*: no
    call passes for ``cooldown`` seconds. Then *half-open*: one trial call passes; its
    success closes the breaker, its failure opens it again for another cooldown.
    Thread-safe; ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        threshold: int = 3,
        cooldown: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.threshold = _positive("breaker threshold", threshold, integer=True)
        self.cooldown = _positive("breaker cooldown", cooldown, zero=True)
        self._clock = clock
        self._lock = threading.Lock()
        self._state = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._probe = False
        #: How many times the breaker opened.
        self.opens = 0
        #: How many calls it refused while open.
        self.refused = 0

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """``"closed"``, ``"open"`` or ``"half_open"`` (an open breaker whose cooldown
        has passed reads ``"half_open"``)."""
        with self._lock:
            if self._state == "open" and self._clock() >= self._opened_at + self.cooldown:
                return "half_open"
            return self._state

    def allow(self) -> bool:
        """Whether a call may go now (in half-open, only the one trial call)."""
        with self._lock:
            if self._state == "closed":
                return True
            if self._state == "open":
                if self._clock() < self._opened_at + self.cooldown:
                    self.refused += 1
                    return False
                self._state, self._probe = "half_open", False
            if self._probe:
                self.refused += 1
                return False
            self._probe = True
            return True

    def retry_in(self) -> float:
        """Seconds until :meth:`allow` may pass a call."""
        with self._lock:
            if self._state == "open":
                return max(0.0, self._opened_at + self.cooldown - self._clock())
            if self._state == "half_open" and self._probe:
                return min(self.cooldown, 0.05) or 0.01
            return 0.0

    def record_success(self) -> None:
        with self._lock:
            self._state, self._failures, self._probe = "closed", 0, False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state == "half_open" or self._failures >= self.threshold:
                if self._state != "open":
                    self.opens += 1
                self._state, self._opened_at, self._probe = "open", self._clock(), False


# -- OpenAI-compatible HTTP -------------------------------------------------------------------


class OpenAICompatibleAnnotator(Annotator):
    """Labels from a chat-completions endpoint (vLLM, llama.cpp server, Ollama, hosted APIs).

    Args:
        base_url: the API root, including ``/v1`` (``http://127.0.0.1:8000/v1`` for
            vLLM, ``http://127.0.0.1:8080/v1`` for llama.cpp, ``http://127.0.0.1:11434/v1``
            for Ollama); requests go to ``{base_url}/chat/completions``.
        model: the model name the server expects.
        api_key: sent as ``Authorization: Bearer <api_key>`` when given.
        prompt: a family name of :data:`~.prompts.PROMPTS` or a :class:`~.prompts.Prompt`.
        goal: the task in words, included in every prompt when given.
        batch_size: captions (or pairs) per request.
        timeout: seconds for one request (connect, read, write).
        max_retries: retries of a failed request (connection errors, timeouts, 408,
            429, 5xx, malformed bodies) before the call fails; other 4xx are not retried.
        backoff, max_backoff: the n-th retry waits ``min(max_backoff, backoff * 2**(n-1))``
            seconds times a jitter in [0.5, 1) (or ``Retry-After``, capped likewise).
        breaker_threshold, breaker_cooldown: failed calls in a row that open the
            circuit breaker, and seconds it stays open.
        temperature, max_tokens: sampling settings sent with each request.
        json_mode: also send ``response_format={"type": "json_object"}`` (servers that
            support it constrain the reply to JSON).
        extra_body: more fields for the request body (e.g. ``{"top_p": 1}``).
        seed: seeds the backoff jitter.

    ``stats()``: ``requests`` (HTTP requests sent), ``calls``, ``retries``,
    ``http_errors`` (error statuses), ``transport_errors`` (connection failures and
    timeouts), ``malformed`` (replies that are not a chat completion), ``unparseable``
    (items whose label could not be read), ``breaker_opens``, ``breaker_refused``,
    ``breaker`` (state), ``last_error``.
    """

    kinds = ("label", "pair")

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        prompt: str | Prompt = "generic",
        *,
        goal: str | None = None,
        batch_size: int = 8,
        timeout: float = 30.0,
        max_retries: int = 2,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        breaker_threshold: int = 3,
        breaker_cooldown: float = 10.0,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        json_mode: bool = False,
        extra_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(
                "base_url must be an http(s) URL such as 'http://127.0.0.1:8000/v1', "
                f"got {base_url!r}"
            )
        if not isinstance(model, str) or not model:
            raise ValueError("model must be the name the server serves (GET {base_url}/models)")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.prompt = get_prompt(prompt)
        self.goal = goal
        self.batch_size = _positive("batch_size", batch_size, integer=True)
        self.timeout = _positive("timeout", timeout)
        self.max_retries = _positive("max_retries", max_retries, integer=True, zero=True)
        self.backoff = _positive("backoff", backoff, zero=True)
        self.max_backoff = _positive("max_backoff", max_backoff, zero=True)
        self.temperature = float(temperature)
        self.max_tokens = (
            None if max_tokens is None else _positive("max_tokens", max_tokens, integer=True)
        )
        self.json_mode = bool(json_mode)
        self.extra_body = dict(extra_body or {})
        self.headers = dict(headers or {})
        self.breaker = CircuitBreaker(breaker_threshold, breaker_cooldown, clock)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._client: Any = None
        self._http()  # imports httpx now, not on the worker thread while stepping runs
        self._counts = dict.fromkeys(
            ("requests", "calls", "retries", "http_errors", "transport_errors", "malformed",
             "unparseable"), 0,
        )  # fmt: skip
        self._last_error = ""

    def __getstate__(self) -> dict[str, Any]:
        drop = ("_lock", "_closed", "_client")
        return {k: v for k, v in self.__dict__.items() if k not in drop}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._client = None

    # -- interface ----------------------------------------------------------------------------
    def fingerprint(self, kind: Kind) -> str:
        _check_kind(kind, self.kinds)
        digest = hashlib.sha256(
            json.dumps(
                [self.model, self.prompt.text(kind), self.goal, self.temperature,
                 sorted(self.extra_body.items())], default=str,
            ).encode()
        ).hexdigest()[:16]  # fmt: skip
        return f"openai:{self.model}:{digest}"

    def available_in(self) -> float:
        return self.breaker.retry_in()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = dict(self._counts)
            out["last_error"] = self._last_error
        out["breaker"] = self.breaker.state
        out["breaker_opens"] = self.breaker.opens
        out["breaker_refused"] = self.breaker.refused
        return out

    def close(self) -> None:
        self._closed.set()
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def annotate(self, kind: Kind, items: Sequence[Item]) -> list[float | None]:
        _check_kind(kind, self.kinds)
        if not items:
            return []
        if self._closed.is_set():
            raise AnnotatorUnavailable("the annotator is closed")
        if not self.breaker.allow():
            raise CircuitOpen("the circuit breaker is open", self.breaker.retry_in())
        probing = self.breaker.state == "half_open"
        self._count("calls")
        body: dict[str, Any] = {
            "model": self.model,
            "messages": self.prompt.messages(kind, list(items), self.goal),
            "temperature": self.temperature,
            **self.extra_body,
        }
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        if self.json_mode:
            body["response_format"] = {"type": "json_object"}
        attempts = 1 if probing else self.max_retries + 1
        wait = 0.0
        for attempt in range(attempts):
            if attempt:
                self._count("retries")
                if self._closed.wait(self._delay(attempt, wait)):
                    break
            content, wait = self._post(body)
            if content is not None:
                labels = parse_answer(content, len(items), kind)
                self._count("unparseable", sum(v is None for v in labels))
                self.breaker.record_success()
                return labels
        self.breaker.record_failure()
        raise AnnotatorUnavailable(
            f"no answer from {self.base_url} after {attempts} attempt(s): {self._last_error}",
            self.breaker.retry_in(),
        )

    # -- HTTP ---------------------------------------------------------------------------------
    def _http(self) -> Any:
        client = self._client
        if client is None:
            try:
                import httpx
            except ImportError as e:  # pragma: no cover - in the [llm] extra
                raise ImportError(
                    "OpenAICompatibleAnnotator needs httpx: pip install 'rewardgym[llm]'"
                ) from e
            headers = {"Content-Type": "application/json", **self.headers}
            if self.api_key:
                headers["Authorization"] = f"Bearer {self.api_key}"
            with self._lock:
                if self._client is None:
                    self._client = httpx.Client(
                        base_url=self.base_url + "/", headers=headers,
                        timeout=httpx.Timeout(self.timeout),
                    )  # fmt: skip
                client = self._client
        return client

    def _post(self, body: dict[str, Any]) -> tuple[str | None, float]:
        """(content, 0) on success; (None, seconds the server asked to wait) on a
        failure worth retrying. Raises AnnotatorUnavailable on one that is not."""
        import httpx

        self._count("requests")
        try:
            resp = self._http().post("chat/completions", json=body)
        except httpx.HTTPError as e:
            self._failure("transport_errors", f"{type(e).__name__}: {e}")
            return None, 0.0
        except RuntimeError as e:  # the client was closed under us
            self._failure("transport_errors", f"{type(e).__name__}: {e}")
            return None, 0.0
        status = resp.status_code
        if status != 200:
            self._failure("http_errors", f"HTTP {status}: {resp.text[:200]}")
            if status in (408, 409, 429) or status >= 500:
                return None, _retry_after(resp.headers.get("Retry-After"))
            self.breaker.record_failure()
            hint = {
                401: "check api_key",
                403: "check api_key",
                404: "check base_url (it ends in /v1) and model",
            }.get(status, "check the request settings")
            raise AnnotatorUnavailable(f"HTTP {status} from {self.base_url}: {hint}")
        content = _content(resp)
        if content is None:
            self._failure(
                "malformed", f"a reply that is not a chat completion: {resp.text[:120]!r}"
            )
        return content, 0.0

    def _delay(self, attempt: int, server_wait: float) -> float:
        base = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        with self._lock:
            jitter = 0.5 + 0.5 * self._rng.random()
        return min(self.max_backoff, max(base * jitter, server_wait))

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._counts[key] += n

    def _failure(self, key: str, message: str) -> None:
        with self._lock:
            self._counts[key] += 1
            self._last_error = message


def _retry_after(value: str | None) -> float:
    try:
        seconds = float(value) if value is not None else 0.0
    except ValueError:
        return 0.0
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


def _content(resp: Any) -> str | None:
    """The assistant message of a chat completion; None when the body is not one."""
    try:
        data = resp.json()
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else None


# -- embedded judge ---------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float64)


class EmbeddingJudge(Annotator):
    """The embedded default annotator: sentence-embedding similarity, no server.

    With ``e(.)`` the unit-norm all-MiniLM-L6-v2 embedding, a caption ``c`` scores

        ``score(c) = cos(e(c), e(goal)) + max_p cos(e(c), e(p)) - max_n cos(e(c), e(n))``

    over the rubric's ``positive`` examples ``p`` (captions that show progress) and
    ``negative`` examples ``n`` (captions that do not); a missing side adds nothing.
    Its label is ``sigmoid((score - threshold) / temperature)`` (``binary=True``:
    ``1[score > threshold]``); a pair's preference is
    ``sigmoid((score(a) - score(b)) / temperature)``. ``threshold=None`` puts it
    midway between the mean scores of the positive and negative examples when both
    are given, else at 0.3 (a caption about the goal scores about 0.4-0.9 against it,
    an unrelated one below 0.2).

    The model loads at :meth:`warm_up` or else at the first batch, once per process.
    Call ``warm_up()`` before stepping (:class:`~.bonus.LLMFeedbackTerm` does, for the
    judge it builds): loading on the annotation worker thread does not block stepping
    but holds the GIL much of the time, which slows it for seconds. ``model`` may be a
    loaded ``SentenceTransformer`` or a path to one. ``num_threads`` torch threads
    encode (1 by default, set for the
    calling thread only and restored after: see :func:`~.embedding.torch_threads`;
    None keeps torch's setting).
    """

    kinds = ("label", "pair")

    def __init__(
        self,
        goal: str,
        positive: Sequence[str] = (),
        negative: Sequence[str] = (),
        *,
        threshold: float | None = None,
        temperature: float = 0.05,
        binary: bool = False,
        model: Any = None,
        device: str = "cpu",
        batch_size: int = 32,
        num_threads: int | None = 1,
    ):
        if not isinstance(goal, str) or not goal.strip():
            raise ValueError(
                "the embedded judge scores captions by their similarity to the goal: pass "
                "goal='<the task in words>' (e.g. the env's task description)"
            )
        self.goal = goal
        self.positive = [str(p) for p in positive]
        self.negative = [str(n) for n in negative]
        self.temperature = _positive("temperature", temperature)
        self.binary = bool(binary)
        self.device = device
        self.batch_size = _positive("batch_size", batch_size, integer=True)
        self.num_threads = (
            None if num_threads is None else _positive("num_threads", num_threads, integer=True)
        )
        self._threshold = None if threshold is None else float(threshold)
        self._model_arg = model
        self._model: Any = None
        self._anchors: tuple[np.ndarray, np.ndarray | None, np.ndarray | None] | None = None
        self._lock = threading.Lock()
        self._calls = 0
        self._items = 0

    @property
    def model_name(self) -> str:
        if self._model_arg is None:
            return "all-MiniLM-L6-v2"
        return (
            self._model_arg if isinstance(self._model_arg, str) else type(self._model_arg).__name__
        )

    def fingerprint(self, kind: Kind) -> str:
        _check_kind(kind, self.kinds)
        digest = hashlib.sha256(
            json.dumps(
                [kind, self.model_name, self.goal, self.positive, self.negative,
                 self._threshold, self.temperature, self.binary]
            ).encode()
        ).hexdigest()[:16]  # fmt: skip
        return f"embedding:{self.model_name}:{digest}"

    def _ensure_model(self) -> tuple[Any, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]:
        with self._lock:
            if self._model is None:
                from .embedding import encode, load_sentence_model

                arg = self._model_arg
                model = (
                    load_sentence_model(arg, self.device)
                    if arg is None or isinstance(arg, str)
                    else arg
                )
                goal = encode(model, [self.goal])[0]
                pos = encode(model, self.positive) if self.positive else None
                neg = encode(model, self.negative) if self.negative else None
                self._anchors = (goal, pos, neg)
                self._model = model
                if self._threshold is None:
                    if self.positive and self.negative:
                        sp = self._scores(np.asarray(pos))
                        sn = self._scores(np.asarray(neg))
                        self._threshold = float(0.5 * (sp.mean() + sn.mean()))
                    else:
                        self._threshold = 0.3
            assert self._anchors is not None
            return self._model, self._anchors

    def warm_up(self) -> None:
        """Load the model and embed the goal and rubric now."""
        from .embedding import torch_threads

        with torch_threads(self.num_threads):
            self._ensure_model()

    def __getstate__(self) -> dict[str, Any]:
        if self._model_arg is not None and not isinstance(self._model_arg, str):
            raise TypeError("a judge holding a loaded model cannot be pickled; pass a path")
        state = dict(self.__dict__)
        state.update(_lock=None, _model=None, _anchors=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def threshold(self) -> float | None:
        """The label threshold (None until the model has loaded when it is automatic)."""
        return self._threshold

    def _scores(self, emb: np.ndarray) -> np.ndarray:
        assert self._anchors is not None
        goal, pos, neg = self._anchors
        s = emb @ goal
        if pos is not None:
            s = s + (emb @ pos.T).max(axis=1)
        if neg is not None:
            s = s - (emb @ neg.T).max(axis=1)
        return np.asarray(s, dtype=np.float64)

    def scores(self, captions: Sequence[str]) -> np.ndarray:
        """``score(c)`` of each caption (loads the model at the first call)."""
        from .embedding import encode, torch_threads

        with torch_threads(self.num_threads):
            model, _ = self._ensure_model()
            if not captions:
                return np.zeros(0)
            return self._scores(encode(model, list(captions), self.batch_size))

    def annotate(self, kind: Kind, items: Sequence[Item]) -> list[float | None]:
        _check_kind(kind, self.kinds)
        if not items:
            return []
        try:
            if kind == "label":
                s = self.scores([str(i) for i in items])
                assert self._threshold is not None
                if self.binary:
                    out = (s > self._threshold).astype(np.float64)
                else:
                    out = _sigmoid((s - self._threshold) / self.temperature)
            else:
                pairs = [(str(item[0]), str(item[1])) for item in items]
                s = self.scores([a for a, _ in pairs] + [b for _, b in pairs])
                k = len(pairs)
                out = _sigmoid((s[:k] - s[k:]) / self.temperature)
        except ImportError:
            raise
        except Exception as e:  # a model failure is a failed call, retried later
            raise AnnotatorUnavailable(
                f"the embedding judge failed: {type(e).__name__}: {e}"
            ) from e
        with self._lock:
            self._calls += 1
            self._items += len(items)
        return [float(v) for v in out]

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"calls": self._calls, "items": self._items, "loaded": self._model is not None}


# -- plain function ---------------------------------------------------------------------------


class FunctionAnnotator(Annotator):
    """Labels from ``fn(items) -> labels`` (a list of floats or None, one per item).

    ``name`` goes into the fingerprint: give a new name when ``fn`` changes meaning.
    An exception from ``fn`` makes the call fail (the service retries it later).
    """

    def __init__(
        self,
        fn: Callable[[list[Any]], Sequence[float | None]],
        kind: Kind = "label",
        *,
        name: str = "function",
        batch_size: int = 32,
    ):
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        if kind not in ("label", "pair"):
            raise ValueError(f"kind must be 'label' or 'pair', got {kind!r}")
        self.fn = fn
        self.kinds = (kind,)
        self.name = str(name)
        self.batch_size = _positive("batch_size", batch_size, integer=True)
        self._calls = 0

    def fingerprint(self, kind: Kind) -> str:
        _check_kind(kind, self.kinds)
        return f"function:{self.name}:{kind}"

    def annotate(self, kind: Kind, items: Sequence[Item]) -> list[float | None]:
        _check_kind(kind, self.kinds)
        try:
            out = list(self.fn(list(items)))
        except Exception as e:
            raise AnnotatorUnavailable(f"{self.name} failed: {type(e).__name__}: {e}") from e
        if len(out) != len(items):
            raise AnnotatorUnavailable(
                f"{self.name} returned {len(out)} labels for {len(items)} items"
            )
        self._calls += 1
        return [None if v is None else float(v) for v in out]

    def stats(self) -> dict[str, Any]:
        return {"calls": self._calls}
