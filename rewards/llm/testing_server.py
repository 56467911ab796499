"""A scripted OpenAI-compatible chat-completions server, for tests and for checking a setup.

It speaks enough of the OpenAI protocol for :class:`~.annotators.OpenAICompatibleAnnotator`
(``POST /v1/chat/completions``, ``GET /v1/models``) and answers with labels from a
script instead of a model: it reads the numbered messages of the prompt
(:func:`~.prompts.extract_items`), scores each caption with :class:`ScriptedScorer`
(exact labels, or the weights of the keywords it contains) and replies label 1 when
the score is positive (classification) or the caption with the higher score (pairs).

Its *mode* decides how it answers, and can be changed while it runs:

=============  =====================================================================
``normal``     a well-formed reply whose content is the JSON object of labels
``slow``       the same after ``delay`` seconds
``error``      HTTP 500
``malformed``  HTTP 200 with a body that is not valid JSON (or lacks ``choices``)
``chatty``     a well-formed reply whose content wraps the labels in prose, code
               fences or numbered lines (every form the parser reads)
``garbage``    a well-formed reply whose content holds no labels at all
=============  =====================================================================

``latency`` seconds are added to every reply (``--latency 0.05`` imitates a local model).
Control endpoints: ``POST /control`` with JSON ``{"mode": ..., "delay": ...,
"latency": ...}``; ``GET /stats`` (requests and items by mode); ``POST /reset_stats``;
``GET /health``.

Run it from a shell to point an annotator at it::

    python -m rewardgym.rewards.llm.testing_server --port 8000 --keyword key=1 --keyword door=1

In Python, :class:`ScriptedLLMServer` runs it in a thread and :class:`ScriptedLLMProcess`
in a child process (which can be killed and restarted on the same port)::

    with ScriptedLLMProcess(keywords={"key": 1.0}) as server:
        annotator = OpenAICompatibleAnnotator(server.base_url, model="scripted")

Only the standard library is used; the server binds to 127.0.0.1 by default.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .prompts import Item, extract_items

__all__ = ["MODES", "ScriptedLLMProcess", "ScriptedLLMServer", "ScriptedScorer", "main"]

#: The answer modes (see the module docstring).
MODES: tuple[str, ...] = ("normal", "slow", "error", "malformed", "chatty", "garbage")


class _Server(ThreadingHTTPServer):
    """A threading server that stays quiet when a client hangs up (an annotator
    timing out or closing its connection pool is normal here, not an error)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


#: A scripted reply: the request's messages -> the assistant's text (used instead of
#: the label scorer; the server then plays a chat model, e.g. for an LLM agent's tests).
Responder = Callable[[list[dict[str, Any]]], str]

_MALFORMED_BODIES = (
    b'{"id": "x", "choices": [{"message": {"role": "assistant", "content": "{\\"1\\": 1',
    b"<html><body>502 Bad Gateway</body></html>",
    b'{"id": "x", "object": "chat.completion", "usage": {}}',
    b'{"choices": []}',
    b"",
)


class ScriptedScorer:
    """Scores captions: ``labels[caption]`` when given, else the summed weights of the
    ``keywords`` the caption contains (case-insensitive), else 0.

    ``label(caption)`` is 1 for a positive score, else 0; ``prefer(a, b)`` is ``"A"``,
    ``"B"`` or ``"tie"`` by score.
    """

    def __init__(
        self,
        keywords: Mapping[str, float] | None = None,
        labels: Mapping[str, float] | None = None,
    ):
        self.keywords = {str(k).lower(): float(v) for k, v in (keywords or {}).items()}
        self.labels = {str(k): float(v) for k, v in (labels or {}).items()}

    def score(self, caption: str) -> float:
        if caption in self.labels:
            return self.labels[caption]
        low = caption.lower()
        return sum(w for k, w in self.keywords.items() if k in low)

    def label(self, caption: str) -> int:
        return 1 if self.score(caption) > 0 else 0

    def prefer(self, a: str, b: str) -> str:
        sa, sb = self.score(a), self.score(b)
        return "A" if sa > sb else "B" if sb > sa else "tie"

    def answer(self, items: list[Item]) -> dict[str, Any]:
        """The JSON object of labels a perfect model would write for ``items``."""
        out: dict[str, Any] = {}
        for i, item in enumerate(items, 1):
            out[str(i)] = self.label(item) if isinstance(item, str) else self.prefer(*item)
        return out


def _chatty(answer: dict[str, Any], variant: int) -> str:
    """The labels wrapped in one of several talkative forms."""
    word = {1: "yes", 0: "no"}
    compact = json.dumps(answer)
    if variant == 0:
        return (
            "Sure! I looked at each message carefully.\n\n```json\n"
            + json.dumps(answer, indent=2)
            + "\n```\n\nLet me know if you need anything else."
        )
    if variant == 1:
        lines = [
            f"{k}. {word.get(v, v) if isinstance(v, int) else v} - because of what it says"
            for k, v in answer.items()
        ]
        return "Here is my assessment:\n" + "\n".join(lines) + "\nHope this helps!"
    if variant == 2:
        lines = [f"**Message {k}**: {v}" for k, v in answer.items()]
        return "Thinking about the task step by step...\n" + "\n".join(lines)
    return f"The labels are {compact}. These reflect progress towards the goal."


