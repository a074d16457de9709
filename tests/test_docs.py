"""The docs site's hooks: the CLI reference from the parser, the check of public docstrings."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import griffe
import pytest

from nano_banana_pro.cli._parser import build_parser
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def hooks() -> Iterator[ModuleType]:
    sys.path.insert(0, str(REPO_ROOT / "docs"))
    try:
        import hooks as module

        yield module
    finally:
        sys.path.remove(str(REPO_ROOT / "docs"))


def load(root: Path, files: dict[str, str]) -> griffe.Module:
    from griffe_doc_comments import DocComments

    for name, text in files.items():
        path = root / "nano_banana_pro" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return griffe.load(
        "nano_banana_pro",
        search_paths=[str(root)],
        docstring_parser="google",
        resolve_aliases=True,
        extensions=griffe.load_extensions(DocComments()),
    )


def test_every_undocumented_public_object_is_found_and_only_those(
    hooks: ModuleType, tmp_path: Path
) -> None:
    package = load(
        tmp_path,
        {
            "__init__.py": '''
                """The package."""
                from ._impl import Documented, Bare
                __all__ = ["Documented", "Bare", "LIMIT"]
                #: A limit, documented by its comment.
                LIMIT = 3
            ''',
            "_impl.py": '''
                """Private: its names count only through the package's exports."""
                import enum

                class Documented:
                    """Documented.

                    Attributes:
                        size: Listed here.
                    """

                    size: int
                    colour: str

                    def method(self) -> None:
                        """Documented."""

                    def bare_method(self) -> None:
                        pass

                    def _private(self) -> None:
                        pass

                class Bare(enum.Enum):
                    ONE = 1

                def not_exported() -> None:
                    pass
            ''',
            "public.py": '''
                """A public module without __all__."""
                def helper() -> None:
                    pass
            ''',
        },
    )

    assert hooks.undocumented(package) == {
        "nano_banana_pro._impl.Documented.colour",
        "nano_banana_pro._impl.Documented.bare_method",
        "nano_banana_pro._impl.Bare",
        "nano_banana_pro.public.helper",
    }


def test_the_package_has_no_undocumented_public_object(hooks: ModuleType) -> None:
    from griffe_doc_comments import DocComments

    package = griffe.load(
        "nano_banana_pro",
        search_paths=[str(REPO_ROOT / "facade"), str(REPO_ROOT / "generated")],
        docstring_parser="google",
        resolve_aliases=True,
        extensions=griffe.load_extensions(DocComments()),
    )

    assert hooks.undocumented(package) == set()
    page = hooks.api_reference(package)
    assert page.count("::: nano_banana_pro\n") == 1
    for module in ("sidecar", "gallery", "webhooks", "testing"):
        assert f"::: nano_banana_pro.{module}\n" in page


def test_the_cli_reference_is_the_parser_s_help(hooks: ModuleType) -> None:
    page = hooks.cli_reference()

    parser = build_parser()
    (commands,) = (
        action for action in parser._actions if hasattr(action, "choices") and action.choices
    )
    for name, command in commands.choices.items():
        assert f"## {name}\n" in page
        assert command.description in page
    assert "usage: nano-banana-pro" in page
