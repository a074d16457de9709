"""Bad input, property-based: every public parameter.

An invalid value raises `InvalidRequestError` before a single request is sent (the transport
counts them), and a valid value always produces a request: for a create, one whose JSON body
the spec's `CreateImageRequest` schema accepts (formats checked, `uri` included).
"""

from __future__ import annotations

import math
import re
import string
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st
from openapi_schema_validator import OAS31Validator, oas31_format_checker

from nano_banana_pro import (
    APIResponseValidationError,
    AspectRatio,
    AsyncNanoBananaPro,
    InvalidRequestError,
    MimeType,
    NanoBananaPro,
    ReferenceImage,
    Resolution,
    Task,
)
from nano_banana_pro.clock import VirtualClock
from nano_banana_pro.testing import API_PATH
from tests.client.conftest import AsyncDriven
from tests.conftest import SPEC_PATH
from tests.reliability.conftest import API_KEY, FUZZ, PROMPT, TASK_ID
from tests.reliability.faults import IMAGE, ok_body

IMAGE_URL = "https://ai-statics.freepik.com/image.png"
_UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")

# --- the spec as the judge ------------------------------------------------------------------

#: RFC 3986 `URI`: a scheme, then only URI characters and well-formed percent-escapes.
_URI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})*"
)


def _spec_validator() -> OAS31Validator:
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    checker = jsonschema.FormatChecker()
    checker.checkers = dict(oas31_format_checker.checkers)
    checker.checks("uri")(lambda value: not isinstance(value, str) or bool(_URI.fullmatch(value)))
    schema = {"$ref": "#/components/schemas/CreateImageRequest", "components": spec["components"]}
    return OAS31Validator(schema, format_checker=checker)


SPEC = _spec_validator()


def assert_spec_valid(body: Any) -> None:
    errors = sorted(SPEC.iter_errors(body), key=str)
    assert not errors, f"the spec refuses the body: {[error.message for error in errors]}"


# --- one pair of clients for the whole module, over a recording transport ------------------


@dataclass
class Clients:
    """A sync and an async client sharing a transport that records every request."""

    requests: list[httpx.Request] = field(default_factory=list)
    both: tuple[Any, ...] = ()

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if not path.startswith(API_PATH):
            return httpx.Response(200, content=IMAGE, headers={"content-type": "image/png"})
        if request.method == "POST":
            return httpx.Response(200, json=ok_body("create", status="CREATED"))
        if path == API_PATH:
            return httpx.Response(200, json=ok_body("list"))
        body = ok_body("get", status="COMPLETED")
        body["data"]["generated"] = [IMAGE_URL]
        asked = urllib.parse.unquote(path.removeprefix(API_PATH + "/"))
        if _UUID.fullmatch(asked):  # answer about the task asked for, when it can be one
            body["data"]["task_id"] = asked
        return httpx.Response(200, json=body)

    def each(self) -> Iterator[Any]:
        """Each client in turn, with the request log cleared."""
        for client in self.both:
            self.requests.clear()
            yield client


def build_clients(answer: Callable[[httpx.Request], httpx.Response], **options: Any) -> Any:
    transport = httpx.MockTransport(answer)
    options = {"api_key": API_KEY, "clock": VirtualClock(), "rate_limit": None, **options}
    return (
        NanoBananaPro(transport=transport, **options),
        AsyncDriven(AsyncNanoBananaPro(transport=transport, **options)),
    )


@pytest.fixture(scope="module")
def clients() -> Iterator[Clients]:
    recorder = Clients()
    recorder.both = build_clients(recorder.answer)
    yield recorder
    for client in recorder.both:
        client.close()


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


def refused(clients: Clients, call: Callable[[Any], Any]) -> list[InvalidRequestError]:
    """Run `call` on both clients: each must raise InvalidRequestError and send nothing."""
    errors = []
    for client in clients.each():
        with pytest.raises(InvalidRequestError) as caught:
            call(client)
        assert clients.requests == [], "a request was sent before the value was refused"
        errors.append(caught.value)
    return errors


