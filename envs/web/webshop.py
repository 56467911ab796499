"""WebShop: buy what the instruction asks for on a generated web store."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from .actions import quote
from .base import WebEnv
from .catalog import NUM_TASKS, RESULTS_PER_PAGE, TEST_TASKS, ShopGoal, get_catalog, webshop_reward
from .shop_app import CartItem, ShopApp

__all__ = ["WebShopEnv"]

_SHOP_TERMS = (
    "webshop",
    "webshop_type",
    "webshop_attributes",
    "webshop_options",
    "webshop_price",
    "progress",
    "invalid",
)


class WebShopEnv(WebEnv):
    """Shop on a generated web store (in the manner of WebShop, Yao et al. 2022):
    search, open a product, choose its options, buy it.

    The site (:mod:`~rewardgym.envs.web.shop_app`) is a real web application of about
    500 products (:mod:`~rewardgym.envs.web.catalog`, generated from ``site_seed``):
    a home page with categories, search results 10 a page, product pages with a size
    drop-down and radio buttons for the other options, a cart and a checkout. Each
    episode is a task: an instruction made from one product of the catalog (the gold
    target), e.g. *"i need a waterproof jacket, size m, in navy, and price lower
    than 70.00 dollars"*.

    ## Backends
    ``backend="inprocess"`` (default): the env calls the WSGI app directly and parses
    its HTML into an accessibility tree. ``backend="browser"``: the app is served on
    127.0.0.1 and Chromium (Playwright, headless, empty profile, every other address
    blocked) loads it; the tree is read from the live DOM. Both show the same tree and
    give the same rewards for the same actions.

    ## Action space
    ``action_mode="text"``: one action of the language of
    :mod:`~rewardgym.envs.web.actions`: ``click [id]``, ``type [id] "text"``,
    ``select [id] "option"``, ``search "query"``, ``scroll up|down``, ``back``,
    ``stop``. ``action_mode="discrete"``: ``Discrete(max_candidates)`` over the
    actions on the elements in view (clicks, the options of drop-downs), the
    ``search`` queries an agent can read off the instruction (the attributes with the
    product type, the type, the whole instruction), ``scroll`` and ``back``, with an
    action mask.

    ## Observation space
    Text mode: ``Goal: ...``, ``URL: ...`` (path and query), ``Title: ...``, then the
    accessibility tree of the lines in view (``viewport_lines``, default 40), one
    element a line, interactive elements with their id: ``[5] link "Northpeak
    Waterproof Jacket"``, ``[6] combobox "Size" value="Choose size" options=[...]``,
    ``[7] radio "navy" checked=false``, ``text "Price: $59.99"``. Discrete mode: the
    hashed features of that text, of each candidate, and the action mask. With
    ``screenshot=True`` (browser only) the observation is a dict that adds the
    ``screenshot`` (``window_size`` pixels, ``(H, W, 3)`` uint8).

    ## Rewards
    Every term is logged in ``info["reward_terms"]`` on every step:

    * ``webshop``: WebShop's reward when an order is placed
      (:func:`~rewardgym.envs.web.catalog.webshop_reward`): ``r_type * (N_att +
      N_opt + 1[price <= budget]) / (|att| + |opt| + 1)``, averaged over the items of
      the order (buying extra items lowers it); 0 on other steps;
    * ``webshop_type``, ``webshop_attributes``, ``webshop_options``,
      ``webshop_price``: its factors for the order (the mean over its items);
    * ``progress`` (a process reward): 1/4 the first time each page of the gold path
      is reached after the start: a results page listing the gold product, the gold
      product's page, the checkout with the gold product in the cart, and an order
      containing it;
    * ``invalid``: ``-invalid_action_penalty`` on a rejected action (default 0).

    The scalar reward is ``webshop + progress_weight * progress + invalid``
    (``progress_weight`` defaults to 0). ``info["success"]`` is ``webshop == 1``.

    ## Info
    The text-env contract (``success``, ``error`` and ``error_message``, ``caption``
    = the page title, ``reward_terms``, ``text``, ``turn``; ``candidates`` and
    ``action_mask`` in discrete mode) plus ``url``, ``title``, ``goal``, ``task_id``
    and, with ``include_html=True``, ``html``. Malformed actions are ``"parse"``
    errors; unknown ids, elements out of view, wrong verbs and unknown options are
    ``"illegal"``; a browser failure is ``"execution"``. A rejected action changes
    nothing.

    ## Starting state
    The home page with an empty cart; the task drawn from ``split`` (``"train"``:
    tasks 100-9999, ``"test"``: the held-out tasks 0-99, ``"all"``), or
    ``reset(options={"task_id": i})``.

    ## Episode end
    Terminated when an order is placed (Place order on the checkout page) or on
    ``stop`` (reward 0). Truncated by the ``TimeLimit`` of ``gym.make`` (50 steps).

    ## Arguments
    ``backend``, ``split``, ``site_seed`` (the catalog, default 0),
    ``viewport_lines``, ``progress_weight``, ``screenshot``, ``include_html``,
    ``chromium_path`` (else :func:`~rewardgym.envs.web.backends.find_chromium`),
    ``browser_timeout_s``, ``window_size``, ``max_candidates`` (64),
    ``invalid_action_penalty`` (0), ``action_mode``, ``render_mode`` and the other
    :class:`~rewardgym.envs.text.TextEnv` arguments.

    ## Version history
    * v0: first release.

    ## Example
    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/WebShop-v0")
    >>> obs, info = env.reset(seed=0, options={"task_id": 3})
    >>> print(obs.splitlines()[1])
    URL: /
    >>> obs, reward, terminated, truncated, info = env.step("click [99]")
    >>> info["error"]
    'illegal'
    >>> while not terminated:
    ...     obs, reward, terminated, truncated, info = env.step(env.unwrapped.oracle_action())
    >>> info["success"], reward, info["caption"]
    (True, 1.0, 'Order placed | Shoply')
    """

    num_tasks: ClassVar[int] = NUM_TASKS
    test_tasks: ClassVar[int] = TEST_TASKS
    reward_terms: ClassVar[tuple[str, ...]] = _SHOP_TERMS
    _search_candidates: ClassVar[bool] = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.catalog = get_catalog(self.site_seed)
        self.shop = ShopApp(self.catalog)
        self.task: ShopGoal | None = None
        self._orders_seen = 0

    # -- the family hooks --------------------------------------------------------------

    def _load_task(self, task_id: int) -> tuple[ShopApp, str]:
        self.task = self.catalog.task(task_id)
        self.shop.reset_state()
        self._orders_seen = 0
        return self.shop, self.task.instruction

    def _evaluate(self) -> tuple[dict[str, float], float, bool, bool, bool]:
        assert self.task is not None
        terms = dict.fromkeys(_SHOP_TERMS[:5], 0.0)
        if len(self.shop.orders) > self._orders_seen:
            order = self.shop.orders[self._orders_seen]
            self._orders_seen = len(self.shop.orders)
            scores = [
                webshop_reward(self.task, self.catalog.product(pid), dict(options))
                for pid, options in order
            ]
            for key, name in (("reward", "webshop"), ("type", "webshop_type"),
                              ("attributes", "webshop_attributes"), ("options", "webshop_options"),
                              ("price", "webshop_price")):  # fmt: skip
                terms[name] = sum(s[key] for s in scores) / len(scores)
            return terms, terms["webshop"], True, False, terms["webshop"] >= 1.0 - 1e-9
        if self._stopped is not None:
            return terms, 0.0, True, False, False
        return terms, 0.0, False, False, False

    def _milestone_names(self) -> list[str]:
        return ["results", "product", "checkout", "order"]

    def _milestones(self, new_views: list[Any]) -> set[str]:
        assert self.task is not None
        gold = self.task.product_id
        out: set[str] = set()
        for view in new_views:
            if view.kind == "results" and gold in view.data[2]:
                out.add("results")
            elif view.kind == "product" and view.data[0] == gold:
                out.add("product")
            elif view.kind == "checkout" and any(item[0] == gold for item in view.data[0]):
                out.add("checkout")
        if any(item[0] == gold for order in self.shop.orders for item in order):
            out.add("order")
        return out

    def _search_queries(self) -> list[str]:
        assert self.task is not None
        return list(self.task.search_queries)

    # -- the oracle ------------------------------------------------------------------------

    def gold_item(self) -> CartItem:
        """The cart line that fulfils the task: the gold product with the goal's options."""
        assert self.task is not None
        return (self.task.product_id, tuple(sorted(self.task.options.items())))

    def _oracle_text(self) -> str:
        task = self.task
        page = self._require_page()
        if task is None:
            raise RuntimeError("call reset() first")
        path = urlsplit(page.url).path
        gold = self.gold_item()
        cart = self.shop.cart
        if cart:
            wrong = [i for i, item in enumerate(cart) if item != gold]
            if path in ("/cart", "/checkout"):
                removes = [
                    e
                    for e in page.template.interactive
                    if e.role == "button" and e.name == "Remove"
                ]
                if wrong:
                    el = removes[wrong[0]].element
                    assert el is not None
                    return self._act("click", el)
                if len(cart) > 1:  # the gold item twice: keep one
                    el = removes[1].element
                    assert el is not None
                    return self._act("click", el)
                target = (
                    self._find("button", "Place order")
                    if path == "/checkout"
                    else self._find("link", "Proceed to checkout")
                )
                assert target is not None
                return self._act("click", target)
            link = self._find("link", f"Cart ({len(cart)})")
            assert link is not None
            return self._act("click", link)
        if path == f"/product/{task.product_id}":
            product = self.catalog.product(task.product_id)
            for dim, _ in product.options:
                want = task.options[dim]
                if dim == "size":
                    box = self._find("combobox", None, id=f"opt-{dim}")
                    assert box is not None
                    labels = page.options(box)
                    if labels[page.selected_index(box)] != want:
                        return self._act("select", box, want)
                else:
                    radio = self._find("radio", None, name=dim, value=want)
                    assert radio is not None
                    if not page.is_checked(radio):
                        return self._act("click", radio)
            buy = self._find("button", "Buy Now")
            assert buy is not None
            return self._act("click", buy)
        if path == "/search":
            for entry in page.template.interactive:
                el = entry.element
                if (
                    entry.role == "link"
                    and el is not None
                    and urlsplit(el.attrs.get("href", "")).path == f"/product/{task.product_id}"
                ):
                    return self._act("click", el)
            query = dict(parse_qsl(urlsplit(page.url).query)).get("q", "")
            ranked = [p.id for p in self.catalog.search(query)] if query.strip() else []
            if query == task.query and task.product_id in ranked:
                want_page = ranked.index(task.product_id) // RESULTS_PER_PAGE + 1
                here = int(dict(parse_qsl(urlsplit(page.url).query)).get("page", "1") or 1)
                label = "Next »" if want_page > here else "« Previous"
                link = self._find("link", label)
                if link is not None:
                    return self._act("click", link)
        return f"search {quote(task.query)}"
