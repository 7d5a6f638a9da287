"""Receipts move to private storage: out of MEDIA_ROOT/receipts, into PRIVATE_MEDIA_ROOT/receipts.

Anything under MEDIA_ROOT can be served to anyone who knows (or guesses) the file's name, so the
receipt files already uploaded are moved to the ``receipts`` storage (``settings.STORAGES``),
which no URL serves. The names stored in the database do not change: a receipt called
``receipts/2025/06/<uuid>.pdf`` moves from ``MEDIA_ROOT/`` to ``PRIVATE_MEDIA_ROOT/``.

Every file under MEDIA_ROOT/receipts moves, including one no claim points at (a public copy of a
receipt is exposed whoever it belongs to). Nothing is ever lost: each file is copied, the copy is
checked byte for byte, and only then is the original removed; a file already in place with the
same content just loses its public twin, and one in place with different content is left as it is
on both sides and reported. Running it again finds nothing to do. Only file-system storages take
part: with any other storage (the tests' in-memory one) there is nothing on disk to move.
Reversing the migration moves the files back, since the field then reads from MEDIA_ROOT again.
"""

import contextlib
import filecmp
import logging
import os
import shutil
from pathlib import Path

from django.db import migrations, models

import board.models.expenses
import board.validators

logger = logging.getLogger(__name__)

FOLDER = "receipts"


def _filesystem_root(storage) -> Path | None:
    from django.core.files.storage import FileSystemStorage

    return Path(storage.location) if isinstance(storage, FileSystemStorage) else None


def move_tree(source_root: Path, target_root: Path, *, folder: str = FOLDER) -> dict[str, int]:
    """Move every file under ``source_root/folder`` to the same place under ``target_root``."""
    counts = {"moved": 0, "duplicates_removed": 0, "conflicts_kept": 0}
    source = source_root / folder
    if not source.is_dir() or source.resolve() == (target_root / folder).resolve():
        return counts
    for directory, _folders, files in os.walk(source):
        for name in files:
            original = Path(directory) / name
            if original.is_symlink() or not original.is_file():
                continue
            destination = target_root / original.relative_to(source_root)
            if destination.exists():
                if filecmp.cmp(original, destination, shallow=False):
                    original.unlink()
                    counts["duplicates_removed"] += 1
                else:
                    logger.warning(
                        "Receipt %s is in both places with different content; both kept.",
                        original.relative_to(source_root),
                    )
                    counts["conflicts_kept"] += 1
                continue
            destination.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
            partial = destination.with_name(destination.name + ".moving")
            shutil.copy2(original, partial)
            if not filecmp.cmp(original, partial, shallow=False):
                partial.unlink()
                raise OSError(f"Copying {original} to {destination} changed it; nothing was moved.")
            os.chmod(partial, 0o640)
            os.replace(partial, destination)
            original.unlink()
            counts["moved"] += 1
    # Remove the public folders left empty, deepest first; a folder still holding a file stays.
    for directory, _folders, _files in os.walk(source, topdown=False):
        with contextlib.suppress(OSError):
            Path(directory).rmdir()
    return counts


def _roots():
    from django.core.files.storage import default_storage, storages

    return _filesystem_root(default_storage), _filesystem_root(storages["receipts"])


def to_private(apps, schema_editor):
    public, private = _roots()
    if public is None or private is None:
        return
    counts = move_tree(public, private)
    if any(counts.values()):
        logger.info("Receipts moved to private storage: %s", counts)


def to_public(apps, schema_editor):
    public, private = _roots()
    if public is None or private is None:
        return
    move_tree(private, public)


class Migration(migrations.Migration):
    dependencies = [("board", "0005_erase_member_permission")]

    operations = [
        migrations.AlterField(
            model_name="expenseclaim",
            name="receipt",
            field=models.FileField(
                blank=True,
                max_length=255,
                storage=board.models.expenses.receipt_storage,
                upload_to=board.models.expenses.receipt_path,
                validators=[board.validators.validate_receipt],
            ),
        ),
        migrations.RunPython(to_private, to_public, elidable=False),
    ]
