"""The repository config, its keys, and how objects are sealed and named.

Chunk ids are keyed BLAKE3 hashes of the plaintext, so in an encrypted repository an id
says nothing about the data. Every stored object is a zstd frame, then either encrypted
with AES-256-GCM (random 96-bit nonce; associated data names the object, so a chunk
cannot be passed off as another one or as a manifest) or, without encryption, followed by
a keyed BLAKE3 tag so damage is still detected. The master key of an encrypted repository
is random and stored wrapped by a key derived from the passphrase with argon2id.

Data that is compressed already (chunks are Arrow IPC with zstd-compressed buffers) is
framed as a zstd frame of raw blocks: no second compression pass, and every reader, old
ones included, decodes it with the same zstd call.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import blake3
import zstandard
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from datasteward.repository.errors import (
    NotEncrypted,
    RepositoryCorrupt,
    RepositoryUnavailable,
    WrongPassphrase,
)

__all__ = ["Codec", "DamagedObject", "Keys", "load_keys", "new_config", "parse_config"]

FORMAT = "datasteward-repository"
FORMAT_VERSION = 1
CHUNK_ID = "blake3-keyed"
DEFAULT_LEVEL = 3
KDF_MEMORY_KIB = 64 * 1024
KDF_ITERATIONS = 3
KDF_LANES = 1

_PLAIN = b"\x01"
_SEALED = b"\x02"
_NONCE = 12
_TAG = 32
_MAC_CONTEXT = "datasteward repository 2026 object tag"
_PASSPHRASE_HINT = (
    "set the environment variable named by backups.encryption.passphrase_env in steward.yml"
)


class DamagedObject(Exception):
    """A stored object failed its check; the message says how."""


@dataclass(frozen=True)
class Keys:
    """The keys of one open repository, held in memory only."""

    id_key: bytes
    encryption_key: bytes | None = None

    @property
    def encrypted(self) -> bool:
        return self.encryption_key is not None


def new_config(passphrase: str | None, level: int = DEFAULT_LEVEL) -> tuple[dict[str, Any], Keys]:
    """A fresh config and its keys; with a passphrase the keys are wrapped, else stored."""
    config: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "repository_id": secrets.token_hex(16),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "chunk_id": CHUNK_ID,
        "compression": {"codec": "zstd", "level": level},
    }
    if passphrase is None:
        keys = Keys(id_key=os.urandom(32))
        config["id_key"] = keys.id_key.hex()
        return config, keys
    master = os.urandom(64)
    kdf = {
        "name": "argon2id",
        "memory_kib": KDF_MEMORY_KIB,
        "iterations": KDF_ITERATIONS,
        "lanes": KDF_LANES,
        "salt": os.urandom(16).hex(),
    }
    nonce = os.urandom(_NONCE)
    wrapping = AESGCM(_derive(passphrase, kdf))
    wrapped = wrapping.encrypt(nonce, master, _wrap_aad(config))
    config["keys"] = {
        "kdf": kdf,
        "cipher": "aes-256-gcm",
        "nonce": nonce.hex(),
        "wrapped_key": wrapped.hex(),
    }
    return config, Keys(id_key=master[32:], encryption_key=master[:32])


def parse_config(raw: bytes, location: str) -> dict[str, Any]:
    """The config as a dict, refusing damaged ones and formats newer than ours."""
    try:
        config = json.loads(raw)
        version = int(config["version"])
        if config["format"] != FORMAT:
            raise ValueError(config["format"])
    except (ValueError, KeyError, TypeError) as error:
        raise RepositoryCorrupt(f"repository {location}: config is damaged ({error!r})") from None
    if version > FORMAT_VERSION:
        raise RepositoryUnavailable(
            f"repository {location} has format version {version}, newer than this Steward "
            f"reads ({FORMAT_VERSION})",
            hint="upgrade datasteward",
        )
    return dict(config)


def load_keys(config: dict[str, Any], passphrase: str | None, location: str) -> Keys:
    """Unwrap (encrypted) or read (plain) the keys; one argon2id derivation at most."""
    wrapped = config.get("keys")
    if wrapped is None:
        if passphrase is not None:
            raise NotEncrypted(
                f"repository {location} is not encrypted, but a passphrase was given",
                hint="remove backups.encryption from steward.yml, or back up to a new repository",
            )
        return Keys(id_key=_hex(config, "id_key", location, 32))
    if passphrase is None:
        raise WrongPassphrase(f"repository {location} is encrypted", hint=_PASSPHRASE_HINT)
    try:
        kdf = dict(wrapped["kdf"])
        nonce = bytes.fromhex(wrapped["nonce"])
        sealed = bytes.fromhex(wrapped["wrapped_key"])
        if kdf["name"] != "argon2id" or wrapped["cipher"] != "aes-256-gcm":
            raise ValueError("unknown key algorithm")
        wrapping = AESGCM(_derive(passphrase, kdf))
    except (ValueError, KeyError, TypeError) as error:
        raise RepositoryCorrupt(f"repository {location}: keys are damaged ({error})") from None
    try:
        master = wrapping.decrypt(nonce, sealed, _wrap_aad(config))
    except InvalidTag:
        raise WrongPassphrase(
            f"wrong passphrase for repository {location}", hint=_PASSPHRASE_HINT
        ) from None
    return Keys(id_key=master[32:], encryption_key=master[:32])


class Codec:
    """Names chunks and seals/opens objects with one repository's keys."""

    def __init__(self, keys: Keys, level: int = DEFAULT_LEVEL) -> None:
        self._keys = keys
        self._level = level
        self._tag_key = blake3.blake3(keys.id_key, derive_key_context=_MAC_CONTEXT).digest()
        self._aead = AESGCM(keys.encryption_key) if keys.encryption_key else None
        self._local = threading.local()  # zstd contexts are not safe to share between threads

    def chunk_id(self, data: bytes | memoryview) -> str:
        """The keyed content hash naming a chunk."""
        return blake3.blake3(data, key=self._keys.id_key).hexdigest()

    def seal(self, aad: bytes, data: bytes | memoryview, *, compressed: bool = False) -> bytes:
        """Compress, then encrypt or tag; ``aad`` names the object it will be stored as.

        ``compressed``: the data is compressed already, so it is framed, not compressed.
        """
        frame = raw_zstd_frame(data) if compressed else self._compressor().compress(data)
        if self._aead is None:
            return _PLAIN + frame + self._tag(aad, frame)
        nonce = os.urandom(_NONCE)
        return _SEALED + nonce + self._aead.encrypt(nonce, frame, aad)

    def unseal(self, aad: bytes, blob: bytes) -> bytes:
        """Check the tag, decrypt and decompress; ``DamagedObject`` when any step fails."""
        if self._aead is None:
            if blob[:1] != _PLAIN or len(blob) < 1 + _TAG:
                raise DamagedObject("not an unencrypted object of this repository")
            frame, tag = blob[1:-_TAG], blob[-_TAG:]
            if not secrets.compare_digest(tag, self._tag(aad, frame)):
                raise DamagedObject("integrity tag does not match")
        else:
            if blob[:1] != _SEALED or len(blob) < 1 + _NONCE + 16:
                raise DamagedObject("not an encrypted object of this repository")
            try:
                frame = self._aead.decrypt(blob[1 : 1 + _NONCE], blob[1 + _NONCE :], aad)
            except InvalidTag:
                raise DamagedObject("authentication tag does not match") from None
        try:
            return self._decompressor().decompress(frame)
        except zstandard.ZstdError as error:
            raise DamagedObject(f"cannot decompress ({error})") from None

    def _tag(self, aad: bytes, frame: bytes) -> bytes:
        hasher = blake3.blake3(len(aad).to_bytes(4, "big") + aad, key=self._tag_key)
        hasher.update(frame)
        return hasher.digest()

    def _compressor(self) -> zstandard.ZstdCompressor:
        if not hasattr(self._local, "compressor"):
            self._local.compressor = zstandard.ZstdCompressor(level=self._level)
        compressor: zstandard.ZstdCompressor = self._local.compressor
        return compressor

    def _decompressor(self) -> zstandard.ZstdDecompressor:
        if not hasattr(self._local, "decompressor"):
            self._local.decompressor = zstandard.ZstdDecompressor()
        decompressor: zstandard.ZstdDecompressor = self._local.decompressor
        return decompressor


