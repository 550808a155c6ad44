"""Decoding a policy document: a mapping, JSON text or bytes, or URL-encoded JSON (as IAM's API returns it).

The one decoder of awsip: identity policies and boundaries read from IAM, trust policies
(GetRole), the required policy a ConfigMap holds, files given to the CLI. It checks only that the
source is a JSON object; :mod:`awsip.policy.parse` reads what the object says.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from awsip.policy.model import PolicyParseError
from awsip.textcap import cap

Source = str | bytes | Mapping[str, Any]


def decode_document(source: Source, *, name: str = "", unique_keys: bool = True) -> Mapping[str, Any]:
    """The document as a mapping; raises :class:`PolicyParseError` (naming policy ``name``).

    ``unique_keys``: a key twice in one JSON object is an error (IAM would read one of the two;
    which one is not ours to guess). Without it the last one wins, as in ``json``.
    """
    if isinstance(source, Mapping):
        return source
    if isinstance(source, bytes | bytearray):
        try:
            source = bytes(source).decode("utf-8")
        except UnicodeDecodeError as error:
            raise PolicyParseError(f"it is not UTF-8 text ({error.reason})", policy=name) from None
    if not isinstance(source, str):
        raise PolicyParseError(
            f"it is a {type(source).__name__}, not a JSON object or JSON text", policy=name
        )
    text = source.strip()
    if not text:
        raise PolicyParseError("it is empty", policy=name)
    if not text.startswith("{") and "%" in text:
        text = unquote(text).strip()  # IAM's API returns documents URL-encoded (RFC 3986)
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicates if unique_keys else None)
    except _DuplicateKey as duplicate:
        raise PolicyParseError(
            f"duplicate key {duplicate.args[0]!r} in one JSON object", policy=name
        ) from None
    except json.JSONDecodeError as error:
        raise PolicyParseError(
            f"it is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})", policy=name
        ) from None
    except RecursionError:
        raise PolicyParseError("it is not valid JSON: nested too deeply", policy=name) from None
    except ValueError as error:  # e.g. an integer longer than Python converts
        raise PolicyParseError(f"it is not valid JSON: {cap(str(error), 200)}", policy=name) from None
    if not isinstance(document, Mapping):
        shown = "JSON null" if document is None else f"a JSON {json_type(document)}"
        raise PolicyParseError(
            f"it is {shown}, not an object (a policy document is a JSON object)", policy=name
        )
    return document


def json_type(value: Any, *, article: bool = False) -> str:
    """The JSON name of a value's type ("object", "list" ...), with "a"/"an" if ``article``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        name = "boolean"
    elif isinstance(value, int | float):
        name = "number"
    elif isinstance(value, str):
        name = "string"
    elif isinstance(value, Mapping):
        name = "object"
    elif isinstance(value, list | tuple):
        name = "list"
    else:
        name = type(value).__name__
    if not article:
        return name
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out
