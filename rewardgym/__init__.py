"""rewardgym: Gymnasium and PettingZoo environments for agents, with composable
reward wrappers and Numba/CUDA batched stepping.

``import rewardgym`` registers every environment under the ``rewardgym/`` namespace
(``gym.make("rewardgym/CartPole-v1")``) and imports no env module, no Numba kernel
and none of torch, mujoco or a browser.
"""

from __future__ import annotations

from dataclasses import dataclass

from rewardgym.envs.registry import ENVS, get_entry, register_all

__version__ = "0.1.0"

__all__ = ["ENVS", "EnvInfo", "__version__", "get_entry", "list_envs"]

register_all()


@dataclass(frozen=True)
class EnvInfo:
    """What :func:`list_envs` reports of one environment."""

    id: str
    family: str
    kind: str  # "single", "vector", "aec" or "parallel"
    summary: str

    @property
    def vector_capable(self) -> bool:
        return self.kind == "vector"


def list_envs(family: str | None = None) -> list[EnvInfo]:
    """Every rewardgym environment id with its family and kind.

    ``kind`` is ``"single"`` (Gymnasium env), ``"vector"`` (Gymnasium env with a
    native ``gym.make_vec`` entry point), ``"aec"`` or ``"parallel"`` (PettingZoo).
    """
    if family is not None and family not in {e.family for e in ENVS}:
        families = sorted({e.family for e in ENVS})
        raise ValueError(f"unknown family {family!r}; families: {', '.join(families)}")
    return [
        EnvInfo(e.id, e.family, e.kind, e.summary)
        for e in ENVS
        if family is None or e.family == family
    ]
