"""Which operation a request asks for, from its method and raw path."""

from __future__ import annotations

import urllib.parse

import attrs

__all__ = ["API_PATH", "IMAGE_PATH_PREFIX", "Route", "route"]

#: The path of the API's endpoint, under the base URL.
API_PATH = "/v1/ai/text-to-image/nano-banana-pro"
IMAGE_PATH_PREFIX = "/_fake/images/"


@attrs.frozen
class Route:
    """What a request asks for.

    Attributes:
        operation: `create`, `get`, `list`, `image`, or `other`.
        segment: The task id (`get`) or image file name (`image`), percent-decoded.
        allowed: The methods the path accepts; empty for an unknown path.
    """

    operation: str
    segment: str = ""
    allowed: tuple[str, ...] = ()


def route(method: str, raw_path: str) -> Route:
    """The route of a request; `other` with no allowed methods means an unknown path.

    A task id is one percent-decoded path segment (`a%2Fb` is the id `a/b`, not two segments).
    """
    if raw_path == API_PATH:
        operation = {"POST": "create", "GET": "list"}.get(method, "other")
        return Route(operation, allowed=("GET", "POST"))
    task_segment = raw_path.removeprefix(API_PATH + "/")
    if task_segment != raw_path and "/" not in task_segment:
        operation = "get" if method == "GET" else "other"
        return Route(operation, urllib.parse.unquote(task_segment), allowed=("GET",))
    image_segment = raw_path.removeprefix(IMAGE_PATH_PREFIX)
    if image_segment != raw_path and "/" not in image_segment:
        operation = "image" if method == "GET" else "other"
        return Route(operation, urllib.parse.unquote(image_segment), allowed=("GET",))
    return Route("other")
