"""Retail domain: an online shop's users, products, orders and refunds.

Tools: look up a user (by email or id), an order, a product or a category; cancel a
pending order; return delivered items (refund to the original payment method or to
a gift card); exchange a delivered item for another variant of the same product;
update an order's or a user's address.

Business rules the tools enforce (a violation is an ``execution`` error):
only ``pending`` orders can be cancelled or have their address changed; only
``delivered`` orders can have items returned or exchanged, and only items still in
status ``ordered``; an exchange needs a different, in-stock product of the same
category. Money is stored in integer cents; tools show it as ``"$12.50"``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewardgym.envs.tool_use._common import (
    CITIES,
    FIRST_NAMES,
    LAST_NAMES,
    STREETS,
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
    array,
    dollars,
    params,
    string,
)

__all__ = ["DOMAIN"]

DDL = """
CREATE TABLE users (
    user_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL,
    city TEXT NOT NULL,
    zip TEXT NOT NULL,
    gift_card_cents INTEGER NOT NULL CHECK (gift_card_cents >= 0)
);
CREATE TABLE products (
    product_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents > 0),
    stock INTEGER NOT NULL CHECK (stock >= 0)
);
CREATE TABLE orders (
    order_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (user_id),
    status TEXT NOT NULL CHECK (status IN
        ('pending', 'processed', 'shipped', 'delivered', 'cancelled', 'returned')),
    created TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    address TEXT NOT NULL,
    city TEXT NOT NULL,
    zip TEXT NOT NULL
);
CREATE TABLE order_items (
    item_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (order_id),
    product_id TEXT NOT NULL REFERENCES products (product_id),
    price_cents INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ordered', 'returned', 'exchanged')),
    exchange_product_id TEXT REFERENCES products (product_id)
);
CREATE TABLE refunds (
    refund_id INTEGER PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (order_id),
    amount_cents INTEGER NOT NULL,
    method TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE INDEX orders_by_user ON orders (user_id);
CREATE INDEX items_by_order ON order_items (order_id);
"""

# category -> (display name, base price in cents, variants)
CATALOGUE: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "lamp": ("Desk Lamp", 3499, ("black", "white", "brass")),
    "headphones": ("Wireless Headphones", 8999, ("black", "silver", "blue")),
    "backpack": ("Hiking Backpack", 5999, ("grey", "navy", "green")),
    "bottle": ("Water Bottle", 1899, ("500 ml", "750 ml", "1 l")),
    "kettle": ("Electric Kettle", 4599, ("steel", "glass", "red")),
    "shirt": ("Cotton T-Shirt", 1999, ("S", "M", "L", "XL")),
    "chair": ("Office Chair", 15999, ("black", "grey")),
    "grinder": ("Coffee Grinder", 3999, ("manual", "electric")),
}
CATEGORIES = tuple(CATALOGUE)
REASONS = ("no longer needed", "ordered by mistake")
REASON_PHRASES = {
    "no longer needed": "I no longer need it",
    "ordered by mistake": "I ordered it by mistake",
}
PAYMENT_METHODS = ("credit_card", "paypal", "gift_card")
ORDER_STATUSES = ("pending", "processed", "shipped", "delivered", "cancelled")

ORDER_ID = r"^O\d{4}$"
ITEM_ID = r"^I\d{5}$"
USER_ID = r"^U\d{4}$"
PRODUCT_ID = r"^P\d{3}$"
ZIP = r"^\d{5}$"


# --------------------------------------------------------------------- world
@dataclass
class Item:
    item_id: str
    product_id: str
    price_cents: int
    status: str


@dataclass
class Order:
    order_id: str
    user_id: str
    status: str
    created: str
    payment_method: str
    address: str
    city: str
    zip: str
    items: list[Item]

    def open_items(self) -> list[Item]:
        return [i for i in self.items if i.status == "ordered"]


@dataclass
class User:
    user_id: str
    name: str
    email: str
    address: str
    city: str
    zip: str
    gift_card_cents: int
    orders: list[Order]


@dataclass
class Product:
    product_id: str
    name: str
    category: str
    price_cents: int
    stock: int


@dataclass
class World:
    users: list[User]
    products: list[Product]
    orders: list[Order]

    def product(self, pid: str) -> Product:
        return next(p for p in self.products if p.product_id == pid)


def _address(rng: np.random.Generator) -> tuple[str, str, str]:
    city, prefix = pick(rng, CITIES)
    street = f"{int(rng.integers(1, 999))} {pick(rng, STREETS)}"
    return street, city, f"{prefix}{int(rng.integers(0, 100)):02d}"


def build_world() -> World:
    rng = np.random.default_rng(20250601)
    products: list[Product] = []
    for cat, (title, base, variants) in CATALOGUE.items():
        for j, variant in enumerate(variants):
            price = base + 250 * j + int(rng.integers(0, 4)) * 100
            stock = 0 if rng.random() < 0.15 else int(rng.integers(1, 13))
            pid = f"P{201 + len(products)}"
            products.append(Product(pid, f"{title} ({variant})", cat, price, stock))
    users: list[User] = []
    orders: list[Order] = []
    names = sample(rng, [(f, s) for f in FIRST_NAMES for s in LAST_NAMES], 40)
    item_no = 70001
    for n, (first, last) in enumerate(names):
        uid = f"U{1001 + n}"
        street, city, zip_ = _address(rng)
        gift = int(rng.integers(0, 8)) * 500
        user = User(
            uid,
            f"{first} {last}",
            f"{first}.{last}{n + 1}@example.com".lower(),
            street,
            city,
            zip_,
            gift,
            [],
        )
        n_orders = int(rng.integers(2, 5))
        # Every user has at least one delivered order and most one pending order.
        statuses = ["delivered", "pending"] + [
            str(rng.choice(ORDER_STATUSES, p=[0.1, 0.15, 0.2, 0.45, 0.1]))
            for _ in range(n_orders - 2)
        ]
        if rng.random() < 0.25:
            statuses[1] = "shipped"
        for status in statuses:
            oid = f"O{5001 + len(orders)}"
            chosen = sample(rng, products, int(rng.integers(1, 4)))
            items = []
            for p in chosen:
                items.append(Item(f"I{item_no}", p.product_id, p.price_cents, "ordered"))
                item_no += 1
            if status == "delivered" and len(items) > 2 and rng.random() < 0.3:
                items[-1].status = "returned"
            day = int(rng.integers(1, 28))
            created = f"2025-0{4 if status == 'delivered' else 5}-{day:02d}"
            order = Order(
                oid, uid, status, created, pick(rng, PAYMENT_METHODS), street, city, zip_, items
            )
            orders.append(order)
            user.orders.append(order)
        users.append(user)
    return World(users, products, orders)


def populate(conn: sqlite3.Connection, w: World) -> None:
    conn.executemany(
        "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (u.user_id, u.name, u.email, u.address, u.city, u.zip, u.gift_card_cents)
            for u in w.users
        ],
    )
    conn.executemany(
        "INSERT INTO products VALUES (?, ?, ?, ?, ?)",
        [(p.product_id, p.name, p.category, p.price_cents, p.stock) for p in w.products],
    )
    conn.executemany(
        "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (o.order_id, o.user_id, o.status, o.created, o.payment_method, o.address, o.city, o.zip)
            for o in w.orders
        ],
    )
    conn.executemany(
        "INSERT INTO order_items VALUES (?, ?, ?, ?, ?, NULL)",
        [
            (i.item_id, o.order_id, i.product_id, i.price_cents, i.status)
            for o in w.orders
            for i in o.items
        ],
    )


def value_pool(w: World) -> dict[str, tuple[Any, ...]]:
    return {
        "user_id": tuple(u.user_id for u in w.users),
        "email": tuple(u.email for u in w.users),
        "order_id": tuple(o.order_id for o in w.orders),
        "item_id": tuple(i.item_id for o in w.orders for i in o.items),
        "product_id": tuple(p.product_id for p in w.products),
        "new_product_id": tuple(p.product_id for p in w.products),
        "category": CATEGORIES,
        "address": tuple(u.address for u in w.users),
        "city": tuple(c for c, _ in CITIES),
        "zip": tuple(u.zip for u in w.users),
    }


# --------------------------------------------------------------------- tools
def _one(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...], what: str) -> tuple[Any, ...]:
    row = conn.execute(sql, args).fetchone()
    if row is None:
        raise ToolFailure(what)
    return tuple(row)


def find_user_id_by_email(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    email = a["email"].strip().lower()
    (uid,) = _one(
        conn,
        "SELECT user_id FROM users WHERE email = ?",
        (email,),
        f"no user has the email {a['email']!r}",
    )
    return {"user_id": uid}


def get_user_details(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    uid, name, email, address, city, zip_, gift = _one(
        conn,
        "SELECT * FROM users WHERE user_id = ?",
        (a["user_id"],),
        f"user {a['user_id']} not found",
    )
    orders = conn.execute(
        "SELECT order_id, status FROM orders WHERE user_id = ? ORDER BY order_id", (uid,)
    ).fetchall()
    return {
        "user_id": uid,
        "name": name,
        "email": email,
        "address": {"street": address, "city": city, "zip": zip_},
        "gift_card_balance": dollars(gift),
        "orders": [{"order_id": o, "status": s} for o, s in orders],
    }


def _order(conn: sqlite3.Connection, order_id: str) -> tuple[Any, ...]:
    return _one(
        conn, "SELECT * FROM orders WHERE order_id = ?", (order_id,), f"order {order_id} not found"
    )


def get_order_details(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    oid, uid, status, created, method, address, city, zip_ = _order(conn, a["order_id"])
    items = conn.execute(
        "SELECT i.item_id, i.product_id, p.name, i.price_cents, i.status, "
        "i.exchange_product_id FROM order_items i JOIN products p USING (product_id) "
        "WHERE i.order_id = ? ORDER BY i.item_id",
        (oid,),
    ).fetchall()
    out_items = []
    for item_id, pid, pname, price, istatus, exchanged in items:
        entry = {
            "item_id": item_id,
            "product_id": pid,
            "name": pname,
            "price": dollars(price),
            "status": istatus,
        }
        if exchanged is not None:
            entry["exchanged_for"] = exchanged
        out_items.append(entry)
    return {
        "order_id": oid,
        "user_id": uid,
        "status": status,
        "created": created,
        "payment_method": method,
        "shipping_address": {"street": address, "city": city, "zip": zip_},
        "items": out_items,
        "total": dollars(sum(row[3] for row in items)),
    }


def get_product_details(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    pid, name, cat, price, stock = _one(
        conn,
        "SELECT * FROM products WHERE product_id = ?",
        (a["product_id"],),
        f"product {a['product_id']} not found",
    )
    return {
        "product_id": pid,
        "name": name,
        "category": cat,
        "price": dollars(price),
        "stock": stock,
    }


def list_products(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    rows = conn.execute(
        "SELECT product_id, name, price_cents, stock FROM products WHERE category = ? "
        "ORDER BY product_id",
        (a["category"],),
    ).fetchall()
    return {
        "category": a["category"],
        "products": [
            {"product_id": p, "name": n, "price": dollars(c), "in_stock": s > 0}
            for p, n, c, s in rows
        ],
    }


def cancel_order(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    oid, _, status, _, method, *_ = _order(conn, a["order_id"])
    if status != "pending":
        raise ToolFailure(f"order {oid} is {status}; only pending orders can be cancelled")
    items = conn.execute(
        "SELECT product_id, price_cents FROM order_items WHERE order_id = ? AND status = 'ordered'",
        (oid,),
    ).fetchall()
    for pid, _ in items:
        conn.execute("UPDATE products SET stock = stock + 1 WHERE product_id = ?", (pid,))
    amount = sum(c for _, c in items)
    conn.execute("UPDATE orders SET status = 'cancelled' WHERE order_id = ?", (oid,))
    conn.execute(
        "INSERT INTO refunds (order_id, amount_cents, method, kind) VALUES (?, ?, ?, ?)",
        (oid, amount, method, f"cancellation: {a['reason']}"),
    )
    return {
        "order_id": oid,
        "status": "cancelled",
        "refund": dollars(amount),
        "refund_method": method,
    }


def return_items(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    oid, uid, status, _, method, *_ = _order(conn, a["order_id"])
    if status != "delivered":
        raise ToolFailure(f"order {oid} is {status}; only delivered orders accept returns")
    total = 0
    for item_id in a["item_ids"]:
        row = conn.execute(
            "SELECT status, price_cents FROM order_items WHERE order_id = ? AND item_id = ?",
            (oid, item_id),
        ).fetchone()
        if row is None:
            raise ToolFailure(f"item {item_id} is not part of order {oid}")
        if row[0] != "ordered":
            raise ToolFailure(f"item {item_id} was already {row[0]}")
        total += row[1]
        conn.execute("UPDATE order_items SET status = 'returned' WHERE item_id = ?", (item_id,))
    refund_method = method if a["refund_method"] == "original_payment" else "gift_card"
    if a["refund_method"] == "gift_card":
        conn.execute(
            "UPDATE users SET gift_card_cents = gift_card_cents + ? WHERE user_id = ?",
            (total, uid),
        )
    conn.execute(
        "INSERT INTO refunds (order_id, amount_cents, method, kind) VALUES (?, ?, ?, 'return')",
        (oid, total, refund_method),
    )
    (left,) = conn.execute(
        "SELECT COUNT(*) FROM order_items WHERE order_id = ? AND status = 'ordered'", (oid,)
    ).fetchone()
    if left == 0:
        conn.execute("UPDATE orders SET status = 'returned' WHERE order_id = ?", (oid,))
    return {
        "order_id": oid,
        "returned_items": list(a["item_ids"]),
        "refund": dollars(total),
        "refund_method": refund_method,
    }


def exchange_item(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    oid, _, status, _, method, *_ = _order(conn, a["order_id"])
    if status != "delivered":
        raise ToolFailure(f"order {oid} is {status}; only delivered orders accept exchanges")
    row = conn.execute(
        "SELECT i.status, i.price_cents, p.category, p.product_id FROM order_items i "
        "JOIN products p USING (product_id) WHERE i.order_id = ? AND i.item_id = ?",
        (oid, a["item_id"]),
    ).fetchone()
    if row is None:
        raise ToolFailure(f"item {a['item_id']} is not part of order {oid}")
    istatus, old_price, category, old_pid = row
    if istatus != "ordered":
        raise ToolFailure(f"item {a['item_id']} was already {istatus}")
    new_pid, _, new_cat, new_price, stock = _one(
        conn,
        "SELECT * FROM products WHERE product_id = ?",
        (a["new_product_id"],),
        f"product {a['new_product_id']} not found",
    )
    if new_pid == old_pid:
        raise ToolFailure(f"item {a['item_id']} already is product {new_pid}")
    if new_cat != category:
        raise ToolFailure(
            f"product {new_pid} is a {new_cat}, item {a['item_id']} is a {category}: "
            "exchanges stay within a category"
        )
    if stock <= 0:
        raise ToolFailure(f"product {new_pid} is out of stock")
    conn.execute("UPDATE products SET stock = stock - 1 WHERE product_id = ?", (new_pid,))
    conn.execute(
        "UPDATE order_items SET status = 'exchanged', exchange_product_id = ? WHERE item_id = ?",
        (new_pid, a["item_id"]),
    )
    diff = new_price - old_price
    if diff != 0:
        conn.execute(
            "INSERT INTO refunds (order_id, amount_cents, method, kind) "
            "VALUES (?, ?, ?, 'exchange')",
            (oid, -diff, method),
        )
    return {
        "order_id": oid,
        "item_id": a["item_id"],
        "new_product_id": new_pid,
        "price_difference": dollars(diff),
    }


def update_order_address(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    oid, _, status, *_ = _order(conn, a["order_id"])
    if status != "pending":
        raise ToolFailure(f"order {oid} is {status}; only pending orders can change address")
    conn.execute(
        "UPDATE orders SET address = ?, city = ?, zip = ? WHERE order_id = ?",
        (a["address"], a["city"], a["zip"], oid),
    )
    return {
        "order_id": oid,
        "shipping_address": {"street": a["address"], "city": a["city"], "zip": a["zip"]},
    }


def update_user_address(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    _one(
        conn,
        "SELECT user_id FROM users WHERE user_id = ?",
        (a["user_id"],),
        f"user {a['user_id']} not found",
    )
    conn.execute(
        "UPDATE users SET address = ?, city = ?, zip = ? WHERE user_id = ?",
        (a["address"], a["city"], a["zip"], a["user_id"]),
    )
    return {
        "user_id": a["user_id"],
        "address": {"street": a["address"], "city": a["city"], "zip": a["zip"]},
    }


_ADDRESS = {
    "address": string("street address, e.g. '12 Oak Avenue'", max_length=100),
    "city": string("city", max_length=60),
    "zip": string("5-digit zip code", pattern=ZIP),
}
TOOLS = (
    Tool(
        "find_user_id_by_email",
        "Find a user's id from the email address on their account.",
        params({"email": string("the user's email address", max_length=100)}),
        find_user_id_by_email,
    ),
    Tool(
        "get_user_details",
        "A user's name, email, default address, gift card balance and orders (id, status).",
        params({"user_id": string("user id, e.g. 'U1001'", pattern=USER_ID)}),
        get_user_details,
    ),
    Tool(
        "get_order_details",
        "An order's status, payment method, shipping address, items (id, product, price, "
        "status) and total.",
        params({"order_id": string("order id, e.g. 'O5001'", pattern=ORDER_ID)}),
        get_order_details,
    ),
    Tool(
        "get_product_details",
        "A product's name, category, price and stock.",
        params({"product_id": string("product id, e.g. 'P201'", pattern=PRODUCT_ID)}),
        get_product_details,
    ),
    Tool(
        "list_products",
        "The products of one category, with prices and availability.",
        params({"category": string("product category", enum=CATEGORIES)}),
        list_products,
    ),
    Tool(
        "cancel_order",
        "Cancel a pending order; its items are refunded to the original payment method.",
        params(
            {
                "order_id": string("order id", pattern=ORDER_ID),
                "reason": string("why the user cancels", enum=REASONS),
            }
        ),
        cancel_order,
        writes=("orders", "products", "refunds"),
    ),
    Tool(
        "return_items",
        "Return items of a delivered order; the refund goes to the original payment method "
        "or to the user's gift card.",
        params(
            {
                "order_id": string("order id", pattern=ORDER_ID),
                "item_ids": array(
                    "ids of the items to return",
                    string("item id, e.g. 'I70001'", pattern=ITEM_ID),
                    max_items=5,
                ),
                "refund_method": string(
                    "where the refund goes", enum=("original_payment", "gift_card")
                ),
            }
        ),
        return_items,
        writes=("order_items", "orders", "users", "refunds"),
    ),
    Tool(
        "exchange_item",
        "Exchange an item of a delivered order for another in-stock product of the same "
        "category; the price difference is charged or refunded to the original payment.",
        params(
            {
                "order_id": string("order id", pattern=ORDER_ID),
                "item_id": string("id of the item to exchange", pattern=ITEM_ID),
                "new_product_id": string("id of the product wanted instead", pattern=PRODUCT_ID),
            }
        ),
        exchange_item,
        writes=("order_items", "products", "refunds"),
    ),
    Tool(
        "update_order_address",
        "Change the shipping address of a pending order.",
        params({"order_id": string("order id", pattern=ORDER_ID), **_ADDRESS}),
        update_order_address,
        writes=("orders",),
    ),
    Tool(
        "update_user_address",
        "Change a user's default address.",
        params({"user_id": string("user id", pattern=USER_ID), **_ADDRESS}),
        update_user_address,
        writes=("users",),
    ),
)

POLICY = f"""You are the customer service agent of an online shop. Today is {TODAY}.
- Identify the user before acting on their account: find their user id from their email.
- Only pending orders can be cancelled or have their shipping address changed.
- Only items of delivered orders that are still in status 'ordered' can be returned or
  exchanged; an exchange must be for an in-stock product of the same category.
- Refunds of returns go to the original payment method unless the user asks for a gift card.
- Tell the user amounts exactly as the tools report them (for example $12.50)."""


# --------------------------------------------------------------------- tasks
def _user_with(w: World, rng: np.random.Generator, status: str) -> tuple[User, Order]:
    """A user with an order of ``status`` (and that order)."""
    candidates = [(u, o) for u in w.users for o in u.orders if o.status == status]
    return pick(rng, candidates)


def _delivered_item(w: World, rng: np.random.Generator, min_open: int = 1) -> tuple[User, Order]:
    candidates = [
        (u, o)
        for u in w.users
        for o in u.orders
        if o.status == "delivered" and len(o.open_items()) >= min_open
    ]
    return pick(rng, candidates)


def _new_address(rng: np.random.Generator) -> tuple[str, str, str]:
    return _address(rng)


def _addr_text(street: str, city: str, zip_: str) -> str:
    return f"{street}, {city} {zip_}"


def _email_fact(u: User) -> Fact:
    return Fact("email", ("email", "e-mail", "account"), f"My email is {u.email}.")


def _order_fact(o: Order) -> Fact:
    return Fact("order", ("order",), f"The order number is {o.order_id}.")


# ToolCall (single turn): the request carries every identifier.
def tc_order_status(w: World, rng: np.random.Generator) -> Draft:
    o = pick(rng, w.orders)
    text = pick(
        rng,
        (
            "What's the status of my order {o}?",
            "Can you check on order {o} for me?",
            "Where is my order {o}? Please look it up.",
        ),
    )
    return Draft(
        text.format(o=o.order_id), (calls_step(call("get_order_details", order_id=o.order_id)),)
    )


def tc_find_user(w: World, rng: np.random.Generator) -> Draft:
    u = pick(rng, w.users)
    text = pick(
        rng,
        (
            "Please look up the customer account registered to {e}.",
            "Which user id belongs to the email {e}?",
        ),
    )
    return Draft(
        text.format(e=u.email), (calls_step(call("find_user_id_by_email", email=u.email)),)
    )


def tc_cancel(w: World, rng: np.random.Generator) -> Draft:
    _, o = _user_with(w, rng, "pending")
    reason = pick(rng, REASONS)
    text = f"Please cancel order {o.order_id}; {REASON_PHRASES[reason]}."
    return Draft(text, (calls_step(call("cancel_order", order_id=o.order_id, reason=reason)),))


def tc_irrelevant(w: World, rng: np.random.Generator) -> Draft:
    return irrelevant_request(rng)


def tc_two_orders(w: World, rng: np.random.Generator) -> Draft:
    a, b = sample(rng, w.orders, 2)
    text = f"Could you check the status of orders {a.order_id} and {b.order_id}?"
    return Draft(
        text,
        (
            calls_step(
                call("get_order_details", order_id=a.order_id),
                call("get_order_details", order_id=b.order_id),
            ),
        ),
    )


def tc_return(w: World, rng: np.random.Generator) -> Draft:
    _, o = _delivered_item(w, rng)
    item = pick(rng, o.open_items())
    method = pick(rng, ("original_payment", "gift_card"))
    where = "to my gift card" if method == "gift_card" else "to my original payment method"
    name = w.product(item.product_id).name
    text = (
        f"I'd like to return item {item.item_id} (the {name}) from order {o.order_id}; "
        f"please refund it {where}."
    )
    return Draft(
        text,
        (
            calls_step(
                call(
                    "return_items",
                    order_id=o.order_id,
                    item_ids=[item.item_id],
                    refund_method=method,
                )
            ),
        ),
    )


def tc_user_address(w: World, rng: np.random.Generator) -> Draft:
    u = pick(rng, w.users)
    street, city, zip_ = _new_address(rng)
    text = (
        f"Please change the default address of user {u.user_id} to "
        f"{_addr_text(street, city, zip_)}."
    )
    return Draft(
        text,
        (
            calls_step(
                call("update_user_address", user_id=u.user_id, address=street, city=city, zip=zip_)
            ),
        ),
    )


def tc_two_categories(w: World, rng: np.random.Generator) -> Draft:
    c1, c2 = sample(rng, CATEGORIES, 2)
    text = f"Which {CATALOGUE[c1][0].lower()} and {CATALOGUE[c2][0].lower()} models do you sell?"
    return Draft(
        text, (calls_step(call("list_products", category=c1), call("list_products", category=c2)),)
    )


def tc_cancel_and_address(w: World, rng: np.random.Generator) -> Draft:
    u, o = _user_with(w, rng, "pending")
    reason = pick(rng, REASONS)
    street, city, zip_ = _new_address(rng)
    text = (
        f"Cancel my order {o.order_id} ({REASON_PHRASES[reason]}) and change the default "
        f"address of my account {u.user_id} to {_addr_text(street, city, zip_)}."
    )
    return Draft(
        text,
        (
            calls_step(
                call("cancel_order", order_id=o.order_id, reason=reason),
                call("update_user_address", user_id=u.user_id, address=street, city=city, zip=zip_),
            ),
        ),
    )


def tc_exchange_and_status(w: World, rng: np.random.Generator) -> Draft:
    _, o = _delivered_item(w, rng)
    item = pick(rng, o.open_items())
    cat = w.product(item.product_id).category
    options = [
        p
        for p in w.products
        if p.category == cat and p.product_id != item.product_id and p.stock > 0
    ]
    if not options:
        return tc_return_and_details(w, rng)
    new = pick(rng, options)
    other = pick(rng, [x for x in w.orders if x.order_id != o.order_id])
    text = (
        f"Please exchange item {item.item_id} of order {o.order_id} for product "
        f"{new.product_id} ({new.name}), and tell me the status of order {other.order_id}."
    )
    return Draft(
        text,
        (
            calls_step(
                call(
                    "exchange_item",
                    order_id=o.order_id,
                    item_id=item.item_id,
                    new_product_id=new.product_id,
                ),
                call("get_order_details", order_id=other.order_id),
            ),
        ),
    )


def tc_return_and_details(w: World, rng: np.random.Generator) -> Draft:
    u, o = _delivered_item(w, rng)
    item = pick(rng, o.open_items())
    pending = [x for x in u.orders if x.status == "pending"]
    calls = [
        call(
            "return_items",
            order_id=o.order_id,
            item_ids=[item.item_id],
            refund_method="original_payment",
        )
    ]
    text = f"I'm user {u.user_id}. Return item {item.item_id} from order {o.order_id} for a refund"
    if pending:
        street, city, zip_ = _new_address(rng)
        p = pending[0]
        calls.append(
            call("update_order_address", order_id=p.order_id, address=street, city=city, zip=zip_)
        )
        text += f", ship order {p.order_id} to {_addr_text(street, city, zip_)} instead"
    calls.append(call("get_user_details", user_id=u.user_id))
    text += ", and show me my account details."
    return Draft(text, (calls_step(*calls),))


_UNSUPPORTED = (
    "Please delete my account {u} and all of my data.",
    "Give me a 50% discount on order {o}, I've been a loyal customer.",
    "Change the payment method of order {o} to PayPal.",
    "Can you split order {o} into two separate shipments?",
    "Please add a gift message to order {o}.",
)


def tc_unsupported(w: World, rng: np.random.Generator) -> Draft:
    o = pick(rng, w.orders)
    return unsupported_request(rng, _UNSUPPORTED, u=o.user_id, o=o.order_id)


# ToolAgent (multi-turn): the user gives identifiers when asked.
def ta_cancel(w: World, rng: np.random.Generator) -> Draft:
    u, o = _user_with(w, rng, "pending")
    reason = pick(rng, REASONS)
    refund = sum(i.price_cents for i in o.open_items())
    opening = (
        f"Hi, this is {u.name}. Please cancel my order {o.order_id}; {REASON_PHRASES[reason]}."
    )
    steps = (
        calls_step(call("get_order_details", order_id=o.order_id)),
        calls_step(call("cancel_order", order_id=o.order_id, reason=reason)),
        answer_step(
            f"Order {o.order_id} is cancelled; ${money(refund)} will be refunded to "
            f"your {o.payment_method.replace('_', ' ')}."
        ),
    )
    facts = (_email_fact(u), _order_fact(o))
    return Draft(
        opening,
        steps,
        (money(refund),),
        facts,
        ("email", "order"),
        goal=f"I want order {o.order_id} cancelled.",
    )


def ta_order_total(w: World, rng: np.random.Generator) -> Draft:
    u = pick(rng, w.users)
    o = pick(rng, u.orders)
    total = sum(i.price_cents for i in o.items)
    steps = (
        calls_step(call("get_order_details", order_id=o.order_id)),
        answer_step(f"Order {o.order_id} came to ${money(total)} in total."),
    )
    return Draft(
        f"Hi, how much did I pay in total for order {o.order_id}?",
        steps,
        (money(total),),
        (_email_fact(u), _order_fact(o)),
        ("order",),
        goal=f"I want to know the total of order {o.order_id}.",
    )


def ta_gift_balance(w: World, rng: np.random.Generator) -> Draft:
    u = pick(rng, w.users)
    steps = (
        calls_step(call("get_user_details", user_id=u.user_id)),
        answer_step(f"Your gift card balance is ${money(u.gift_card_cents)}."),
    )
    return Draft(
        f"Hello, my user id is {u.user_id}. What's my gift card balance?",
        steps,
        (money(u.gift_card_cents),),
        (_email_fact(u),),
        ("user",),
        goal="I want to know my gift card balance.",
    )


_ASK_EMAIL_ORDER = "I can help with that. What is the email on your account, and the order number?"
_ASK_EMAIL = "I can help with that. What is the email address on your account?"


def ta_return(w: World, rng: np.random.Generator) -> Draft:
    u, o = _delivered_item(w, rng)
    item = pick(rng, o.open_items())
    name = w.product(item.product_id).name
    method = pick(rng, ("original_payment", "gift_card"))
    where = "my gift card" if method == "gift_card" else "my original payment method"
    opening = f"Hi! I'd like to return the {name} I bought; please put the refund on {where}."
    steps = (
        ask_step(_ASK_EMAIL_ORDER, "email", "order"),
        calls_step(call("find_user_id_by_email", email=u.email)),
        calls_step(call("get_order_details", order_id=o.order_id)),
        calls_step(
            call("return_items", order_id=o.order_id, item_ids=[item.item_id], refund_method=method)
        ),
        answer_step(
            f"The {name} from order {o.order_id} is returned; ${money(item.price_cents)} "
            f"goes to {where.replace('my ', 'your ')}."
        ),
    )
    return Draft(
        opening,
        steps,
        (money(item.price_cents),),
        (_email_fact(u), _order_fact(o)),
        goal=f"I want to return the {name} and get the refund on {where}.",
    )


def ta_update_address(w: World, rng: np.random.Generator) -> Draft:
    u = pick(rng, w.users)
    street, city, zip_ = _new_address(rng)
    addr = _addr_text(street, city, zip_)
    steps = (
        ask_step(_ASK_EMAIL, "email"),
        calls_step(call("find_user_id_by_email", email=u.email)),
        calls_step(
            call("update_user_address", user_id=u.user_id, address=street, city=city, zip=zip_)
        ),
        answer_step(f"Your default address is now {addr}."),
    )
    return Draft(
        f"Hi, I've moved. Please update the address on my account to {addr}.",
        steps,
        (zip_,),
        (_email_fact(u),),
        goal=f"I want my address changed to {addr}.",
    )


def ta_cancel_lookup(w: World, rng: np.random.Generator) -> Draft:
    candidates = [u for u in w.users if sum(o.status == "pending" for o in u.orders) == 1]
    u = pick(rng, candidates)
    o = next(x for x in u.orders if x.status == "pending")
    reason = pick(rng, REASONS)
    refund = sum(i.price_cents for i in o.open_items())
    steps = (
        ask_step(_ASK_EMAIL, "email"),
        calls_step(call("find_user_id_by_email", email=u.email)),
        calls_step(call("get_user_details", user_id=u.user_id)),
        calls_step(call("cancel_order", order_id=o.order_id, reason=reason)),
        answer_step(
            f"Your pending order {o.order_id} is cancelled; ${money(refund)} will be "
            "refunded to your original payment method."
        ),
    )
    opening = (
        f"Hello, please cancel the order of mine that hasn't shipped yet; {REASON_PHRASES[reason]}."
    )
    return Draft(
        opening,
        steps,
        (money(refund),),
        (_email_fact(u),),
        goal="I want my pending order cancelled.",
    )


def ta_exchange(w: World, rng: np.random.Generator) -> Draft:
    pairs = []
    for u in w.users:
        for o in u.orders:
            if o.status != "delivered":
                continue
            for item in o.open_items():
                p = w.product(item.product_id)
                for q in w.products:
                    if q.category == p.category and q.product_id != p.product_id and q.stock > 0:
                        pairs.append((u, o, item, p, q))
    u, o, item, p, q = pick(rng, pairs)
    diff = q.price_cents - p.price_cents
    variant = q.name[q.name.index("(") + 1 : -1]
    if diff > 0:
        note = f"you will be charged ${money(diff)}"
    elif diff < 0:
        note = f"you will be refunded ${money(-diff)}"
    else:
        note = "the price is the same ($0.00 difference)"
    steps = (
        ask_step(_ASK_EMAIL_ORDER, "email", "order"),
        calls_step(call("find_user_id_by_email", email=u.email)),
        calls_step(call("get_order_details", order_id=o.order_id)),
        calls_step(call("list_products", category=p.category)),
        calls_step(
            call(
                "exchange_item",
                order_id=o.order_id,
                item_id=item.item_id,
                new_product_id=q.product_id,
            )
        ),
        answer_step(f"Your {p.name} is being exchanged for the {q.name}; {note}."),
    )
    opening = f"Hi, I'd like to exchange the {p.name} I received for the {variant} one."
    return Draft(
        opening,
        steps,
        (money(abs(diff)),),
        (_email_fact(u), _order_fact(o)),
        goal=f"I want the {variant} version instead of my {p.name}.",
    )


def ta_cancel_and_move(w: World, rng: np.random.Generator) -> Draft:
    u, o = _user_with(w, rng, "pending")
    reason = pick(rng, REASONS)
    street, city, zip_ = _new_address(rng)
    addr = _addr_text(street, city, zip_)
    refund = sum(i.price_cents for i in o.open_items())
    steps = (
        ask_step(_ASK_EMAIL_ORDER, "email", "order"),
        calls_step(call("find_user_id_by_email", email=u.email)),
        calls_step(call("get_order_details", order_id=o.order_id)),
        calls_step(
            call("cancel_order", order_id=o.order_id, reason=reason),
            call("update_user_address", user_id=u.user_id, address=street, city=city, zip=zip_),
        ),
        answer_step(
            f"Order {o.order_id} is cancelled with a refund of ${money(refund)}, and "
            f"your address is now {addr}."
        ),
    )
    opening = (
        f"Two things: please cancel one of my orders ({REASON_PHRASES[reason]}), and "
        f"update my account address to {addr}."
    )
    return Draft(
        opening,
        steps,
        (money(refund),),
        (_email_fact(u), _order_fact(o)),
        goal=f"Cancel the order and change my address to {addr}.",
    )


def ta_return_two(w: World, rng: np.random.Generator) -> Draft:
    u, o = _delivered_item(w, rng, min_open=2)
    items = o.open_items()[:2]
    names = [w.product(i.product_id).name for i in items]
    total = sum(i.price_cents for i in items)
    steps = (
        ask_step(_ASK_EMAIL_ORDER, "email", "order"),
        calls_step(call("find_user_id_by_email", email=u.email)),
        calls_step(call("get_order_details", order_id=o.order_id)),
        calls_step(
            call(
                "return_items",
                order_id=o.order_id,
                item_ids=[i.item_id for i in items],
                refund_method="original_payment",
            )
        ),
        answer_step(
            f"Both items are returned; ${money(total)} goes back to your original payment method."
        ),
    )
    opening = f"Hello, I want to return the {names[0]} and the {names[1]} from one order."
    return Draft(
        opening,
        steps,
        (money(total),),
        (_email_fact(u), _order_fact(o)),
        goal=f"I want to return the {names[0]} and the {names[1]} for a refund.",
    )


def ta_cancel_refused(w: World, rng: np.random.Generator) -> Draft:
    status = pick(rng, ("delivered", "shipped"))
    u, o = _user_with(w, rng, status)
    steps = (
        ask_step(_ASK_EMAIL_ORDER, "email", "order"),
        calls_step(call("find_user_id_by_email", email=u.email)),
        calls_step(call("get_order_details", order_id=o.order_id)),
        answer_step(
            f"I'm sorry, order {o.order_id} has already been {status}, so it can no "
            "longer be cancelled."
        ),
    )
    return Draft(
        "Hi, I want to cancel an order I placed recently.",
        steps,
        (status,),
        (_email_fact(u), _order_fact(o)),
        goal="I want that order cancelled.",
    )


DOMAIN = Domain(
    name="retail",
    title="online shop",
    policy=POLICY,
    toolbox=Toolbox(TOOLS),
    ddl=DDL,
    build_world=build_world,
    populate=populate,
    call_tasks={
        "order_status": ("easy", tc_order_status),
        "find_user": ("easy", tc_find_user),
        "cancel": ("easy", tc_cancel),
        "irrelevant": ("easy", tc_irrelevant),
        "two_orders": ("medium", tc_two_orders),
        "return": ("medium", tc_return),
        "user_address": ("medium", tc_user_address),
        "two_categories": ("medium", tc_two_categories),
        "cancel_and_address": ("hard", tc_cancel_and_address),
        "exchange_and_status": ("hard", tc_exchange_and_status),
        "return_and_details": ("hard", tc_return_and_details),
        "unsupported": ("hard", tc_unsupported),
    },
    agent_tasks={
        "cancel": ("easy", ta_cancel),
        "order_total": ("easy", ta_order_total),
        "gift_balance": ("easy", ta_gift_balance),
        "return": ("medium", ta_return),
        "update_address": ("medium", ta_update_address),
        "cancel_lookup": ("medium", ta_cancel_lookup),
        "exchange": ("hard", ta_exchange),
        "cancel_and_move": ("hard", ta_cancel_and_move),
        "return_two": ("hard", ta_return_two),
        "cancel_refused": ("hard", ta_cancel_refused),
    },
    value_pool=value_pool,
    volatile={"refunds": ("refund_id",)},
)
