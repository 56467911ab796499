"""Validation helpers for the frozen parameter dataclasses of the control tasks."""

from __future__ import annotations

import math
from typing import Any


def check_positive(params: Any, *names: str) -> None:
    """Raise ``ValueError`` naming the field when a parameter is not a positive number."""
    for name in names:
        value = getattr(params, name)
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ValueError(
                f"{type(params).__name__}.{name} must be a positive finite number, got {value!r}"
            )


def check_finite(params: Any, *names: str) -> None:
    """Raise ``ValueError`` naming the field when a parameter is not a finite number."""
    for name in names:
        value = getattr(params, name)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(
                f"{type(params).__name__}.{name} must be a finite number, got {value!r}"
            )
