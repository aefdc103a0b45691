"""GraphiQL, served entirely by the gateway: the page, its scripts and its stylesheet.

The assets are npm packages at pinned versions, checked against their registry integrity
hashes when ``customer-graph graphiql-assets`` fetches them (``./dev`` runs it at set-up);
they are not committed and no CDN is asked at run time. The page's Content-Security-Policy
names only the gateway itself. Without the assets the page says how to get them.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from gateway.graphiql_page import MISSING_PAGE, PAGE, PAGE_SCRIPT

DEFAULT_ASSETS = Path(__file__).with_name("graphiql_assets")


@dataclass(frozen=True)
class Asset:
    """One file the page loads, taken from an npm package's tarball."""

    name: str
    package: str
    version: str
    integrity: str
    member: str

    @property
    def media_type(self) -> str:
        return "text/css" if self.name.endswith(".css") else "text/javascript"


ASSETS = (
    Asset(
        "react.production.min.js",
        "react",
        "18.3.1",
        "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
        "package/umd/react.production.min.js",
    ),
    Asset(
        "react-dom.production.min.js",
        "react-dom",
        "18.3.1",
        "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        "package/umd/react-dom.production.min.js",
    ),
    Asset(
        "graphiql.min.js",
        "graphiql",
        "3.8.3",
        "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
        "package/graphiql.min.js",
    ),
    Asset(
        "graphiql.min.css",
        "graphiql",
        "3.8.3",
        "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
        "package/graphiql.min.css",
    ),
)
_BY_NAME = {asset.name: asset for asset in ASSETS}


class AssetsError(Exception):
    """The assets could not be fetched or did not match their pinned integrity."""


def fetch_assets(directory: Path) -> list[Path]:
    """Fetch the pinned packages with ``npm pack``, check each tarball's integrity and write
    the files the page loads into ``directory``; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as scratch:
        for spec in sorted({(a.package, a.version, a.integrity) for a in ASSETS}):
            package, version, integrity = spec
            tarball = _npm_pack(f"{package}@{version}", Path(scratch))
            digest = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
            if f"sha512-{digest}" != integrity:
                raise AssetsError(f"{package}@{version}: the tarball does not match {integrity}")
            with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
                for asset in ASSETS:
                    if asset.package != package:
                        continue
                    member = archive.extractfile(asset.member)
                    if member is None:
                        raise AssetsError(f"{package}@{version} has no {asset.member}")
                    target = directory / asset.name
                    target.write_bytes(member.read())
                    written.append(target)
    return written


def _npm_pack(spec: str, scratch: Path) -> bytes:
    try:
        done = subprocess.run(
            ["npm", "pack", spec, "--json", "--pack-destination", str(scratch)],
            capture_output=True,
            check=True,
            text=True,
            timeout=300,
        )
    except FileNotFoundError:
        raise AssetsError("npm is not installed; GraphiQL's assets come from npm") from None
    except subprocess.CalledProcessError as exc:
        raise AssetsError(f"npm pack {spec} failed: {exc.stderr.strip()[-500:]}") from None
    filename = str(json.loads(done.stdout)[0]["filename"])
    return (scratch / filename).read_bytes()


def missing_assets(directory: Path) -> list[str]:
    return [a.name for a in ASSETS if not (directory / a.name).is_file()]


class GraphiQLPage:
    """The page and its assets, from ``directory``."""

    def __init__(self, directory: Path | None) -> None:
        self._directory = directory or DEFAULT_ASSETS

    def render(self) -> Response:
        missing = missing_assets(self._directory)
        if missing:
            html = MISSING_PAGE.format(files=", ".join(missing))
            return HTMLResponse(html, status_code=503, headers=page_headers(html))
        return HTMLResponse(PAGE, headers=page_headers(PAGE))

    async def asset(self, request: Request) -> Response:
        """``GET /graphiql/{name}``: one of the pinned files, cached by browsers for a day."""
        asset = _BY_NAME.get(request.path_params["name"])
        path = self._directory / asset.name if asset is not None else None
        if asset is None or path is None or not path.is_file():
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(
            path.read_bytes(),
            media_type=asset.media_type,
            headers={"Cache-Control": "public, max-age=86400"},
        )


def page_headers(html: str) -> dict[str, str]:
    """A CSP allowing the gateway's own assets and the page's one inline script, by hash.

    'unsafe-eval' is there because the GraphiQL bundle builds functions from strings; it is
    allowed on this page only, never on API responses.
    """
    digest = base64.b64encode(hashlib.sha256(PAGE_SCRIPT.encode()).digest()).decode()
    script = f"'self' 'sha256-{digest}' 'unsafe-eval'" if PAGE_SCRIPT in html else "'none'"
    policy = [
        "default-src 'none'",
        f"script-src {script}",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
    return {
        "Content-Security-Policy": "; ".join(policy),
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