def sent(clients: Clients, call: Callable[[Any], Any]) -> list[httpx.Request]:
    """Run `call` on both clients: each must send; the first client's requests are returned."""
    first: list[httpx.Request] = []
    for client in clients.each():
        call(client)
        assert clients.requests, "nothing was sent"
        first = first or list(clients.requests)
    return first


# --- values ---------------------------------------------------------------------------------

WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2000\u2028\u3000"
NON_STRINGS = st.one_of(
    st.integers(), st.floats(), st.binary(max_size=10), st.lists(st.text(max_size=3), max_size=2)
)


def repeated(low: int, high: int) -> st.SearchStrategy[str]:
    """Long strings, cheaply: one character repeated."""
    return st.builds(lambda char, count: char * count, st.characters(), st.integers(low, high))


valid_prompts = st.one_of(
    st.text(min_size=2, max_size=300), repeated(2, 3000), st.just("x" * 3000)
).filter(lambda prompt: bool(prompt.strip()))
invalid_prompts = st.one_of(
    st.none(),
    NON_STRINGS,
    st.text(max_size=1),
    repeated(3001, 3500),
    st.text(alphabet=WHITESPACE, min_size=2, max_size=40),
    st.text(min_size=2, max_size=20).map(lambda prompt: prompt + "\ud800"),  # not Unicode
)

RATIOS = [member.value for member in AspectRatio]
valid_ratios = st.sampled_from(list(AspectRatio)) | st.sampled_from(RATIOS)
invalid_ratios = st.one_of(
    st.none(),
    NON_STRINGS,
    st.sampled_from(["16:10", "1:2", "16/9", " 1:1", "1:1 ", "1x1", "", "169"]),
    st.text(max_size=6).filter(lambda value: value not in RATIOS),
)

RESOLUTIONS = [member.value for member in Resolution]
valid_resolutions = st.sampled_from(list(Resolution)) | st.sampled_from(RESOLUTIONS).flatmap(
    lambda value: st.sampled_from([value, value.upper(), value.lower(), value.swapcase()])
)
invalid_resolutions = st.one_of(
    st.none(),
    NON_STRINGS,
    st.sampled_from(["8K", "2048", "2 K", "ultra", "", "4k "]),
    st.text(max_size=6).filter(
        lambda value: value.casefold() not in {res.casefold() for res in RESOLUTIONS}
    ),
)

LABEL = string.ascii_lowercase + string.digits
hosts = st.builds(
    lambda labels, top: ".".join([*labels, top]),
    st.lists(st.text(alphabet=LABEL, min_size=1, max_size=12), min_size=1, max_size=3),
    st.sampled_from(["com", "io", "example", "co.uk", "xn--p1ai"]),
)
segments = st.text(alphabet=string.ascii_letters + string.digits + "._~-", min_size=1, max_size=12)
queries = st.sampled_from(["", "?v=1", "?sig=a%2Fb&x=y", "#top"])
extensions = st.sampled_from([".png", ".jpg", ".jpeg", ".webp", ".PNG", ".JpEg"])


@st.composite
def http_urls(draw: st.DrawFn, *, extension: bool = False) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
    port = draw(st.sampled_from(["", ":8080", ":443"]))
    path = "/".join(draw(st.lists(segments, max_size=3)))
    suffix = draw(extensions) if extension else ""
    name = draw(segments) + suffix if extension else ""
    joined = "/".join(part for part in (path, name) if part)
    return f"{scheme}://{draw(hosts)}{port}/{joined}{draw(queries)}"


