"""Travel domain: travellers, flights, hotels and bookings.

Tools: find a traveller (by email) and their bookings; search flights on a route and
date; search hotels in a city; book a flight (seats) or a hotel (nights); look up or
cancel a booking.

Business rules the tools enforce (a violation is an ``execution`` error): a flight
booking needs that many seats left and a hotel booking a room left (booking full);
a traveller books a given flight at most once; only confirmed bookings can be
cancelled, which gives the seats or room back. Booking ids are ``BK`` plus a number
given in booking order (left out of the database comparison, so two bookings made in
either order give the same state). Money is in integer cents, shown as ``"$412.00"``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardgym.envs.tool_use._common import (
    FIRST_NAMES,
    LAST_NAMES,
    TODAY,
    irrelevant_request,
    money,
    pick,
    sample,
    unsupported_request,
)
from rewardgym.envs.tool_use.tasks import (
    Domain,
    Draft,
    Fact,
    answer_step,
    ask_step,
    call,
    calls_step,
)
from rewardgym.envs.tool_use.tools import (
    Tool,
    Toolbox,
    ToolFailure,
    dollars,
    integer,
    params,
    string,
)

__all__ = ["DOMAIN"]

DDL = """
CREATE TABLE travelers (
    traveler_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    tier TEXT NOT NULL
);
CREATE TABLE flights (
    flight_id TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    destination TEXT NOT NULL,
    date TEXT NOT NULL,
    departs TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents > 0),
    seats_left INTEGER NOT NULL CHECK (seats_left >= 0)
);
CREATE TABLE hotels (
    hotel_id TEXT PRIMARY KEY,
    city TEXT NOT NULL,
    name TEXT NOT NULL,
    nightly_cents INTEGER NOT NULL CHECK (nightly_cents > 0),
    rooms_left INTEGER NOT NULL CHECK (rooms_left >= 0)
);
CREATE TABLE bookings (
    booking_no INTEGER PRIMARY KEY,
    traveler_id TEXT NOT NULL REFERENCES travelers (traveler_id),
    kind TEXT NOT NULL CHECK (kind IN ('flight', 'hotel')),
    item_id TEXT NOT NULL,
    start_date TEXT NOT NULL,
    nights INTEGER,
    quantity INTEGER NOT NULL,
    total_cents INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    cancel_reason TEXT
);
CREATE INDEX flights_by_route ON flights (origin, destination, date);
CREATE INDEX bookings_by_traveler ON bookings (traveler_id);
"""

AIRPORTS = {
    "BOS": "Boston",
    "JFK": "New York",
    "ORD": "Chicago",
    "SFO": "San Francisco",
    "SEA": "Seattle",
    "MIA": "Miami",
    "DEN": "Denver",
    "LAX": "Los Angeles",
}
CODES = tuple(AIRPORTS)
DATES = tuple(f"2025-06-{d:02d}" for d in range(2, 10))
HOTEL_WORDS = ("Grand", "Harbor", "Central", "Garden", "Skyline", "Riverside", "Plaza")
TIERS = ("basic", "silver", "gold")
CANCEL_REASONS = ("change of plans", "found a better price", "illness")

AIRPORT = r"^[A-Z]{3}$"
DATE = r"^\d{4}-\d{2}-\d{2}$"
TRAVELER_ID = r"^T\d{3}$"
FLIGHT_ID = r"^FL\d{3,4}$"
HOTEL_ID = r"^H\d{3}$"
BOOKING_ID = r"^BK\d{1,6}$"


@dataclass
class Flight:
    flight_id: str
    origin: str
    destination: str
    date: str
    departs: str
    price_cents: int
    seats_left: int


@dataclass
class Hotel:
    hotel_id: str
    city: str
    name: str
    nightly_cents: int
    rooms_left: int


@dataclass
class Booking:
    booking_no: int
    traveler_id: str
    kind: str
    item_id: str
    start_date: str
    nights: int | None
    quantity: int
    total_cents: int
    status: str

    @property
    def booking_id(self) -> str:
        return f"BK{self.booking_no}"


@dataclass
class Traveler:
    traveler_id: str
    name: str
    email: str
    tier: str
    bookings: list[Booking]


@dataclass
class World:
    travelers: list[Traveler]
    flights: list[Flight]
    hotels: list[Hotel]
    bookings: list[Booking]
    routes: list[tuple[str, str]]

    def __post_init__(self) -> None:
        self._by_route: dict[tuple[str, str, str], list[Flight]] = {}
        for f in self.flights:
            self._by_route.setdefault((f.origin, f.destination, f.date), []).append(f)

    def flights_on(self, origin: str, dest: str, date: str) -> list[Flight]:
        return list(self._by_route.get((origin, dest, date), ()))

    def flight(self, fid: str) -> Flight:
        return next(f for f in self.flights if f.flight_id == fid)

    def hotel(self, hid: str) -> Hotel:
        return next(h for h in self.hotels if h.hotel_id == hid)


def build_world() -> World:
    rng = np.random.default_rng(20250602)
    routes = sample(rng, [(a, b) for a in CODES for b in CODES if a != b], 14)
    flights: list[Flight] = []
    for origin, dest in routes:
        for date in DATES:
            for _ in range(int(rng.integers(2, 4))):
                hour, minute = int(rng.integers(6, 22)), int(rng.choice([0, 15, 30, 45]))
                seats = 0 if rng.random() < 0.2 else int(rng.integers(1, 10))
                price = int(rng.integers(89, 520)) * 100
                flights.append(
                    Flight(
                        f"FL{101 + len(flights)}",
                        origin,
                        dest,
                        date,
                        f"{hour:02d}:{minute:02d}",
                        price,
                        seats,
                    )
                )
    hotels: list[Hotel] = []
    for code in CODES:
        for word in sample(rng, HOTEL_WORDS, 3):
            rooms = 0 if rng.random() < 0.2 else int(rng.integers(1, 6))
            hotels.append(
                Hotel(
                    f"H{401 + len(hotels)}",
                    code,
                    f"{word} Hotel {AIRPORTS[code]}",
                    int(rng.integers(9, 40)) * 1000 + 900,
                    rooms,
                )
            )
    names = sample(rng, [(f, s) for f in FIRST_NAMES for s in LAST_NAMES], 30)
    travelers: list[Traveler] = []
    bookings: list[Booking] = []
    for n, (first, last) in enumerate(names):
        t = Traveler(
            f"T{301 + n}",
            f"{first} {last}",
            f"{first[0]}{last}{n + 1}@mail.example".lower(),
            pick(rng, TIERS),
            [],
        )
        used: set[str] = set()
        for _ in range(int(rng.integers(1, 4))):
            if rng.random() < 0.6:
                f = pick(rng, flights)
                if f.flight_id in used:
                    continue
                used.add(f.flight_id)
                seats = int(rng.integers(1, 3))
                b = Booking(
                    len(bookings) + 1,
                    t.traveler_id,
                    "flight",
                    f.flight_id,
                    f.date,
                    None,
                    seats,
                    seats * f.price_cents,
                    "confirmed",
                )
            else:
                h = pick(rng, hotels)
                nights = int(rng.integers(1, 5))
                b = Booking(
                    len(bookings) + 1,
                    t.traveler_id,
                    "hotel",
                    h.hotel_id,
                    pick(rng, DATES),
                    nights,
                    1,
                    nights * h.nightly_cents,
                    "confirmed",
                )
            if rng.random() < 0.15:
                b.status = "cancelled"
            bookings.append(b)
            t.bookings.append(b)
        travelers.append(t)
    return World(travelers, flights, hotels, bookings, routes)


def populate(conn: sqlite3.Connection, w: World) -> None:
    conn.executemany(
        "INSERT INTO travelers VALUES (?, ?, ?, ?)",
        [(t.traveler_id, t.name, t.email, t.tier) for t in w.travelers],
    )
    conn.executemany(
        "INSERT INTO flights VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (f.flight_id, f.origin, f.destination, f.date, f.departs, f.price_cents, f.seats_left)
            for f in w.flights
        ],
    )
    conn.executemany(
        "INSERT INTO hotels VALUES (?, ?, ?, ?, ?)",
        [(h.hotel_id, h.city, h.name, h.nightly_cents, h.rooms_left) for h in w.hotels],
    )
    conn.executemany(
        "INSERT INTO bookings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
        [
            (
                b.booking_no,
                b.traveler_id,
                b.kind,
                b.item_id,
                b.start_date,
                b.nights,
                b.quantity,
                b.total_cents,
                b.status,
            )
            for b in w.bookings
        ],
    )


def value_pool(w: World) -> dict[str, tuple[Any, ...]]:
    return {
        "email": tuple(t.email for t in w.travelers),
        "traveler_id": tuple(t.traveler_id for t in w.travelers),
        "flight_id": tuple(f.flight_id for f in w.flights),
        "hotel_id": tuple(h.hotel_id for h in w.hotels),
        "booking_id": tuple(b.booking_id for b in w.bookings),
        "origin": CODES,
        "destination": CODES,
        "city": CODES,
        "date": DATES,
        "check_in": DATES,
        "reason": CANCEL_REASONS,
    }


# --------------------------------------------------------------------- tools
def _one(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...], what: str) -> tuple[Any, ...]:
    row = conn.execute(sql, args).fetchone()
    if row is None:
        raise ToolFailure(what)
    return tuple(row)


def _traveler(conn: sqlite3.Connection, tid: str) -> tuple[Any, ...]:
    return _one(
        conn, "SELECT * FROM travelers WHERE traveler_id = ?", (tid,), f"traveler {tid} not found"
    )


def _booking_view(row: tuple[Any, ...]) -> dict[str, Any]:
    no, tid, kind, item, start, nights, qty, total, status, _ = row
    out: dict[str, Any] = {"booking_id": f"BK{no}", "traveler_id": tid, "kind": kind}
    if kind == "flight":
        out.update(flight_id=item, date=start, seats=qty)
    else:
        out.update(hotel_id=item, check_in=start, nights=nights)
    out.update(total=dollars(total), status=status)
    return out


def find_traveler_by_email(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    (tid,) = _one(
        conn,
        "SELECT traveler_id FROM travelers WHERE email = ?",
        (a["email"].strip().lower(),),
        f"no traveler has the email {a['email']!r}",
    )
    return {"traveler_id": tid}


def get_traveler_details(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    tid, name, email, tier = _traveler(conn, a["traveler_id"])
    rows = conn.execute(
        "SELECT * FROM bookings WHERE traveler_id = ? ORDER BY booking_no", (tid,)
    ).fetchall()
    return {
        "traveler_id": tid,
        "name": name,
        "email": email,
        "loyalty_tier": tier,
        "bookings": [_booking_view(tuple(r)) for r in rows],
    }


def search_flights(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    for key in ("origin", "destination"):
        if a[key] not in AIRPORTS:
            raise ToolFailure(f"unknown airport {a[key]!r}; airports: {', '.join(CODES)}")
    rows = conn.execute(
        "SELECT flight_id, departs, price_cents, seats_left FROM flights "
        "WHERE origin = ? AND destination = ? AND date = ? ORDER BY departs, flight_id",
        (a["origin"], a["destination"], a["date"]),
    ).fetchall()
    return {
        "origin": a["origin"],
        "destination": a["destination"],
        "date": a["date"],
        "flights": [
            {"flight_id": f, "departs": d, "price": dollars(p), "seats_left": s}
            for f, d, p, s in rows
        ],
    }


def get_flight_details(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    fid, o, d, date, dep, price, seats = _one(
        conn,
        "SELECT * FROM flights WHERE flight_id = ?",
        (a["flight_id"],),
        f"flight {a['flight_id']} not found",
    )
    return {
        "flight_id": fid,
        "origin": o,
        "destination": d,
        "date": date,
        "departs": dep,
        "price": dollars(price),
        "seats_left": seats,
    }


def search_hotels(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    if a["city"] not in AIRPORTS:
        raise ToolFailure(f"unknown city code {a['city']!r}; codes: {', '.join(CODES)}")
    rows = conn.execute(
        "SELECT hotel_id, name, nightly_cents, rooms_left FROM hotels WHERE city = ? "
        "ORDER BY hotel_id",
        (a["city"],),
    ).fetchall()
    return {
        "city": a["city"],
        "hotels": [
            {"hotel_id": h, "name": n, "nightly_rate": dollars(c), "rooms_left": r}
            for h, n, c, r in rows
        ],
    }


def _next_booking(conn: sqlite3.Connection) -> int:
    (top,) = conn.execute("SELECT COALESCE(MAX(booking_no), 0) FROM bookings").fetchone()
    return int(top) + 1


def book_flight(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    tid = _traveler(conn, a["traveler_id"])[0]
    fid, _, _, date, _, price, seats_left = _one(
        conn,
        "SELECT * FROM flights WHERE flight_id = ?",
        (a["flight_id"],),
        f"flight {a['flight_id']} not found",
    )
    seats = int(a["seats"])
    if seats > seats_left:
        raise ToolFailure(f"flight {fid} has {seats_left} seats left, {seats} requested")
    dup = conn.execute(
        "SELECT booking_no FROM bookings WHERE traveler_id = ? AND item_id = ? "
        "AND status = 'confirmed'",
        (tid, fid),
    ).fetchone()
    if dup is not None:
        raise ToolFailure(f"traveler {tid} already has booking BK{dup[0]} on flight {fid}")
    no = _next_booking(conn)
    conn.execute("UPDATE flights SET seats_left = seats_left - ? WHERE flight_id = ?", (seats, fid))
    conn.execute(
        "INSERT INTO bookings VALUES (?, ?, 'flight', ?, ?, NULL, ?, ?, 'confirmed', NULL)",
        (no, tid, fid, date, seats, seats * price),
    )
    return {
        "booking_id": f"BK{no}",
        "flight_id": fid,
        "date": date,
        "seats": seats,
        "total": dollars(seats * price),
        "status": "confirmed",
    }


def book_hotel(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    tid = _traveler(conn, a["traveler_id"])[0]
    hid, _, name, nightly, rooms = _one(
        conn,
        "SELECT * FROM hotels WHERE hotel_id = ?",
        (a["hotel_id"],),
        f"hotel {a['hotel_id']} not found",
    )
    if rooms <= 0:
        raise ToolFailure(f"{name} ({hid}) is fully booked")
    nights = int(a["nights"])
    try:
        check_in = dt.date.fromisoformat(a["check_in"])
    except ValueError:
        raise ToolFailure(f"check_in {a['check_in']!r} is not a valid date") from None
    if check_in.isoformat() <= TODAY:
        raise ToolFailure(f"check_in must be after today ({TODAY})")
    no = _next_booking(conn)
    conn.execute("UPDATE hotels SET rooms_left = rooms_left - 1 WHERE hotel_id = ?", (hid,))
    conn.execute(
        "INSERT INTO bookings VALUES (?, ?, 'hotel', ?, ?, ?, 1, ?, 'confirmed', NULL)",
        (no, tid, hid, a["check_in"], nights, nights * nightly),
    )
    return {
        "booking_id": f"BK{no}",
        "hotel_id": hid,
        "check_in": a["check_in"],
        "nights": nights,
        "total": dollars(nights * nightly),
        "status": "confirmed",
    }


def _booking(conn: sqlite3.Connection, booking_id: str) -> tuple[Any, ...]:
    return _one(
        conn,
        "SELECT * FROM bookings WHERE booking_no = ?",
        (int(booking_id[2:]),),
        f"booking {booking_id} not found",
    )


def get_booking(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    return _booking_view(_booking(conn, a["booking_id"]))


def cancel_booking(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    row = _booking(conn, a["booking_id"])
    no, _, kind, item, _, _, qty, total, status, _ = row
    if status != "confirmed":
        raise ToolFailure(
            f"booking {a['booking_id']} is {status}; only confirmed bookings can be cancelled"
        )
    if kind == "flight":
        conn.execute(
            "UPDATE flights SET seats_left = seats_left + ? WHERE flight_id = ?", (qty, item)
        )
    else:
        conn.execute("UPDATE hotels SET rooms_left = rooms_left + 1 WHERE hotel_id = ?", (item,))
    conn.execute(
        "UPDATE bookings SET status = 'cancelled', cancel_reason = ? WHERE booking_no = ?",
        (a["reason"], no),
    )
    return {"booking_id": a["booking_id"], "status": "cancelled", "refund": dollars(total)}


_TRAVELER = {"traveler_id": string("traveler id, e.g. 'T301'", pattern=TRAVELER_ID)}
TOOLS = (
    Tool(
        "find_traveler_by_email",
        "Find a traveler's id from their email address.",
        params({"email": string("the traveler's email address", max_length=100)}),
        find_traveler_by_email,
    ),
    Tool(
        "get_traveler_details",
        "A traveler's name, loyalty tier and bookings.",
        params(_TRAVELER),
        get_traveler_details,
    ),
    Tool(
        "search_flights",
        "Flights on a route and date, with departure time, price per seat and seats left.",
        params(
            {
                "origin": string("origin airport code, e.g. 'BOS'", pattern=AIRPORT),
                "destination": string("destination airport code", pattern=AIRPORT),
                "date": string("date, YYYY-MM-DD", pattern=DATE),
            }
        ),
        search_flights,
    ),
    Tool(
        "get_flight_details",
        "One flight's route, date, time, price and seats left.",
        params({"flight_id": string("flight id, e.g. 'FL123'", pattern=FLIGHT_ID)}),
        get_flight_details,
    ),
    Tool(
        "search_hotels",
        "Hotels in a city (by airport code), with nightly rate and rooms left.",
        params({"city": string("city airport code, e.g. 'SFO'", pattern=AIRPORT)}),
        search_hotels,
    ),
    Tool(
        "book_flight",
        "Book seats on a flight for a traveler.",
        params(
            {
                **_TRAVELER,
                "flight_id": string("flight id", pattern=FLIGHT_ID),
                "seats": integer("number of seats", minimum=1, maximum=6),
            }
        ),
        book_flight,
        writes=("flights", "bookings"),
    ),
    Tool(
        "book_hotel",
        "Book one hotel room for a traveler.",
        params(
            {
                **_TRAVELER,
                "hotel_id": string("hotel id, e.g. 'H401'", pattern=HOTEL_ID),
                "check_in": string("check-in date, YYYY-MM-DD", pattern=DATE),
                "nights": integer("number of nights", minimum=1, maximum=14),
            }
        ),
        book_hotel,
        writes=("hotels", "bookings"),
    ),
    Tool(
        "get_booking",
        "One booking's details and status.",
        params({"booking_id": string("booking id, e.g. 'BK12'", pattern=BOOKING_ID)}),
        get_booking,
    ),
    Tool(
        "cancel_booking",
        "Cancel a confirmed booking; the seats or room are released.",
        params(
            {
                "booking_id": string("booking id", pattern=BOOKING_ID),
                "reason": string("why the traveler cancels", enum=CANCEL_REASONS),
            }
        ),
        cancel_booking,
        writes=("flights", "hotels", "bookings"),
    ),
)

POLICY = f"""You are a travel agency's booking assistant. Today is {TODAY}.
- Identify the traveler from their email before booking or cancelling for them.
- Book exactly what the traveler asks for; when they ask for the cheapest option, compare
  the search results and pick the cheapest one that has enough seats or rooms left.
