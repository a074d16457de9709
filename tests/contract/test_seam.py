"""The layer seam: every operation of the spec is reachable from the facade, sync and async.

The other half of the seam, `create`'s parameters against the generated request model, is
`tests/client/test_surface.py::test_create_parameters_match_the_generated_request_model`; the
generated model against the spec is held by `make check-generated`. Here: the spec's request
schema against the generated model's fields (so the chain spec -> generated -> facade is closed),
and each operationId mapped to the facade method that reaches it, driven through the fake.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

from nano_banana_pro import AsyncNanoBananaPro, NanoBananaPro
from nano_banana_pro.testing import FakeMagnific
from nano_banana_pro_api.models import CreateImageRequest
from tests.contract.conftest import KEY
from tests.contract.validating import SpecValidatingTransport

pytestmark = pytest.mark.contract

#: operationId -> (how the facade reaches it, the fake's name for the operation).
FACADE_OPERATIONS: dict[str, tuple[Callable[[Any, str], Any], str]] = {
    "create_image_from_text_nano_banana_pro": (
        lambda client, task_id: client.create("A suited raccoon"),
        "create",
    ),
    "get_nano_banana_pro_task_status": (lambda client, task_id: client.get(task_id), "get"),
    "get_all_nano_banana_pro_tasks": (lambda client, task_id: client.list(), "list"),
}


def spec_operation_ids(spec: dict[str, Any]) -> set[str]:
    return {
        operation["operationId"]
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method != "parameters"
    }


def test_every_operation_of_the_spec_has_a_facade_method(spec: dict[str, Any]) -> None:
    assert spec_operation_ids(spec) == set(FACADE_OPERATIONS), (
        "map each new operationId to the facade method that reaches it (and write that method)"
    )


def test_the_spec_request_schema_and_the_generated_model_have_the_same_fields(
    spec: dict[str, Any],
) -> None:
    schema = spec["components"]["schemas"]["CreateImageRequest"]
    fields = {field.name for field in attrs.fields(CreateImageRequest)} - {"additional_properties"}
    assert set(schema["properties"]) == fields


def _created_task_id(fake: FakeMagnific) -> str:
    with NanoBananaPro(api_key=KEY, transport=fake.transport(), clock=fake.clock) as client:
        return client.create("A suited raccoon").task_id


@pytest.mark.parametrize("operation_id", sorted(FACADE_OPERATIONS))
def test_each_operation_is_reached_by_its_facade_method(operation_id: str) -> None:
    call, fake_operation = FACADE_OPERATIONS[operation_id]
    fake = FakeMagnific(api_key=KEY)
    task_id = _created_task_id(fake)
    transport = SpecValidatingTransport(fake.transport())
    with NanoBananaPro(api_key=KEY, transport=transport, clock=fake.clock) as client:
        call(client, task_id)
    assert transport.operations == [operation_id]
    assert (fake.requests[-1].operation, fake.requests[-1].status) == (fake_operation, 200)


@pytest.mark.anyio
@pytest.mark.parametrize("operation_id", sorted(FACADE_OPERATIONS))
async def test_each_operation_is_reached_by_its_async_facade_method(operation_id: str) -> None:
    call, fake_operation = FACADE_OPERATIONS[operation_id]
    fake = FakeMagnific(api_key=KEY)
    task_id = _created_task_id(fake)
    transport = SpecValidatingTransport(fake.async_transport())
    async with AsyncNanoBananaPro(api_key=KEY, transport=transport, clock=fake.clock) as client:
        await call(client, task_id)
    assert transport.operations == [operation_id]
    assert (fake.requests[-1].operation, fake.requests[-1].status) == (fake_operation, 200)
