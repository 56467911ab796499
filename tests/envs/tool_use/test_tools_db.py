"""The domains' tools and the episode database: schemas, business rules,
transactions, isolation and the pickling round trip."""

from __future__ import annotations

import sqlite3

import pytest

from rewardgym.envs.tool_use import db as dbmod
from rewardgym.envs.tool_use.tasks import (
    DOMAINS,
    base_database,
    get_domain,
    split_tasks,
    table_columns,
    world,
)


def _run(conn, domain, name, **params):
    call = {"name": name, "parameters": params}
    box = get_domain(domain).toolbox
    assert box.check(call) is None, box.check(call)
    return box.run(conn, call)


def _all_rows(conn):
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != '_changes'"
        )
    ]
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_episode_gets_its_own_copy(domain):
    a, b = base_database(domain), base_database(domain)
    task = next(
        t
        for t in split_tasks("call", (domain,))
        if any(get_domain(domain).toolbox.tools[c["name"]].writes for c in t.gold_calls)
    )
    box = get_domain(domain).toolbox
    for c in task.gold_calls:
        assert box.run(a, c)[0]
    assert _all_rows(a) != _all_rows(b)
    assert _all_rows(b) == _all_rows(base_database(domain))


@pytest.mark.parametrize("domain", DOMAINS)
def test_declared_writes_cover_every_change_of_the_gold_calls(domain):
    box = get_domain(domain).toolbox
    base = _all_rows(base_database(domain))
    for kind in ("call", "agent"):
        for task in split_tasks(kind, (domain,)):
            conn = base_database(domain)
            declared = set()
            for c in task.gold_calls:
                ok, result = box.run(conn, c)
                assert ok, (task.task_id, c, result)
                declared |= set(box.tools[c["name"]].writes)
            changed = {t for t, rows in _all_rows(conn).items() if rows != base[t]}
            assert changed <= declared, task.task_id


def test_schema_violations_are_reported_not_raised():
    box = get_domain("banking").toolbox
    cases = {
        "unknown tool": ({"name": "rob_bank", "parameters": {}}, "unknown tool 'rob_bank'"),
        "missing": ({"name": "get_account", "parameters": {}}, "'account_id' is a required"),
        "unknown param": (
            {"name": "get_account", "parameters": {"account_id": "ACC100101", "pin": 1}},
            "'pin' was unexpected",
        ),
        "wrong type": (
            {"name": "list_transactions", "parameters": {"account_id": "ACC100101", "limit": "3"}},
            "is not of type 'integer'",
        ),
        "bool is no int": (
            {"name": "list_transactions", "parameters": {"account_id": "ACC100101", "limit": True}},
            "not of type",
        ),
        "bound": (
            {
                "name": "list_transactions",
                "parameters": {"account_id": "ACC100101", "limit": 10**30},
            },
            "maximum",
        ),
        "pattern": (
            {"name": "get_account", "parameters": {"account_id": "x' OR 1=1 --"}},
            "does not match",
        ),
        "enum": (
            {"name": "block_card", "parameters": {"card_id": "CARD3001", "reason": "bored"}},
            "is not one of",
        ),
        "amount": (
            {
                "name": "transfer_funds",
                "parameters": {
                    "from_account_id": "ACC100101",
                    "to_account_id": "ACC100102",
                    "amount": -5,
                },
            },
            "less than or equal to",
        ),
    }
    for label, (call, fragment) in cases.items():
        message = box.check(call)
        assert message is not None and fragment in message, (label, message)


