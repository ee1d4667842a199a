/** Copies image x [h, w, ci] into xp [hp, wp, cip] at (top, left), zeros elsewhere. */
export function padImage(xp: usize, x: usize, h: i32, w: i32, ci: i32, hp: i32, wp: i32, cip: i32, top: i32, left: i32): void {
  memory.fill(xp, 0, <usize>(hp * wp * cip) << 2);
  const y0 = max(0, -top), y1 = min(h, hp - top), c0 = max(0, -left), c1 = min(w, wp - left);
  if (ci == cip && c1 > c0) {
    for (let y = y0; y < y1; y++) {
      memory.copy(xp + (<usize>(((y + top) * wp + c0 + left) * cip) << 2), x + (<usize>((y * w + c0) * ci) << 2), <usize>((c1 - c0) * ci) << 2);
    }
    return;
  }
  for (let y = y0; y < y1; y++) {
    for (let c = c0; c < c1; c++) {
      memory.copy(xp + (<usize>(((y + top) * wp + c + left) * cip) << 2), x + (<usize>((y * w + c) * ci) << 2), <usize>ci << 2);
    }
  }
}

/** dst[p, 0..c) = src[p, 0..c) for `positions` rows of `srcStride` and `dstStride` floats (drops padded channels). */
export function copyChannels(dst: usize, src: usize, positions: i32, c: i32, dstStride: i32, srcStride: i32): void {
  const bytes = <usize>c << 2, ds = <usize>dstStride << 2, ss = <usize>srcStride << 2;
  for (let p = 0; p < positions; p++) {
    memory.copy(dst, src, bytes);
    dst += ds;
    src += ss;
  }
}
