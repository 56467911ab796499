"""Shared pieces of the domains: name lists, places, the irrelevant-request
generator (the "no tool applies" tasks) and small helpers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from rewardgym.envs.tool_use.tasks import Draft, answer_step

T = TypeVar("T")

TODAY = "2025-06-01"

FIRST_NAMES = (
    "Ava",
    "Liam",
    "Noah",
    "Emma",
    "Mia",
    "Lucas",
    "Zoe",
    "Omar",
    "Priya",
    "Chen",
    "Sofia",
    "Mateo",
    "Yuki",
    "Amara",
    "Ivan",
    "Leila",
    "Jonas",
    "Grace",
    "Ravi",
    "Elena",
    "Kofi",
    "Hana",
    "Diego",
    "Nora",
    "Samir",
    "Ingrid",
    "Tariq",
    "Maya",
    "Felix",
    "Aisha",
)
LAST_NAMES = (
    "Garcia",
    "Smith",
    "Kim",
    "Patel",
    "Nguyen",
    "Rossi",
    "Muller",
    "Silva",
    "Okafor",
    "Johansson",
    "Haddad",
    "Tanaka",
    "Novak",
    "Brown",
    "Cohen",
    "Dubois",
    "Khan",
    "Lopez",
    "Moreau",
    "Ivanova",
    "Mensah",
    "Sato",
    "Walsh",
    "Young",
    "Ahmed",
    "Berg",
)
STREETS = (
    "Maple Street",
    "Oak Avenue",
    "Pine Road",
    "Cedar Lane",
    "Elm Street",
    "Lakeview Drive",
    "Hillcrest Road",
    "Sunset Boulevard",
    "River Road",
    "Park Avenue",
    "Willow Way",
    "Harbor Street",
    "Chestnut Court",
    "Birch Lane",
    "Meadow Drive",
)
# (city, zip prefix)
CITIES = (
    ("Boston", "021"),
    ("Seattle", "981"),
    ("Denver", "802"),
    ("Austin", "787"),
    ("Chicago", "606"),
    ("Portland", "972"),
    ("Miami", "331"),
    ("Phoenix", "850"),
    ("Atlanta", "303"),
    ("San Diego", "921"),
)

NO_TOOL_ANSWER = "I'm sorry, but none of the tools I have can help with that request."

_IRRELEVANT = (
    ("What will the weather be like in {city} tomorrow?", "city"),
    ("Can you recommend a good restaurant in {city}?", "city"),
    ("Translate '{phrase}' into French, please.", "phrase"),
    ("What is the capital of {country}?", "country"),
    ("Tell me a joke about {topic}.", "topic"),
    ("How many minutes are there in {n} hours?", "n"),
    ("Write a short poem about {topic}.", "topic"),
    ("Who won the football world cup in {year}?", "year"),
    ("What time is it in {city} right now?", "city"),
    ("Can you summarise the plot of a famous novel set in {country}?", "country"),
)
_SLOTS: dict[str, tuple[str, ...]] = {
    "city": ("Paris", "Tokyo", "Lagos", "Lima", "Oslo", "Cairo", "Hanoi", "Quito", "Seoul"),
    "phrase": ("good morning", "thank you very much", "where is the station", "see you soon"),
    "country": ("Peru", "Kenya", "Norway", "Vietnam", "Portugal", "Chile", "Ghana", "Nepal"),
    "topic": ("cats", "the ocean", "autumn", "robots", "coffee", "mountains", "trains"),
    "n": tuple(str(n) for n in range(2, 30)),
    "year": ("1986", "1998", "2002", "2010", "2014", "2018", "2022"),
}


def pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    """One element of ``items``, drawn with ``rng``."""
    return items[int(rng.integers(len(items)))]


def sample(rng: np.random.Generator, items: Sequence[T], k: int) -> list[T]:
    """``k`` distinct elements of ``items`` in a random order."""
    idx = rng.choice(len(items), size=k, replace=False)
    return [items[int(i)] for i in idx]


def irrelevant_request(rng: np.random.Generator) -> Draft:
    """A request no tool of any domain serves; the right output is an answer."""
    template, slot = pick(rng, _IRRELEVANT)
    text = template.format(**{slot: pick(rng, _SLOTS[slot])})
    return Draft(instruction=text, steps=(answer_step(NO_TOOL_ANSWER),))


def unsupported_request(rng: np.random.Generator, requests: Sequence[str], **slots: Any) -> Draft:
    """A domain request that sounds serviceable but no tool does it."""
    text = pick(rng, requests).format(**slots)
    return Draft(instruction=text, steps=(answer_step(NO_TOOL_ANSWER),))


def money(cents: int) -> str:
    """Cents as the required-output form of an amount: ``"12.50"``."""
    return f"{cents // 100}.{cents % 100:02d}"
