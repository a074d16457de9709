"""What makes a number a valid setting, for every module that checks one."""

from __future__ import annotations

import math
from typing import TypeGuard

__all__ = ["is_positive_number", "is_whole_number"]


def is_positive_number(value: object) -> TypeGuard[float]:
    """A positive, finite int or float (a bool is not a number here)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def is_whole_number(value: object, *, minimum: int) -> TypeGuard[int]:
    """An int (not a bool) of at least `minimum`."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum
