"""Reading and writing the two file formats, XLSX and CSV, as a header and rows of text cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

import openpyxl
import xlsxwriter
from django.utils.translation import gettext as _
from openpyxl.utils.exceptions import InvalidFileException

FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
# A registry is thousands of rows at most; a bigger file is a mistake, not something to grind through.
MAX_ROWS = 100_000
_DELIMITERS = (";", ",")


class TableError(Exception):
    """The file cannot be read as a table at all; ``message`` is translated for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    headers: list[str]
    # (spreadsheet row number, cells); blank rows are left out
    rows: list[tuple[int, list[str]]]


def normalize_header(text: str) -> str:
    """Headers match regardless of case, spacing, «ё» and a trailing required-mark."""
    return " ".join(text.replace("ё", "е").replace("Ё", "Е").lower().rstrip("*").split())


def detect_format(filename: str, data: bytes) -> str:
    name = filename.lower()
    for fmt in FORMATS:
        if name.endswith("." + fmt):
            return fmt
    # An XLSX file is a ZIP archive; anything else is taken for text.
    return "xlsx" if data[:4] == b"PK\x03\x04" else "csv"


def cell_text(value: object) -> str:
    """The text of a spreadsheet cell as an import reads it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value).strip()


def read_table(data: bytes, fmt: str, known_headers: Iterable[str]) -> Table:
    if fmt == "xlsx":
        records = _xlsx_records(data)
    elif fmt == "csv":
        records = _csv_records(data, {normalize_header(h) for h in known_headers})
    else:
        raise TableError(_("Unknown file format “%(format)s”; use XLSX or CSV.") % {"format": fmt})
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, cells in records:
        if not any(cells):
            continue
        if headers is None:
            headers = cells
            while headers and not headers[-1]:
                headers.pop()
            continue
        rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise TableError(_("The file has more than %(count)d rows.") % {"count": MAX_ROWS})
    if headers is None:
        raise TableError(_("The file is empty: it has no header row."))
    return Table(headers=headers, rows=rows)


def _xlsx_records(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise TableError(_("The file is not a valid XLSX workbook.")) from None
    try:
        sheet = book.worksheets[0]
        # Files from other programs often declare wrong dimensions; read what is really there.
        sheet.reset_dimensions()
        records = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            records.append((number, [cell_text(value) for value in values]))
            if number > MAX_ROWS + 1:
                break
        return records
    finally:
        book.close()


def _csv_records(data: bytes, known: set[str]) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableError(
            _("The CSV file is not in UTF-8 encoding. Save it as “CSV UTF-8” and upload it again.")
        ) from None
    if "\x00" in text:
        raise TableError(_("The file is not a text CSV file."))
    delimiter = _detect_delimiter(text, known)
    try:
        return [
            (number, [cell.strip() for cell in cells])
            for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1)
        ]
    except csv.Error as error:
        raise TableError(_("The CSV file cannot be read: %(error)s") % {"error": error}) from None


def _detect_delimiter(text: str, known: set[str]) -> str:
    """Pick the delimiter under which the header row has the most known column names.

    Counting delimiter characters is not enough: headers such as «Срок ответа, дней» hold commas.
    """
    first_line = next(iter(text.splitlines()), "")

    def score(delimiter: str) -> tuple[int, int]:
        try:
            header = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error:
            return (0, 0)
        return (sum(1 for cell in header if normalize_header(cell) in known), len(header))

    return max(_DELIMITERS, key=score)  # max keeps the first (";") on a tie


def write_table(headers: list[str], rows: Iterable[list[str]], fmt: str, *, sheet_name: str = "data") -> bytes:
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter=";")  # what a spreadsheet in a Russian locale opens directly
        writer.writerow(headers)
        writer.writerows(rows)
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM tells Excel it is UTF-8
    if fmt != "xlsx":
        raise ValueError(f"unknown format {fmt!r}")
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet(sheet_name[:31])
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    widths = [len(header) for header in headers]
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, bold)
    for row_index, cells in enumerate(rows, start=1):
        for col, cell in enumerate(cells):
            # Every cell is text so that codes keep leading zeros and come back exactly as written.
            if cell:
                sheet.write_string(row_index, col, cell)
            widths[col] = max(widths[col], min(len(cell), 60))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width + 2)
    sheet.freeze_panes(1, 0)
    book.close()
    return output.getvalue()
