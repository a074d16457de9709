"""`WebhookReply`: what the webhook receiver answers a delivery with, and its fixed answers."""

from __future__ import annotations

import json

import attrs

from ._delivery_book import Refusal

__all__ = ["INTERNAL_ERROR", "REFUSALS", "WebhookReply"]


@attrs.frozen(kw_only=True)
class WebhookReply:
    """What to answer a delivery with (`WebhookReceiver.handle`).

    Attributes:
        status: The HTTP status code.
        message: Why, in a few words; the answer's JSON body is `{"message": message}`.
        allow: The `Allow` header of a 405, else None.
    """

    status: int
    message: str
    allow: str | None = None

    @property
    def body(self) -> bytes:
        """The answer's body: `{"message": ...}` as UTF-8 JSON."""
        return json.dumps({"message": self.message}).encode("utf-8")

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The answer's headers: `content-type`, `content-length`, and `allow` for a 405."""
        headers = [("content-type", "application/json"), ("content-length", str(len(self.body)))]
        if self.allow is not None:
            headers.append(("allow", self.allow))
        return headers


#: The answer when the receiver itself failed.
INTERNAL_ERROR = WebhookReply(status=500, message="the receiver failed; send the delivery again")
#: The answer to each delivery the book refuses.
REFUSALS = {
    Refusal.DUPLICATE: WebhookReply(status=200, message="duplicate: already accepted"),
    Refusal.IN_PROGRESS: WebhookReply(
        status=409, message="the same delivery is being processed: send it later"
    ),
    Refusal.STALE: WebhookReply(status=200, message="stale: the task has already ended"),
}
