"""The uploaded files (MEDIA_ROOT) in a backup: which files count, the archive with a checksum of
each file as archived, and the extraction that checks them all again."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
from pathlib import Path

from django.conf import settings

from .manifest import BackupError, sha256_of


class _HashingReader:
    """Hashes exactly the bytes tarfile copies, so the manifest describes the archive, not the disk."""

    def __init__(self, f):
        self.f, self.digest = f, hashlib.sha256()

    def read(self, n=-1):
        data = self.f.read(n)
        self.digest.update(data)
        return data


def media_files(root: Path) -> list[Path]:
    """The uploaded files a backup keeps: all but those under settings.BACKUP_EXCLUDED_MEDIA (files
    that live only until a task ends, such as sealed roster uploads with children's ID numbers)."""
    if not root.is_dir():
        return []
    excluded = tuple(Path(e).parts for e in getattr(settings, "BACKUP_EXCLUDED_MEDIA", ()))
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()
                  and not any(p.relative_to(root).parts[:len(e)] == e for e in excluded))


def archive_media(root: Path, dest: Path) -> list[dict]:
    """Write the tar of `root`'s files to `dest`; return the manifest's entry for each file."""
    entries = []
    with tarfile.open(dest, "w") as tar:
        for path in media_files(root):
            rel = path.relative_to(root).as_posix()
            with open(path, "rb") as f:
                info = tar.gettarinfo(arcname=rel, fileobj=f)
                reader = _HashingReader(f)
                tar.addfile(info, reader)
            entries.append({"path": rel, "size": info.size, "sha256": reader.digest.hexdigest()})
    return entries


def media_digest(root: Path) -> dict[str, tuple[int, str]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_size, sha256_of(p)) for p in media_files(root)}


def extract_media(tar_path: Path, media_root: Path, manifest: dict) -> int:
    """Replace everything in `media_root` with the archive's files; the number of files, once each
    matches the manifest's size and sha256."""
    media_root.mkdir(parents=True, exist_ok=True)
    for child in media_root.iterdir():  # only reached when empty, or with --force
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    with tarfile.open(tar_path) as tar:
        # The "data" filter refuses absolute paths, "..", links out of the tree and device files.
        tar.extractall(media_root, filter="data")
    expected = {m["path"]: (m["size"], m["sha256"]) for m in manifest["media"]["files"]}
    actual = media_digest(media_root)
    if actual != expected:
        differ = sorted(p for p in set(expected) | set(actual) if expected.get(p) != actual.get(p))
        raise BackupError(f"上传文件恢复后与清单不符：{'、'.join(differ[:10])}")
    return len(actual)
