"""The evidence files accepted: their size, extension, declared type and first bytes."""

from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

MAX_EVIDENCE_FILE_BYTES = 10 * 1024 * 1024


_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # doc, xls, ppt


_ZIP = (b"PK\x03\x04",)  # docx, xlsx, pptx, odt, ods, odp


_TEXT = ()  # any bytes but NUL


# Extension -> (the content types a browser sends for it, how the file starts). The
# declared type and the first bytes must both fit: a renamed executable is refused.
EVIDENCE_FILE_TYPES: dict[str, tuple[set[str], tuple[bytes, ...]]] = {
    "pdf": ({"application/pdf"}, (b"%PDF-",)),
    "png": ({"image/png"}, (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ({"image/jpeg", "image/pjpeg"}, (b"\xff\xd8\xff",)),
    "jpeg": ({"image/jpeg", "image/pjpeg"}, (b"\xff\xd8\xff",)),
    "gif": ({"image/gif"}, (b"GIF87a", b"GIF89a")),
    "webp": ({"image/webp"}, (b"RIFF",)),
    "doc": ({"application/msword"}, _OLE),
    "xls": ({"application/vnd.ms-excel"}, _OLE),
    "ppt": ({"application/vnd.ms-powerpoint"}, _OLE),
    "docx": ({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}, _ZIP),
    "xlsx": ({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, _ZIP),
    "pptx": (
        {"application/vnd.openxmlformats-officedocument.presentationml.presentation"},
        _ZIP,
    ),
    "odt": ({"application/vnd.oasis.opendocument.text"}, _ZIP),
    "ods": ({"application/vnd.oasis.opendocument.spreadsheet"}, _ZIP),
    "odp": ({"application/vnd.oasis.opendocument.presentation"}, _ZIP),
    # Windows browsers send a CSV file as an Excel one.
    "csv": ({"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"}, _TEXT),
    "txt": ({"text/plain"}, _TEXT),
}


def evidence_file_check(file: UploadedFile) -> None:
    """Refuse a file that is too large, or whose extension, declared content type or
    first bytes are not those of an allowed kind of document."""
    allowed = ", ".join(EVIDENCE_FILE_TYPES)
    extension = PurePath(file.name or "").suffix.lower().lstrip(".")
    if extension not in EVIDENCE_FILE_TYPES:
        raise ValidationError(
            {"file": f"Files of this type are not accepted; send one of: {allowed}."}
        )
    if file.size > MAX_EVIDENCE_FILE_BYTES:
        raise ValidationError({"file": "The file is larger than 10 MB."})
    content_types, signatures = EVIDENCE_FILE_TYPES[extension]
    file.seek(0)
    head = file.read(2048)
    file.seek(0)
    if signatures:
        fits = any(head.startswith(signature) for signature in signatures)
    else:
        fits = b"\x00" not in head
    if (file.content_type or "").lower() not in content_types or not fits:
        raise ValidationError(
            {"file": f"The file's content is not a .{extension} file; send one of: {allowed}."}
        )
