"""``EncryptedSerializer``: AES-256-GCM around any serializer (optional extra ``crypto``)."""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any, Final

from ._errors import DecryptionError, SerializationError
from ._serde import MsgpackSerializer, Serializer

ENV_KEY: Final = "ACTORGRAPH_AES_KEY"
LANGGRAPH_ENV_KEY: Final = "LANGGRAPH_AES_KEY"  # (from_pycryptodome_aes: the key's raw text)
_SUFFIX: Final = "+aes"
_NONCE: Final = 12


def _aesgcm(key: bytes) -> Any:
    # Any: cryptography is an optional dependency, imported only when encryption is used.
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "EncryptedSerializer needs the 'cryptography' package: "
            "pip install 'actorgraph[crypto]' (or pip install cryptography)"
        ) from exc
    return AESGCM(key)


def parse_key(text: str) -> bytes:
    """A 32-byte key from 64 hex digits or base64 (standard or URL-safe alphabet)."""
    text = text.strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    try:
        padded = text + "=" * (-len(text) % 4)
        key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ValueError(
            f"{ENV_KEY} must hold a 32-byte AES-256 key as 64 hex digits or base64 "
            "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return key


class EncryptedSerializer:
    """Encrypts what another serializer produces with AES-256-GCM.

    ``dumps_typed`` returns ``(inner_tag + "+aes", nonce || ciphertext || tag)``: a fresh 96-bit
    random nonce per value, the inner tag authenticated as associated data. ``loads_typed``
    authenticates before decoding anything; a wrong key, tampered or truncated data raises
    :class:`DecryptionError`, never garbage. Data stored without encryption (a tag without
    ``+aes``) is refused unless ``allow_plaintext=True`` (useful while migrating a store to
    encryption).

    :meth:`from_pycryptodome_aes` takes LangGraph's constructor's name and key conventions
    (``key=`` or ``LANGGRAPH_AES_KEY``, 16/24/32 bytes: AES-128/192/256-GCM).
    """

    def __init__(self, key: bytes, serde: Serializer | None = None, *, allow_plaintext: bool = False) -> None:
        if len(key) != 32:
            raise ValueError(f"AES-256 needs a 32-byte key, got {len(key)} bytes")
        self._setup(key, serde, allow_plaintext)

    def _setup(self, key: bytes, serde: Serializer | None, allow_plaintext: bool) -> None:
        self._cipher = _aesgcm(bytes(key))
        self.serde: Serializer = serde if serde is not None else MsgpackSerializer()
        self.allow_plaintext = allow_plaintext

    def __repr__(self) -> str:
        return f"EncryptedSerializer(serde={self.serde!r})"

    @property
    def plain_serde(self) -> Serializer:
        """The serializer inside, whose bytes are the same for the same value (encrypted ones
        differ at each call): what a saver compares to find that a list only grew."""
        return self.serde

    @classmethod
    def from_aes_key(cls, key: bytes, serde: Serializer | None = None, *, allow_plaintext: bool = False) -> EncryptedSerializer:
        """Encrypt with the 32-byte ``key``, wrapping ``serde`` (default :class:`MsgpackSerializer`)."""
        return cls(key, serde, allow_plaintext=allow_plaintext)

    @classmethod
    def from_env(cls, serde: Serializer | None = None, *, allow_plaintext: bool = False) -> EncryptedSerializer:
        """Read the key from ``ACTORGRAPH_AES_KEY``: 64 hex digits, or base64 of 32 bytes."""
        text = os.environ.get(ENV_KEY)
        if not text:
            raise ValueError(f"environment variable {ENV_KEY} is not set")
        return cls(parse_key(text), serde, allow_plaintext=allow_plaintext)

    @classmethod
    def from_pycryptodome_aes(cls, serde: Serializer | None = None, *, allow_plaintext: bool = True,
                              **kwargs: Any) -> EncryptedSerializer:
        """LangGraph's constructor name and key conventions, for ported code: the key is the
        ``key=`` argument (bytes) or else the environment variable ``LANGGRAPH_AES_KEY``, its
        text taken as the key's bytes; either must be 16, 24 or 32 bytes (AES-128/192/256).

        Encryption is AES-GCM from the ``cryptography`` package (pycryptodome is not needed);
        of pycryptodome's ``AES.new`` options only ``mode=None`` (the default) is accepted. As
        LangGraph's, it reads data stored unencrypted unless ``allow_plaintext=False``.
        LangGraph's own encrypted blobs (AES-EAX around its JSON+msgpack serializer) are not
        readable by actorgraph: ours carry the same ``"<type>+aes"`` tags but not the same bytes.
        """
        mode = kwargs.pop("mode", None)
        unsupported = sorted(kwargs.keys() - {"key"}) + (["mode"] if mode is not None else [])
        if unsupported:
            raise TypeError(
                f"EncryptedSerializer.from_pycryptodome_aes: unsupported option(s) {unsupported}: "
                "actorgraph encrypts with AES-GCM (the 'cryptography' package), pycryptodome's "
                "AES.new options do not apply"
            )
        if "key" in kwargs:
            key = kwargs["key"]
            if not isinstance(key, (bytes, bytearray, memoryview)):
                raise TypeError(f"key must be bytes, got {type(key).__name__}")
            key = bytes(key)
            if len(key) not in (16, 24, 32):
                raise ValueError(f"Incorrect AES key length ({len(key)} bytes): it must be 16, 24 or 32 bytes")
        else:
            text = os.environ.get(LANGGRAPH_ENV_KEY)
            if text is None:
                raise ValueError(f"{LANGGRAPH_ENV_KEY} environment variable is not set.")
            key = text.encode()
            if len(key) not in (16, 24, 32):
                raise ValueError(f"{LANGGRAPH_ENV_KEY} must be 16, 24, or 32 bytes long.")
        self = cls.__new__(cls)
        self._setup(key, serde, allow_plaintext)
        return self

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        tag, plain = self.serde.dumps_typed(obj)
        nonce = os.urandom(_NONCE)
        return tag + _SUFFIX, nonce + self._cipher.encrypt(nonce, plain, tag.encode())

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        tag, payload = data
        if not tag.endswith(_SUFFIX):
            if self.allow_plaintext:
                return self.serde.loads_typed((tag, payload))
            raise DecryptionError(
                f"stored data (type {tag!r}) is not encrypted; pass allow_plaintext=True to read "
                "data written before encryption was enabled",
                type_name=tag,
            )
        inner = tag[: -len(_SUFFIX)]
        payload = bytes(payload)
        if len(payload) < _NONCE + 16:
            raise DecryptionError("encrypted data is truncated", type_name=inner)
        try:
            from cryptography.exceptions import InvalidTag
        except ImportError as exc:  # pragma: no cover - the constructor imported it already
            raise SerializationError(str(exc)) from exc
        try:
            plain = self._cipher.decrypt(payload[:_NONCE], payload[_NONCE:], inner.encode())
        except InvalidTag:
            raise DecryptionError(
                "cannot decrypt stored data: wrong key, or the data was tampered with",
                type_name=inner,
            ) from None
        return self.serde.loads_typed((inner, plain))
