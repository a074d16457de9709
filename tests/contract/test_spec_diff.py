"""`scripts/spec_diff.py` (`make spec-diff BASE=<ref>`): small spec pairs, then the command line."""

from __future__ import annotations

import copy
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.contract.validating import SPEC_PATH

pytestmark = pytest.mark.contract

SCRIPT = SPEC_PATH.parents[1] / "scripts" / "spec_diff.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("spec_diff", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


spec_diff = _load_script()


def base() -> dict[str, Any]:
    """A small spec in the shape of ours: one create, one get, a webhook, an API key."""
    text = """
openapi: 3.1.0
info: {title: t, version: '1'}
components:
  securitySchemes:
    apiKey: {type: apiKey, in: header, name: x-api-key}
  schemas:
    Status: {type: string, enum: [CREATED, COMPLETED]}
    Task:
      type: object
      required: [task_id, status]
      properties:
        task_id: {type: string, format: uuid}
        status: {$ref: '#/components/schemas/Status'}
        generated: {type: array, items: {type: string}}
        parent: {$ref: '#/components/schemas/Task'}
paths:
  /tasks:
    post:
      operationId: create_task
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [prompt]
              properties:
                prompt: {type: string, minLength: 2, maxLength: 3000}
                ratio: {type: string, enum: ['1:1', '16:9']}
                images: {type: array, maxItems: 14, items: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Task'}
        '400': {description: bad}
  /tasks/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
    get:
      operationId: get_task
      responses:
        '200':
          description: ok
          headers:
            Retry-After: {schema: {type: string}}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Task'}
        '404': {description: missing}
webhooks:
  changed:
    post:
      operationId: task_changed
      parameters:
        - {name: webhook-id, in: header, required: true, schema: {type: string}}
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Task'}
      responses:
        '200': {description: ok}
"""
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def changes(edit: Any) -> tuple[list[str], list[str]]:
    old = base()
    new = copy.deepcopy(old)
    edit(new)
    comparison = spec_diff.compare(old, new)
    return comparison.breaking, comparison.notes


