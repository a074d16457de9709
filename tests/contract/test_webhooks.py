"""Webhook deliveries against the spec's `webhooks` section (payload and the three headers)."""

from __future__ import annotations

import json

import httpx
import pytest

from nano_banana_pro import webhooks
from nano_banana_pro.testing import API_PATH, FakeMagnific, Schedule, WebhookDelivery
from tests.contract.conftest import KEY
from tests.contract.validating import DEFAULT_BASE_URL, webhook_violations

pytestmark = pytest.mark.contract

TASK_ID = "046b6c7f-0b8a-43b9-b35d-6489e6daee91"


def deliveries_of_tasks_that_complete_and_fail() -> list[WebhookDelivery]:
    fake = FakeMagnific(api_key=KEY, schedule=Schedule(in_progress_after=1, complete_after=5))
    with httpx.Client(
        base_url=DEFAULT_BASE_URL, transport=fake.transport(), headers={"x-magnific-api-key": KEY}
    ) as http:
        for fails in (False, True):
            if fails:
                fake.fail_task_next()
            body = {"prompt": "A raccoon", "webhook_url": "https://hooks.example.com/magnific"}
            assert http.post(API_PATH, json=body).status_code == 200
    fake.advance(10)
    return fake.webhook_deliveries


def test_every_delivery_of_the_fake_matches_the_spec() -> None:
    deliveries = deliveries_of_tasks_that_complete_and_fail()
    statuses = sorted(delivery.json()["status"] for delivery in deliveries)
    assert statuses == ["COMPLETED", "FAILED", "IN_PROGRESS", "IN_PROGRESS"]
    for delivery in deliveries:
        assert webhook_violations(delivery.headers, delivery.body) == [], delivery


def test_the_facades_signing_helper_makes_headers_the_spec_accepts() -> None:
    body = json.dumps({"task_id": TASK_ID, "status": "IN_PROGRESS", "generated": []}).encode()
    headers = {
        "content-type": "application/json",
        **webhooks.sign(body, secret="s3cret", webhook_id="msg_1", timestamp=1764060000),
    }
    assert webhook_violations(headers, body) == []


def test_a_delivery_unlike_the_spec_is_caught() -> None:
    (delivery, *_) = deliveries_of_tasks_that_complete_and_fail()
    headers = {**delivery.headers, "webhook-timestamp": "2026-11-25T09:00:00Z"}
    del headers["webhook-signature"]
    payload = {**delivery.json(), "state": "done"}
    del payload["generated"]
    problems = "\n".join(webhook_violations(headers, json.dumps(payload).encode()))
    assert "webhook-timestamp" in problems
    assert "webhook-signature" in problems
    assert "'generated' is a required property" in problems
    assert "'state' was unexpected" in problems
