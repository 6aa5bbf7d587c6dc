"""Versioned static assets: one release hash for all of ``static/``, long cache lifetimes.

Every asset URL is ``/assets/<release>/<path>``. The release is a hash of the content of all
static files, so a deploy that changes any file changes every URL (relative ES module
imports keep working), browsers may cache each URL forever, and the service worker knows
exactly which files make up a release. Responses are served compressed (Brotli or gzip).

JavaScript and CSS are minified when the release is read (rjsmin, rcssmin: comments and
whitespace out, nothing renamed, so no build step and no source maps are needed); the files in
``static/`` stay as written. A release is read once per process and content: every app made
from the same files shares it. Each file has a strong ETag (a hash of what is served), so a
browser that asks again with If-None-Match gets a 304 without the body.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import posixpath
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import brotli
import rcssmin
import rjsmin
from flask import Blueprint, Flask, Response, abort, current_app, request

bp = Blueprint("assets", __name__)

COMPRESSIBLE = (".js", ".mjs", ".css", ".svg", ".json", ".webmanifest", ".html", ".txt")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/manifest+json", ".webmanifest")


#: Files already minified by their makers; left as they are.
NOT_MINIFIED = ("vendor/",)


@dataclass(frozen=True)
class Asset:
    path: str
    body: bytes
    mimetype: str
    gzip: bytes | None
    brotli: bytes | None
    etag: str


def minified(path: str, body: bytes) -> bytes:
    """Return the JavaScript or CSS without comments and needless whitespace."""
    if path.startswith(NOT_MINIFIED):
        return body
    if path.endswith((".js", ".mjs")):
        return rjsmin.jsmin(body.decode("utf-8")).encode("utf-8")
    if path.endswith(".css"):
        return rcssmin.cssmin(body.decode("utf-8")).encode("utf-8")
    return body


@dataclass(frozen=True)
class Release:
    """The static files of this deploy, read once, with their compressed forms."""

    hash: str
    assets: dict[str, Asset]

    def url(self, path: str) -> str:
        return f"/assets/{self.hash}/{path}"

    @cached_property
    def bundled(self) -> list[str]:
        """The paths of the modules in the app's bundle (APP_BUNDLE)."""
        return list(app_bundle(self.assets))

    @classmethod
    def load(cls, root: Path) -> Release:
        files = {
            file.relative_to(root).as_posix(): file.read_bytes()
            for file in sorted(p for p in root.rglob("*") if p.is_file())
        }
        files[PICTOGRAM_CSS] = pictogram_css(root / "icons" / "pictograms")
        digest = hashlib.sha256()
        for relative, body in sorted(files.items()):
            digest.update(relative.encode() + b"\0" + body)
        release_hash = digest.hexdigest()[:12]
        known = _RELEASES.get(release_hash)
        if known is None:
            assets = _prepared(files)
            bundle = json.dumps(app_bundle(assets), ensure_ascii=False, separators=(",", ":"))
            assets[APP_BUNDLE] = _asset(APP_BUNDLE, bundle.encode("utf-8"))
            known = _RELEASES[release_hash] = cls(release_hash, assets)
        return known


#: Releases read in this process, by hash: minifying and Brotli 11 take a few seconds, and
#: each test makes an app of its own from the same files.
_RELEASES: dict[str, Release] = {}


def _prepared(files: dict[str, bytes]) -> dict[str, Asset]:
    return {
        relative: _asset(relative, minified(relative, source))
        for relative, source in sorted(files.items())
    }


#: What a compressed answer adds to its headers ("Content-Encoding: gzip"): a file is sent
#: compressed only when that saves more. Small files count too: on a first visit the five
#: scripts and icons under 512 bytes went uncompressed, about 1 KB more than they needed.
ENCODING_HEADER = len("Content-Encoding: gzip\r\n")


def _smaller(body: bytes, compressed: bytes) -> bytes | None:
    return compressed if len(compressed) + ENCODING_HEADER < len(body) else None


