"""Spaces for text environments.

Gymnasium's :class:`~gymnasium.spaces.Text` admits only characters of a fixed
charset (alphanumerics by default), so it rejects what a language model writes:
punctuation, JSON, newlines, accents, emoji. :class:`UnicodeText` admits any Python
string up to a length limit, and samples hostile-looking strings (mixed scripts,
JSON fragments, control characters) so random agents exercise an env's error paths.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.spaces import Text

__all__ = ["UnicodeText"]

# Code-point ranges a sample draws from: printable ASCII dominates, the rest covers
# Latin-1, Greek/Cyrillic, CJK, emoji and (rarely) control characters.
_RANGES: tuple[tuple[int, int, float], ...] = (
    (0x20, 0x7E, 0.80),
    (0x0A, 0x0A, 0.04),
    (0xA0, 0x24F, 0.05),
    (0x370, 0x4FF, 0.04),
    (0x4E00, 0x4FFF, 0.03),
    (0x1F300, 0x1F64F, 0.02),
    (0x00, 0x1F, 0.02),
)
_FRAGMENTS = ('{"name": ', '"arguments": {', "}", "<tool_call>", "</tool_call>", "\n", " ")


class UnicodeText(Text):
    """Any ``str`` of ``min_length`` to ``max_length`` characters (code points).

    The action space of a text env: an LLM's raw output is a member as long as it is
    a string within the length limit; whether it *means* anything is the env's
    business (a malformed action becomes an error observation, not an exception).

    ``sample()`` draws strings of at most ``sample_max_length`` characters (long
    samples only slow random rollouts down), mixing scripts, control characters and
    tool-call fragments.

    >>> space = UnicodeText(64, seed=0)
    >>> space.contains('<tool_call>{"name": "get_user"}</tool_call> — naïve ✓')
    True
    >>> space.contains("x" * 65)
    False
    >>> isinstance(space.sample(), str)
    True
    """

    def __init__(
        self,
        max_length: int = 16_384,
        *,
        min_length: int = 0,
        sample_max_length: int = 200,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        if not isinstance(max_length, (int, np.integer)) or max_length < 1:
            raise ValueError(f"max_length must be a positive integer, got {max_length!r}")
        super().__init__(max_length=int(max_length), min_length=int(min_length), seed=seed)
        self.sample_max_length = int(min(sample_max_length, max_length))
        weights = np.array([w for _, _, w in _RANGES])
        self._range_p = weights / weights.sum()

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        if mask is not None or probability is not None:
            raise ValueError("UnicodeText.sample does not take a mask or probabilities")
        rng = self.np_random
        hi = max(self.min_length, self.sample_max_length)
        length = int(rng.integers(self.min_length, hi + 1))
        parts: list[str] = []
        size = 0
        while size < length:
            if rng.random() < 0.1:
                piece = _FRAGMENTS[int(rng.integers(len(_FRAGMENTS)))]
            else:
                lo, up, _ = _RANGES[int(rng.choice(len(_RANGES), p=self._range_p))]
                piece = chr(int(rng.integers(lo, up + 1)))
            parts.append(piece)
            size += len(piece)
        return "".join(parts)[:length]

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"UnicodeText({self.min_length}, {self.max_length})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, UnicodeText)
            and self.min_length == other.min_length
            and self.max_length == other.max_length
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.min_length, self.max_length))
