"""Webhook signing, verification and unwrapping (`nano_banana_pro.webhooks`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest

from nano_banana_pro.errors import WebhookVerificationError
from nano_banana_pro.task import Task, TaskStatus
from nano_banana_pro.webhooks import sign, unwrap, verify

SECRET = "s3cret-Webhook-Key-7f9c2ab1"
WEBHOOK_ID = "msg_2f8d0c1e9b7a"
TIMESTAMP = 1_764_060_000
TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"
BODY = json.dumps(
    {
        "task_id": TASK_ID,
        "status": "COMPLETED",
        "generated": ["https://ai-statics.freepik.com/completed_task_image.jpg"],
    }
).encode()


def expected_signature(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The signature computed here, without the module under test."""
    content = webhook_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def signed_headers(body: bytes = BODY, *, secret: str = SECRET) -> dict[str, str]:
    return sign(body, secret=secret, webhook_id=WEBHOOK_ID, timestamp=TIMESTAMP)


def with_header(name: str, value: str) -> dict[str, str]:
    return {**signed_headers(), name: value}


def rejection(
    payload: bytes | str,
    headers: Mapping[str, str],
    *,
    secret: str | None = SECRET,
    call: Callable[..., Any] = verify,
    **options: Any,
) -> str:
    """The message of the WebhookVerificationError `call` raises; it must not hold the secret."""
    options.setdefault("now", TIMESTAMP)
    with pytest.raises(WebhookVerificationError) as caught:
        call(payload, headers, secret, **options)
    message = str(caught.value)
    if secret:
        assert secret not in message
    return message


# --- signatures ---------------------------------------------------------------------------


def test_known_vector_computed_independently() -> None:
    signature = expected_signature(SECRET.encode(), WEBHOOK_ID, TIMESTAMP, BODY)
    headers = {
        "webhook-id": WEBHOOK_ID,
        "webhook-timestamp": str(TIMESTAMP),
        "webhook-signature": f"v1,{signature}",
    }

    verify(BODY, headers, SECRET, now=TIMESTAMP)
    assert signed_headers() == headers


def test_standard_webhooks_published_vector() -> None:
    # The test vector of the Standard Webhooks reference libraries.
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }

    verify(
        b'{"test": 2432232314}',
        headers,
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        now=1614265330,
    )


@pytest.mark.parametrize("payload", [BODY, BODY.decode()], ids=["bytes", "str"])
def test_round_trip(payload: bytes | str) -> None:
    headers = sign(payload, secret=SECRET, webhook_id=WEBHOOK_ID, timestamp=TIMESTAMP)

    verify(payload, headers, SECRET, now=TIMESTAMP)


def test_round_trip_with_non_ascii_str_body() -> None:
    payload = '{"task_id": "é", "status": "CREATED", "generated": []}'
    headers = sign(payload, secret=SECRET, webhook_id=WEBHOOK_ID, timestamp=TIMESTAMP)

    verify(payload.encode("utf-8"), headers, SECRET, now=TIMESTAMP)


def test_default_now_is_the_current_time() -> None:
    import time

    headers = sign(BODY, secret=SECRET, webhook_id=WEBHOOK_ID, timestamp=int(time.time()))

    verify(BODY, headers, SECRET)
    assert "old" in rejection(BODY, signed_headers(), now=None)


def test_wrong_secret_is_rejected() -> None:
    message = rejection(BODY, signed_headers(secret="another-secret"))

    assert "no webhook-signature matches" in message
    assert "wrong" in message
    assert "raw body" in message


@pytest.mark.parametrize(
    ("payload", "headers"),
    [
        pytest.param(BODY.replace(b"COMPLETED", b"FAILED"), None, id="body"),
        pytest.param(BODY + b" ", None, id="body-whitespace"),
        pytest.param(BODY, {"webhook-id": "msg_other"}, id="webhook-id"),
        pytest.param(BODY, {"webhook-timestamp": str(TIMESTAMP + 1)}, id="webhook-timestamp"),
    ],
)
def test_tampered_delivery_is_rejected(payload: bytes, headers: dict[str, str] | None) -> None:
    tampered = {**signed_headers(), **(headers or {})}

    assert "no webhook-signature matches" in rejection(payload, tampered)


def test_verify_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real_compare = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real_compare(a, b)

    monkeypatch.setattr("nano_banana_pro.webhooks.hmac.compare_digest", spy)

    verify(BODY, signed_headers(), SECRET, now=TIMESTAMP)
    rejection(BODY, signed_headers(secret="another-secret"))

    assert len(calls) == 2
    assert calls[0][0] == calls[0][1]
    assert calls[1][0] != calls[1][1]


# --- secrets ------------------------------------------------------------------------------


