"""The ops app's public entry: `suiqian backup` / `suiqian restore` and other apps' tests call these.

One job per module behind it:
    manifest   the backup directory's format (file names, manifest.json) and its check
    databases  the configured database or another by URL; pg_dump / pg_restore
    inventory  what a database holds: migration state, rows per model, tables with data
    media      the uploaded files: which count, the archive, the checked extraction
    backup     writing a backup
    restore    reading one back
"""

from .backup import BackupResult, backup
from .databases import database_alias
from .manifest import ENGINE_NAMES, NATIVE_FILE, PORTABLE_EXCLUDE, BackupError, read_manifest, verify_backup
from .restore import RestoreResult, restore

__all__ = ["ENGINE_NAMES", "NATIVE_FILE", "PORTABLE_EXCLUDE", "BackupError", "BackupResult", "RestoreResult",
           "backup", "database_alias", "read_manifest", "restore", "verify_backup"]
