"""The two ways a web env reaches its website.

:class:`InProcessBackend` calls the WSGI app directly (:func:`~rewardgym.envs.web.
site.call_app`), parses the HTML it returns into a :class:`~rewardgym.envs.web.dom.
Page` and carries out actions on that page: typing and clicking a radio button
change the page's control state, a link or a submit button builds the request a
browser would send (:meth:`~rewardgym.envs.web.dom.Page.submission`). No browser,
no socket.

:class:`BrowserBackend` serves the same app on ``127.0.0.1`` (an ephemeral port, a
thread) and drives Chromium through Playwright: headless, a fresh browser context
(an empty profile: no cookies, no storage, no cache) per env, every request outside
the local server aborted by a route and any other host name unresolvable
(``--host-resolver-rules``). After every action it reads the live DOM
(``outerHTML``, with a ``data-rg`` number stamped on each element so that the
element behind an id can be found again) and the state of the form controls, and
parses them with the same code as the in-process backend.

Both return a :class:`~rewardgym.envs.web.dom.Page`; both are driven by the env
with the same calls (:meth:`open`, :meth:`goto`, :meth:`click`, :meth:`fill`,
:meth:`select`).

The browser is found with :func:`find_chromium`: ``$REWARDGYM_CHROMIUM``, then
``chromium``, ``chromium-browser``, ``google-chrome`` on the ``PATH``, then a
browser installed by ``playwright install``. One Chromium process is shared by the
envs of a process (each with its own context); Playwright's synchronous API ties it
to the thread that started it.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .dom import Element, Page, canonical_url, parse_template, sanitize_value
from .site import WebApp, call_app

__all__ = [
    "BackendError",
    "BrowserBackend",
    "InProcessBackend",
    "browser_available",
    "find_chromium",
    "shutdown_browser",
]

CHROMIUM_ENV = "REWARDGYM_CHROMIUM"
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class BackendError(RuntimeError):
    """An action the backend could not carry out (a browser timeout, a closed page)."""


class _AppHolder:
    """The WSGI callable the server serves: forwards to the env's current app (the
    app changes between episodes; the server does not)."""

    def __init__(self) -> None:
        self.app: WebApp | None = None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no site loaded"]
        return self.app(environ, start_response)


class InProcessBackend:
    """Requests go straight to the WSGI app; pages are parsed in Python."""

    name = "inprocess"

    def __init__(self) -> None:
        self.app: WebApp | None = None
        self.page: Page | None = None

    def _request(self, method: str, url: str, body: bytes | None = None) -> Page:
        assert self.app is not None
        _, final, html = call_app(self.app, method, url, body)
        self.page = Page(parse_template(html), final)
        return self.page

    def open(self, app: WebApp, url: str) -> Page:
        self.app = app
        return self._request("GET", url)

    def goto(self, url: str) -> Page:
        return self._request("GET", url)

    def click(self, el: Element) -> Page:
        page = self.page
        assert page is not None
        if el.tag == "a" and "href" in el.attrs:
            return self._request("GET", page.link_target(el))
        if page.is_submit(el):
            method, url, body = page.submission(el)
            return self._request(method, url, body)
        if el.tag == "input" and el.input_type in ("checkbox", "radio"):
            page.click_toggle(el)
        return page

    def fill(self, el: Element, text: str) -> Page:
        assert self.page is not None
        self.page.set_value(el, text)
        return self.page

    def select(self, el: Element, index: int) -> Page:
        assert self.page is not None
        self.page.select(el, index)
        return self.page

    def scroll(self, fraction: float) -> None:
        """Nothing to move: the in-process view is the env's line window."""

    def screenshot(self) -> np.ndarray:
        raise BackendError("screenshots need backend='browser'")

    def close(self) -> None:
        self.page = None


# -- the browser ----------------------------------------------------------------------


def find_chromium() -> str | None:
    """The Chromium executable to launch, or ``None`` when there is none: the path in
    ``$REWARDGYM_CHROMIUM``, then ``chromium``/``chromium-browser``/``google-chrome``
    on the ``PATH``, then Playwright's own download if one is installed."""
    override = os.environ.get(CHROMIUM_ENV)
    if override:
        return override if os.path.exists(override) else None
    for name in _CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:  # a browser fetched by `playwright install chromium`
        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception:
        return None
    return path if path and os.path.exists(path) else None


