"""Banking domain: customers, accounts, cards and transfers with limits.

Tools: find a customer (by email) with their accounts and cards; read an account and
its recent transactions; read the daily transfer limit; transfer money between
accounts; block a card; freeze an account.

Business rules the tools enforce (a violation is an ``execution`` error): a
transfer needs two different active accounts, enough money in the source account
and room under its owner's daily limit (every outgoing transfer made today counts);
amounts are positive with at most two decimals; only active cards can be blocked
and only active accounts frozen. Money is in integer cents, shown as ``"$1250.00"``;
the transaction log's ids are left out of the database comparison, so two transfers
made in either order give the same state.
"""

from __future__ import annotations

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
    number,
    params,
    string,
    to_cents,
)

__all__ = ["DOMAIN"]

DDL = """
CREATE TABLE customers (
    customer_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    daily_limit_cents INTEGER NOT NULL
);
CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (customer_id),
    kind TEXT NOT NULL CHECK (kind IN ('checking', 'savings')),
    balance_cents INTEGER NOT NULL CHECK (balance_cents >= 0),
    status TEXT NOT NULL CHECK (status IN ('active', 'frozen')),
    freeze_reason TEXT
);
CREATE TABLE cards (
    card_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    last4 TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'blocked')),
    block_reason TEXT
);
CREATE TABLE transactions (
    tx_id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    date TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    kind TEXT NOT NULL,
    counterparty TEXT NOT NULL,
    memo TEXT
);
CREATE INDEX accounts_by_customer ON accounts (customer_id);
CREATE INDEX tx_by_account ON transactions (account_id, date);
"""

LIMITS = (100_000, 250_000, 500_000)
BLOCK_REASONS = ("lost", "stolen", "damaged")
FREEZE_REASONS = ("suspected fraud", "customer request")
MERCHANTS = (
    "Grocer's Market",
    "City Transit",
    "Corner Cafe",
    "Bookshop",
    "Pharmacy",
    "Electric Co.",
    "Streaming Plus",
    "Hardware Depot",
)
MEMOS = ("rent", "dinner", "tuition", "gift", "savings", "car repair")

ACCOUNT_ID = r"^ACC\d{6}$"
CUSTOMER_ID = r"^C\d{3}$"
CARD_ID = r"^CARD\d{4}$"


@dataclass
class Account:
    account_id: str
    customer_id: str
    kind: str
    balance_cents: int
    status: str


@dataclass
class Card:
    card_id: str
    account_id: str
    last4: str
    status: str


@dataclass
class Tx:
    account_id: str
    date: str
    amount_cents: int
    kind: str
    counterparty: str
    memo: str | None


@dataclass
class Customer:
    customer_id: str
    name: str
    email: str
    daily_limit_cents: int
    accounts: list[Account]
    cards: list[Card]
    used_today_cents: int = 0

    def account(self, kind: str) -> Account | None:
        return next((a for a in self.accounts if a.kind == kind), None)

    @property
    def remaining_cents(self) -> int:
        return self.daily_limit_cents - self.used_today_cents


@dataclass
class World:
    customers: list[Customer]
    accounts: list[Account]
    cards: list[Card]
    txs: list[Tx]

    def last_tx(self, account_id: str) -> Tx:
        own = [(t.date, i, t) for i, t in enumerate(self.txs) if t.account_id == account_id]
        return max(own, key=lambda x: (x[0], x[1]))[2]


