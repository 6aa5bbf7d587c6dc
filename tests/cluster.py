"""Several app servers behind nginx, as deploy/nginx.conf sets them up, on one database.

Used by tests/test_scale_out.py and bench/scale_out.py. Each app server is gunicorn with
gunicorn.conf.py (the production settings); nginx runs deploy/nginx.conf itself, with only the
ports and the certificate (a self-signed one made here) replaced, inside a minimal nginx.conf
that keeps every file in a temporary folder.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx.conf"


def nginx_path() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None
    )


def require_nginx(what: str) -> None:
    """Skip the calling test, loudly, when nginx is missing; in CI (which installs it), fail."""
    if nginx_path() is None:
        import pytest

        message = f"Debian's nginx is needed for {what} (apt-get install nginx)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, **kwargs) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} stopped with exit code {process.returncode}")
        try:
            with requests.Session() as client:
                client.trust_env = False
                if client.get(url, timeout=2, **kwargs).status_code == 200:
                    return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within a minute")


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (what a real one from a CA stands in for)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def spki_pin(certificate: Path) -> str:
    """The certificate's public key as Chromium's ``--ignore-certificate-errors-spki-list``
    takes it: with it the self-signed certificate counts as valid, as a CA's would, so that
    service workers register (they refuse a certificate error)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(certificate.read_bytes())
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def site_config(
    app_ports: list[int], http_port: int, https_port: int, cert: Path, key: Path, logs: Path
):
    """Return deploy/nginx.conf with this machine's ports, certificate and log folder put in.
    Its own log goes to ``logs/loype.access.log``; each server also writes the tests' log of
    requests (``logs/access.log``)."""
    text = NGINX_CONF.read_text("utf-8")
    servers = [line for line in text.splitlines() if line.strip().startswith("server 127.0.0.1:")]
    assert len(servers) == 2, "deploy/nginx.conf names two app servers"
    indent = servers[0][: len(servers[0]) - len(servers[0].lstrip())]
    ours = "\n".join(
        f"{indent}server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;" for port in app_ports
    )
    text = text.replace(servers[0] + "\n" + servers[1], ours)
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/letsencrypt/live/loype.example.no/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/loype.example.no/privkey.pem": str(key),
        "access_log /var/log/nginx/loype.access.log loype;": (
            f"access_log {logs}/loype.access.log loype; access_log {logs}/access.log upstream;"
        ),
        "error_log /var/log/nginx/loype.error.log crit;": (
            f"error_log {logs}/loype.error.log crit;"
        ),
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


MAIN_CONF = """daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format upstream '$request_method $request_uri $status $bytes_sent $upstream_addr';
    access_log {tmp}/access.log upstream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/loype.conf;
}}
"""


@dataclass(frozen=True)
class Logged:
    """One line of nginx's access log: what was asked, the answer and who gave it."""

    method: str
    target: str  # path and query, as the client sent them
    status: int
    bytes_sent: int  # to the client: the answer's headers (HPACK on HTTP/2) and body
    upstream: str  # the app server, or "-" when nginx answered itself


@dataclass
class Cluster:
    url: str  # nginx, over HTTPS
    app_urls: list[str]  # each app server directly (plain HTTP on 127.0.0.1)
    cert: Path
    folder: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def upstreams(self) -> list[str]:
        """The app server (host:port) nginx passed each request to, in order."""
        return [entry.upstream for entry in self.requests()]

    def site_log(self, waiting_for: str, timeout: float = 10.0) -> str:
        """nginx's own access log (deploy/nginx.conf's format), once it holds ``waiting_for``.

        nginx writes a request's line after the answer's last byte has gone, so a client that
        has just read the answer can be ahead of the log (seen once in CI). After ``timeout``
        it returns what is there, for the caller's assertion to show."""
        path = self.folder / "loype.access.log"
        deadline = time.monotonic() + timeout
        while True:
            logged = path.read_text("utf-8") if path.exists() else ""
            if waiting_for in logged or time.monotonic() > deadline:
                return logged
            time.sleep(0.05)

    def requests(self) -> list[Logged]:
        """Every request nginx answered, in order (its access log)."""
        lines = (self.folder / "access.log").read_text("utf-8").splitlines()
        entries = []
        for line in lines:
            method, target, status, sent, upstream = line.split(" ")
            entries.append(Logged(method, target, int(status), int(sent), upstream))
        return entries

    def stop_app_server(self, index: int) -> None:
        process = self.processes[f"app{index}"]
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _app_env(database_url: str, secret_key: str, workers: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secret_key,
        LOYPE_TRUSTED_PROXIES="1",  # nginx, and nothing else, stands in front
        WEB_CONCURRENCY=str(workers),
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def running(
    database_url: str, secret_key: str, folder: Path, instances: int = 2, workers: int = 1
) -> Iterator[Cluster]:
    """Start ``instances`` app servers (gunicorn, ``workers`` each) and nginx in front of
    them; stop them all after."""
    nginx = nginx_path()
    assert nginx, "nginx is not installed"
    processes: dict[str, subprocess.Popen] = {}
    logs = []

    def log_file(name: str):
        logs.append(open(folder / name, "wb"))  # noqa: SIM115 (closed below)
        return logs[-1]

    env = _app_env(database_url, secret_key, workers)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    app_ports = [free_port() for _ in range(instances)]
    try:
        for index, port in enumerate(app_ports):
            processes[f"app{index}"] = subprocess.Popen(
                [gunicorn, "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_file(f"app{index}.log"),
            )  # fmt: skip
        cert, key = _certificate(folder)
        http_port, https_port = free_port(), free_port()
        (folder / "loype.conf").write_text(
            site_config(app_ports, http_port, https_port, cert, key, folder), "utf-8"
        )
        (folder / "nginx.conf").write_text(MAIN_CONF.format(tmp=folder), "utf-8")
        processes["nginx"] = subprocess.Popen(
            [nginx, "-c", str(folder / "nginx.conf"), "-p", str(folder)],
            stdout=subprocess.DEVNULL, stderr=log_file("nginx.stderr"),
        )  # fmt: skip
        app_urls = [f"http://127.0.0.1:{port}" for port in app_ports]
        for index, url in enumerate(app_urls):
            _wait_for(f"{url}/healthz", processes[f"app{index}"])
        cluster = Cluster(f"https://127.0.0.1:{https_port}", app_urls, cert, folder, processes)
        _wait_for(f"{cluster.url}/healthz", processes["nginx"], verify=str(cert))
        yield cluster
    finally:
        for name, process in processes.items():
            if process.poll() is None:  # gunicorn: SIGINT stops at once (no requests are left)
                process.send_signal(signal.SIGTERM if name == "nginx" else signal.SIGINT)
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for handle in logs:
            handle.close()
