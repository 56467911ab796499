"""An LLM agent for the text envs (tool use, web, text games) over any
OpenAI-compatible chat-completions endpoint: vLLM, llama.cpp's server, Ollama or a
hosted API (the ``llm`` extra brings ``httpx``).

The conversation is the episode: the system prompt is the env's documentation (its
class docstring, the page ``rewardgym info`` prints) with how to answer, each
observation is a user message and each reply an assistant message (the last
``history`` turns are kept). The reply becomes the action:

* **Text mode**: the reply, cleaned of what models add around an answer: reasoning in
  ``<think>...</think>``, prose around a code fence, an "Action:" prefix.
  The env reads the rest (tool calls in ``<tool_call>`` blocks or OpenAI JSON,
  commands, web actions) and reports what it could not read as an error kind.
* **Discrete mode**: the candidate the reply names, matched against
  ``info["candidates"]`` (the reply itself, a line of it, a fenced or quoted
  candidate, a candidate's number from the numbered list the agent shows, or the
  longest candidate the reply contains), else the candidate with the most words in
  common with the reply. A reply that names none is counted in
  :attr:`LLMAgent.unparsed` and plays the best-overlap candidate anyway.

A server that fails (timeouts, HTTP errors, malformed replies) is retried with
exponential backoff; after ``retries`` failures the agent raises
:class:`LLMAgentError` (``on_error="raise"``, the default) or plays an empty action
(``on_error="empty"``: the env records a parse error and the episode goes on), and
counts the failure in :attr:`LLMAgent.failures`.

Run one from the command line (the base URL and model come from the environment)::

    export REWARDGYM_LLM_BASE_URL=http://127.0.0.1:8000/v1
    export REWARDGYM_LLM_MODEL=Qwen/Qwen2.5-7B-Instruct
    rewardgym run rewardgym/ToolCall-v0 --agent llm --episodes 20
"""

from __future__ import annotations

import inspect
import os
import re
import time
from collections.abc import Sequence
from typing import Any, Literal

import gymnasium as gym

__all__ = ["LLMAgent", "LLMAgentError", "clean_reply", "match_candidate"]

_THINK = re.compile(r"<think>.*?(</think>|$)", re.S | re.I)
_FENCE = re.compile(r"```[\w-]*\n(.*?)\n?```", re.S)
_TOOL_MARKUP = re.compile(r"<tool_call>|\"tool_calls\"")
_PREFIX = re.compile(r"^(action|command|answer)\s*:\s*", re.I)
_WORD = re.compile(r"\w+", re.UNICODE)


class LLMAgentError(RuntimeError):
    """The endpoint did not answer after every retry."""


def clean_reply(text: str) -> str:
    """The answer in a model's reply: reasoning (``<think>``) removed; the last code
    fence's content when the reply has one (unless it holds tool-call markup, which the
    tool-use envs read as it is); an "Action:" prefix stripped."""
    text = _THINK.sub("", text).strip()
    if not _TOOL_MARKUP.search(text):
        fenced = _FENCE.findall(text)
        if fenced:
            text = fenced[-1].strip()
    return _PREFIX.sub("", text).strip()


