"""The text-env base shared by the tool-use, web and text-game families.

:class:`TextEnv` (observation text, free-text or discrete actions, the ``info``
contract, bad input as error observations), :class:`UnicodeText` (the action space
for LLM output) and :func:`hash_features` (numeric features of text for classic RL).
"""

from rewardgym.envs.text.base import ERROR_KINDS, ActionError, TextEnv, TextStep, hash_features
from rewardgym.envs.text.spaces import UnicodeText

__all__ = ["ERROR_KINDS", "ActionError", "TextEnv", "TextStep", "UnicodeText", "hash_features"]
