"""Signatures made by others verify here, and ours verify there.

The reference `standardwebhooks` library (PyPI) reads a `whsec_` secret as base64, padded or
not; community code keys the HMAC with the UTF-8 bytes of the whole secret, `whsec_` included.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime

import pytest
import standardwebhooks

from nano_banana_pro.webhooks import sign, unwrap, verify

TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"
BODY = json.dumps({"task_id": TASK_ID, "status": "COMPLETED", "generated": []})
WEBHOOK_ID = "msg_2f8d0c1e9b7a"


def whsec(raw: bytes, *, padded: bool) -> str:
    encoded = base64.b64encode(raw).decode()
    return "whsec_" + (encoded if padded else encoded.rstrip("="))


#: Key lengths whose base64 has 0, 1 and 2 `=` of padding.
SECRETS = [
    pytest.param(whsec(raw, padded=padded), id=f"{len(raw)}-bytes-{'padded' if padded else 'bare'}")
    for raw in (secrets.token_bytes(24), secrets.token_bytes(32), secrets.token_bytes(25))
    for padded in (True, False)
]


def standard_headers(secret: str, body: str, *, at: int) -> dict[str, str]:
    signature = standardwebhooks.Webhook(secret).sign(
        WEBHOOK_ID, datetime.fromtimestamp(at, tz=UTC), body
    )
    return {"webhook-id": WEBHOOK_ID, "webhook-timestamp": str(at), "webhook-signature": signature}


@pytest.mark.parametrize("secret", SECRETS)
def test_a_standardwebhooks_signature_verifies_here(secret: str) -> None:
    now = int(time.time())
    headers = standard_headers(secret, BODY, at=now)

    verify(BODY.encode(), headers, secret, now=now)
    assert unwrap(BODY.encode(), headers, secret, now=now).task_id == TASK_ID


@pytest.mark.parametrize("secret", SECRETS)
def test_our_signature_verifies_with_standardwebhooks(secret: str) -> None:
    now = int(time.time())
    headers = sign(BODY, secret=secret, webhook_id=WEBHOOK_ID, timestamp=now)

    assert standardwebhooks.Webhook(secret).verify(BODY, headers) == json.loads(BODY)
    assert headers == standard_headers(secret, BODY, at=now)


@pytest.mark.parametrize("secret", [*SECRETS, pytest.param("plain-secret-7f9c", id="plain")])
def test_a_signature_keyed_with_the_utf8_of_the_whole_secret_verifies_here(secret: str) -> None:
    now = int(time.time())
    content = f"{WEBHOOK_ID}.{now}.{BODY}".encode()
    digest = hmac.new(secret.encode("utf-8"), content, hashlib.sha256).digest()
    headers = {
        "webhook-id": WEBHOOK_ID,
        "webhook-timestamp": str(now),
        "webhook-signature": f"v1,{base64.b64encode(digest).decode()}",
    }

    verify(BODY, headers, secret, now=now)
