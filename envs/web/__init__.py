"""Web navigation: simulated websites, in process or in a real browser.

Two environments over websites of the project's own (WSGI apps on the standard
library, generated from a seed):

* ``rewardgym/WebShop-v0`` (:class:`~rewardgym.envs.web.webshop.WebShopEnv`): buy
  what a WebShop-style instruction asks for on a generated store (search, product
  pages, options, cart, checkout); WebShop's attribute/option/price/type reward.
* ``rewardgym/WebForms-v0`` (:class:`~rewardgym.envs.web.webforms.WebFormsEnv`):
  MiniWoB++-style form tasks (login, fill a form, book a flight, pick a date,
  navigate a menu); MiniWoB's time-discounted success reward.

Both run on the ``"inprocess"`` backend (the app called in Python, its HTML parsed
into an accessibility tree) or the ``"browser"`` backend (the app served on
127.0.0.1, Chromium driven by Playwright, nothing else reachable), with the same
observations and rewards. Modules: :mod:`.actions` (the action language),
:mod:`.dom` (HTML, accessibility tree, forms), :mod:`.site` (WSGI plumbing),
:mod:`.catalog` and :mod:`.shop_app` (the shop), :mod:`.forms` (the form tasks),
:mod:`.fuzzy` (token-set ratio), :mod:`.backends`, :mod:`.base`.

Importing this package imports neither Playwright nor a browser.
"""

from __future__ import annotations

from .actions import ActionParseError, WebAction, format_action, parse_action
from .backends import browser_available, find_chromium, shutdown_browser
from .webforms import WebFormsEnv
from .webshop import WebShopEnv

__all__ = [
    "ActionParseError",
    "WebAction",
    "WebFormsEnv",
    "WebShopEnv",
    "browser_available",
    "find_chromium",
    "format_action",
    "parse_action",
    "shutdown_browser",
]
