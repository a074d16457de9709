#!/usr/bin/env python3
"""Print the breaking changes between two versions of the OpenAPI spec; exit 1 when there are any.

    python scripts/spec_diff.py --ref main            # the spec at a git ref vs the working copy
    python scripts/spec_diff.py OLD.yaml NEW.yaml     # two files

Breaking, from the point of view of a client generated from the old spec:
- an operation (path + method, or webhook) removed, or its operationId changed;
- a response status code or media type removed;
- a request: a parameter, body or field that became required, or a field removed;
- a response or webhook payload: a field removed, or no longer required;
- an enum that lost values (anywhere: generated enum members disappear);
- a type changed (anywhere);
- a request constraint tightened: minLength/minItems/minimum up, maxLength/maxItems/maximum
  down, or a pattern, format or `additionalProperties: false` added or changed;
- the API key's security scheme removed or moved (another header name).
Additions that clients must tolerate (new operations, new response enum values) are listed as
notes and do not fail. Not compared: allOf/oneOf/anyOf, discriminators, examples, descriptions.
Exit status: 0 no breaking change, 1 breaking changes, 2 the specs could not be read.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
SPEC = Path("openapi/nano-banana-pro.yaml")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
LOWER_BOUNDS = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")
UPPER_BOUNDS = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")
EXACT_CONSTRAINTS = ("pattern", "format")

Direction = Literal["request", "response"]
Document = dict[str, Any]


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader without YAML 1.1's base-60 integers (`16:9` stays a string)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:int"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)


def load(text: str) -> Document:
    """Parse a spec (YAML or JSON).

    Raises:
        ValueError: the text is not a mapping.
    """
    document = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    if not isinstance(document, dict):
        raise ValueError("not an OpenAPI document (the top level is not a mapping)")
    return document


class Comparison:
    """Compares two parsed specs; `breaking` and `notes` hold one line per change."""

    def __init__(self, old: Document, new: Document) -> None:
        self.old, self.new = old, new
        self.breaking: list[str] = []
        self.notes: list[str] = []
        self._comparing: set[tuple[int, int, str]] = set()

    def run(self) -> Comparison:
        """Compare everything; returns itself."""
        old_operations, new_operations = _operations(self.old), _operations(self.new)
        for name, old_operation in old_operations.items():
            new_operation = new_operations.get(name)
            if new_operation is None:
                self.breaking.append(f"{name}: operation removed")
            else:
                self._operation(name, old_operation, new_operation)
        self.notes += [
            f"{name}: operation added" for name in new_operations.keys() - old_operations.keys()
        ]
        self._security()
        return self

    # -- operations ----------------------------------------------------------------------------

    def _operation(self, name: str, old: Document, new: Document) -> None:
        webhook = name.startswith("webhook ")
        if old.get("operationId") != new.get("operationId"):
            self.breaking.append(
                f"{name}: operationId {old.get('operationId')!r} -> {new.get('operationId')!r} "
                "(the generated function is renamed)"
            )
        # A webhook is a request the service sends: the client reads it, like a response.
        body_direction: Direction = "response" if webhook else "request"
        self._parameters(name, old, new, body_direction)
        self._body(name, old.get("requestBody"), new.get("requestBody"), body_direction)
        if not webhook:
            self._responses(name, old.get("responses", {}), new.get("responses", {}))

    def _parameters(self, name: str, old: Document, new: Document, direction: Direction) -> None:
        old_parameters, new_parameters = _parameters(self.old, old), _parameters(self.new, new)
        for key, old_parameter in old_parameters.items():
            where = f"{name}: {key[1]} parameter {key[0]!r}"
            new_parameter = new_parameters.get(key)
            if new_parameter is None:
                self.breaking.append(f"{where}: removed")
                continue
            if (
                direction == "request"
                and new_parameter.get("required")
                and not old_parameter.get("required")
            ):
                self.breaking.append(f"{where}: now required")
            self._schema(
                where, old_parameter.get("schema", {}), new_parameter.get("schema", {}), direction
            )
        for key, new_parameter in new_parameters.items():
            if (
                key not in old_parameters
                and new_parameter.get("required")
                and direction == "request"
            ):
                self.breaking.append(f"{name}: {key[1]} parameter {key[0]!r}: added, required")

    def _body(self, name: str, old: Any, new: Any, direction: Direction) -> None:
        old, new = resolve(self.old, old or {}), resolve(self.new, new or {})
        if not old and not new:
            return
        if not new:
            self.breaking.append(f"{name}: request body removed")
            return
        if direction == "request" and new.get("required") and not old.get("required"):
            self.breaking.append(f"{name}: request body now required")
        self._content(
            f"{name}: request body", old.get("content", {}), new.get("content", {}), direction
        )

    def _responses(self, name: str, old: Document, new: Document) -> None:
        for status, old_response in old.items():
            where = f"{name}: response {status}"
            if status not in new:
                self.breaking.append(f"{where}: removed")
                continue
            old_resolved = resolve(self.old, old_response)
            new_resolved = resolve(self.new, new[status])
            self._content(
                where, old_resolved.get("content", {}), new_resolved.get("content", {}), "response"
            )
            new_headers = new_resolved.get("headers", {})
            for header in old_resolved.get("headers", {}).keys() - new_headers.keys():
                self.breaking.append(f"{where}: header {header!r} removed")

    def _content(self, where: str, old: Document, new: Document, direction: Direction) -> None:
        for media_type, old_media in old.items():
            if media_type not in new:
                self.breaking.append(f"{where}: media type {media_type} removed")
                continue
            self._schema(
                f"{where} ({media_type})",
                old_media.get("schema", {}),
                new[media_type].get("schema", {}),
                direction,
            )

    def _security(self) -> None:
        old_schemes = self.old.get("components", {}).get("securitySchemes", {})
        new_schemes = self.new.get("components", {}).get("securitySchemes", {})
        for name, old_scheme in old_schemes.items():
            new_scheme = new_schemes.get(name)
            if new_scheme is None:
                self.breaking.append(f"security scheme {name!r}: removed")
                continue
            for key in ("type", "in", "name", "scheme"):
                if old_scheme.get(key) != new_scheme.get(key):
                    self.breaking.append(
                        f"security scheme {name!r}: {key} {old_scheme.get(key)!r} -> "
                        f"{new_scheme.get(key)!r}"
                    )

    # -- schemas -------------------------------------------------------------------------------

    def _schema(
        self, where: str, old: Any, new: Any, direction: Direction, field: str = ""
    ) -> None:
        old, new = resolve(self.old, old), resolve(self.new, new)
        key = (id(old), id(new), direction)
        if key in self._comparing:  # a recursive schema, met again inside itself
            return
        self._comparing.add(key)
        try:
            self._compare_schemas(where, old, new, direction, field)
        finally:
            self._comparing.discard(key)

    def _compare_schemas(
        self, where: str, old: Document, new: Document, direction: Direction, field: str
    ) -> None:
        at = f"{where}: {field or '<body>'}"
        if _types(old) != _types(new) and _types(old) and _types(new):
            self.breaking.append(f"{at}: type {_show(_types(old))} -> {_show(_types(new))}")
        self._enum(at, old, new, direction)
        if direction == "request":
            self._constraints(at, old, new)
        self._properties(where, old, new, direction, field)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self._schema(where, old["items"], new["items"], direction, f"{field}[]")

    def _enum(self, at: str, old: Document, new: Document, direction: Direction) -> None:
        if "enum" not in old:
            if "enum" in new and direction == "request":
                self.breaking.append(f"{at}: now limited to {_show(new['enum'])}")
            return
        # Dropping `enum` altogether widens the values: nothing is removed.
        new_values: list[Any] = new["enum"] if "enum" in new else old["enum"]
        removed = [value for value in old["enum"] if value not in new_values]
        added = [value for value in new_values if value not in old["enum"]]
        if removed:
            self.breaking.append(f"{at}: enum values removed: {_show(removed)}")
        if added and direction == "response":
            self.notes.append(
                f"{at}: enum values added (clients must tolerate them): {_show(added)}"
            )

    def _constraints(self, at: str, old: Document, new: Document) -> None:
        for name in LOWER_BOUNDS:
            if name in new and (name not in old or new[name] > old[name]):
                self.breaking.append(f"{at}: {name} {old.get(name, 'none')} -> {new[name]}")
        for name in UPPER_BOUNDS:
            if name in new and (name not in old or new[name] < old[name]):
                self.breaking.append(f"{at}: {name} {old.get(name, 'none')} -> {new[name]}")
        for name in EXACT_CONSTRAINTS:
            if name in new and new[name] != old.get(name):
                self.breaking.append(f"{at}: {name} {old.get(name, 'none')!r} -> {new[name]!r}")
        if (
            new.get("additionalProperties") is False
            and old.get("additionalProperties") is not False
        ):
            self.breaking.append(f"{at}: additionalProperties is now false")

    def _properties(
        self, where: str, old: Document, new: Document, direction: Direction, field: str
    ) -> None:
        old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        prefix = f"{field}." if field else ""
        for name, old_property in old_properties.items():
            if name not in new_properties:
                self.breaking.append(f"{where}: {prefix}{name}: field removed")
                continue
            if direction == "response" and name in old_required and name not in new_required:
                self.breaking.append(
                    f"{where}: {prefix}{name}: no longer required (may be missing)"
                )
            self._schema(where, old_property, new_properties[name], direction, f"{prefix}{name}")
        if direction == "request":
            for name in sorted(new_required - old_required):
                state = "now required" if name in old_properties else "added, required"
                self.breaking.append(f"{where}: {prefix}{name}: {state}")


def resolve(document: Document, node: Any) -> Any:
    """Follow local `$ref`s (`#/components/...`) until a node without one.

    Raises:
        ValueError: a `$ref` to another file, or one that leads back to itself.
    """
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        reference = node["$ref"]
        if not reference.startswith("#/") or reference in seen:
            raise ValueError(f"cannot follow $ref {reference!r} (only local, non-circular refs)")
        seen.add(reference)
        node = document
        for part in reference[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _operations(document: Document) -> dict[str, Document]:
    found: dict[str, Document] = {}
    for section, label in (("paths", ""), ("webhooks", "webhook ")):
        for path, item in (document.get(section) or {}).items():
            for method in METHODS:
                if method in item:
                    operation = dict(item[method])
                    operation["parameters"] = [
                        *item.get("parameters", []),
                        *operation.get("parameters", []),
                    ]
                    found[f"{label}{method.upper()} {path}"] = operation
    return found


def _parameters(document: Document, operation: Document) -> dict[tuple[str, str], Document]:
    resolved: dict[tuple[str, str], Document] = {}
    for reference in operation.get("parameters", []):
        parameter = resolve(document, reference)
        location = parameter["in"]
        # Header names are case-insensitive.
        name = parameter["name"].lower() if location == "header" else parameter["name"]
        resolved[(name, location)] = parameter
    return resolved


def _types(schema: Document) -> frozenset[str]:
    declared = schema.get("type")
    if declared is None:
        return frozenset()
    return frozenset([declared] if isinstance(declared, str) else declared)


def _show(values: Any) -> str:
    if isinstance(values, frozenset):
        return "|".join(sorted(values))
    return ", ".join(repr(value) for value in values)


def compare(old: Document, new: Document) -> Comparison:
    """The breaking changes and notes from `old` to `new` (parsed specs)."""
    return Comparison(old, new).run()


def _spec_at(ref: str) -> str:
    try:
        completed = subprocess.run(  # noqa: S603 (fixed argv, no shell)
            ["git", "-C", str(REPO_ROOT), "show", f"{ref}:{SPEC.as_posix()}"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        )
    except subprocess.CalledProcessError as error:
        raise ValueError(f"git cannot show {SPEC} at {ref!r}: {error.stderr.strip()}") from None
    return completed.stdout


def _lines(changes: list[str]) -> Iterator[str]:
    for change in sorted(changes):
        yield f"  - {change}"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "specs",
        nargs="*",
        metavar="SPEC",
        help=f"OLD NEW; with --ref, only NEW (default: the working copy's {SPEC})",
    )
    parser.add_argument("--ref", help=f"take the old spec from git: REF:{SPEC}")
    arguments = parser.parse_args(argv)
    wanted = (0, 1) if arguments.ref else (2,)
    if len(arguments.specs) not in wanted:
        parser.error("give OLD and NEW spec files, or --ref REF [NEW]")
    new_path = arguments.specs[-1] if arguments.specs else str(REPO_ROOT / SPEC)
    old_label = f"{SPEC} at {arguments.ref}" if arguments.ref else arguments.specs[0]
    try:
        old_text = _spec_at(arguments.ref) if arguments.ref else Path(old_label).read_text("utf-8")
        comparison = compare(load(old_text), load(Path(new_path).read_text("utf-8")))
    except (OSError, ValueError, KeyError, yaml.YAMLError) as error:
        print(f"spec_diff: {error!s}", file=sys.stderr)
        return 2
    compared = f"{old_label} -> {new_path}"
    if comparison.notes:
        print(f"Non-breaking changes worth a look ({compared}):")
        print("\n".join(_lines(comparison.notes)))
    if not comparison.breaking:
        print(f"No breaking changes ({compared}).")
        return 0
    print(f"{len(comparison.breaking)} breaking change(s) ({compared}):")
    print("\n".join(_lines(comparison.breaking)))
    return 1


if __name__ == "__main__":
    sys.exit(main())