def test_retail_rules():
    w = world("retail")
    conn = base_database("retail")
    delivered = next(o for o in w.orders if o.status == "delivered" and len(o.open_items()) >= 1)
    pending = next(o for o in w.orders if o.status == "pending")
    ok, msg = _run(
        conn, "retail", "cancel_order", order_id=delivered.order_id, reason="no longer needed"
    )
    assert not ok and "only pending orders" in msg
    ok, msg = _run(
        conn,
        "retail",
        "return_items",
        order_id=pending.order_id,
        item_ids=[pending.items[0].item_id],
        refund_method="gift_card",
    )
    assert not ok and "only delivered orders" in msg
    # A refused write leaves nothing behind: the first item's return is rolled back.
    before = _all_rows(conn)
    ok, msg = _run(
        conn,
        "retail",
        "return_items",
        order_id=delivered.order_id,
        item_ids=[delivered.open_items()[0].item_id, "I99999"],
        refund_method="original_payment",
    )
    assert not ok and "not part of order" in msg
    assert _all_rows(conn) == before
    # Exchanges stay within a category.
    item = delivered.open_items()[0]
    cat = w.product(item.product_id).category
    other = next(p for p in w.products if p.category != cat and p.stock > 0)
    ok, msg = _run(
        conn,
        "retail",
        "exchange_item",
        order_id=delivered.order_id,
        item_id=item.item_id,
        new_product_id=other.product_id,
    )
    assert not ok and "exchanges stay within a category" in msg
    # A return to the gift card credits the user and logs a refund.
    user = next(u for u in w.users if u.user_id == delivered.user_id)
    ok, result = _run(
        conn,
        "retail",
        "return_items",
        order_id=delivered.order_id,
        item_ids=[item.item_id],
        refund_method="gift_card",
    )
    assert ok and result["refund_method"] == "gift_card"
    (gift,) = conn.execute(
        "SELECT gift_card_cents FROM users WHERE user_id = ?", (user.user_id,)
    ).fetchone()
    assert gift == user.gift_card_cents + item.price_cents
    ok, msg = _run(
        conn,
        "retail",
        "return_items",
        order_id=delivered.order_id,
        item_ids=[item.item_id],
        refund_method="gift_card",
    )
    assert not ok and "already returned" in msg


def test_travel_rules():
    w = world("travel")
    conn = base_database("travel")
    t = w.travelers[0]
    full = next(f for f in w.flights if f.seats_left == 0)
    ok, msg = _run(
        conn, "travel", "book_flight", traveler_id=t.traveler_id, flight_id=full.flight_id, seats=1
    )
    assert not ok and "0 seats left" in msg
    open_ = next(
        f
        for f in w.flights
        if 0 < f.seats_left < 6 and f.flight_id not in {b.item_id for b in t.bookings}
    )
    ok, msg = _run(
        conn,
        "travel",
        "book_flight",
        traveler_id=t.traveler_id,
        flight_id=open_.flight_id,
        seats=open_.seats_left + 1,
    )
    assert not ok and "seats left" in msg
    ok, res = _run(
        conn, "travel", "book_flight", traveler_id=t.traveler_id, flight_id=open_.flight_id, seats=1
    )
    assert ok and res["status"] == "confirmed"
    ok, msg = _run(
        conn, "travel", "book_flight", traveler_id=t.traveler_id, flight_id=open_.flight_id, seats=1
    )
    assert not ok and "already has booking" in msg
    full_hotel = next(h for h in w.hotels if h.rooms_left == 0)
    ok, msg = _run(
        conn,
        "travel",
        "book_hotel",
        traveler_id=t.traveler_id,
        hotel_id=full_hotel.hotel_id,
        check_in="2025-06-03",
        nights=2,
    )
    assert not ok and "fully booked" in msg
    hotel = next(h for h in w.hotels if h.rooms_left > 0)
    ok, msg = _run(
        conn,
        "travel",
        "book_hotel",
        traveler_id=t.traveler_id,
        hotel_id=hotel.hotel_id,
        check_in="2025-02-30",
        nights=2,
    )
    assert not ok and "not a valid date" in msg
    ok, res = _run(conn, "travel", "cancel_booking", booking_id=res["booking_id"], reason="illness")
    assert ok
    (seats,) = conn.execute(
        "SELECT seats_left FROM flights WHERE flight_id = ?", (open_.flight_id,)
    ).fetchone()
    assert seats == open_.seats_left
    ok, msg = _run(conn, "travel", "cancel_booking", booking_id=res["booking_id"], reason="illness")
    assert not ok and "only confirmed bookings" in msg


