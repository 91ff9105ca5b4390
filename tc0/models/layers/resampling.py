"""Resampling of h x w x c images: bicubic up-sampling by a factor or to a
size (FlowAR Def. B.1, VAR Def. 3.2; PyTorch's ``interpolate(mode="bicubic",
align_corners=False)``) and area down-sampling (Def. B.2)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from tc0.models.backend import Backend, scoped

KEYS_A = -0.75  # the bicubic (Keys) kernel parameter, as PyTorch


def keys_kernel(x: float, a: float = KEYS_A) -> float:
    """The cubic convolution kernel W(x) of Keys (1981), a = -0.75."""
    x = abs(x)
    if x <= 1:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    if x < 2:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return 0.0


def bicubic_taps(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """Per output coordinate of a ``size`` -> ``out`` resize: the 4 clamped
    source indices and their weights, as PyTorch's bicubic with
    align_corners=False (half-pixel centres): output i reads
    src = (i + 0.5) size / out - 0.5, computed exactly."""
    idx = np.empty((out, 4), dtype=np.int64)
    wts = np.empty((out, 4))
    for i in range(out):
        src = Fraction(2 * i + 1, 2) * Fraction(size, out) - Fraction(1, 2)
        base = math.floor(src)
        frac = float(src - base)
        for s in range(4):
            idx[i, s] = min(max(base - 1 + s, 0), size - 1)
            wts[i, s] = keys_kernel(s - 1 - frac)
    return idx, wts


def upsample(B: Backend, image, factor: int):
    """phi_up(X, r) (Def. B.1): ``upsample_to`` side h * r."""
    return upsample_to(B, image, B.shape(image)[0] * factor)


@scoped("upsample")
def upsample_to(B: Backend, image, size: int):
    """Bicubic up-interpolation of an h x h image to size x size (FlowAR
    Def. B.1; VAR Def. 3.2 as DESIGN section 8 resolves it): output pixel
    (i, j) is the sum of 16 products of a constant weight W(s - f) W(t - g)
    (rounded once to p bits) with the clamped source pixel."""
    h, w, c = B.shape(image)
    rows, row_w = bicubic_taps(h, size)
    cols, col_w = bicubic_taps(w, size)
    taps = B.gather(image, (rows[:, None, :, None], cols[None, :, None, :]))  # (S, S, 4, 4, c) scalars
    weights = B.lazy_constant((size, size, 4, 4, 1),  # (S, S, 4, 4, 1)
                              lambda: (row_w[:, None, :, None] * col_w[None, :, None, :])[..., None])
    products = B.mul(taps, weights)
    flat = B.reshape(products, (size, size, 16, c))
    return B.sum(flat, axis=-2)


def area_matrix(size: int, factor: int) -> np.ndarray:
    """Phi_down: the (size/r)^2 x size^2 matrix of r x r area averages (row-major pixels)."""
    small = size // factor
    phi = np.zeros((small * small, size * size))
    for i in range(size):
        for j in range(size):
            phi[(i // factor) * small + j // factor, i * size + j] = 1.0 / (factor * factor)
    return phi


@scoped("downsample")
def downsample(B: Backend, image, factor: int, matrix=None):
    """phi_down(X, r) = Phi_down X (Def. B.2): a matrix product with the area
    matrix (or ``matrix``) over the flattened pixels."""
    h, w, c = B.shape(image)
    if matrix is None:
        phi = B.lazy_constant(((h // factor) * (w // factor), h * w), lambda: area_matrix(h, factor))
    else:
        phi = B.constant(np.asarray(matrix, dtype=np.float64))
    out = B.matmul(phi, B.reshape(image, (h * w, c)))
    return B.reshape(out, (h // factor, w // factor, c))
