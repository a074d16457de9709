"""The seam's asyncio half: the three operations through the generated client, and downloads."""

from __future__ import annotations

import httpx

from nano_banana_pro_api.api.text_to_image import (
    create_image_from_text_nano_banana_pro as create_operation,
)
from nano_banana_pro_api.api.text_to_image import (
    get_all_nano_banana_pro_tasks as list_operation,
)
from nano_banana_pro_api.api.text_to_image import (
    get_nano_banana_pro_task_status as get_operation,
)
from nano_banana_pro_api.models import CreateImageRequest

from .._config import user_agent
from .._seam import (
    before_request,
    generated_client,
    log_response,
    point_at_api,
    task_from,
    tasks_from,
    translated_failures,
)
from .._translate import error_from_response
from ..task import Task
from .network import AsyncDeadlineTransport

__all__ = ["AsyncServiceApi", "download_client"]


async def _request_hook(request: httpx.Request) -> None:
    before_request(request)


async def _response_hook(response: httpx.Response) -> None:
    """Raise this package's error for an error status, before the generated code parses it."""
    if not response.is_success:
        try:
            await response.aread()
        except httpx.DecodingError:
            raise error_from_response(response, body_unreadable=True) from None
        raise error_from_response(response)
    log_response(response)


class AsyncServiceApi:
    """The three operations, through the generated client."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: httpx.Timeout,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._owns_http_client = http_client is None
        self.http_client = point_at_api(
            http_client or httpx.AsyncClient(transport=transport or AsyncDeadlineTransport()),
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            hooks={"request": [_request_hook], "response": [_response_hook]},
        )
        self._client = generated_client(base_url).set_async_httpx_client(self.http_client)

    async def create(self, body: CreateImageRequest) -> Task:
        """POST a create request.

        Raises:
            NanoBananaProError: the translated failure.
        """
        with translated_failures():
            response = await create_operation.asyncio_detailed(client=self._client, body=body)
            return task_from(response)

    async def get(self, task_id: str) -> Task:
        """GET one task.

        Raises:
            NanoBananaProError: the translated failure.
        """
        with translated_failures():
            response = await get_operation.asyncio_detailed(task_id, client=self._client)
            return task_from(response, asked=task_id)

    async def list(self) -> list[Task]:
        """GET the task list.

        Raises:
            NanoBananaProError: the translated failure.
        """
        with translated_failures():
            return tasks_from(await list_operation.asyncio_detailed(client=self._client))

    async def aclose(self) -> None:
        """Close the HTTP client, unless the caller passed it in (then it is theirs)."""
        if self._owns_http_client:
            await self.http_client.aclose()


def download_client(
    *, timeout: httpx.Timeout, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """A client for image downloads: no API key at all, redirects followed."""
    return httpx.AsyncClient(
        timeout=timeout,
        transport=transport or AsyncDeadlineTransport(),
        follow_redirects=True,
        # The image as stored: its length is checked against Content-Length on the wire.
        headers={"User-Agent": user_agent(), "Accept-Encoding": "identity"},
    )
