"""Private file storage: files kept outside MEDIA_ROOT that no URL serves.

What is stored here (expense receipts, the ``receipts`` entry of ``settings.STORAGES``) is read
only by a view that checks permission and writes the audit log. ``url()`` refuses, so a template
or widget that tries to link such a file fails loudly instead of pointing at a public address.
"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage, InMemoryStorage


class NoPublicURLMixin:
    def url(self, name: str | None) -> str:
        raise ValueError(
            "Private files have no public URL: link the permission-checked view that serves them."
        )


class PrivateFileSystemStorage(NoPublicURLMixin, FileSystemStorage):
    """A FileSystemStorage at ``PRIVATE_MEDIA_ROOT``; never under ``MEDIA_ROOT``."""


class PrivateInMemoryStorage(NoPublicURLMixin, InMemoryStorage):
    """The same refusal for the tests' in-memory storage."""
