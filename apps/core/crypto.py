"""Secrets at rest: Fernet (MultiFernet, newest key first so keys can be rotated)."""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.DAVIT_ENCRYPTION_KEYS])


def seal(value: str | bytes) -> str:
    data = value.encode() if isinstance(value, str) else value
    return _fernet().encrypt(data).decode()


def unseal_bytes(token: str) -> bytes:
    try:
        return _fernet().decrypt(token.encode())
    except InvalidToken as exc:
        raise ValueError("stored secret cannot be decrypted with the configured DAVIT_ENCRYPTION_KEYS") from exc


def unseal(token: str) -> str:
    return unseal_bytes(token).decode()
