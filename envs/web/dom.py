"""A small DOM, the accessibility tree, and HTML form semantics, in pure Python.

Both backends of the web envs observe a page through this module: the in-process
backend parses the HTML the app served; the browser backend parses Chromium's live
DOM (``outerHTML``) and the state of its form controls. Either way the result is a
:class:`Page`, and the text the agent reads is :meth:`Page.lines`, so the two
backends show the same tree for the same page.

* :func:`parse_template` parses HTML (``html.parser``) into a :class:`PageTemplate`:
  the element tree, the title and the accessibility entries (links, buttons, text
  boxes, check boxes, radio buttons, drop-downs, headings, images and text runs),
  cached by the HTML string.
* A :class:`Page` is a template plus the state of its controls (typed values,
  checked boxes, selected options) and its URL. Interactive entries get ids
  ``1, 2, ...`` in document order: the ``[12]`` the agent writes.
* :meth:`Page.submission` builds a form submission as a browser does (the HTML
  "constructing the entry list" algorithm and the ``application/x-www-form-urlencoded``
  serializer of the URL standard, :func:`form_encode`), so that an in-process form
  post sends the same bytes as Chromium's.

>>> page = Page(parse_template(
...     '<html><head><title>Hi</title></head><body><h1>Sign in</h1>'
...     '<form action="/login" method="post"><label for="u">User</label>'
...     '<input id="u" name="user"><button>Go</button></form></body></html>'), "/")
>>> print("\\n".join(page.lines()))
heading "Sign in"
[1] textbox "User" value=""
[2] button "Go"
>>> page.set_value(page.entry(1).element, "ann lee")
>>> page.submission(page.entry(2).element)
('POST', '/login', b'user=ann+lee')
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, unquote, urljoin, urlsplit

__all__ = [
    "AXEntry",
    "Element",
    "Page",
    "PageTemplate",
    "canonical_url",
    "form_encode",
    "parse_template",
    "sanitize_value",
]

VOID = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr")
)  # fmt: skip
_SKIP = frozenset(
    ("script", "style", "head", "template", "noscript", "iframe", "object", "svg", "canvas")
)
_BLOCK = frozenset(
    ("address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div",
     "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "html",
     "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
     "tfoot", "th", "thead", "tr", "ul", "br", "legend")
)  # fmt: skip
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_TEXT_INPUTS = frozenset(("text", "search", "password", "tel", "url", "email", "number"))
_BUTTON_INPUTS = frozenset(("submit", "button", "reset", "image"))
_WS = re.compile(r"\s+")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def sanitize_value(input_type: str, text: str) -> str:
    """The value a text field keeps when ``text`` is typed into it: the HTML value
    sanitization algorithm strips line breaks from single-line fields (what Chromium
    does to ``fill``), and a ``textarea`` keeps them."""
    if input_type == "textarea":
        return _NEWLINES.sub("\n", text)
    return _NEWLINES.sub(" ", text)


# -- URL helpers ---------------------------------------------------------------------

_FORM_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._")


def _form_byte_encode(text: str) -> str:
    out: list[str] = []
    for b in text.encode("utf-8", "surrogatepass"):
        if b in _FORM_SAFE:
            out.append(chr(b))
        elif b == 0x20:
            out.append("+")
        else:
            out.append(f"%{b:02X}")
    return "".join(out)


def form_encode(pairs: list[tuple[str, str]]) -> str:
    """The ``application/x-www-form-urlencoded`` serializer of the URL standard (what
    a browser sends): bytes other than ASCII letters, digits and ``*-._`` are
    percent-encoded, a space becomes ``+``.

    >>> form_encode([("q", "blue ~jacket* & more"), ("page", "2")])
    'q=blue+%7Ejacket*+%26+more&page=2'
    """
    return "&".join(f"{_form_byte_encode(k)}={_form_byte_encode(v)}" for k, v in pairs)


def canonical_url(url: str) -> str:
    """The path and query of ``url`` in one canonical spelling (origin dropped, the
    query re-encoded with :func:`form_encode`, fragment dropped), so that the URL a
    browser reports and the URL an in-process request used compare equal.

    >>> canonical_url("http://127.0.0.1:8000/search?q=blue%20jacket&page=1#top")
    '/search?q=blue+jacket&page=1'
    """
    parts = urlsplit(url)
    path = quote(unquote(parts.path or "/"), safe="/:@!$&'()*+,;=-._~")
    if not parts.query:
        return path
    return path + "?" + form_encode(parse_qsl(parts.query, keep_blank_values=True))


# -- the element tree -----------------------------------------------------------------


@dataclass(eq=False)
class Element:
    """An element: tag, attributes, children (elements and text), its parent and its
    position in document order (``index``)."""

    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    index: int = 0
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        """The text content, whitespace collapsed (script and style skipped)."""
        parts: list[str] = []
        _collect_text(self, parts)
        return _norm("".join(parts))

    def iter(self) -> list[Element]:
        """This element and its descendants in document order."""
        out: list[Element] = []
        stack: list[Element] = [self]
        while stack:
            el = stack.pop()
            out.append(el)
            stack.extend(c for c in reversed(el.children) if isinstance(c, Element))
        return out

    def ancestor(self, tag: str) -> Element | None:
        el = self.parent
        while el is not None:
            if el.tag == tag:
                return el
            el = el.parent
        return None

    @property
    def input_type(self) -> str:
        """``input`` type (lower-case, ``text`` by default), or the tag for
        ``select``/``textarea``/``button``."""
        if self.tag == "input":
            return self.attrs.get("type", "text").lower() or "text"
        return self.tag

    def __repr__(self) -> str:  # a readable element in error messages and tests
        return f"<{self.tag} #{self.index} {self.attrs}>"


def _collect_text(el: Element, parts: list[str]) -> None:
    for c in el.children:
        if isinstance(c, str):
            parts.append(c)
        elif c.tag not in _SKIP:
            _collect_text(c, parts)
            if c.tag in _BLOCK:
                parts.append(" ")


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack: list[Element] = [self.root]
        self.count = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.count += 1
        parent = self.stack[-1]
        el = Element(tag, {k: (v if v is not None else "") for k, v in attrs}, parent, self.count)
        parent.children.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack[-1].tag == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        # pop to the matching open element; a stray end tag is ignored
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


# -- the accessibility tree -----------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AXEntry:
    """One line of the accessibility tree: a role, a name, and the element behind it
    (``None`` for a text run). Interactive entries get an id on the page."""

    role: str
    name: str
    element: Element | None = None
    interactive: bool = False
    disabled: bool = False
    depth: int = 0  # nesting in lists (ul/ol), shown as indentation


class PageTemplate:
    """A parsed page, independent of the state of its controls (see
    :func:`parse_template`, which caches templates by their HTML)."""

    def __init__(self, html: str):
        builder = _TreeBuilder()
        builder.feed(_NEWLINES.sub("\n", html))
        builder.close()
        self.html = html
        self.root = builder.root
        self.elements: list[Element] = self.root.iter()
        self.title = ""
        self.by_id: dict[str, Element] = {}
        self.by_rg: dict[str, Element] = {}
        for el in self.elements:
            if el.tag == "title" and not self.title:
                self.title = el.text()
            elif "id" in el.attrs and el.attrs["id"] not in self.by_id:
                self.by_id[el.attrs["id"]] = el
            if "data-rg" in el.attrs:
                self.by_rg[el.attrs["data-rg"]] = el
        self._labels: dict[int, str] = {}
        self._label_used: set[int] = set()
        self._find_labels()
        self.entries: list[AXEntry] = []
        self._buffer: list[str] = []
        self._depth = 0
        self._walk(self.root)
        self._flush()
        self.interactive: list[AXEntry] = [e for e in self.entries if e.interactive]
        #: the line of the tree (0-based) of each id (index ``id - 1``)
        self.id_lines: list[int] = [i for i, e in enumerate(self.entries) if e.interactive]
        self.ids: dict[int, int] = {  # element index -> id on the page
            e.element.index: i + 1 for i, e in enumerate(self.interactive) if e.element
        }
        self.static_lines: list[str | None] = [
            None if e.element is not None and e.role in _STATEFUL else _static_line(e)
            for e in self.entries
        ]
        self.radio_groups: dict[int, list[Element]] = {}
        groups: dict[tuple[int, str], list[Element]] = {}
        for el in self.elements:
            if el.tag == "input" and el.input_type == "radio" and el.attrs.get("name"):
                form = el.ancestor("form")
                key = (form.index if form else 0, el.attrs["name"])
                groups.setdefault(key, []).append(el)
        for members in groups.values():
            for el in members:
                self.radio_groups[el.index] = members
        self.options: dict[int, list[Element]] = {
            el.index: [o for o in el.iter() if o.tag == "option"]
            for el in self.elements
            if el.tag == "select"
        }
        self.default_checked: dict[int, bool] = {}
        for el in self.elements:
            if el.tag == "input" and el.input_type in ("checkbox", "radio"):
                self.default_checked[el.index] = "checked" in el.attrs
        for members in groups.values():  # one checked radio per group: the last
            checked = [el for el in members if self.default_checked[el.index]]
            for el in checked[:-1]:
                self.default_checked[el.index] = False
        self.default_selected: dict[int, int] = {}
        for idx, opts in self.options.items():
            chosen = [i for i, o in enumerate(opts) if "selected" in o.attrs]
            if chosen:
                self.default_selected[idx] = chosen[-1]
            else:
                enabled = [i for i, o in enumerate(opts) if "disabled" not in o.attrs]
                self.default_selected[idx] = enabled[0] if enabled else -1

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (parse_template, (self.html,))

    # labels -----------------------------------------------------------------------

    def _find_labels(self) -> None:
        for el in self.elements:
            if el.tag != "label":
                continue
            target: Element | None = None
            if el.attrs.get("for"):
                target = self.by_id.get(el.attrs["for"])
            else:
                target = next((c for c in el.iter()[1:] if _is_labelable(c)), None)
            if target is not None and _is_labelable(target):
                self._labels.setdefault(target.index, _label_text(el, target))
                self._label_used.add(el.index)

    def _name(self, el: Element) -> str:
        for key in ("aria-label",):
            if el.attrs.get(key, "").strip():
                return _norm(el.attrs[key])
        if el.index in self._labels:
            return self._labels[el.index]
        for key in ("placeholder", "title", "name"):
            if el.attrs.get(key, "").strip():
                return _norm(el.attrs[key])
        return ""

    # walking ------------------------------------------------------------------------

    def _flush(self) -> None:
        if self._buffer:
            text = _norm("".join(self._buffer))
            self._buffer.clear()
            if text:
                self.entries.append(AXEntry("text", text, depth=self._depth))

    def _add(self, role: str, name: str, el: Element, interactive: bool = True) -> None:
        self._flush()
        disabled = "disabled" in el.attrs or (
            el.tag in ("input", "select", "textarea", "button")
            and any("disabled" in a.attrs for a in _ancestors(el, "fieldset"))
        )
        self.entries.append(AXEntry(role, name, el, interactive, disabled, self._depth))

    def _walk(self, el: Element) -> None:
        for c in el.children:
            if isinstance(c, str):
                self._buffer.append(c)
                continue
            tag = c.tag
            if tag in _SKIP or "hidden" in c.attrs or c.attrs.get("aria-hidden") == "true":
                continue
            if tag == "title":
                continue
            if tag == "a" and "href" in c.attrs:
                self._add("link", c.attrs.get("aria-label") or c.text(), c)
            elif tag == "button":
                self._add("button", _norm(c.attrs.get("aria-label", "")) or c.text(), c)
            elif tag == "input":
                t = c.input_type
                if t == "hidden":
                    continue
                if t in _BUTTON_INPUTS:
                    default = {"submit": "Submit", "reset": "Reset"}.get(t, "")
                    name = _norm(c.attrs.get("aria-label", "") or c.attrs.get("value", default))
                    self._add("button", name or c.attrs.get("alt", ""), c)
                elif t in ("checkbox", "radio"):
                    self._add(t, self._name(c), c)
                elif t in _TEXT_INPUTS:
                    self._add("searchbox" if t == "search" else "textbox", self._name(c), c)
            elif tag == "select":
                self._add("combobox", self._name(c), c)
            elif tag == "textarea":
                self._add("textbox", self._name(c), c)
            elif tag in _HEADINGS:
                self._add("heading", c.text(), c, interactive=False)
            elif tag == "img":
                if c.attrs.get("alt", "").strip():
                    self._add("img", _norm(c.attrs["alt"]), c, interactive=False)
            elif tag == "label" and c.index in self._label_used:
                # its text names a control; the controls inside it are still walked
                for inner in c.iter()[1:]:
                    if _is_labelable(inner) and inner.ancestor("label") is c:
                        self._walk_single(inner)
            elif tag in ("ul", "ol"):
                self._flush()
                self._depth += 1
                self._walk(c)
                self._flush()
                self._depth -= 1
            elif tag in _BLOCK:
                self._flush()
                self._walk(c)
                self._flush()
            else:
                self._walk(c)

    def _walk_single(self, el: Element) -> None:
        holder = Element("#fragment", {}, None, -1, [el])
        self._walk(holder)


_STATEFUL = frozenset(("textbox", "searchbox", "checkbox", "radio", "combobox"))


def _ancestors(el: Element, tag: str) -> list[Element]:
    out = []
    p = el.parent
    while p is not None:
        if p.tag == tag:
            out.append(p)
        p = p.parent
    return out


def _is_labelable(el: Element) -> bool:
    if el.tag in ("select", "textarea", "button"):
        return True
    return el.tag == "input" and el.input_type != "hidden"


def _label_text(label: Element, target: Element) -> str:
    parts: list[str] = []

    def collect(el: Element) -> None:
        for c in el.children:
            if isinstance(c, str):
                parts.append(c)
            elif c is not target and c.tag not in _SKIP and c.tag not in ("select", "textarea"):
                collect(c)

    collect(label)
    return _norm("".join(parts))


def _static_line(e: AXEntry) -> str:
    if e.role == "text":
        return f"text {_q(e.name)}"
    return f"{e.role} {_q(e.name)}"


@functools.lru_cache(maxsize=1024)
def parse_template(html: str) -> PageTemplate:
    """The :class:`PageTemplate` of ``html`` (cached: a page served again is parsed
    once)."""
    return PageTemplate(html)


# -- a page: a template with the state of its controls --------------------------------


class Page:
    """A page as the agent sees it: a :class:`PageTemplate`, its URL (path and query,
    see :func:`canonical_url`) and the state of its controls.

    Entries that can be acted on are numbered ``1..n`` (:meth:`entry`); :meth:`lines`
    renders the accessibility tree with those ids.
    """

    def __init__(self, template: PageTemplate, url: str):
        self.template = template
        self.url = url
        self.values: dict[int, str] = {}
        self.checked: dict[int, bool] = {}
        self.selected: dict[int, int] = {}

    @property
    def title(self) -> str:
        return self.template.title

    @property
    def num_ids(self) -> int:
        return len(self.template.interactive)

    def entry(self, ax_id: int) -> AXEntry:
        """The interactive entry with id ``ax_id`` (``KeyError`` when there is none)."""
        if not 1 <= ax_id <= len(self.template.interactive):
            raise KeyError(ax_id)
        return self.template.interactive[ax_id - 1]

    def id_of(self, el: Element) -> int:
        return self.template.ids[el.index]

    # control state ----------------------------------------------------------------

    def value(self, el: Element) -> str:
        if el.index in self.values:
            return self.values[el.index]
        if el.tag == "textarea":
            return _NEWLINES.sub("\n", "".join(c for c in el.children if isinstance(c, str)))
        return sanitize_value(el.input_type, el.attrs.get("value", ""))

    def set_value(self, el: Element, text: str) -> None:
        self.values[el.index] = sanitize_value(el.input_type, text)

    def is_checked(self, el: Element) -> bool:
        return self.checked.get(el.index, self.template.default_checked.get(el.index, False))

    def selected_index(self, el: Element) -> int:
        return self.selected.get(el.index, self.template.default_selected.get(el.index, -1))

    def options(self, el: Element) -> list[str]:
        """The visible labels of a drop-down's options."""
        return [_option_label(o) for o in self.template.options.get(el.index, [])]

    def select(self, el: Element, index: int) -> None:
        self.selected[el.index] = index

    def click_toggle(self, el: Element) -> None:
        """A click on a check box (toggles) or a radio button (checks it, unchecks
        the rest of its group)."""
        if el.input_type == "checkbox":
            self.checked[el.index] = not self.is_checked(el)
            return
        for other in self.template.radio_groups.get(el.index, [el]):
            self.checked[other.index] = other is el

    def set_state(self, el: Element, kind: str, value: object) -> None:
        """Set one control's state as a browser reported it (``v`` value, ``c``
        checked, ``s`` selected index)."""
        if kind == "v":
            self.values[el.index] = str(value)
        elif kind == "c":
            self.checked[el.index] = bool(value)
        elif kind == "s":
            self.selected[el.index] = int(value)  # type: ignore[call-overload]

    # rendering ----------------------------------------------------------------------

    def lines(self) -> list[str]:
        """The accessibility tree, one entry a line, ids on interactive entries."""
        out: list[str] = []
        ids = self.template.ids
        for entry, static in zip(self.template.entries, self.template.static_lines, strict=True):
            el = entry.element
            line = static if static is not None else self._stateful_line(entry)
            if entry.interactive and el is not None:
                line = f"[{ids[el.index]}] {line}"
                if entry.disabled:
                    line += " disabled"
            out.append("  " * entry.depth + line if entry.depth else line)
        return out

    def _stateful_line(self, entry: AXEntry) -> str:
        el = entry.element
        assert el is not None
        head = f"{entry.role} {_q(entry.name)}"
        if entry.role in ("checkbox", "radio"):
            return f"{head} checked={'true' if self.is_checked(el) else 'false'}"
        if entry.role == "combobox":
            opts = self.options(el)
            i = self.selected_index(el)
            current = opts[i] if 0 <= i < len(opts) else ""
            return f"{head} value={_q(current)} options=[{', '.join(_q(o) for o in opts)}]"
        value = self.value(el)
        if el.input_type == "password":
            value = "*" * len(value)
        return f"{head} value={_q(value)}"

    # forms --------------------------------------------------------------------------

    def form_of(self, el: Element) -> Element | None:
        owner = el.attrs.get("form")
        if owner:
            form = self.template.by_id.get(owner)
            if form is not None and form.tag == "form":
                return form
        return el.ancestor("form")

    def is_submit(self, el: Element) -> bool:
        """Whether a click on ``el`` submits its form."""
        if el.tag == "button":
            kind = el.attrs.get("type", "submit").lower()
            return kind == "submit" and self.form_of(el) is not None
        if el.tag == "input" and el.input_type in ("submit", "image"):
            return self.form_of(el) is not None
        return False

    def navigates(self, el: Element) -> bool:
        """Whether a click on ``el`` loads another page (a link or a submit button)."""
        return (el.tag == "a" and "href" in el.attrs) or self.is_submit(el)

    def submission(self, submitter: Element) -> tuple[str, str, bytes | None]:
        """``(method, url, body)`` of the form submission ``submitter`` triggers."""
        form = self.form_of(submitter)
        if form is None:
            raise ValueError(f"{submitter!r} is not in a form")
        pairs: list[tuple[str, str]] = []
        for el in form.iter()[1:]:
            if self.form_of(el) is not form or "disabled" in el.attrs:
                continue
            name = el.attrs.get("name", "")
            if not name:
                continue
            if el.tag == "input":
                t = el.input_type
                if t in _BUTTON_INPUTS:
                    if el is submitter and t != "image":
                        pairs.append((name, el.attrs.get("value", "Submit")))
                elif t in ("checkbox", "radio"):
                    if self.is_checked(el):
                        pairs.append((name, el.attrs.get("value", "on")))
                elif t != "file":
                    pairs.append((name, self.value(el)))
            elif el.tag == "button":
                if el is submitter:
                    pairs.append((name, el.attrs.get("value", "")))
            elif el.tag == "select":
                opts = self.template.options.get(el.index, [])
                i = self.selected_index(el)
                if 0 <= i < len(opts):
                    pairs.append((name, _option_value(opts[i])))
            elif el.tag == "textarea":
                pairs.append((name, _NEWLINES.sub("\r\n", self.value(el))))
        method = form.attrs.get("method", "get").lower()
        action = urljoin(self.url, form.attrs.get("action", "") or self.url)
        encoded = form_encode(pairs)
        if method == "post":
            return "POST", canonical_url(action), encoded.encode("ascii")
        base = action.split("#", 1)[0].split("?", 1)[0]
        return "GET", canonical_url(f"{base}?{encoded}"), None

    def link_target(self, el: Element) -> str:
        return canonical_url(urljoin(self.url, el.attrs.get("href", "")))


def _option_label(opt: Element) -> str:
    return _norm(opt.attrs["label"]) if opt.attrs.get("label") else opt.text()


def _option_value(opt: Element) -> str:
    return opt.attrs["value"] if "value" in opt.attrs else opt.text()
