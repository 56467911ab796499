"""TextQuest's parser: synonyms, articles, case and spacing, and hostile input."""

from __future__ import annotations

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rewardgym  # noqa: F401  (registers the ids)
from rewardgym.envs.text_games.quest_parser import Command, ParseError, match, parse, tokens
from rewardgym.envs.text_games.quest_world import INV, KEY

ID = "rewardgym/TextQuest-v0"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("north", Command("go", direction=0)),
        ("n", Command("go", direction=0)),
        ("  S  ", Command("go", direction=2)),
        ("go east", Command("go", direction=1)),
        ("walk to the west", Command("go", direction=3)),
        ("Head North.", Command("go", direction=0)),
        ("go through the oak door", Command("enter", ("oak", "door"))),
        ("enter iron gate", Command("enter", ("iron", "gate"))),
        ("take the brass key", Command("take", ("brass", "key"))),
        ("get key", Command("take", ("key",))),
        ("pick up a red apple", Command("take", ("red", "apple"))),
        ("pick the apple up", Command("take", ("apple",))),
        (
            "grab apple from the wooden chest",
            Command("take", ("apple",), ("wooden", "chest"), "from"),
        ),
        ("take coin out of box", Command("take", ("coin",), ("box",), "from")),
        ("take coin off table", Command("take", ("coin",), ("table",), "from")),
        ("drop the lamp", Command("drop", ("lamp",))),
        ("put down lamp", Command("drop", ("lamp",))),
        ("put lamp down", Command("drop", ("lamp",))),
        ("put apple on table", Command("put", ("apple",), ("table",), "on")),
        ("place the apple on top of the table", Command("put", ("apple",), ("table",), "on")),
        ("insert key into chest", Command("put", ("key",), ("chest",), "in")),
        ("put key inside the chest", Command("put", ("key",), ("chest",), "in")),
        ("open chest", Command("open", ("chest",))),
        ("shut the door", Command("close", ("door",))),
        ("close door", Command("close", ("door",))),
        ("unlock door with brass key", Command("unlock", ("door",), ("brass", "key"), "with")),
        ("unlock the door using the key", Command("unlock", ("door",), ("key",), "with")),
        ("unlock door", Command("unlock", ("door",))),
        ("lock chest with key", Command("lock", ("chest",), ("key",), "with")),
        ("eat the pie", Command("eat", ("pie",))),
        ("devour pie", Command("eat", ("pie",))),
        ("x chest", Command("examine", ("chest",))),
        ("examine the chest", Command("examine", ("chest",))),
        ("look at the chest", Command("examine", ("chest",))),
        ("look in chest", Command("examine", ("chest",))),
        ("look", Command("look")),
        ("l", Command("look")),
        ("LOOK AROUND", Command("look")),
        ("i", Command("inventory")),
        ("inventory", Command("inventory")),
        ("please take key", Command("take", ("key",))),
    ],
)
def test_parse_reads_synonyms_articles_case_and_spacing(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "I don't understand that."),
        ("   ", "I don't understand that."),
        ("the", "I don't understand that."),
        ("dance", "I don't understand that."),
        ("go kitchen", "I don't understand that."),
        ("take", "What do you want to take?"),
        ("put apple", "Where do you want to put it?"),
        ("unlock door with", "What do you want to unlock it with?"),
        ("pick apple", "I don't understand that."),
        ("look behind the door", "I don't understand that."),
        ("inventory please", "I don't understand that."),
    ],
)
def test_parse_errors_say_what_went_wrong(text, message):
    with pytest.raises(ParseError) as err:
        parse(text)
    assert str(err.value).startswith(message)


def test_match_prefers_the_whole_name():
    words = [frozenset({"key"}), frozenset({"brass", "key"}), frozenset({"oak", "door"})]
    assert match(("key",), [0, 1, 2], words) == [0]
    assert match(("brass", "key"), [0, 1, 2], words) == [1]
    assert match(("key",), [1, 2], words) == [1]
    assert match(("brass",), [2], words) == []


def test_tokens_drop_punctuation_and_articles():
    assert tokens("Take THE key; rm -rf /") == ["take", "key", "rm", "rf"]


# -- through the env --------------------------------------------------------------------


def _env_with(predicate, difficulty="medium", seeds=300):
    env = gym.make(ID, difficulty=difficulty)
    for seed in range(seeds):
        env.reset(seed=seed)
        if predicate(env.unwrapped):
            return env
    pytest.fail("no world with the wanted layout")


