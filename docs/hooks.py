"""MkDocs hooks: the pages made from the repository, and the check of the public docstrings.

- The user guide, the maintainers' guide and the benchmarks are README.md, CONTRIBUTING.md and
  benchmarks/README.md themselves, placed at their repository paths, so that their relative
  links work unchanged; the images and figures they link to come along.
- The CLI reference (`cli.md`) is the help of `nano_banana_pro.cli._parser.build_parser()`,
  written at build time, so that it cannot drift from the parser.
- The API reference (`api.md`) renders the package's exports, then each public module's
  exports that the package does not re-export: a new public name appears by itself.
- Every public object of `nano_banana_pro` must have a docstring (an attribute may instead be
  listed in its class's `Attributes:` section): a missing one is a warning, which
  `mkdocs build --strict` (`make docs`) turns into a failure.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import griffe
from griffe_doc_comments import DocComments
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.nano_banana_pro")

#: Repository files shown as pages, at their own paths (README.md is the site's home page).
PAGES = ("README.md", "CONTRIBUTING.md", "benchmarks/README.md")
PACKAGE = "nano_banana_pro"
SOURCE_ROOTS = ("facade", "generated")
#: Width of the CLI reference's help text, whatever the terminal that builds the site.
HELP_COLUMNS = "100"
_API_INTRO = """\
# API reference

Generated from the docstrings (`make docs`): first what `import nano_banana_pro` offers, then
what each public module adds. Every public object has a docstring: the build fails on one
without.
"""
#: The API page, written by `on_pre_build` from the package as griffe read it.
_pages: dict[str, str] = {}
_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the repository's pages, the files they link to, and the CLI reference."""
    root = Path(config.config_file_path).parent
    for page in PAGES:
        files.append(File.generated(config, page, abs_src_path=str(root / page)))
        for target in _linked_files(root, page):
            if files.get_file_from_path(target) is None:
                files.append(File.generated(config, target, abs_src_path=str(root / target)))
    files.append(File.generated(config, "cli.md", content=cli_reference()))
    files.append(File.generated(config, "api.md", content=_pages["api.md"]))
    return files


def on_pre_build(config: MkDocsConfig) -> None:
    """Read the package; warn about each public object without a docstring (strict: fail)."""
    root = Path(config.config_file_path).parent
    package = griffe.load(
        PACKAGE,
        search_paths=[str(root / source) for source in SOURCE_ROOTS],
        docstring_parser="google",
        resolve_aliases=True,
        extensions=griffe.load_extensions(DocComments()),
    )
    for path in sorted(undocumented(package)):
        log.warning("%s has no docstring: document it (a public name of %s)", path, PACKAGE)
    _pages["api.md"] = api_reference(package)


def api_reference(package: griffe.Module) -> str:
    """The API page: the package, then each public module's names it does not re-export."""
    lines = [_API_INTRO, f"::: {package.path}", ""]
    shown = {target.path for target in _public_members(package)}
    for module in _public_modules(package):
        names = [
            name
            for name, target in _public_names(module)
            if not target.is_module and target.path not in shown
        ]
        if names:
            lines += [f"::: {module.path}", "    options:", "      members:"]
            lines += [f"        - {name}" for name in names]
            lines.append("")
    return "\n".join(lines)


def _public_modules(module: griffe.Module) -> Iterator[griffe.Module]:
    """The public submodules of `module`, at any depth, by name (the same order everywhere)."""
    for name, member in sorted(module.members.items()):
        if _is_submodule(member) and not name.startswith("_"):
            yield member
            yield from _public_modules(member)


def _linked_files(root: Path, page: str) -> list[str]:
    """The repository files (not pages) that `page` links to, as paths from the root."""
    text = (root / page).read_text(encoding="utf-8")
    found = []
    for target in _LINK.findall(text):
        if "://" in target or target.endswith(".md"):
            continue
        path = os.path.normpath(os.path.join(os.path.dirname(page), target))
        if (root / path).is_file():
            found.append(Path(path).as_posix())
    return found


def cli_reference() -> str:
    """The CLI reference page: the top-level help, then each command's."""
    from nano_banana_pro.cli._parser import build_parser

    parser = build_parser()
    (commands,) = (
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    lines = [
        "# CLI reference",
        "",
        "Generated at build time from the parser itself "
        "(`nano_banana_pro.cli._parser.build_parser()`): what `nano-banana-pro --help` and "
        "`nano-banana-pro COMMAND --help` print.",
        "",
    ]
    with _columns(HELP_COLUMNS):
        lines += ["```text", parser.format_help().rstrip(), "```", ""]
        for name, command in commands.choices.items():
            lines += [f"## {name}", "", "```text", command.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


@contextlib.contextmanager
def _columns(columns: str) -> Iterator[None]:
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = columns
    try:
        yield
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


def undocumented(package: griffe.Module) -> set[str]:
    """The paths of the public objects of `package` that have no docstring.

    Public: a module's `__all__` (or, without one, its names not starting with `_`), its
    submodules not starting with `_`, and the members not starting with `_` of each public
    class, wherever the object is defined (`nano_banana_pro.Task` is `nano_banana_pro.task.Task`).
    """
    missing: set[str] = set()
    seen: set[str] = set()

    def visit(obj: griffe.Object) -> None:
        if obj.path in seen or not obj.path.startswith(f"{PACKAGE}."):
            return
        seen.add(obj.path)
        if not obj.docstring and not _listed_in_parent(obj) and not _exempt(obj):
            missing.add(obj.path)
        for member in _public_members(obj):
            visit(member)

    seen.add(package.path)
    if not package.docstring:
        missing.add(package.path)
    for member in _public_members(package):
        visit(member)
    return missing


def _public_members(obj: griffe.Object) -> Iterator[griffe.Object]:
    for _, member in _public_names(obj):
        yield member


def _public_names(obj: griffe.Object) -> Iterator[tuple[str, griffe.Object]]:
    """`(name, object)` of each public member: aliases resolved to what they point at."""
    if obj.is_module:
        names = obj.exports
        if names is None:
            names = [name for name, member in obj.members.items() if not member.is_alias]
        names = [str(name) for name in names]
        names += [name for name, member in obj.members.items() if _is_submodule(member)]
    elif obj.is_class:
        names = list(obj.members)
    else:
        return
    for name in names:
        if name.startswith("_") or name not in obj.members:
            continue
        member = obj.members[name]
        try:
            yield name, member.final_target if member.is_alias else member
        except griffe.AliasResolutionError:  # from outside the source roots
            continue


def _is_submodule(member: griffe.Object | griffe.Alias) -> bool:
    return not member.is_alias and member.is_module


def _listed_in_parent(obj: griffe.Object) -> bool:
    """True for an attribute named in an `Attributes:` section: its module's or class's.

    A base class's counts too (`APIError.task_id` is `NanoBananaProError`'s).
    """
    parent = obj.parent
    if not obj.is_attribute or parent is None:
        return False
    owners = [parent, *parent.mro()] if parent.is_class else [parent]
    return any(
        section.kind is griffe.DocstringSectionKind.attributes
        and any(attribute.name == obj.name for attribute in section.value)
        for owner in owners
        if owner.docstring
        for section in owner.docstring.parsed
    )


def _exempt(obj: griffe.Object) -> bool:
    """Enum members: their values say what they are."""
    parent = obj.parent
    if obj.is_attribute and parent is not None and parent.is_class:
        return any("Enum" in str(base) for base in parent.bases)
    return False