def headers_signed_with(key: bytes, body: bytes = BODY) -> dict[str, str]:
    """Headers whose signature is keyed with `key` itself, computed without the module."""
    return {
        "webhook-id": WEBHOOK_ID,
        "webhook-timestamp": str(TIMESTAMP),
        "webhook-signature": f"v1,{expected_signature(key, WEBHOOK_ID, TIMESTAMP, body)}",
    }


RAW_KEY = b"\x00\x01binary key\xff"  # 15 bytes: its base64 has one `=` of padding
PADDED = "whsec_" + base64.b64encode(RAW_KEY).decode()
UNPADDED = PADDED.rstrip("=")


@pytest.mark.parametrize("secret", [PADDED, UNPADDED], ids=["padded", "unpadded"])
def test_whsec_secret_is_base64_decoded_after_the_prefix_padded_or_not(secret: str) -> None:
    assert secret.endswith("=") == (secret == PADDED)
    headers = headers_signed_with(RAW_KEY)

    verify(BODY, headers, secret, now=TIMESTAMP)
    assert sign(BODY, secret=secret, webhook_id=WEBHOOK_ID, timestamp=TIMESTAMP) == headers


@pytest.mark.parametrize("secret", [PADDED, UNPADDED, "whsec_not*base64!"])
def test_whsec_secret_read_as_the_utf8_bytes_of_the_whole_string_verifies_too(
    secret: str,
) -> None:
    # The community convention: HMAC keyed with the secret's UTF-8 bytes, `whsec_` included.
    verify(BODY, headers_signed_with(secret.encode()), secret, now=TIMESTAMP)


@pytest.mark.parametrize(
    ("secret", "keys"),
    [
        pytest.param(SECRET, [SECRET.encode()], id="not-base64"),
        pytest.param("c2VjcmV0IGtleQ==", [b"c2VjcmV0IGtleQ==", b"secret key"], id="base64"),
        pytest.param("c2VjcmV0IGtleQ", [b"c2VjcmV0IGtleQ", b"secret key"], id="base64-unpadded"),
    ],
)
def test_a_plain_secret_verifies_as_utf8_and_as_base64_when_it_is_base64(
    secret: str, keys: list[bytes]
) -> None:
    for key in keys:
        verify(BODY, headers_signed_with(key), secret, now=TIMESTAMP)
    assert "no webhook-signature matches" in rejection(
        BODY, headers_signed_with(b"secret key"), secret=SECRET
    )
    # sign() keeps one reading: the UTF-8 bytes of a secret without `whsec_`.
    assert sign(BODY, secret=secret, webhook_id=WEBHOOK_ID, timestamp=TIMESTAMP) == (
        headers_signed_with(secret.encode())
    )


@pytest.mark.parametrize("matching", [0, 1, None], ids=["first", "second", "none"])
def test_every_key_is_compared_with_every_signature_whichever_matches(
    monkeypatch: pytest.MonkeyPatch, matching: int | None
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real_compare = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real_compare(a, b)

    monkeypatch.setattr("nano_banana_pro.webhooks.hmac.compare_digest", spy)
    keys = [RAW_KEY, PADDED.encode()]  # the two readings of PADDED
    entries = ["v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "v1,bm90IGl0"]
    if matching is not None:
        entries.append(headers_signed_with(keys[matching])["webhook-signature"])
    headers = {**headers_signed_with(RAW_KEY), "webhook-signature": " ".join(entries)}

    if matching is None:
        assert "no webhook-signature matches" in rejection(BODY, headers, secret=PADDED)
    else:
        verify(BODY, headers, PADDED, now=TIMESTAMP)
    assert len(calls) == len(keys) * len(entries)
    assert {signature for _, signature in calls} == {
        entry.removeprefix("v1,").encode() for entry in entries
    }


def test_whsec_secret_that_is_not_base64_cannot_sign_and_a_mismatch_says_why() -> None:
    secret = "whsec_not*base64!"

    message = rejection(BODY, signed_headers(), secret=secret)

    assert "no webhook-signature matches" in message
    assert "not valid base64" in message
    with pytest.raises(ValueError, match="not valid base64") as caught:
        sign(BODY, secret=secret, webhook_id=WEBHOOK_ID, timestamp=TIMESTAMP)
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    ("payload", "headers", "secret"),
    [
        pytest.param("{\ud800}", signed_headers(), SECRET, id="body"),
        pytest.param(BODY, {**signed_headers(), "webhook-id": "msg_\udc80"}, SECRET, id="id"),
        pytest.param(BODY, signed_headers(), "s3cret-\ud800-key", id="secret"),
    ],
)
def test_text_that_is_not_unicode_is_a_verification_error(
    payload: bytes | str, headers: dict[str, str], secret: str
) -> None:
    message = rejection(payload, headers, secret=secret)

    assert "Unicode" in message
    assert "\ud800" not in message


def test_empty_secret_is_refused() -> None:
    assert "secret is empty" in rejection(BODY, signed_headers(), secret="")
    with pytest.raises(ValueError, match="secret is empty"):
        sign(BODY, secret="", webhook_id=WEBHOOK_ID, timestamp=TIMESTAMP)


def test_secret_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGNIFIC_WEBHOOK_SECRET", SECRET)

    verify(BODY, signed_headers(), now=TIMESTAMP)
    assert unwrap(BODY, signed_headers(), now=TIMESTAMP).task_id == TASK_ID
    assert "no webhook-signature matches" in rejection(
        BODY, signed_headers(secret="another-secret"), secret=None
    )


def test_explicit_secret_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGNIFIC_WEBHOOK_SECRET", "another-secret")

    verify(BODY, signed_headers(), SECRET, now=TIMESTAMP)


def test_no_secret_anywhere_says_how_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAGNIFIC_WEBHOOK_SECRET", raising=False)

    message = rejection(BODY, signed_headers(), secret=None)

    assert "secret=" in message
    assert "MAGNIFIC_WEBHOOK_SECRET" in message


# --- timestamps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "words"),
    [(301, ("301s old", "1s beyond", "300s")), (-301, ("301s in the future", "1s beyond"))],
    ids=["too-old", "too-far-in-future"],
)
def test_timestamp_outside_the_window_is_rejected(offset: int, words: tuple[str, ...]) -> None:
    message = rejection(BODY, signed_headers(), now=TIMESTAMP + offset)

    for word in words:
        assert word in message


