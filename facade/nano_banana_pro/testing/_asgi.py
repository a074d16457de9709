"""Serving an ASGI app (a `WebhookReceiver`, your web app) with uvicorn on loopback, for tests."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any, Literal

from ..errors import NanoBananaProError

__all__ = ["serve_asgi"]

_STARTUP_SECONDS = 10.0


@contextlib.contextmanager
def serve_asgi(app: Any, *, lifespan: Literal["auto", "on", "off"] = "on") -> Iterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 (a free port) in a thread; yield its base URL.

    The server stops when the block ends. uvicorn must be installed (`pip install uvicorn`).

    Args:
        app: An ASGI application.
        lifespan: uvicorn's `lifespan` setting ("on", "off" or "auto").

    Raises:
        NanoBananaProError: uvicorn is not installed, or did not start within 10 s.
    """
    try:
        import uvicorn
    except ImportError:
        raise NanoBananaProError("serve_asgi needs uvicorn: pip install uvicorn") from None
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan=lifespan, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="serve-asgi", daemon=True)
    thread.start()
    deadline = time.monotonic() + _STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise NanoBananaProError("uvicorn did not start: see its log above")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=_STARTUP_SECONDS)
