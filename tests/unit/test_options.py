"""`CreateOptions`, the one declaration of the create options, held to the spec and its users.

`declaration_problems(spec)` reads the spec itself (the YAML, not the generated table) and
lists every way the declaration and the checks built on it disagree with it: names, types,
enum values, limits and defaults. The meta-tests feed it specs changed on purpose, to show it
fails when the spec gains a field the declaration lacks, or changes what one accepts.
"""

from __future__ import annotations

import argparse
import copy
import typing
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest

from nano_banana_pro import AspectRatio, Resolution
from nano_banana_pro._batch import prepare_batch
from nano_banana_pro.cli._parser import build_parser
from nano_banana_pro.errors import InvalidRequestError
from nano_banana_pro.options import OPTION_NAMES, CreateOptions
from nano_banana_pro.request import ReferenceImageLike, build_create_request
from nano_banana_pro.testing import API_PATH, FakeMagnific

PROMPT = "A suited raccoon smoking a pipe"
#: The Python types a spec type must be accepted as.
SPEC_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": Sequence,  # type: ignore[type-abstract]
}


def resolved(spec: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict) and "$ref" in node:
        return resolved(spec, spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]])
    if isinstance(node, dict):
        return {key: resolved(spec, value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolved(spec, item) for item in node]
    return node


def request_schema(spec: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = resolved(spec, spec["components"]["schemas"]["CreateImageRequest"])
    return schema


def accepted(option: str, value: Any) -> bool:
    try:
        build_create_request(prompt=PROMPT, **{option: value})  # type: ignore[misc]
    except InvalidRequestError:
        return False
    return True


def declared_types() -> dict[str, Any]:
    names = {"AspectRatio": AspectRatio, "Resolution": Resolution}
    names["ReferenceImageLike"] = ReferenceImageLike  # type: ignore[assignment]
    return typing.get_type_hints(CreateOptions, localns=names)


def declaration_problems(spec: dict[str, Any]) -> list[str]:
    """How the declaration, and the checks built on it, disagree with `spec`."""
    schema = request_schema(spec)
    fields = schema["properties"]
    optional = [name for name in fields if name not in schema.get("required", [])]
    problems = []
    if list(OPTION_NAMES) != optional:
        problems.append(f"names: declared {list(OPTION_NAMES)}, the spec has {optional}")
    hints = declared_types()
    defaults = build_create_request(prompt=PROMPT).to_dict()
    for name in set(optional) & set(OPTION_NAMES):
        field = fields[name]
        problems += _type_problems(name, field, hints[name])
        problems += _enum_problems(name, field)
        problems += _limit_problems(name, field)
        if "default" in field and defaults.get(name) != field["default"]:
            problems.append(
                f"{name}: sent {defaults.get(name)!r} by default, not {field['default']!r}"
            )
    prompt = fields["prompt"]
    for length in (prompt["minLength"], prompt["maxLength"]):
        if not _prompt_accepted("a" * length):
            problems.append(f"prompt: {length} characters refused")
    for length in (prompt["minLength"] - 1, prompt["maxLength"] + 1):
        if _prompt_accepted("a" * length):
            problems.append(f"prompt: {length} characters accepted")
    return problems


def _prompt_accepted(prompt: str) -> bool:
    try:
        build_create_request(prompt=prompt)
    except InvalidRequestError:
        return False
    return True


def _type_problems(name: str, field: dict[str, Any], hint: Any) -> list[str]:
    wanted = SPEC_TYPES.get(field.get("type", ""))
    members = typing.get_args(hint) or (hint,)
    origins = [typing.get_origin(member) or member for member in members]
    if wanted is None or any(isinstance(o, type) and issubclass(o, wanted) for o in origins):
        return []
    return [f"{name}: declared {hint}, the spec's type is {field.get('type')}"]


def _enum_problems(name: str, field: dict[str, Any]) -> list[str]:
    if "enum" not in field:
        return []
    refused = [value for value in field["enum"] if not accepted(name, value)]
    problems = [f"{name}: spec values refused: {refused}"] if refused else []
    candidates = [*AspectRatio, *Resolution, "7:5", "8K"]
    extra = [str(v) for v in candidates if str(v) not in field["enum"] and accepted(name, str(v))]
    if extra:
        problems.append(f"{name}: values outside the spec accepted: {extra}")
    return problems


def _limit_problems(name: str, field: dict[str, Any]) -> list[str]:
    if field.get("type") != "array" or "maxItems" not in field:
        return []
    item = field["items"].get("example") or {
        "image": "https://example.com/a.png",
        "mime_type": "image/png",
    }
    limit = field["maxItems"]
    problems = []
    if not accepted(name, [item] * limit):
        problems.append(f"{name}: {limit} items refused")
    if accepted(name, [item] * (limit + 1)):
        problems.append(f"{name}: {limit + 1} items accepted")
    return problems


# --- the declaration against the spec ---------------------------------------------------------


def test_the_declaration_matches_the_spec(spec: dict[str, Any]) -> None:
    assert declaration_problems(spec) == []


def with_change(spec: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    changed = copy.deepcopy(spec)
    change(changed["components"]["schemas"])
    return changed


def add_an_option(schemas: dict[str, Any]) -> None:
    schemas["CreateImageRequest"]["properties"]["undeclared_option"] = {"type": "integer"}


def set_resolution_default(schemas: dict[str, Any]) -> None:
    schemas["Resolution"]["default"] = "4K"


def narrow_ratios(schemas: dict[str, Any]) -> None:
    schemas["AspectRatio"]["enum"].remove("21:9")


def shorten_prompt(schemas: dict[str, Any]) -> None:
    schemas["CreateImageRequest"]["properties"]["prompt"]["maxLength"] = 2000


def fewer_references(schemas: dict[str, Any]) -> None:
    schemas["CreateImageRequest"]["properties"]["reference_images"]["maxItems"] = 10


def retype_webhook(schemas: dict[str, Any]) -> None:
    schemas["CreateImageRequest"]["properties"]["webhook_url"]["type"] = "integer"


@pytest.mark.parametrize(
    ("change", "reported"),
    [
        (add_an_option, "names: declared"),
        (set_resolution_default, "resolution: sent '2K' by default, not '4K'"),
        (narrow_ratios, "aspect_ratio: values outside the spec accepted: ['21:9']"),
        (shorten_prompt, "prompt: 2001 characters accepted"),
        (fewer_references, "reference_images: 11 items accepted"),
        (retype_webhook, "webhook_url: declared"),
    ],
)
def test_the_check_fails_when_the_spec_changes_what_an_option_is(
    spec: dict[str, Any], change: Callable[[dict[str, Any]], None], reported: str
) -> None:
    problems = declaration_problems(with_change(spec, change))
    assert any(problem.startswith(reported) for problem in problems), problems


# --- the declaration against its users: the CLI, batch lines, the fake ------------------------


def cli_missing_options(parser: argparse.ArgumentParser) -> list[str]:
    """Declared options the `generate` command has no flag for."""
    subcommands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    generate = subcommands.choices["generate"]
    destinations = {action.dest for action in generate._actions}
    return [option for option in OPTION_NAMES if option not in destinations]


def test_the_cli_has_a_flag_for_every_declared_option() -> None:
    assert cli_missing_options(build_parser()) == []


def test_the_cli_check_fails_on_a_parser_that_misses_an_option() -> None:
    parser = argparse.ArgumentParser()
    subcommands = parser.add_subparsers()
    generate = subcommands.add_parser("generate")
    generate.add_argument("--aspect-ratio", dest="aspect_ratio")
    assert "resolution" in cli_missing_options(parser)


#: A value of the wrong JSON type for each spec type.
WRONG_TYPE: dict[str, Any] = {
    "string": 42,
    "integer": "x",
    "number": "x",
    "boolean": "x",
    "array": "x",
    "object": "x",
}


def spec_example(schema: dict[str, Any]) -> Any:
    """A valid value of `schema` from the spec's own examples (arrays and objects built up)."""
    if "example" in schema:
        return schema["example"]
    if schema.get("type") == "array":
        return [spec_example(schema["items"])]
    if schema.get("type") == "object":
        required = schema.get("required", [])
        return {name: spec_example(schema["properties"][name]) for name in required}
    raise AssertionError(f"the spec gives no example of {schema}: add one")


def valid_and_invalid(spec: dict[str, Any], option: str) -> tuple[Any, Any]:
    """The spec's example of `option`, and a value of the wrong JSON type."""
    field = request_schema(spec)["properties"][option]
    return spec_example(field), WRONG_TYPE[field["type"]]


def test_examples_come_from_the_spec_and_fail_without_one(spec: dict[str, Any]) -> None:
    assert valid_and_invalid(spec, "aspect_ratio") == ("1:1", 42)
    assert valid_and_invalid(spec, "reference_images")[0] == [
        {"image": "https://example.com/reference.jpg", "mime_type": "image/jpeg"}
    ]
    with pytest.raises(AssertionError, match="no example"):
        spec_example({"type": "integer"})


@pytest.mark.parametrize("option", OPTION_NAMES)
def test_a_batch_line_takes_every_declared_option(spec: dict[str, Any], option: str) -> None:
    valid, _ = valid_and_invalid(spec, option)
    (item,) = prepare_batch([{"prompt": PROMPT, option: valid}])
    assert item.error is None
    assert item.body is not None
    assert item.body.to_dict()[option] == valid


@pytest.mark.parametrize("option", OPTION_NAMES)
def test_the_fake_checks_every_declared_option(spec: dict[str, Any], option: str) -> None:
    valid, invalid = valid_and_invalid(spec, option)
    fake = FakeMagnific()
    with httpx.Client(base_url="https://api.magnific.com", transport=fake.transport()) as http:

        def create(value: Any) -> httpx.Response:
            body = {"prompt": PROMPT, option: value}
            return http.post(API_PATH, json=body, headers={"x-magnific-api-key": "test-key"})

        assert create(valid).status_code == 200
        refused = create(invalid)
    assert refused.status_code == 400
    assert [param["name"] for param in refused.json()["invalid_params"]] == [option]
