"""`WebhookReceiver`: the endpoint the service's webhooks are sent to, in any Python web app.

```python
from fastapi import FastAPI
from starlette.routing import Route
from nano_banana_pro import Task, WebhookReceiver

def on_task(task: Task) -> None:
    print(task.task_id, task.status)

receiver = WebhookReceiver(on_task=on_task)   # secret: MAGNIFIC_WEBHOOK_SECRET
app = FastAPI(routes=[Route("/webhooks", receiver)])  # ASGI; `receiver.wsgi` is the WSGI app
```

The receiver is an ASGI application (a FastAPI or Starlette `Route`, or any asyncio ASGI server:
`uvicorn module:receiver`) and offers a WSGI one, `receiver.wsgi` (Flask through werkzeug's
`DispatcherMiddleware`, Django, any WSGI server). Any other framework passes its request to
`receiver.handle(method, headers, body)` and answers with the `WebhookReply` it returns: both
apps are thin adapters over that one method.

Each delivery is verified by `webhooks.unwrap` (signature, replay window, the spec's payload),
then, when it is new, given to `on_task` and then to the clients of this process (a wait on that
task completes on delivery). The answers:

| delivery | answer |
|---|---|
| verified, new | `on_task(task)`, then every client's waits; 200 `{"message": "accepted"}` |
| its `webhook-id` already accepted | 200, `on_task` not called again |
| a non-final status for a task already seen final (reordered) | 200, `on_task` not called |
| the same `webhook-id` being processed right now | 409: the service sends it again later |
| refused by verification (signature, stale, malformed) | 400 `{"message": "<the reason>"}` |
| `on_task` raised | 500: not remembered as accepted, so the service's retry is processed |
| a body over `max_body_bytes` | 413 |
| not a POST | 405, `Allow: POST` |

`on_task` runs in a worker thread (the ASGI app's, or the WSGI server's request thread), several
at once when deliveries arrive together; an `async` function given to the ASGI app is awaited on
the server's event loop instead (an asyncio server: uvicorn, hypercorn, daphne). The receiver
remembers the last `remember` accepted ids (and tasks seen final): a duplicate older than that
is processed again. Logs go to the `nano_banana_pro` logger; never the secret, never the body.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING

from . import _watching, webhooks
from ._delivery_book import DeliveryBook
from ._web_apps import Receive, Scope, Send, asgi_reply, asgi_request, lifespan, wsgi_request
from ._webhook_reply import INTERNAL_ERROR, REFUSALS, WebhookReply
from .errors import InvalidRequestError, WebhookVerificationError
from .task import Task

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = [
    "DEFAULT_REMEMBER",
    "MAX_BODY_BYTES",
    "WebhookReceiver",
    "WebhookReply",
]

logger = logging.getLogger("nano_banana_pro")

#: How many accepted `webhook-id`s (and tasks seen final) a receiver remembers, by default.
DEFAULT_REMEMBER = 10_000
#: The largest body a receiver reads, by default (a delivery is a few hundred bytes).
MAX_BODY_BYTES = 1024 * 1024

_ALLOWED_METHOD = "POST"
_ID_HEADER = "webhook-id"
#: A refusal's reason is cut to this many characters in the answer and the log.
_MAX_REASON_CHARS = 300


class WebhookReceiver:
    """Verifies each webhook delivery, calls your handler once per delivery, completes waits.

    An ASGI application itself (`await receiver(scope, receive, send)`); `receiver.wsgi` is the
    WSGI one; `receiver.handle` serves any other framework. See the module's docstring for the
    answers it gives.

    Args:
        secret: The webhook secret. Defaults to the `MAGNIFIC_WEBHOOK_SECRET` environment
            variable, read once, here.
        tolerance: Seconds a delivery's `webhook-timestamp` may differ from now, either way;
            `None` turns the replay check off (not recommended).
        on_task: Called with the task of each new verified delivery; raising makes the answer
            500, so that the service retries. The ASGI app awaits an `async` function.
        remember: How many accepted delivery ids (and tasks seen final) are remembered, the
            least recently seen forgotten first.
        max_body_bytes: Bodies larger than this are refused with 413, unread past the limit.

    Raises:
        InvalidRequestError: no secret was given or set, or `remember` or `max_body_bytes` is
            not positive.
    """

    def __init__(
        self,
        *,
        secret: str | None = None,
        tolerance: float | None = webhooks.DEFAULT_TOLERANCE,
        on_task: Callable[[Task], object] | None = None,
        remember: int = DEFAULT_REMEMBER,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        resolved = secret if secret is not None else os.environ.get(webhooks.SECRET_ENV_VAR)
        if not resolved:
            raise InvalidRequestError(
                "secret",
                f"no webhook secret: pass secret=... or set {webhooks.SECRET_ENV_VAR}",
            )
        for name, value in (("remember", remember), ("max_body_bytes", max_body_bytes)):
            if value < 1:
                raise InvalidRequestError(name, f"must be 1 or more, got {value}")
        self._secret = resolved
        self._tolerance = tolerance
        self._on_task = on_task
        self._max_body_bytes = max_body_bytes
        self._book = DeliveryBook(remember=remember)

    def __repr__(self) -> str:
        return (
            f"WebhookReceiver(tolerance={self._tolerance!r}, on_task={self._on_task!r}, "
            f"remembered={len(self._book)})"
        )

    def handle(self, method: str, headers: Mapping[str, str], body: bytes) -> WebhookReply:
        """Answer one request: the core both apps adapt. Never raises.

        Args:
            method: The request's HTTP method.
            headers: Its headers, any mapping (names matched case-insensitively).
            body: Its raw body, exactly as received (at most `max_body_bytes` + 1 bytes need be
                read: more is refused alike).

        Returns:
            The answer to send back (status, `{"message": ...}` body, headers).
        """
        return self._handle(method, headers, body, loop=None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI application: HTTP requests, and the lifespan protocol (nothing to do)."""
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
        elif scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})  # refused: HTTP only
        elif scope["type"] == "http":
            await self._serve_http(scope, receive, send)

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI application (a bound method: pass `receiver.wsgi` where an app is wanted).

        Args:
            environ: The WSGI environment.
            start_response: The server's `start_response`.

        Returns:
            The answer's body.
        """
        try:
            method, headers, body = wsgi_request(environ, limit=self._max_body_bytes + 1)
        except OSError as error:  # the connection broke mid-body
            logger.debug("webhook body unreadable: %s", error)
            reply = WebhookReply(status=400, message="the body could not be read")
        else:
            reply = self.handle(method, headers, body)
        start_response(f"{reply.status} {HTTPStatus(reply.status).phrase}", reply.headers)
        return [reply.body]

    async def _serve_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = await asgi_request(scope, receive, limit=self._max_body_bytes + 1)
        if request is None:  # the sender went away
            return
        # In a worker thread, so that a blocking on_task never stalls the event loop.
        reply = await asyncio.to_thread(self._handle, *request, loop=asyncio.get_running_loop())
        await asgi_reply(send, status=reply.status, headers=reply.headers, body=reply.body)

    # -- the core ------------------------------------------------------------------------------

    def _handle(
        self,
        method: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        loop: asyncio.AbstractEventLoop | None,
    ) -> WebhookReply:
        """`handle`; `loop` is the ASGI server's, on which an async `on_task` is awaited."""
        try:
            return self._answer(method, headers, body, loop=loop)
        except Exception:  # a bug: answered, never raised into the server
            logger.exception("the webhook receiver failed")
            return INTERNAL_ERROR

    def _answer(
        self,
        method: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        loop: asyncio.AbstractEventLoop | None,
    ) -> WebhookReply:
        if method.upper() != _ALLOWED_METHOD:
            return WebhookReply(
                status=405, message="webhooks are POSTed: only POST is allowed", allow="POST"
            )
        if len(body) > self._max_body_bytes:
            return WebhookReply(
                status=413, message=f"the body is over {self._max_body_bytes} bytes"
            )
        try:
            task = webhooks.unwrap(body, headers, self._secret, tolerance=self._tolerance)
        except WebhookVerificationError as error:
            reason = str(error)[:_MAX_REASON_CHARS]
            logger.warning("webhook delivery refused: %s", reason)
            return WebhookReply(status=400, message=reason)
        delivery_id = {name.lower(): value for name, value in headers.items()}[_ID_HEADER]
        refusal = self._book.claim(delivery_id, task)
        if refusal is not None:
            return REFUSALS[refusal]
        try:
            self._call_on_task(task, loop=loop)
        except Exception:
            self._book.release(delivery_id)
            logger.warning(
                "on_task raised on webhook %s (task %s, %s): answering 500, so that the "
                "service sends it again",
                delivery_id,
                task.task_id,
                task.status,
                exc_info=True,
            )
            return WebhookReply(
                status=500, message="the handler failed: send the delivery again later"
            )
        self._book.accept(delivery_id, task)
        try:
            _watching.deliver(task)
        except Exception:  # a watcher's bug must not make the service send it again
            logger.exception("a client's watcher failed on task %s", task.task_id)
        logger.debug("webhook %s accepted: task %s %s", delivery_id, task.task_id, task.status)
        return WebhookReply(status=200, message="accepted")

    def _call_on_task(self, task: Task, *, loop: asyncio.AbstractEventLoop | None) -> None:
        """Call `on_task`; await what it returns on `loop` (the ASGI app's) when awaitable.

        Raises:
            TypeError: `on_task` returned an awaitable outside the ASGI app.
            Exception: whatever `on_task` raised.
        """
        if self._on_task is None:
            return
        result = self._on_task(task)
        if not inspect.isawaitable(result):
            return
        if loop is None:
            if inspect.iscoroutine(result):
                result.close()  # never awaited, on purpose: no warning about it
            raise TypeError(
                "on_task returned an awaitable, which only the ASGI app awaits: give the WSGI "
                "app and handle() a plain function"
            )
        asyncio.run_coroutine_threadsafe(_awaited(result), loop).result()


async def _awaited(awaitable: Awaitable[object]) -> None:
    await awaitable
