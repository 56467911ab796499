"""The browser backend (Chromium through Playwright) against the in-process one:
the same observations, rewards and outcomes for the same actions, the harness,
screenshots, pickling, and a browser that reaches nothing but the local server.

One Chromium serves the whole module (each env has its own context). Without a
browser the module is skipped, except under ``CI=true``, where that fails.
"""

from __future__ import annotations

import os
import pickle
import time

import gymnasium as gym
import numpy as np
import pytest

import rewardgym  # noqa: F401  (registers the ids)
from rewardgym import testing
from rewardgym.envs.web import browser_available, shutdown_browser

AVAILABLE, WHY = browser_available()
IN_CI = os.environ.get("CI", "").lower() == "true"
pytestmark = pytest.mark.skipif(
    not AVAILABLE and not IN_CI, reason=f"the browser backend cannot run here: {WHY}"
)

SHOP, FORMS = "rewardgym/WebShop-v0", "rewardgym/WebForms-v0"
_BACKEND_ONLY = ("html",)


@pytest.fixture(scope="module", autouse=True)
def chromium():
    if not AVAILABLE:
        pytest.fail(f"CI=true but the browser backend cannot run: {WHY}")
    start = time.perf_counter()
    yield
    shutdown_browser()
    # the whole module stays well under a minute
    assert time.perf_counter() - start < 60


@pytest.fixture(scope="module")
def pairs():
    made = {
        env_id: (gym.make(env_id), gym.make(env_id, backend="browser")) for env_id in (SHOP, FORMS)
    }
    yield made
    for a, b in made.values():
        a.close()
        b.close()


def _same(out_a, out_b, where):
    testing.assert_same(out_a, out_b, where)


def _run_pair(a, b, task_id, policy, max_steps=30):
    _same(a.reset(seed=task_id, options={"task_id": task_id}),
          b.reset(seed=task_id, options={"task_id": task_id}), f"reset {task_id}")  # fmt: skip
    info = None
    for t in range(max_steps):
        action = policy(a, t)
        out_a, out_b = a.step(action), b.step(action)
        _same(out_a, out_b, f"task {task_id} step {t} {action!r}")
        info = out_a[4]
        if out_a[2] or out_a[3]:
            break
    # the same final state of the site: cart and orders, or the form submission
    site_a, site_b = a.unwrapped.app, b.unwrapped.app
    for name in ("cart", "orders", "submission"):
        assert getattr(site_a, name, None) == getattr(site_b, name, None), name
    return info


@pytest.mark.parametrize(("env_id", "tasks"), [(SHOP, (0, 1)), (FORMS, (0, 1, 2, 3, 4))])
def test_oracle_trajectories_give_the_same_pages_and_rewards(pairs, env_id, tasks):
    a, b = pairs[env_id]
    for task_id in tasks:
        info = _run_pair(a, b, task_id, lambda env, t: env.unwrapped.oracle_action())
        assert info["success"], task_id
        assert b.unwrapped.page.url == info["url"]


@pytest.mark.parametrize("env_id", [SHOP, FORMS])
def test_random_trajectories_give_the_same_pages_and_rewards(pairs, env_id):
    a, b = pairs[env_id]
    rng = np.random.default_rng(7)
    for episode in range(2):

        def policy(env, t):
            cands = env.unwrapped._candidates()
            return cands[int(rng.integers(len(cands)))]

        _run_pair(a, b, 100 + episode, policy, max_steps=10)


def test_hostile_actions_are_errors_or_inert_and_nothing_leaves_the_machine(pairs):
    a, b = pairs[SHOP]
    actions = [
        "type [2] \"<script>fetch('http://example.com/')</script>\"",
        'search "<img src=http://example.com/x.png onerror=alert(1)>"',
        'type [2] "line\\none\\r\\ntwo"',
        'search "éè 😀 ~*+&%"',
        "click [999]",
        "back",
        "back",
        "back",
        "javascript:alert(1)",
        'select [3] "x"',
    ]
    _same(a.reset(seed=3), b.reset(seed=3), "reset")
    for action in actions:
        _same(a.step(action), b.step(action), action)
    backend = b.unwrapped._backend
    origin = backend.origin
    assert backend.requests and all(u.startswith(origin + "/") for u in backend.requests)
    assert backend.blocked == []
    assert backend._page.evaluate("document.scripts.length") == 0
    # a script on the page may not connect anywhere (the site's Content-Security-Policy)
    result = backend._page.evaluate(
        "() => fetch('http://93.184.216.34/').then(() => 'reached', () => 'refused')"
    )
    assert result == "refused"
    # and a navigation elsewhere is aborted by the route (a name would not resolve)
    for url in ("http://93.184.216.34/", "http://example.com/"):
        with pytest.raises(Exception, match=r"ERR_BLOCKED_BY_CLIENT|ERR_NAME_NOT_RESOLVED"):
            backend._page.goto(url)
    assert any("//93.184.216.34/" in u for u in backend.blocked), backend.blocked
    assert any("//example.com/" in u for u in backend.blocked)  # (Chromium may try https)
    b.reset(seed=4)  # the env recovers from the page being taken elsewhere


def test_the_harness_passes_on_the_browser_backend():
    testing.check_gymnasium_env(FORMS, backend="browser")
    testing.check_determinism(SHOP, steps=80, max_episode_steps=8, backend="browser")
    testing.check_pickle(FORMS, steps=6, backend="browser", action_mode="discrete")


def test_a_pickled_browser_env_restores_its_page_and_typed_values():
    env = gym.make(FORMS, backend="browser")
    env.reset(options={"task_id": 0})
    _, _, _, _, _info = env.step('type [1] "half typed"')
    clone = pickle.loads(pickle.dumps(env))
    out_a, out_b = env.step("click [3]"), clone.step("click [3]")
    testing.assert_same(out_a, out_b)
    assert 'value="half typed"' in out_b[4]["text"] and "checked=true" in out_b[4]["text"]
    clone.close()
    env.close()


def test_screenshots_are_an_observation():
    env = gym.make(FORMS, backend="browser", screenshot=True, window_size=(640, 480))
    obs, _info = env.reset(options={"task_id": 1})
    assert set(obs) == {"text", "screenshot"}
    assert obs["screenshot"].shape == (480, 640, 3) and obs["screenshot"].dtype == np.uint8
    assert env.observation_space.contains(obs)
    assert obs["screenshot"].std() > 0  # something is drawn
    obs, *_ = env.step('type [1] "Someone"')
    assert env.observation_space.contains(obs) and 'value="Someone"' in obs["text"]
    env.close()