def match_candidate(reply: str, candidates: Sequence[str]) -> tuple[int, bool]:
    """``(index, exact)``: the candidate a reply names. ``exact`` is False when no
    rule matched and the index is the best word-overlap guess (0 for no overlap)."""
    if not candidates:
        raise ValueError("no candidates to choose from")
    text = clean_reply(reply)
    lowered = [c.strip().lower() for c in candidates]
    lines = [ln.strip().strip("`'\".").strip() for ln in text.splitlines() if ln.strip()]
    for probe in (text, *(reversed(lines))):
        p = probe.lower().strip("`'\".").strip()
        if p in lowered:
            return lowered.index(p), True
        number = re.fullmatch(r"\[?(\d+)\]?", p)
        if number and 1 <= int(number.group(1)) <= len(candidates):
            return int(number.group(1)) - 1, True
    fenced = [f.strip().lower() for f in _FENCE.findall(text)]
    for f in reversed(fenced):
        if f in lowered:
            return lowered.index(f), True
    quoted = re.findall(r"[\"'`](.+?)[\"'`]", text)
    for q in reversed(quoted):
        if q.strip().lower() in lowered:
            return lowered.index(q.strip().lower()), True
    # the reply quotes a candidate inside other text: the longest one it contains
    low = text.lower()
    contained = [i for i, c in enumerate(lowered) if c and c in low]
    if contained:
        return max(contained, key=lambda i: (len(lowered[i]), -i)), True
    words = set(_WORD.findall(text.lower()))
    overlap = [len(words & set(_WORD.findall(c))) for c in lowered]
    best = max(range(len(candidates)), key=lambda i: (overlap[i], -i))
    return best, False


def _doc_page(env: gym.Env[Any, Any]) -> str:
    doc = inspect.getdoc(type(env.unwrapped)) or ""
    return doc.strip()


