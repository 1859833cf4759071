"""What a submitted file is: PDF, OFD or an office document, judged by its bytes and matching its name.

Only the container is recognised (the magic bytes, and for ZIP-based formats the part that names the
format); nothing inside is rendered or executed. A name whose extension says another format than the
bytes is refused: reviewers open files by their names.
"""

from __future__ import annotations

import io
import zipfile

FORMATS = ("pdf", "ofd", "docx", "xlsx", "doc", "xls")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the Compound File header of .doc and .xls
# The part a ZIP-based format cannot be without.
_ZIP_PARTS = {"ofd": "OFD.xml", "docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


class NotADocument(ValueError):
    """The file is not a PDF, OFD or office document of the format its name says."""


def document_format(file_name: str, data: bytes) -> str:
    """The file's format (one of FORMATS), or NotADocument saying why not."""
    declared = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if declared not in FORMATS:
        raise NotADocument(f"file_name: {file_name!r} is not a .{', .'.join(FORMATS)} file")
    if not data:
        raise NotADocument("file: the file is empty")
    found = _sniff(data, declared)
    if found != declared:
        said = f"a {found.upper()} file" if found else "none of PDF, OFD, DOCX, XLSX, DOC, XLS"
        raise NotADocument(f"file: {file_name!r} is named .{declared} but its content is {said}")
    return found


def _sniff(data: bytes, declared: str) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(_OLE):  # a .doc and a .xls share the container; the name tells which
        return declared if declared in ("doc", "xls") else "doc"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, ValueError, NotImplementedError, OSError):
            return None
        return next((fmt for fmt, part in _ZIP_PARTS.items() if part in names), None)
    return None
