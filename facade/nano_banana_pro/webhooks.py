"""Verify and read the webhooks the service sends when a task changes status.

A delivery carries three headers: `webhook-id`, `webhook-timestamp` (Unix seconds) and
`webhook-signature`, a space-separated list of `version,base64-signature` pairs (several during a
secret rotation). The signature is HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{raw body}`.

Pass `verify`/`unwrap` the raw request body, exactly as received, before any JSON parsing: a body
parsed and serialised again rarely has the same bytes, and its signature no longer matches.

The replay check is on by default: a delivery whose timestamp is more than `tolerance` seconds
(300) away from now, in the past or in the future, is refused. `tolerance=None` turns it off.

Which bytes key the HMAC is not settled by Magnific's docs, so `verify` accepts a signature made
under any reading of the secret: for a `whsec_` secret, the base64 decoding of the rest (padded
or not, as Standard Webhooks does) and the UTF-8 bytes of the whole string (as community code
does); for another secret, its UTF-8 bytes and, when it is valid base64, its decoding. Every key
is compared with every `v1` signature, in constant time. `sign` signs the Standard Webhooks way.

`unwrap` then checks the signed body against the spec's webhook schema (`task_id`, `status`,
`generated`), but for the status values: one the client does not know yet is kept, not refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping

from ._schema_check import problems
from ._spec import WEBHOOK_PAYLOAD
from ._webhook_secret import (
    SECRET_ENV_VAR,
    resolve_secret,
    secret_hint,
    signing_key,
    utf8,
    verification_keys,
)
from .errors import WebhookVerificationError
from .task import Task

__all__ = [
    "DEFAULT_TOLERANCE",
    "SECRET_ENV_VAR",
    "sign",
    "unwrap",
    "verify",
]

DEFAULT_TOLERANCE = 300.0
"""Seconds a delivery's timestamp may differ from now (the Standard Webhooks value)."""

_ID_HEADER = "webhook-id"
_TIMESTAMP_HEADER = "webhook-timestamp"
_SIGNATURE_HEADER = "webhook-signature"
_SIGNATURE_VERSION = "v1"
#: Unix seconds, as sent: digits only, and few enough to convert (Python refuses > 4300).
_TIMESTAMP_PATTERN = re.compile(r"[0-9]{1,15}")
#: The spec's schema of a delivery, with any status string allowed: the service may add statuses
#: before a regeneration, and `Task` keeps them as pseudo-members.
_PAYLOAD_SCHEMA = {
    **WEBHOOK_PAYLOAD,
    "properties": {
        **WEBHOOK_PAYLOAD["properties"],
        "status": {
            key: value
            for key, value in WEBHOOK_PAYLOAD["properties"]["status"].items()
            if key != "enum"
        },
    },
}


def sign(payload: bytes | str, *, secret: str, webhook_id: str, timestamp: int) -> dict[str, str]:
    """The headers the service would send with `payload` (for fakes and for your own tests).

    Args:
        payload: The body to sign (a `str` is encoded as UTF-8).
        secret: The webhook secret; a `whsec_`-prefixed secret is base64-decoded after the prefix
            (padded or not), another one is used as its UTF-8 bytes.
        webhook_id: The delivery's id.
        timestamp: The delivery's time, in Unix seconds.

    Returns:
        `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,<base64 signature>`).

    Raises:
        ValueError: the secret is empty, or `whsec_`-prefixed but not base64 after the prefix, or
            a `str` given is not valid Unicode.
    """
    signature = _signature(signing_key(secret), webhook_id, str(timestamp), utf8(payload))
    return {
        _ID_HEADER: webhook_id,
        _TIMESTAMP_HEADER: str(timestamp),
        _SIGNATURE_HEADER: f"{_SIGNATURE_VERSION},{signature}",
    }


