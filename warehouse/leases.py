"""Reader leases on published snapshot versions: flock(2) on serving/<version>.lock.

A version whose large tables live in Parquet segment files must not lose those files while a
reader has it open: DuckDB reopens a segment on every query, so an unlinked file breaks the next
one (a native DuckDB file, by contrast, stays readable through an open handle after unlink).
Each open snapshot holds a shared lock on its version's lock file; the publisher removes a version
only when it can take the lock exclusively without waiting. The kernel drops a lock when its
process dies, so a crashed reader never pins a version for good.

flock locks belong to an open file description, not to a process: two opens in one process are
two holders, and a shared holder in the publisher's own process blocks its exclusive attempt too.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class Lease:
    """One held lock on a lock file; release() (idempotent) or process death frees it."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    def shared(cls, lock_file: Path) -> Lease | None:
        """Hold `lock_file` shared, waiting while a publisher holds it exclusively (a moment).

        Creates the file when missing (versions published before leases existed have none);
        returns None when it can be neither opened nor created (a read-only serving directory):
        such a reader is served without a lease.
        """
        try:
            fd = os.open(lock_file, os.O_RDONLY)
        except FileNotFoundError:
            try:
                fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:
                return None
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_SH)
        return cls(fd)

    @classmethod
    def exclusive_now(cls, lock_file: Path) -> Lease | None:
        """Hold `lock_file` exclusively if nobody holds it now, else None (never waits)."""
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return cls(fd)

    @classmethod
    def exclusive(cls, lock_file: Path) -> Lease:
        """Hold `lock_file` exclusively, waiting for the holder (one publisher at a time)."""
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return cls(fd)

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the last descriptor of the description drops the lock

    def __del__(self) -> None:  # a leaked Warehouse must not pin its version forever
        self.release()

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
