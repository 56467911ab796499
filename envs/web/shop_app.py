"""The shop website (a WSGI app over a :class:`~rewardgym.envs.web.catalog.Catalog`).

Pages (every page has a header with the home link, a search box and the cart):

========================================  ==============================================
``GET /``                                 home: categories to browse
``GET /category/<name>?page=N``           the category's products, 10 a page
``GET /search?q=...&page=N``              search results (BM25, at most 50), 10 a page
``GET /product/<id>?q=...&page=N``        product page: price, rating, option pickers
                                          (a drop-down for size, radio buttons for the
                                          other dimensions), Buy Now, Add to Cart,
                                          features and description
``POST /cart/add``                        add the product with the chosen options; Buy
                                          Now goes on to the checkout, Add to Cart to
                                          the cart
``GET /cart``, ``POST /cart/remove``      the cart; remove an item
``GET /checkout``                         order summary, Place order
``POST /order``                           place the order (the cart's items)
``GET /order/confirmation``               the confirmation page
========================================  ==============================================

State (the cart and the orders placed) lives in the app; :meth:`ShopApp.reset_state`
empties it for a new episode.
"""

from __future__ import annotations

from typing import Any

from .catalog import RESULTS_PER_PAGE, Catalog, Product
from .dom import form_encode
from .site import Request, Response, WebApp, esc, page_html

__all__ = ["SITE_NAME", "CartItem", "ShopApp"]

SITE_NAME = "Shoply"

#: A cart line: product id and the chosen options as sorted (dimension, value) pairs.
CartItem = tuple[str, tuple[tuple[str, str], ...]]


def _price(x: float) -> str:
    return f"${x:,.2f}"


def _url(path: str, **query: Any) -> str:
    pairs = [(k, str(v)) for k, v in query.items() if v is not None and v != ""]
    return path + ("?" + form_encode(pairs) if pairs else "")


def _page_number(text: str | None) -> int:
    try:
        return max(1, min(int(text or "1"), 10_000))
    except ValueError:
        return 1


