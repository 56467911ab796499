"""The shop's catalog, its search engine, its tasks and WebShop's reward.

A :class:`Catalog` is generated from a seed (:func:`get_catalog`): about 500
products over 21 product types in 5 categories, each with a brand, a title, a
category path, attributes (``waterproof``, ``gluten free``), option dimensions
(``size``, ``color``, ``flavor``, ...) with the values the product comes in, a price,
a rating, feature bullets and a description. :meth:`Catalog.search` ranks
products for a query with BM25 over title, type, category and attributes.

A :class:`ShopGoal` is a WebShop-style instruction made from one product (the gold
target): some of its attributes, one value for each of its option dimensions and a
price bound above its price, e.g. *"i need a waterproof jacket in navy, size m,
and price lower than 70.00 dollars"*. Task ``i`` of a catalog is fixed
(:meth:`Catalog.task`); the held-out split is tasks ``0 .. TEST_TASKS - 1``.

:func:`webshop_reward` is WebShop's purchase reward (princeton-nlp/WebShop,
``web_agent_site/engine/goal.py``): ``R = r_type * (N_att + N_opt + 1[price <=
budget]) / (|attributes| + |options| + 1)``; attributes and options match by
token-set ratio > 85 (:mod:`~rewardgym.envs.web.fuzzy`), an attribute also when
it occurs in the title, bullets or description; ``r_type`` drops to 0.5, 0.1 or 0
as the bought product's title shares fewer nouns with the gold product's.

>>> cat = get_catalog(0)
>>> len(cat.products), len(cat.types)
(504, 21)
>>> goal = cat.task(0)
>>> gold = cat.product(goal.product_id)
>>> webshop_reward(goal, gold, goal.options)["reward"]
1.0
>>> goal.product_id in [p.id for p in cat.search(goal.query)]
True
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .fuzzy import token_set_ratio

__all__ = [
    "NUM_TASKS",
    "RESULTS_PER_PAGE",
    "TEST_TASKS",
    "Catalog",
    "Product",
    "ProductType",
    "ShopGoal",
    "get_catalog",
    "webshop_reward",
]

#: Tasks per catalog (ids ``0 .. NUM_TASKS - 1``); the first ``TEST_TASKS`` are the
#: held-out split, the rest the training split.
NUM_TASKS = 10_000
TEST_TASKS = 100
PRODUCTS_PER_TYPE = 24
RESULTS_PER_PAGE = 10
MAX_RESULTS = 50

_TOKEN = re.compile(r"[a-z0-9]+")

# Option values are single tokens that no fuzzy match confuses with each other.
_CLOTH = ("xs", "s", "m", "l", "xl", "xxl")
_SHOE = ("6", "7", "8", "9", "10", "11", "12")
_WAIST = ("28", "30", "32", "34", "36", "38")
_COLORS = (
    "black", "white", "navy", "red", "olive", "grey", "beige", "teal", "burgundy",
    "pink", "yellow", "orange", "purple", "brown", "charcoal", "ivory",
)  # fmt: skip


@dataclass(frozen=True)
class ProductType:
    """A kind of product: where it sits in the catalog, the words its titles use,
    the attributes its products draw from and its option dimensions."""

    name: str
    category: str
    group: str
    attributes: tuple[str, ...]
    options: tuple[tuple[str, tuple[str, ...]], ...]
    price: tuple[float, float]
    suffixes: tuple[str, ...] = ("",)

    @property
    def nouns(self) -> tuple[str, ...]:
        return tuple(_TOKEN.findall(self.name))


TYPES: tuple[ProductType, ...] = (
    ProductType("jacket", "fashion", "outerwear",
                ("waterproof", "windproof", "lightweight", "hooded", "packable", "insulated",
                 "breathable", "machine washable"),
                (("size", _CLOTH), ("color", _COLORS)), (35, 180),
                ("for men", "for women", "for hiking", "")),
    ProductType("hoodie", "fashion", "sweatshirts",
                ("fleece lined", "machine washable", "relaxed fit", "organic cotton", "zip up",
                 "kangaroo pocket"),
                (("size", _CLOTH), ("color", _COLORS)), (20, 70), ("for men", "for women", "")),
    ProductType("sneakers", "fashion", "footwear",
                ("non slip", "breathable", "memory foam", "lightweight", "slip on",
                 "arch support"),
                (("size", _SHOE), ("color", _COLORS)), (30, 140), ("for men", "for women", "")),
    ProductType("boots", "fashion", "footwear",
                ("waterproof", "non slip", "insulated", "steel toe", "leather", "lace up"),
                (("size", _SHOE), ("color", _COLORS)), (45, 200), ("for men", "for women", "")),
    ProductType("t-shirt", "fashion", "tops",
                ("organic cotton", "slim fit", "crew neck", "short sleeve", "moisture wicking",
                 "machine washable"),
                (("size", _CLOTH), ("color", _COLORS)), (8, 35), ("for men", "for women", "")),
    ProductType("jeans", "fashion", "bottoms",
                ("slim fit", "stretch", "high waist", "straight leg", "relaxed fit", "button fly"),
                (("size", _WAIST), ("color", ("black", "navy", "grey", "indigo", "white"))),
                (25, 110), ("for men", "for women", "")),
    ProductType("backpack", "fashion", "bags",
                ("water resistant", "laptop sleeve", "lightweight", "padded straps", "anti theft",
                 "usb port"),
                (("capacity", ("20l", "25l", "30l", "40l")), ("color", _COLORS)), (25, 120),
                ("for travel", "for school", "")),
    ProductType("headphones", "electronics", "audio",
                ("noise cancelling", "wireless", "over ear", "long battery life", "foldable",
                 "built in microphone"),
                (("color", ("black", "white", "silver", "navy", "rose")),), (25, 300)),
    ProductType("bluetooth speaker", "electronics", "audio",
                ("waterproof", "portable", "long battery life", "deep bass", "wireless",
                 "shockproof"),
                (("color", ("black", "blue", "red", "green", "grey")),), (20, 160)),
    ProductType("phone case", "electronics", "accessories",
                ("shockproof", "slim", "wireless charging compatible", "clear", "kickstand",
                 "drop protection"),
                (("model", ("iphone", "pixel", "galaxy", "moto")),
                 ("color", ("black", "clear", "blue", "pink", "green"))), (8, 45)),
    ProductType("usb charger", "electronics", "power",
                ("fast charging", "compact", "foldable plug", "dual port", "usb c",
                 "travel friendly"),
                (("wattage", ("20w", "30w", "65w", "100w")),), (10, 60)),
    ProductType("keyboard", "electronics", "computer",
                ("wireless", "backlit", "mechanical", "compact", "rechargeable", "quiet keys"),
                (("switch", ("linear", "tactile", "clicky")),
                 ("color", ("black", "white", "grey"))),
                (25, 180)),
    ProductType("throw pillow", "home", "bedding",
                ("machine washable", "hypoallergenic", "soft", "decorative", "zipper closure",
                 "down alternative"),
                (("size", ("16x16", "18x18", "20x20", "22x22")), ("color", _COLORS)), (10, 50),
                ("for couch", "for bed", "")),
    ProductType("bath towel", "home", "bath",
                ("quick dry", "absorbent", "cotton", "machine washable", "soft", "oversized"),
                (("size", ("hand", "bath", "sheet")), ("color", _COLORS)), (8, 45)),
    ProductType("coffee mug", "home", "kitchen",
                ("dishwasher safe", "microwave safe", "ceramic", "insulated", "large handle",
                 "lead free"),
                (("capacity", ("12oz", "16oz", "20oz")), ("color", _COLORS)), (8, 35)),
    ProductType("water bottle", "home", "drinkware",
                ("insulated", "leak proof", "bpa free", "dishwasher safe", "stainless steel",
                 "wide mouth"),
                (("capacity", ("18oz", "24oz", "32oz", "40oz")), ("color", _COLORS)), (12, 50)),
    ProductType("desk lamp", "home", "lighting",
                ("dimmable", "led", "usb port", "adjustable arm", "energy efficient",
                 "touch control"),
                (("color", ("black", "white", "silver", "gold")),), (18, 90)),
    ProductType("shampoo", "beauty", "hair care",
                ("sulfate free", "paraben free", "for dry hair", "cruelty free",
                 "natural ingredients", "color safe"),
                (("size", ("8oz", "12oz", "16oz", "32oz")),
                 ("scent", ("lavender", "citrus", "unscented", "eucalyptus", "vanilla"))), (6, 30)),
    ProductType("face moisturizer", "beauty", "skin care",
                ("oil free", "for sensitive skin", "fragrance free", "hyaluronic acid", "spf 30",
                 "non greasy"),
                (("size", ("1oz", "2oz", "4oz")),), (9, 60)),
    ProductType("green tea", "grocery", "beverages",
                ("organic", "decaf", "loose leaf", "individually wrapped", "non gmo",
                 "gluten free"),
                (("flavor", ("mint", "lemon", "jasmine", "peach", "ginger")),
                 ("count", ("20ct", "50ct", "100ct"))), (4, 25)),
    ProductType("granola bars", "grocery", "snacks",
                ("gluten free", "high protein", "low sugar", "vegan", "non gmo",
                 "individually wrapped"),
                (("flavor", ("chocolate", "blueberry", "cinnamon", "peanut", "coconut")),
                 ("count", ("6ct", "12ct", "24ct"))), (4, 30)),
)  # fmt: skip

_BRAND_HEAD = ("Nor", "Aer", "Lum", "Kes", "Van", "Bri", "Cal", "Dun", "Eve", "Fal", "Hal",
               "Mar", "Oak", "Pel", "Riv", "Sol", "Tor", "Wil")  # fmt: skip
_BRAND_TAIL = ("peak", "wave", "ora", "trel", "tor", "dge", "ix", "more", "en", "ly", "ford",
               "wick", "ton", "stone")  # fmt: skip
_BULLET_TEMPLATES = (
    "{A}: designed to be {a} for everyday use.",
    "{A} construction you can rely on.",
    "Made to be {a}; tested by our team.",
    "{A} - one of the reasons customers love this {t}.",
)
_DESCRIPTIONS = (
    "This {t} from {b} is {a}. It comes in several options; choose yours above.",
    "Meet the {b} {t}: {a}, with a {y}-day return policy.",
    "A {t} that is {a}. {b} backs it with a {y}-month warranty.",
)


@dataclass(frozen=True)
class Product:
    """A product of the catalog."""

    id: str
    type: str
    brand: str
    title: str
    category: tuple[str, str, str]
    attributes: tuple[str, ...]
    options: tuple[tuple[str, tuple[str, ...]], ...]
    price: float
    rating: float
    reviews: int
    bullets: tuple[str, ...]
    description: str
    nouns: frozenset[str]

    def option_values(self, dim: str) -> tuple[str, ...]:
        for name, values in self.options:
            if name == dim:
                return values
        return ()


@dataclass(frozen=True)
class ShopGoal:
    """A shopping task: the instruction, and the gold target it was made from
    (product, attributes asked for, one value per option dimension, price bound)."""

    task_id: int
    instruction: str
    product_id: str
    type: str
    category: tuple[str, str, str]
    title_nouns: frozenset[str]
    attributes: tuple[str, ...]
    options: dict[str, str] = field(hash=False)
    price_upper: float = 0.0
    query: str = ""

    @property
    def search_queries(self) -> tuple[str, ...]:
        """Queries an agent could read off the instruction: the attributes with the
        product type (what the oracle searches for), the type alone, and the whole
        instruction."""
        out: list[str] = []
        for q in (self.query, self.type, self.instruction):
            if q not in out:
                out.append(q)
        return tuple(out)


def _money(x: float) -> str:
    return f"{x:.2f}"


class Catalog:
    """The products of one generated shop (see the module docstring)."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        rng = np.random.default_rng([self.seed, 0x5E0])
        self.types: dict[str, ProductType] = {t.name: t for t in TYPES}
        brands = [h + t for h in _BRAND_HEAD for t in _BRAND_TAIL]
        order = rng.permutation(len(brands))
        brands = [brands[i] for i in order[:40]]
        products: list[Product] = []
        used: set[str] = set()
        for ptype in TYPES:
            for _ in range(PRODUCTS_PER_TYPE):
                products.append(self._make_product(rng, ptype, brands, used))
        self.products: list[Product] = products
        self._by_id = {p.id: p for p in products}
        self._rank = {p.id: i for i, p in enumerate(products)}
        self.categories: dict[str, list[str]] = {}
        for p in products:
            self.categories.setdefault(p.category[0], []).append(p.id)
        # BM25 index over title, type, category and attributes
        self._docs: list[Counter[str]] = []
        self._postings: dict[str, list[int]] = {}
        for i, p in enumerate(products):
            text = " ".join((p.title, p.type, *p.category, *p.attributes)).lower()
            tf = Counter(_TOKEN.findall(text))
            self._docs.append(tf)
            for tok in tf:
                self._postings.setdefault(tok, []).append(i)
        self._lengths = np.array([sum(d.values()) for d in self._docs], dtype=np.float64)
        self._avg_len = float(self._lengths.mean())
        n = len(products)
        self._idf = {
            tok: math.log(1 + (n - len(ps) + 0.5) / (len(ps) + 0.5))
            for tok, ps in self._postings.items()
        }
        self._search_cache: dict[str, tuple[str, ...]] = {}
        self._tasks: dict[int, ShopGoal] = {}

    def __reduce__(self) -> tuple[Any, tuple[int]]:
        return (get_catalog, (self.seed,))

    @staticmethod
    def _make_product(
        rng: np.random.Generator, ptype: ProductType, brands: list[str], used: set[str]
    ) -> Product:
        while True:
            pid = "B0" + "".join(
                "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"[int(i)] for i in rng.integers(0, 34, 8)
            )
            if pid not in used:
                used.add(pid)
                break
        brand = brands[int(rng.integers(len(brands)))]
        k = int(rng.integers(2, 5))
        attrs = tuple(
            ptype.attributes[int(i)] for i in sorted(rng.permutation(len(ptype.attributes))[:k])
        )
        in_title = attrs[: int(rng.integers(1, min(2, len(attrs)) + 1))]
        suffix = ptype.suffixes[int(rng.integers(len(ptype.suffixes)))]
        words = [brand, *(a.title() for a in in_title), ptype.name.title()]
        if suffix:
            words.append(suffix)
        title = " ".join(words)
        options = []
        for dim, values in ptype.options:
            n = int(rng.integers(min(3, len(values)), len(values) + 1))
            chosen = sorted(rng.permutation(len(values))[:n])
            options.append((dim, tuple(values[int(i)] for i in chosen)))
        lo, hi = ptype.price
        price = round(float(rng.uniform(lo, hi))) - 0.01
        rating = round(float(rng.uniform(3.0, 5.0)), 1)
        reviews = int(rng.integers(3, 2500))
        bullets = tuple(
            _BULLET_TEMPLATES[int(rng.integers(len(_BULLET_TEMPLATES)))].format(
                A=a.capitalize(), a=a, t=ptype.name
            )
            for a in attrs
        )
        description = _DESCRIPTIONS[int(rng.integers(len(_DESCRIPTIONS)))].format(
            t=ptype.name, b=brand, a=" and ".join(attrs), y=int(rng.choice([30, 60, 90]))
        )
        suffix_nouns = [w for w in _TOKEN.findall(suffix) if w != "for"]
        nouns = frozenset([brand.lower(), *ptype.nouns, *suffix_nouns])
        return Product(
            pid, ptype.name, brand, title, (ptype.category, ptype.group, ptype.name), attrs,
            tuple(options), price, rating, reviews, bullets, description, nouns,
        )  # fmt: skip

    # lookups ----------------------------------------------------------------------

    def product(self, pid: str) -> Product:
        return self._by_id[pid]

    def has(self, pid: str) -> bool:
        return pid in self._by_id

    def search(self, query: str) -> list[Product]:
        """Up to 50 products ranked by BM25 (ties in catalog order); empty when no
        query word occurs in the catalog."""
        key = query.lower()[:500]
        hit = self._search_cache.get(key)
        if hit is None:
            hit = self._search(key)
            if len(self._search_cache) > 4096:
                self._search_cache.clear()
            self._search_cache[key] = hit
        return [self._by_id[pid] for pid in hit]

    def _search(self, query: str) -> tuple[str, ...]:
        k1, b = 1.2, 0.75
        scores: dict[int, float] = {}
        for tok in set(_TOKEN.findall(query)):
            idf = self._idf.get(tok)
            if idf is None:
                continue
            for i in self._postings[tok]:
                tf = self._docs[i][tok]
                norm = k1 * (1 - b + b * self._lengths[i] / self._avg_len)
                scores[i] = scores.get(i, 0.0) + idf * tf * (k1 + 1) / (tf + norm)
        ranked = sorted(scores, key=lambda i: (-round(scores[i], 9), i))
        return tuple(self.products[i].id for i in ranked[:MAX_RESULTS])

    # tasks --------------------------------------------------------------------------

    def task(self, task_id: int) -> ShopGoal:
        """Task ``task_id`` (``0 <= task_id < NUM_TASKS``), the same for every call."""
        if not 0 <= task_id < NUM_TASKS:
            raise ValueError(f"task_id must be in [0, {NUM_TASKS}), got {task_id}")
        goal = self._tasks.get(task_id)
        if goal is None:
            goal = self._make_task(task_id)
            self._tasks[task_id] = goal
        return goal

    def _make_task(self, task_id: int) -> ShopGoal:
        rng = np.random.default_rng([self.seed, task_id, 0x7A5C])
        while True:
            p = self.products[int(rng.integers(len(self.products)))]
            k = int(rng.integers(1, min(2, len(p.attributes)) + 1))
            attrs = tuple(
                p.attributes[int(i)] for i in sorted(rng.permutation(len(p.attributes))[:k])
            )
            options = {dim: values[int(rng.integers(len(values)))] for dim, values in p.options}
            step = 5.0 if p.price < 50 else 10.0
            budget = math.ceil(p.price * float(rng.uniform(1.05, 1.5)) / step) * step
            query = f"{' '.join(attrs)} {p.type}"
            if p.id not in self._search(query.lower()):
                continue  # the gold product must be findable with the goal's words
            text = _instruction(rng, p, attrs, options, budget)
            return ShopGoal(
                task_id, text, p.id, p.type, p.category, p.nouns, attrs, options, budget, query
            )


