"""The `nano_banana_pro` logger, and `MAGNIFIC_LOG` to turn it on without code."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import TextIO

from ._config import ENV_LOG

logger = logging.getLogger("nano_banana_pro")
# A library's logger prints nothing until the program (or MAGNIFIC_LOG) says where: without a
# handler, Python would print its warnings to stderr through `logging.lastResort`.
logger.addHandler(logging.NullHandler())
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


def configure_from_env() -> None:
    """With `MAGNIFIC_LOG=debug|info|warning`, log at that level to stderr (once per process).

    Request logs show headers with the API key redacted; the key is never logged. Another
    value is a `RuntimeWarning`, and the log stays off.
    """
    value = os.environ.get(ENV_LOG, "").strip().lower()
    level = _LEVELS.get(value)
    if level is None:
        if value:
            warnings.warn(
                f"{ENV_LOG}={value!r} is not one of {', '.join(_LEVELS)}: the log stays off",
                RuntimeWarning,
                stacklevel=4,
            )
        return
    logger.setLevel(level)
    if not any(isinstance(handler, _EnvHandler) for handler in logger.handlers):
        logger.addHandler(_EnvHandler())


class _EnvHandler(logging.StreamHandler[TextIO]):
    """The stderr handler `MAGNIFIC_LOG` adds (once)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
