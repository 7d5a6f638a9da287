"""Upload checks: a receipt is a PDF, JPEG or PNG by its content, not only by its name."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

# File signatures ("magic numbers") of the formats accepted as receipts.
RECEIPT_SIGNATURES = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}


def validate_receipt(upload) -> None:
    max_bytes = settings.RECEIPT_MAX_BYTES
    if upload.size > max_bytes:
        raise ValidationError(
            f"The receipt must be smaller than {filesizeformat(max_bytes)}.", code="too_large"
        )
    name = getattr(upload, "name", "") or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in RECEIPT_SIGNATURES:
        raise ValidationError("The receipt must be a PDF, JPG or PNG.", code="file_type")
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(16)
    upload.seek(position)
    if not any(head.startswith(signature) for signature in RECEIPT_SIGNATURES[extension]):
        raise ValidationError(
            f"The file is named .{extension} but is not a {extension.upper()} file.",
            code="file_content",
        )