def _option_phrase(dim: str, value: str) -> str:
    return {
        "color": f"in {value}",
        "size": f"size {value}",
        "scent": f"{value} scent",
        "flavor": f"{value} flavor",
        "count": f"count {value}",
        "capacity": f"capacity {value}",
        "model": f"for the {value}",
        "wattage": f"{value} output",
        "switch": f"with {value} switches",
    }.get(dim, f"{dim} {value}")


def _instruction(
    rng: np.random.Generator, p: Product, attrs: tuple[str, ...], options: dict[str, str],
    budget: float,
) -> str:  # fmt: skip
    what = f"{' and '.join(attrs)} {p.type}"
    # plural types (jeans, headphones) take no article
    a = "" if p.type.endswith("s") else ("an " if what[0] in "aeiou" else "a ")
    opts = ", ".join(_option_phrase(d, v) for d, v in options.items())
    price = _money(budget)
    templates = (
        f"i need {a}{what}, {opts}, and price lower than {price} dollars",
        f"i am looking for {a}{what} {opts}, priced under {price} dollars",
        f"find me {a}{what} ({opts}) that costs less than ${price}",
        f"buy {a}{what}, {opts}, under ${price}",
    )
    return templates[int(rng.integers(len(templates)))]


@functools.lru_cache(maxsize=8)
def get_catalog(seed: int = 0) -> Catalog:
    """The catalog of ``seed`` (built once per process and seed)."""
    return Catalog(seed)


