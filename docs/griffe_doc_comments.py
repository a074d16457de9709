"""A griffe extension: `#:` comments above an attribute are its docstring, as in Sphinx.

The package documents its constants and enum members with `#:` comments; griffe reads only
string literals, so without this the API reference would lose them.
"""

from __future__ import annotations

import ast
from typing import Any

import griffe

PREFIX = "#:"


class DocComments(griffe.Extension):
    """Give an attribute without a docstring the `#:` comment lines right above it."""

    def on_attribute_instance(
        self,
        *,
        node: ast.AST | griffe.ObjectNode,
        attr: griffe.Attribute,
        agent: griffe.Visitor | griffe.Inspector,
        **kwargs: Any,
    ) -> None:
        """Called by griffe for each attribute it loads."""
        code = getattr(agent, "code", None)  # the module's source, when read from a file
        if attr.docstring is not None or attr.lineno is None or not isinstance(code, str):
            return
        lines = code.splitlines()
        comment: list[str] = []
        number = attr.lineno - 2  # the line above, 0-based
        while number >= 0 and lines[number].strip().startswith(PREFIX):
            comment.insert(0, lines[number].strip().removeprefix(PREFIX).strip())
            number -= 1
        if comment:
            attr.docstring = griffe.Docstring(
                "\n".join(comment),
                lineno=number + 2,
                parent=attr,
                parser=getattr(agent, "docstring_parser", None),
                parser_options=getattr(agent, "docstring_options", None),
            )
