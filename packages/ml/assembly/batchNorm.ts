// Per-channel passes of training-mode batch normalisation over an [M, C] (NHWC flattened) tensor, C a multiple
// of 4. Channels are taken 16 at a time (one 64-byte cache line per row) with the running sums in registers.

// Rows summed in f32 registers before being added into the f64 totals: keeps the error of E[x^2] - E[x]^2
// small on millions of rows.
const ROWS_PER_FLUSH = 256;

@inline function flush(out: usize, acc: v128): void {
  // acc's 4 lanes into out[0..3] (f64).
  v128.store(out, f64x2.add(v128.load(out), f64x2.promote_low_f32x4(acc)));
  v128.store(out, f64x2.add(v128.load(out, 16), f64x2.promote_low_f32x4(i32x4.shuffle(acc, acc, 2, 3, 0, 1))), 16);
}

/**
 * sumA[c] = sum over rows of (a[., c] - shiftA[c]);  sumAB[c] = sum of (a[., c] - shiftA[c]) * (b[., c] - shiftB[c])
 * (shifts f32, sums f64, C each). The shifts keep the sums free of cancellation: with a = b = x and both
 * shifts near the mean, sumAB / m - (sumA / m)^2 is the variance; with a = dy (shift 0), b = x (shift mean),
 * sumAB is sum(dy * (x - mean)).
 */
export function channelMoments(a: usize, b: usize, m: i32, c: i32, shiftA: usize, shiftB: usize, sumA: usize, sumAB: usize): void {
  memory.fill(sumA, 0, <usize>c << 3);
  memory.fill(sumAB, 0, <usize>c << 3);
  const stride = <usize>c << 2;
  let c0 = 0;
  for (; c0 + 16 <= c; c0 += 16) {
    const off = <usize>c0 << 2;
    for (let r0 = 0; r0 < m; r0 += ROWS_PER_FLUSH) {
      const r1 = min(m, r0 + ROWS_PER_FLUSH);
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let q0 = f32x4.splat(0), q1 = f32x4.splat(0), q2 = f32x4.splat(0), q3 = f32x4.splat(0);
      const ka0 = v128.load(shiftA + off), ka1 = v128.load(shiftA + off, 16), ka2 = v128.load(shiftA + off, 32), ka3 = v128.load(shiftA + off, 48);
      const kb0 = v128.load(shiftB + off), kb1 = v128.load(shiftB + off, 16), kb2 = v128.load(shiftB + off, 32), kb3 = v128.load(shiftB + off, 48);
      let pa = a + <usize>r0 * stride + off, pb = b + <usize>r0 * stride + off;
      for (let r = r0; r < r1; r++) {
        const a0 = f32x4.sub(v128.load(pa), ka0), a1 = f32x4.sub(v128.load(pa, 16), ka1);
        const a2 = f32x4.sub(v128.load(pa, 32), ka2), a3 = f32x4.sub(v128.load(pa, 48), ka3);
        s0 = f32x4.add(s0, a0); s1 = f32x4.add(s1, a1); s2 = f32x4.add(s2, a2); s3 = f32x4.add(s3, a3);
        q0 = f32x4.add(q0, f32x4.mul(a0, f32x4.sub(v128.load(pb), kb0))); q1 = f32x4.add(q1, f32x4.mul(a1, f32x4.sub(v128.load(pb, 16), kb1)));
        q2 = f32x4.add(q2, f32x4.mul(a2, f32x4.sub(v128.load(pb, 32), kb2))); q3 = f32x4.add(q3, f32x4.mul(a3, f32x4.sub(v128.load(pb, 48), kb3)));
        pa += stride;
        pb += stride;
      }
      const sa = sumA + (<usize>c0 << 3), sb = sumAB + (<usize>c0 << 3);
      flush(sa, s0); flush(sa + 32, s1); flush(sa + 64, s2); flush(sa + 96, s3);
      flush(sb, q0); flush(sb + 32, q1); flush(sb + 64, q2); flush(sb + 96, q3);
    }
  }
  for (; c0 < c; c0 += 4) {
    const off = <usize>c0 << 2;
    for (let r0 = 0; r0 < m; r0 += ROWS_PER_FLUSH) {
      const r1 = min(m, r0 + ROWS_PER_FLUSH);
      let s0 = f32x4.splat(0), q0 = f32x4.splat(0);
      const ka0 = v128.load(shiftA + off), kb0 = v128.load(shiftB + off);
      let pa = a + <usize>r0 * stride + off, pb = b + <usize>r0 * stride + off;
      for (let r = r0; r < r1; r++) {
        const a0 = f32x4.sub(v128.load(pa), ka0);
        s0 = f32x4.add(s0, a0);
        q0 = f32x4.add(q0, f32x4.mul(a0, f32x4.sub(v128.load(pb), kb0)));
        pa += stride;
        pb += stride;
      }
      flush(sumA + (<usize>c0 << 3), s0);
      flush(sumAB + (<usize>c0 << 3), q0);
    }
  }
}

/**
 * out[., c] = a[., c] * k1[c] + b[., c] * k2[c] + k3[c]  (k1, k2, k3: f32, C each; b = 0: no b term).
 * Forward: y = x * (gamma * rstd) + (beta - mean * gamma * rstd). Backward: dx = dy * k1 + x * k2 + k3.
 */
export function channelAffine(out: usize, a: usize, b: usize, m: i32, c: i32, k1: usize, k2: usize, k3: usize): void {
  // Row by row, the coefficients re-read from L1: one pass over memory whatever C is.
  const end = out + ((<usize>m * <usize>c) << 2);
  const cBytes = <usize>c << 2;
  let po = out, pa = a, pb = b;
  if (b == 0) {
    for (; po < end; po += cBytes, pa += cBytes) {
      for (let o: usize = 0; o < cBytes; o += 16) {
        v128.store(po + o, f32x4.add(f32x4.mul(v128.load(pa + o), v128.load(k1 + o)), v128.load(k3 + o)));
      }
    }
  } else {
    for (; po < end; po += cBytes, pa += cBytes, pb += cBytes) {
      for (let o: usize = 0; o < cBytes; o += 16) {
        const t = f32x4.add(f32x4.mul(v128.load(pa + o), v128.load(k1 + o)), f32x4.mul(v128.load(pb + o), v128.load(k2 + o)));
        v128.store(po + o, f32x4.add(t, v128.load(k3 + o)));
      }
    }
  }
}
