"""The INT8 arithmetic of kernels/cpu/ref/requantize.h, reimplemented with Python ints.

Each function mirrors its C++ namesake bit for bit (gemmlowp / TFLite definitions):
quantize_multiplier decomposes a double into a Q31 multiplier and a shift;
multiply_by_quantized_multiplier is SaturatingRoundingDoublingHighMul followed by a
round-half-away-from-zero right shift; quantize_value rounds half to even in float32.
"""

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def quantize_multiplier(real):
    """real (a Python float = C double) -> (multiplier, shift), real = m * 2^(shift - 31)."""
    if real <= 0.0:
        return 0, 0
    fraction, exponent = math.frexp(real)  # real = fraction * 2^exponent, fraction in [0.5, 1)
    v = fraction * (1 << 31)  # exact: scaling by a power of two
    m = int(math.floor(v + 0.5))  # llround, v > 0: half away from zero
    if m == (1 << 31):
        m //= 2
        exponent += 1
    if exponent < -31:
        return 0, 0
    if exponent > 30:
        exponent = 30
    return m, exponent


def _trunc_div(a, b):
    """C integer division (truncates toward zero), b > 0."""
    q = abs(a) // b
    return q if a >= 0 else -q


def saturating_rounding_doubling_high_mul(a, b):
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else (1 - (1 << 30))
    return _trunc_div(ab + nudge, 1 << 31)


def rounding_divide_by_pot(x, exponent):
    if exponent <= 0:
        return x
    mask = (1 << exponent) - 1
    remainder = x & mask  # Python ints are two's complement for &: same as int32 here
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def multiply_by_quantized_multiplier(x, qm):
    m, shift = qm
    left = shift if shift > 0 else 0
    right = 0 if shift > 0 else -shift
    shifted = x * (1 << left)
    shifted = max(INT32_MIN, min(INT32_MAX, shifted))
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, m), right)


def requantize(acc, qm, zero_point, qmin, qmax):
    y = multiply_by_quantized_multiplier(int(acc), qm) + zero_point
    return qmin if y < qmin else (qmax if y > qmax else y)


def quantize_value(real, scale, zero_point, qmin, qmax):
    """float32 arithmetic as in C++: nearbyint(real / scale) + zero_point, clamped."""
    q = np.float32(np.rint(np.float32(real) / np.float32(scale))) + np.float32(zero_point)
    if not (q >= qmin):
        return qmin
    if q > qmax:
        return qmax
    return int(q)


def requantize_array(acc, multipliers, zero_point, qmin, qmax, channel_axis=None):
    """Applies requantize to every element of an integer array. `multipliers` is one
    (m, shift) pair or a list indexed along `channel_axis`."""
    acc = np.asarray(acc, dtype=np.int64)
    out = np.empty(acc.shape, dtype=np.int64)
    for idx in np.ndindex(acc.shape):
        qm = multipliers if channel_axis is None else multipliers[idx[channel_axis]]
        out[idx] = requantize(int(acc[idx]), qm, zero_point, qmin, qmax)
    return out.astype(np.int8)


def activation_range(kind, alpha, beta, y_scale, y_zp):
    """[qmin, qmax] of an int8 output with a fused None / Relu / Clip."""
    if kind in (None, "None"):
        return -128, 127
    if kind == "Relu":
        return quantize_value(0.0, y_scale, y_zp, -128, 127), 127
    if kind == "Clip":
        return (quantize_value(alpha, y_scale, y_zp, -128, 127),
                quantize_value(beta, y_scale, y_zp, -128, 127))
    raise ValueError(f"int8 fused activation {kind} is not supported")


def self_test():
    """Known values of the gemmlowp arithmetic (cheap; run by the generator)."""
    assert quantize_multiplier(0.5) == (1 << 30, 0)
    assert quantize_multiplier(1.0) == (1 << 30, 1)
    assert quantize_multiplier(0.75) == (3 << 29, 0)
    assert quantize_multiplier(0.0) == (0, 0)
    assert rounding_divide_by_pot(5, 1) == 3 and rounding_divide_by_pot(-5, 1) == -3
    assert rounding_divide_by_pot(4, 1) == 2 and rounding_divide_by_pot(-7, 2) == -2
    assert rounding_divide_by_pot(-6, 2) == -2 and rounding_divide_by_pot(6, 2) == 2
    assert saturating_rounding_doubling_high_mul(INT32_MIN, INT32_MIN) == INT32_MAX
    # 100 * 0.5 = 50; SRDHM rounds a negative tie toward zero: -3 * 0.5 -> -1.
    assert multiply_by_quantized_multiplier(100, quantize_multiplier(0.5)) == 50
    assert multiply_by_quantized_multiplier(-3, quantize_multiplier(0.5)) == -1  # SRDHM tie
    assert multiply_by_quantized_multiplier(3, quantize_multiplier(0.5)) == 2
    assert multiply_by_quantized_multiplier(1000, quantize_multiplier(3.0)) == 3000
    assert quantize_value(1.25, 0.5, 0, -128, 127) == 2  # 2.5 rounds to even
    assert quantize_value(1.75, 0.5, 0, -128, 127) == 4  # 3.5 rounds to even
    assert quantize_value(1e9, 0.5, 0, -128, 127) == 127
