"""Convolution (VAR Def. 3.6; DESIGN section 8): 3 x 3 kernel, zero padding
1, stride 1, a bias per output channel, as PyTorch's ``Conv2d(padding=1)``."""

from __future__ import annotations

import numpy as np

from tc0.models.backend import Backend, scoped


def window_index(h: int, w: int) -> np.ndarray:
    """(h, w, 3, 3) row-major pixel index of each output pixel's 3 x 3
    neighbours; ``h * w`` (one row past the image) where the neighbour is
    padding."""
    i = np.arange(h)[:, None, None, None] + np.arange(-1, 2)[None, None, :, None]
    j = np.arange(w)[None, :, None, None] + np.arange(-1, 2)[None, None, None, :]
    inside = (i >= 0) & (i < h) & (j >= 0) & (j < w)
    return np.where(inside, i * w + j, h * w)


@scoped("conv")
def conv3x3(B: Backend, image, kernel, bias):
    """phi_conv(X): image (h, w, c_in), kernel (3, 3, c_in, c_out), bias
    (c_out,). Per output entry the 9 c_in products each rounded, one sum of
    9 c_in terms (the padding's products are zeros), then one rounded add of
    the bias."""
    h, w, c_in = B.shape(image)
    c_out = B.shape(kernel)[-1]
    pixels = B.concat([B.reshape(image, (h * w, c_in)), B.constant(np.zeros((1, c_in)))], axis=0)
    windows = B.gather(pixels, (window_index(h, w),))  # (h, w, 3, 3, c_in)
    products = B.matmul(B.reshape(windows, (h * w, 9 * c_in)), B.reshape(kernel, (9 * c_in, c_out)))
    return B.reshape(B.add(products, bias), (h, w, c_out))
