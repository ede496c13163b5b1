"""Scalar / array-namespace dispatch.

Every formula in lrkit is written once, as ``_eval(t, m)``, against a small
namespace ``m`` of math operations.  For Python numbers ``m`` is :data:`SCALAR`
(``math`` functions, float64).  For arrays it wraps the array's own library:
NumPy, JAX (arrays and tracers under ``jit``) or torch (tensors on any device,
no host synchronisation).  Formulas use ``+ - * / // **`` and comparisons
directly, and the namespace only for functions and ``where``.

No array library is imported here until an array of that library is evaluated.
"""

from __future__ import annotations

import bisect
import math
import numbers

TYPE_CHECKING = False  # typing is not imported at run time: `import lrkit` stays fast
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


__all__ = ["SCALAR", "ScalarOps", "namespace_for", "prepare_steps"]


class ScalarOps:
    """Math on Python floats (float64, closed form)."""

    is_scalar = True
    cos = staticmethod(math.cos)
    sin = staticmethod(math.sin)
    tanh = staticmethod(math.tanh)
    sqrt = staticmethod(math.sqrt)
    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    floor = staticmethod(math.floor)
    fmod = staticmethod(math.fmod)  # exact: the remainder of two floats is a float
    minimum = staticmethod(min)
    maximum = staticmethod(max)

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return a if cond else b

    @staticmethod
    def clip(x: Any, low: float, high: float) -> Any:
        """min(max(x, low), high)."""
        return min(max(x, low), high)

    @staticmethod
    def pow(base: float, exponent: Any) -> float:
        try:
            return math.pow(base, exponent)
        except OverflowError:
            return math.inf

    @staticmethod
    def full(t: Any, value: float) -> float:
        return value

    @staticmethod
    def lookup(t: Any, boundaries: Any, values: Any) -> float:
        """values[k], k = the number of (increasing) boundaries <= t: a piecewise constant."""
        return values[bisect.bisect_right(boundaries, t)]

    @staticmethod
    def require_finite(x: Any, what: Callable[[], str]) -> Any:
        """x, or a ValueError with the message ``what()`` when x is inf or NaN (the message
        is only built when raised)."""
        if x - x != 0.0:  # NaN for inf and NaN
            raise ValueError(what())
        return x

    @staticmethod
    def host_map(fn: Callable[[float], float], t: Any) -> Any:
        """fn(t): a function of Python numbers only, applied to the step."""
        return fn(t)

    @staticmethod
    def hash_uniform(t: Any, seed: int, stream: int) -> float:
        """A uniform number in [0, 1), a pure function of (seed, floor(t), stream)."""
        return _hash32(int(t), seed, stream) / 4294967296.0


SCALAR = ScalarOps()

_M32 = 0xFFFFFFFF


def _hash32(x: int, seed: int, stream: int) -> int:
    """lowbias32-style integer hash of (x, seed, stream) on 32-bit words."""
    h = (x & _M32) ^ ((seed * 0x9E3779B9) & _M32) ^ ((stream * 0x85EBCA6B) & _M32)
    h ^= (x >> 32) & _M32
    for _ in range(2):
        h ^= h >> 16
        h = (h * 0x7FEB352D) & _M32
        h ^= h >> 15
        h = (h * 0x846CA68B) & _M32
        h ^= h >> 16
    return h