def test_banking_rules():
    w = world("banking")
    conn = base_database("banking")
    # A customer whose daily limit, not balance, caps what checking can send.
    c = next(
        c
        for c in w.customers
        if c.account("checking")
        and c.account("savings")
        and c.account("checking").status == c.account("savings").status == "active"
        and c.remaining_cents < c.account("checking").balance_cents
    )
    src, dst = c.account("checking"), c.account("savings")
    ok, msg = _run(
        conn,
        "banking",
        "transfer_funds",
        from_account_id=src.account_id,
        to_account_id=src.account_id,
        amount=1,
    )
    assert not ok and "must differ" in msg
    ok, msg = _run(
        conn,
        "banking",
        "transfer_funds",
        from_account_id=src.account_id,
        to_account_id=dst.account_id,
        amount=1.005,
    )
    assert not ok and "two decimals" in msg
    ok, msg = _run(
        conn,
        "banking",
        "transfer_funds",
        from_account_id=src.account_id,
        to_account_id=dst.account_id,
        amount=src.balance_cents / 100 + 1,
    )
    assert not ok and ("insufficient funds" in msg or "daily transfer limit" in msg)
    # Fill the limit exactly, then one cent more is refused.
    room = c.remaining_cents
    ok, res = _run(
        conn,
        "banking",
        "transfer_funds",
        from_account_id=src.account_id,
        to_account_id=dst.account_id,
        amount=room / 100,
    )
    assert ok, res
    ok, msg = _run(
        conn,
        "banking",
        "transfer_funds",
        from_account_id=dst.account_id,
        to_account_id=src.account_id,
        amount=0.01,
    )
    assert not ok and "$0.00 remaining" in msg
    used = c.used_today_cents + room
    _, res = _run(conn, "banking", "get_transfer_limit", customer_id=c.customer_id)
    assert res["used_today"] == f"${used // 100}.{used % 100:02d}"
    card = next(k for k in w.cards if k.status == "blocked")
    ok, msg = _run(conn, "banking", "block_card", card_id=card.card_id, reason="lost")
    assert not ok and "already blocked" in msg


def test_episode_connections_refuse_schema_changes_and_attach():
    conn = base_database("retail")
    for sql in (
        "DROP TABLE users",
        "CREATE TABLE x (a)",
        "ATTACH ':memory:' AS other",
        "PRAGMA foreign_keys = OFF",
        "ALTER TABLE users ADD COLUMN z",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            conn.execute(sql)
    assert conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == len(world("retail").users)


@pytest.mark.parametrize("domain", DOMAINS)
def test_dump_and_load_round_trip(domain):
    conn = base_database(domain)
    task = split_tasks("agent", (domain,))[-1]
    box = get_domain(domain).toolbox
    for c in task.gold_calls:
        box.run(conn, c)
    copy = dbmod.load(dbmod.dump(conn))
    assert _all_rows(copy) == _all_rows(conn)
    columns = table_columns(domain)
    assert dbmod.same_state(copy, conn, columns, columns)
    with pytest.raises(sqlite3.DatabaseError):  # the copy is protected too
        copy.execute("DROP TABLE " + next(iter(columns)))


@pytest.mark.parametrize("domain", DOMAINS)
def test_change_log_comparison_agrees_with_a_full_table_comparison(domain):
    """The fast database check (rows at logged rowids) against the reference (every
    row of every table, as multisets) on right, wrong, reordered and undone writes."""
    import numpy as np

    from rewardgym.envs.tool_use.candidates import _call_variants
    from rewardgym.envs.tool_use.env import _same_database
    from rewardgym.envs.tool_use.tasks import value_pool

    box = get_domain(domain).toolbox
    columns = table_columns(domain)
    rng = np.random.default_rng(0)
    seen = {True: 0, False: 0}
    for task in split_tasks("agent", (domain,)) + split_tasks("call", (domain,)):
        gold = list(task.gold_calls)
        writes = [c for c in gold if box.tools[c["name"]].writes]
        trials = [gold, gold[::-1], gold[:-1], writes, writes + writes]
        trials += (
            [gold[:-1] + v for v in _call_variants(gold[-1:], box, value_pool(domain), rng, 4)]
            if gold
            else []
        )
        for calls in trials:
            conn = base_database(domain)
            for c in calls:
                if box.check(c) is None:
                    box.run(conn, c)
            reference = base_database(domain)
            for c in gold:
                assert box.run(reference, c)[0]
            expected = dbmod.same_state(conn, reference, list(columns), columns)
            assert _same_database(conn, task) == expected, (task.task_id, calls)
            seen[expected] += 1
    assert seen[True] > 10 and seen[False] > 10


def test_undoing_a_write_restores_the_gold_state():
    from rewardgym.envs.tool_use.env import _same_database

    task = next(t for t in split_tasks("agent", ("retail",)) if t.category == "order_total")
    conn = base_database("retail")
    u = world("retail").users[0]
    for street in ("1 Elsewhere Road", u.address):  # change it, then change it back
        ok, _ = _run(
            conn,
            "retail",
            "update_user_address",
            user_id=u.user_id,
            address=street,
            city=u.city,
            zip=u.zip,
        )
        assert ok
    assert dbmod.changed_rowids(conn)["users"]  # the row was touched ...
    assert _same_database(conn, task)  # ... but holds the base's values again
