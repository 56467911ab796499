"""rewardgym environments, one sub-package per family.

Importing this package imports no env module; see :mod:`rewardgym.envs.registry`.
"""