class _ArrayOps:
    """Shared behaviour of array namespaces: a template array gives dtype and device."""

    is_scalar = False

    def __init__(self, xp: Any, template: Any) -> None:
        self.xp = xp
        self.template = template
        self.cos = xp.cos
        self.sin = xp.sin
        self.tanh = xp.tanh
        self.sqrt = xp.sqrt
        self.exp = xp.exp
        self.log = xp.log
        self.floor = xp.floor
        self.fmod = xp.fmod  # C fmod in NumPy, torch and JAX: exact

    def require_finite(self, x: Any, what: Callable[[], str]) -> Any:
        """x, checked when its values can be read without a host sync (NumPy, torch CPU tensors,
        concrete JAX arrays): a ValueError with the message ``what()`` if any is inf or NaN.  Only the
        schedules that can overflow (growth without bound) call it, so the common paths pay nothing."""
        lib = _library(x)
        if lib == "numpy":
            ok = bool(self.xp.isfinite(x).all())
        elif lib == "torch":
            if x.device.type != "cpu":
                return x
            ok = bool(self.xp.isfinite(x).all())
        elif lib in ("jax", "jaxlib"):
            import jax

            if isinstance(x, jax.core.Tracer):
                return x
            ok = bool(self.xp.isfinite(x).all())
        else:
            return x
        if not ok:
            raise ValueError(what())
        return x

    def full(self, t: Any, value: float) -> Any:
        return t * 0.0 + value

    def _arr(self, x: Any) -> Any:
        if isinstance(x, numbers.Real):
            return self.full(self.template, float(x))
        return x

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        return self.xp.where(cond, self._arr(a), self._arr(b))

    def minimum(self, a: Any, b: Any) -> Any:
        return self.xp.minimum(self._arr(a), self._arr(b))

    def maximum(self, a: Any, b: Any) -> Any:
        return self.xp.maximum(self._arr(a), self._arr(b))

    def clip(self, x: Any, low: float, high: float) -> Any:
        """min(max(x, low), high)."""
        return self.minimum(self.maximum(x, low), high)

    def pow(self, base: float, exponent: Any) -> Any:
        return base**exponent

    def lookup(self, t: Any, boundaries: Any, values: Any) -> Any:
        """values[k], k = the number of (increasing) boundaries <= t (one selection per boundary)."""
        out = self.full(t, values[0])
        for b, value in zip(boundaries, values[1:]):
            out = self.where(t >= b, value, out)
        return out

    def hash_uniform(self, t: Any, seed: int, stream: int) -> Any:
        raise NotImplementedError

    def host_map(self, fn: Callable[[float], float], t: Any) -> Any:
        """fn (a function of Python numbers) at every element of t, computed on the host: a
        NumPy array or a concrete JAX array (torch and TF below); refused (ValueError) for
        JAX tracers."""
        if _library(t) in ("jax", "jaxlib"):
            import jax

            if isinstance(t, jax.core.Tracer):
                raise ValueError(_HOST_ONLY.format("jax.jit (a traced step)"))
        return self.xp.asarray(_host_values(fn, t), dtype=t.dtype)


