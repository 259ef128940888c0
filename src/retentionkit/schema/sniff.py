"""A text file's first look, free of pandas: its encoding, byte-order mark and delimiter.

Shared by the pandas reader (schema/readers.py) and the engine ingest
(schema/engine_ingest.py).
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

from retentionkit.errors import InputError, MissingFileError
from retentionkit.schema.common import JSON_SUFFIXES, PARQUET_SUFFIXES

#: Codecs Python calls text encodings but that cannot hold a data file (host names only).
_NOT_FOR_FILES = frozenset({"idna", "punycode", "undefined"})


def check_encoding(encoding: str) -> str:
    """``--encoding`` must name a text codec (utf-8, latin-1, utf-16, cp1252 …); byte
    transforms such as base64, hex or zlib and host-name codecs such as idna are refused."""
    import codecs

    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):
        raise InputError(f"Unknown --encoding {encoding!r}; try utf-8 or latin-1.") from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_FOR_FILES:
        raise InputError(
            f"--encoding {encoding!r} is not a text encoding for data files; try utf-8, "
            "utf-16 or latin-1."
        )
    return encoding


def _ascii_compatible(encoding: str) -> bool:
    """utf-8, latin-1, cp1252 … write ASCII as ASCII; utf-16/32 do not (NUL bytes are normal)."""
    try:
        return "a,\n".encode(encoding) == b"a,\n"
    except (UnicodeError, LookupError):
        return False


def check_delimiter(sep: str) -> str:
    """A delimiter is one printable character (or tab), never a quote or a line break."""
    if sep == r"\s+":
        return sep
    if len(sep) != 1 or not (sep.isprintable() or sep == "\t") or sep in '"\r\n':
        raise InputError(
            f"--delimiter {sep!r} is not valid; expected one character such as ',' or ';' "
            "(printable, not a quote), or one of: tab, whitespace, space, comma, semicolon, pipe."
        )
    return sep


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise MissingFileError(f"{path}: file not found.")
    if path.is_dir():
        raise MissingFileError(f"{path}: is a directory, expected a data file.")
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise MissingFileError(f"{path}: cannot be read ({exc.strerror}).") from None


#: Byte-order marks of the encodings whose text is full of NUL bytes (UTF-32 first: its
#: little-endian mark starts like UTF-16's).
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _wide_bom(path: Path) -> str | None:
    """``utf-16`` / ``utf-32`` when the file starts with that byte-order mark (Excel's
    "Unicode Text" export is UTF-16 with a mark), else ``None``."""
    with path.open("rb") as fh:
        head = fh.read(4)
    return next((name for bom, name in _WIDE_BOMS if head.startswith(bom)), None)


def _sniff_text(path: Path, encoding: str) -> str:
    with path.open("rb") as fh:
        head = fh.read(65536)
    if b"\x00" in head and _ascii_compatible(encoding):
        wide = _wide_bom(path)
        raise InputError(
            f"{path}: looks like {wide.upper()} text; give --encoding {wide}."
            if wide
            else f"{path}: looks like a binary file, not text; expected CSV/TSV, JSON or Parquet."
        )
    try:
        head.decode(encoding)
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is fine
        if exc.start < len(head) - 4:
            raise InputError(
                f"{path}: is not valid {encoding} text (byte {exc.start + 1}); "
                "give --encoding (e.g. latin-1) or convert the file to UTF-8."
            ) from None
    except UnicodeError as exc:
        raise InputError(f"{path}: cannot be decoded as {encoding} ({exc}).") from None
    return head.decode(encoding, errors="ignore").removeprefix("\ufeff")


def resolve_delimiter(delimiter: str | None, path: Path, sample: str) -> str:
    if delimiter is not None:
        named = {
            "tab": "\t",
            "\\t": "\t",
            "whitespace": r"\s+",
            "space": " ",
            "comma": ",",
            "semicolon": ";",
            "pipe": "|",
        }
        return check_delimiter(named.get(delimiter, delimiter))
    if path.suffix.lower() == ".tsv":
        return "\t"
    first = sample.splitlines()[0] if sample else ""
    try:
        return csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        if first and "," not in first and " " in first.strip():
            return r"\s+"
        return ","


def _is_parquet(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PAR1"


def is_empty_table_file(path: Path) -> bool:
    """True for a file holding no data rows: a Parquet file with 0 rows, a text file with at
    most a header line, or an empty JSON array (``retentionkit generate`` writes such files for
    the tables a kind of business does not have)."""
    suffix = path.suffix.lower()
    try:
        if suffix in PARQUET_SUFFIXES or _is_parquet(path):
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows == 0
        with path.open("rb") as fh:
            head = fh.read(65536)
    except Exception:  # unreadable: let the ingest say why
        return False
    if suffix in JSON_SUFFIXES:
        return head.strip() in (b"", b"[]")
    lines = [line for line in head.splitlines() if line.strip()]
    return len(lines) <= 1 and len(head) < 65536