@pytest.mark.parametrize("offset", [-300, -120, 0, 120, 300])
def test_timestamp_inside_the_window_is_accepted(offset: int) -> None:
    verify(BODY, signed_headers(), SECRET, now=TIMESTAMP + offset)


def test_custom_tolerance() -> None:
    verify(BODY, signed_headers(), SECRET, now=TIMESTAMP + 3000, tolerance=3600)
    assert "old" in rejection(BODY, signed_headers(), now=TIMESTAMP + 61, tolerance=60)


@pytest.mark.parametrize("offset", [-(10**9), 10**9])
def test_tolerance_none_turns_the_replay_check_off(offset: int) -> None:
    verify(BODY, signed_headers(), SECRET, now=TIMESTAMP + offset, tolerance=None)


def test_window_is_checked_even_with_a_valid_signature_on_a_replay() -> None:
    # A captured delivery, replayed an hour later with its genuine headers.
    assert "replayed" in rejection(BODY, signed_headers(), now=TIMESTAMP + 3600)


@pytest.mark.parametrize("value", ["abc", "-5", "1.5", "", "1e9", "١٢٣"])
def test_malformed_timestamp_is_rejected(value: str) -> None:
    message = rejection(BODY, with_header("webhook-timestamp", value), tolerance=None)

    assert "malformed webhook-timestamp" in message


# --- headers ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_is_named(name: str) -> None:
    headers = signed_headers()
    del headers[name]

    message = rejection(BODY, headers)

    assert "missing header" in message
    assert name in message
    others = {"webhook-id", "webhook-timestamp", "webhook-signature"} - {name}
    assert not any(other in message for other in others)


def test_all_missing_headers_are_named() -> None:
    message = rejection(BODY, {})

    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        assert name in message


def test_headers_as_httpx_headers() -> None:
    headers = httpx.Headers({name.upper(): value for name, value in signed_headers().items()})

    verify(BODY, headers, SECRET, now=TIMESTAMP)


def test_headers_as_dict_with_mixed_case() -> None:
    headers = {
        "Webhook-Id": WEBHOOK_ID,
        "WEBHOOK-TIMESTAMP": str(TIMESTAMP),
        "webhook-Signature": signed_headers()["webhook-signature"],
        "Content-Type": "application/json",
    }

    verify(BODY, headers, SECRET, now=TIMESTAMP)


# --- signature lists ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["garbage", "v1", "", "   ", "v1,", ",abc", "v1,abc= junk"])
def test_malformed_signature_list_is_rejected(value: str) -> None:
    message = rejection(BODY, with_header("webhook-signature", value))

    assert "malformed webhook-signature" in message


def test_signature_of_another_version_only_is_rejected() -> None:
    signature = expected_signature(SECRET.encode(), WEBHOOK_ID, TIMESTAMP, BODY)

    message = rejection(BODY, with_header("webhook-signature", f"v2,{signature}"))

    assert "no v1 signature" in message


