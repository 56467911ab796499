"""Fuzzy string matching: the token-set ratio of WebShop's reward (fuzzywuzzy's
``token_set_ratio`` semantics), written out with the standard library.

``ratio(a, b) = 100 * 2 * LCS(a, b) / (len(a) + len(b))`` with ``LCS`` the longest
common subsequence (the Indel similarity of rapidfuzz). The token-set ratio splits
both strings into lower-case alphanumeric tokens, and with ``I`` the sorted common
tokens and ``A``, ``B`` the sorted rest of each, takes the best ratio among
``I`` vs ``I+A``, ``I`` vs ``I+B`` and ``I+A`` vs ``I+B``: a string whose tokens are a
subset of the other's scores 100.

>>> token_set_ratio("Navy Blue", "blue navy")
100.0
>>> token_set_ratio("x-large", "X Large")
100.0
>>> token_set_ratio("small", "x-small")  # a token subset matches fully
100.0
>>> round(token_set_ratio("small", "smell"), 1)
80.0
>>> token_set_ratio("red", "")
0.0
"""

from __future__ import annotations

import functools
import re

__all__ = ["ratio", "token_set_ratio"]

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def _lcs(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b):
            cur.append(prev[j] + 1 if ca == cb else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def ratio(a: str, b: str) -> float:
    """Normalised Indel similarity in [0, 100] (100 for equal strings; two empty
    strings count as equal)."""
    total = len(a) + len(b)
    if total == 0:
        return 100.0
    return 100.0 * 2 * _lcs(a, b) / total


@functools.lru_cache(maxsize=65536)
def token_set_ratio(a: str, b: str) -> float:
    """fuzzywuzzy/rapidfuzz ``token_set_ratio`` (0 when either side has no token)."""
    ta, tb = set(_TOKEN.findall(a.lower())), set(_TOKEN.findall(b.lower()))
    if not ta or not tb:
        return 0.0
    common = " ".join(sorted(ta & tb))
    rest_a = " ".join(sorted(ta - tb))
    rest_b = " ".join(sorted(tb - ta))
    if common and (not rest_a or not rest_b):
        return 100.0
    s_a = f"{common} {rest_a}".strip()
    s_b = f"{common} {rest_b}".strip()
    best = ratio(s_a, s_b)
    if common:
        best = max(best, ratio(common, s_a), ratio(common, s_b))
    return best
