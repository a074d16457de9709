"""The `nano_banana_pro` logger, and `MAGNIFIC_LOG` to turn it on without code."""

from __future__ import annotations

import logging
import os
import sys

from ._config import ENV_LOG

logger = logging.getLogger("nano_banana_pro")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


def configure_from_env() -> None:
    """With `MAGNIFIC_LOG=debug|info|warning`, log at that level to stderr (once per process).

    Request logs show headers with the API key redacted; the key is never logged.
    """
    level = _LEVELS.get(os.environ.get(ENV_LOG, "").strip().lower())
    if level is None:
        return
    logger.setLevel(level)
    if not any(getattr(handler, "_nano_banana_pro", False) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        handler._nano_banana_pro = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
