"""A webhook secret: where it comes from, and the keys a sender may have made of it."""

from __future__ import annotations

import base64
import os

from .errors import WebhookVerificationError

#: The environment variable `verify` and `unwrap` read the secret from.
SECRET_ENV_VAR = "MAGNIFIC_WEBHOOK_SECRET"  # noqa: S105 (a variable name, not a secret)
_STANDARD_SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
_HOW_TO_GIVE_A_SECRET = f"pass secret= or set the {SECRET_ENV_VAR} environment variable"
_NOT_BASE64 = (
    "the webhook secret starts with 'whsec_' but the rest is not valid base64; "
    "copy the whole secret as shown in the dashboard"
)


def utf8(text: bytes | str, *, what: str = "the payload") -> bytes:
    """`text` as UTF-8 bytes (bytes are kept as they are).

    Raises:
        ValueError: a `str` that is not valid Unicode (a lone surrogate).
    """
    if isinstance(text, bytes):
        return text
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # The codec's message quotes the character: keep it (a secret's, maybe) out of ours.
        raise ValueError(f"{what} is not valid Unicode (it holds a lone surrogate)") from None


def base64_or_none(text: str) -> bytes | None:
    """`text` decoded as standard base64, padded or not; None when it is not base64."""
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True) or None
    except ValueError:  # binascii.Error, or characters outside ASCII
        return None


def signing_key(secret: str) -> bytes:
    """The key `sign` uses: base64 after a `whsec_` prefix (Standard Webhooks), else UTF-8.

    Raises:
        ValueError: the secret is empty, not valid Unicode, or `whsec_` and then not base64.
    """
    if not secret:
        raise ValueError("the webhook secret is empty")
    if not secret.startswith(_STANDARD_SECRET_PREFIX):
        return utf8(secret, what="the webhook secret")
    key = base64_or_none(secret.removeprefix(_STANDARD_SECRET_PREFIX))
    if key is None:
        raise ValueError(_NOT_BASE64)
    return key


def verification_keys(secret: str) -> list[bytes]:
    """Every key a sender may have made of `secret` (see `nano_banana_pro.webhooks`).

    Raises:
        WebhookVerificationError: the secret is empty or not valid Unicode.
    """
    if not secret:
        raise WebhookVerificationError(f"the webhook secret is empty ({_HOW_TO_GIVE_A_SECRET})")
    try:
        whole = utf8(secret, what="the webhook secret")
    except ValueError as exc:
        raise WebhookVerificationError(f"{exc} ({_HOW_TO_GIVE_A_SECRET})") from None
    decoded = base64_or_none(secret.removeprefix(_STANDARD_SECRET_PREFIX))
    return [whole] if decoded is None else [decoded, whole]


def secret_hint(secret: str) -> str:
    """Why a `whsec_` secret may be wrong: the rest of it is not base64 (a partial copy?)."""
    if (
        secret.startswith(_STANDARD_SECRET_PREFIX)
        and base64_or_none(secret.removeprefix(_STANDARD_SECRET_PREFIX)) is None
    ):
        return f" Note: {_NOT_BASE64}."
    return ""


def resolve_secret(secret: str | None) -> str:
    """The secret given, else the environment's.

    Raises:
        WebhookVerificationError: neither is set.
    """
    resolved = secret if secret is not None else os.environ.get(SECRET_ENV_VAR)
    if resolved is None:
        raise WebhookVerificationError(f"no webhook secret: {_HOW_TO_GIVE_A_SECRET}")
    return resolved
