"""Magnific Nano Banana Pro: a spec-synced, typed client for text-to-image generation.

```python
from nano_banana_pro import NanoBananaPro

with NanoBananaPro() as client:                  # MAGNIFIC_API_KEY from the environment
    task = client.generate("A suited raccoon", aspect_ratio="16:9")
    print(client.download(task, "out/"))
```
"""

# Names load on first use (PEP 562), so `import nano_banana_pro` stays cheap and a program that
# only needs the sync client never imports the async one, the batch code or the CLI.

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._async.client import AsyncNanoBananaPro
    from ._batch import BatchResult
    from ._polling import PollSchedule
    from ._ratelimit import RateLimit, RateWindow
    from ._sync.client import NanoBananaPro
    from .enums import AspectRatio, MimeType, Resolution
    from .errors import (
        AmbiguousCreateError,
        APIConnectionError,
        APIError,
        APIResponseValidationError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        BudgetFileError,
        DownloadError,
        InvalidRequestError,
        LedgerError,
        NanoBananaProError,
        NotFoundError,
        OutputError,
        PermissionDeniedError,
        RateLimitError,
        SentRequest,
        ServerError,
        SidecarError,
        TaskFailedError,
        WaitTimeoutError,
        WebhookVerificationError,
    )
    from .ledger import TaskLedger
    from .options import CreateOptions
    from .receiver import WebhookReceiver
    from .request import ReferenceImage
    from .task import Task, TaskStatus

_LAZY: dict[str, str] = {
    "AmbiguousCreateError": ".errors",
    "CreateOptions": ".options",
    "LedgerError": ".errors",
    "TaskLedger": ".ledger",
    "APIConnectionError": ".errors",
    "APIError": ".errors",
    "APIResponseValidationError": ".errors",
    "APITimeoutError": ".errors",
    "AspectRatio": ".enums",
    "AsyncNanoBananaPro": "._async.client",
    "AuthenticationError": ".errors",
    "BadRequestError": ".errors",
    "BatchResult": "._batch",
    "BudgetFileError": ".errors",
    "DownloadError": ".errors",
    "InvalidRequestError": ".errors",
    "MimeType": ".enums",
    "NanoBananaPro": "._sync.client",
    "NanoBananaProError": ".errors",
    "NotFoundError": ".errors",
    "OutputError": ".errors",
    "PermissionDeniedError": ".errors",
    "PollSchedule": "._polling",
    "RateLimit": "._ratelimit",
    "RateWindow": "._ratelimit",
    "RateLimitError": ".errors",
    "ReferenceImage": ".request",
    "SentRequest": ".errors",
    "Resolution": ".enums",
    "ServerError": ".errors",
    "SidecarError": ".errors",
    "Task": ".task",
    "TaskFailedError": ".errors",
    "TaskStatus": ".task",
    "WaitTimeoutError": ".errors",
    "WebhookReceiver": ".receiver",
    "WebhookVerificationError": ".errors",
}

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APITimeoutError",
    "AmbiguousCreateError",
    "AspectRatio",
    "AsyncNanoBananaPro",
    "AuthenticationError",
    "BadRequestError",
    "BatchResult",
    "BudgetFileError",
    "CreateOptions",
    "DownloadError",
    "InvalidRequestError",
    "LedgerError",
    "MimeType",
    "NanoBananaPro",
    "NanoBananaProError",
    "NotFoundError",
    "OutputError",
    "PermissionDeniedError",
    "PollSchedule",
    "RateLimit",
    "RateLimitError",
    "RateWindow",
    "ReferenceImage",
    "Resolution",
    "SentRequest",
    "ServerError",
    "SidecarError",
    "Task",
    "TaskFailedError",
    "TaskLedger",
    "TaskStatus",
    "WaitTimeoutError",
    "WebhookReceiver",
    "WebhookVerificationError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