class LLMAgent:
    """Plays a text env by asking a chat model for each action.

    Args:
        env: the env it plays (its docs make the system prompt; discrete mode is
            detected from ``env.unwrapped.action_mode``).
        base_url: the endpoint, up to ``/v1`` (default ``$REWARDGYM_LLM_BASE_URL``,
            else ``$OPENAI_BASE_URL``).
        model: the model name the server knows (default ``$REWARDGYM_LLM_MODEL``).
        api_key: sent as a bearer token (default ``$OPENAI_API_KEY``; local servers
            need none).
        temperature, max_tokens: sampling settings of each request.
        history: past turns (observation + reply) kept in the conversation.
        timeout: seconds per request; retries: attempts after the first; backoff:
            the first wait, doubled each retry.
        on_error: ``"raise"`` or ``"empty"`` once the retries are spent.
        system_prompt: replaces the prompt built from the env's docs.
        client: an ``httpx.Client`` to use (tests, custom transports).
    """

    name = "llm"

    def __init__(
        self,
        env: gym.Env[Any, Any],
        base_url: str | None = None,
        model: str | None = None,
        *,
        api_key: str | None = None,
        temperature: float = 0.0,
        max_tokens: int = 512,
        history: int = 8,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.5,
        on_error: Literal["raise", "empty"] = "raise",
        system_prompt: str | None = None,
        seed: int | None = None,
        client: Any = None,
    ):
        base_url = (
            base_url
            or os.environ.get("REWARDGYM_LLM_BASE_URL")
            or os.environ.get("OPENAI_BASE_URL")
        )
        model = model or os.environ.get("REWARDGYM_LLM_MODEL")
        if not base_url:
            raise ValueError(
                "LLMAgent needs the endpoint: pass base_url='http://127.0.0.1:8000/v1' or set "
                "REWARDGYM_LLM_BASE_URL"
            )
        if not model:
            raise ValueError(
                "LLMAgent needs the model name the server serves: pass model=... or set "
                "REWARDGYM_LLM_MODEL"
            )
        if on_error not in ("raise", "empty"):
            raise ValueError(f"on_error must be 'raise' or 'empty', got {on_error!r}")
        for label, value, low in (("history", history, 0), ("retries", retries, 0),
                                  ("max_tokens", max_tokens, 1)):  # fmt: skip
            if not isinstance(value, int) or value < low:
                raise ValueError(f"{label} must be an int >= {low}, got {value!r}")
        if not timeout > 0 or backoff < 0:
            raise ValueError(f"timeout must be > 0 and backoff >= 0, got {timeout}, {backoff}")
        self.env = env
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.temperature = float(temperature)
        self.max_tokens = max_tokens
        self.history = history
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff = float(backoff)
        self.on_error = on_error
        self.seed = seed
        self.discrete = getattr(env.unwrapped, "action_mode", "text") == "discrete"
        self.system_prompt = system_prompt or self._default_prompt()
        self._client = client
        self._turns: list[tuple[str, str]] = []
        self._last_text: str | None = None
        #: requests that failed after every retry
        self.failures = 0
        #: discrete-mode replies that named no candidate
        self.unparsed = 0
        #: requests sent and seconds spent waiting for them
        self.requests = 0
        self.latency_s = 0.0

    def _default_prompt(self) -> str:
        how = (
            "Reply with exactly one of the numbered candidate actions shown after each "
            "observation (its text or its number), and nothing else."
            if self.discrete
            else "Reply with your next action only, written as the environment asks."
        )
        return (
            "You are an agent acting in a text environment. Each user message is what you "
            f"observe; your reply is your action. {how}\n\n# The environment\n"
            f"{_doc_page(self.env)}"
        )

    def _http(self) -> Any:
        if self._client is None:
            try:
                import httpx
            except ImportError as exc:  # pragma: no cover - the llm extra is installed
                raise ImportError("LLMAgent needs httpx: pip install 'rewardgym[llm]'") from exc
            self._client = httpx.Client(timeout=self.timeout)
        return self._client

    def reset(self) -> None:
        """Forget the conversation (a new episode)."""
        self._turns.clear()
        self._last_text = None

    def _user_message(self, obs: Any, info: dict[str, Any]) -> str:
        text = obs if isinstance(obs, str) else str(info.get("text", ""))
        if self.discrete:
            cands = info.get("candidates") or []
            listing = "\n".join(f"{i + 1}. {c}" for i, c in enumerate(cands))
            text = f"{text}\n\n# Candidate actions\n{listing}"
        return text

    def complete(self, messages: list[dict[str, str]]) -> str:
        """One chat completion (retried with backoff); the reply's text."""
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.seed is not None:
            payload["seed"] = self.seed
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            start = time.perf_counter()
            try:
                self.requests += 1
                resp = self._http().post(
                    f"{self.base_url}/chat/completions", json=payload, headers=headers
                )
                resp.raise_for_status()
                content = resp.json()["choices"][0]["message"]["content"]
                if not isinstance(content, str):
                    raise ValueError("the reply has no text content")
                return content
            except Exception as exc:  # HTTP, network, JSON and shape errors are retried
                last = exc
            finally:
                self.latency_s += time.perf_counter() - start
        self.failures += 1
        raise LLMAgentError(
            f"{self.base_url} did not answer after {self.retries + 1} attempts: "
            f"{type(last).__name__}: {last}"
        )

    def act(self, obs: Any, info: dict[str, Any] | None = None) -> Any:
        """The action for this observation (text, or a candidate index)."""
        info = info or {}
        if int(info.get("turn", 1) or 0) == 0:
            self.reset()
        user = self._user_message(obs, info)
        messages = [{"role": "system", "content": self.system_prompt}]
        for past_user, past_reply in self._turns[-self.history :] if self.history else []:
            messages += [
                {"role": "user", "content": past_user},
                {"role": "assistant", "content": past_reply},
            ]
        messages.append({"role": "user", "content": user})
        try:
            reply = self.complete(messages)
        except LLMAgentError:
            if self.on_error == "raise":
                raise
            reply = ""
        self._turns.append((user, reply))
        if not self.discrete:
            return clean_reply(reply)
        cands = info.get("candidates") or []
        if not cands:
            return 0
        index, exact = match_candidate(reply, cands)
        if not exact:
            self.unparsed += 1
        return index

    def stats(self) -> dict[str, Any]:
        """Requests, failures, unparsed replies and mean latency."""
        return {
            "requests": self.requests,
            "failures": self.failures,
            "unparsed": self.unparsed,
            "mean_latency_s": self.latency_s / self.requests if self.requests else None,
        }

    def close(self) -> None:
        if self._client is not None and hasattr(self._client, "close"):
            self._client.close()

    def __repr__(self) -> str:
        return f"LLMAgent(model={self.model!r}, base_url={self.base_url!r})"
