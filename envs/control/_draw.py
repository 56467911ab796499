"""Tiny NumPy rasteriser for the ``rgb_array`` frames of the control tasks (no
pygame needed): thick line segments and filled discs on a white canvas."""

from __future__ import annotations

import numpy as np

Color = tuple[int, int, int]

BLACK: Color = (0, 0, 0)
POLE: Color = (202, 152, 101)
LINK: Color = (0, 204, 204)
AXLE: Color = (129, 132, 203)
GOAL: Color = (204, 204, 0)


class Canvas:
    """An (height, width, 3) uint8 image with y pointing up, in world units mapped by
    ``scale`` (pixels per unit) around ``origin`` (pixel coordinates of world 0, 0)."""

    def __init__(self, width: int, height: int, scale: float, origin: tuple[float, float]):
        self.img = np.full((height, width, 3), 255, dtype=np.uint8)
        self.scale = scale
        self.ox, self.oy = origin
        self._yy, self._xx = np.mgrid[0:height, 0:width]

    def _px(self, x: float, y: float) -> tuple[float, float]:
        return self.ox + x * self.scale, self.img.shape[0] - 1 - (self.oy + y * self.scale)

    def _window(
        self, x0: float, x1: float, y0: float, y1: float, pad: float
    ) -> tuple[slice, slice]:
        h, w = self.img.shape[:2]
        r0 = max(int(min(y0, y1) - pad) - 1, 0)
        r1 = min(int(max(y0, y1) + pad) + 2, h)
        c0 = max(int(min(x0, x1) - pad) - 1, 0)
        c1 = min(int(max(x0, x1) + pad) + 2, w)
        return slice(r0, max(r0, r1)), slice(c0, max(c0, c1))

    def disc(self, x: float, y: float, radius_px: float, color: Color) -> None:
        cx, cy = self._px(x, y)
        rows, cols = self._window(cx, cx, cy, cy, radius_px)
        xx, yy = self._xx[rows, cols], self._yy[rows, cols]
        mask = (xx - cx) ** 2 + (yy - cy) ** 2 <= radius_px**2
        self.img[rows, cols][mask] = color

    def line(
        self, x0: float, y0: float, x1: float, y1: float, width_px: float, color: Color
    ) -> None:
        ax, ay = self._px(x0, y0)
        bx, by = self._px(x1, y1)
        rows, cols = self._window(ax, bx, ay, by, width_px / 2)
        xx, yy = self._xx[rows, cols], self._yy[rows, cols]
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        if length2 == 0:
            t = np.zeros(xx.shape, dtype=np.float64)
        else:
            t = np.clip(((xx - ax) * dx + (yy - ay) * dy) / length2, 0.0, 1.0)
        dist2 = (xx - (ax + t * dx)) ** 2 + (yy - (ay + t * dy)) ** 2
        self.img[rows, cols][dist2 <= (width_px / 2) ** 2] = color

    def polyline(self, xs: np.ndarray, ys: np.ndarray, width_px: float, color: Color) -> None:
        for i in range(len(xs) - 1):
            self.line(xs[i], ys[i], xs[i + 1], ys[i + 1], width_px, color)
