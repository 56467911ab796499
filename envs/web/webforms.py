"""WebForms: MiniWoB++-style form tasks on small generated websites."""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from .base import WebEnv
from .dom import form_encode
from .forms import NUM_TASKS, TEST_TASKS, FormsApp, FormTask, make_task

__all__ = ["WebFormsEnv"]

_FORM_TERMS = ("miniwob", "task", "time_factor", "progress", "invalid")
_QUOTED = re.compile(r'"([^"]*)"')


class WebFormsEnv(WebEnv):
    """Form tasks in the manner of MiniWoB++ (Liu et al. 2018) on small websites:
    sign in, fill a form, book a flight under a constraint, pick a date in a calendar,
    choose an item of a nested menu.

    Task ``i`` is of kind ``("login", "fill", "flight", "date", "menu")[i % 5]``,
    generated from ``(site_seed, i)`` (:mod:`~rewardgym.envs.web.forms`); the
    instruction quotes every value to type, e.g. *'Log in as "ines_weber86" using
    the password "RfqXwDB".'* The episode ends at the task's final
    submission (sign in, submit, book, choose), right or wrong.

    ## Backends, actions, observations
    As :class:`~rewardgym.envs.web.webshop.WebShopEnv`: ``backend="inprocess"``
    (default) or ``"browser"`` (Chromium through Playwright); text actions
    ``click [id]``, ``type [id] "text"``, ``select [id] "option"``, ``scroll
    up|down``, ``back``, ``stop``; the accessibility tree with the goal, URL and
    title. In discrete mode the candidates are the clicks and drop-down options of
    the elements in view, and ``type [id] "value"`` for every text box in view and
    every quoted value of the instruction.

    ## Rewards
    Every term is logged in ``info["reward_terms"]`` on every step:

    * ``miniwob``: MiniWoB++'s reward ``r * max(0, 1 - elapsed / limit)`` at the
      final submission, with ``r = 1`` when it achieves the task and ``r = -1``
      (not scaled) when it does not or on ``stop``; ``-1`` on timeout. Time is the
      step count, not wall time, so that rewards are deterministic: ``elapsed`` is
      the number of steps taken including the submission, ``limit`` is
      ``time_limit`` (20 steps by default; MiniWoB++ uses 10 seconds);
    * ``task``: ``r`` (0 before the end); ``time_factor``: ``max(0, 1 - elapsed /
      limit)`` at the end (0 before);
    * ``progress`` (a process reward): equal shares the first time each page of the
      gold path is reached (flight: the results of the right search; date: the
      target month; menu: each submenu of the path; every kind: the success page);
      pages already shown at the start are not counted, so the shares along a
      successful episode sum to 1;
    * ``invalid``: ``-invalid_action_penalty`` on a rejected action (default 0).

    The scalar reward is ``miniwob + progress_weight * progress + invalid``.
    ``info["success"]`` is ``r == 1`` (a success at the last step still counts, at a
    reward of 0).

    ## Info
    As WebShop: the text-env contract plus ``url``, ``title``, ``goal``,
    ``task_id`` (and ``html``), and ``kind`` (the task's kind).

    ## Episode end
    Terminated at the final submission or on ``stop``; truncated when ``time_limit``
    steps have passed (reward -1) or by the ``TimeLimit`` of ``gym.make`` (20).

    ## Arguments
    ``time_limit`` (steps, default 20) and the arguments of
    :class:`~rewardgym.envs.web.webshop.WebShopEnv`.

    ## Version history
    * v0: first release.

    ## Example
    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/WebForms-v0")
    >>> obs, info = env.reset(seed=0, options={"task_id": 0})
    >>> print(obs)  # doctest: +NORMALIZE_WHITESPACE
    Goal: Enter the username "ines_weber86" and the password "RfqXwDB", then sign in.
    URL: /
    Title: Sign in
    <BLANKLINE>
    heading "Sign in"
    [1] textbox "Username" value=""
    [2] textbox "Password" value=""
    [3] checkbox "Remember me" checked=false
    [4] button "Sign in"
    [5] link "Forgot your password?"
    >>> _ = env.step('type [1] "ines_weber86"')
    >>> _ = env.step('type [2] "RfqXwDB"')
    >>> obs, reward, terminated, truncated, info = env.step("click [4]")
    >>> terminated, info["success"], reward
    (True, True, 0.85)
    """

    num_tasks: ClassVar[int] = NUM_TASKS
    test_tasks: ClassVar[int] = TEST_TASKS
    reward_terms: ClassVar[tuple[str, ...]] = _FORM_TERMS

    def __init__(self, *, time_limit: int = 20, **kwargs: Any) -> None:
        if not isinstance(time_limit, int) or isinstance(time_limit, bool) or time_limit < 1:
            raise ValueError(f"time_limit must be a positive number of steps, got {time_limit!r}")
        super().__init__(**kwargs)
        self.time_limit = time_limit
        self.task: FormTask | None = None
        self.forms: FormsApp | None = None

    # -- the family hooks --------------------------------------------------------------

    def _load_task(self, task_id: int) -> tuple[FormsApp, str]:
        self.task = make_task(self.site_seed, task_id)
        self.forms = FormsApp(self.task)
        return self.forms, self.task.instruction

    def _info(self) -> dict[str, Any]:
        info = super()._info()
        info["kind"] = self.task.kind if self.task is not None else ""
        return info

    def _evaluate(self) -> tuple[dict[str, float], float, bool, bool, bool]:
        assert self.task is not None and self.forms is not None
        terms = dict.fromkeys(_FORM_TERMS[:3], 0.0)
        submitted = self.forms.submission is not None
        if submitted or self._stopped is not None:
            ok = submitted and self.task.check(self.forms.submission)
            factor = max(0.0, 1.0 - self.turn / self.time_limit)
            r = 1.0 if ok else -1.0
            terms.update(task=r, time_factor=factor, miniwob=r * factor if ok else r)
            return terms, terms["miniwob"], True, False, ok
        if self.turn >= self.time_limit:
            terms.update(task=-1.0, miniwob=-1.0)
            return terms, -1.0, False, True, False
        return terms, 0.0, False, False, False

    def _milestones(self, new_views: list[Any]) -> set[str]:
        task = self.task
        assert task is not None
        out: set[str] = set()
        for view in new_views:
            if view.kind == "done" and view.data[0]:
                out.add("done")
            elif task.kind == "flight" and view.kind == "flights":
                p = task.params
                if view.data == (p["origin"], p["dest"], p["date"]):
                    out.add("results")
            elif task.kind == "date" and view.kind == "calendar":
                if task.gold["date"].startswith(view.data[0]):
                    out.add("month")
            elif task.kind == "menu" and view.kind == "menu":
                path = task.gold["item"].split("/")
                for depth in range(1, len(path)):
                    if tuple(view.data[0][:depth]) == tuple(path[:depth]):
                        out.add(f"open{depth}")
        return out

    def _milestone_names(self) -> list[str]:
        task = self.task
        assert task is not None
        if task.kind == "flight":
            return ["results", "done"]
        if task.kind == "date":
            return ["month", "done"]
        if task.kind == "menu":
            depth = len(task.gold["item"].split("/"))
            return [f"open{d}" for d in range(1, depth)] + ["done"]
        return ["done"]

    def _typed_values(self) -> list[str]:
        values: list[str] = []
        for v in _QUOTED.findall(self.goal):
            if v not in values:
                values.append(v)
        return values

    # -- the oracle ------------------------------------------------------------------------

    def _oracle_text(self) -> str:
        task = self.task
        if task is None:
            raise RuntimeError("call reset() first")
        page = self._require_page()
        path = urlsplit(page.url).path
        query = dict(parse_qsl(urlsplit(page.url).query))
        if task.kind in ("login", "fill"):
            if path != "/":
                return self._home()
            return self._fill_fields(
                dict(task.gold), submit_label="Sign in" if task.kind == "login" else "Submit"
            )
        if task.kind == "flight":
            p = task.params
            if path == "/flights":
                if (query.get("from"), query.get("to"), query.get("date")) == (
                    p["origin"],
                    p["dest"],
                    p["date"],
                ):
                    code = task.gold["flight"]
                    for entry in page.template.interactive:
                        if entry.role == "button" and entry.name.replace(" ", "") == f"Book{code}":
                            assert entry.element is not None
                            return self._act("click", entry.element)
                link = self._find("link", "New search")
                assert link is not None
                return self._act("click", link)
            if path != "/":
                return self._home()
            return self._fill_fields(
                {"from": p["origin"], "to": p["dest"], "date": p["date"]},
                submit_label="Search flights",
            )
        if task.kind == "date":
            if path != "/":
                return self._home()
            target = task.gold["date"]
            radio = self._find("radio", None, value=target)
            if radio is None:
                first = self._find("radio")
                assert first is not None
                shown = first.attrs["value"][:7]
                label = "Next month »" if target[:7] > shown else "« Previous month"
                link = self._find("link", label)
                assert link is not None
                return self._act("click", link)
            if not page.is_checked(radio):
                return self._act("click", radio)
            button = self._find("button", "Submit")
            assert button is not None
            return self._act("click", button)
        # menu
        if path != "/":
            return self._home()
        parts = task.gold["item"].split("/")
        for depth in range(1, len(parts)):
            href = "/?" + form_encode([("open", "/".join(parts[:depth]))])
            for entry in page.template.interactive:
                el = entry.element
                closed = entry.name.endswith("▸")
                if (
                    entry.role == "link"
                    and el is not None
                    and closed
                    and page.link_target(el) == href
                ):
                    return self._act("click", el)
        leaf = self._find("button", None, value=task.gold["item"])
        assert leaf is not None
        return self._act("click", leaf)

    def _home(self) -> str:
        if self._history:
            return "back"
        raise RuntimeError("the oracle is off its path with no page to go back to")

    def _fill_fields(self, gold: dict[str, str], submit_label: str) -> str:
        page = self._require_page()
        for name, want in gold.items():
            for entry in page.template.interactive:
                el = entry.element
                if el is None or el.attrs.get("name") != name:
                    continue
                if entry.role == "textbox":
                    if page.value(el) != want:
                        return self._act("type", el, want)
                elif entry.role == "combobox":
                    opts = page.template.options[el.index]
                    values = [o.attrs.get("value", o.text()) for o in opts]
                    index = values.index(want)
                    if page.selected_index(el) != index:
                        return self._act("select", el, page.options(el)[index])
                elif (
                    entry.role in ("radio", "checkbox")
                    and el.attrs.get("value", "on") == want
                    and not page.is_checked(el)
                ):
                    return self._act("click", el)
        button = self._find("button", submit_label)
        assert button is not None
        return self._act("click", button)
