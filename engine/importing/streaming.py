"""A fact file as a stream of lines: bytes read in blocks, hashed on the way, decoded incrementally.

Memory holds one block (a mebibyte) and the lines cut from it, whatever the file's size: a 5 GB export is
read the same way as a ten-line push. The sha256 of the bytes is known once the last block is read.
"""

from __future__ import annotations

import codecs
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

BLOCK_BYTES = 1 << 20
# the first bytes of a zip container (xlsx, ods) and of an OLE file (xls)
SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


class Undecodable(ValueError):
    """A byte sequence the encoding cannot decode, at ``line`` (1-based) of the file."""

    def __init__(self, encoding: str, line: int, byte: int):
        super().__init__(f"not valid {encoding} (byte 0x{byte:02x})")
        self.encoding, self.line, self.byte = encoding, line, byte


class TextStream:
    """The text of one file (a path on disk, or bytes already in memory), as blocks of whole lines."""

    def __init__(self, opener, encoding: str | None):
        self._open = opener
        self._encoding = encoding
        self._digest = hashlib.sha256()

    @classmethod
    def of_path(cls, path: Path, encoding: str | None) -> TextStream:
        return cls(lambda: path.open("rb"), encoding)

    @classmethod
    def of_bytes(cls, data: bytes, encoding: str | None) -> TextStream:
        return cls(lambda: io.BytesIO(data), encoding)

    def head(self, size: int = 8) -> bytes:
        """The first ``size`` bytes (to recognise a workbook); nothing is hashed."""
        with self._open() as handle:
            return handle.read(size)

    @property
    def sha256(self) -> str:
        """The hash of the bytes read so far: the file's, once :meth:`lines` has been read to the end."""
        return self._digest.hexdigest()

    def lines(self) -> Iterator[tuple[int, list[str]]]:
        """(number of the first line, lines without their ``\\n``) per block, in file order; ``\\r\\n`` reads as
        ``\\n``, a leading byte order mark is dropped; raises :class:`Undecodable` where decoding fails."""
        number, pending = 1, ""
        for text in self._texts():
            text = pending + text
            if text.endswith("\r"):  # a \r\n cut between two blocks
                text, pending = text[:-1], "\r"
            else:
                pending = ""
            if "\r\n" in text:
                text = text.replace("\r\n", "\n")
            cut = text.rfind("\n")
            if cut < 0:
                pending = text + pending
                continue
            pending = text[cut + 1 :] + pending
            lines = text[:cut].split("\n")
            yield number, lines
            number += len(lines)
        if pending:
            yield number, [pending]

    def _texts(self) -> Iterator[str]:
        with self._open() as handle:
            first = handle.read(BLOCK_BYTES)
            encoding = self._encoding or ("utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8")
            decoder = codecs.getincrementaldecoder(encoding)()
            done, newlines, block = 0, 0, first
            while True:
                self._digest.update(block)
                final = not block
                try:
                    text = decoder.decode(block, final)
                except UnicodeDecodeError as exc:
                    raise _undecodable(exc, block, newlines) from None
                yield text.removeprefix("\ufeff") if done == 0 else text
                if final:
                    return
                done += len(block)
                newlines += block.count(b"\n")
                block = handle.read(BLOCK_BYTES)


def _undecodable(exc: UnicodeDecodeError, block: bytes, newlines: int) -> Undecodable:
    """Where in the file ``exc`` happened: the decoder's object is the bytes held over from the previous block
    (part of a character, never a line break) followed by ``block``."""
    held = len(exc.object) - len(block)
    line = newlines + 1 + block.count(b"\n", 0, max(0, exc.start - held))
    return Undecodable(exc.encoding, line, exc.object[exc.start])
