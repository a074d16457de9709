"""Webhook deliveries: one per status change, signed, recorded, sent by an optional sender."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from nano_banana_pro import webhooks
from nano_banana_pro.errors import WebhookVerificationError
from nano_banana_pro.testing import (
    DEFAULT_WEBHOOK_SECRET,
    FakeMagnific,
    Schedule,
    WebhookDelivery,
    post_webhook,
)
from tests.fake.helpers import BASE_URL, KEY, create, task_url

HOOK = "https://hooks.example.com/magnific"


def api(fake: FakeMagnific) -> httpx.Client:
    return httpx.Client(
        base_url=BASE_URL, headers={"x-magnific-api-key": KEY}, transport=fake.transport()
    )


def test_each_status_change_is_delivered_signed(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    task_id = create(http, webhook_url=HOOK)
    assert fake_magnific.webhook_deliveries == []

    fake_magnific.advance(1)
    fake_magnific.advance(4)

    deliveries = fake_magnific.webhook_deliveries
    assert [d.json() for d in deliveries] == [
        {"task_id": task_id, "status": "IN_PROGRESS", "generated": []},
        {
            "task_id": task_id,
            "status": "COMPLETED",
            "generated": [f"{BASE_URL}/_fake/images/{task_id}.png"],
        },
    ]
    for delivery in deliveries:
        assert delivery.url == HOOK
        assert delivery.headers["content-type"] == "application/json"
        assert delivery.error is None
        webhooks.verify(delivery.body, delivery.headers, DEFAULT_WEBHOOK_SECRET)
    task = webhooks.unwrap(deliveries[1].body, deliveries[1].headers, DEFAULT_WEBHOOK_SECRET)
    assert task.is_completed
    assert len({d.headers["webhook-id"] for d in deliveries}) == 2
    stamps = [int(d.headers["webhook-timestamp"]) for d in deliveries]
    assert stamps[1] - stamps[0] == 4  # the changes happened at t=1 and t=5


def test_a_delivery_does_not_verify_with_another_secret(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    create(http, webhook_url=HOOK)
    fake_magnific.advance(1)
    [delivery] = fake_magnific.webhook_deliveries
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(delivery.body, delivery.headers, "another-secret")


def test_changes_are_noticed_by_any_request_and_all_are_sent_in_order(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    task_id = create(http, webhook_url=HOOK)
    fake_magnific.clock.sleep(10)  # the clock moves without the fake's knowledge
    assert fake_magnific.webhook_deliveries == []

    http.get(task_url(task_id))
    http.get(task_url(task_id))

    assert [d.json()["status"] for d in fake_magnific.webhook_deliveries] == [
        "IN_PROGRESS",
        "COMPLETED",
    ]


def test_a_failed_task_reports_failed_and_tasks_without_a_url_report_nothing(
    fake_magnific: FakeMagnific, http: httpx.Client
) -> None:
    create(http)
    fake_magnific.fail_task_next()
    failed = create(http, webhook_url=HOOK)
    fake_magnific.advance(5)

    assert [d.json() for d in fake_magnific.webhook_deliveries] == [
        {"task_id": failed, "status": "IN_PROGRESS", "generated": []},
        {"task_id": failed, "status": "FAILED", "generated": []},
    ]


def test_a_state_at_creation_is_not_a_change() -> None:
    fake = FakeMagnific(schedule=Schedule(in_progress_after=0, complete_after=3))
    create(api(fake), webhook_url=HOOK)
    fake.advance(3)
    assert [d.json()["status"] for d in fake.webhook_deliveries] == ["COMPLETED"]


def test_the_sender_gets_each_delivery_and_its_failures_are_recorded() -> None:
    sent: list[tuple[str, dict[str, str], bytes]] = []

    def sender(url: str, headers: dict[str, str], body: bytes) -> None:
        sent.append((url, headers, body))
        if len(sent) == 2:
            raise ConnectionError("receiver down")

    fake = FakeMagnific(webhook_sender=sender, webhook_secret="whsec_c2VjcmV0")
    client = api(fake)
    task_id = create(client, webhook_url=HOOK)
    fake.advance(5)

    assert client.get(task_url(task_id)).status_code == 200
    assert [(url, body) for url, _, body in sent] == [
        (d.url, d.body) for d in fake.webhook_deliveries
    ]
    assert [d.error for d in fake.webhook_deliveries] == [None, "ConnectionError: receiver down"]
    webhooks.verify(sent[1][2], sent[1][1], "whsec_c2VjcmV0")


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(500 if self.path.endswith("/fail") else 204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()
    thread.join()


def test_post_webhook_sends_deliveries_over_http(
    receiver: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, received = receiver
    fake = FakeMagnific(webhook_sender=post_webhook)
    create(api(fake), webhook_url=url)
    fake.advance(1)

    [(headers, body)] = received
    webhooks.verify(body, headers, DEFAULT_WEBHOOK_SECRET)
    assert fake.webhook_deliveries == [
        WebhookDelivery(url=url, headers=fake.webhook_deliveries[0].headers, body=body)
    ]


def test_post_webhook_failures_are_recorded(
    receiver: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, received = receiver
    fake = FakeMagnific(webhook_sender=post_webhook)
    create(api(fake), webhook_url=f"{url}/fail")
    fake.advance(1)
    [delivery] = fake.webhook_deliveries
    assert len(received) == 1
    assert delivery.error is not None
    assert "500" in delivery.error