def _asset(relative: str, body: bytes) -> Asset:
    mimetype = mimetypes.guess_type(relative)[0] or "application/octet-stream"
    text = relative.endswith(COMPRESSIBLE)
    return Asset(
        relative,
        body,
        mimetype,
        _smaller(body, gzip.compress(body, 9, mtime=0)) if text else None,
        _smaller(body, brotli.compress(body, quality=11)) if text else None,
        hashlib.sha256(body).hexdigest()[:20],
    )


#: The participant app's modules in one JSON document, ``{path: text}``, which the service
#: worker installs from one download instead of a request for each (issue 12: 24 modules,
#: each with its HTTP/1.1 headers and compressed on its own, were 34.7 KB; together 19.4 KB).
#: The modules stay plain files, each served at its own URL as well.
APP_BUNDLE = "bundle/app.json"
APP_ENTRY = "js/app/main.js"
#: Scripts already in the browser's HTTP cache when the worker installs, with what they
#: import statically: the worker's own (its script loader fetched them) and those of /me/,
#: the page that installs it. In the bundle they would cross the network twice. What they
#: import only when asked (leave.js's ``import("./app/session.js")`` on signing out) has not
#: been fetched, so it stays in the bundle rather than coming on its own.
LOADED_BEFORE_INSTALL = ("js/sw-main.js", "js/open-app.js", "js/leave.js")

#: A relative module specifier in a static import or export: import … from "./x.js",
#: import "./x.js", export … from "./x.js"; minified or not.
_STATIC_SPECIFIER = re.compile(
    r"""(?:\bimport\s*(?:[\w*{}\s,$]+?\s*from\s*)?|\bexport\s*[\w*{}\s,$]+?\s*from\s*)"""
    r"""["'](\.{1,2}/[^"']+)["']"""
)
#: The same in a dynamic import: import("./x.js").
_DYNAMIC_SPECIFIER = re.compile(r"""\bimport\s*\(\s*["'](\.{1,2}/[^"']+)["']""")


def module_graph(assets: dict[str, Asset], entry: str, *, dynamic: bool = True) -> set[str]:
    """Return the paths of ``entry`` and every module it imports, directly or not; with
    ``dynamic=False`` only what loading ``entry`` fetches (static imports)."""
    patterns = (_STATIC_SPECIFIER, _DYNAMIC_SPECIFIER) if dynamic else (_STATIC_SPECIFIER,)
    found: set[str] = set()
    waiting = [entry]
    while waiting:
        path = waiting.pop()
        if path in found or path not in assets:
            continue
        found.add(path)
        text = assets[path].body.decode("utf-8")
        for specifier in (hit for pattern in patterns for hit in pattern.findall(text)):
            waiting.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), specifier)))
    return found


def app_bundle(assets: dict[str, Asset]) -> dict[str, str]:
    """Return the modules of the participant app that the worker downloads when installing."""
    wanted = module_graph(assets, APP_ENTRY)
    for entry in LOADED_BEFORE_INSTALL:
        wanted -= module_graph(assets, entry, dynamic=False)
    return {path: assets[path].body.decode("utf-8") for path in sorted(wanted)}


#: All pictograms in one stylesheet (one request, compressed, kept offline with the release).
PICTOGRAM_CSS = "css/pictograms.css"


def pictogram_css(folder: Path) -> bytes:
    """Return a rule ``.picto-NAME { --picto: url(data:…) }`` per pictogram file."""
    rules = ["/* Generated from static/icons/pictograms/*.svg by webapp/assets.py */"]
    for svg in sorted(folder.glob("*.svg")):
        data = " ".join(svg.read_text("utf-8").split()).replace('"', "'")
        data = data.replace("#", "%23").replace("<", "%3C").replace(">", "%3E")
        rules.append(f'.picto-{svg.stem} {{ --picto: url("data:image/svg+xml,{data}"); }}')
    return ("\n".join(rules) + "\n").encode()


