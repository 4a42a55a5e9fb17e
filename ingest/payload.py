"""A capture request's body turned into JSON, in every encoding the PostHog and Segment SDKs send.

PostHog's own capture server is the reference (docs/INGESTION.md): the body may be plain JSON, gzip
(announced by Content-Encoding or a ``compression`` hint, or not at all: the gzip magic is sniffed),
base64, or a ``data=`` form holding base64 or LZ-String text; old SDKs send ``?data=`` on a GET.
Every decompression is capped, so a small bomb cannot become a large allocation.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import lzstring
import orjson

from ingest.errors import CaptureError, invalid, too_large

GZIP_MAGIC = b"\x1f\x8b"
_BASE64 = re.compile(rb"^[A-Za-z0-9+/]+={0,2}\s*$")
_GZIP_HINTS = {"gzip", "gzip-js"}
_LZ64_HINTS = {"lz64", "lz-string"}
_BASE64_HINTS = {"base64", "b64"}
# LZ-String output can grow with the square of its input (a small bomb, and the library cannot stop part
# way), so lz64 bodies, which only posthog-js from before 2023 sends, are kept small.
MAX_LZ64_BYTES = 16 * 1024


def decode(
    body: bytes, content_type: str, content_encoding: str, query: Mapping[str, str], max_bytes: int
) -> tuple[Any, dict[str, str]]:
    """The JSON document, and the form fields that came with it (``compression``, ``sent_at``…)."""
    raw = query["data"].encode() if query.get("data") else body
    if not raw:
        raise invalid("body", "empty request body")
    raw = _content_encoding(raw, content_encoding.strip().lower(), max_bytes)
    form: dict[str, str] = {}
    is_form = content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded"
    if is_form and raw.lstrip()[:1] not in (b"{", b"["):  # JSON mislabelled as a form (curl -d) is JSON
        # latin-1 both ways, so that percent-escaped bytes come back as the very bytes (UTF-8 JSON stays UTF-8)
        form = {name: values[0] for name, values in parse_qs(raw.decode("latin-1"), encoding="latin-1").items()}
        if not form.get("data"):
            raise invalid("data", "form body without a data field")
        raw = form["data"].encode("latin-1")
        if _looks_base64(raw.replace(b" ", b"+")):
            raw = raw.replace(b" ", b"+")  # url-decoding turned base64's + into spaces
    hint = (query.get("compression") or form.get("compression") or "").lower()
    raw = _decompress(raw, hint, max_bytes)
    try:
        return orjson.loads(raw), form
    except orjson.JSONDecodeError as exc:
        raise invalid("body", f"not valid JSON ({exc})") from None


def _content_encoding(raw: bytes, encoding: str, max_bytes: int) -> bytes:
    if encoding in ("", "identity"):
        return raw
    if encoding in ("gzip", "x-gzip"):
        return _inflate(raw, zlib.MAX_WBITS | 16, max_bytes, "gzip")
    if encoding == "deflate":
        return _inflate(raw, zlib.MAX_WBITS, max_bytes, "deflate")
    raise CaptureError(415, f"Content-Encoding {encoding!r} is not supported (gzip or deflate)", "Content-Encoding")


def _decompress(raw: bytes, hint: str, max_bytes: int) -> bytes:
    if hint in _GZIP_HINTS or raw.startswith(GZIP_MAGIC):
        return _inflate(raw, zlib.MAX_WBITS | 16, max_bytes, "gzip")
    if hint in _LZ64_HINTS:
        if len(raw) > MAX_LZ64_BYTES:
            raise too_large("body", f"lz64 bodies are limited to {MAX_LZ64_BYTES} bytes; send gzip instead")
        try:
            text = lzstring.LZString().decompressFromBase64(raw.decode("latin-1"))
        except Exception:  # lzstring fails on bad input with whatever it hits: KeyError, IndexError, NameError…
            text = None
        if not text:
            raise invalid("body", "not valid LZ-String (lz64) data")
        return _capped(text.encode("utf-8", "surrogatepass"), max_bytes)
    if hint in _BASE64_HINTS or _looks_base64(raw):
        try:
            return base64.b64decode(raw, validate=False)
        except (binascii.Error, ValueError):
            raise invalid("body", "not valid base64") from None
    return _capped(raw, max_bytes)


def _inflate(raw: bytes, wbits: int, max_bytes: int, name: str) -> bytes:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(raw, max_bytes + 1)
    except zlib.error as exc:
        raise invalid("body", f"not valid {name} data ({exc})") from None
    _capped(out, max_bytes)
    if not inflater.eof:
        raise invalid("body", f"{name} data is truncated")
    return out


def _capped(data: bytes, max_bytes: int) -> bytes:
    if len(data) > max_bytes:
        raise too_large("body", f"request body is larger than {max_bytes} bytes once decompressed")
    return data


def _looks_base64(raw: bytes) -> bool:
    return len(raw) >= 4 and raw[:1] not in (b"{", b"[") and _BASE64.match(raw) is not None