def verify(
    payload: bytes | str,
    headers: Mapping[str, str],
    secret: str | None = None,
    *,
    tolerance: float | None = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Check that a delivery was signed with `secret` and is recent; return quietly if so.

    Args:
        payload: The raw request body, exactly as received (a `str` is encoded as UTF-8).
        headers: The request headers, any mapping (`httpx.Headers`, a framework's headers, a
            dict); names are matched case-insensitively.
        secret: The webhook secret. Defaults to the `MAGNIFIC_WEBHOOK_SECRET` environment variable.
            Every reading of it is tried (see the module's docstring): base64 after a `whsec_`
            prefix, padded or not, and the UTF-8 bytes of the whole string.
        tolerance: Seconds the `webhook-timestamp` may differ from `now`, either way (on by
            default, against replayed deliveries). `None` turns the replay check off.
        now: The current Unix time; defaults to `time.time()`.

    Raises:
        WebhookVerificationError: no secret was given, a header is missing or malformed, the
            timestamp is outside the window, or no `v1` signature matches. The message says which.
    """
    resolved = resolve_secret(secret)
    keys = verification_keys(resolved)
    found = _required_headers(headers)
    timestamp = _parse_timestamp(found[_TIMESTAMP_HEADER])
    if tolerance is not None:
        _check_window(timestamp, tolerance=tolerance, now=time.time() if now is None else now)
    candidates = _v1_signatures(found[_SIGNATURE_HEADER])
    try:
        body = utf8(payload, what="the body")
        expected = [
            _signature(key, found[_ID_HEADER], found[_TIMESTAMP_HEADER], body).encode("ascii")
            for key in keys
        ]
    except ValueError as exc:
        raise WebhookVerificationError(
            f"{exc}: pass the raw body and headers as received"
        ) from None
    # Every comparison is made (a list, not a short-circuiting any()): the time taken does not
    # tell which reading of the secret, or which signature, matched.
    matches = [hmac.compare_digest(mine, theirs) for mine in expected for theirs in candidates]
    if not any(matches):
        raise WebhookVerificationError(
            "no webhook-signature matches: the secret is wrong, or the body, webhook-id or "
            "webhook-timestamp was altered. Verify the raw body bytes as received, before any "
            f"JSON parsing.{secret_hint(resolved)}"
        )


def unwrap(
    payload: bytes | str,
    headers: Mapping[str, str],
    secret: str | None = None,
    *,
    tolerance: float | None = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Task:
    """Verify a delivery (see `verify`), then return the task it reports.

    Args:
        payload: The raw request body, exactly as received.
        headers: The request headers (names matched case-insensitively).
        secret: The webhook secret. Defaults to the `MAGNIFIC_WEBHOOK_SECRET` environment variable.
        tolerance: Seconds the timestamp may differ from `now`; `None` turns the check off.
        now: The current Unix time; defaults to `time.time()`.

    Returns:
        The task, with its status (a status this client does not know is kept, not refused).

    Raises:
        WebhookVerificationError: verification failed, or the signed body is not the task object
            the spec describes (`task_id` a UUID string, `status` a string, `generated` a list
            of URLs); the message names the field at fault.
    """
    verify(payload, headers, secret, tolerance=tolerance, now=now)
    try:
        body = json.loads(payload)
    except ValueError as exc:
        raise WebhookVerificationError(
            f"the signature is valid but the body is not valid JSON ({exc}); "
            "pass the body the service sent, unchanged"
        ) from None
    except RecursionError:
        raise WebhookVerificationError(
            "the signature is valid but the body's JSON is nested too deeply to be a task"
        ) from None
    found = problems(body, _PAYLOAD_SCHEMA, name="body")
    if found:
        raise WebhookVerificationError(
            "the signature is valid but the body is not a task: "
            + "; ".join(f"{problem['name']}: {problem['reason']}" for problem in found)
        )
    return Task.from_payload(body)


def _signature(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> str:
    """base64(HMAC-SHA256(key, `{webhook_id}.{timestamp}.{body}`)).

    Raises:
        ValueError: the webhook id is not valid Unicode.
    """
    signed_content = utf8(f"{webhook_id}.{timestamp}.", what="the webhook-id") + body
    digest = hmac.new(key, signed_content, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _required_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The three webhook headers, whatever the case of their names in `headers`."""
    by_lower_name = {name.lower(): value for name, value in headers.items()}
    names = (_ID_HEADER, _TIMESTAMP_HEADER, _SIGNATURE_HEADER)
    missing = [name for name in names if name not in by_lower_name]
    if missing:
        raise WebhookVerificationError(
            f"missing header(s): {', '.join(missing)}; pass all the request's headers, as received"
        )
    return {name: by_lower_name[name] for name in names}


def _parse_timestamp(value: str) -> int:
    if not _TIMESTAMP_PATTERN.fullmatch(value):
        raise WebhookVerificationError(
            f"malformed webhook-timestamp {value[:40]!r}: expected an integer of Unix seconds"
        )
    return int(value)


def _check_window(timestamp: int, *, tolerance: float, now: float) -> None:
    age = now - timestamp
    if age > tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is {age:.0f}s old, {age - tolerance:.0f}s beyond the "
            f"{tolerance:g}s tolerance: a replayed or long-delayed delivery. Reject it, or pass "
            "a larger tolerance= if deliveries queue up before you verify them"
        )
    if -age > tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is {-age:.0f}s in the future, {-age - tolerance:.0f}s beyond the "
            f"{tolerance:g}s tolerance: check this machine's clock (NTP)"
        )


def _v1_signatures(header: str) -> list[bytes]:
    """The `v1` signatures of a `webhook-signature` header; other versions are ignored."""
    entries = header.split()
    if not entries or any(not _is_signature_entry(entry) for entry in entries):
        raise WebhookVerificationError(
            f"malformed webhook-signature {header[:80]!r}: expected space-separated "
            "'version,base64-signature' pairs such as 'v1,K5oZ...='"
        )
    signatures = [
        signature.encode("utf-8")
        for version, _, signature in (entry.partition(",") for entry in entries)
        if version == _SIGNATURE_VERSION
    ]
    if not signatures:
        raise WebhookVerificationError(
            "webhook-signature has no v1 signature (this client verifies only v1); "
            "upgrade magnific-nano-banana-pro if the service moved to a newer scheme"
        )
    return signatures


def _is_signature_entry(entry: str) -> bool:
    version, comma, signature = entry.partition(",")
    return bool(version and comma and signature)
