"""What the two web envs share: backends, the action language, the view, errors,
candidates, progress and the observation (see :class:`WebEnv`)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from rewardgym.envs.text import ActionError, TextEnv, TextStep

from .actions import ActionParseError, WebAction, format_action, parse_action, quote
from .backends import BackendError, BrowserBackend, InProcessBackend
from .dom import AXEntry, Element, Page
from .site import WebApp

__all__ = ["BACKENDS", "SPLITS", "WebEnv"]

BACKENDS = ("inprocess", "browser")
SPLITS = ("train", "test", "all")

_TEXT_ROLES = ("textbox", "searchbox")


class WebEnv(TextEnv):
    """Base of the web envs (a :class:`~rewardgym.envs.text.TextEnv`).

    A family implements :meth:`_load_task` (the site and the goal of a task),
    :meth:`_evaluate` (the outcome reward terms after a step), :meth:`_milestones`
    (pages of the gold path reached), :meth:`_typed_values` (text an agent could type,
    read off the goal) and :meth:`_oracle_text`.
    """

    #: Tasks of the family: ids ``0 .. num_tasks - 1``, the first ``test_tasks``
    #: held out.
    num_tasks: ClassVar[int] = 0
    test_tasks: ClassVar[int] = 0
    #: The reward terms logged on every step, in order.
    reward_terms: ClassVar[tuple[str, ...]] = ()
    #: Whether ``search "..."`` candidates are offered (sites with a search box).
    _search_candidates: ClassVar[bool] = False

    def __init__(
        self,
        *,
        backend: str = "inprocess",
        split: str = "train",
        site_seed: int = 0,
        viewport_lines: int = 40,
        progress_weight: float = 0.0,
        screenshot: bool = False,
        include_html: bool = False,
        chromium_path: str | None = None,
        browser_timeout_s: float = 10.0,
        window_size: tuple[int, int] = (800, 600),
        max_candidates: int = 64,
        invalid_action_penalty: float = 0.0,
        **kwargs: Any,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(
                f"backend must be 'inprocess' (the app called in Python, fast) or 'browser' "
                f"(Chromium through Playwright), got {backend!r}"
            )
        if split not in SPLITS:
            raise ValueError(
                f"split must be one of {SPLITS} ('test' is the fixed held-out tasks), got {split!r}"
            )
        if (
            not isinstance(site_seed, (int, np.integer))
            or isinstance(site_seed, bool)
            or site_seed < 0
        ):
            raise ValueError(f"site_seed must be an integer >= 0, got {site_seed!r}")
        if not isinstance(viewport_lines, (int, np.integer)) or viewport_lines < 5:
            raise ValueError(f"viewport_lines must be an integer >= 5, got {viewport_lines!r}")
        if not np.isfinite(progress_weight):
            raise ValueError(f"progress_weight must be finite, got {progress_weight!r}")
        if screenshot and backend != "browser":
            raise ValueError(
                "screenshot=True needs backend='browser' (in process there is no rendering)"
            )
        if browser_timeout_s <= 0:
            raise ValueError(f"browser_timeout_s must be > 0, got {browser_timeout_s!r}")
        width, height = (int(x) for x in window_size)
        if width < 100 or height < 100:
            raise ValueError(f"window_size must be at least (100, 100) pixels, got {window_size!r}")
        super().__init__(
            max_candidates=max_candidates, invalid_action_penalty=invalid_action_penalty, **kwargs
        )
        self.backend_name = backend
        self.split = split
        self.site_seed = int(site_seed)
        self.viewport_lines = int(viewport_lines)
        self.progress_weight = float(progress_weight)
        self.screenshot = bool(screenshot)
        self.include_html = bool(include_html)
        self.window_size = (width, height)
        self._backend: InProcessBackend | BrowserBackend
        if backend == "browser":
            self._backend = BrowserBackend(
                chromium_path, viewport=self.window_size, timeout_s=browser_timeout_s
            )
        else:
            self._backend = InProcessBackend()
        if self.screenshot:
            shot = spaces.Box(0, 255, (height, width, 3), np.uint8)
            base = self.observation_space
            if isinstance(base, spaces.Dict):
                self.observation_space = spaces.Dict({**base.spaces, "screenshot": shot})
            else:
                self.observation_space = spaces.Dict({"text": base, "screenshot": shot})
        self.app: WebApp | None = None
        self.page: Page | None = None
        self.goal = ""
        self.task_id = -1
        self._history: list[str] = []
        self._offset = 0
        self._over = False
        self._stopped: str | None = None
        self._credited: set[str] = set()
        self._views_seen = 0
        self._share = 0.0

    # -- what a family implements -------------------------------------------------------

    def _load_task(self, task_id: int) -> tuple[WebApp, str]:
        """Set up task ``task_id``: return its site (state reset) and its goal text."""
        raise NotImplementedError

    def _evaluate(self) -> tuple[dict[str, float], float, bool, bool, bool]:
        """After a step: ``(terms, outcome reward, terminated, truncated, success)``;
        ``self._stopped`` is the answer of a ``stop`` action this step (or None)."""
        raise NotImplementedError

    def _milestone_names(self) -> list[str]:
        """The milestones of the task's gold path (pages an agent must reach)."""
        raise NotImplementedError

    def _milestones(self, new_views: list[Any]) -> set[str]:
        """Milestones of the gold path reached by the pages ``new_views`` (and the
        site's state)."""
        raise NotImplementedError

    def _typed_values(self) -> list[str]:
        """Texts offered for typing into a text field (discrete mode)."""
        return []

    def _search_queries(self) -> list[str]:
        """Queries offered as ``search "..."`` candidates (discrete mode)."""
        return []

    # -- the text-env hooks ---------------------------------------------------------------

    def _split_bounds(self) -> tuple[int, int]:
        if self.split == "test":
            return 0, self.test_tasks
        if self.split == "train":
            return self.test_tasks, self.num_tasks
        return 0, self.num_tasks

    def _reset_task(self, options: dict[str, Any] | None) -> TextStep:
        options = options or {}
        task_id = options.get("task_id")
        if task_id is None:
            lo, hi = self._split_bounds()
            task_id = int(self.np_random.integers(lo, hi))
        elif (
            not isinstance(task_id, (int, np.integer))
            or isinstance(task_id, bool)
            or not 0 <= task_id < self.num_tasks
        ):
            raise ValueError(
                f"options['task_id'] must be an integer in [0, {self.num_tasks}), got {task_id!r}"
            )
        self.task_id = int(task_id)
        self.app, self.goal = self._load_task(self.task_id)
        self._history = []
        self._offset = 0
        self._over = False
        self._stopped = None
        self._credited = set()
        self._views_seen = 0
        self._share = 0.0
        try:
            self.page = self._backend.open(self.app, "/")
        except BackendError as exc:
            raise RuntimeError(f"could not open the site: {exc}") from exc
        # milestones reached at the start earn nothing; the others share 1
        self._milestones_reached()
        left = len(self._milestone_names()) - len(self._credited)
        self._share = 1.0 / left if left > 0 else 0.0
        return TextStep(self._render(), caption=self.page.title, info=self._info())

    def _step_text(self, action: str) -> TextStep:
        if self._over:
            raise ActionError("illegal", "the episode has ended; call reset() to start another")
        try:
            parsed = parse_action(action)
        except ActionParseError as exc:
            raise ActionError("parse", str(exc)) from None
        self._stopped = None
        try:
            self._apply(parsed)
        except BackendError as exc:
            raise ActionError("execution", str(exc)) from None
        return self._make_step(None)

    def _on_error(self, error: ActionError) -> TextStep:
        return self._make_step(error)

    def _candidates(self) -> list[str]:
        page = self._require_page()
        out: list[str] = []
        values = self._typed_values()
        lo, hi = self._view()
        for ax_id, line in enumerate(page.template.id_lines, start=1):
            if not lo <= line < hi:
                continue
            entry = page.entry(ax_id)
            el = entry.element
            if entry.disabled or el is None:
                continue
            if entry.role in ("link", "button", "checkbox", "radio"):
                out.append(f"click [{ax_id}]")
            elif entry.role == "combobox":
                current = page.selected_index(el)
                for i, label in enumerate(page.options(el)):
                    if i != current:
                        out.append(format_action(WebAction("select", ax_id, label)))
            elif entry.role == "textbox":
                out.extend(format_action(WebAction("type", ax_id, v)) for v in values)
        if self._search_candidates and self._search_box(page) is not None:
            out.extend(f"search {quote(q)}" for q in self._search_queries())
        n = len(page.template.entries)
        if self._offset + self.viewport_lines < n:
            out.append("scroll down")
        if self._offset > 0:
            out.append("scroll up")
        if self._history:
            out.append("back")
        return out

    # -- carrying out actions ---------------------------------------------------------------

    def _require_page(self) -> Page:
        if self.page is None:
            raise RuntimeError("call reset() before step()")
        return self.page

    def _view(self) -> tuple[int, int]:
        return self._offset, self._offset + self.viewport_lines

    def _element(self, ax_id: int) -> tuple[AXEntry, Element]:
        page = self._require_page()
        n = page.num_ids
        if not 1 <= ax_id <= n:
            where = f"ids here go from 1 to {n}" if n else "this page has no interactive elements"
            raise ActionError("illegal", f"there is no element [{ax_id}] on this page; {where}")
        line = page.template.id_lines[ax_id - 1]
        lo, hi = self._view()
        if not lo <= line < hi:
            direction = "down" if line >= hi else "up"
            raise ActionError(
                "illegal",
                f"element [{ax_id}] is not in view (lines {lo + 1}-"
                f"{min(hi, len(page.template.entries))} are shown); scroll {direction} to reach it",
            )
        entry = page.entry(ax_id)
        if entry.disabled:
            raise ActionError(
                "illegal", f"element [{ax_id}] ({entry.role} {quote(entry.name)}) is disabled"
            )
        assert entry.element is not None
        return entry, entry.element

    @staticmethod
    def _search_box(page: Page) -> AXEntry | None:
        for entry in page.template.interactive:
            if entry.role == "searchbox" and not entry.disabled:
                return entry
        return None

    def _navigate(self, before: Page, after: Page) -> None:
        """Record a page change in the episode's history and reset the view."""
        if after.url != before.url:
            self._history.append(before.url)
        self._offset = 0

    def _apply(self, act: WebAction) -> None:
        page = self._require_page()
        backend = self._backend
        if act.verb == "click":
            assert act.target is not None
            entry, el = self._element(act.target)
            if entry.role == "combobox":
                raise ActionError(
                    "illegal",
                    f"[{act.target}] is a drop-down; choose an option with "
                    f'select [{act.target}] "..."',
                )
            if entry.role in _TEXT_ROLES:
                raise ActionError(
                    "illegal",
                    f'[{act.target}] is a text box; write into it with type [{act.target}] "..."',
                )
            navigates = page.navigates(el)
            self.page = backend.click(el)
            if navigates:
                self._navigate(page, self.page)
        elif act.verb == "type":
            assert act.target is not None and act.text is not None
            entry, el = self._element(act.target)
            if entry.role not in _TEXT_ROLES:
                raise ActionError(
                    "illegal",
                    f"[{act.target}] is a {entry.role}, not a text box; "
                    "only text boxes take typing",
                )
            self.page = backend.fill(el, act.text)
        elif act.verb == "select":
            assert act.target is not None and act.text is not None
            entry, el = self._element(act.target)
            if entry.role != "combobox":
                raise ActionError(
                    "illegal",
                    f"[{act.target}] is a {entry.role}, not a drop-down; "
                    "select works on drop-downs",
                )
            options = page.options(el)
            index = _match_option(options, act.text)
            if index is None:
                shown = ", ".join(quote(o) for o in options)
                raise ActionError(
                    "illegal",
                    f"[{act.target}] has no option {quote(act.text)}; its options: {shown}",
                )
            self.page = backend.select(el, index)
        elif act.verb == "search":
            assert act.text is not None
            box = self._search_box(page)
            if box is None or box.element is None:
                raise ActionError(
                    "illegal", "this page has no search box; go to a page that has one"
                )
            form = page.form_of(box.element)
            button = None
            if form is not None:
                button = next((e for e in form.iter() if page.is_submit(e)), None)
            if button is None:
                raise ActionError("illegal", "the search box has no search button to press")
            backend.fill(box.element, act.text)
            self.page = backend.click(button)
            self._navigate(page, self.page)
        elif act.verb == "scroll":
            n = len(page.template.entries)
            step = max(1, self.viewport_lines // 2)
            bottom = max(0, n - self.viewport_lines)
            if act.text == "down":
                if self._offset >= bottom:
                    raise ActionError("illegal", "already at the bottom of the page")
                self._offset = min(self._offset + step, bottom)
            else:
                if self._offset <= 0:
                    raise ActionError("illegal", "already at the top of the page")
                self._offset = max(self._offset - step, 0)
            if self.screenshot:
                backend.scroll(self._offset / bottom if bottom else 0.0)
        elif act.verb == "back":
            if not self._history:
                raise ActionError("illegal", "there is no previous page in this episode")
            url = self._history.pop()
            self.page = backend.goto(url)
            self._offset = 0
        else:  # stop
            self._stopped = act.text if act.text is not None else ""

    # -- observation, progress, info --------------------------------------------------------

    def _render(self) -> str:
        page = self._require_page()
        lines = page.lines()
        n = len(lines)
        lo, hi = self._view()
        head = [f"Goal: {self.goal}", f"URL: {page.url}", f"Title: {page.title}"]
        if n > self.viewport_lines:
            note = f"Lines {lo + 1}-{min(hi, n)} of {n}"
            more = [d for d, cond in (("up", lo > 0), ("down", hi < n)) if cond]
            if more:
                note += f" (scroll {' or '.join(more)} for more)"
            head.append(note)
        return "\n".join([*head, "", *lines[lo:hi]])

    def _info(self) -> dict[str, Any]:
        page = self._require_page()
        info: dict[str, Any] = {
            "url": page.url,
            "title": page.title,
            "goal": self.goal,
            "task_id": self.task_id,
        }
        if self.include_html:
            info["html"] = page.template.html
        return info

    def _milestones_reached(self) -> float:
        assert self.app is not None
        views = self.app.views[self._views_seen :]
        self._views_seen = len(self.app.views)
        new = self._milestones(views) - self._credited
        self._credited |= new
        return self._share * len(new)

    def _make_step(self, error: ActionError | None) -> TextStep:
        terms, outcome, terminated, truncated, success = self._evaluate()
        progress = self._milestones_reached()
        invalid = -self.invalid_action_penalty if error is not None else 0.0
        terms = {**terms, "progress": progress, "invalid": invalid}
        reward = outcome + self.progress_weight * progress + invalid
        text = self._render()
        if error is not None:
            text = f"[{error.kind} error] {error.message}\n\n{text}"
        self._over = terminated or truncated
        page = self._require_page()
        return TextStep(
            text,
            terms,
            reward=reward,
            terminated=terminated,
            truncated=truncated,
            success=success,
            caption=page.title,
            info=self._info(),
        )

    def _observation(self) -> Any:
        obs = super()._observation()
        if not self.screenshot:
            return obs
        shot = self._backend.screenshot()
        if isinstance(obs, dict):
            return {**obs, "screenshot": shot}
        return {"text": obs, "screenshot": shot}

    # -- helpers for the oracles -------------------------------------------------------------

    def _act(self, verb: str, el: Element, text: str | None = None) -> str:
        """The action ``verb`` on ``el``, or the scroll that brings it into view."""
        page = self._require_page()
        ax_id = page.id_of(el)
        line = page.template.id_lines[ax_id - 1]
        lo, hi = self._view()
        if line < lo:
            return "scroll up"
        if line >= hi:
            return "scroll down"
        return format_action(WebAction(verb, ax_id, text))

    def _find(
        self, role: str | None = None, label: str | None = None, /, **attrs: str
    ) -> Element | None:
        """The first interactive element with this role, accessible name (``label``)
        and attributes."""
        page = self._require_page()
        for entry in page.template.interactive:
            el = entry.element
            if el is None or (role is not None and entry.role != role):
                continue
            if label is not None and entry.name != label:
                continue
            if all(el.attrs.get(k) == v for k, v in attrs.items()):
                return el
        return None

    def close(self) -> None:
        self._backend.close()
        super().close()


def _match_option(options: list[str], text: str) -> int | None:
    if text in options:
        return options.index(text)
    folded = " ".join(text.split()).casefold()
    for i, label in enumerate(options):
        if " ".join(label.split()).casefold() == folded:
            return i
    return None