_ZSTD_MAGIC = (0xFD2FB528).to_bytes(4, "little")
# Frame header descriptor: 8-byte content size, single segment, no checksum, no dictionary.
_ZSTD_DESCRIPTOR = bytes([0b1110_0000])
_ZSTD_RAW_BLOCK = 128 * 1024  # the largest block a zstd frame may hold


def raw_zstd_frame(data: bytes | memoryview) -> bytes:
    """``data`` as a valid zstd frame of raw (stored, uncompressed) blocks (RFC 8878)."""
    view = memoryview(data).cast("B")
    size = view.nbytes
    parts: list[bytes | memoryview] = [_ZSTD_MAGIC, _ZSTD_DESCRIPTOR, size.to_bytes(8, "little")]
    offset = 0
    while True:
        block = view[offset : offset + _ZSTD_RAW_BLOCK]
        offset += block.nbytes
        last = offset >= size
        # Block header: bit 0 last block, bits 1-2 type (0: raw), bits 3-23 size.
        parts.append((block.nbytes << 3 | int(last)).to_bytes(3, "little"))
        parts.append(block)
        if last:
            return b"".join(parts)


def _derive(passphrase: str, kdf: dict[str, Any]) -> bytes:
    if not passphrase:
        raise WrongPassphrase("the backup passphrase is empty", hint=_PASSPHRASE_HINT)
    return Argon2id(
        salt=bytes.fromhex(kdf["salt"]),
        length=32,
        iterations=int(kdf["iterations"]),
        lanes=int(kdf["lanes"]),
        memory_cost=int(kdf["memory_kib"]),
    ).derive(passphrase.encode("utf-8"))


def _wrap_aad(config: dict[str, Any]) -> bytes:
    return f"{FORMAT}:{config['repository_id']}:master-key".encode()


def _hex(config: dict[str, Any], key: str, location: str, length: int) -> bytes:
    try:
        value = bytes.fromhex(config[key])
    except (KeyError, ValueError, TypeError):
        value = b""
    if len(value) != length:
        raise RepositoryCorrupt(f"repository {location}: config has no valid {key}")
    return value
