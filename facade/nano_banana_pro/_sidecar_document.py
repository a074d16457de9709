"""A sidecar's document: the `Sidecar` record, its JSON form, and reading it back checked."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ._version import __version__
from .errors import SidecarError

#: The version of the document `write_sidecar` writes; `read_sidecar` reads this one only.
SIDECAR_SCHEMA_VERSION = 1
#: The `format` field: tells a sidecar of this package from other JSON beside an image.
SIDECAR_FORMAT = "nano-banana-pro/image-provenance"
#: Appended to the image's file name: `3f2c_0.png` -> `3f2c_0.png.json`.
SIDECAR_SUFFIX = ".json"
#: The distribution named in the `package` field.
PACKAGE_NAME = "magnific-nano-banana-pro"
#: The `request_note` of a sidecar whose request is unknown.
UNKNOWN_REQUEST_NOTE = (
    "the task was created elsewhere (resumed by its id): the request that made it is unknown"
)
#: The last step of every sidecar's history.
DOWNLOADED = "downloaded"


def _json_value(value: Any) -> Any:
    """A deep, plain-JSON copy of `value`: the sidecar never aliases the caller's objects.

    Raises:
        TypeError: `value` is not JSON (a create body always is: it was sent).
    """
    return json.loads(json.dumps(value))


def steps(history: Iterable[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    """`(what, unix time)` steps as a tuple of `(str, float)` pairs."""
    return tuple((str(what), float(at)) for what, at in history)


@attrs.frozen(kw_only=True)
class Sidecar:
    """What is known about how one image was made; its JSON form: `nano_banana_pro.sidecar`.

    Attributes:
        image: The image's file name (the sidecar sits beside it).
        task_id: The task that made the image.
        request: The create body as sent (prompt, options, reference images, extra fields), or
            None when the task was created elsewhere and its request is unknown.
        source_url: The URL the image was downloaded from. It expires.
        history: `(what, unix time)` of each step, oldest first, `downloaded` last.
        package_version: The version of this package that wrote the sidecar.
        batch_key: The key of the batch item the image was made for (the ledger's), or None.
        batch_index: That item's position in its batch, or None.
    """

    image: str
    task_id: str
    request: Mapping[str, Any] | None = attrs.field(converter=_json_value)
    source_url: str
    history: tuple[tuple[str, float], ...] = attrs.field(default=(), converter=steps)
    package_version: str = __version__
    batch_key: str | None = None
    batch_index: int | None = None

    @property
    def prompt(self) -> str | None:
        """The prompt of the request, when the request is known."""
        prompt = None if self.request is None else self.request.get("prompt")
        return prompt if isinstance(prompt, str) else None

    def to_document(self) -> dict[str, Any]:
        """The JSON document, its keys always in the order `nano_banana_pro.sidecar` lists."""
        return {
            "format": SIDECAR_FORMAT,
            "schema_version": SIDECAR_SCHEMA_VERSION,
            "image": self.image,
            "task_id": self.task_id,
            "prompt": self.prompt,
            "request": self.request,
            "request_note": UNKNOWN_REQUEST_NOTE if self.request is None else None,
            "history": [{"what": what, "at": at, "utc": _utc(at)} for what, at in self.history],
            "source": {"url": self.source_url, "expires": True},
            "package": {"name": PACKAGE_NAME, "version": self.package_version},
            "batch": (
                None
                if self.batch_key is None
                else {"key": self.batch_key, "index": self.batch_index}
            ),
        }

    @classmethod
    def from_document(cls, document: object, *, where: str) -> Sidecar:
        """Read a document written by `to_document`.

        Args:
            document: The parsed JSON.
            where: What to name in an error (the file).

        Raises:
            SidecarError: not a sidecar, a schema version this package does not read, or a
                field of the wrong type.
        """
        if not isinstance(document, Mapping) or document.get("format") != SIDECAR_FORMAT:
            raise SidecarError(f"{where} is not a sidecar: its format is not {SIDECAR_FORMAT!r}")
        version = document.get("schema_version")
        if version != SIDECAR_SCHEMA_VERSION:
            newer = isinstance(version, int) and version > SIDECAR_SCHEMA_VERSION
            raise SidecarError(
                f"{where} has sidecar schema version {version!r}; this version of "
                f"{PACKAGE_NAME} ({__version__}) reads version {SIDECAR_SCHEMA_VERSION} only"
                + (": upgrade it to read this file" if newer else "")
            )
        try:
            return _from_fields(document)
        except (KeyError, TypeError, ValueError, OverflowError, OSError) as error:
            raise SidecarError(
                f"{where} is damaged ({error!r}): download the image again"
            ) from None


def _from_fields(document: Mapping[str, Any]) -> Sidecar:
    """The sidecar of a version-1 document.

    Raises:
        KeyError: a field is missing.
        TypeError: a field has the wrong type.
        ValueError: a time is no date (OverflowError and OSError too: out of range).
    """
    source, package, batch = document["source"], document["package"], document["batch"]
    request = document["request"]
    history = document["history"]
    if not isinstance(request, Mapping | None) or not isinstance(history, list):
        raise TypeError("request must be an object or null, history a list")
    if not isinstance(batch, Mapping | None):
        raise TypeError("batch must be an object or null")
    sidecar = Sidecar(
        image=document["image"],
        task_id=document["task_id"],
        request=request,
        source_url=source["url"],
        history=[(step["what"], step["at"]) for step in history],
        package_version=package["version"],
        batch_key=None if batch is None else batch["key"],
        batch_index=None if batch is None else batch["index"],
    )
    strings = (sidecar.image, sidecar.task_id, sidecar.source_url, sidecar.package_version)
    if not all(isinstance(value, str) for value in strings):
        raise TypeError("image, task_id, source.url and package.version must be strings")
    if not isinstance(sidecar.batch_index, int | None):
        raise TypeError("batch.index must be an integer or null")
    for _, at in sidecar.history:
        _utc(at)  # a time a date can be made of, or OverflowError/ValueError/OSError
    return sidecar


def _utc(at: float) -> str:
    moment = datetime.datetime.fromtimestamp(at, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