gcs_paths = st.builds(
    lambda bucket, name, suffix: f"gs://{bucket}/{name}{suffix}",
    st.text(alphabet=LABEL + "_.-", min_size=3, max_size=20),
    segments,
    extensions,
)
image_urls = http_urls(extension=True) | gcs_paths
mime_types = st.sampled_from([member.value for member in MimeType]).flatmap(
    lambda value: st.sampled_from([value, value.upper()])
)
valid_reference_images = st.one_of(
    image_urls,
    st.fixed_dictionaries(
        {"image": http_urls() | image_urls, "mime_type": mime_types},
        optional={"text": st.text(max_size=40)},
    ),
    st.builds(lambda url: {"image": url}, image_urls),
    st.builds(
        lambda url, mime, text: ReferenceImage(url, mime_type=mime, text=text),
        http_urls() | image_urls,
        mime_types,
        st.none() | st.text(max_size=20),
    ),
)
valid_reference_lists = st.one_of(
    st.none(),
    st.lists(valid_reference_images, max_size=14),
    st.lists(valid_reference_images, max_size=14).map(tuple),
)
invalid_reference_images = st.one_of(
    st.none(),
    st.integers(),
    st.binary(max_size=10).map(lambda raw: b"https://h.com/x.png" + raw),
    st.sampled_from(
        [
            "ftp://h.com/x.png",
            "file:///etc/x.png",
            "x.png",
            "/x.png",
            "//h.com/x.png",
            "https:///x.png",
            "gs://bucket",
            "gs:///x.png",
            "https://h.com/a b.png",
            "https://h.com/x.gif",
            "https://h.com/x",
            "data:image/png;base64,AAAA",
        ]
    ),
    st.sampled_from(
        [
            {"image": "https://h.com/x.png", "mime": "image/png"},
            {"mime_type": "image/png"},
            {"image": "https://h.com/x.png", "mime_type": "image/gif"},
            {"image": "https://h.com/x.png", "mime_type": "png"},
            {"image": "https://h.com/x.png", "mime_type": ""},
            {"image": "https://h.com/x.png", "text": 5},
            {"image": None, "mime_type": "image/png"},
            {"image": "https://h.com/x.png", "mime_type": 1},
        ]
    ),
    st.lists(image_urls, min_size=1, max_size=1),
)


@st.composite
def one_bad_image_among_good_ones(draw: st.DrawFn) -> list[Any]:
    good = draw(st.lists(valid_reference_images, max_size=13))
    position = draw(st.integers(0, len(good)))
    return [*good[:position], draw(invalid_reference_images), *good[position:]]


invalid_reference_lists = st.one_of(
    st.lists(valid_reference_images, min_size=15, max_size=18),
    one_bad_image_among_good_ones(),
    image_urls,  # a lone URL, not a list
    st.sampled_from(["", b"", {}, set(), 0, False, {"image": "https://h.com/x.png"}]),
    st.frozensets(image_urls, min_size=1, max_size=3),
)

valid_webhooks = http_urls()
invalid_webhooks = st.one_of(
    NON_STRINGS,
    st.sampled_from(
        [
            "",
            "example.com/hook",
            "ftp://example.com/hook",
            "mailto:hooks@example.com",
            "https://",
            "https:///hook",
            "https://exa mple.com/hook",
            "https://example.com/ho ok",
            "https://example.com/hook\n",
            "javascript:alert(1)",
        ]
    ),
)

CREATE_FIELDS: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]] = {
    "prompt": (valid_prompts, invalid_prompts),
    "aspect_ratio": (valid_ratios, invalid_ratios),
    "resolution": (valid_resolutions, invalid_resolutions),
    "reference_images": (valid_reference_lists, invalid_reference_lists),
    "webhook_url": (valid_webhooks, invalid_webhooks),
}
valid_create = st.fixed_dictionaries(
    {"prompt": valid_prompts},
    optional={name: valid for name, (valid, _) in CREATE_FIELDS.items() if name != "prompt"},
)


def create(client: Any, parameters: dict[str, Any]) -> Any:
    options = dict(parameters)
    return client.create(options.pop("prompt"), **options)


