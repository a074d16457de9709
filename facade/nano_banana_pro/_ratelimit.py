"""The request budget a client keeps: sliding windows (`RateWindow`) making up a `RateLimit`.

The service's per-IP limits are two such windows: "50 hits per second over a 5-second period"
(250 in any 5 s) and "10 hits per second averaged over a 2-minute period" (1,200 in any 120 s).
The fake (`nano_banana_pro.testing`) enforces windows of this same class; the client's
`Governor` (`_governor.py`) keeps every window of its `RateLimit`, for all its calls.
"""

from __future__ import annotations

import os

import attrs

from ._checks import is_positive_number, is_whole_number
from .errors import InvalidRequestError

__all__ = ["SERVICE_WINDOWS", "RateLimit", "RateWindow"]


def _whole_number(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if not is_whole_number(value, minimum=1):
        raise InvalidRequestError(
            f"RateWindow.{attribute.name}", f"must be a whole number >= 1, got {value!r}"
        )


def _positive(instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    if not is_positive_number(value):
        raise InvalidRequestError(
            f"RateWindow.{attribute.name}", f"must be a positive, finite number, got {value!r}"
        )


@attrs.frozen(kw_only=True)
class RateWindow:
    """At most `requests` API requests in any `seconds` (a sliding window).

    Attributes:
        requests: How many requests the window admits.
        seconds: Its length.

    Raises:
        InvalidRequestError: `requests` is not a whole number >= 1, or `seconds` not a
            positive, finite number.
    """

    requests: int = attrs.field(validator=_whole_number)
    seconds: float = attrs.field(validator=_positive)

    def scaled(self, time_scale: float) -> RateWindow:
        """The same window, its length multiplied by `time_scale` (0.01: 100x faster).

        For tests and benchmarks that run the service's limits, and a client's, in less time.

        Raises:
            InvalidRequestError: `time_scale` is not a positive, finite number.
        """
        if not is_positive_number(time_scale):
            raise InvalidRequestError(
                "time_scale", f"must be a positive, finite number, got {time_scale!r}"
            )
        return attrs.evolve(self, seconds=self.seconds * time_scale)


#: The service's documented per-IP limits: 250 requests in any 5 s, 1,200 in any 120 s.
SERVICE_WINDOWS = (
    RateWindow(requests=250, seconds=5.0),
    RateWindow(requests=1200, seconds=120.0),
)


def _default_windows() -> tuple[RateWindow, ...]:
    from ._config import DEFAULT_RATE_WINDOWS  # the table of defaults imports this module

    return DEFAULT_RATE_WINDOWS


def _windows(value: object) -> tuple[RateWindow, ...]:
    if isinstance(value, RateWindow) or not isinstance(value, tuple | list):
        raise InvalidRequestError(
            "RateLimit.windows", f"must be a tuple of RateWindow, got {value!r}"
        )
    windows = tuple(value)
    if not windows or not all(isinstance(window, RateWindow) for window in windows):
        raise InvalidRequestError(
            "RateLimit.windows", f"must hold one RateWindow or more, got {value!r}"
        )
    return windows


def _shared(value: object) -> str | os.PathLike[str] | None:
    if value is None or (isinstance(value, os.PathLike) and os.fspath(value)):
        return value
    if isinstance(value, str) and value.strip():
        return value
    raise InvalidRequestError(
        "RateLimit.shared", f"must be a file path (str or os.PathLike) or None, got {value!r}"
    )


@attrs.frozen(kw_only=True)
class RateLimit:
    """A client's budget of API requests: every window holds, for all its calls together.

    The default keeps the service's documented per-IP windows (`SERVICE_WINDOWS`) with a few
    percent to spare: 240 requests in any 5.2 s, and 1,170 in any 120.5 s. A request takes its
    place in a window from when it is sent until the window's length after its answer (the
    service counted it at some instant in between), so the windows hold at the service however
    long requests take. Requests queue in order (first come, first sent), and a 429's
    `Retry-After` pauses every call.

    With `shared`, the processes of one host that give the same file share one budget (the
    scripts or workers behind one IP): together they never exceed it. Each process holds its own
    windows over everyone's requests; the file keeps their send times on the system's monotonic
    clock, so it is for the processes of one host and one boot, on a local disk.

    Attributes:
        windows: The sliding windows to keep, at least one.
        shared: A budget file shared with other processes (created when missing); None keeps
            the budget in memory, for this client only.

    Raises:
        InvalidRequestError: no window, something other than `RateWindow`s, or a `shared` that
            is not a path.
    """

    windows: tuple[RateWindow, ...] = attrs.field(factory=_default_windows, converter=_windows)
    shared: str | os.PathLike[str] | None = attrs.field(default=None, converter=_shared)

    @classmethod
    def per_second(
        cls,
        rate: float,
        *,
        burst: int | None = None,
        shared: str | os.PathLike[str] | None = None,
    ) -> RateLimit:
        """At most `rate` requests per second: `burst` in any `burst / rate` seconds.

        Args:
            rate: Requests per second, on average.
            burst: How many may go at once after a quiet spell (default: the whole part of
                `rate`, at least 1: `rate` requests in any second).
            shared: As for `RateLimit`.

        Raises:
            InvalidRequestError: `rate` is not a positive, finite number, or `burst` not a
                whole number >= 1.
        """
        if not is_positive_number(rate):
            raise InvalidRequestError("rate", f"must be a positive, finite number, got {rate!r}")
        if burst is None:
            burst = max(1, int(rate))
        if not is_whole_number(burst, minimum=1):
            raise InvalidRequestError("burst", f"must be a whole number >= 1, got {burst!r}")
        return cls(windows=(RateWindow(requests=burst, seconds=burst / rate),), shared=shared)