def build_world() -> World:
    rng = np.random.default_rng(20250603)
    names = sample(rng, [(f, s) for f in FIRST_NAMES for s in LAST_NAMES], 30)
    customers: list[Customer] = []
    accounts: list[Account] = []
    cards: list[Card] = []
    txs: list[Tx] = []
    for n, (first, last) in enumerate(names):
        cust = Customer(
            f"C{201 + n}",
            f"{first} {last}",
            f"{first}{last[0]}{n + 1}@bank.example".lower(),
            pick(rng, LIMITS),
            [],
            [],
        )
        kinds = ["checking"] + (["savings"] if rng.random() < 0.75 else [])
        for kind in kinds:
            lo, hi = (200, 8000) if kind == "checking" else (1000, 30000)
            acc = Account(
                f"ACC{100101 + len(accounts)}",
                cust.customer_id,
                kind,
                int(rng.integers(lo, hi)) * 100 + int(rng.integers(0, 100)),
                "frozen" if rng.random() < 0.05 else "active",
            )
            accounts.append(acc)
            cust.accounts.append(acc)
            for _ in range(int(rng.integers(3, 7))):
                day = f"2025-05-{int(rng.integers(1, 32)):02d}"
                if rng.random() < 0.5:
                    txs.append(
                        Tx(
                            acc.account_id,
                            day,
                            -int(rng.integers(300, 15000)),
                            "card",
                            pick(rng, MERCHANTS),
                            None,
                        )
                    )
                else:
                    txs.append(
                        Tx(
                            acc.account_id,
                            day,
                            int(rng.integers(5000, 300000)),
                            "deposit",
                            "Payroll",
                            None,
                        )
                    )
            if kind == "checking":
                card = Card(
                    f"CARD{3001 + len(cards)}",
                    acc.account_id,
                    f"{int(rng.integers(0, 10000)):04d}",
                    "blocked" if rng.random() < 0.1 else "active",
                )
                cards.append(card)
                cust.cards.append(card)
                if rng.random() < 0.4:  # an outgoing transfer already made today
                    used = int(rng.integers(10, 60)) * cust.daily_limit_cents // 100
                    txs.append(
                        Tx(
                            acc.account_id,
                            TODAY,
                            -used,
                            "transfer_out",
                            f"ACC9{int(rng.integers(0, 100000)):05d}",
                            pick(rng, MEMOS),
                        )
                    )
                    cust.used_today_cents = used
        customers.append(cust)
    return World(customers, accounts, cards, txs)


def populate(conn: sqlite3.Connection, w: World) -> None:
    conn.executemany(
        "INSERT INTO customers VALUES (?, ?, ?, ?)",
        [(c.customer_id, c.name, c.email, c.daily_limit_cents) for c in w.customers],
    )
    conn.executemany(
        "INSERT INTO accounts VALUES (?, ?, ?, ?, ?, NULL)",
        [(a.account_id, a.customer_id, a.kind, a.balance_cents, a.status) for a in w.accounts],
    )
    conn.executemany(
        "INSERT INTO cards VALUES (?, ?, ?, ?, NULL)",
        [(c.card_id, c.account_id, c.last4, c.status) for c in w.cards],
    )
    conn.executemany(
        "INSERT INTO transactions (account_id, date, amount_cents, kind, counterparty, memo) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(t.account_id, t.date, t.amount_cents, t.kind, t.counterparty, t.memo) for t in w.txs],
    )


def value_pool(w: World) -> dict[str, tuple[Any, ...]]:
    ids = tuple(a.account_id for a in w.accounts)
    return {
        "email": tuple(c.email for c in w.customers),
        "customer_id": tuple(c.customer_id for c in w.customers),
        "account_id": ids,
        "from_account_id": ids,
        "to_account_id": ids,
        "card_id": tuple(c.card_id for c in w.cards),
        "reason": BLOCK_REASONS,
        "memo": MEMOS,
        "limit": (1, 3, 5, 10),
    }


# --------------------------------------------------------------------- tools
def _one(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...], what: str) -> tuple[Any, ...]:
    row = conn.execute(sql, args).fetchone()
    if row is None:
        raise ToolFailure(what)
    return tuple(row)


def _account(conn: sqlite3.Connection, account_id: str) -> tuple[Any, ...]:
    return _one(
        conn,
        "SELECT * FROM accounts WHERE account_id = ?",
        (account_id,),
        f"account {account_id} not found",
    )


def _used_today(conn: sqlite3.Connection, customer_id: str) -> int:
    (used,) = conn.execute(
        "SELECT COALESCE(-SUM(t.amount_cents), 0) FROM transactions t JOIN accounts a "
        "USING (account_id) WHERE a.customer_id = ? AND t.date = ? AND t.kind = 'transfer_out'",
        (customer_id, TODAY),
    ).fetchone()
    return int(used)