def create_body(spec: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = spec["paths"]["/tasks"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    return body


def task(spec: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"]["Task"]
    return schema


BREAKING = {
    "operation removed": (
        lambda s: s["paths"]["/tasks/{id}"].pop("get"),
        "GET /tasks/{id}: operation removed",
    ),
    "operationId renamed": (
        lambda s: s["paths"]["/tasks"]["post"].update(operationId="make_task"),
        "operationId 'create_task' -> 'make_task'",
    ),
    "response code removed": (
        lambda s: s["paths"]["/tasks/{id}"]["get"]["responses"].pop("404"),
        "GET /tasks/{id}: response 404: removed",
    ),
    "response header removed": (
        lambda s: s["paths"]["/tasks/{id}"]["get"]["responses"]["200"].pop("headers"),
        "header 'Retry-After' removed",
    ),
    "response media type removed": (
        lambda s: s["paths"]["/tasks"]["post"]["responses"]["200"].update(
            content={"text/plain": {"schema": {"type": "string"}}}
        ),
        "media type application/json removed",
    ),
    "request field removed": (
        lambda s: create_body(s)["properties"].pop("images"),
        "request body (application/json): images: field removed",
    ),
    "request field now required": (
        lambda s: create_body(s)["required"].append("ratio"),
        "ratio: now required",
    ),
    "required request field added": (
        lambda s: (
            create_body(s)["properties"].update(seed={"type": "integer"}),
            create_body(s)["required"].append("seed"),
        ),
        "seed: added, required",
    ),
    "required header parameter added": (
        lambda s: s["paths"]["/tasks"]["post"].update(
            parameters=[{"name": "X-Trace", "in": "header", "required": True}]
        ),
        "header parameter 'x-trace': added, required",
    ),
    "response field removed": (
        lambda s: task(s)["properties"].pop("generated"),
        "generated: field removed",
    ),
    "response field no longer required": (
        lambda s: task(s)["required"].remove("status"),
        "status: no longer required",
    ),
    "request enum narrowed": (
        lambda s: create_body(s)["properties"]["ratio"].update(enum=["1:1"]),
        "ratio: enum values removed: '16:9'",
    ),
    "response enum narrowed": (
        lambda s: s["components"]["schemas"]["Status"].update(enum=["COMPLETED"]),
        "status: enum values removed: 'CREATED'",
    ),
    "type changed": (
        lambda s: task(s)["properties"]["task_id"].update(type="integer"),
        "task_id: type string -> integer",
    ),
    "minLength up": (
        lambda s: create_body(s)["properties"]["prompt"].update(minLength=3),
        "prompt: minLength 2 -> 3",
    ),
    "maxLength down": (
        lambda s: create_body(s)["properties"]["prompt"].update(maxLength=2000),
        "prompt: maxLength 3000 -> 2000",
    ),
    "maxItems down": (
        lambda s: create_body(s)["properties"]["images"].update(maxItems=4),
        "images: maxItems 14 -> 4",
    ),
    "pattern added": (
        lambda s: create_body(s)["properties"]["prompt"].update(pattern="^[a-z ]+$"),
        "prompt: pattern 'none' -> '^[a-z ]+$'",
    ),
    "request limited to an enum": (
        lambda s: create_body(s)["properties"]["images"]["items"].update(enum=["a"]),
        "images[]: now limited to 'a'",
    ),
    "additional properties forbidden": (
        lambda s: create_body(s).update(additionalProperties=False),
        "additionalProperties is now false",
    ),
    "webhook header removed": (
        lambda s: s["webhooks"]["changed"]["post"].pop("parameters"),
        "webhook POST changed: header parameter 'webhook-id': removed",
    ),
    "webhook payload field removed": (
        lambda s: task(s)["properties"].pop("task_id"),
        "webhook POST changed: request body (application/json): task_id: field removed",
    ),
    "API key header renamed": (
        lambda s: s["components"]["securitySchemes"]["apiKey"].update(name="x-key"),
        "security scheme 'apiKey': name 'x-api-key' -> 'x-key'",
    ),
}


@pytest.mark.parametrize(("edit", "expected"), BREAKING.values(), ids=BREAKING)
def test_each_breaking_change_is_reported(edit: Any, expected: str) -> None:
    breaking, _ = changes(edit)
    assert any(expected in line for line in breaking), breaking


NOT_BREAKING = {
    "nothing changed": lambda s: None,
    "optional request field added": lambda s: create_body(s)["properties"].update(
        seed={"type": "integer"}
    ),
    "request constraints loosened": lambda s: create_body(s)["properties"]["prompt"].update(
        minLength=1, maxLength=5000
    ),
    "request enum widened": lambda s: create_body(s)["properties"]["ratio"].update(
        enum=["1:1", "16:9", "21:9"]
    ),
    "request field no longer required": lambda s: create_body(s).update(required=[]),
    "response field added": lambda s: task(s)["properties"].update(error={"type": "string"}),
    "response code added": lambda s: s["paths"]["/tasks"]["post"]["responses"].update(
        {"429": {"description": "slow down"}}
    ),
    "descriptions and examples": lambda s: task(s).update(description="x", example={"a": 1}),
}


@pytest.mark.parametrize("edit", NOT_BREAKING.values(), ids=NOT_BREAKING)
def test_compatible_changes_are_not_reported_as_breaking(edit: Any) -> None:
    breaking, _ = changes(edit)
    assert breaking == []


def test_additions_a_client_must_tolerate_are_notes() -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["components"]["schemas"]["Status"]["enum"].append("CANCELLED")
        spec["paths"]["/flash"] = {"post": {"operationId": "flash", "responses": {}}}

    breaking, notes = changes(edit)
    assert breaking == []
    assert "POST /flash: operation added" in notes
    assert any("status: enum values added" in note and "CANCELLED" in note for note in notes)


def test_a_change_inside_a_shared_schema_is_reported_at_each_place_it_is_used() -> None:
    breaking, _ = changes(lambda s: task(s)["properties"].pop("generated"))
    assert len([line for line in breaking if "generated: field removed" in line]) == 3


def test_ratios_are_strings_even_unquoted_in_yaml_1_1() -> None:
    old = spec_diff.load("enum: [1:1, 16:9]")
    assert old == {"enum": ["1:1", "16:9"]}
    assert spec_diff.load("n: 12") == {"n": 12}


def test_the_spec_against_itself_has_no_change() -> None:
    document = spec_diff.load(SPEC_PATH.read_text(encoding="utf-8"))
    comparison = spec_diff.compare(document, copy.deepcopy(document))
    assert (comparison.breaking, comparison.notes) == ([], [])


# -- the command line ---------------------------------------------------------------------------


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True, check=False
    )


def write(path: Path, document: dict[str, Any]) -> str:
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return str(path)


def test_the_command_exits_1_and_lists_breaking_changes(tmp_path: Path) -> None:
    new = base()
    create_body(new)["properties"]["prompt"]["maxLength"] = 100
    result = run(write(tmp_path / "old.yaml", base()), write(tmp_path / "new.yaml", new))
    assert result.returncode == 1, result.stderr
    assert "1 breaking change(s)" in result.stdout
    assert "prompt: maxLength 3000 -> 100" in result.stdout


def test_the_command_exits_0_without_breaking_changes(tmp_path: Path) -> None:
    old = write(tmp_path / "old.yaml", base())
    result = run(old, old)
    assert result.returncode == 0, result.stderr
    assert "No breaking changes" in result.stdout


def test_the_command_reads_the_old_spec_from_git() -> None:
    committed = subprocess.run(
        ["git", "-C", str(SPEC_PATH.parents[1]), "log", "-1", "--format=%H", "--", "openapi"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    result = run("--ref", committed, str(SPEC_PATH))
    assert result.returncode in (0, 1), result.stderr
    assert f"openapi/nano-banana-pro.yaml at {committed}" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--ref", "no-such-ref-anywhere"], "git cannot show"),
        (["/no/such/old.yaml", "/no/such/new.yaml"], "No such file"),
        (["only-one.yaml"], "give OLD and NEW"),
    ],
)
def test_the_command_exits_2_when_it_cannot_compare(arguments: list[str], message: str) -> None:
    result = run(*arguments)
    assert result.returncode == 2
    assert message in result.stderr
