"""Form tasks in the manner of MiniWoB++ and the website that serves them.

Five kinds of task, generated from ``(site_seed, task_id)`` (task ``i`` is of kind
``KINDS[i % 5]``; the held-out split is tasks ``0 .. TEST_TASKS - 1``):

* ``login``: sign in with a given user name and password (a "Remember me" box and
  a "Forgot your password?" link are distractors);
* ``fill``: fill a form (text fields, a country drop-down, a radio group, check
  boxes) with the values the instruction gives, then submit it;
* ``flight``: search flights (origin, destination and date drop-downs) and book the
  one that meets a constraint (the cheapest, the cheapest nonstop, the earliest
  departure or the shortest);
* ``date``: pick a date in a calendar that opens on another month (previous/next
  month links, one radio button a day) and submit it;
* ``menu``: open a nested menu and choose an item by its path (``Tools > Options >
  Privacy``).

A :class:`FormTask` holds the instruction, the gold submission (what the site must
receive for the task to succeed) and the page content. :class:`FormsApp` serves one
task; the final submission is recorded in :attr:`FormsApp.submission`, and the task
is a success when it equals the gold one on the gold fields
(:meth:`FormTask.check`).

>>> task = make_task(0, 0)
>>> task.kind, task.instruction
('login', 'Enter the username "ines_weber86" and the password "RfqXwDB", then sign in.')
>>> task.check({"username": "ines_weber86", "password": "RfqXwDB", "remember": "on"})
True
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .dom import form_encode
from .site import Request, Response, WebApp, esc, page_html

__all__ = ["KINDS", "NUM_TASKS", "TEST_TASKS", "FormTask", "FormsApp", "make_task"]

KINDS: tuple[str, ...] = ("login", "fill", "flight", "date", "menu")
NUM_TASKS = 10_000
TEST_TASKS = 100

_FIRST = ("Ava", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
          "Kira", "Liam", "Mia", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara",
          "Nina", "Omar", "Yuki", "Zoe")  # fmt: skip
_LAST = ("Adams", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hale", "Ito",
         "Jensen", "Khan", "Lopez", "Moreau", "Novak", "Okafor", "Park", "Rossi", "Shaw",
         "Tanaka", "Weber")  # fmt: skip
_CITIES = ("Boston", "Denver", "Chicago", "Seattle", "Miami", "Austin", "Atlanta", "Phoenix",
           "Portland", "Dallas")  # fmt: skip
_COUNTRIES = ("Argentina", "Canada", "France", "Germany", "India", "Japan", "Kenya", "Mexico",
              "Peru", "Spain", "Sweden", "Vietnam")  # fmt: skip
_COMPANIES = ("Acme Corp", "Blue Finch", "Cobalt Labs", "Delta Works", "Evergreen Inc",
              "Futura Ltd")  # fmt: skip
_AIRLINES = ("AA", "BA", "DL", "UA", "LH", "AF", "KL", "IB")
_MENU_TOP = ("File", "Edit", "View", "Insert", "Format", "Tools", "Window", "Help")
_MENU_ITEMS = ("New", "Open", "Save", "Export", "Print", "Options", "Settings", "Layout",
               "Zoom", "Theme", "Fonts", "Privacy", "Accounts", "Sync", "Backup", "Updates",
               "Shortcuts", "Languages", "History", "Plugins", "About", "Feedback")  # fmt: skip
_PASS_CHARS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Flight:
    code: str
    depart: int  # minutes after midnight
    duration: int  # minutes
    stops: int
    price: int

    @property
    def id(self) -> str:
        return self.code.replace(" ", "")

    def line(self) -> str:
        arrive = self.depart + self.duration
        stops = (
            "nonstop" if self.stops == 0 else f"{self.stops} stop" + ("s" if self.stops > 1 else "")
        )
        return (
            f"{self.code} · departs {_clock(self.depart)} · arrives {_clock(arrive)}"
            f"{' (+1 day)' if arrive >= 24 * 60 else ''} · {self.duration // 60}h "
            f"{self.duration % 60:02d}m · {stops} · ${self.price}"
        )


def _clock(minutes: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class FormTask:
    """One form task: ``kind``, the instruction, the ``gold`` submission (field ->
    value the site must receive) and the page content ``params``."""

    task_id: int
    site_seed: int
    kind: str
    instruction: str
    gold: dict[str, str] = field(hash=False)
    params: dict[str, Any] = field(hash=False)

    def check(self, submission: dict[str, str] | None) -> bool:
        """Whether a submission achieves the task (the gold fields all equal)."""
        if submission is None:
            return False
        return all(submission.get(k, "") == v for k, v in self.gold.items())

    # -- the flight kind ----------------------------------------------------------------

    def flights(self, origin: str, dest: str, date: str) -> list[Flight]:
        """The flights the site lists for a search (the same for every call)."""
        if origin == dest or origin not in _CITIES or dest not in _CITIES:
            return []
        if date not in self.params.get("dates", ()):
            return []
        key = [self.site_seed, self.task_id, _CITIES.index(origin), _CITIES.index(dest)]
        key.append(list(self.params["dates"]).index(date))
        rng = np.random.default_rng(key)
        out: list[Flight] = []
        codes: set[str] = set()
        for _ in range(int(rng.integers(5, 8))):
            while True:
                code = (
                    f"{_AIRLINES[int(rng.integers(len(_AIRLINES)))]} {int(rng.integers(100, 999))}"
                )
                if code not in codes:
                    codes.add(code)
                    break
            stops = int(rng.choice([0, 0, 1, 1, 2]))
            out.append(
                Flight(
                    code,
                    int(rng.integers(6 * 12, 22 * 12)) * 5,
                    int(rng.integers(90, 300)) + 55 * stops,
                    stops,
                    int(rng.integers(89, 640)),
                )
            )
        return sorted(out, key=lambda f: f.depart)


def _password(rng: np.random.Generator) -> str:
    n = int(rng.integers(6, 9))
    return "".join(_PASS_CHARS[int(i)] for i in rng.integers(0, len(_PASS_CHARS), n))


def _pick(rng: np.random.Generator, items: tuple[str, ...] | list[str]) -> str:
    return items[int(rng.integers(len(items)))]


def make_task(site_seed: int, task_id: int) -> FormTask:
    """Task ``task_id`` of the site ``site_seed`` (the same for every call)."""
    if not 0 <= task_id < NUM_TASKS:
        raise ValueError(f"task_id must be in [0, {NUM_TASKS}), got {task_id}")
    kind = KINDS[task_id % len(KINDS)]
    rng = np.random.default_rng([site_seed, task_id, 0xF0F0])
    return _MAKERS[kind](rng, site_seed, task_id)


def _make_login(rng: np.random.Generator, seed: int, tid: int) -> FormTask:
    first, last = _pick(rng, _FIRST).lower(), _pick(rng, _LAST).lower()
    style = int(rng.integers(3))
    user = [f"{first}.{last}", f"{first[0]}{last}{int(rng.integers(10, 99))}",
            f"{first}_{last}{int(rng.integers(1, 99))}"][style]  # fmt: skip
    password = _password(rng)
    text = _pick(
        rng,
        (
            f'Sign in with the username "{user}" and the password "{password}".',
            f'Log in as "{user}" using the password "{password}".',
            f'Enter the username "{user}" and the password "{password}", then sign in.',
        ),
    )
    return FormTask(tid, seed, "login", text, {"username": user, "password": password}, {})


_TEXT_FIELDS = (
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("city", "City"),
    ("company", "Company"),
    ("zip", "ZIP code"),
)
_RADIOS = (("plan", "Plan", ("Basic", "Standard", "Premium")),
           ("contact", "Preferred contact", ("Email", "Phone", "Post")))  # fmt: skip
_CHECKS = (("newsletter", "Subscribe to the newsletter"), ("terms", "I accept the terms"))


def _make_fill(rng: np.random.Generator, seed: int, tid: int) -> FormTask:
    first, last = _pick(rng, _FIRST), _pick(rng, _LAST)
    values = {
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "phone": f"555-{int(rng.integers(100, 999))}-{int(rng.integers(1000, 9999))}",
        "city": _pick(rng, _CITIES),
        "company": _pick(rng, _COMPANIES),
        "zip": f"{int(rng.integers(10000, 99999))}",
    }
    shown = [_TEXT_FIELDS[int(i)] for i in sorted(rng.permutation(len(_TEXT_FIELDS))[:5])]
    asked = [shown[int(i)] for i in sorted(rng.permutation(len(shown))[: int(rng.integers(2, 4))])]
    radio = _RADIOS[int(rng.integers(len(_RADIOS)))]
    check = _CHECKS[int(rng.integers(len(_CHECKS)))]
    gold: dict[str, str] = {name: values[name] for name, _ in asked}
    parts = [f'{label} "{values[name]}"' for name, label in asked]
    if rng.random() < 0.7:
        gold["country"] = _pick(rng, _COUNTRIES)
        parts.append(f'Country "{gold["country"]}"')
    text = "Fill in the form with " + ", ".join(parts[:-1]) + f" and {parts[-1]}"
    if rng.random() < 0.7:
        gold[radio[0]] = _pick(rng, radio[2])
        text += f', choose "{gold[radio[0]]}" as the {radio[1].lower()}'
    if rng.random() < 0.6:
        gold[check[0]] = "on"
        text += f', check "{check[1]}"'
    text += ", then submit it."
    params = {"shown": tuple(shown), "radio": radio, "checks": _CHECKS}
    return FormTask(tid, seed, "fill", text, gold, params)


_CONSTRAINTS = {
    "cheapest": ("the cheapest flight", lambda f: (f.price,)),
    "nonstop": ("the cheapest nonstop flight", lambda f: (f.stops > 0, f.price)),
    "earliest": ("the earliest flight", lambda f: (f.depart,)),
    "shortest": ("the shortest flight", lambda f: (f.duration,)),
}


def _make_flight(rng: np.random.Generator, seed: int, tid: int) -> FormTask:
    start = dt.date(2024, 1, 1) + dt.timedelta(days=int(rng.integers(0, 700)))
    dates = tuple((start + dt.timedelta(days=i)).isoformat() for i in range(10))
    proto = FormTask(tid, seed, "flight", "", {}, {"dates": dates})
    while True:
        i, j = rng.permutation(len(_CITIES))[:2]
        origin, dest = _CITIES[int(i)], _CITIES[int(j)]
        date = dates[int(rng.integers(len(dates)))]
        flights = proto.flights(origin, dest, date)
        name = _pick(rng, tuple(_CONSTRAINTS))
        phrase, key = _CONSTRAINTS[name]
        if name == "nonstop" and not any(f.stops == 0 for f in flights):
            continue
        ranked = sorted(flights, key=key)
        if key(ranked[0]) != key(ranked[1]):
            break
    day = _date_label(date)
    text = f"Book {phrase} from {origin} to {dest} on {day}."
    return FormTask(tid, seed, "flight", text, {"flight": ranked[0].id},
                    {"dates": dates, "origin": origin, "dest": dest, "date": date})  # fmt: skip


def _date_label(iso: str) -> str:
    d = dt.date.fromisoformat(iso)
    return f"{calendar.day_abbr[d.weekday()]}, {calendar.month_abbr[d.month]} {d.day}"


def _make_date(rng: np.random.Generator, seed: int, tid: int) -> FormTask:
    target = dt.date(2023, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1100)))
    shift = int(rng.integers(-3, 4))
    month = target.year * 12 + target.month - 1 + shift
    start = f"{month // 12:04d}-{month % 12 + 1:02d}"
    name = calendar.month_name[target.month]
    shown = _pick(
        rng,
        (
            f"{name} {target.day}, {target.year}",
            target.isoformat(),
            f"{target.day} {name} {target.year}",
        ),
    )
    text = f"Select {shown} in the calendar and press Submit."
    return FormTask(tid, seed, "date", text, {"date": target.isoformat()}, {"start": start})


def _make_menu(rng: np.random.Generator, seed: int, tid: int) -> FormTask:
    tops = [
        _MENU_TOP[int(i)]
        for i in sorted(rng.permutation(len(_MENU_TOP))[: int(rng.integers(4, 7))])
    ]
    tree: dict[str, Any] = {}
    for top in tops:
        children: dict[str, Any] = {}
        for i in rng.permutation(len(_MENU_ITEMS))[: int(rng.integers(3, 6))]:
            item = _MENU_ITEMS[int(i)]
            if rng.random() < 0.35:
                sub = rng.permutation(len(_MENU_ITEMS))[: int(rng.integers(2, 5))]
                children[item] = {
                    _MENU_ITEMS[int(k)]: None for k in sub if _MENU_ITEMS[int(k)] != item
                }
            else:
                children[item] = None
        tree[top] = children
    leaves = list(_leaves(tree, ()))
    path = leaves[int(rng.integers(len(leaves)))]
    shown = " > ".join(path)
    text = _pick(rng, (f"Open the menu and choose {shown}.", f"Select the menu item {shown}."))
    return FormTask(tid, seed, "menu", text, {"item": "/".join(path)}, {"tree": tree})


def _leaves(tree: dict[str, Any], prefix: tuple[str, ...]) -> Any:
    for name, sub in tree.items():
        if sub:
            yield from _leaves(sub, (*prefix, name))
        else:
            yield (*prefix, name)


_MAKERS = {
    "login": _make_login,
    "fill": _make_fill,
    "flight": _make_flight,
    "date": _make_date,
    "menu": _make_menu,
}


# -- the website ----------------------------------------------------------------------


class FormsApp(WebApp):
    """The website of one :class:`FormTask` (every kind starts at ``/``).

    The task's final action posts to the site (``/login``, ``/submit``, ``/book``,
    ``/choose``), which records :attr:`submission` and shows ``/done``.
    """

    def __init__(self, task: FormTask):
        super().__init__()
        self.task = task
        self.submission: dict[str, str] | None = None

    def _page(self, title: str, body: str) -> str:
        return page_html(title, body)

    def handle(self, request: Request) -> Response:
        kind = self.task.kind
        if request.method == "POST":
            if request.path in ("/login", "/submit", "/book", "/choose"):
                if self.submission is None:
                    self.submission = dict(request.form)
                return Response.redirect("/done")
            return Response(405, self._page("Not allowed", "<h1>Not allowed</h1>"))
        if request.path == "/done":
            ok = self.task.check(self.submission)
            self.record("done", request, ok)
            if self.submission is None:
                return Response.redirect("/")
            return Response(
                body=self._page("Submitted", "<h1>Thank you</h1><p>Your answer was recorded.</p>")
            )
        if kind == "login":
            return self._login(request)
        if kind == "fill":
            return self._fill(request)
        if kind == "flight":
            return self._flight(request)
        if kind == "date":
            return self._date(request)
        return self._menu(request)

    def _not_found(self) -> Response:
        return Response.not_found(
            self._page("Not found", '<h1>Not found</h1><p><a href="/">Start page</a></p>')
        )

    # -- login ------------------------------------------------------------------------

    def _login(self, request: Request) -> Response:
        if request.path == "/forgot":
            self.record("forgot", request)
            body = ("<h1>Reset your password</h1><p>Password reset is not available "
                    'right now.</p><p><a href="/">Back to sign in</a></p>')  # fmt: skip
            return Response(body=self._page("Reset password", body))
        if request.path != "/":
            return self._not_found()
        body = (
            '<h1>Sign in</h1><form action="/login" method="post" autocomplete="off">'
            '<p><label for="username">Username</label> '
            '<input type="text" id="username" name="username"></p>'
            '<p><label for="password">Password</label> '
            '<input type="password" id="password" name="password"></p>'
            '<p><input type="checkbox" id="remember" name="remember"> '
            '<label for="remember">Remember me</label></p>'
            '<p><button type="submit">Sign in</button></p></form>'
            '<p><a href="/forgot">Forgot your password?</a></p>'
        )
        self.record("form", request)
        return Response(body=self._page("Sign in", body))

    # -- fill -------------------------------------------------------------------------

    def _fill(self, request: Request) -> Response:
        if request.path != "/":
            return self._not_found()
        p = self.task.params
        rows = [
            f'<p><label for="{n}">{esc(label)}</label> <input type="text" id="{n}" name="{n}"></p>'
            for n, label in p["shown"]
        ]
        countries = "".join(f"<option>{c}</option>" for c in _COUNTRIES)
        rows.append(
            '<p><label for="country">Country</label> <select id="country" name="country">'
            f'<option value="">Select a country</option>{countries}</select></p>'
        )
        rname, rlabel, rvalues = p["radio"]
        radios = "".join(
            f'<input type="radio" id="{rname}-{i}" name="{rname}" value="{v}">'
            f'<label for="{rname}-{i}">{v}</label> '
            for i, v in enumerate(rvalues)
        )
        rows.append(f"<fieldset><legend>{esc(rlabel)}</legend>{radios}</fieldset>")
        for cname, clabel in p["checks"]:
            rows.append(
                f'<p><input type="checkbox" id="{cname}" name="{cname}"> '
                f'<label for="{cname}">{esc(clabel)}</label></p>'
            )
        body = (
            '<h1>Registration</h1><form action="/submit" method="post" autocomplete="off">'
            + "".join(rows)
            + '<p><button type="submit">Submit</button></p></form>'
        )
        self.record("form", request)
        return Response(body=self._page("Registration form", body))

    # -- flight -----------------------------------------------------------------------

    def _flight_form(self, origin: str = "", dest: str = "", date: str = "") -> str:
        def select(name: str, label: str, options: list[tuple[str, str]], current: str) -> str:
            opts = "".join(
                f'<option value="{esc(v)}"{" selected" if v == current else ""}>{esc(t)}</option>'
                for v, t in options
            )
            return (
                f'<p><label for="{name}">{label}</label> <select id="{name}" name="{name}">'
                f"{opts}</select></p>"
            )

        cities = [(c, c) for c in _CITIES]
        dates = [(d, _date_label(d)) for d in self.task.params["dates"]]
        return (
            '<form action="/flights" method="get" autocomplete="off">'
            + select("from", "From", [("", "Select origin"), *cities], origin)
            + select("to", "To", [("", "Select destination"), *cities], dest)
            + select("date", "Date", [("", "Select date"), *dates], date)
            + '<p><button type="submit">Search flights</button></p></form>'
        )

    def _flight(self, request: Request) -> Response:
        if request.path == "/":
            self.record("form", request)
            body = "<h1>Book a flight</h1>" + self._flight_form()
            return Response(body=self._page("Book a flight", body))
        if request.path != "/flights":
            return self._not_found()
        q = request.query
        origin, dest, date = q.get("from", ""), q.get("to", ""), q.get("date", "")
        flights = self.task.flights(origin, dest, date)
        if not (origin and dest and date):
            msg = "<p>Choose an origin, a destination and a date.</p>"
        elif origin == dest:
            msg = "<p>The origin and the destination must differ.</p>"
        elif not flights:
            msg = "<p>No flights found.</p>"
        else:
            day = esc(_date_label(date))
            msg = f"<p>{len(flights)} flights from {esc(origin)} to {esc(dest)} on {day}:</p>"
        rows = "".join(
            f'<div class="result"><div>{esc(f.line())}</div>'
            '<form action="/book" method="post" autocomplete="off">'
            f'<input type="hidden" name="flight" value="{f.id}">'
            f'<button type="submit">Book {f.code}</button></form></div>'
            for f in flights
        )
        body = f'<h1>Flights</h1>{msg}{rows}<p><a href="/">New search</a></p>'
        self.record("flights", request, origin, dest, date)
        return Response(body=self._page("Flight results", body))

    # -- date -------------------------------------------------------------------------

    def _date(self, request: Request) -> Response:
        if request.path != "/":
            return self._not_found()
        month = request.query.get("month", self.task.params["start"])
        try:
            year, mon = (int(x) for x in month.split("-"))
            if not (1900 <= year <= 2200 and 1 <= mon <= 12):
                raise ValueError(month)
        except ValueError:
            year, mon = (int(x) for x in self.task.params["start"].split("-"))
        prev_m = (year * 12 + mon - 2) // 12, (year * 12 + mon - 2) % 12 + 1
        next_m = (year * 12 + mon) // 12, (year * 12 + mon) % 12 + 1
        days = calendar.monthrange(year, mon)[1]
        radios = "".join(
            f'<input type="radio" id="d{d}" name="date" value="{year:04d}-{mon:02d}-{d:02d}">'
            f'<label for="d{d}">{d}</label> '
            + ("<br>" if (dt.date(year, mon, d).weekday() == 6) else "")
            for d in range(1, days + 1)
        )
        prev_href = "/?" + form_encode([("month", f"{prev_m[0]:04d}-{prev_m[1]:02d}")])
        next_href = "/?" + form_encode([("month", f"{next_m[0]:04d}-{next_m[1]:02d}")])
        body = (
            f"<h1>Pick a date</h1><h2>{calendar.month_name[mon]} {year}</h2>"
            f'<p><a href="{prev_href}">« Previous month</a> '
            f'<a href="{next_href}">Next month »</a></p>'
            f'<form action="/submit" method="post" autocomplete="off"><div>{radios}</div>'
            '<p><button type="submit">Submit</button></p></form>'
        )
        self.record("calendar", request, f"{year:04d}-{mon:02d}")
        return Response(body=self._page("Date picker", body))

    # -- menu -------------------------------------------------------------------------

    def _menu(self, request: Request) -> Response:
        if request.path != "/":
            return self._not_found()
        tree = self.task.params["tree"]
        open_path = tuple(x for x in request.query.get("open", "").split("/") if x)
        # keep the longest prefix that exists in the menu
        valid: list[str] = []
        node = tree
        for name in open_path:
            if isinstance(node, dict) and isinstance(node.get(name), dict):
                valid.append(name)
                node = node[name]
            else:
                break
        body = (
            '<h1>Application menu</h1><form action="/choose" method="post" autocomplete="off"><nav>'
        )
        body += self._menu_list(tree, (), tuple(valid)) + "</nav></form>"
        self.record("menu", request, tuple(valid))
        return Response(body=self._page("Menu", body))

    def _menu_list(
        self, node: dict[str, Any], prefix: tuple[str, ...], open_path: tuple[str, ...]
    ) -> str:
        items = []
        depth = len(prefix)
        for name, sub in node.items():
            path = (*prefix, name)
            if sub:
                is_open = open_path[: depth + 1] == path
                target = prefix if is_open else path  # a click on an open item closes it
                href = "/?" + form_encode([("open", "/".join(target))]) if target else "/"
                inner = self._menu_list(sub, path, open_path) if is_open else ""
                mark = "▾" if is_open else "▸"
                items.append(f'<li><a href="{esc(href)}">{esc(name)} {mark}</a>{inner}</li>')
            else:
                value = esc("/".join(path))
                button = f'<button type="submit" name="item" value="{value}">{esc(name)}</button>'
                items.append(f"<li>{button}</li>")
        return "<ul>" + "".join(items) + "</ul>"
