"""PIN hashing for the reference BSS. A PIN is hashed with a per-account salt and never stored.

PBKDF2 keeps an offline guess of a 4-digit PIN from being free; the real protection is the
attempt limit enforced by the domain (a 4-digit space is small whatever the hash).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

ITERATIONS = 20_000
SALT_BYTES = 16


@dataclass(frozen=True)
class PinHash:
    salt: bytes
    digest: bytes
    iterations: int = ITERATIONS


def _derive(pin: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), salt, iterations)


def _decoy() -> PinHash:
    salt = b"kestrel-decoy-pin"
    return PinHash(salt=salt, digest=b"\0" * 32, iterations=ITERATIONS)


def hash_pin(pin: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> PinHash:
    """Hash ``pin`` with a fresh random salt (or ``salt``, for tests)."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    return PinHash(salt=salt, digest=_derive(pin, salt, iterations), iterations=iterations)


_DECOY = _decoy()


def check_pin(pin: str, stored: PinHash | None) -> bool:
    """Constant-time comparison, so timing does not leak how much of the digest matched.

    With no stored hash (an unknown account) a decoy is hashed all the same and False returned,
    so an unknown account costs as long as a wrong PIN.
    """
    target = stored if stored is not None else _DECOY
    matched = hmac.compare_digest(_derive(pin, target.salt, target.iterations), target.digest)
    return matched and stored is not None