def _visible_key(q):
    return [t for t in q._game.scope() if q.world.kinds[t] == KEY]


def test_natural_variants_of_an_admissible_command_do_the_same():
    env = _env_with(lambda q: len(_visible_key(q)) == 1)
    q = env.unwrapped
    key = _visible_key(q)[0]
    world = q.world
    adjective, noun = world.names[key].split()
    for text in (
        f"  PICK UP the {adjective.upper()}   {noun}!  ",
        f"get {noun}",
        f"grab the {noun}",
    ):
        env.reset(options={"world": world})
        _, _, _, _, info = env.step(text)
        assert info["error"] is None, text
        assert q._game.loc[key] == INV
        assert f"drop {adjective} {noun}" in info["admissible_commands"]


def test_ambiguous_noun_asks_which_and_changes_nothing():
    env = _env_with(lambda q: len(_visible_key(q)) >= 2, difficulty="hard")
    q = env.unwrapped
    before = q._game.state_key()
    _, _, _, _, info = env.step("take key")
    assert info["error"] == "parse"
    assert info["caption"].startswith("Which do you mean, the ")
    assert q._game.state_key() == before


def test_unlock_without_naming_the_key_uses_the_fitting_one_in_hand():
    env = gym.make(ID)
    for seed in range(100):
        env.reset(seed=seed)
        q = env.unwrapped
        while not q._over:
            cmd = q._oracle_text()
            if cmd.startswith("unlock "):
                target = cmd[len("unlock ") : cmd.index(" with ")]
                _, _, _, _, info = env.step(f"unlock the {target}")
                assert info["error"] is None
                assert (
                    info["caption"] == f"You unlock the {target} with the {cmd.split(' with ')[1]}."
                )
                return
            env.step(cmd)
    pytest.fail("no unlock in 100 quests")


HOSTILE = [
    "",
    " ",
    "\n\n\t",
    "x" * 8000,
    "take " + "zorb " * 1500,
    "🔑🗝️ open sesame 🚪",
    "ｔａｋｅ ｋｅｙ",
    "take key; rm -rf / --no-preserve-root",
    "$(reboot) && `cat /etc/passwd`",
    "'; DROP TABLE users; --",
    "<script>alert('x')</script>",
    "{{7*7}} ${jndi:ldap://x}",
    "\u202egnirts desrever",
    "open \u200b door",
    "go north; go south; go east",
    "take key from",
    "put in on",
    "unlock with with with",
    "%s%s%s%n",
    "\\x00\\x01",
    "take \x00 key",
    "\ud800",
    b"look",
    None,
    12,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_refused_without_changing_the_state(text):
    env = gym.make(ID)
    env.reset(seed=0)
    q = env.unwrapped
    before = q._game.state_key()
    obs, reward, terminated, truncated, info = env.step(text)
    assert info["error"] in ("parse", "illegal")
    assert obs.startswith(
        (
            "I don't understand that.",
            "You can't see any such thing.",
            "What ",
            "Where ",
            "Which ",
            "You can't go",
        )
    )
    assert obs == info["caption"]
    assert q._game.state_key() == before
    assert reward == 0.0 and not terminated and not truncated
    assert info["reward_terms"] == {
        "sparse": 0.0,
        "intermediate": 0.0,
        "subgoals": 0.0,
        "invalid": 0.0,
    }
    assert info["admissible_commands"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=300))
def test_any_text_is_parsed_or_refused_never_raised(text):
    try:
        parse(text)
    except ParseError as err:
        assert str(err)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    words=st.lists(
        st.sampled_from(
            ["take", "the", "key", "put", "on", "in", "north", "go", "open", "door", "with",
             "unlock", "eat", "x", "from", "chest", "table", "brass", ";", "🔑", "drop", "i"]
        ) | st.text(max_size=8),
        max_size=8,
    )
)  # fmt: skip
def test_env_never_raises_on_word_salad(words):
    env = _SALAD_ENV
    env.reset(seed=1)
    q = env.unwrapped
    before = q._game.state_key()
    obs, _, _, _, info = env.step(" ".join(words))
    assert isinstance(obs, str) and obs
    if info["error"] is not None:
        assert info["error"] in ("parse", "illegal")
        assert q._game.state_key() == before


_SALAD_ENV = gym.make(ID, difficulty="easy")
