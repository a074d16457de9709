"""Magnific Nano Banana Pro: a spec-synced, typed client for text-to-image generation.

```python
from nano_banana_pro import NanoBananaPro

with NanoBananaPro() as client:                  # MAGNIFIC_API_KEY from the environment
    task = client.generate("A suited raccoon", aspect_ratio="16:9")
    print(client.download(task, "out/"))
```
"""

from ._batch import BatchResult
from ._config import package_version
from ._polling import PollSchedule
from ._ratelimit import RateLimit
from .async_client import AsyncNanoBananaPro
from .client import NanoBananaPro
from .enums import AspectRatio, MimeType, Resolution
from .errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DownloadError,
    InvalidRequestError,
    NanoBananaProError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TaskFailedError,
    WaitTimeoutError,
    WebhookVerificationError,
)
from .request import ReferenceImage
from .task import Task, TaskStatus

__version__ = package_version()

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APITimeoutError",
    "AspectRatio",
    "AsyncNanoBananaPro",
    "AuthenticationError",
    "BadRequestError",
    "BatchResult",
    "DownloadError",
    "InvalidRequestError",
    "MimeType",
    "NanoBananaPro",
    "NanoBananaProError",
    "NotFoundError",
    "PermissionDeniedError",
    "PollSchedule",
    "RateLimit",
    "RateLimitError",
    "ReferenceImage",
    "Resolution",
    "ServerError",
    "Task",
    "TaskFailedError",
    "TaskStatus",
    "WaitTimeoutError",
    "WebhookVerificationError",
    "__version__",
]
