"""A push-service stand-in: an HTTP server on 127.0.0.1 that takes real Web Push requests.

It checks each push as a push service would (RFC 8292: the VAPID JWT's ES256 signature against
the key in the ``Authorization`` header, which must be the server's, and its aud/exp/sub
claims; RFC 8030 headers) and decrypts the body with the subscription's private key
(RFC 8291, ``http_ece``), so a test sees exactly what would reach the phone.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserKeys:
    """What a browser keeps for one subscription: its P-256 key pair and auth secret."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def subscription(self, endpoint: str) -> dict:
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }


@dataclass
class Push:
    """One push as received and checked: headers (lower case), VAPID claims, the payload."""

    path: str
    headers: dict[str, str]
    claims: dict
    payload: dict


class PushService:
    """Start with ``start()``; ``answers[path]`` lists (status, headers) to answer in turn
    (then 201); ``received`` holds every push that passed the checks, ``rejected`` the rest.

    ``connections`` counts the connections the worker opened; while ``down`` is set, each is
    closed unanswered (after ``delay``), as a push service that is down or overloaded does.
    """

    def __init__(self, server_public_key: str, subject: str, delay: float = 0.0):
        self.server_public_key = server_public_key
        self.subject = subject
        self.delay = delay
        self.down = False
        self.connections = 0
        self.browsers: dict[str, BrowserKeys] = {}
        self.answers: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.received: list[Push] = []
        self.rejected: list[str] = []
        self.lock = threading.Lock()
        self.server = _CountingServer(self, ("127.0.0.1", 0), self._handler())
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> PushService:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def new_browser(self, name: str) -> tuple[str, dict]:
        """Return an endpoint and the subscription a browser would make for it."""
        keys = self.browsers[name] = BrowserKeys()
        endpoint = f"{self.origin}/push/{name}"
        return endpoint, keys.subscription(endpoint)

    def _check(self, path: str, headers: dict[str, str], body: bytes) -> Push:
        scheme, _, params = headers.get("authorization", "").partition(" ")
        assert scheme == "vapid", "VAPID (RFC 8292 section 3)"
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        assert fields["k"] == self.server_public_key, "signed with the server's key"
        head, claims_part, signature = fields["t"].split(".")
        assert json.loads(unb64url(head)) == {"typ": "JWT", "alg": "ES256"}
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
        raw = unb64url(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
        try:
            public.verify(der, f"{head}.{claims_part}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise AssertionError("bad VAPID signature") from None
        claims = json.loads(unb64url(claims_part))
        assert claims["aud"] == self.origin
        assert time.time() < claims["exp"] <= time.time() + 24 * 3600
        assert claims["sub"] == self.subject
        assert headers.get("content-encoding") == "aes128gcm"
        assert int(headers["ttl"]) > 0
        assert headers.get("urgency") in ("very-low", "low", "normal", "high")
        # RFC 8030 5.4: a topic is at most 32 characters of the URL-safe base64 alphabet.
        assert "topic" not in headers or re.fullmatch(r"[A-Za-z0-9_-]{1,32}", headers["topic"])
        browser = self.browsers[path.rsplit("/", 1)[-1]]
        plain = http_ece.decrypt(
            body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
        )
        return Push(path, headers, claims, json.loads(plain))

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if service.delay:
                    time.sleep(service.delay)
                try:
                    push = service._check(self.path, headers, body)
                except (AssertionError, KeyError, ValueError) as error:
                    with service.lock:
                        service.rejected.append(f"{self.path}: {error!r}")
                    self.send_response(400)
                    self.end_headers()
                    return
                with service.lock:
                    queued = service.answers.get(self.path) or []
                    status, extra = queued.pop(0) if queued else (201, {})
                    if status < 300:
                        service.received.append(push)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # keep test output quiet
                pass

        return Handler


class _CountingServer(ThreadingHTTPServer):
    """Counts each connection, and while its push service is down answers none."""

    def __init__(self, service: PushService, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service

    def verify_request(self, request, client_address) -> bool:
        service = self.service
        with service.lock:
            service.connections += 1
        if service.down and service.delay:
            time.sleep(service.delay)
        return not service.down
