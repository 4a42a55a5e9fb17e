import gzip
import zlib

import brotli
import lz4.frame
import pytest
from backports import zstd

from infra.warehouse import errors
from infra.warehouse.codecs import choose_encoding, decoder_for, encoder_for
from infra.warehouse.errors import ClickHouseError

DATA = b"".join(b"%d,event_%d\n" % (i, i % 7) for i in range(50_000))
COMPRESSORS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "lz4": lz4.frame.compress,
    "zstd": zstd.compress,
    "br": brotli.compress,
}
FAILURE_CODES = {
    "gzip": errors.ZLIB_INFLATE_FAILED,
    "deflate": errors.ZLIB_INFLATE_FAILED,
    "lz4": errors.LZ4_DECODER_FAILED,
    "zstd": errors.ZSTD_DECODER_FAILED,
    "br": errors.BROTLI_READ_FAILED,
}


def decode_in_pieces(name: str, blob: bytes, piece: int = 4096) -> bytes:
    decoder = decoder_for(name)
    out = b"".join(decoder.feed(blob[i : i + piece]) for i in range(0, len(blob), piece))
    return out + decoder.finish()


@pytest.mark.parametrize("name", COMPRESSORS)
def test_request_bodies_decode_chunk_by_chunk(name: str) -> None:
    assert decode_in_pieces(name, COMPRESSORS[name](DATA)) == DATA


@pytest.mark.parametrize("name", ["gzip", "deflate", "lz4", "zstd"])
@pytest.mark.parametrize("piece", [1, 7, 4096, 65536, 10**9])
def test_bodies_of_several_frames_lose_nothing_wherever_the_pieces_split(name: str, piece: int) -> None:
    # clickhouse-connect compresses an insert block by block: one lz4 frame each, back to back
    parts = [DATA[:1000], DATA[1000:300_000], DATA[300_000:]]
    body = b"".join(COMPRESSORS[name](part) for part in parts)
    assert decode_in_pieces(name, body, piece=piece if piece > 1 else 97) == DATA


def test_an_empty_body_decodes_to_nothing() -> None:
    for name in COMPRESSORS:
        assert decode_in_pieces(name, b"") == b""


@pytest.mark.parametrize("name", COMPRESSORS)
def test_a_truncated_body_is_refused_with_the_codecs_error(name: str) -> None:
    blob = COMPRESSORS[name](DATA)
    with pytest.raises(ClickHouseError) as caught:
        decode_in_pieces(name, blob[: len(blob) // 2])
    assert caught.value.code == FAILURE_CODES[name]


@pytest.mark.parametrize("name", COMPRESSORS)
def test_garbage_is_refused(name: str) -> None:
    with pytest.raises(ClickHouseError) as caught:
        decode_in_pieces(name, b"this is not compressed at all" * 10)
    assert caught.value.code == FAILURE_CODES[name]


@pytest.mark.parametrize("name", COMPRESSORS)
def test_responses_encode_in_pieces_into_one_valid_stream(name: str) -> None:
    encoder = encoder_for(name, level=3)
    blob = b"".join(encoder.feed(DATA[i : i + 70_000]) for i in range(0, len(DATA), 70_000)) + encoder.finish()
    assert decode_in_pieces(name, blob) == DATA


def test_identity_and_unknown_encodings() -> None:
    assert decode_in_pieces("identity", DATA) == DATA
    assert decode_in_pieces("", DATA) == DATA
    with pytest.raises(ClickHouseError) as caught:
        decoder_for("snappy")
    assert caught.value.code == errors.UNKNOWN_COMPRESSION_METHOD


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("lz4, zstd, br, gzip, deflate", "lz4"),  # clickhouse-connect's list: the client's order wins
        ("gzip, deflate", "gzip"),
        ("gzip;q=0, deflate", "deflate"),
        ("identity", None),
        (None, None),
    ],
)
def test_response_encoding_follows_the_clients_order(accept: str | None, chosen: str | None) -> None:
    assert choose_encoding(accept) == chosen
