"""Tool-use environments with verifiable rewards over an embedded SQLite database.

* ``rewardgym/ToolCall-v0`` (:class:`ToolCallEnv`): single-turn function calling
  (BFCL / ToolRL style), parallel and multiple calls, and requests no tool serves.
* ``rewardgym/ToolAgent-v0`` (:class:`ToolAgentEnv`, and ``-Retail``, ``-Travel``,
  ``-Banking`` variants): multi-turn tool use with a scripted user (tau-bench style).

Three domains (:mod:`.retail`, :mod:`.travel`, :mod:`.banking`), each a set of real
tools over a fresh in-memory database per episode (:mod:`.db`, :mod:`.tools`); tasks
with gold calls, gold final database and a fixed held-out split (:mod:`.tasks`); the
action grammar (:mod:`.parsing`); the user simulator (:mod:`.user_sim`).
"""

from rewardgym.envs.tool_use.env import REWARD_TERMS, ToolAgentEnv, ToolCallEnv
from rewardgym.envs.tool_use.parsing import ParsedAction, ParseError, parse_action
from rewardgym.envs.tool_use.tasks import Task, heldout_tasks, make_task, split_tasks

__all__ = [
    "REWARD_TERMS",
    "ParseError",
    "ParsedAction",
    "Task",
    "ToolAgentEnv",
    "ToolCallEnv",
    "heldout_tasks",
    "make_task",
    "parse_action",
    "split_tasks",
]