def browser_available() -> tuple[bool, str]:
    """Whether the browser backend can run here, and if not, why."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False, "playwright is not installed (pip install 'rewardgym[web]')"
    path = find_chromium()
    if path is None:
        return False, (
            f"no Chromium found (install it, e.g. apt-get install chromium, or set "
            f"{CHROMIUM_ENV} to its path)"
        )
    return True, path


def _launch_args() -> list[str]:
    args = [
        # every host name but the local server fails to resolve: nothing reaches the
        # network even outside the page (background services, prefetch)
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-domain-reliability",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--no-first-run",
        "--no-pings",
        "--disable-auto-reload",  # a blocked page must not retry by itself
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
        "--disable-dev-shm-usage",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return args


class _SharedChromium:
    """One Playwright driver and one Chromium per process (per executable)."""

    def __init__(self) -> None:
        self.playwright: Any = None
        self.browser: Any = None
        self.path: str | None = None
        self.thread: int | None = None

    def get(self, path: str) -> Any:
        if self.browser is not None and self.browser.is_connected() and self.path == path:
            if threading.get_ident() != self.thread:
                raise BackendError(
                    "the browser backend was started in another thread; Playwright's "
                    "synchronous API works from the thread that started it"
                )
            return self.browser
        self.close()
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        try:
            self.browser = self.playwright.chromium.launch(
                executable_path=path, headless=True, args=_launch_args()
            )
        except Exception:
            self.playwright.stop()
            self.playwright = None
            raise
        self.path = path
        self.thread = threading.get_ident()
        return self.browser

    def close(self) -> None:
        if self.browser is not None:
            with contextlib.suppress(Exception):  # already gone (the process exits)
                self.browser.close()
        if self.playwright is not None:
            with contextlib.suppress(Exception):
                self.playwright.stop()
        self.browser = self.playwright = None


_SHARED = _SharedChromium()
atexit.register(_SHARED.close)


def shutdown_browser() -> None:
    """Close the shared Chromium (envs still open start a new one when used)."""
    _SHARED.close()


# Stamps a number on every element, and reads the URL, the DOM and the state of the
# form controls (typed values, checked boxes, selected options).
_SNAPSHOT_JS = """() => {
  const all = document.getElementsByTagName('*');
  for (let i = 0; i < all.length; i++) all[i].setAttribute('data-rg', String(i));
  const state = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const t = (el.getAttribute('type') || '').toLowerCase();
    if (el.tagName === 'SELECT') state.push([el.dataset.rg, 's', el.selectedIndex]);
    else if (t === 'checkbox' || t === 'radio') state.push([el.dataset.rg, 'c', el.checked]);
    else state.push([el.dataset.rg, 'v', el.value]);
  }
  return {url: location.href, html: document.documentElement.outerHTML, state: state};
}"""

_SCROLL_JS = (
    "f => window.scrollTo(0, f * Math.max(0, document.documentElement.scrollHeight"
    " - window.innerHeight))"
)


def _make_server(app: Callable[..., Any]) -> Any:
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Handler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # no request log
            pass

    return make_server("127.0.0.1", 0, app, server_class=Server, handler_class=Handler)


class BrowserBackend:
    """Chromium through Playwright, on the app served at ``127.0.0.1`` (see the
    module docstring). Started lazily by the first :meth:`open`.

    ``requests`` lists the URLs the page asked for (the last 1000) and ``blocked``
    those the route refused (anything not on the local server).
    """

    name = "browser"

    def __init__(
        self,
        chromium_path: str | None = None,
        *,
        viewport: tuple[int, int] = (800, 600),
        timeout_s: float = 10.0,
    ) -> None:
        ok, why = browser_available() if chromium_path is None else (True, chromium_path)
        if not ok:
            raise RuntimeError(f"backend='browser' cannot start: {why}")
        self.chromium_path = why
        self.viewport = (int(viewport[0]), int(viewport[1]))
        self.timeout_ms = float(timeout_s) * 1000.0
        self.holder = _AppHolder()
        self.requests: collections.deque[str] = collections.deque(maxlen=1000)
        self.blocked: list[str] = []
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._context: Any = None
        self._page: Any = None
        self.page: Page | None = None
        self._restore: Page | None = None

    # -- lifecycle --------------------------------------------------------------------

    @property
    def origin(self) -> str:
        if self._server is None:
            raise BackendError("the browser backend is not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    def _ensure(self) -> None:
        if self._server is None:
            self._server = _make_server(self.holder)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="rewardgym-web-server",
                daemon=True,
            )
            self._thread.start()
        if self._context is None:
            browser = _SHARED.get(self.chromium_path)
            self._context = browser.new_context(
                viewport={"width": self.viewport[0], "height": self.viewport[1]},
                java_script_enabled=True,  # the snapshot script; the site itself has none
                service_workers="block",
                accept_downloads=False,
            )
            self._context.set_default_timeout(self.timeout_ms)
            self._context.route("**/*", self._route)
        if self._page is None or self._page.is_closed():
            self._page = self._context.new_page()
            self._page.on("request", lambda r: self.requests.append(r.url))
            if self._restore is not None:
                self._restore_page(self._restore)
                self._restore = None

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.origin + "/"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def close(self) -> None:
        if self._context is not None:
            with contextlib.suppress(Exception):  # the browser is already gone
                self._context.close()
        self._context = self._page = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self._thread = None

    def __getstate__(self) -> dict[str, Any]:
        # Playwright caches wrappers of handlers on their owner (``_pw_*``); they and
        # the live browser objects stay behind.
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_pw_")}
        for key in ("_server", "_thread", "_context", "_page"):
            state[key] = None
        state["requests"] = list(self.requests)
        state["_restore"] = self.page  # re-opened (quietly) at the next use
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["requests"] = collections.deque(state["requests"], maxlen=1000)
        self.__dict__.update(state)

    def _restore_page(self, page: Page) -> None:
        app = self.holder.app
        if app is not None:
            app.quiet = True
        try:
            self._page.goto(self.origin + page.url, wait_until="load")
        finally:
            if app is not None:
                app.quiet = False
        fresh = self._snapshot()
        for entry in page.template.interactive:
            el = entry.element
            if el is None or el.tag not in ("input", "select", "textarea"):
                continue
            target = fresh.template.elements[page.template.elements.index(el)]
            loc = self._locate(target)
            if el.tag == "select":
                if page.selected_index(el) != fresh.selected_index(target):
                    loc.select_option(index=page.selected_index(el))
            elif el.input_type in ("checkbox", "radio"):
                if page.is_checked(el) != fresh.is_checked(target):
                    loc.set_checked(page.is_checked(el))
            elif page.value(el) != fresh.value(target):
                loc.fill(page.value(el))
        self.page = self._snapshot()

    # -- actions ----------------------------------------------------------------------

    def _snapshot(self) -> Page:
        data = self._page.evaluate(_SNAPSHOT_JS)
        template = parse_template(data["html"])
        page = Page(template, canonical_url(data["url"]))
        for rg, kind, value in data["state"]:
            el = template.by_rg.get(rg)
            if el is not None:
                page.set_state(el, kind, value)
        self.page = page
        return page

    def _locate(self, el: Element) -> Any:
        rg = el.attrs.get("data-rg")
        if rg is None:
            raise BackendError(f"{el!r} was not read from the browser")
        return self._page.locator(f'[data-rg="{rg}"]')

    def _run(self, what: str, fn: Callable[[], None]) -> Page:
        try:
            fn()
        except BackendError:
            raise
        except Exception as exc:  # Playwright's errors: timeouts, closed pages
            raise BackendError(f"the browser failed to {what}: {str(exc).splitlines()[0]}") from exc
        return self._snapshot()

    def open(self, app: WebApp, url: str) -> Page:
        """Load ``app`` and show its page ``url`` (a new episode)."""
        self.holder.app = app
        self._restore = None
        self._ensure()
        return self.goto(url)

    def goto(self, url: str) -> Page:
        self._ensure()

        def go() -> None:
            target = self.origin + url
            # Leaving an error page (an address the route refused), Chromium may
            # still commit that error page, or restart our navigation in a new
            # renderer; Playwright reports either as "interrupted by another
            # navigation". Ours is waited for; an error page is navigated away from.
            for attempt in range(4):
                try:
                    self._page.goto(target, wait_until="load")
                    return
                except Exception as exc:
                    message = str(exc)
                    if "interrupted by another navigation" not in message or attempt == 3:
                        raise
                    if f'another navigation to "{target}"' in message:
                        self._page.wait_for_url(target, wait_until="load")
                        return
                    self._page.wait_for_load_state("load")

        return self._run("load the page", go)

    def click(self, el: Element) -> Page:
        self._ensure()
        assert self.page is not None
        loc = self._locate(el)
        if self.page.navigates(el):

            def go() -> None:
                with self._page.expect_navigation(wait_until="load"):
                    loc.click()

            return self._run("click", go)
        return self._run("click", lambda: loc.click())

    def fill(self, el: Element, text: str) -> Page:
        self._ensure()
        loc = self._locate(el)
        value = sanitize_value(el.input_type, text)
        return self._run("type", lambda: loc.fill(value))

    def select(self, el: Element, index: int) -> Page:
        self._ensure()
        loc = self._locate(el)
        return self._run("select", lambda: loc.select_option(index=index))

    def scroll(self, fraction: float) -> None:
        """Scroll the window to ``fraction`` of the page (for screenshots)."""
        self._ensure()
        self._page.evaluate(_SCROLL_JS, float(fraction))

    def screenshot(self) -> np.ndarray:
        """The viewport as an (H, W, 3) uint8 array."""
        self._ensure()
        png = self._page.screenshot(type="png")
        try:
            from PIL import Image
        except ImportError as exc:  # pragma: no cover - Pillow comes with matplotlib
            raise BackendError("screenshots need Pillow (pip install pillow)") from exc
        import io

        with Image.open(io.BytesIO(png)) as img:
            return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
