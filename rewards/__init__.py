"""Reward terms and wrappers: shaping (:mod:`.shaping`), with normalisation,
combination and exploration bonuses to come in sibling modules."""
