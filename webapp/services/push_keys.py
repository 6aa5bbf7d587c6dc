"""The VAPID key pair (RFC 8292) this server signs its pushes with.

The private key comes from ``LOYPE_VAPID_PRIVATE_KEY`` (PEM, or base64url DER or raw) when
set, else from ``instance/vapid_private.pem``, generated once by ``flask push keys`` (and by
``make run``). Every app server and worker must use the same key: a browser's subscription is
bound to the public key it was made with.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from py_vapid.utils import b64urlencode

KEY_FILE = "vapid_private.pem"


class NoPushKey(LookupError):
    """No VAPID key is configured or generated yet (run ``flask push keys``)."""


def _key_file(instance_path: str | Path) -> Path:
    return Path(instance_path) / KEY_FILE


def load(config: dict, instance_path: str | Path) -> Vapid:
    """Return the VAPID key from the configuration or the instance folder."""
    configured = config.get("VAPID_PRIVATE_KEY")
    if configured:
        text = configured.strip()
        if text.startswith("-----BEGIN"):
            return Vapid.from_pem(text.encode())
        return Vapid.from_string(text)
    path = _key_file(instance_path)
    if not path.exists():
        raise NoPushKey(str(path))
    return Vapid.from_file(str(path))


def ensure(config: dict, instance_path: str | Path) -> tuple[Vapid, bool]:
    """Return the key, generating it into the instance folder if there is none; and whether
    it was made now."""
    try:
        return load(config, instance_path), False
    except NoPushKey:
        pass
    path = _key_file(instance_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Vapid()
    key.generate_keys()
    # Written with 0600 from the start: the key never exists readable by others.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key.private_pem())
    return key, True


def application_server_key(key: Vapid) -> str:
    """Return the public key as the browser's ``applicationServerKey`` (base64url, 65 bytes)."""
    raw = key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64urlencode(raw)
