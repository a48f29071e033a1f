"""Files only the service's own user may read: the data folder, the encryption key, the SQLite database.

They hold identities (encrypted) and the key that decrypts them, so group and others get no access
whatever the umask. A file found with a looser mode (made by an older version, or copied in) is
tightened and the change logged.
"""

from __future__ import annotations

import logging
import os
import stat
from contextlib import suppress
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> None:
    """Create ``path`` (mode 0700) if it is missing; a folder that exists is the operator's to set."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=PRIVATE_DIR)
    except FileExistsError:
        return
    os.chmod(path, PRIVATE_DIR)  # mkdir's mode passes through the umask; this one must not


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists, so whatever writes it next keeps that mode."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def keep_private(path: Path) -> None:
    """Take group and other access away from ``path``; a missing file is left missing."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        try:
            os.chmod(path, mode & 0o700)  # 0644 becomes 0600; a stricter 0400 stays as it is
        except PermissionError:  # another user's file: say so, the service can still run
            log.warning("%s is open to other users (mode %o); its owner should chmod 600 it", path, mode)
            return
        log.warning("%s was open to other users (mode %o); it is now %o", path, mode, mode & 0o700)