# --- create ---------------------------------------------------------------------------------


@FUZZ
@given(parameters=valid_create)
def test_valid_create_parameters_send_one_request_the_spec_accepts(
    clients: Clients, parameters: dict[str, Any]
) -> None:
    (request,) = sent(clients, lambda client: create(client, parameters))
    body = httpx.Response(200, content=request.content).json()
    assert_spec_valid(body)
    assert body["prompt"] == parameters["prompt"]
    assert body["aspect_ratio"] == AspectRatio(parameters.get("aspect_ratio", "1:1")).value
    resolution = str(parameters.get("resolution", "2K"))
    assert body["resolution"].casefold() == resolution.casefold()
    assert len(body.get("reference_images", [])) == len(parameters.get("reference_images") or [])
    assert body.get("webhook_url") == parameters.get("webhook_url")


@st.composite
def one_invalid_create_parameter(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    parameters = draw(valid_create)
    name = draw(st.sampled_from(sorted(CREATE_FIELDS)))
    parameters[name] = draw(CREATE_FIELDS[name][1])
    return name, parameters


@FUZZ
@given(case=one_invalid_create_parameter())
@example(case=("prompt", {"prompt": "A raccoon \ud800"}))
@example(case=("reference_images", {"prompt": PROMPT, "reference_images": ""}))
@example(case=("reference_images", {"prompt": PROMPT, "reference_images": {}}))
def test_an_invalid_create_parameter_is_refused_before_sending(
    clients: Clients, case: tuple[str, dict[str, Any]]
) -> None:
    name, parameters = case
    for error in refused(clients, lambda client: create(client, parameters)):
        assert error.field.startswith(name), f"the error names {error.field!r}, not {name!r}"


anything = st.one_of(
    st.none(),
    NON_STRINGS,
    st.text(max_size=60),
    st.text(max_size=20).map(lambda text: "https://" + text),
    st.text(max_size=20).map(lambda text: "https://example.com/" + text),
    st.text(max_size=10).map(lambda text: text + "\udc80"),
)


@FUZZ
@given(
    parameters=st.fixed_dictionaries(
        {"prompt": valid_prompts | invalid_prompts | anything},
        optional={
            name: valid | invalid | anything
            for name, (valid, invalid) in CREATE_FIELDS.items()
            if name != "prompt"
        },
    )
)
@example(parameters={"prompt": PROMPT, "webhook_url": "https://exämple.com/hook"})
@example(parameters={"prompt": PROMPT, "webhook_url": "https://example.com/<script>"})
def test_any_create_parameters_fail_fast_or_make_a_spec_valid_request(
    clients: Clients, parameters: dict[str, Any]
) -> None:
    for client in clients.each():
        try:
            create(client, parameters)
        except InvalidRequestError:
            assert clients.requests == [], "a request was sent before the value was refused"
            continue
        (request,) = clients.requests
        assert_spec_valid(httpx.Response(200, content=request.content).json())


# --- task ids -------------------------------------------------------------------------------

blank_ids = st.text(alphabet=WHITESPACE, max_size=5)
invalid_ids = st.one_of(
    blank_ids, st.none(), st.integers(), st.binary(max_size=8), st.just(object())
)
any_ids = st.one_of(
    st.uuids().map(str),
    st.sampled_from([".", "..", " .. ", "./", "../x", "%2e%2e", "a/b", "?x=1", "#f", "~"]),
    st.text(min_size=1, max_size=40),
    st.text(min_size=1, max_size=10).map(lambda text: text + "\ud800"),
)
TASK_CALLS: dict[str, Callable[[Any, Any, Path], Any]] = {
    "get": lambda client, task, out: client.get(task),
    "wait": lambda client, task, out: client.wait(task, wait_timeout=10),
    "download": lambda client, task, out: client.download(task, out, overwrite=True),
}


@FUZZ
@given(method=st.sampled_from(sorted(TASK_CALLS)), task_id=invalid_ids)
def test_an_invalid_task_id_is_refused_before_sending(
    clients: Clients, out_dir: Path, method: str, task_id: Any
) -> None:
    refused(clients, lambda client: TASK_CALLS[method](client, task_id, out_dir))


@FUZZ
@given(method=st.sampled_from(sorted(TASK_CALLS)), task_id=any_ids)
@example(method="get", task_id=".")
@example(method="wait", task_id="..")
@example(method="get", task_id="046b6c7f\ud800")
def test_a_task_id_is_refused_or_sent_as_one_path_segment(
    clients: Clients, out_dir: Path, method: str, task_id: str
) -> None:
    for client in clients.each():
        try:
            TASK_CALLS[method](client, task_id, out_dir)
        except InvalidRequestError:
            assert clients.requests == [], "a request was sent before the id was refused"
            continue
        except APIResponseValidationError:  # answered about TASK_ID: not the task asked for
            pass
        get = clients.requests[0]
        expected = API_PATH + "/" + urllib.parse.quote(task_id.strip(), safe="", errors="strict")
        assert get.method == "GET"
        assert get.url.raw_path.decode("ascii") == expected, "the id left its path segment"


@FUZZ
@given(task_id=st.uuids().map(str))
def test_a_uuid_task_id_is_always_accepted(clients: Clients, task_id: str) -> None:
    (request,) = sent(clients, lambda client: client.get(task_id))
    assert request.url.path == f"{API_PATH}/{task_id}"
    assert sent(clients, lambda client: client.get(Task.from_payload(ok_body("get")["data"])))


# --- timeouts and retries -------------------------------------------------------------------

valid_seconds = st.one_of(
    st.floats(min_value=0.001, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=10**6),
)
invalid_seconds = st.one_of(
    st.floats(max_value=0.0),
    st.integers(max_value=0),
    st.sampled_from([math.nan, math.inf, -math.inf, True, False, "5", b"5", [5]]),
)
valid_retries = st.integers(min_value=0, max_value=10**6)
invalid_retries = st.one_of(
    st.integers(max_value=-1),
    st.floats(allow_nan=True),
    st.sampled_from([True, False, "2", b"2", [2]]),
)
valid_keys = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=64
)
invalid_keys = st.one_of(
    st.text(alphabet=WHITESPACE, max_size=4),
    st.integers(),
    st.binary(min_size=1, max_size=8),
    valid_keys.map(lambda key: key + "\nX-Injected: 1"),
    valid_keys.filter(lambda key: len(key) > 1).map(lambda key: key[:1] + "\r\n" + key[1:]),
    valid_keys.map(lambda key: key + "\x00"),
)
valid_base_urls = st.builds(
    lambda scheme, host, port: f"{scheme}://{host}{port}",
    st.sampled_from(["http", "https"]),
    hosts,
    st.sampled_from(["", ":8080"]),
)
invalid_base_urls = st.one_of(
    st.integers(),
    st.binary(min_size=1, max_size=8),
    st.sampled_from(
        [
            "ftp://api.magnific.com",
            "api.magnific.com",
            "http://",
            "https:///v1",
            "http://127.0.0.1:99999",
            "http://xn--zz",
            "https://api..magnific.com",
        ]
    ),
)

