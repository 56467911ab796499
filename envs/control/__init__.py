"""Classic control tasks on Numba kernels (CPU) and Numba CUDA kernels (GPU).

Modules: :mod:`.cartpole`, :mod:`.mountain_car`, :mod:`.acrobot`, :mod:`.pendulum`;
the kernels in :mod:`._kernels` (CPU) and :mod:`._cuda` (GPU). Nothing is imported
here so that ``import rewardgym`` stays light.
"""