class _WeakScalarOps(_ArrayOps):
    """For libraries that broadcast Python numbers as weak scalars (keeping the array's dtype):
    NumPy >= 2 and JAX.  A constant branch then costs nothing instead of a full temporary."""

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
            return self.xp.where(cond, self._arr(a), b)
        return self.xp.where(cond, a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
            return min(a, b)
        return self.xp.minimum(a, b)

    def maximum(self, a: Any, b: Any) -> Any:
        if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
            return max(a, b)
        return self.xp.maximum(a, b)


class _NumpyOps(_WeakScalarOps):
    def clip(self, x: Any, low: float, high: float) -> Any:
        return self.xp.clip(x, low, high)  # one pass instead of two

    def lookup(self, t: Any, boundaries: Any, values: Any) -> Any:
        np = self.xp
        return np.asarray(values, dtype=t.dtype)[np.searchsorted(np.asarray(boundaries, dtype=t.dtype),
                                                                 t, side="right")]

    def hash_uniform(self, t: Any, seed: int, stream: int) -> Any:
        np = self.xp
        lo, hi = _split32(np.floor(t), np.floor, np.fmod)
        x = lo.astype(np.int64) | (hi.astype(np.int64) << 32)
        h = _lowbias32_array(x, seed, stream, np.int64, lambda v, k: v >> k)
        return h.astype(np.float64) / 4294967296.0


class _TorchOps(_ArrayOps):
    def minimum(self, a: Any, b: Any) -> Any:
        if isinstance(b, numbers.Real):
            return self.xp.clamp(a, max=float(b))
        if isinstance(a, numbers.Real):
            return self.xp.clamp(b, max=float(a))
        return self.xp.minimum(a, b)

    def maximum(self, a: Any, b: Any) -> Any:
        if isinstance(b, numbers.Real):
            return self.xp.clamp(a, min=float(b))
        if isinstance(a, numbers.Real):
            return self.xp.clamp(b, min=float(a))
        return self.xp.maximum(a, b)

    def pow(self, base: float, exponent: Any) -> Any:
        return self.xp.pow(base, exponent)

    def host_map(self, fn: Callable[[float], float], t: Any) -> Any:
        """As the base class's, for a tensor on any device (this waits for it)."""
        values = [fn(x) for x in t.detach().cpu().reshape(-1).tolist()]
        return self.xp.tensor(values, dtype=t.dtype, device=t.device).reshape(t.shape)

    def lookup(self, t: Any, boundaries: Any, values: Any) -> Any:
        torch = self.xp
        b = torch.tensor(boundaries, dtype=t.dtype, device=t.device)
        return torch.tensor(values, dtype=t.dtype, device=t.device)[torch.bucketize(t, b, right=True)]

    def hash_uniform(self, t: Any, seed: int, stream: int) -> Any:
        torch = self.xp
        lo, hi = _split32(torch.floor(t), torch.floor, torch.fmod)
        x = lo.to(torch.int64) | (hi.to(torch.int64) << 32)
        h = _lowbias32_array(x, seed, stream, torch.int64, lambda v, k: v >> k)
        return h.to(t.dtype) / 4294967296.0


class _JaxOps(_WeakScalarOps):
    def lookup(self, t: Any, boundaries: Any, values: Any) -> Any:
        jnp = self.xp
        idx = jnp.searchsorted(jnp.asarray(boundaries, dtype=t.dtype), t, side="right")
        return jnp.asarray(values, dtype=t.dtype)[idx]

    def hash_uniform(self, t: Any, seed: int, stream: int) -> Any:
        import jax.numpy as jnp

        lo, hi = _split32(jnp.floor(t), jnp.floor, jnp.fmod)
        h = _lowbias32_uint32(lo.astype(jnp.uint32), seed, stream, jnp, hi.astype(jnp.uint32))
        return h.astype(t.dtype) / 4294967296.0


class _TfOps(_ArrayOps):
    """TensorFlow tensors (eager, inside ``tf.function``, under XLA): graph ops only, no
    Python branching on values.  ``tf`` has no ``log``/``clip``: named here."""

    def __init__(self, tf: Any, template: Any) -> None:
        super().__init__(_TfNamespace(tf), template)
        self.tf = tf

    def host_map(self, fn: Callable[[float], float], t: Any) -> Any:
        """As the base class's, for an eager tensor; refused inside a ``tf.function`` graph."""
        if not hasattr(t, "numpy"):
            raise ValueError(_HOST_ONLY.format("a tf.function graph"))
        return self.tf.constant(_host_values(fn, t.numpy()), dtype=t.dtype)

    def hash_uniform(self, t: Any, seed: int, stream: int) -> Any:
        tf = self.tf
        lo, hi = _split32(tf.floor(t), tf.floor, tf.truncatemod)
        x = tf.bitwise.bitwise_or(tf.cast(lo, tf.int64), tf.bitwise.left_shift(tf.cast(hi, tf.int64), 32))
        h = _lowbias32_array(x, seed, stream, tf.int64, tf.bitwise.right_shift)
        return tf.cast(h, t.dtype) / 4294967296.0


class _TfNamespace:
    def __init__(self, tf: Any) -> None:
        self.cos, self.sin, self.sqrt, self.exp = tf.cos, tf.sin, tf.sqrt, tf.exp
        self.tanh = tf.tanh
        self.log, self.floor, self.where = tf.math.log, tf.floor, tf.where
        self.fmod = tf.truncatemod  # C fmod: the remainder has the dividend's sign
        self.minimum, self.maximum = tf.minimum, tf.maximum


_HOST_ONLY = ("this schedule computes a value on the host (noise with rng='torch' draws timm's "
              "torch.Generator numbers in Python) and cannot be evaluated inside {}; evaluate it on "
              "concrete steps, or use rng='hash'")


def _host_values(fn: Callable[[float], float], t: Any) -> Any:
    """fn at every element of an array-like t, as a float64 NumPy array of t's shape."""
    import numpy as np

    flat = np.asarray(t, dtype=np.float64).reshape(-1)
    return np.array([fn(float(x)) for x in flat], dtype=np.float64).reshape(np.shape(t))


def _lowbias32_array(x: Any, seed: int, stream: int, int64: Any, shift: Any) -> Any:
    """The same hash as :func:`_hash32` on int64 arrays (values kept in [0, 2**32))."""
    m = _M32
    key = ((seed * 0x9E3779B9) & m) ^ ((stream * 0x85EBCA6B) & m)
    h = (x & m) ^ key
    h = h ^ (shift(x, 32) & m)
    for _ in range(2):
        h = h ^ shift(h, 16)
        h = (h * 0x7FEB352D) & m
        h = h ^ shift(h, 15)
        h = (h * 0x846CA68B) & m
        h = h ^ shift(h, 16)
    return h


def _split32(ft: Any, floor: Any, fmod: Any) -> tuple[Any, Any]:
    """(x mod 2**32, (x >> 32) mod 2**32) of integral float steps x, exactly, in floats: the two
    32-bit words the scalar hash reads, at any step (no int64 overflow, no wrap at 2**32)."""
    hi = floor(ft / 4294967296.0)
    return ft - hi * 4294967296.0, fmod(hi, 4294967296.0)


def _lowbias32_uint32(x: Any, seed: int, stream: int, jnp: Any, high: Any) -> Any:
    u32 = jnp.uint32
    key = ((seed * 0x9E3779B9) & _M32) ^ ((stream * 0x85EBCA6B) & _M32)
    h = x ^ u32(key) ^ high
    for _ in range(2):
        h = h ^ (h >> u32(16))
        h = h * u32(0x7FEB352D)
        h = h ^ (h >> u32(15))
        h = h * u32(0x846CA68B)
        h = h ^ (h >> u32(16))
    return h


def _library(x: Any) -> str:
    module = type(x).__module__ or ""
    return module.split(".", 1)[0]


def namespace_for(t: Any) -> _ArrayOps:
    """The array namespace for a (float) step array ``t``."""
    lib = _library(t)
    if lib == "numpy":
        import numpy

        return _NumpyOps(numpy, t)
    if lib == "torch":
        import torch

        return _TorchOps(torch, t)
    if lib in ("jax", "jaxlib"):
        import jax.numpy as jnp

        return _JaxOps(jnp, t)
    if lib == "tensorflow":
        import tensorflow

        return _TfOps(tensorflow, t)
    xp = getattr(t, "__array_namespace__", None)
    if xp is not None:
        return _ArrayOps(xp(), t)
    raise TypeError(
        f"step must be an int, a float, or a NumPy/JAX/torch/TensorFlow array, not {type(t).__name__}"
    )


def prepare_steps(step: Any) -> tuple[Any, Any]:
    """Validate an array of steps and convert it to floats: returns ``(t, ops)``.

    NumPy arrays (and torch CPU tensors, concrete JAX arrays) are checked for
    negative or non-finite steps; device tensors and JAX tracers cannot be
    checked without a host sync, so their negative steps are clamped to 0.
    """
    lib = _library(step)
    if lib == "numpy":
        import numpy as np

        t: Any = np.asarray(step)  # one name for the NumPy, torch and JAX branches
        if t.dtype == np.bool_ or not (
            np.issubdtype(t.dtype, np.integer) or np.issubdtype(t.dtype, np.floating)
        ):
            raise TypeError(f"step must be an array of integers or floats, not dtype {t.dtype}")
        if np.issubdtype(t.dtype, np.integer):
            t = t.astype(np.float64)
        if t.size:
            # two reductions and no temporary: min is NaN if any step is, max is inf if any is
            lo, hi = t.min(), t.max()
            if not (lo >= 0 and hi < math.inf):
                if not (np.isfinite(lo) and np.isfinite(hi)):
                    raise ValueError("step must be finite; got NaN or inf in the step array")
                raise ValueError(f"step must be >= 0; got {lo} in the step array")
        return t, _NumpyOps(np, t)
    if lib == "torch":
        import torch

        t = step
        if t.dtype == torch.bool or t.is_complex():
            raise TypeError(f"step must be a tensor of integers or floats, not {t.dtype}")
        if not t.is_floating_point():
            dtype = torch.float32 if t.device.type == "mps" else torch.float64
            t = t.to(dtype)
        if t.device.type == "cpu" and t.numel():
            if not bool(torch.isfinite(t).all()):
                raise ValueError("step must be finite; got NaN or inf in the step tensor")
            if bool((t < 0).any()):
                raise ValueError(f"step must be >= 0; got {float(t.min())} in the step tensor")
        else:
            t = torch.clamp(t, min=0.0)
        return t, _TorchOps(torch, t)
    if lib in ("jax", "jaxlib"):
        import jax
        import jax.numpy as jnp

        t = jnp.asarray(step)
        if t.dtype == jnp.bool_:
            raise TypeError("step must be an array of integers or floats, not bool")
        if not jnp.issubdtype(t.dtype, jnp.floating):
            t = t.astype(jnp.result_type(float))
        if not isinstance(t, jax.core.Tracer) and t.size:
            import numpy as np

            host = np.asarray(t)  # checked in NumPy: XLA's CPU comparisons flush subnormals to 0
            if not bool(np.isfinite(host).all()):
                raise ValueError("step must be finite; got NaN or inf in the step array")
            if bool((host < 0).any()):
                raise ValueError(f"step must be >= 0; got {float(host.min())} in the step array")
        else:
            t = jnp.maximum(t, 0.0)
        return t, _JaxOps(jnp, t)
    if lib == "tensorflow":
        import tensorflow as tf

        t = tf.convert_to_tensor(step)  # a tf.Variable too
        if t.dtype == tf.bool or t.dtype.is_complex:
            raise TypeError(f"step must be a tensor of integers or floats, not {t.dtype.name}")
        if not t.dtype.is_floating:
            t = tf.cast(t, tf.float64)  # every integer step exact, as NumPy and torch on the CPU
        if not tf.is_symbolic_tensor(t) and "CPU" in t.device and tf.size(t) > 0:
            if not bool(tf.reduce_all(tf.math.is_finite(t))):
                raise ValueError("step must be finite; got NaN or inf in the step tensor")
            if bool(tf.reduce_any(t < 0)):
                raise ValueError(f"step must be >= 0; got {float(tf.reduce_min(t))} in the step tensor")
        else:  # inside tf.function / XLA, or on a device: no host sync, negative steps clamp to 0
            t = tf.maximum(t, tf.zeros((), t.dtype))
        return t, _TfOps(tf, t)
    ops = namespace_for(step)
    return step, ops
