"""Write rows as a CSV or an XLSX file, streamed, in constant memory.

CSV is UTF-8 with a byte order mark (so Excel reads the letters of every language right) and
guards against formula injection: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return gets a ``'`` in front, so a spreadsheet shows it as text instead of
running it. XLSX (openpyxl's write-only mode: rows go to a temporary file, never all into
memory) stores every text as a text cell, which no spreadsheet runs as a formula, so it needs
no such prefix; characters XML cannot hold (control characters) are left out.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Bytes of the XLSX file kept in memory before the temporary file moves to disk.
SPOOL_BYTES = 1 << 20
CHUNK = 64 * 1024


def csv_safe(value: Any) -> Any:
    """Return ``value`` as a CSV cell that a spreadsheet cannot run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_chunks(header: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """Yield the CSV file (UTF-8 with BOM, CRLF line ends) a row at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([csv_safe(v) for v in header])
    yield buffer.getvalue().encode("utf-8")
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(["" if v is None else csv_safe(v) for v in row])
        yield buffer.getvalue().encode("utf-8")


#: The most characters a spreadsheet cell holds (Excel's limit; openpyxl cuts longer texts).
CELL_LIMIT = 32_767


def _fits_a_cell(text: str) -> str:
    """Return ``text``, or as much of it as a cell holds ending in "… [+N]", N the number of
    characters left out: the cut shows, and the CSV file has the whole text."""
    if len(text) <= CELL_LIMIT:
        return text
    kept = CELL_LIMIT - 20  # room for the marker, whatever N is
    return text[:kept] + f"… [+{len(text) - kept}]"


def _xlsx_cell(sheet, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=_fits_a_cell(ILLEGAL_CHARACTERS_RE.sub("", value)))
    cell.data_type = "s"  # never a formula, whatever the text starts with
    return cell


def xlsx_chunks(title: str, header: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """Yield an XLSX workbook with one sheet named ``title``, in chunks of bytes."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(ILLEGAL_CHARACTERS_RE.sub("", title)[:31] or "Sheet")
    sheet.append([_xlsx_cell(sheet, v) for v in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as file:
        book.save(file)
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk
