"""Attachment checks: a size limit, an allow-list of file types checked by extension AND by the file's
first bytes (so a renamed executable or a PNG called report.pdf is refused), and safe file names.

Pure functions over file-like objects; no database.
"""

import codecs
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
TEXT_SAMPLE_BYTES = 1024 * 1024  # CSV/TXT: this much is checked to be UTF-8 text


@dataclass(frozen=True)
class FileType:
    key: str
    label: str  # with its article, as it reads in a sentence
    content_type: str


TYPES = {
    "pdf": FileType("pdf", "a PDF document", "application/pdf"),
    "png": FileType("png", "a PNG image", "image/png"),
    "jpeg": FileType("jpeg", "a JPEG image", "image/jpeg"),
    "gif": FileType("gif", "a GIF image", "image/gif"),
    "webp": FileType("webp", "a WebP image", "image/webp"),
    "docx": FileType(
        "docx",
        "a Word document (.docx)",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": FileType(
        "xlsx",
        "an Excel workbook (.xlsx)",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "pptx": FileType(
        "pptx",
        "a PowerPoint presentation (.pptx)",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "csv": FileType("csv", "a CSV file", "text/csv"),
    "txt": FileType("txt", "a text file", "text/plain"),
    "mp4": FileType("mp4", "an MP4 video", "video/mp4"),
}
EXTENSIONS = {
    ".pdf": "pdf",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".gif": "gif",
    ".webp": "webp",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".pptx": "pptx",
    ".csv": "csv",
    ".txt": "txt",
    ".mp4": "mp4",
}
# The folder inside an Office Open XML zip that tells a document, a workbook and a presentation apart.
OOXML_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
ALLOWED_HELP = "PDF, PNG, JPEG, GIF, WebP, Word, Excel, PowerPoint (.docx/.xlsx/.pptx), CSV, TXT or MP4"


def max_upload_bytes() -> int:
    return int(getattr(settings, "OPENCMO_MAX_UPLOAD_BYTES", DEFAULT_MAX_BYTES))


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def safe_name(name: str, *, fallback: str = "file") -> str:
    """The last path component of `name`, without control or reserved characters, at most 255
    characters (keeping the extension), never empty and never starting with a dot."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip()
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem, ext = stem.strip(" ."), ext.strip()[:16]
    stem = stem[: 255 - len(ext) - 1] if ext else stem[:255]
    if not stem.strip(" ._"):
        stem = fallback
    return f"{stem}.{ext}" if ext else stem


def extension_of(name: str) -> str:
    _, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot else ""


def _head(upload, size: int = 64) -> bytes:
    upload.seek(0)
    data = upload.read(size)
    upload.seek(0)
    return data


def _ooxml_kind(upload) -> str | None:
    """docx / xlsx / pptx for an Office Open XML zip, None for any other zip or a broken one."""
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    for kind, folder in OOXML_PARTS.items():
        if any(n.startswith(folder) for n in names):
            return kind
    return None


def _is_utf8_text(upload) -> bool:
    upload.seek(0)
    sample = upload.read(TEXT_SAMPLE_BYTES)
    complete = not upload.read(1)
    upload.seek(0)
    if b"\x00" in sample:
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=complete)  # a character cut at the sample's end is fine
    except UnicodeDecodeError:
        return False
    return True


def sniff(upload) -> str | None:
    """The type a file's first bytes say it is (a key of TYPES), or None if none of the allowed."""
    head = _head(upload)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_kind(upload)
    if head and _is_utf8_text(upload):
        return "text"
    return None


def check_upload(upload) -> tuple[str, FileType]:
    """Validate an uploaded file; returns (safe original name, its FileType) or raises a ValidationError
    on the `file` field saying what is wrong."""
    name = safe_name(getattr(upload, "name", "") or "")
    size = upload.size
    limit = max_upload_bytes()
    if not size:
        raise ValidationError({"file": f"“{name}” is empty."})
    if size > limit:
        raise ValidationError(
            {"file": f"“{name}” is {human_size(size)}; files may be at most {human_size(limit)}."}
        )
    ext = extension_of(name)
    claimed = EXTENSIONS.get(ext)
    if claimed is None:
        shown = ext or "no extension"
        raise ValidationError(
            {"file": f"“{name}”: files of this type ({shown}) cannot be attached. Allowed: {ALLOWED_HELP}."}
        )
    found = sniff(upload)
    matches = found == claimed or (found == "text" and claimed in {"csv", "txt"})
    if not matches:
        if found == "text":
            what = "plain text"
        elif found:
            what = TYPES[found].label
        else:
            what = "none of the types OpenCMO accepts"
        raise ValidationError(
            {
                "file": f"“{name}” is named as {TYPES[claimed].label} but its contents are {what}. "
                "Upload the right file, or save it with the extension that matches its contents."
            }
        )
    return name, TYPES[claimed]
