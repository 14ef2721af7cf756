"""Roster uploads at rest: sealed (AES-256-GCM) from the first byte written until the import ends.

An uploaded roster carries every child's plain 身份证号, and it may wait for the worker, so
it is never written to disk in the clear. The file is cut into chunks, each sealed with
its own nonce (a random per-file prefix and the chunk number) and its position and
whether it is the last one as associated data: a chunk moved, dropped or cut off is
refused, not misread. Readers get a plain byte stream back, chunk by chunk, so a 200 MB
CSV is never held in memory.

The key is derived from ROSTER_ID_KEY (or SECRET_KEY) under its own label: knowing the
id-hash key does not give this one, and a backup holds neither.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import struct
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

MAGIC = b"SQR1"
CHUNK = 1 << 20
PREFIX_BYTES = 8
_LENGTH = struct.Struct(">I")
KEY_LABEL = b"suiqian.rosters.upload-seal.v1"


class SealError(ValueError):
    """The sealed file is damaged or was sealed under another key."""


def _key() -> bytes:
    secret = getattr(settings, "ROSTER_ID_KEY", None) or settings.SECRET_KEY
    return hmac.new(secret.encode(), KEY_LABEL, hashlib.sha256).digest()


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


def _aad(index: int, last: bool) -> bytes:
    return struct.pack(">I?", index, last)


def seal_chunks(chunks: Iterable[bytes], path: Path) -> int:
    """Write `chunks` (any sizes) to `path` sealed; returns the plain size. The file is created
    with owner-only permissions and never holds a plain byte."""
    aead = AESGCM(_key())
    prefix = os.urandom(PREFIX_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    size, index, pending = 0, 0, bytearray()
    with os.fdopen(fd, "wb") as out:
        out.write(MAGIC + prefix)

        def emit(data: bytes, last: bool):
            nonlocal index
            sealed = aead.encrypt(_nonce(prefix, index), data, _aad(index, last))
            out.write(_LENGTH.pack(len(sealed)) + sealed)
            index += 1

        for chunk in chunks:
            size += len(chunk)
            pending += chunk
            while len(pending) > CHUNK:
                emit(bytes(pending[:CHUNK]), False)
                del pending[:CHUNK]
        emit(bytes(pending), True)
    return size


class _PlainReader(io.RawIOBase):
    """The plain bytes of a sealed file, opened one chunk at a time."""

    def __init__(self, path: Path):
        self._file = open(path, "rb")
        head = self._file.read(len(MAGIC) + PREFIX_BYTES)
        if not head.startswith(MAGIC) or len(head) != len(MAGIC) + PREFIX_BYTES:
            self._file.close()
            raise SealError("not a sealed roster upload")
        self._prefix = head[len(MAGIC):]
        self._aead = AESGCM(_key())
        self._index = 0
        self._buffer = memoryview(b"")
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        length = self._file.read(_LENGTH.size)
        if len(length) != _LENGTH.size:
            raise SealError("sealed roster upload is truncated")
        sealed = self._file.read(_LENGTH.unpack(length)[0])
        nonce = _nonce(self._prefix, self._index)
        for last in (False, True):
            try:
                self._buffer = memoryview(self._aead.decrypt(nonce, sealed, _aad(self._index, last)))
            except InvalidTag:
                continue
            self._done = last
            self._index += 1
            return
        raise SealError("sealed roster upload is damaged or sealed under another key")

    def readinto(self, b) -> int:
        while not self._buffer and not self._done:
            self._next_chunk()
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def open_plain(path: Path) -> io.BufferedReader:
    """A buffered binary stream of the plain file (readline, read, iteration)."""
    return io.BufferedReader(_PlainReader(path), buffer_size=CHUNK)


def is_sealed(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(len(MAGIC)) == MAGIC
