import { madd } from "./madd";
import { padImage } from "./pad";

// Accumulates a 4 (input channels) x 8 (output channels) block of dW for one tap over a chunk of positions.
@inline function tile(dw: usize, xp: usize, dy: usize, imgs: i32, rows: i32, wo: i32, imgStrideX: usize, rowStrideX: usize, colStrideX: usize, imgStrideD: usize, coBytes: usize): void {
  let a00 = v128.load(dw), a01 = v128.load(dw, 16);
  let a10 = v128.load(dw + coBytes), a11 = v128.load(dw + coBytes, 16);
  let a20 = v128.load(dw + 2 * coBytes), a21 = v128.load(dw + 2 * coBytes, 16);
  let a30 = v128.load(dw + 3 * coBytes), a31 = v128.load(dw + 3 * coBytes, 16);
  for (let g = 0; g < imgs; g++) {
    let pd = dy + <usize>g * imgStrideD;
    for (let r = 0; r < rows; r++) {
      let px = xp + <usize>g * imgStrideX + <usize>r * rowStrideX;
      for (let c = 0; c < wo; c++) {
        const d0 = v128.load(pd), d1 = v128.load(pd, 16);
        let s = v128.load32_splat(px);
        a00 = madd(s, d0, a00); a01 = madd(s, d1, a01);
        s = v128.load32_splat(px, 4);
        a10 = madd(s, d0, a10); a11 = madd(s, d1, a11);
        s = v128.load32_splat(px, 8);
        a20 = madd(s, d0, a20); a21 = madd(s, d1, a21);
        s = v128.load32_splat(px, 12);
        a30 = madd(s, d0, a30); a31 = madd(s, d1, a31);
        px += colStrideX;
        pd += coBytes;
      }
    }
  }
  v128.store(dw, a00); v128.store(dw, a01, 16);
  v128.store(dw + coBytes, a10); v128.store(dw + coBytes, a11, 16);
  v128.store(dw + 2 * coBytes, a20); v128.store(dw + 2 * coBytes, a21, 16);
  v128.store(dw + 3 * coBytes, a30); v128.store(dw + 3 * coBytes, a31, 16);
}

/**
 * dW[kh, kw, cip, cop] += sum over positions of xp[y*sh + dh, x*sw + dw, :] (outer) dy[y, x, :]
 * x: [n, h, w, ci]; dy: [n, ho, wo, co]; scratch: group * (hp*wp*cip + ho*wo*cop) floats.
 * `group` images are processed together (small feature maps), else `rows` output rows at a time.
 */
export function conv2dFilterGrad(dW: usize, x: usize, dy: usize, scratch: usize, n: i32, h: i32, w: i32, ci: i32, ho: i32, wo: i32, co: i32,
                                 kh: i32, kw: i32, sh: i32, sw: i32, top: i32, left: i32, group: i32, rows: i32, gather: i32): void {
  const cip = (ci + 3) & ~3, cop = (co + 7) & ~7;
  const hp = (ho - 1) * sh + kh, wp = (wo - 1) * sw + kw;
  const imgX = <usize>(hp * wp * cip) << 2;
  const imgD = <usize>(ho * wo * cop) << 2;
  const xp = scratch, dyp = scratch + <usize>group * imgX;
  // gather: each tap's x positions are first copied into one contiguous [positions, cip] block, so the tile
  // runs one long loop instead of short row loops (small feature maps, where rows are a few positions long).
  const xs = dyp + <usize>group * imgD;
  const ciBytes = <usize>cip << 2;
  const coBytes = <usize>cop << 2;
  memory.fill(dW, 0, <usize>(kh * kw * cip * cop) << 2);
  for (let b0 = 0; b0 < n; b0 += group) {
    const imgs = min(group, n - b0);
    for (let g = 0; g < imgs; g++) {
      padImage(xp + <usize>g * imgX, x + (<usize>((b0 + g) * h * w * ci) << 2), h, w, ci, hp, wp, cip, top, left);
    }
    let d = dy + (<usize>(b0 * ho * wo * co) << 2);
    if (cop != co) {
      memory.fill(dyp, 0, <usize>imgs * imgD);
      for (let p = 0; p < imgs * ho * wo; p++) memory.copy(dyp + (<usize>(p * cop) << 2), d + (<usize>(p * co) << 2), <usize>co << 2);
      d = dyp;
    }
    for (let r0 = 0; r0 < ho; r0 += rows) {
      const nr = min(rows, ho - r0);
      const dChunk = d + (<usize>(r0 * wo * cop) << 2);
      const xChunk = xp + (<usize>(r0 * sh * wp * cip) << 2);
      for (let dh = 0; dh < kh; dh++) {
        for (let dw_ = 0; dw_ < kw; dw_++) {
          const tapW = dW + (<usize>((dh * kw + dw_) * cip * cop) << 2);
          const tapX = xChunk + (<usize>((dh * wp + dw_) * cip) << 2);
          if (gather) {
            let q = xs;
            for (let g = 0; g < imgs; g++) {
              for (let r = 0; r < nr; r++) {
                let px = tapX + <usize>g * imgX + ((<usize>(r * sh * wp * cip)) << 2);
                for (let c = 0; c < wo; c++) {
                  for (let k: usize = 0; k < ciBytes; k += 16) v128.store(q + k, v128.load(px + k));
                  q += ciBytes;
                  px += <usize>(sw * cip) << 2;
                }
              }
            }
            const positions = imgs * nr * wo;
            for (let i = 0; i < cip; i += 4) {
              for (let o = 0; o < cop; o += 8) {
                tile(tapW + (<usize>(i * cop + o) << 2), xs + (<usize>i << 2), dChunk + (<usize>o << 2), 1, 1, positions, 0, 0, ciBytes, 0, coBytes);
              }
            }
            continue;
          }
          for (let i = 0; i < cip; i += 4) {
            for (let o = 0; o < cop; o += 8) {
              tile(tapW + (<usize>(i * cop + o) << 2), tapX + (<usize>i << 2), dChunk + (<usize>o << 2), imgs, nr, wo,
                   imgX, <usize>(sh * wp * cip) << 2, <usize>(sw * cip) << 2, imgD, coBytes);
            }
          }
        }
      }
    }
  }
}
