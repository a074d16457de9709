"""Webhook deliveries of the fake: signed like the service's, recorded, optionally sent."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import attrs
import httpx

from ..webhooks import sign

__all__ = ["WebhookDelivery", "WebhookSender", "deliver", "post_webhook", "webhook_body"]

WebhookSender: TypeAlias = Callable[[str, dict[str, str], bytes], None]
"""Sends one delivery: `(url, headers, body)`; raises when the delivery failed."""

_SEND_TIMEOUT_SECONDS = 10.0


@attrs.frozen(kw_only=True)
class WebhookDelivery:
    """One webhook the fake delivered (or tried to).

    Attributes:
        url: The task's `webhook_url`.
        headers: `content-type`, `webhook-id`, `webhook-timestamp`, `webhook-signature`.
        body: The raw body, as signed: `{"task_id", "status", "generated"}`.
        error: Why sending failed, or None (also None when there was no sender).
    """

    url: str
    headers: Mapping[str, str]
    body: bytes
    error: str | None = None

    def json(self) -> Any:
        """The body, parsed."""
        return json.loads(self.body)


def webhook_body(detail: Mapping[str, Any]) -> bytes:
    """The raw body of a delivery reporting `detail` (the task without the `data` wrapper)."""
    return json.dumps(dict(detail), separators=(",", ":")).encode("utf-8")


def deliver(
    url: str, body: bytes, *, timestamp: int, secret: str, sender: WebhookSender | None
) -> WebhookDelivery:
    """Sign one delivery and send it with `sender`; a sender's exception is recorded, not raised.

    A failed delivery never changes the answers of the fake's API, as with the real service.
    """
    headers = {
        "content-type": "application/json",
        **sign(body, secret=secret, webhook_id=f"msg_{uuid.uuid4().hex}", timestamp=timestamp),
    }
    error = None
    if sender is not None:
        try:
            sender(url, dict(headers), body)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
    return WebhookDelivery(url=url, headers=headers, body=body, error=error)


def post_webhook(url: str, headers: dict[str, str], body: bytes) -> None:
    """A `WebhookSender` that POSTs the delivery with httpx (for `FakeMagnific(webhook_sender=)`).

    Raises:
        httpx.HTTPError: the receiver could not be reached or did not answer 2xx.
    """
    response = httpx.post(url, content=body, headers=headers, timeout=_SEND_TIMEOUT_SECONDS)
    response.raise_for_status()