class _State:
    """Mode, timing and counters, shared by the request handlers."""

    def __init__(
        self,
        scorer: ScriptedScorer,
        mode: str,
        delay: float,
        latency: float,
        responder: Responder | None = None,
    ):
        self.scorer = scorer
        self.responder = responder
        self.lock = threading.Lock()
        self.mode = mode
        self.delay = delay
        self.latency = latency
        self.requests: Counter[str] = Counter()
        self.items: Counter[str] = Counter()
        self.distinct: set[str] = set()
        self.counter = 0

    def control(self, update: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            if "mode" in update:
                if update["mode"] not in MODES:
                    raise ValueError(f"mode must be one of {MODES}")
                self.mode = str(update["mode"])
            if "delay" in update:
                self.delay = max(0.0, float(update["delay"]))
            if "latency" in update:
                self.latency = max(0.0, float(update["latency"]))
            return {"mode": self.mode, "delay": self.delay, "latency": self.latency}

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "mode": self.mode,
                "requests": dict(self.requests),
                "items": dict(self.items),
                "distinct_items": len(self.distinct),
                "total_requests": sum(self.requests.values()),
            }

    def reset_stats(self) -> None:
        with self.lock:
            self.requests.clear()
            self.items.clear()
            self.distinct.clear()


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "rewardgym-scripted-llm/1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, obj: Any) -> None:
            self._send(status, json.dumps(obj).encode())

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            return json.loads(raw or b"{}")

        def do_GET(self) -> None:
            if self.path.rstrip("/") in ("/v1/models", "/models"):
                self._json(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})
            elif self.path == "/stats":
                self._json(200, state.stats())
            elif self.path == "/health":
                self._json(200, {"status": "ok"})
            else:
                self._json(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            try:
                body = self._body()
            except ValueError:
                self._json(400, {"error": {"message": "the request body is not JSON"}})
                return
            if self.path == "/control":
                try:
                    self._json(200, state.control(body))
                except (ValueError, TypeError) as e:
                    self._json(400, {"error": {"message": str(e)}})
            elif self.path == "/reset_stats":
                state.reset_stats()
                self._json(200, {"ok": True})
            elif self.path.rstrip("/") in ("/v1/chat/completions", "/chat/completions"):
                self._complete(body)
            else:
                self._json(404, {"error": {"message": f"no route {self.path}"}})

        def _complete(self, body: Any) -> None:
            messages = body.get("messages") if isinstance(body, dict) else None
            if not isinstance(messages, list) or not messages:
                self._json(400, {"error": {"message": "messages must be a non-empty list"}})
                return
            user = next(
                (m.get("content", "") for m in reversed(messages) if m.get("role") == "user"),
                "",
            )
            items = extract_items(str(user))
            with state.lock:
                mode, delay, latency = state.mode, state.delay, state.latency
                state.requests[mode] += 1
                state.items[mode] += len(items)
                state.distinct.update(json.dumps(i) for i in items)
                state.counter += 1
                variant = state.counter
            pause = latency + (delay if mode == "slow" else 0.0)
            if pause > 0:
                time.sleep(pause)
            if mode == "error":
                self._json(500, {"error": {"message": "scripted internal error"}})
                return
            if mode == "malformed":
                self._send(200, _MALFORMED_BODIES[variant % len(_MALFORMED_BODIES)])
                return
            if state.responder is not None:
                try:
                    reply = str(state.responder(messages))
                except Exception as e:  # a broken script answers 500, like a broken model
                    self._json(500, {"error": {"message": f"responder failed: {e!r}"}})
                    return
                if mode == "chatty":
                    reply = (
                        f"<think>Let me look at this.</think>\nSure! Here it is:\n```\n{reply}\n```"
                    )
                elif mode == "garbage":
                    reply = "I'm sorry, I cannot help with that."
                content = reply
            elif mode == "chatty":
                content = _chatty(state.scorer.answer(items), variant % 4)
            elif mode == "garbage":
                content = "I'm sorry, but I can't evaluate these messages without more context."
            else:
                content = json.dumps(state.scorer.answer(items))
            self._json(
                200,
                {
                    "id": f"chatcmpl-{variant}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "scripted"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                },
            )

    return Handler


def _request(url: str, payload: Any | None = None, timeout: float = 5.0) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(
        url, data=data, method="GET" if data is None else "POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


class _Controlled:
    """Control of a running server over HTTP (both runners)."""

    host: str
    port: int

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, ``http://host:port/v1``."""
        return f"{self.url}/v1"

    def set_mode(
        self, mode: str | None = None, *, delay: float | None = None, latency: float | None = None
    ) -> dict[str, Any]:
        """Change how the server answers (see :data:`MODES`)."""
        update: dict[str, Any] = {}
        if mode is not None:
            if mode not in MODES:
                raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
            update["mode"] = mode
        if delay is not None:
            update["delay"] = delay
        if latency is not None:
            update["latency"] = latency
        return dict(_request(f"{self.url}/control", update))

    def stats(self) -> dict[str, Any]:
        """Requests and items received, by mode, since the start or the last reset."""
        return dict(_request(f"{self.url}/stats"))

    def reset_stats(self) -> None:
        _request(f"{self.url}/reset_stats", {})


class ScriptedLLMServer(_Controlled):
    """The scripted server in a thread of this process (``start()`` / ``stop()``, or a
    ``with`` block). ``port=0`` picks a free port; :attr:`port` tells which."""

    def __init__(
        self,
        keywords: Mapping[str, float] | None = None,
        labels: Mapping[str, float] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        mode: str = "normal",
        delay: float = 1.0,
        latency: float = 0.0,
        responder: Responder | None = None,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if responder is not None and not callable(responder):
            raise ValueError(f"responder must be callable(messages) -> str, got {responder!r}")
        self.host = host
        self.port = int(port)
        self.state = _State(
            ScriptedScorer(keywords, labels), mode, float(delay), float(latency), responder
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ScriptedLLMServer:
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), _handler(self.state))
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
            name="scripted-llm-server",
        )  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class ScriptedLLMProcess(_Controlled):
    """The scripted server in a child process: :meth:`kill` ends it abruptly (SIGKILL,
    as a crash would), :meth:`restart` starts it again on the same port.

    ``start()`` waits until the server listens. ``port=0`` picks a free port at the
    first start and keeps it for restarts.
    """

    def __init__(
        self,
        keywords: Mapping[str, float] | None = None,
        labels: Mapping[str, float] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        mode: str = "normal",
        delay: float = 1.0,
        latency: float = 0.0,
        start_timeout: float = 30.0,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.host = host
        self.port = int(port)
        self.keywords = dict(keywords or {})
        self.labels = dict(labels or {})
        self.mode = mode
        self.delay = float(delay)
        self.latency = float(latency)
        self.start_timeout = float(start_timeout)
        self._proc: subprocess.Popen[str] | None = None
        self._errors: Any = None

    def _command(self) -> list[str]:
        cmd = [
            sys.executable, "-m", "rewardgym.rewards.llm.testing_server",
            "--host", self.host, "--port", str(self.port), "--mode", self.mode,
            "--delay", str(self.delay), "--latency", str(self.latency),
        ]  # fmt: skip
        for k, v in self.keywords.items():
            cmd += ["--keyword", f"{k}={v}"]
        if self.labels:
            cmd += ["--labels-json", json.dumps(self.labels)]
        return cmd

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def start(self) -> ScriptedLLMProcess:
        if self.running:
            return self
        errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives as long as the child
        proc = subprocess.Popen(
            self._command(), stdout=subprocess.PIPE, stderr=errors, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        assert proc.stdout is not None
        deadline = time.monotonic() + self.start_timeout
        line = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("LISTENING ") or not line:
                break
        if not line.startswith("LISTENING "):
            proc.kill()
            proc.wait(timeout=10)
            errors.seek(0)
            err = errors.read()
            errors.close()
            raise RuntimeError(f"the scripted LLM server did not start: {err[-2000:]}")
        self.port = int(line.split()[1])
        self._proc = proc
        self._errors = errors
        return self

    def kill(self) -> None:
        """End the server at once (SIGKILL): open connections break mid-request."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
        self._proc.wait(timeout=10)
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        if self._errors is not None:
            self._errors.close()
        self._proc, self._errors = None, None

    def restart(self) -> ScriptedLLMProcess:
        """Kill (if running) and start again on the same port, in the initial mode."""
        self.kill()
        return self.start()

    def stop(self) -> None:
        self.kill()

    def __enter__(self) -> ScriptedLLMProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _keyword(text: str) -> tuple[str, float]:
    key, sep, weight = text.rpartition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected WORD=WEIGHT, got {text!r}")
    return key, float(weight)


def main(argv: list[str] | None = None) -> None:
    """Run the server in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--mode", choices=MODES, default="normal")
    parser.add_argument("--delay", type=float, default=1.0, help="extra seconds in slow mode")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every reply")
    parser.add_argument(
        "--keyword", type=_keyword, action="append", default=[],
        help="WORD=WEIGHT: captions containing WORD score WEIGHT (repeatable)",
    )  # fmt: skip
    parser.add_argument("--labels-json", default=None, help="JSON object caption -> score")
    args = parser.parse_args(argv)
    labels = json.loads(args.labels_json) if args.labels_json else None
    server = ScriptedLLMServer(
        dict(args.keyword), labels, host=args.host, port=args.port, mode=args.mode,
        delay=args.delay, latency=args.latency,
    )  # fmt: skip
    httpd = _Server((server.host, server.port), _handler(server.state))
    httpd.daemon_threads = True
    print(f"LISTENING {httpd.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        httpd.serve_forever(poll_interval=0.05)
    httpd.server_close()


if __name__ == "__main__":
    main()
