"""A faithful in-memory fake of the Magnific Nano Banana Pro service, for tests and local runs.

```python
import httpx
from nano_banana_pro.testing import FakeMagnific

fake = FakeMagnific()                       # api_key="test-key", on a VirtualClock
client = httpx.Client(base_url="https://api.magnific.com", transport=fake.transport())
fake.advance(5)                             # tasks created now are COMPLETED
with fake.serve() as base_url:              # or over real HTTP on 127.0.0.1
    ...
```

Give the client under test `fake.clock` too, so that its waits move the fake's time. Faults:
`fail_next`, `drop_next`, `delay_next`, `fail_task_next`, `unknown_status_next`; the service's
rate limits with `rate_limits=documented_limits()`; assertions:
`fake.requests`, `fake.count()`, `fake.tasks`, `fake.webhook_deliveries`, `peak_in_window()`.
`serve_asgi(app)` serves a `WebhookReceiver` (or your ASGI app) with uvicorn on loopback.

With pytest, the `fake_magnific` fixture (`nano_banana_pro.testing.pytest_plugin`) gives a
fresh `FakeMagnific` per test.
"""

from ._asgi import serve_asgi
from ._deliveries import WebhookDelivery, WebhookSender, post_webhook
from ._fake import DEFAULT_WEBHOOK_SECRET, FakeMagnific
from ._faults import Operation
from ._limits import DOCUMENTED_LIMITS, RateWindow, documented_limits, peak_in_window
from ._log import RecordedRequest
from ._routes import API_PATH
from ._state import FakeTask, Schedule, ScheduleSource
from ._virtual_time import VirtualTimeLoop, run_in_virtual_time

__all__ = [
    "API_PATH",
    "DEFAULT_WEBHOOK_SECRET",
    "DOCUMENTED_LIMITS",
    "FakeMagnific",
    "FakeTask",
    "Operation",
    "RateWindow",
    "RecordedRequest",
    "Schedule",
    "ScheduleSource",
    "VirtualTimeLoop",
    "WebhookDelivery",
    "WebhookSender",
    "documented_limits",
    "peak_in_window",
    "post_webhook",
    "run_in_virtual_time",
    "serve_asgi",
]
