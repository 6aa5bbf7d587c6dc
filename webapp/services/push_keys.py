"""The VAPID key pair (RFC 8292) this server signs its pushes with.

The private key comes from ``LOYPE_VAPID_PRIVATE_KEY`` (PEM, or base64url DER or raw) when
set, else from ``instance/vapid_private.pem``, generated once by ``flask push keys`` (and by
``make run``). ``flask push keys --new-private`` prints a new private key in the one-line form
the variable takes. Every app server and worker must use the same key: a browser's subscription is
bound to the public key it was made with.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from py_vapid.utils import b64urlencode

KEY_FILE = "vapid_private.pem"


class NoPushKey(LookupError):
    """No VAPID key is configured or generated yet (run ``flask push keys``)."""


class BadPushKey(ValueError):
    """LOYPE_VAPID_PRIVATE_KEY holds no P-256 private key (a public key pasted, a typo)."""


def _configured(text: str) -> Vapid:
    """Return the key written in LOYPE_VAPID_PRIVATE_KEY; BadPushKey if it is none.

    The error never repeats the text: it is meant to be a secret.
    """
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = Vapid.from_pem(text.encode())
        else:
            key = Vapid.from_string(text)
        private = key.private_key
    except Exception:  # noqa: BLE001 - base64, DER and curve errors all mean the same here
        private = None
    if not isinstance(private, ec.EllipticCurvePrivateKey) or not isinstance(
        private.curve, ec.SECP256R1
    ):
        raise BadPushKey(
            "LOYPE_VAPID_PRIVATE_KEY is not a VAPID private key (a P-256 private key as PEM, "
            "or base64url raw or DER; the public key `flask push keys` shows does not work "
            "here). Unset it and run `flask --app wsgi push keys --new-private` for a new one."
        )
    return key


def check_configured(config: dict) -> None:
    """Raise BadPushKey if LOYPE_VAPID_PRIVATE_KEY is set but holds no usable key."""
    if config.get("VAPID_PRIVATE_KEY"):
        _configured(config["VAPID_PRIVATE_KEY"])


def _key_file(instance_path: str | Path) -> Path:
    return Path(instance_path) / KEY_FILE


def load(config: dict, instance_path: str | Path) -> Vapid:
    """Return the VAPID key from the configuration or the instance folder."""
    configured = config.get("VAPID_PRIVATE_KEY")
    if configured:
        return _configured(configured)
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


def new_private_key() -> tuple[Vapid, str]:
    """Return a new key and its private half as LOYPE_VAPID_PRIVATE_KEY takes it: base64url
    of the raw 32-byte private value, one line (fits an environment file)."""
    key = Vapid()
    key.generate_keys()
    value = key.private_key.private_numbers().private_value
    return key, b64urlencode(value.to_bytes(32, "big"))


def application_server_key(key: Vapid) -> str:
    """Return the public key as the browser's ``applicationServerKey`` (base64url, 65 bytes)."""
    raw = key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64urlencode(raw)