CLIENT_SETTINGS = {
    "timeout": (valid_seconds | st.just(httpx.Timeout(5.0)) | st.none(), invalid_seconds),
    "wait_timeout": (valid_seconds, invalid_seconds | st.none()),
    "max_retries": (valid_retries, invalid_retries | st.none()),
    "api_key": (valid_keys, invalid_keys),
    "base_url": (valid_base_urls | st.none(), invalid_base_urls),
}


@FUZZ
@given(
    options=st.fixed_dictionaries(
        {}, optional={name: valid for name, (valid, _) in CLIENT_SETTINGS.items()}
    )
)
def test_valid_client_settings_make_a_working_client(options: dict[str, Any]) -> None:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=ok_body("list"))

    options = {"api_key": API_KEY, **options}
    for client in build_clients(answer, **options):
        try:
            assert client.list()[0].task_id == TASK_ID
        finally:
            client.close()
    first, _ = requests
    assert first.headers["x-magnific-api-key"] == options["api_key"]
    assert first.url.host == httpx.URL(options.get("base_url") or "https://api.magnific.com").host


def one_of_each(table: dict[str, Any], pick: int) -> st.SearchStrategy[tuple[str, Any]]:
    """`(name, value)` with the value drawn from the name's strategy number `pick`."""
    return st.sampled_from(sorted(table)).flatmap(
        lambda name: st.tuples(st.just(name), table[name][pick])
    )


