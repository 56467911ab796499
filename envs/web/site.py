"""The WSGI plumbing shared by the simulated websites (standard library only).

:class:`WebApp` is a WSGI application (``app(environ, start_response)``) with a
:meth:`WebApp.handle` method per site that maps a :class:`Request` to a
:class:`Response`. Every page is plain HTML (no scripts: the Content-Security-Policy
header forbids them and any load from another origin) and is sent with
``Cache-Control: no-store``, so a browser asks the server again for every page it
shows. Pages the site serves are recorded (:attr:`WebApp.views`), which is how the
envs see the pages an agent reached in either backend.

:func:`call_app` runs one request against a WSGI app in process, following
redirects as a browser does (a 303 or 302 after a POST becomes a GET).
"""

from __future__ import annotations

import html
import io
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from .dom import canonical_url, form_encode

__all__ = ["Request", "Response", "View", "WebApp", "call_app", "esc", "page_html"]

StartResponse = Callable[..., Any]

HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]

#: The longest request body read (form posts are small).
MAX_BODY = 1 << 20


def esc(text: object) -> str:
    """HTML-escape text for an element's content or a quoted attribute."""
    return html.escape(str(text), quote=True)


@dataclass
class Request:
    """A request as a site sees it: method, path, the query and form fields (first
    value of each name; ``*_all`` keep every value)."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    query_all: list[tuple[str, str]] = field(default_factory=list)
    form_all: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        raw_path = environ.get("PATH_INFO", "/") or "/"
        # PEP 3333: PATH_INFO is latin-1-decoded bytes; recover the UTF-8 text.
        try:
            path = raw_path.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            path = raw_path
        query_all = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        form_all: list[tuple[str, str]] = []
        if method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            body = environ["wsgi.input"].read(min(max(length, 0), MAX_BODY)) if length else b""
            form_all = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        return cls(
            method,
            path,
            _first(query_all),
            _first(form_all),
            query_all,
            form_all,
        )


def _first(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in pairs:
        out.setdefault(k, v)
    return out


@dataclass
class Response:
    """A page (``status`` 200 with ``body``), a redirect (``location``) or an error."""

    status: int = 200
    body: str = ""
    location: str | None = None

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(303, "", location)

    @classmethod
    def not_found(cls, body: str) -> Response:
        return cls(404, body)


@dataclass(frozen=True)
class View:
    """A page a site served: its kind (``"results"``, ``"product"``, ...), the
    canonical URL and what the page showed (site-specific)."""

    kind: str
    url: str
    data: tuple[Any, ...] = ()


_REASONS = {
    200: "OK",
    303: "See Other",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
}


class WebApp:
    """Base of the sites: WSGI entry, a lock around the site's state, and the record
    of the pages served (:attr:`views`; muted while :attr:`quiet`)."""

    def __init__(self) -> None:
        self.views: list[View] = []
        self.quiet = False
        self._lock = threading.RLock()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def record(self, kind: str, request: Request, *data: Any) -> None:
        """Note that a page of ``kind`` was served for ``request``."""
        if not self.quiet:
            url = request.path
            if request.query_all:
                url += "?" + form_encode(request.query_all)
            self.views.append(View(kind, canonical_url(url), tuple(data)))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        with self._lock:
            response = self.handle(request)
        headers = list(HEADERS)
        if response.location is not None:
            headers.append(("Location", response.location))
        body = response.body.encode("utf-8")
        headers.append(("Content-Length", str(len(body))))
        reason = _REASONS.get(response.status, "")
        start_response(f"{response.status} {reason}", headers)
        return [body]


def call_app(
    app: Callable[..., Iterable[bytes]],
    method: str,
    url: str,
    body: bytes | None = None,
    *,
    max_redirects: int = 10,
) -> tuple[int, str, str]:
    """Run a request against a WSGI app in process; follow redirects (a 301/302/303
    becomes a GET). Returns ``(status, canonical final URL, HTML)``."""
    for _ in range(max_redirects + 1):
        parts = urlsplit(url)
        raw = body or b""
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": parts.path.encode("utf-8").decode("latin-1") if parts.path else "/",
            "QUERY_STRING": parts.query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "application/x-www-form-urlencoded" if method == "POST" else "",
            "CONTENT_LENGTH": str(len(raw)),
            "wsgi.input": io.BytesIO(raw),
            "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(),
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        captured: dict[str, Any] = {}

        def start_response(
            status: str,
            headers: list[tuple[str, str]],
            exc_info: Any = None,
            captured: dict[str, Any] = captured,
        ) -> Any:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers
            return None

        chunks = app(environ, start_response)
        payload = b"".join(chunks)
        status = captured["status"]
        if status in (301, 302, 303, 307, 308):
            location = dict(captured["headers"]).get("Location", "/")
            url = urljoin(url, location)
            if status in (301, 302, 303):
                method, body = "GET", None
            continue
        return status, canonical_url(url), payload.decode("utf-8")
    raise RuntimeError(f"too many redirects from {url}")


_STYLE = (
    "body{font-family:sans-serif;margin:1.5em;max-width:60em}"
    "header{border-bottom:1px solid #ccc;margin-bottom:1em;padding-bottom:.5em}"
    ".result{margin:.6em 0}.muted{color:#666}fieldset{border:none;padding:0}"
)


def page_html(title: str, body: str) -> str:
    """A full HTML document (UTF-8, no scripts) around ``body``."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