class ShopApp(WebApp):
    """The shop of one catalog (see the module docstring)."""

    def __init__(self, catalog: Catalog):
        super().__init__()
        self.catalog = catalog
        self.cart: list[CartItem] = []
        self.orders: list[tuple[CartItem, ...]] = []

    def reset_state(self) -> None:
        """Empty the cart, the orders and the record of pages served."""
        with self._lock:
            self.cart = []
            self.orders = []
            self.views = []

    # -- rendering helpers -----------------------------------------------------------

    def _layout(self, title: str, body: str, query: str = "") -> str:
        header = (
            f'<header><a href="/">{SITE_NAME}</a> '
            '<form action="/search" method="get" role="search" autocomplete="off">'
            '<label for="search-box">Search products</label> '
            f'<input type="search" id="search-box" name="q" value="{esc(query)}"> '
            '<button type="submit">Search</button></form> '
            f'<a href="/cart">Cart ({len(self.cart)})</a></header>'
        )
        return page_html(f"{title} | {SITE_NAME}", header + f"<main>{body}</main>")

    def _listing(self, products: list[Product], page: int, link: dict[str, Any]) -> str:
        parts = []
        for p in products:
            href = _url(f"/product/{p.id}", **link, page=page if link else None)
            parts.append(
                f'<div class="result"><a href="{esc(href)}">{esc(p.title)}</a>'
                f"<div>{_price(p.price)} · rated {p.rating} ({p.reviews} reviews)</div></div>"
            )
        return "".join(parts)

    @staticmethod
    def _pager(base: str, page: int, pages: int, **query: Any) -> str:
        items = []
        if page > 1:
            items.append(f'<a href="{esc(_url(base, **query, page=page - 1))}">« Previous</a>')
        items.append(f"<span>Page {page} of {pages}</span>")
        if page < pages:
            items.append(f'<a href="{esc(_url(base, **query, page=page + 1))}">Next »</a>')
        return "<nav>" + " ".join(items) + "</nav>"

    def _item_line(self, item: CartItem) -> str:
        p = self.catalog.product(item[0])
        opts = ", ".join(f"{d} {v}" for d, v in item[1]) or "no options chosen"
        return f"{esc(p.title)} ({esc(opts)}) {_price(p.price)}"

    # -- routes -------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path
        if request.method == "POST":
            if path == "/cart/add":
                return self._add(request)
            if path == "/cart/remove":
                return self._remove(request)
            if path == "/order":
                return self._order(request)
            return Response(405, self._layout("Not allowed", "<h1>Not allowed</h1>"))
        if path == "/":
            return self._home(request)
        if path == "/search":
            return self._search(request)
        if path.startswith("/category/"):
            return self._category(request, path[len("/category/") :])
        if path.startswith("/product/"):
            return self._product(request, path[len("/product/") :])
        if path == "/cart":
            return self._cart(request)
        if path == "/checkout":
            return self._checkout(request)
        if path == "/order/confirmation":
            return self._confirmation(request)
        return Response.not_found(
            self._layout("Not found", '<h1>Page not found</h1><p><a href="/">Home</a></p>')
        )

    def _home(self, request: Request) -> Response:
        cats = "".join(
            f'<li><a href="/category/{esc(c)}">{esc(c.title())}</a></li>'
            for c in self.catalog.categories
        )
        body = f"<h1>Welcome to {SITE_NAME}</h1><p>Browse by category:</p><ul>{cats}</ul>"
        self.record("home", request)
        return Response(body=self._layout("Home", body))

    def _search(self, request: Request) -> Response:
        query = request.query.get("q", "")[:500]
        page = _page_number(request.query.get("page"))
        results = self.catalog.search(query) if query.strip() else []
        pages = max(1, -(-len(results) // RESULTS_PER_PAGE))
        page = min(page, pages)
        shown = results[(page - 1) * RESULTS_PER_PAGE : page * RESULTS_PER_PAGE]
        if results:
            first = (page - 1) * RESULTS_PER_PAGE + 1
            body = (
                f"<h1>Results for “{esc(query)}”</h1>"
                f'<p class="muted">Showing {first}-{first + len(shown) - 1} of {len(results)}</p>'
                + self._listing(shown, page, {"q": query})
                + self._pager("/search", page, pages, q=query)
            )
        else:
            body = f"<h1>Results for “{esc(query)}”</h1><p>No products match your search.</p>"
        self.record("results", request, query, page, tuple(p.id for p in shown))
        return Response(body=self._layout("Search results", body, query))

    def _category(self, request: Request, name: str) -> Response:
        ids = self.catalog.categories.get(name)
        if ids is None:
            return Response.not_found(self._layout("Not found", "<h1>No such category</h1>"))
        page = _page_number(request.query.get("page"))
        pages = max(1, -(-len(ids) // RESULTS_PER_PAGE))
        page = min(page, pages)
        shown = [
            self.catalog.product(i) for i in ids[(page - 1) * RESULTS_PER_PAGE :][:RESULTS_PER_PAGE]
        ]
        body = (
            f"<h1>{esc(name.title())}</h1>"
            + self._listing(shown, page, {})
            + self._pager(f"/category/{name}", page, pages)
        )
        self.record("category", request, name, page, tuple(p.id for p in shown))
        return Response(body=self._layout(name.title(), body))

    def _product(self, request: Request, pid: str) -> Response:
        if not self.catalog.has(pid):
            return Response.not_found(self._layout("Not found", "<h1>No such product</h1>"))
        p = self.catalog.product(pid)
        query = request.query.get("q", "")
        back = ""
        if query:
            href = _url("/search", q=query, page=_page_number(request.query.get("page")))
            back = f'<p><a href="{esc(href)}">« Back to results</a></p>'
        pickers = []
        for dim, values in p.options:
            if dim == "size":
                opts = "".join(f"<option>{esc(v)}</option>" for v in values)
                pickers.append(
                    f'<p><label for="opt-{dim}">{dim.title()}</label> '
                    f'<select id="opt-{dim}" name="{dim}"><option value="">Choose {dim}</option>'
                    f"{opts}</select></p>"
                )
            else:
                radios = "".join(
                    f'<input type="radio" id="opt-{dim}-{i}" name="{dim}" value="{esc(v)}">'
                    f'<label for="opt-{dim}-{i}">{esc(v)}</label> '
                    for i, v in enumerate(values)
                )
                pickers.append(f"<fieldset><legend>{dim.title()}</legend>{radios}</fieldset>")
        bullets = "".join(f"<li>{esc(b)}</li>" for b in p.bullets)
        body = (
            back + f"<h1>{esc(p.title)}</h1><p>Price: {_price(p.price)}</p>"
            f"<p>Rating: {p.rating} out of 5 ({p.reviews} reviews)</p>"
            '<form action="/cart/add" method="post" autocomplete="off">'
            f'<input type="hidden" name="product" value="{p.id}">'
            + "".join(pickers)
            + '<p><button type="submit" name="action" value="buy">Buy Now</button> '
            '<button type="submit" name="action" value="add">Add to Cart</button></p></form>'
            f"<h2>Features</h2><ul>{bullets}</ul><h2>Description</h2><p>{esc(p.description)}</p>"
        )
        self.record("product", request, pid)
        return Response(body=self._layout(p.title, body))

    def _add(self, request: Request) -> Response:
        pid = request.form.get("product", "")
        if not self.catalog.has(pid):
            return Response(400, self._layout("Bad request", "<h1>Unknown product</h1>"))
        p = self.catalog.product(pid)
        chosen = tuple(
            sorted(
                (dim, request.form[dim])
                for dim, values in p.options
                if request.form.get(dim) in values
            )
        )
        self.cart.append((pid, chosen))
        return Response.redirect("/checkout" if request.form.get("action") == "buy" else "/cart")

    def _remove(self, request: Request) -> Response:
        try:
            index = int(request.form.get("item", ""))
        except ValueError:
            index = -1
        if 0 <= index < len(self.cart):
            del self.cart[index]
        nxt = request.form.get("next", "/cart")
        return Response.redirect(nxt if nxt in ("/cart", "/checkout") else "/cart")

    def _items(self, next_page: str) -> str:
        parts = []
        for i, item in enumerate(self.cart):
            parts.append(
                f'<div class="result"><div>{self._item_line(item)}</div>'
                '<form action="/cart/remove" method="post" autocomplete="off">'
                f'<input type="hidden" name="item" value="{i}">'
                f'<input type="hidden" name="next" value="{next_page}">'
                '<button type="submit">Remove</button></form></div>'
            )
        total = sum(self.catalog.product(pid).price for pid, _ in self.cart)
        return "".join(parts) + f"<p>Total: {_price(total)}</p>"

    def _cart(self, request: Request) -> Response:
        if self.cart:
            body = (
                "<h1>Your cart</h1>"
                + self._items("/cart")
                + '<p><a href="/checkout">Proceed to checkout</a></p>'
            )
        else:
            body = "<h1>Your cart</h1><p>Your cart is empty.</p>"
        body += '<p><a href="/">Continue shopping</a></p>'
        self.record("cart", request, tuple(self.cart))
        return Response(body=self._layout("Cart", body))

    def _checkout(self, request: Request) -> Response:
        if self.cart:
            body = (
                "<h1>Checkout</h1>"
                + self._items("/checkout")
                + '<form action="/order" method="post" autocomplete="off">'
                '<button type="submit">Place order</button></form>'
            )
        else:
            body = "<h1>Checkout</h1><p>Your cart is empty.</p>"
        body += '<p><a href="/cart">Back to cart</a></p>'
        self.record("checkout", request, tuple(self.cart))
        return Response(body=self._layout("Checkout", body))

    def _order(self, request: Request) -> Response:
        if not self.cart:
            return Response.redirect("/checkout")
        self.orders.append(tuple(self.cart))
        self.cart = []
        return Response.redirect("/order/confirmation")

    def _confirmation(self, request: Request) -> Response:
        if not self.orders:
            return Response.redirect("/checkout")
        order = self.orders[-1]
        lines = "".join(f"<li>{self._item_line(item)}</li>" for item in order)
        body = (
            f"<h1>Thank you for your order</h1><p>Order number {len(self.orders)}:</p>"
            f'<ul>{lines}</ul><p><a href="/">Back to the shop</a></p>'
        )
        self.record("confirmation", request, order)
        return Response(body=self._layout("Order placed", body))