# -- WebShop's reward -------------------------------------------------------------------


def _type_reward(goal: ShopGoal, product: Product) -> float:
    query_match = product.type == goal.type
    category_match = len(set(product.category) & set(goal.category)) >= 2
    desired = goal.title_nouns
    score = len(product.nouns & desired) / len(desired) if desired else 0.2
    r_type = 1.0
    if not (query_match or category_match or score > 0.2):
        r_type = 0.5
    if score < 0.1:
        r_type = 0.1
    if score == 0.0:
        r_type = 0.0
    return r_type


def webshop_reward(goal: ShopGoal, product: Product, chosen: dict[str, str]) -> dict[str, float]:
    """WebShop's reward for buying ``product`` with the options ``chosen``
    (dimension -> value; unselected dimensions absent). Returns ``reward`` and its
    factors: ``type`` (r_type), ``attributes``, ``options`` (fractions matched) and
    ``price`` (1 within budget)."""
    text = " ".join((product.title, *product.bullets, product.description)).lower()
    n_att = 0
    for attr in goal.attributes:
        if any(token_set_ratio(attr, a) > 85 for a in product.attributes) or attr in text:
            n_att += 1
    bought = list(chosen.values())
    n_opt = sum(1 for g in goal.options.values() if any(token_set_ratio(g, v) > 85 for v in bought))
    r_price = 1.0 if product.price <= goal.price_upper else 0.0
    r_type = _type_reward(goal, product)
    n = len(goal.attributes) + len(goal.options) + 1
    reward = r_type * (n_att + n_opt + r_price) / n
    return {
        "reward": float(reward),
        "type": r_type,
        "attributes": n_att / len(goal.attributes) if goal.attributes else 1.0,
        "options": n_opt / len(goal.options) if goal.options else 1.0,
        "price": r_price,
    }
