"""Just enough of ClickHouse's lexer for the HTTP front to route a request.

The front must know three things before the engine sees a statement: whether it reads (so it can
stream the result), which output format its FORMAT clause names (for the X-ClickHouse-Format
header), and, for ``INSERT … FORMAT X``, where the inline data starts, because that data is
streamed into the engine rather than parsed as SQL. Strings, quoted identifiers, comments and
brackets are skipped so a ``format`` inside them is never mistaken for the clause.

Offsets are byte offsets: the text is scanned as latin-1, which maps each byte to one character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>--[^\n]*|\#[ !][^\n]*|/\*.*?\*/)
    | (?P<quoted>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<open>[(\[{])
    | (?P<close>[)\]}])
    | (?P<other>.)
    """,
    re.DOTALL | re.VERBOSE,
)

# Statements whose result the engine can stream; everything else runs whole.
STREAMABLE = frozenset({"SELECT", "WITH", "("})


@dataclass(frozen=True)
class Statement:
    """What the front needs to know about one statement."""

    keyword: str
    """The first keyword, upper-cased (``"("`` for a parenthesised select, ``""`` for empty text)."""
    output_format: str | None = None
    """The format named by a top-level FORMAT clause, spelled as the engine lists it."""
    data_offset: int | None = None
    """For ``INSERT … FORMAT X``: the byte offset where the inline data begins."""
    head_end: int | None = None
    """For ``INSERT … FORMAT X``: the byte offset where the FORMAT keyword begins."""

    @property
    def is_insert_with_data(self) -> bool:
        return self.data_offset is not None

    @property
    def streams(self) -> bool:
        return self.keyword in STREAMABLE


def scan(text: bytes, formats: dict[str, str], complete: bool = True) -> Statement | None:
    """Scan one statement.

    ``formats`` maps lower-cased format names to their spelling. Returns None when ``complete`` is
    false and the text so far cannot decide (an INSERT whose FORMAT clause may still follow).
    """
    source = text.decode("latin-1")
    keyword = ""
    depth = 0
    previous = ""
    format_keyword: re.Match[str] | None = None
    output_format: str | None = None
    for token in _TOKEN.finditer(source):
        kind = token.lastgroup
        if kind in ("space", "comment"):
            continue
        value = token.group()
        if not keyword:
            keyword = value.upper() if kind == "word" else value
        name = formats.get(value.lower()) if format_keyword and kind == "word" else None
        if format_keyword and name:
            if keyword == "INSERT":
                if token.end() == len(source) and not complete:
                    return None  # the name may go on in the next chunk
                return Statement(keyword, name, _data_start(source, token.end()), format_keyword.start())
            output_format = name
        format_keyword = None
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(depth - 1, 0)
        elif kind == "word" and depth == 0 and value.upper() == "FORMAT" and previous != ".":
            format_keyword = token
        previous = value
    if keyword == "INSERT" and not complete:
        return None
    return Statement(keyword, output_format)


def _data_start(source: str, end: int) -> int:
    """Data follows the format name after spaces and at most one line break, as in ClickHouse."""
    while end < len(source) and source[end] in " \t":
        end += 1
    if source.startswith("\r\n", end):
        return end + 2
    if end < len(source) and source[end] == "\n":
        return end + 1
    return end
