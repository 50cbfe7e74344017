"""Checking uploaded files: size, real type (by content, not by name), and stripping image metadata.

Photos from phones carry EXIF with the GPS position and the device; re-saving the pixels through
Pillow drops it, and applying the orientation first keeps the photo upright."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow refuses decompression bombs above this many pixels (a 50-megapixel photo passes).
Image.MAX_IMAGE_PIXELS = 60_000_000

IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".odt": "application/vnd.oasis.opendocument.text",
}
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp,.jpg,.jpeg,.png,.webp,.pdf,.docx,.odt"


class UploadRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class CheckedFile:
    kind: str  # "image" or "document"
    content: bytes
    content_type: str
    extension: str
    original_name: str
    sha256: str


def max_bytes() -> int:
    return int(settings.PORTAL_UPLOAD_MAX_BYTES)


def _refuse_type(name: str) -> UploadRefused:
    return UploadRefused(
        _("«%(name)s»: this type of file is not accepted. Send photos (JPEG, PNG, WebP) or documents "
          "(PDF, DOCX, ODT).") % {"name": name}
    )


def _clean_image(data: bytes, name: str) -> tuple[bytes, str, str]:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        opened = Image.open(io.BytesIO(data))
        fmt = opened.format or ""
        if fmt not in IMAGE_FORMATS:
            raise _refuse_type(name)
        image: Image.Image = ImageOps.exif_transpose(opened)
        if fmt == "JPEG" and image.mode not in {"RGB", "L"}:
            image = image.convert("RGB")
        out = io.BytesIO()
        # Nothing from image.info (EXIF, XMP, comments, text chunks) is passed on.
        options: dict[str, object] = {"quality": 88, "optimize": True} if fmt == "JPEG" else {}
        image.save(out, format=fmt, **options)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UploadRefused(_("«%(name)s»: the picture cannot be read. Send another file.") % {"name": name}) from None
    content_type, extension = IMAGE_FORMATS[fmt]
    return out.getvalue(), content_type, extension


def _document_type(data: bytes, name: str) -> tuple[str, str]:
    lower = name.lower()
    extension = "." + lower.rsplit(".", 1)[-1] if "." in lower else ""
    if extension == ".pdf" and data.startswith(b"%PDF-"):
        return DOCUMENT_TYPES[".pdf"], ".pdf"
    if extension in {".docx", ".odt"} and data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise _refuse_type(name) from None
        if extension == ".docx" and "[Content_Types].xml" in names:
            return DOCUMENT_TYPES[".docx"], ".docx"
        if extension == ".odt" and "mimetype" in names:
            return DOCUMENT_TYPES[".odt"], ".odt"
    raise _refuse_type(name)


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Validate one uploaded file and return its cleaned content, or raise UploadRefused."""
    name = (upload.name or "file")[-255:]
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise UploadRefused(
            _("«%(name)s» is too large (%(size)s); the limit is %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(
            _("«%(name)s» is too large; the limit is %(limit)s.") % {"name": name, "limit": filesizeformat(limit)}
        )
    if not data:
        raise UploadRefused(_("«%(name)s» is empty.") % {"name": name})
    head = data[:16]
    is_image = head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n") or (
        head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    )
    if is_image:
        content, content_type, extension = _clean_image(data, name)
        kind = "image"
    else:
        content_type, extension = _document_type(data, name)
        content, kind = data, "document"
    return CheckedFile(kind=kind, content=content, content_type=content_type, extension=extension,
                       original_name=name, sha256=hashlib.sha256(content).hexdigest())