@pytest.mark.parametrize("position", [0, 1, 3])
def test_one_valid_signature_among_invalid_ones_is_accepted(position: int) -> None:
    valid = signed_headers()["webhook-signature"]
    entries = [
        "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        valid.replace("v1,", "v2,"),
        signed_headers(secret="old-secret")["webhook-signature"],
    ]
    entries.insert(position, valid)

    verify(BODY, with_header("webhook-signature", " ".join(entries)), SECRET, now=TIMESTAMP)


def test_only_invalid_signatures_are_rejected() -> None:
    entries = [
        signed_headers(secret="old-secret")["webhook-signature"],
        signed_headers(secret="older-secret")["webhook-signature"],
    ]

    message = rejection(BODY, with_header("webhook-signature", " ".join(entries)))

    assert "no webhook-signature matches" in message


def test_non_ascii_signature_is_rejected_not_crashing() -> None:
    message = rejection(BODY, with_header("webhook-signature", "v1,ébc="))

    assert "no webhook-signature matches" in message


# --- unwrap -------------------------------------------------------------------------------


def test_unwrap_returns_the_task() -> None:
    task = unwrap(BODY, signed_headers(), SECRET, now=TIMESTAMP)

    assert isinstance(task, Task)
    assert task.task_id == TASK_ID
    assert task.status == TaskStatus.COMPLETED
    assert task.is_completed
    assert task.generated == ("https://ai-statics.freepik.com/completed_task_image.jpg",)


def test_unwrap_keeps_an_unknown_status() -> None:
    body = json.dumps({"task_id": TASK_ID, "status": "QUEUED", "generated": [], "eta": 3})

    task = unwrap(
        body, sign(body, secret=SECRET, webhook_id="m", timestamp=TIMESTAMP), SECRET, now=TIMESTAMP
    )

    assert task.status == "QUEUED"
    assert not task.is_known_status
    assert not task.is_terminal
    assert task.raw["eta"] == 3


def test_unwrap_verifies_before_parsing() -> None:
    message = rejection(b"not json", signed_headers(), call=unwrap)

    assert "no webhook-signature matches" in message


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param(b"not json {", "not valid JSON", id="invalid-json"),
        pytest.param(b"\xff\xfe\x00", "not valid JSON", id="invalid-utf8"),
        pytest.param(b"[1, 2]", "body: Expected object, received array", id="a-list"),
        pytest.param(b"3", "body: Expected object, received number", id="a-number"),
        pytest.param(b"true", "body: Expected object, received boolean", id="a-boolean"),
        pytest.param(b"null", "body: Expected object, received null", id="null"),
        pytest.param(b'"COMPLETED"', "body: Expected object, received string", id="a-string"),
        pytest.param(b"{}", "body.task_id: Required", id="empty"),
        pytest.param(b'{"status": "CREATED", "generated": []}', "body.task_id: Required", id="id"),
        pytest.param(
            b'{"task_id": null, "status": "CREATED", "generated": []}',
            "body.task_id: Expected string, received null",
            id="null-task-id",
        ),
        pytest.param(
            b'{"task_id": 7, "status": "CREATED", "generated": []}',
            "body.task_id: Expected string, received number",
            id="numeric-task-id",
        ),
        pytest.param(
            b'{"task_id": "t", "status": "CREATED", "generated": []}',
            "body.task_id: Invalid uuid",
            id="task-id-not-a-uuid",
        ),
        pytest.param(
            f'{{"task_id": "{TASK_ID}", "generated": []}}'.encode(),
            "body.status: Required",
            id="no-status",
        ),
        pytest.param(
            f'{{"task_id": "{TASK_ID}", "status": 3, "generated": []}}'.encode(),
            "body.status: Expected string, received number",
            id="numeric-status",
        ),
        pytest.param(
            f'{{"task_id": "{TASK_ID}", "status": "CREATED"}}'.encode(),
            "body.generated: Required",
            id="no-generated",
        ),
        pytest.param(
            f'{{"task_id": "{TASK_ID}", "status": "COMPLETED", "generated": {{}}}}'.encode(),
            "body.generated: Expected array, received object",
            id="generated-an-object",
        ),
        pytest.param(
            f'{{"task_id": "{TASK_ID}", "status": "COMPLETED", "generated": [null]}}'.encode(),
            "body.generated[0]: Expected string, received null",
            id="generated-null-url",
        ),
        pytest.param(
            b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "nested too deeply",
            id="deeply-nested",
        ),
    ],
)
def test_unwrap_rejects_a_signed_body_that_is_not_a_task(body: bytes, words: str) -> None:
    headers = sign(body, secret=SECRET, webhook_id=WEBHOOK_ID, timestamp=TIMESTAMP)

    message = rejection(body, headers, call=unwrap)

    assert "signature is valid" in message
    assert words in message