def find_customer_by_email(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    (cid,) = _one(
        conn,
        "SELECT customer_id FROM customers WHERE email = ?",
        (a["email"].strip().lower(),),
        f"no customer has the email {a['email']!r}",
    )
    return {"customer_id": cid}


def get_customer_details(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    cid, name, email, limit = _one(
        conn,
        "SELECT * FROM customers WHERE customer_id = ?",
        (a["customer_id"],),
        f"customer {a['customer_id']} not found",
    )
    accounts = conn.execute(
        "SELECT account_id, kind, balance_cents, status FROM accounts WHERE customer_id = ? "
        "ORDER BY account_id",
        (cid,),
    ).fetchall()
    cards = conn.execute(
        "SELECT c.card_id, c.account_id, c.last4, c.status FROM cards c JOIN accounts a "
        "USING (account_id) WHERE a.customer_id = ? ORDER BY c.card_id",
        (cid,),
    ).fetchall()
    return {
        "customer_id": cid,
        "name": name,
        "email": email,
        "daily_limit": dollars(limit),
        "accounts": [
            {"account_id": i, "kind": k, "balance": dollars(b), "status": s}
            for i, k, b, s in accounts
        ],
        "cards": [
            {"card_id": i, "account_id": acc, "last4": l4, "status": s} for i, acc, l4, s in cards
        ],
    }


def get_account(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    acc, cid, kind, bal, status, _ = _account(conn, a["account_id"])
    return {
        "account_id": acc,
        "customer_id": cid,
        "kind": kind,
        "balance": dollars(bal),
        "status": status,
    }


def list_transactions(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    _account(conn, a["account_id"])
    rows = conn.execute(
        "SELECT date, amount_cents, kind, counterparty, memo FROM transactions "
        "WHERE account_id = ? ORDER BY date DESC, tx_id DESC LIMIT ?",
        (a["account_id"], int(a["limit"])),
    ).fetchall()
    return {
        "account_id": a["account_id"],
        "transactions": [
            {"date": d, "amount": dollars(c), "kind": k, "counterparty": p, "memo": m}
            for d, c, k, p, m in rows
        ],
    }


def get_transfer_limit(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    cid, _, _, limit = _one(
        conn,
        "SELECT * FROM customers WHERE customer_id = ?",
        (a["customer_id"],),
        f"customer {a['customer_id']} not found",
    )
    used = _used_today(conn, cid)
    return {
        "customer_id": cid,
        "daily_limit": dollars(limit),
        "used_today": dollars(used),
        "remaining_today": dollars(max(0, limit - used)),
    }


def transfer_funds(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    cents = to_cents(a["amount"])
    src, owner, _, balance, status, _ = _account(conn, a["from_account_id"])
    dst, _, _, _, dst_status, _ = _account(conn, a["to_account_id"])
    if src == dst:
        raise ToolFailure("the source and destination accounts must differ")
    if status != "active":
        raise ToolFailure(f"account {src} is {status}; transfers need an active account")
    if dst_status != "active":
        raise ToolFailure(f"account {dst} is {dst_status}; it cannot receive transfers")
    if cents > balance:
        raise ToolFailure(f"insufficient funds: account {src} has {dollars(balance)}")
    (limit,) = conn.execute(
        "SELECT daily_limit_cents FROM customers WHERE customer_id = ?", (owner,)
    ).fetchone()
    remaining = limit - _used_today(conn, owner)
    if cents > remaining:
        raise ToolFailure(
            f"over the daily transfer limit: {dollars(max(0, remaining))} "
            f"remaining today of {dollars(limit)}"
        )
    memo = a.get("memo")
    conn.execute(
        "UPDATE accounts SET balance_cents = balance_cents - ? WHERE account_id = ?", (cents, src)
    )
    conn.execute(
        "UPDATE accounts SET balance_cents = balance_cents + ? WHERE account_id = ?", (cents, dst)
    )
    conn.executemany(
        "INSERT INTO transactions (account_id, date, amount_cents, kind, counterparty, memo) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (src, TODAY, -cents, "transfer_out", dst, memo),
            (dst, TODAY, cents, "transfer_in", src, memo),
        ],
    )
    return {
        "from_account_id": src,
        "to_account_id": dst,
        "amount": dollars(cents),
        "new_balance": dollars(balance - cents),
    }


def block_card(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    cid, _, last4, status, _ = _one(
        conn,
        "SELECT * FROM cards WHERE card_id = ?",
        (a["card_id"],),
        f"card {a['card_id']} not found",
    )
    if status != "active":
        raise ToolFailure(f"card {cid} is already {status}")
    conn.execute(
        "UPDATE cards SET status = 'blocked', block_reason = ? WHERE card_id = ?",
        (a["reason"], cid),
    )
    return {"card_id": cid, "last4": last4, "status": "blocked"}


def freeze_account(conn: sqlite3.Connection, a: dict[str, Any]) -> Any:
    acc, _, _, _, status, _ = _account(conn, a["account_id"])
    if status != "active":
        raise ToolFailure(f"account {acc} is already {status}")
    conn.execute(
        "UPDATE accounts SET status = 'frozen', freeze_reason = ? WHERE account_id = ?",
        (a["reason"], acc),
    )
    return {"account_id": acc, "status": "frozen"}


_CUSTOMER = {"customer_id": string("customer id, e.g. 'C201'", pattern=CUSTOMER_ID)}
TOOLS = (
    Tool(
        "find_customer_by_email",
        "Find a customer's id from their email address.",
        params({"email": string("the customer's email address", max_length=100)}),
        find_customer_by_email,
    ),
    Tool(
        "get_customer_details",
        "A customer's name, daily transfer limit, accounts (balance, status) and cards.",
        params(_CUSTOMER),
        get_customer_details,
    ),
    Tool(
        "get_account",
        "One account's owner, kind, balance and status.",
        params({"account_id": string("account id, e.g. 'ACC100101'", pattern=ACCOUNT_ID)}),
        get_account,
    ),
    Tool(
        "list_transactions",
        "An account's most recent transactions, newest first.",
        params(
            {
                "account_id": string("account id", pattern=ACCOUNT_ID),
                "limit": integer("how many transactions", minimum=1, maximum=20),
            }
        ),
        list_transactions,
    ),
    Tool(
        "get_transfer_limit",
        "A customer's daily transfer limit, the amount transferred today and what remains.",
        params(_CUSTOMER),
        get_transfer_limit,
    ),
    Tool(
        "transfer_funds",
        "Move money between two accounts of this bank (counts toward the source owner's "
        "daily transfer limit).",
        params(
            {
                "from_account_id": string("source account id", pattern=ACCOUNT_ID),
                "to_account_id": string("destination account id", pattern=ACCOUNT_ID),
                "amount": number(
                    "amount in dollars, at most two decimals", exclusive_minimum=0, maximum=100_000
                ),
                "memo": string("optional note, only when the customer asks for one", max_length=60),
            },
            optional=("memo",),
        ),
        transfer_funds,
        writes=("accounts", "transactions"),
    ),
    Tool(
        "block_card",
        "Block an active card.",
        params(
            {
                "card_id": string("card id, e.g. 'CARD3001'", pattern=CARD_ID),
                "reason": string("why the card is blocked", enum=BLOCK_REASONS),
            }
        ),
        block_card,
        writes=("cards",),
    ),
    Tool(
        "freeze_account",
        "Freeze an active account: it can no longer send or receive money.",
        params(
            {
                "account_id": string("account id", pattern=ACCOUNT_ID),
                "reason": string("why the account is frozen", enum=FREEZE_REASONS),
            }
        ),
        freeze_account,
        writes=("accounts",),
    ),
)

POLICY = f"""You are a bank's customer support agent. Today is {TODAY}.
- Identify the customer from their email before acting on their accounts or cards.
- A transfer needs enough money in the source account and room under the customer's
  daily transfer limit; if it does not fit, do not transfer: tell the customer why and
  how much they can transfer (the remaining limit, or the balance).
- Only set a transfer memo when the customer asks for one.
- Tell the customer amounts exactly as the tools report them (for example $1250.00)."""


# --------------------------------------------------------------------- tasks
def _email_fact(c: Customer) -> Fact:
    return Fact("email", ("email", "e-mail", "account"), f"My email is {c.email}.")


def _active(acc: Account | None) -> bool:
    return acc is not None and acc.status == "active"


def _feasible_amount(rng: np.random.Generator, c: Customer, src: Account) -> int:
    """Whole dollars that fit the balance and the remaining daily limit (in cents)."""
    cap = min(src.balance_cents, c.remaining_cents) // 100
    return int(rng.integers(max(1, cap // 10), max(2, cap // 2))) * 100


def _transfer_pairs(w: World) -> list[tuple[Customer, Account, Account]]:
    """Customers with an active checking and savings account and room to transfer."""
    out = []
    for c in w.customers:
        src, dst = c.account("checking"), c.account("savings")
        if src is None or dst is None or src.status != "active" or dst.status != "active":
            continue
        if c.remaining_cents >= 20_000 and src.balance_cents >= 20_000:
            out.append((c, src, dst))
    return out


def _active_card(w: World, rng: np.random.Generator) -> tuple[Customer, Card]:
    return pick(rng, [(c, k) for c in w.customers for k in c.cards if k.status == "active"])


def tc_balance(w: World, rng: np.random.Generator) -> Draft:
    a = pick(rng, w.accounts)
    text = pick(rng, ("What's the balance of account {a}?", "How much money is in account {a}?"))
    return Draft(
        text.format(a=a.account_id), (calls_step(call("get_account", account_id=a.account_id)),)
    )


def tc_block(w: World, rng: np.random.Generator) -> Draft:
    _, card = _active_card(w, rng)
    reason = pick(rng, BLOCK_REASONS)
    phrase = {
        "lost": "I lost my card",
        "stolen": "My card was stolen",
        "damaged": "My card is damaged",
    }[reason]
    return Draft(
        f"{phrase} ({card.card_id}); please block it.",
        (calls_step(call("block_card", card_id=card.card_id, reason=reason)),),
    )


def tc_transactions(w: World, rng: np.random.Generator) -> Draft:
    a = pick(rng, w.accounts)
    n = int(rng.integers(1, 11))
    return Draft(
        f"Show me the last {n} transactions on account {a.account_id}.",
        (calls_step(call("list_transactions", account_id=a.account_id, limit=n)),),
    )


def tc_irrelevant(w: World, rng: np.random.Generator) -> Draft:
    return irrelevant_request(rng)


def tc_transfer(w: World, rng: np.random.Generator) -> Draft:
    c, src, dst = pick(rng, _transfer_pairs(w))
    cents = _feasible_amount(rng, c, src)
    memo = pick(rng, (None, *MEMOS))
    args: dict[str, Any] = {
        "from_account_id": src.account_id,
        "to_account_id": dst.account_id,
        "amount": cents / 100,
    }
    text = f"Transfer ${money(cents)} from account {src.account_id} to account {dst.account_id}"
    if memo is not None:
        args["memo"] = memo
        text += f" with the memo '{memo}'"
    return Draft(text + ".", (calls_step(call("transfer_funds", **args)),))


def tc_two_balances(w: World, rng: np.random.Generator) -> Draft:
    a, b = sample(rng, w.accounts, 2)
    return Draft(
        f"What are the balances of accounts {a.account_id} and {b.account_id}?",
        (
            calls_step(
                call("get_account", account_id=a.account_id),
                call("get_account", account_id=b.account_id),
            ),
        ),
    )


def tc_limit_and_details(w: World, rng: np.random.Generator) -> Draft:
    c = pick(rng, w.customers)
    return Draft(
        f"For customer {c.customer_id}: show the account overview and how much they "
        "can still transfer today.",
        (
            calls_step(
                call("get_customer_details", customer_id=c.customer_id),
                call("get_transfer_limit", customer_id=c.customer_id),
            ),
        ),
    )


def tc_transfer_and_block(w: World, rng: np.random.Generator) -> Draft:
    c, src, dst = pick(
        rng, [p for p in _transfer_pairs(w) if any(k.status == "active" for k in p[0].cards)]
    )
    card = next(k for k in c.cards if k.status == "active")
    cents = _feasible_amount(rng, c, src)
    text = (
        f"Move ${money(cents)} from {src.account_id} to {dst.account_id}, and block card "
        f"{card.card_id} because it was stolen."
    )
    return Draft(
        text,
        (
            calls_step(
                call(
                    "transfer_funds",
                    from_account_id=src.account_id,
                    to_account_id=dst.account_id,
                    amount=cents / 100,
                ),
                call("block_card", card_id=card.card_id, reason="stolen"),
            ),
        ),
    )


def tc_freeze_and_block(w: World, rng: np.random.Generator) -> Draft:
    _, card = _active_card(w, rng)
    acc = next(a for a in w.accounts if a.account_id == card.account_id)
    if acc.status != "active":
        return tc_two_transfers(w, rng)
    text = (
        f"Someone stole my card {card.card_id} and is using account {acc.account_id}: block "
        "the card and freeze the account for suspected fraud."
    )
    return Draft(
        text,
        (
            calls_step(
                call("block_card", card_id=card.card_id, reason="stolen"),
                call("freeze_account", account_id=acc.account_id, reason="suspected fraud"),
            ),
        ),
    )


def tc_two_transfers(w: World, rng: np.random.Generator) -> Draft:
    c, src, dst = pick(rng, _transfer_pairs(w))
    other = pick(
        rng, [a for a in w.accounts if a.status == "active" and a.customer_id != c.customer_id]
    )
    cap = min(src.balance_cents, c.remaining_cents) // 100
    x = int(rng.integers(1, max(2, cap // 3))) * 100
    y = int(rng.integers(1, max(2, cap // 3))) * 100
    text = (
        f"From account {src.account_id}, send ${money(x)} to {dst.account_id} and "
        f"${money(y)} to {other.account_id}."
    )
    return Draft(
        text,
        (
            calls_step(
                call(
                    "transfer_funds",
                    from_account_id=src.account_id,
                    to_account_id=dst.account_id,
                    amount=x / 100,
                ),
                call(
                    "transfer_funds",
                    from_account_id=src.account_id,
                    to_account_id=other.account_id,
                    amount=y / 100,
                ),
            ),
        ),
    )


_UNSUPPORTED = (
    "Please open a new savings account for customer {c}.",
    "Raise the daily transfer limit of customer {c} to $10000.",
    "Waive the overdraft fee on account {a}.",
    "Send money from account {a} to my friend's account at another bank via SWIFT.",
    "Order a replacement card for account {a} with express delivery.",
)


def tc_unsupported(w: World, rng: np.random.Generator) -> Draft:
    a = pick(rng, w.accounts)
    return unsupported_request(rng, _UNSUPPORTED, c=a.customer_id, a=a.account_id)


def ta_balance(w: World, rng: np.random.Generator) -> Draft:
    c = pick(rng, w.customers)
    a = pick(rng, c.accounts)
    steps = (
        calls_step(call("get_account", account_id=a.account_id)),
        answer_step(f"The balance of account {a.account_id} is ${money(a.balance_cents)}."),
    )
    return Draft(
        f"Hi, what's the balance on my account {a.account_id}?",
        steps,
        (money(a.balance_cents),),
        (_email_fact(c),),
        goal=f"I want the balance of account {a.account_id}.",
    )


def ta_block_given(w: World, rng: np.random.Generator) -> Draft:
    c, card = _active_card(w, rng)
    steps = (
        calls_step(call("block_card", card_id=card.card_id, reason="lost")),
        answer_step(f"Card {card.card_id} ending in {card.last4} is now blocked."),
    )
    return Draft(
        f"I lost my card {card.card_id}, please block it right away!",
        steps,
        (),
        (_email_fact(c),),
        goal=f"I want card {card.card_id} blocked.",
    )


def ta_last_transaction(w: World, rng: np.random.Generator) -> Draft:
    c = pick(rng, w.customers)
    a = pick(rng, c.accounts)
    tx = w.last_tx(a.account_id)
    steps = (
        calls_step(call("list_transactions", account_id=a.account_id, limit=1)),
        answer_step(
            f"The last transaction on {a.account_id} was {tx.counterparty} on {tx.date}: "
            f"${money(abs(tx.amount_cents))}."
        ),
    )
    return Draft(
        f"What was the most recent transaction on my account {a.account_id}?",
        steps,
        (money(abs(tx.amount_cents)),),
        (_email_fact(c),),
        goal=f"I want to know the last transaction on {a.account_id}.",
    )


_ASK_EMAIL = "I can help with that. What email address is registered with the bank?"


def ta_transfer_own(w: World, rng: np.random.Generator) -> Draft:
    c, src, dst = pick(rng, _transfer_pairs(w))
    cents = _feasible_amount(rng, c, src)
    steps = (
        ask_step(_ASK_EMAIL, "email"),
        calls_step(call("find_customer_by_email", email=c.email)),
        calls_step(call("get_customer_details", customer_id=c.customer_id)),
        calls_step(
            call(
                "transfer_funds",
                from_account_id=src.account_id,
                to_account_id=dst.account_id,
                amount=cents / 100,
            )
        ),
        answer_step(
            f"Done: ${money(cents)} moved to your savings; your checking balance is "
            f"now ${money(src.balance_cents - cents)}."
        ),
    )
    return Draft(
        f"Hi, please move ${money(cents)} from my checking account to my savings.",
        steps,
        (money(src.balance_cents - cents),),
        (_email_fact(c),),
        goal=f"I want ${money(cents)} moved from checking to savings.",
    )


def ta_block_lookup(w: World, rng: np.random.Generator) -> Draft:
    c, card = _active_card(w, rng)
    reason = pick(rng, BLOCK_REASONS)
    steps = (
        ask_step(_ASK_EMAIL, "email"),
        calls_step(call("find_customer_by_email", email=c.email)),
        calls_step(call("get_customer_details", customer_id=c.customer_id)),
        calls_step(call("block_card", card_id=card.card_id, reason=reason)),
        answer_step(f"Your card ending in {card.last4} is blocked."),
    )
    opening = f"Help, my card ending in {card.last4} is {reason}. Can you block it?"
    return Draft(
        opening,
        steps,
        (card.last4,),
        (_email_fact(c),),
        goal=f"I want my card ending in {card.last4} blocked.",
    )


def ta_limit(w: World, rng: np.random.Generator) -> Draft:
    c = pick(rng, w.customers)
    steps = (
        ask_step(_ASK_EMAIL, "email"),
        calls_step(call("find_customer_by_email", email=c.email)),
        calls_step(call("get_transfer_limit", customer_id=c.customer_id)),
        answer_step(f"You can still transfer ${money(c.remaining_cents)} today."),
    )
    return Draft(
        "How much more money can I transfer today?",
        steps,
        (money(c.remaining_cents),),
        (_email_fact(c),),
        goal="I want to know how much I can still transfer today.",
    )


def ta_over_limit(w: World, rng: np.random.Generator) -> Draft:
    options = [(c, c.account("checking")) for c in w.customers if _active(c.account("checking"))]
    c, src = pick(rng, options)
    assert src is not None
    dst = pick(
        rng, [a for a in w.accounts if a.customer_id != c.customer_id and a.status == "active"]
    )
    if src.balance_cents >= c.remaining_cents + 100:  # the daily limit stops it
        room = (src.balance_cents - c.remaining_cents) // 100
        cents = (c.remaining_cents // 100 + int(rng.integers(1, min(500, room) + 1))) * 100
        lookup = call("get_transfer_limit", customer_id=c.customer_id)
        output = money(c.remaining_cents)
        answer = (
            f"I can't send that: it is over your daily transfer limit; you can transfer "
            f"${output} more today."
        )
    else:  # the balance stops it (the tool checks the balance first)
        cents = (src.balance_cents // 100 + int(rng.integers(50, 500))) * 100
        lookup = call("get_customer_details", customer_id=c.customer_id)
        output = money(src.balance_cents)
        answer = (
            f"I can't send that: your checking account only has ${output}, so the most I "
            "can transfer is that balance."
        )
    steps = (
        ask_step(_ASK_EMAIL, "email"),
        calls_step(call("find_customer_by_email", email=c.email)),
        calls_step(lookup),
        answer_step(answer),
    )
    opening = f"Please send ${money(cents)} from my checking account to account {dst.account_id}."
    return Draft(
        opening,
        steps,
        (output,),
        (_email_fact(c),),
        goal=f"I want ${money(cents)} sent to {dst.account_id}.",
    )


def ta_pay_and_block(w: World, rng: np.random.Generator) -> Draft:
    pairs = [p for p in _transfer_pairs(w) if any(k.status == "active" for k in p[0].cards)]
    c, src, _ = pick(rng, pairs)
    card = next(k for k in c.cards if k.status == "active")
    dst = pick(
        rng, [a for a in w.accounts if a.customer_id != c.customer_id and a.status == "active"]
    )
    cents = _feasible_amount(rng, c, src)
    memo = pick(rng, MEMOS)
    steps = (
        ask_step(_ASK_EMAIL, "email"),
        calls_step(call("find_customer_by_email", email=c.email)),
        calls_step(call("get_customer_details", customer_id=c.customer_id)),
        calls_step(
            call(
                "transfer_funds",
                from_account_id=src.account_id,
                to_account_id=dst.account_id,
                amount=cents / 100,
                memo=memo,
            ),
            call("block_card", card_id=card.card_id, reason="stolen"),
        ),
        answer_step(
            f"Sent ${money(cents)} to {dst.account_id} (memo '{memo}'); your checking "
            f"balance is ${money(src.balance_cents - cents)}, and the card ending in "
            f"{card.last4} is blocked."
        ),
    )
    opening = (
        f"Two things: send ${money(cents)} from my checking account to {dst.account_id} "
        f"with the memo '{memo}', and block my card ending in {card.last4}, it was stolen."
    )
    return Draft(
        opening,
        steps,
        (money(src.balance_cents - cents),),
        (_email_fact(c),),
        goal=f"Send ${money(cents)} to {dst.account_id} and block my card.",
    )


def ta_freeze_savings(w: World, rng: np.random.Generator) -> Draft:
    options = [c for c in w.customers if _active(c.account("savings"))]
    c = pick(rng, options)
    acc = c.account("savings")
    assert acc is not None
    steps = (
        ask_step(_ASK_EMAIL, "email"),
        calls_step(call("find_customer_by_email", email=c.email)),
        calls_step(call("get_customer_details", customer_id=c.customer_id)),
        calls_step(call("list_transactions", account_id=acc.account_id, limit=5)),
        calls_step(call("freeze_account", account_id=acc.account_id, reason="suspected fraud")),
        answer_step(
            f"Your savings account {acc.account_id} is frozen; its balance is "
            f"${money(acc.balance_cents)}."
        ),
    )
    opening = (
        "I think someone got into my savings account. Can you check the recent activity "
        "and freeze it?"
    )
    return Draft(
        opening,
        steps,
        (acc.account_id,),
        (_email_fact(c),),
        goal="I want my savings account frozen.",
    )


DOMAIN = Domain(
    name="banking",
    title="bank",
    policy=POLICY,
    toolbox=Toolbox(TOOLS),
    ddl=DDL,
    build_world=build_world,
    populate=populate,
    call_tasks={
        "balance": ("easy", tc_balance),
        "block_card": ("easy", tc_block),
        "transactions": ("easy", tc_transactions),
        "irrelevant": ("easy", tc_irrelevant),
        "transfer": ("medium", tc_transfer),
        "two_balances": ("medium", tc_two_balances),
        "limit_and_details": ("medium", tc_limit_and_details),
        "transfer_and_block": ("hard", tc_transfer_and_block),
        "freeze_and_block": ("hard", tc_freeze_and_block),
        "two_transfers": ("hard", tc_two_transfers),
        "unsupported": ("hard", tc_unsupported),
    },
    agent_tasks={
        "balance": ("easy", ta_balance),
        "block_card": ("easy", ta_block_given),
        "last_transaction": ("easy", ta_last_transaction),
        "transfer_own": ("medium", ta_transfer_own),
        "block_lookup": ("medium", ta_block_lookup),
        "limit": ("medium", ta_limit),
        "over_limit": ("hard", ta_over_limit),
        "pay_and_block": ("hard", ta_pay_and_block),
        "freeze_savings": ("hard", ta_freeze_savings),
    },
    value_pool=value_pool,
    volatile={"transactions": ("tx_id",)},
)