@FUZZ
@given(setting=one_of_each(CLIENT_SETTINGS, 1))
@example(setting=("timeout", math.nan))
@example(setting=("timeout", True))
@example(setting=("timeout", "5"))
@example(setting=("wait_timeout", math.inf))
@example(setting=("base_url", 5))
@example(setting=("api_key", 5))
@example(setting=("api_key", b"sk-bytes"))
@example(setting=("api_key", "sk-key\nX-Injected: 1"))
def test_an_invalid_client_setting_is_refused(setting: tuple[str, Any]) -> None:
    name, value = setting
    for client_class in (NanoBananaPro, AsyncNanoBananaPro):
        with pytest.raises(InvalidRequestError) as caught:
            client_class(**{"api_key": API_KEY, name: value})
        if name == "api_key" and isinstance(value, str) and value.strip():
            assert value not in str(caught.value), "the refused key is in the message"


PER_CALL: dict[str, Callable[[Any, Any], Any]] = {
    "create(max_retries)": lambda client, value: client.create(PROMPT, max_retries=value),
    "get(max_retries)": lambda client, value: client.get(TASK_ID, max_retries=value),
    "list(max_retries)": lambda client, value: client.list(max_retries=value),
    "wait(wait_timeout)": lambda client, value: client.wait(TASK_ID, wait_timeout=value),
    "generate(wait_timeout)": lambda client, value: client.generate(PROMPT, wait_timeout=value),
    "generate_many(wait_timeout)": lambda client, value: client.generate_many(
        [PROMPT], wait_timeout=value
    ),
    "generate_many(concurrency)": lambda client, value: client.generate_many(
        [PROMPT], concurrency=value
    ),
}
PER_CALL_VALUES = {
    "max_retries": (valid_retries | st.none(), invalid_retries),
    "wait_timeout": (valid_seconds | st.none(), invalid_seconds),
    "concurrency": (
        st.integers(1, 16),
        st.integers(max_value=0) | st.sampled_from([True, 1.5, "2", None]),
    ),
}
PER_CALL_CASES = {call: PER_CALL_VALUES[call.partition("(")[2].rstrip(")")] for call in PER_CALL}


@FUZZ
@given(case=one_of_each(PER_CALL_CASES, 1))
@example(case=("generate(wait_timeout)", -1))
@example(case=("generate(wait_timeout)", math.nan))
@example(case=("wait(wait_timeout)", math.nan))
@example(case=("generate_many(wait_timeout)", -1))
def test_an_invalid_per_call_setting_is_refused_before_sending(
    clients: Clients, case: tuple[str, Any]
) -> None:
    call, value = case
    refused(clients, lambda client: PER_CALL[call](client, value))


@FUZZ
@given(case=one_of_each(PER_CALL_CASES, 0))
def test_a_valid_per_call_setting_is_accepted(clients: Clients, case: tuple[str, Any]) -> None:
    call, value = case
    sent(clients, lambda client: PER_CALL[call](client, value))
