// NHWC convolution (any stride, dilation 1): the forward pass and (with the filter rearranged by the caller,
// as stride-1 convolutions) the input gradient. Each image is first copied with its zero padding into scratch, so the inner loops have no bounds
// checks; the register tile is 4 output positions of one row x 8 output channels, reduced over every tap
// and input channel before it is stored once.
import { madd } from "./madd";
import { padImage } from "./pad";

/**
 * out [n, ho, wo, co] = conv(x [n, h, w, ci], w [kh, kw, cip, co]) with strides sh, sw and `top`/`left`
 * rows/columns of zero padding (negative: cropped). cip = ci rounded up to 4 (the filter's extra input channels
 * are zero); co a multiple of 8. scratch: hp * wp * cip floats, hp = (ho - 1) * sh + kh, wp = (wo - 1) * sw + kw.
 */
export function conv2d(out: usize, x: usize, w: usize, scratch: usize, n: i32, h: i32, wi: i32, ci: i32,
                       ho: i32, wo: i32, co: i32, kh: i32, kw: i32, sh: i32, sw: i32, top: i32, left: i32): void {
  const cip = (ci + 3) & ~3;
  const hp = (ho - 1) * sh + kh, wp = (wo - 1) * sw + kw;
  const ciBytes = <usize>cip << 2, coBytes = <usize>co << 2;
  const rowX = <usize>wp * ciBytes;
  const colX = <usize>sw * ciBytes; // between neighbouring output positions
  const wo4 = wo & ~3;
  for (let b = 0; b < n; b++) {
    padImage(scratch, x + (<usize>(b * h * wi * ci) << 2), h, wi, ci, hp, wp, cip, top, left);
    const outImg = out + <usize>b * <usize>(ho * wo) * coBytes;
    for (let y = 0; y < ho; y++) {
      for (let o = 0; o < co; o += 8) {
        const wBase = w + (<usize>o << 2);
        let xo = 0;
        for (; xo < wo4; xo += 4) {
          let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
          let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
          for (let dh = 0; dh < kh; dh++) {
            for (let dw = 0; dw < kw; dw++) {
              let px = scratch + <usize>(y * sh + dh) * rowX + <usize>(xo * sw + dw) * ciBytes;
              let pw = wBase + <usize>((dh * kw + dw) * cip) * coBytes;
              const end = px + ciBytes;
              for (; px < end; px += 4, pw += coBytes) {
                const w0 = v128.load(pw), w1 = v128.load(pw, 16);
                let s = v128.load32_splat(px);
                a00 = madd(s, w0, a00); a01 = madd(s, w1, a01);
                s = v128.load32_splat(px + colX);
                a10 = madd(s, w0, a10); a11 = madd(s, w1, a11);
                s = v128.load32_splat(px + 2 * colX);
                a20 = madd(s, w0, a20); a21 = madd(s, w1, a21);
                s = v128.load32_splat(px + 3 * colX);
                a30 = madd(s, w0, a30); a31 = madd(s, w1, a31);
              }
            }
          }
          const po = outImg + <usize>(y * wo + xo) * coBytes + (<usize>o << 2);
          v128.store(po, a00); v128.store(po, a01, 16);
          v128.store(po + coBytes, a10); v128.store(po + coBytes, a11, 16);
          v128.store(po + 2 * coBytes, a20); v128.store(po + 2 * coBytes, a21, 16);
          v128.store(po + 3 * coBytes, a30); v128.store(po + 3 * coBytes, a31, 16);
        }
        for (; xo < wo; xo++) {
          // Row remainder (wo not a multiple of 4): one position at a time.
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
          for (let dh = 0; dh < kh; dh++) {
            for (let dw = 0; dw < kw; dw++) {
              let px = scratch + <usize>(y * sh + dh) * rowX + <usize>(xo * sw + dw) * ciBytes;
              let pw = wBase + <usize>((dh * kw + dw) * cip) * coBytes;
              const end = px + ciBytes;
              for (; px < end; px += 4, pw += coBytes) {
                const s = v128.load32_splat(px);
                a0 = madd(s, v128.load(pw), a0); a1 = madd(s, v128.load(pw, 16), a1);
              }
            }
          }
          const po = outImg + <usize>(y * wo + xo) * coBytes + (<usize>o << 2);
          v128.store(po, a0); v128.store(po, a1, 16);
        }
      }
    }
  }
}
