"""Password hashes with Argon2id (argon2-cffi), not bcrypt.

Argon2id won the Password Hashing Competition and is OWASP's first choice: it is memory-hard
(64 MiB per hash with the RFC 9106 low-memory profile used here), so GPUs and ASICs gain far less
against it than against bcrypt's 4 KiB; bcrypt also silently ignores everything after a
password's 72nd byte. argon2-cffi writes the parameters into each hash, so `needs_rehash` moves
old hashes to new parameters at the next sign-in. One hash or check takes 64 MiB for a moment and
about 0.3 s on a busy 2-core machine (benchmarks/bench_sign_in.py), paid only at sign-in.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 1024  # hashing a megabyte "password" is a cheap way to burn a worker's CPU


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2-cffi's defaults: RFC 9106 low-memory profile, Argon2id


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing hash (a proxy user) matches nothing.

    An unknown user is checked against a made-up hash, so a wrong name takes as long as a wrong
    password and the time of an answer does not tell which names exist."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher().verify(password_hash or _decoy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@cache
def _decoy_hash() -> str:
    return _hasher().hash("not anyone's password")