- Only confirmed bookings can be cancelled.
- Airports and cities are given by their codes:
  {", ".join(f"{k} ({v})" for k, v in AIRPORTS.items())}.
- Tell the traveler prices exactly as the tools report them (for example $412.00)."""


# --------------------------------------------------------------------- tasks
def _email_fact(t: Traveler) -> Fact:
    return Fact("email", ("email", "e-mail", "account"), f"My email is {t.email}.")


def _cheapest(flights: list[Flight], seats: int) -> Flight | None:
    ok = [f for f in flights if f.seats_left >= seats]
    return min(ok, key=lambda f: (f.price_cents, f.flight_id)) if ok else None


def _route_with_choice(
    w: World, rng: np.random.Generator, seats: int
) -> tuple[str, str, str, Flight]:
    """A route and date with at least two flights, and its cheapest flight with
    ``seats`` seats left."""
    options = []
    for origin, dest in w.routes:
        for date in DATES:
            flights = w.flights_on(origin, dest, date)
            best = _cheapest(flights, seats)
            if len(flights) >= 2 and best is not None:
                options.append((origin, dest, date, best))
    return pick(rng, options)


def _confirmed(
    w: World, rng: np.random.Generator, kind: str | None = None
) -> tuple[Traveler, Booking]:
    options = [
        (t, b)
        for t in w.travelers
        for b in t.bookings
        if b.status == "confirmed" and (kind is None or b.kind == kind)
    ]
    return pick(rng, options)


def tc_search(w: World, rng: np.random.Generator) -> Draft:
    origin, dest = pick(rng, w.routes)
    date = pick(rng, DATES)
    text = pick(
        rng, ("Find flights from {o} to {d} on {t}.", "Which flights go from {o} to {d} on {t}?")
    )
    return Draft(
        text.format(o=origin, d=dest, t=date),
        (calls_step(call("search_flights", origin=origin, destination=dest, date=date)),),
    )


def tc_booking_info(w: World, rng: np.random.Generator) -> Draft:
    b = pick(rng, w.bookings)
    return Draft(
        f"Can you pull up booking {b.booking_id}?",
        (calls_step(call("get_booking", booking_id=b.booking_id)),),
    )


def tc_cancel(w: World, rng: np.random.Generator) -> Draft:
    _, b = _confirmed(w, rng)
    reason = pick(rng, CANCEL_REASONS)
    return Draft(
        f"Please cancel booking {b.booking_id}, the reason is {reason}.",
        (calls_step(call("cancel_booking", booking_id=b.booking_id, reason=reason)),),
    )


def tc_irrelevant(w: World, rng: np.random.Generator) -> Draft:
    return irrelevant_request(rng)


def tc_two_dates(w: World, rng: np.random.Generator) -> Draft:
    origin, dest = pick(rng, w.routes)
    d1, d2 = sorted(sample(rng, DATES, 2))
    text = f"Show me flights from {origin} to {dest} on {d1} and on {d2}."
    return Draft(
        text,
        (
            calls_step(
                call("search_flights", origin=origin, destination=dest, date=d1),
                call("search_flights", origin=origin, destination=dest, date=d2),
            ),
        ),
    )


def tc_book_flight(w: World, rng: np.random.Generator) -> Draft:
    t = pick(rng, w.travelers)
    booked = {b.item_id for b in t.bookings if b.status == "confirmed"}
    f = pick(rng, [f for f in w.flights if f.seats_left >= 2 and f.flight_id not in booked])
    seats = int(rng.integers(1, min(f.seats_left, 4) + 1))
    plural = "s" if seats > 1 else ""
    text = f"Book {seats} seat{plural} on flight {f.flight_id} for traveler {t.traveler_id}."
    return Draft(
        text,
        (
            calls_step(
                call("book_flight", traveler_id=t.traveler_id, flight_id=f.flight_id, seats=seats)
            ),
        ),
    )


def tc_flight_and_hotel_search(w: World, rng: np.random.Generator) -> Draft:
    origin, dest = pick(rng, w.routes)
    date = pick(rng, DATES)
    text = (
        f"I'm flying {origin} to {dest} on {date}: what flights are there, and which hotels "
        f"are in {dest}?"
    )
    return Draft(
        text,
        (
            calls_step(
                call("search_flights", origin=origin, destination=dest, date=date),
                call("search_hotels", city=dest),
            ),
        ),
    )


def tc_traveler_and_booking(w: World, rng: np.random.Generator) -> Draft:
    t, b = _confirmed(w, rng)
    other = pick(rng, [x for x in w.travelers if x.traveler_id != t.traveler_id])
    text = (
        f"Look up traveler {t.traveler_id} and traveler {other.traveler_id}, and booking "
        f"{b.booking_id}."
    )
    return Draft(
        text,
        (
            calls_step(
                call("get_traveler_details", traveler_id=t.traveler_id),
                call("get_traveler_details", traveler_id=other.traveler_id),
                call("get_booking", booking_id=b.booking_id),
            ),
        ),
    )


def tc_book_trip(w: World, rng: np.random.Generator) -> Draft:
    t = pick(rng, w.travelers)
    booked = {b.item_id for b in t.bookings if b.status == "confirmed"}
    f = pick(rng, [f for f in w.flights if f.seats_left >= 1 and f.flight_id not in booked])
    hotels = [h for h in w.hotels if h.city == f.destination and h.rooms_left > 0]
    if not hotels:
        return tc_rebook(w, rng)
    h = pick(rng, hotels)
    nights = int(rng.integers(1, 6))
    text = (
        f"For traveler {t.traveler_id}: book one seat on flight {f.flight_id} and a room at "
        f"hotel {h.hotel_id} from {f.date} for {nights} night{'s' if nights > 1 else ''}."
    )
    return Draft(
        text,
        (
            calls_step(
                call("book_flight", traveler_id=t.traveler_id, flight_id=f.flight_id, seats=1),
                call(
                    "book_hotel",
                    traveler_id=t.traveler_id,
                    hotel_id=h.hotel_id,
                    check_in=f.date,
                    nights=nights,
                ),
            ),
        ),
    )


def tc_rebook(w: World, rng: np.random.Generator) -> Draft:
    t, b = _confirmed(w, rng, "flight")
    booked = {x.item_id for x in t.bookings if x.status == "confirmed"}
    f = pick(
        rng, [f for f in w.flights if f.seats_left >= b.quantity and f.flight_id not in booked]
    )
    reason = pick(rng, CANCEL_REASONS)
    text = (
        f"Cancel booking {b.booking_id} ({reason}) and instead book {b.quantity} "
        f"seat{'s' if b.quantity > 1 else ''} on flight {f.flight_id} for traveler "
        f"{t.traveler_id}."
    )
    return Draft(
        text,
        (
            calls_step(
                call("cancel_booking", booking_id=b.booking_id, reason=reason),
                call(
                    "book_flight",
                    traveler_id=t.traveler_id,
                    flight_id=f.flight_id,
                    seats=b.quantity,
                ),
            ),
        ),
    )


_UNSUPPORTED = (
    "Please upgrade booking {b} to business class.",
    "Add a checked bag to my booking {b}.",
    "Change the passenger name on booking {b} to my sister's.",
    "Can you request a vegetarian meal on booking {b}?",
    "Please refund booking {b} to a different credit card.",
)


def tc_unsupported(w: World, rng: np.random.Generator) -> Draft:
    b = pick(rng, w.bookings)
    return unsupported_request(rng, _UNSUPPORTED, b=b.booking_id)


def ta_cancel(w: World, rng: np.random.Generator) -> Draft:
    t, b = _confirmed(w, rng)
    reason = pick(rng, CANCEL_REASONS)
    steps = (
        calls_step(call("get_booking", booking_id=b.booking_id)),
        calls_step(call("cancel_booking", booking_id=b.booking_id, reason=reason)),
        answer_step(
            f"Booking {b.booking_id} is cancelled; ${money(b.total_cents)} will be refunded."
        ),
    )
    return Draft(
        f"Hi, I need to cancel my booking {b.booking_id} because of {reason}.",
        steps,
        (money(b.total_cents),),
        (_email_fact(t),),
        goal=f"I want booking {b.booking_id} cancelled.",
    )


def ta_flight_price(w: World, rng: np.random.Generator) -> Draft:
    f = pick(rng, w.flights)
    t = pick(rng, w.travelers)
    steps = (
        calls_step(call("get_flight_details", flight_id=f.flight_id)),
        answer_step(
            f"Flight {f.flight_id} costs ${money(f.price_cents)} per seat and has "
            f"{f.seats_left} seats left."
        ),
    )
    return Draft(
        f"How much is a seat on flight {f.flight_id}, and how many seats are left?",
        steps,
        (money(f.price_cents), f"{f.seats_left} seat"),
        (_email_fact(t),),
        goal=f"I want the price and availability of flight {f.flight_id}.",
    )


def ta_booking_total(w: World, rng: np.random.Generator) -> Draft:
    t = pick(rng, [x for x in w.travelers if x.bookings])
    b = pick(rng, t.bookings)
    steps = (
        calls_step(call("get_booking", booking_id=b.booking_id)),
        answer_step(
            f"Booking {b.booking_id} is {b.status} and its total is ${money(b.total_cents)}."
        ),
    )
    return Draft(
        f"What's the status and the total price of my booking {b.booking_id}?",
        steps,
        (money(b.total_cents), b.status),
        (_email_fact(t),),
        goal=f"I want the status and total of booking {b.booking_id}.",
    )


_ASK_EMAIL = "Sure. What is the email address on your traveler profile?"


def ta_book_cheapest(w: World, rng: np.random.Generator) -> Draft:
    seats = int(rng.integers(1, 4))
    origin, dest, date, best = _route_with_choice(w, rng, seats)
    t = pick(rng, [x for x in w.travelers if best.flight_id not in {b.item_id for b in x.bookings}])
    total = seats * best.price_cents
    people = f"{seats} seat{'s' if seats > 1 else ''}"
    steps = (
        ask_step(_ASK_EMAIL, "email"),
        calls_step(call("find_traveler_by_email", email=t.email)),
        calls_step(call("search_flights", origin=origin, destination=dest, date=date)),
        calls_step(
            call("book_flight", traveler_id=t.traveler_id, flight_id=best.flight_id, seats=seats)
        ),
        answer_step(
            f"You're booked on flight {best.flight_id} ({people}) for a total of ${money(total)}."
        ),
    )
    opening = f"Hi, please book me the cheapest flight from {origin} to {dest} on {date}, {people}."
    return Draft(
        opening,
        steps,
        (best.flight_id, money(total)),
        (_email_fact(t),),
        goal=f"I want the cheapest flight {origin}-{dest} on {date} with {people}.",
    )


def ta_cancel_hotel(w: World, rng: np.random.Generator) -> Draft:
    options = []
    for t in w.travelers:
        hotels = [b for b in t.bookings if b.kind == "hotel" and b.status == "confirmed"]
        cities = [w.hotel(b.item_id).city for b in hotels]
        for b, c in zip(hotels, cities, strict=True):
            if cities.count(c) == 1:
                options.append((t, b, c))
    t, b, city = pick(rng, options)
    reason = pick(rng, CANCEL_REASONS)
    steps = (
        ask_step(_ASK_EMAIL, "email"),
        calls_step(call("find_traveler_by_email", email=t.email)),
        calls_step(call("get_traveler_details", traveler_id=t.traveler_id)),
        calls_step(call("cancel_booking", booking_id=b.booking_id, reason=reason)),
        answer_step(f"Your hotel booking {b.booking_id} in {AIRPORTS[city]} is cancelled."),
    )
    opening = f"Hello, I need to cancel my hotel reservation in {AIRPORTS[city]} ({reason})."
    return Draft(
        opening,
        steps,
        (b.booking_id,),
        (_email_fact(t),),
        goal=f"I want my hotel booking in {AIRPORTS[city]} cancelled.",
    )


def ta_book_hotel(w: World, rng: np.random.Generator) -> Draft:
    city = pick(rng, [c for c in CODES if any(h.city == c and h.rooms_left > 0 for h in w.hotels)])
    best = min(
        (h for h in w.hotels if h.city == city and h.rooms_left > 0),
        key=lambda h: (h.nightly_cents, h.hotel_id),
    )
    t = pick(rng, w.travelers)
    date = pick(rng, DATES)
    nights = int(rng.integers(1, 5))
    total = nights * best.nightly_cents
    steps = (
        ask_step(_ASK_EMAIL, "email"),
        calls_step(call("find_traveler_by_email", email=t.email)),
        calls_step(call("search_hotels", city=city)),
        calls_step(
            call(
                "book_hotel",
                traveler_id=t.traveler_id,
                hotel_id=best.hotel_id,
                check_in=date,
                nights=nights,
            )
        ),
        answer_step(
            f"You're booked at the {best.name} from {date} for {nights} night(s), "
            f"${money(total)} in total."
        ),
    )
    opening = (
        f"I need the cheapest available hotel room in {AIRPORTS[city]}, checking in "
        f"{date} for {nights} night{'s' if nights > 1 else ''}."
    )
    return Draft(
        opening,
        steps,
        (money(total),),
        (_email_fact(t),),
        goal=f"I want the cheapest hotel in {AIRPORTS[city]} from {date}.",
    )


def ta_trip(w: World, rng: np.random.Generator) -> Draft:
    hotels: list[Hotel] = []
    while not hotels:  # every city has a hotel with a room left (checked by the tests)
        origin, dest, date, best = _route_with_choice(w, rng, 1)
        hotels = [h for h in w.hotels if h.city == dest and h.rooms_left > 0]
    hotel = min(hotels, key=lambda h: (h.nightly_cents, h.hotel_id))
    t = pick(rng, [x for x in w.travelers if best.flight_id not in {b.item_id for b in x.bookings}])
    nights = int(rng.integers(2, 5))
    steps = (
        ask_step(_ASK_EMAIL, "email"),
        calls_step(call("find_traveler_by_email", email=t.email)),
        calls_step(
            call("search_flights", origin=origin, destination=dest, date=date),
            call("search_hotels", city=dest),
        ),
        calls_step(
            call("book_flight", traveler_id=t.traveler_id, flight_id=best.flight_id, seats=1),
            call(
                "book_hotel",
                traveler_id=t.traveler_id,
                hotel_id=hotel.hotel_id,
                check_in=date,
                nights=nights,
            ),
        ),
        answer_step(
            f"Booked: flight {best.flight_id} (${money(best.price_cents)}) and the "
            f"{hotel.name} for {nights} nights (${money(nights * hotel.nightly_cents)})."
        ),
    )
    opening = (
        f"Plan a trip for me: the cheapest flight from {origin} to {dest} on {date} "
        f"(just me), and the cheapest hotel there for {nights} nights from that day."
    )
    return Draft(
        opening,
        steps,
        (best.flight_id, money(nights * hotel.nightly_cents)),
        (_email_fact(t),),
        goal=f"A flight {origin}-{dest} on {date} and a hotel.",
    )


def ta_rebook(w: World, rng: np.random.Generator) -> Draft:
    options = []
    for t in w.travelers:
        booked = {x.item_id for x in t.bookings if x.status == "confirmed"}
        for b in t.bookings:
            if b.kind != "flight" or b.status != "confirmed":
                continue
            f = w.flight(b.item_id)
            for date in DATES:
                if date == f.date:
                    continue
                flights = [
                    x
                    for x in w.flights_on(f.origin, f.destination, date)
                    if x.flight_id not in booked
                ]
                best = _cheapest(flights, b.quantity)
                if best is not None:
                    options.append((t, b, f, date, best))
    t, b, f, date, best = pick(rng, options)
    reason = "change of plans"
    total = b.quantity * best.price_cents
    steps = (
        ask_step(
            "Of course. What's your email address and the booking number?", "email", "booking"
        ),
        calls_step(call("find_traveler_by_email", email=t.email)),
        calls_step(call("get_booking", booking_id=b.booking_id)),
        calls_step(call("search_flights", origin=f.origin, destination=f.destination, date=date)),
        calls_step(
            call("cancel_booking", booking_id=b.booking_id, reason=reason),
            call(
                "book_flight", traveler_id=t.traveler_id, flight_id=best.flight_id, seats=b.quantity
            ),
        ),
        answer_step(
            f"Booking {b.booking_id} is cancelled and you're on flight {best.flight_id} "
            f"on {date} instead, ${money(total)} in total."
        ),
    )
    opening = (
        f"My plans changed: I need to move my flight from {f.origin} to {f.destination} "
        f"to {date}, cheapest option please, same number of seats."
    )
    facts = (
        _email_fact(t),
        Fact(
            "booking",
            ("booking", "reservation", "confirmation"),
            f"The booking number is {b.booking_id}.",
        ),
    )
    return Draft(
        opening,
        steps,
        (best.flight_id, money(total)),
        facts,
        goal=f"Move my {f.origin}-{f.destination} flight to {date}.",
    )


def ta_full_flight(w: World, rng: np.random.Generator) -> Draft:
    full = [f for f in w.flights if f.seats_left == 0]
    f = pick(rng, full)
    t = pick(rng, w.travelers)
    steps = (
        ask_step(_ASK_EMAIL, "email"),
        calls_step(call("find_traveler_by_email", email=t.email)),
        calls_step(call("get_flight_details", flight_id=f.flight_id)),
        answer_step(f"I'm sorry, flight {f.flight_id} is full (0 seats left), so I can't book it."),
    )
    return Draft(
        f"Please book me one seat on flight {f.flight_id}.",
        steps,
        (f.flight_id, "full"),
        (_email_fact(t),),
        goal=f"I want a seat on flight {f.flight_id}.",
    )


DOMAIN = Domain(
    name="travel",
    title="travel agency",
    policy=POLICY,
    toolbox=Toolbox(TOOLS),
    ddl=DDL,
    build_world=build_world,
    populate=populate,
    call_tasks={
        "search": ("easy", tc_search),
        "booking_info": ("easy", tc_booking_info),
        "cancel": ("easy", tc_cancel),
        "irrelevant": ("easy", tc_irrelevant),
        "two_dates": ("medium", tc_two_dates),
        "book_flight": ("medium", tc_book_flight),
        "flight_and_hotel_search": ("medium", tc_flight_and_hotel_search),
        "traveler_and_booking": ("hard", tc_traveler_and_booking),
        "book_trip": ("hard", tc_book_trip),
        "rebook": ("hard", tc_rebook),
        "unsupported": ("hard", tc_unsupported),
    },
    agent_tasks={
        "cancel": ("easy", ta_cancel),
        "flight_price": ("easy", ta_flight_price),
        "booking_total": ("easy", ta_booking_total),
        "book_cheapest": ("medium", ta_book_cheapest),
        "cancel_hotel": ("medium", ta_cancel_hotel),
        "book_hotel": ("medium", ta_book_hotel),
        "trip": ("hard", ta_trip),
        "rebook": ("hard", ta_rebook),
        "full_flight": ("hard", ta_full_flight),
    },
    value_pool=value_pool,
    volatile={"bookings": ("booking_no",)},
)
