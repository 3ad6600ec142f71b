"""PyTorch ops of :func:`calckit.to_torch` (private; imported only when
asked for): one ``torch.autograd.Function`` per level of a
:class:`~calckit.kernels.export.Tower`, whose backward applies the next
level's op, so double backward is calckit's exact Hessian."""

from __future__ import annotations

import torch

from calckit.errors import CalckitTypeError

__all__ = ["CalckitOp", "function", "module"]


def _sum_to(grad, shape, dtype):
    """``grad`` summed over the axes its argument was broadcast along."""
    if tuple(grad.shape) != tuple(shape):
        grad = grad.sum_to_size(shape) if len(shape) else grad.sum()
    return grad if grad.dtype == dtype else grad.to(dtype)


def _op(tower):
    """The ``autograd.Function`` of ``tower`` (made once per tower)."""
    op = tower.ops.get("torch")
    if op is not None:
        return op
    kernel, scalar, m = tower.kernel, tower.scalar, len(tower.entries)

    class CalckitFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *args):
            ctx.save_for_backward(*args)
            return kernel(*args)

        @staticmethod
        def backward(ctx, grad):
            args = ctx.saved_tensors
            if not any(ctx.needs_input_grad):
                return (None,) * len(args)
            n = len(args)
            jac = _op(tower.jacobian()).apply(*args)  # (..., m*n)
            if scalar:
                full = grad[..., None] * jac
            else:
                jac = jac.reshape(*jac.shape[:-1], m, n)
                full = (grad[..., :, None] * jac).sum(-2)
            return tuple(
                _sum_to(full[..., j], a.shape, a.dtype) if need else None
                for j, (a, need) in enumerate(zip(args, ctx.needs_input_grad,
                                                  strict=True))
            )

    tower.ops["torch"] = CalckitFunction
    return CalckitFunction


def _tensors(args, names):
    ref = next((a for a in args if isinstance(a, torch.Tensor)), None)
    if len(args) != len(names):
        raise CalckitTypeError(
            f"op({', '.join(names)}) takes {len(names)} argument"
            f"{'' if len(names) == 1 else 's'}, got {len(args)}"
        )
    out = []
    for a, n in zip(args, names, strict=True):
        if isinstance(a, torch.Tensor):
            out.append(a)
        elif isinstance(a, (int, float)) and not isinstance(a, bool):
            dtype = ref.dtype if ref is not None and ref.is_floating_point() \
                else torch.get_default_dtype()
            out.append(torch.tensor(float(a), dtype=dtype,
                                    device=None if ref is None else ref.device))
        else:
            raise CalckitTypeError(
                f"argument {n} of an exported op must be a torch tensor or a "
                f"number, got {type(a).__name__}"
            )
    return out


def function(tower):
    """A plain function applying the op of ``tower``; the gradient's op is
    made now (so ``torch.compile`` tracing the backward finds it ready and
    never traces SymPy), higher orders on first use."""
    fn = _op(tower)
    _op(tower.jacobian())
    names = tuple(s.name for s in tower.wrt)

    def op(*args):
        return fn.apply(*_tensors(args, names))

    op.__name__ = "calckit_op"
    op.__doc__ = f"{tower.entries[0]} with calckit's exact derivatives."
    return op


class CalckitOp(torch.nn.Module):
    """A ``torch.nn.Module`` applying an exported calckit expression (no
    parameters); see :func:`calckit.to_torch`."""

    def __init__(self, tower):
        super().__init__()
        self.expr = tower.entries[0]
        self._op = function(tower)

    def forward(self, *args):
        return self._op(*args)

    def extra_repr(self) -> str:
        return str(self.expr)

    def __repr__(self) -> str:
        return f"CalckitOp({self.expr})"


def module(tower) -> CalckitOp:
    """The :class:`CalckitOp` module of ``tower``."""
    return CalckitOp(tower)
