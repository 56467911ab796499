"""MuJoCo goal-reaching and locomotion tasks, with batched multithreaded stepping.

Tasks (each module holds a single env and a vector env over the same task functions):

* :mod:`.point_reach` — ``rewardgym/PointReach-v0``: a puck on a table reaches a random
  goal; sparse success reward; exported potentials for shaping.
* :mod:`.reacher` — ``rewardgym/ReacherSparse-v0``: a two-link arm reaches a target;
  sparse success reward with a control cost.
* :mod:`.hopper` — ``rewardgym/HopperForward-v0``: a one-legged hopper moves forward; a
  four-term reward (forward progress, alive bonus, control cost, contact cost), each
  term reported in ``info["reward_terms"]``.

The shells live in :mod:`._core`. ``gym.make_vec(id, num_envs=N,
vectorization_mode="vector_entry_point")`` steps all N simulations in one call of
``mujoco.batch.Batch`` on a pool of threads, the frame skip included, with the same
transitions as N single envs. The MJCF models ship in ``assets/``.

Importing a task module imports ``mujoco``; on Linux it sets ``MUJOCO_GL=egl`` for
offscreen rendering unless the variable is already set. Nothing is imported here, so
``import rewardgym`` stays light.
"""
