"""Webhook verification, fuzzed: any alteration is rejected with its reason, a valid signature
among several is accepted, comparisons are constant-time, and nothing but a
WebhookVerificationError ever comes out. (tests/unit/test_webhooks.py has the fixed examples.)"""

from __future__ import annotations

import base64
import hmac
import json
from typing import Any
from unittest import mock

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from nano_banana_pro import Task, WebhookVerificationError
from nano_banana_pro.webhooks import DEFAULT_TOLERANCE, sign, unwrap, verify
from tests.reliability.conftest import FUZZ

SECRET = "s3cret-Webhook-Key-7f9c2ab1"
NOW = 1_764_060_000
NAMES = ("webhook-id", "webhook-timestamp", "webhook-signature")

bodies = st.binary(max_size=300)
webhook_ids = st.text(
    alphabet=st.characters(codec="ascii", categories=["L", "N", "P"]), min_size=1, max_size=40
)
secrets_ = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=8, max_size=40
).filter(lambda secret: not secret.startswith("whsec_"))
#: Secrets that cannot occur in an error message by chance, so that finding one there is a leak.
random_secrets = st.binary(min_size=16, max_size=16).map(lambda raw: f"sk_{raw.hex()}")
skews = st.integers(min_value=-int(DEFAULT_TOLERANCE), max_value=int(DEFAULT_TOLERANCE))


def signed(body: bytes, webhook_id: str = "msg_1", *, secret: str = SECRET, at: int = NOW) -> Any:
    return sign(body, secret=secret, webhook_id=webhook_id, timestamp=at)


def rejection(body: bytes, headers: dict[str, str], *, secret: str = SECRET, **options: Any) -> str:
    options.setdefault("now", NOW)
    with pytest.raises(WebhookVerificationError) as caught:
        verify(body, headers, secret, **options)
    message = str(caught.value)
    assert secret not in message, "the secret is in the error message"
    return message


@FUZZ
@given(body=bodies, webhook_id=webhook_ids, secret=secrets_, skew=skews, data=st.data())
def test_a_signed_delivery_is_accepted(
    body: bytes, webhook_id: str, secret: str, skew: int, data: st.DataObject
) -> None:
    headers = signed(body, webhook_id, secret=secret, at=NOW + skew)
    recased = {data.draw(st.sampled_from([n, n.upper(), n.title()])): v for n, v in headers.items()}
    verify(body, recased, secret, now=NOW)


@FUZZ
@given(body=bodies.filter(bool), data=st.data())
def test_any_single_byte_change_of_the_body_is_rejected(body: bytes, data: st.DataObject) -> None:
    headers = signed(body)
    position = data.draw(st.integers(0, len(body) - 1))
    replacement = data.draw(st.integers(0, 255).filter(lambda byte: byte != body[position]))
    changed = body[:position] + bytes([replacement]) + body[position + 1 :]
    assert "no webhook-signature matches" in rejection(changed, headers)


@FUZZ
@given(body=bodies, data=st.data())
def test_any_byte_added_or_removed_is_rejected(body: bytes, data: st.DataObject) -> None:
    headers = signed(body)
    if body and data.draw(st.booleans(), label="remove"):
        position = data.draw(st.integers(0, len(body) - 1), label="position")
        changed = body[:position] + body[position + 1 :]
    else:
        position = data.draw(st.integers(0, len(body)), label="position")
        changed = body[:position] + bytes([data.draw(st.integers(0, 255))]) + body[position:]
    assert "no webhook-signature matches" in rejection(changed, headers)


@FUZZ
@given(webhook_id=webhook_ids, other=webhook_ids)
def test_any_change_of_the_id_is_rejected(webhook_id: str, other: str) -> None:
    assume(other != webhook_id)
    headers = {**signed(b"{}", webhook_id), "webhook-id": other}
    assert "no webhook-signature matches" in rejection(b"{}", headers)


@FUZZ
@given(data=st.data())
def test_any_single_character_change_of_the_timestamp_is_rejected(data: st.DataObject) -> None:
    headers = signed(b"{}")
    stamp = headers["webhook-timestamp"]
    position = data.draw(st.integers(0, len(stamp) - 1))
    character = data.draw(st.characters(codec="utf-8").filter(lambda c: c != stamp[position]))
    headers["webhook-timestamp"] = stamp[:position] + character + stamp[position + 1 :]
    rejection(b"{}", headers)


