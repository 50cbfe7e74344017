"""A draft document → numbered paragraphs: DOCX (python-docx), PDF (pypdf) or pasted text."""

from __future__ import annotations

import io
import re

from django.utils.translation import gettext as _

from otklik.participation.ballots import BallotRefused

MAX_BYTES = 10 * 1024 * 1024
_BLANK_LINES = re.compile(r"\n\s*\n")
_SPACES = re.compile(r"[ \t\u00a0]+")


def split_text(text: str) -> list[str]:
    """Paragraphs are separated by blank lines; lines inside one are joined (PDF breaks every line)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = [_SPACES.sub(" ", " ".join(line.strip() for line in block.split("\n"))).strip()
             for block in _BLANK_LINES.split(text)]
    return [p for p in parts if p]


def docx_paragraphs(data: bytes) -> list[str]:
    import docx

    document = docx.Document(io.BytesIO(data))
    return [_SPACES.sub(" ", p.text).strip() for p in document.paragraphs if p.text.strip()]


def pdf_paragraphs(data: bytes) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return split_text("\n\n".join(page.extract_text() or "" for page in reader.pages))


def paragraphs_from_file(name: str, data: bytes) -> list[str]:
    if len(data) > MAX_BYTES:
        raise BallotRefused("file_too_large", _("The document is larger than 10 MB."), "document")
    lowered = name.lower()
    try:
        if lowered.endswith(".docx"):
            found = docx_paragraphs(data)
        elif lowered.endswith(".pdf"):
            found = pdf_paragraphs(data)
        elif lowered.endswith(".txt"):
            found = split_text(data.decode("utf-8"))
        else:
            raise BallotRefused("file_type", _("Upload the document as DOCX, PDF or TXT."), "document")
    except BallotRefused:
        raise
    except Exception:  # any parser failure means one thing to the organiser
        raise BallotRefused("file_unreadable", _("The document cannot be read: check that it opens and "
                                                 "is not protected by a password."), "document") from None
    if not found:
        raise BallotRefused("file_empty", _("No text was found in the document (a scanned PDF has none)."),
                            "document")
    return found
