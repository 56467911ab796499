"""WebShopEnv in process: the oracle, the reward ordering, errors, progress, the
info contract, reward composition and pickling."""

from __future__ import annotations

import pickle

import gymnasium as gym
import numpy as np
import pytest

import rewardgym  # noqa: F401  (registers the ids)
from rewardgym.agents.random import RandomAgent
from rewardgym.envs.web.actions import WebAction, format_action
from rewardgym.envs.web.catalog import TEST_TASKS, get_catalog
from rewardgym.envs.web.webshop import WebShopEnv
from rewardgym.rewards.terms import InfoTerm
from rewardgym.rewards.wrappers import RewardWrapper

ID = "rewardgym/WebShop-v0"


@pytest.mark.parametrize("mode", ["text", "discrete"])
def test_oracle_buys_the_right_thing_on_every_held_out_task(mode, oracle_runner):
    env = gym.make(ID, action_mode=mode)
    for task_id in range(TEST_TASKS):
        out = oracle_runner(env, task_id)
        info = out["info"]
        assert info["success"], task_id
        assert out["rewards"][-1] == 1.0 and sum(out["rewards"]) == 1.0
        assert out["totals"]["webshop"] == 1.0
        assert out["totals"]["progress"] == pytest.approx(1.0)  # every gold-path page
        assert info["title"] == info["caption"] == "Order placed | Shoply"
        assert out["steps"] <= 12


def _partial_action(env) -> str:
    """The oracle's action, except that on the gold product's page it chooses a wrong
    value for every option, then buys (and places the order)."""
    q = env.unwrapped
    page = q.page
    if page.url == "/checkout":
        return f"click [{page.id_of(q._find('button', 'Place order'))}]"
    if page.url.startswith(f"/product/{q.task.product_id}"):
        gold = q.task.options
        for entry in page.template.interactive:
            el = entry.element
            if entry.role == "combobox":
                labels = page.options(el)
                want = next(v for v in labels[1:] if v != gold["size"])
                if labels[page.selected_index(el)] != want:
                    return f'select [{page.id_of(el)}] "{want}"'
        for dim in gold:
            radios = [
                e.element
                for e in page.template.interactive
                if e.role == "radio" and e.element.attrs["name"] == dim
            ]
            if radios and not any(page.is_checked(r) for r in radios):
                wrong = next(r for r in radios if r.attrs["value"] != gold[dim])
                return f"click [{page.id_of(wrong)}]"
        buy = next(e.element for e in page.template.interactive if e.name == "Buy Now")
        return f"click [{page.id_of(buy)}]"
    return q.oracle_action()


def test_oracle_beats_wrong_options_beats_random():
    tasks = range(30)
    scores = {"oracle": [], "partial": [], "random": []}
    env = gym.make(ID)
    for task_id in tasks:
        for name in ("oracle", "partial"):
            env.reset(options={"task_id": task_id})
            done, total = False, 0.0
            while not done:
                action = env.unwrapped.oracle_action() if name == "oracle" else _partial_action(env)
                _, reward, terminated, truncated, info = env.step(action)
                assert info["error"] is None
                total += reward
                done = terminated or truncated
            scores[name].append(total)
            if name == "partial":
                assert not info["success"] and 0.0 < total < 1.0
                assert info["reward_terms"]["webshop_options"] == 0.0
    denv = gym.make(ID, action_mode="discrete")
    agent = RandomAgent(denv.action_space, seed=0)
    for task_id in tasks:
        obs, info = denv.reset(seed=task_id, options={"task_id": task_id})
        done, total = False, 0.0
        while not done:
            obs, reward, terminated, truncated, info = denv.step(agent.act(obs, info))
            total += reward
            done = terminated or truncated
        scores["random"].append(total)
    means = {k: float(np.mean(v)) for k, v in scores.items()}
    assert means["oracle"] == 1.0
    assert means["oracle"] > means["partial"] > means["random"], means


def test_errors_are_observations_and_change_nothing():
    env = gym.make(ID, viewport_lines=8)
    obs0, info = env.reset(seed=0, options={"task_id": 5})
    cases = [
        ("click [99]", "illegal", "there is no element [99]"),
        ("click [2]", "illegal", "text box"),
        ('type [1] "x"', "illegal", "not a text box"),
        ('select [1] "x"', "illegal", "not a drop-down"),
        ("back", "illegal", "no previous page"),
        ("scroll up", "illegal", "already at the top"),
        ("click [9]", "illegal", "not in view"),
        ("fly [2]", "parse", "unknown action"),
        ('type [2] "unterminated', "parse", "not closed"),
        (b"\x00\x01", "parse", "bytes"),
        (42, "parse", "must be text"),
        ('search "x"\x00', "parse", "control character"),
    ]
    for action, kind, message in cases:
        obs, reward, terminated, _truncated, info = env.step(action)
        assert info["error"] == kind, action
        assert message in info["error_message"], (action, info["error_message"])
        assert obs.endswith(obs0) and not terminated and reward == 0.0
        assert info["url"] == "/"
    # a select of an option the drop-down does not have
    env.step(f'search "{env.unwrapped.task.query}"')
    link = next(
        e
        for e in env.unwrapped.page.template.interactive
        if e.element.attrs.get("href", "").startswith("/product/")
    )
    env.step(f"click [{env.unwrapped.page.id_of(link.element)}]")
    box = env.unwrapped._find("combobox")
    if box is not None:
        ax = env.unwrapped.page.id_of(box)
        _, _, _, _, info = env.step(f'select [{ax}] "size 99"')
        assert info["error"] in ("illegal",) and "has no option" in info["error_message"]