@FUZZ
@given(skew=st.integers(min_value=int(DEFAULT_TOLERANCE) + 1, max_value=10**9))
def test_a_timestamp_outside_the_window_is_rejected_either_way(skew: int) -> None:
    old = signed(b"{}", at=NOW - skew)
    future = signed(b"{}", at=NOW + skew)
    assert "old" in rejection(b"{}", old)
    assert "future" in rejection(b"{}", future)
    verify(b"{}", old, SECRET, now=NOW, tolerance=None)


@FUZZ
@given(secret=random_secrets, other=secrets_)
def test_a_signature_made_with_another_secret_is_rejected(secret: str, other: str) -> None:
    assume(other != secret)
    headers = signed(b"{}", secret=other)
    assert "no webhook-signature matches" in rejection(b"{}", headers, secret=secret)


@FUZZ
@given(missing=st.sets(st.sampled_from(NAMES), min_size=1))
def test_missing_headers_are_named(missing: set[str]) -> None:
    headers = {name: value for name, value in signed(b"{}").items() if name not in missing}
    message = rejection(b"{}", headers)
    assert all(name in message for name in missing)


@FUZZ
@given(header=st.text(max_size=200))
def test_a_malformed_signature_list_is_rejected(header: str) -> None:
    headers = signed(b"{}")
    assume(headers["webhook-signature"] not in header.split())
    rejection(b"{}", {**headers, "webhook-signature": header})


@FUZZ
@given(version=st.text(alphabet="v0123456789abc", min_size=1, max_size=4))
def test_a_signature_for_another_version_only_is_rejected(version: str) -> None:
    assume(version != "v1")
    headers = signed(b"{}")
    signature = headers["webhook-signature"].removeprefix("v1,")
    headers["webhook-signature"] = f"{version},{signature}"
    assert "no v1 signature" in rejection(b"{}", headers)


bogus_entries = st.builds(
    lambda version, raw: f"{version},{base64.b64encode(raw).decode()}",
    st.sampled_from(["v1", "v2", "v1a"]),
    st.binary(min_size=32, max_size=32),
)


@FUZZ
@given(others=st.lists(bogus_entries, max_size=6), data=st.data())
def test_a_valid_signature_among_several_is_accepted(
    others: list[str], data: st.DataObject
) -> None:
    headers = signed(b'{"task_id": "t"}')
    position = data.draw(st.integers(0, len(others)))
    entries = [*others[:position], headers["webhook-signature"], *others[position:]]
    verify(
        b'{"task_id": "t"}', {**headers, "webhook-signature": " ".join(entries)}, SECRET, now=NOW
    )


@FUZZ
@given(others=st.lists(bogus_entries, min_size=1, max_size=6))
def test_every_candidate_is_compared_in_constant_time(others: list[str]) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    headers = {**signed(b"{}"), "webhook-signature": " ".join(others)}
    with mock.patch("nano_banana_pro.webhooks.hmac.compare_digest", spy):
        rejection(b"{}", headers)
    v1_candidates = [entry.partition(",")[2].encode() for entry in others if entry[:3] == "v1,"]
    assert sorted(candidate for _, candidate in compared) == sorted(v1_candidates)


@FUZZ
@given(
    headers=st.dictionaries(
        st.sampled_from([*NAMES, "content-type"]), st.text(max_size=60), max_size=4
    ),
    body=bodies,
)
@example(headers={**signed(b"{}"), "webhook-timestamp": "9" * 5000}, body=b"{}")
def test_fuzzed_headers_raise_nothing_but_verification_errors(
    headers: dict[str, str], body: bytes
) -> None:
    with pytest.raises(WebhookVerificationError):
        verify(body, headers, SECRET, now=NOW, tolerance=None)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
task_like = st.fixed_dictionaries(
    {},
    optional={
        "task_id": json_values | st.text(max_size=40) | st.uuids().map(str),
        "status": json_values | st.sampled_from(["COMPLETED", "FAILED", "QUEUED"]),
        "generated": json_values
        | st.lists(st.text(max_size=20) | st.just("https://x.example/a.png"), max_size=2),
    },
)


@FUZZ
@given(payload=json_values | task_like)
def test_unwrap_gives_a_task_or_a_verification_error(payload: Any) -> None:
    body = json.dumps(payload).encode()
    outcome: Task | WebhookVerificationError
    try:
        outcome = unwrap(body, signed(body), SECRET, now=NOW)
    except WebhookVerificationError as error:
        outcome = error
    if isinstance(outcome, WebhookVerificationError):
        assert "signature is valid" in str(outcome)
    else:  # only a body the spec's webhook schema describes (any status string) is a task
        assert isinstance(payload, dict)
        assert outcome.task_id == payload["task_id"]
        assert outcome.status == payload["status"]
        assert list(outcome.generated) == payload["generated"]
