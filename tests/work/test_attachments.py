"""Attachments: checked by extension and by their first bytes, size-limited, sanitised names, stored
under MEDIA_ROOT and downloaded only through the permission-checked view."""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from opencmo.core.models import AuditEvent
from opencmo.work import services, uploads
from opencmo.work.models import Attachment


def png_bytes() -> bytes:
    """A real 1 by 1 pixel red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def office_bytes(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", "<Relationships/>")
        main = {"word": "document.xml", "xl": "workbook.xml", "ppt": "presentation.xml"}[folder]
        archive.writestr(f"{folder}/{main}", "<x/>")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom\x00\x00\x00\x08free"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("brief.pdf", PDF, "application/pdf"),
        ("hero.png", png_bytes(), "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("loop.gif", GIF, "image/gif"),
        ("banner.webp", WEBP, "image/webp"),
        ("copy.docx", office_bytes("word"), uploads.TYPES["docx"].content_type),
        ("plan.xlsx", office_bytes("xl"), uploads.TYPES["xlsx"].content_type),
        ("pitch.pptx", office_bytes("ppt"), uploads.TYPES["pptx"].content_type),
        ("leads.csv", "name;city\nÅse;Tromsø\n".encode(), "text/csv"),
        ("notes.txt", b"Plain notes\n", "text/plain"),
        ("teaser.mp4", MP4, "video/mp4"),
    ],
)
def test_each_allowed_type_passes(name, data, content_type):
    checked_name, kind = uploads.check_upload(upload(name, data))
    assert checked_name == name and kind.content_type == content_type


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.pdf", png_bytes(), "named as a PDF document but its contents are a PNG image"),
        (
            "copy.docx",
            office_bytes("xl"),
            r"named as a Word document \(\.docx\) but its contents are an Excel",
        ),
        ("invoice.pdf", EXE, "none of the types OpenCMO accepts"),
        ("setup.exe", EXE, r"\(\.exe\) cannot be attached"),
        ("archive.zip", office_bytes("word"), r"\(\.zip\) cannot be attached"),
        ("README", b"hello", r"\(no extension\) cannot be attached"),
        ("data.csv", "Tromsø".encode("latin-1"), "contents are none of the types"),
        ("data.csv", b"a,b\x00c", "contents are none of the types"),
        ("image.png", b"just text pretending", "named as a PNG image but its contents are plain text"),
        ("fake.docx", b"PK\x03\x04not really a zip", "contents are none of the types"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_mismatches_are_refused_with_a_clear_message(name, data, message):
    with pytest.raises(ValidationError, match=message) as caught:
        uploads.check_upload(upload(name, data))
    assert "file" in caught.value.message_dict


def test_size_limit_is_a_setting(settings):
    settings.OPENCMO_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ValidationError, match=r"is 2 KB; files may be at most 1 KB"):
        uploads.check_upload(upload("big.txt", b"a" * 2048))
    uploads.check_upload(upload("ok.txt", b"a" * 1024))
    del settings.OPENCMO_MAX_UPLOAD_BYTES
    assert uploads.max_upload_bytes() == 20 * 1024 * 1024


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\bob\\Desktop\\brief.pdf", "brief.pdf"),
        ("bad<name>:|?*.pdf", "bad_name_.pdf"),
        ("\x00\x1fcontrol.txt", "control.txt"),
        (".hidden.txt", "hidden.txt"),
        ("  spaced   out  .pdf", "spaced out.pdf"),
        ("Årsrapport — 2026.pdf", "Årsrapport — 2026.pdf"),
        ("....pdf", "file.pdf"),
        (".txt", "file.txt"),
        ("", "file"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_names_are_sanitised(raw, clean):
    assert uploads.safe_name(raw) == clean


@pytest.mark.django_db
def test_attach_stores_under_media_root_and_audits(team, make_task, media_root):
    task = make_task()
    attachment = services.attachment_add(actor=team.bob, task=task, upload=upload("../Spring brief.pdf", PDF))
    assert attachment.original_name == "Spring brief.pdf" and attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF) and attachment.uploaded_by == team.bob
    stored = media_root / attachment.file.name
    assert stored.read_bytes() == PDF and "Spring" not in attachment.file.name  # random stored name
    assert attachment.file.name.startswith("attachments/")
    assert AuditEvent.objects.filter(object_type="work.Attachment", action="create", actor=team.bob).exists()
    with pytest.raises(PermissionDenied):
        services.attachment_add(actor=team.sam, task=task, upload=upload("c.pdf", PDF))  # C does not upload
    with pytest.raises(ValidationError):
        services.attachment_add(actor=team.bob, task=task, upload=upload("x.pdf", png_bytes()))
    assert Attachment.objects.count() == 1 and len(list(stored.parent.iterdir())) == 1


@pytest.mark.django_db(transaction=True)
def test_deleting_removes_the_file_after_commit(team, make_task, media_root):
    task = make_task()
    attachment = services.attachment_add(actor=team.marta, task=task, upload=upload("a.png", png_bytes()))
    stored = media_root / attachment.file.name
    assert stored.exists()
    services.attachment_delete(actor=team.bob, attachment=attachment)
    assert not stored.exists() and not Attachment.objects.exists()