def release() -> Release:
    return current_app.extensions["loype_release"]


def asset_url(path: str) -> str:
    """Return the versioned URL of a file under ``static/``."""
    return release().url(path)


def encode(body: bytes, gz: bytes | None, br: bytes | None) -> tuple[bytes, str | None]:
    """Pick the best encoding the client accepts."""
    accepted = request.accept_encodings
    if br is not None and accepted["br"]:
        return br, "br"
    if gz is not None and accepted["gzip"]:
        return gz, "gzip"
    return body, None


@bp.get("/assets/<release_hash>/<path:path>")
def serve(release_hash: str, path: str):
    current = release()
    asset = current.assets.get(path)
    if asset is None:
        abort(404)
    body, encoding = encode(asset.body, asset.gzip, asset.brotli)
    response = Response(body, mimetype=asset.mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    if release_hash == current.hash:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        # The ETag names the file's content in its encoding: a revalidation (the service
        # worker's script loader makes one on install) costs a 304, no body.
        response.set_etag(f"{asset.etag}-{encoding or 'identity'}")
        response = response.make_conditional(request)
        del response.headers["Date"]  # make_conditional adds one; the server sends its own
        return response
    # An old release's URL: serve today's file, but never let it be kept as that release.
    response.headers["Cache-Control"] = "no-cache"
    return response


def compress_response(response: Response) -> Response:
    """Compress dynamic text responses (pages, JSON) the client accepts compressed."""
    if (
        response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
        or response.status_code < 200
        or response.status_code in (204, 304)
        or not (response.mimetype or "").startswith(("text/", "application/"))
        or response.mimetype == "application/octet-stream"
    ):
        return response
    data = response.get_data()
    if len(data) < 512:
        return response
    accepted = request.accept_encodings
    encoding = "br" if accepted["br"] else "gzip" if accepted["gzip"] else None
    if encoding is None:
        return response
    if "ETag" in response.headers:
        # A representation with an ETag is fetched once per phone and kept (a questionnaire
        # document, the worker's script), and many phones fetch the same: compressed the
        # slowest, smallest way, once per process.
        response.set_data(_kept_compressed(data, encoding))
    elif encoding == "br":  # pages change per request: a fast level
        response.set_data(brotli.compress(data, quality=5))
    else:
        response.set_data(gzip.compress(data, 6, mtime=0))
    response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    return response


#: How many compressed representations a process keeps (a questionnaire document is about
#: 10 KB compressed: a version in each of eleven languages, twice over, is well within it).
KEEP_COMPRESSED = 64
_kept: OrderedDict[tuple[bytes, str], bytes] = OrderedDict()
_kept_lock = threading.Lock()


def _kept_compressed(data: bytes, encoding: str) -> bytes:
    """Return ``data`` compressed at the highest level, compressing each content only once.

    Brotli at level 11 took 30 ms for the mapping questionnaire's document (38 KB), fifteen
    times what building the answer took, for every phone that fetched it (issue 12). Kept by
    a hash of the content itself, not by the ETag, so nothing but these very bytes can ever get
    them; the least recently used go first.
    """
    key = (hashlib.sha256(data).digest(), encoding)
    with _kept_lock:
        kept = _kept.get(key)
        if kept is not None:
            _kept.move_to_end(key)
            return kept
    if encoding == "br":
        compressed = brotli.compress(data, quality=11)
    else:
        compressed = gzip.compress(data, 9, mtime=0)
    with _kept_lock:
        _kept[key] = compressed
        while len(_kept) > KEEP_COMPRESSED:
            _kept.popitem(last=False)
    return compressed


def init_app(app: Flask) -> None:
    app.extensions["loype_release"] = Release.load(Path(app.static_folder))
    app.register_blueprint(bp)
    app.after_request(compress_response)
    app.jinja_env.globals["asset_url"] = asset_url
