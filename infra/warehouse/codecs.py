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


class _Frame(Protocol):
    """One compressed frame (or gzip member) being decoded: the shape of the standard decompressors."""

    eof: bool
    unused_data: bytes

    def decompress(self, data: bytes) -> bytes: ...


class _FramedDecoder:
    """Decodes a body made of one or more frames back to back.

    Clients may compress a body in pieces: clickhouse-connect sends one lz4 frame per block, and gzip
    allows several members. Bytes past the end of one frame start the next, so none is dropped; a body
    that ends inside a frame is refused.
    """

    def __init__(self, name: str, code: int, new_frame: Callable[[], _Frame]) -> None:
        self._name, self._code, self._new_frame = name, code, new_frame
        self._frame: _Frame | None = None

    def feed(self, data: bytes) -> bytes:
        out = []
        try:
            while data:
                if self._frame is None or self._frame.eof:
                    self._frame = self._new_frame()
                out.append(self._frame.decompress(data))
                data = self._frame.unused_data if self._frame.eof else b""
        except Exception as exc:  # each library raises its own error type
            raise ClickHouseError(self._code, f"Cannot decompress {self._name} request body: {exc}") from exc
        return b"".join(out)

    def finish(self) -> bytes:
        if self._frame is not None and not self._frame.eof:
            raise ClickHouseError(self._code, f"Cannot decompress {self._name} request body: it ends inside a frame")
        return b""


class _BrotliFrame:
    """brotli's decompressor in the standard shape; a brotli stream is one frame."""

    def __init__(self) -> None:
        self._stream = brotli.Decompressor()
        self.unused_data = b""

    @property
    def eof(self) -> bool:
        return self._stream.is_finished()

    def decompress(self, data: bytes) -> bytes:
        return self._stream.process(data)


_GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib's way of saying "with a gzip header and trailer"


def _framed(name: str, code: int, new_frame: Callable[[], _Frame]) -> Callable[[], Decoder]:
    return lambda: _FramedDecoder(name, code, new_frame)


_DECODERS: dict[str, Callable[[], Decoder]] = {
    "gzip": _framed("gzip", errors.ZLIB_INFLATE_FAILED, lambda: zlib.decompressobj(_GZIP_WBITS)),
    "x-gzip": _framed("gzip", errors.ZLIB_INFLATE_FAILED, lambda: zlib.decompressobj(_GZIP_WBITS)),
    "deflate": _framed("deflate", errors.ZLIB_INFLATE_FAILED, zlib.decompressobj),
    "lz4": _framed("lz4", errors.LZ4_DECODER_FAILED, lz4.frame.LZ4FrameDecompressor),
    "zstd": _framed("zstd", errors.ZSTD_DECODER_FAILED, zstd.ZstdDecompressor),
    "br": _framed("br", errors.BROTLI_READ_FAILED, _BrotliFrame),
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
    "gzip": lambda level: _zlib_encoder(level, _GZIP_WBITS),
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
