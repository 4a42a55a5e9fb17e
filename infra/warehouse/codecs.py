"""HTTP body compression, streamed both ways: the encodings ClickHouse's HTTP interface speaks.

Request bodies arrive with ``Content-Encoding`` (clickhouse-connect sends lz4 by default); responses
are compressed when the request says ``enable_http_compression=1`` and ``Accept-Encoding`` names an
encoding we have. Each codec works chunk by chunk so a large body is never held whole, and a body
that stops short of its end is refused instead of being taken as complete.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import brotli
import lz4.frame
from backports import zstd

from infra.warehouse import errors
from infra.warehouse.errors import ClickHouseError


class Decoder(Protocol):
    def feed(self, data: bytes) -> bytes: ...
    def finish(self) -> bytes: ...


class Encoder(Protocol):
    def feed(self, data: bytes) -> bytes: ...
    def finish(self) -> bytes: ...


class _Identity:
    def feed(self, data: bytes) -> bytes:
        return data

    def finish(self) -> bytes:
        return b""


@dataclass
class _StreamDecoder:
    """Adapts a library's streaming decompressor; ``is_done`` tells whether its end marker was seen."""

    name: str
    code: int
    decompress: Callable[[bytes], bytes]
    is_done: Callable[[], bool]

    def feed(self, data: bytes) -> bytes:
        try:
            return self.decompress(data)
        except Exception as exc:  # each library raises its own error type
            raise ClickHouseError(self.code, f"Cannot decompress {self.name} request body: {exc}") from exc

    def finish(self) -> bytes:
        if not self.is_done():
            raise ClickHouseError(
                self.code, f"Cannot decompress {self.name} request body: it ends before its last frame"
            )
        return b""


def _zlib_decoder(name: str, wbits: int) -> Decoder:
    inflater = zlib.decompressobj(wbits)
    return _StreamDecoder(name, errors.ZLIB_INFLATE_FAILED, inflater.decompress, lambda: inflater.eof)


def _lz4_decoder() -> Decoder:
    frame = lz4.frame.LZ4FrameDecompressor()
    return _StreamDecoder("lz4", errors.LZ4_DECODER_FAILED, frame.decompress, lambda: frame.eof)


def _zstd_decoder() -> Decoder:
    frame = zstd.ZstdDecompressor()
    return _StreamDecoder("zstd", errors.ZSTD_DECODER_FAILED, frame.decompress, lambda: frame.eof)


def _brotli_decoder() -> Decoder:
    stream = brotli.Decompressor()
    return _StreamDecoder("br", errors.BROTLI_READ_FAILED, stream.process, stream.is_finished)


_DECODERS: dict[str, Callable[[], Decoder]] = {
    "gzip": lambda: _zlib_decoder("gzip", 16 + zlib.MAX_WBITS),
    "x-gzip": lambda: _zlib_decoder("gzip", 16 + zlib.MAX_WBITS),
    "deflate": lambda: _zlib_decoder("deflate", zlib.MAX_WBITS),
    "lz4": _lz4_decoder,
    "zstd": _zstd_decoder,
    "br": _brotli_decoder,
}


def decoder_for(content_encoding: str | None) -> Decoder:
    """The decoder for a request's Content-Encoding header."""
    name = (content_encoding or "").strip().lower()
    if name in ("", "identity", "none"):
        return _Identity()
    if name not in _DECODERS:
        raise ClickHouseError(errors.UNKNOWN_COMPRESSION_METHOD, f"Unknown HTTP Content-Encoding: '{name}'")
    return _DECODERS[name]()


@dataclass
class _StreamEncoder:
    compress: Callable[[bytes], bytes]
    flush: Callable[[], bytes]

    def feed(self, data: bytes) -> bytes:
        return self.compress(data)

    def finish(self) -> bytes:
        return self.flush()


def _zlib_encoder(level: int, wbits: int) -> Encoder:
    deflater = zlib.compressobj(level, zlib.DEFLATED, wbits)
    return _StreamEncoder(deflater.compress, deflater.flush)


class _Lz4Encoder:
    """LZ4FrameCompressor hands out the frame header from begin(); it goes before the first block."""

    def __init__(self, level: int) -> None:
        self._frame = lz4.frame.LZ4FrameCompressor(compression_level=level)
        self._pending = self._frame.begin()

    def feed(self, data: bytes) -> bytes:
        out, self._pending = self._pending + self._frame.compress(data), b""
        return out

    def finish(self) -> bytes:
        out, self._pending = self._pending + self._frame.flush(), b""
        return out


def _zstd_encoder(level: int) -> Encoder:
    frame = zstd.ZstdCompressor(level=level)
    return _StreamEncoder(frame.compress, frame.flush)


def _brotli_encoder(level: int) -> Encoder:
    stream = brotli.Compressor(quality=min(level, 11))
    return _StreamEncoder(stream.process, stream.finish)


_ENCODERS: dict[str, Callable[[int], Encoder]] = {
    "lz4": _Lz4Encoder,
    "zstd": _zstd_encoder,
    "br": _brotli_encoder,
    "gzip": lambda level: _zlib_encoder(level, 16 + zlib.MAX_WBITS),
    "deflate": lambda level: _zlib_encoder(level, zlib.MAX_WBITS),
}


def choose_encoding(accept_encoding: str | None) -> str | None:
    """The first encoding in the client's Accept-Encoding list that we can produce."""
    for item in (accept_encoding or "").split(","):
        name, _, params = item.strip().lower().partition(";")
        if name in _ENCODERS and params.replace(" ", "") not in ("q=0", "q=0.0"):
            return name
    return None


def encoder_for(name: str | None, level: int) -> Encoder:
    """An encoder for a response; ``level`` is http_zlib_compression_level (ClickHouse's default is 3)."""
    if name is None:
        return _Identity()
    return _ENCODERS[name](level)
