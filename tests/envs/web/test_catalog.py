"""The shop's catalog, search, tasks, the fuzzy matcher and WebShop's reward."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardgym.envs.web.catalog import (
    NUM_TASKS,
    TEST_TASKS,
    Catalog,
    get_catalog,
    webshop_reward,
)
from rewardgym.envs.web.fuzzy import ratio, token_set_ratio


def test_catalog_is_a_function_of_its_seed():
    a, b = Catalog(3), Catalog(3)
    assert [p.title for p in a.products] == [p.title for p in b.products]
    assert a.task(17) == b.task(17)
    assert [p.id for p in get_catalog(0).products] != [p.id for p in a.products]
    assert len({p.id for p in a.products}) == len(a.products)


def test_every_held_out_task_is_findable_and_solvable():
    cat = get_catalog(0)
    for task_id in range(TEST_TASKS):
        goal = cat.task(task_id)
        gold = cat.product(goal.product_id)
        assert goal.product_id in [p.id for p in cat.search(goal.query)]
        assert gold.price <= goal.price_upper
        assert set(goal.options) == {dim for dim, _ in gold.options}
        assert all(goal.options[d] in gold.option_values(d) for d in goal.options)
        assert webshop_reward(goal, gold, goal.options)["reward"] == 1.0
        assert f"{goal.price_upper:.2f}" in goal.instruction
        assert all(v in goal.instruction for v in goal.options.values())


def test_task_ids_are_checked():
    with pytest.raises(ValueError, match="task_id"):
        get_catalog(0).task(NUM_TASKS)


def test_search_ranks_matching_products_first():
    cat = get_catalog(0)
    results = cat.search("waterproof jacket")
    assert 0 < len(results) <= 50
    assert results[0].type == "jacket" and "waterproof" in results[0].attributes
    assert cat.search("zzzz qqqq") == []


def _goal_and_gold():
    cat = get_catalog(0)
    goal = next(cat.task(i) for i in range(100) if len(cat.task(i).options) == 2)
    return cat, goal, cat.product(goal.product_id)


def test_reward_counts_options_attributes_and_price():
    _cat, goal, gold = _goal_and_gold()
    n = len(goal.attributes) + len(goal.options) + 1
    wrong = {
        d: next(v for v in gold.option_values(d) if v != goal.options[d]) for d in goal.options
    }
    r = webshop_reward(goal, gold, wrong)
    assert r["options"] == 0.0 and r["type"] == 1.0
    assert r["reward"] == pytest.approx((len(goal.attributes) + 1) / n)
    first = next(iter(goal.options))
    one = dict(wrong, **{first: goal.options[first]})
    n_att = len(goal.attributes)
    assert webshop_reward(goal, gold, one)["reward"] == pytest.approx((n_att + 2) / n)
    assert webshop_reward(goal, gold, {})["options"] == 0.0
    cheap = dataclasses.replace(goal, price_upper=gold.price - 1)
    assert webshop_reward(cheap, gold, goal.options)["price"] == 0.0
    assert webshop_reward(cheap, gold, goal.options)["reward"] == pytest.approx((n - 1) / n)


def test_type_reward_drops_with_title_nouns():
    cat, goal, gold = _goal_and_gold()
    same_type = next(p for p in cat.products if p.type == gold.type and p.id != gold.id)
    assert webshop_reward(goal, same_type, {})["type"] == 1.0
    other = next(
        p for p in cat.products if p.category[0] != gold.category[0] and not (p.nouns & gold.nouns)
    )
    assert webshop_reward(goal, other, goal.options)["type"] == 0.0
    assert webshop_reward(goal, other, goal.options)["reward"] == 0.0


def test_attribute_matches_by_fuzzy_ratio_or_text():
    _cat, goal, gold = _goal_and_gold()
    assert webshop_reward(goal, gold, {})["attributes"] == 1.0
    stranger = dataclasses.replace(goal, attributes=("glow in the dark",))
    assert webshop_reward(stranger, gold, {})["attributes"] == 0.0


def test_token_set_ratio_known_values():
    assert token_set_ratio("machine washable", "Washable machine") == 100.0
    assert token_set_ratio("xl", "xxl") == pytest.approx(80.0)
    assert token_set_ratio("", "x") == 0.0
    assert ratio("abc", "abd") == pytest.approx(100 * 4 / 6)
    # a product type's option values (all dimensions) never fuzzy-match each other
    cat = get_catalog(0)
    for ptype in cat.types.values():
        values = {v for _, vs in ptype.options for v in vs}
        for a in values:
            for b in values:
                assert (token_set_ratio(a, b) > 85) == (a == b), (a, b)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20), st.text(max_size=20))
def test_token_set_ratio_is_symmetric_and_bounded(a, b):
    x = token_set_ratio(a, b)
    assert 0.0 <= x <= 100.0
    assert x == token_set_ratio(b, a)
