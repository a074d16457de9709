"""The numbers the command line takes, as argparse `type`s that say what is wrong."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = ["COUNT", "INTEGER", "NUMBER", "PORT", "RATE", "SECONDS", "SECONDS_OR_ZERO", "number"]


def number(
    parse: Callable[[str], float],
    *,
    noun: str,
    low: float = -math.inf,
    high: float = math.inf,
    low_allowed: bool = True,
    bounds: str = "",
) -> Callable[[str], float]:
    """A converter to `parse(value)`, refused outside `low`..`high` with `must be <bounds>`."""

    def convert(value: str) -> float:
        try:
            parsed = parse(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {noun}: {value!r}") from None
        if not math.isfinite(parsed):
            raise argparse.ArgumentTypeError(f"not a finite {noun}: {value!r}")
        if parsed > high or parsed < low or (parsed == low and not low_allowed):
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value!r}")
        return parsed

    return convert


SECONDS = number(
    float, noun="number of seconds", low=0, low_allowed=False, bounds="a positive number of seconds"
)
SECONDS_OR_ZERO = number(float, noun="number of seconds", low=0, bounds="0 or more seconds")
RATE = number(float, noun="number", low=0, low_allowed=False, bounds="a positive number")
COUNT = number(int, noun="whole number", low=1, bounds="a whole number of 1 or more")
PORT = number(int, noun="port number", low=0, high=65535, bounds="a port from 0 to 65535")
INTEGER = number(int, noun="whole number")
NUMBER = number(float, noun="number")
