"""The subcommands of ``calckit``, one module each.

Every module has ``HELP`` (one line for ``calckit --help``), ``DESCRIPTION``
(for ``calckit CMD --help``), ``add_arguments(p)`` declaring its options and
their defaults, and ``run(args) -> int`` printing the result and returning
the exit status. A new command is a new module listed in :data:`COMMANDS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType, ModuleType

from calckit.cli.commands import (
    diff,
    fit,
    grad,
    gradcheck,
    hessian,
    optimize,
    plot,
    table,
    taylor,
    tour,
)

__all__ = ["COMMANDS"]

#: Command name -> its module, in the order ``calckit --help`` lists them.
COMMANDS: Mapping[str, ModuleType] = MappingProxyType({
    "diff": diff, "grad": grad, "hessian": hessian, "taylor": taylor,
    "table": table, "gradcheck": gradcheck, "optimize": optimize, "fit": fit,
    "plot": plot,
    "tour": tour,
})
