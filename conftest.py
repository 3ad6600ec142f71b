"""Doctest collection over calckit/: the modules that import an optional
engine (JAX, PyTorch, Dask) at the top, or show it in their examples, are
collected only where that engine is installed (``pip install
'calckit[jax]'``, ``[torch]``, ``[dask]``); their tests skip likewise."""

import importlib.util

_ENGINE_MODULES = {
    "jax": ["calckit/kernels/backends/jax.py",
            "calckit/kernels/backends/jax_export.py"],
    "torch": ["calckit/kernels/backends/torch.py",
              "calckit/kernels/backends/torch_export.py"],
    "dask": ["calckit/kernels/backends/dask.py"],
}

collect_ignore = [
    path
    for engine, paths in _ENGINE_MODULES.items()
    if importlib.util.find_spec(engine) is None
    for path in paths
]