def test_scripts_in_actions_are_inert_text():
    env = gym.make(ID)
    env.reset(seed=0)
    payload = '<script>alert(1)</script><a href="http://evil.example/">x</a>'
    obs, _, _, _, info = env.step(format_action(WebAction("search", None, payload)))
    assert info["error"] is None, info["error_message"]
    assert info["url"].startswith("/search?q=%3Cscript%3E")
    page = env.unwrapped.page
    # the payload is text: no link to the other site, no script element
    assert all("evil" not in e.element.attrs.get("href", "") for e in page.template.interactive)
    assert not any(el.tag == "script" for el in page.template.elements)
    assert "Results for “<script>alert(1)</script>" in obs


def test_stop_ends_without_a_purchase_and_late_steps_are_rejected():
    env = gym.make(ID)
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step('stop "nothing fits"')
    assert terminated and reward == 0.0 and not info["success"]
    _, _, _, _, info = env.unwrapped.step("click [1]")
    assert info["error"] == "illegal" and "episode has ended" in info["error_message"]


def test_oracle_recovers_from_a_wrong_item_in_the_cart(oracle_runner):
    env = gym.make(ID)
    env.reset(options={"task_id": 7})
    q = env.unwrapped
    cat = get_catalog(0)
    other = next(p for p in cat.products if p.id != q.task.product_id)
    env.step(f'search "{other.title}"')
    link = next(
        e.element
        for e in q.page.template.interactive
        if e.element.attrs.get("href", "").startswith(f"/product/{other.id}")
    )
    env.step(f"click [{q.page.id_of(link)}]")
    env.step(f"click [{q.page.id_of(q._find('button', 'Add to Cart'))}]")
    assert q.shop.cart and q.page.url == "/cart"
    done = False
    while not done:
        _, reward, terminated, truncated, info = env.step(q.oracle_action())
        assert info["error"] is None
        done = terminated or truncated
    assert info["success"] and reward == 1.0


def test_progress_composes_with_the_reward_suite(oracle_runner):
    env = RewardWrapper(gym.make(ID), InfoTerm("webshop") + 0.5 * InfoTerm("progress"))
    out = oracle_runner(env, 11)
    assert sum(out["rewards"]) == pytest.approx(1.5)
    weighted = gym.make(ID, progress_weight=2.0)
    out = oracle_runner(weighted, 11)
    assert sum(out["rewards"]) == pytest.approx(3.0)


def test_info_contract_and_splits():
    env = gym.make(ID, split="test", include_html=True)
    for seed in range(20):
        _, info = env.reset(seed=seed)
        assert 0 <= info["task_id"] < TEST_TASKS
    assert {"url", "title", "goal", "task_id", "html", "caption", "success", "error"} <= set(info)
    assert info["html"].startswith("<!DOCTYPE html>")
    train = gym.make(ID)
    assert all(train.reset(seed=s)[1]["task_id"] >= TEST_TASKS for s in range(20))
    _obs, _reward, _, _, info = train.step("scroll down")
    assert set(info["reward_terms"]) == set(WebShopEnv.reward_terms)


def test_viewport_scrolls_and_oracle_scrolls_to_reach_elements(oracle_runner):
    env = gym.make(ID, viewport_lines=6)
    out = oracle_runner(env, 3)
    assert out["info"]["success"]
    env.reset(options={"task_id": 3})
    obs, _, _, _, info = env.step("scroll down")
    assert info["error"] is None and "Lines 4-9 of" in obs and "scroll up or down" in obs


def test_pickled_env_continues_identically_mid_episode():
    env = gym.make(ID, action_mode="discrete")
    env.reset(seed=1)
    for _ in range(2):
        env.step(env.unwrapped.oracle_action())
    clone = pickle.loads(pickle.dumps(env))
    while True:
        action = env.unwrapped.oracle_action()
        a, b = env.step(action), clone.step(action)
        assert a[1:4] == b[1:4] and a[4]["text"] == b[4]["text"]
        if a[2] or a[3]:
            break


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backend": "firefox"}, "backend must be"),
        ({"split": "valid"}, "split must be"),
        ({"screenshot": True}, "screenshot=True needs backend='browser'"),
        ({"viewport_lines": 2}, "viewport_lines"),
        ({"site_seed": -1}, "site_seed"),
        ({"progress_weight": float("nan")}, "progress_weight"),
    ],
)
def test_bad_arguments_fail_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WebShopEnv(**kwargs)


def test_reset_checks_the_task_id():
    env = WebShopEnv()
    with pytest.raises(ValueError, match="task_id"):
        env.reset(options={"task_id": 10**6})
