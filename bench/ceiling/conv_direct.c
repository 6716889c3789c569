/*
 * A forward convolution and its input gradient of the project's own, written for 128-bit wasm
 * SIMD, measured by `npm run bench -- --ceiling` against the XNNPACK kernels training uses today.
 * Stride 1, square k×k filters, zero padding `pad` on each side, channels last.
 *
 * Forward, for x [N,H,W,C] and w [k,k,C,O] (Ho = H + 2·pad − k + 1, the same for Wo):
 *
 *   y[n,p,q,o] = Σ_{i,j,c} xp[n, p+i, q+j, c] · w[i,j,c,o]
 *
 * where xp is x with the padding written out as zeros (copied into `scratch` first, so the inner
 * loop has no bounds to test). A 4×8 block of y (4 neighbouring output columns q..q+3, 8 output
 * channels) lives in 8 registers while the k²·C terms of the sum pass: per term, two vector loads
 * of w's row (i,j,c) and four scalar loads of xp splatted to vectors, 32 multiply-adds (an
 * f32x4.mul and an f32x4.add each: wasm SIMD has no fused multiply-add). The 8 output channels are
 * the outer loop, so their k²·C×8 slice of w stays in the L1 cache while every position passes;
 * when that slice exceeds 16 KiB (k²·C > 512, deep layers), the sum is split into blocks of at
 * most 256 terms and y is accumulated block by block. Columns left over when Wo is not a multiple
 * of 4 take a 1×8 block.
 *
 * Input gradient, for dy [N,Ho,Wo,O]: dx[n,h,w,c] = Σ_{i,j,o} dy[n, h+pad−i, w+pad−j, o] · w[i,j,c,o],
 * which is the forward convolution of dy with the filter turned half a circle and its channel axes
 * swapped, w'[i,j,o,c] = w[k−1−i, k−1−j, c, o], and padding k−1−pad. The filter is rearranged
 * into `scratch` (k²·C·O floats) and the forward kernel runs on the rest of it.
 *
 * The order of summation is fixed, so results repeat exactly. O (C for the input gradient) must be
 * a multiple of 8 (the functions return 1 and write nothing otherwise).
 *
 *   conv_forward(n, h, w, c, o, k, pad, x, filter, y, scratch)        → 0
 *   conv_input_grad(n, h, w, c, o, k, pad, dy, filter, dx, scratch)   → 0   (h, w: of x)
 *
 * All pointers are byte offsets into this module's memory; `scratch` needs
 * N·(H+2·pad)·(W+2·pad)·C floats for the forward kernel, k²·C·O + N·(H+k−1)·(W+k−1)·O for the input
 * gradient.
 */
#include <wasm_simd128.h>

/* Terms of the sum per block when w's slice would overflow the L1 cache: 256 rows of 32 bytes. */
#define TERMS 256

#define MAC(acc, xs, w) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(xs, w))

int conv_forward(int n, int h, int w, int c, int o, int k, int pad, const float *x,
                 const float *filter, float *y, float *scratch) {
  if (o % 8 != 0 || k < 1 || pad < 0) return 1;
  const int hp = h + 2 * pad, wp = w + 2 * pad, ho = hp - k + 1, wo = wp - k + 1;
  if (ho < 1 || wo < 1) return 1;
  float *xp = scratch;
  /* The padded copy: zeros, then the rows of x. */
  __builtin_memset(xp, 0, sizeof(float) * (long)n * hp * wp * c);
  for (int b = 0; b < n; b++)
    for (int r = 0; r < h; r++)
      __builtin_memcpy(xp + (((long)b * hp + r + pad) * wp + pad) * c, x + ((long)b * h + r) * w * c,
                       sizeof(float) * w * c);
  /* The sum runs over k row taps, each of k·c terms (columns j and channels cc of one input row).
   * When the 8 output channels' slice of w (k·k·c rows of 32 bytes) would not stay in the L1
   * cache, the terms are taken in blocks of at most TERMS (one row tap and part of its k·c terms
   * each) and y is loaded and stored between blocks. */
  const int kc = k * c;
  const int blocked = (long)k * kc > 2 * TERMS;
  const int step = blocked ? TERMS : kc;
  for (int oi = 0; oi < o; oi += 8) {
    for (int i0 = 0; i0 < (blocked ? k : 1); i0++) {
      for (int t0 = 0; t0 < kc; t0 += step) {
        const int i1 = blocked ? i0 + 1 : k, t1 = t0 + step < kc ? t0 + step : kc;
        const int first = i0 == 0 && t0 == 0;
        const float *wo8 = filter + oi;
        for (int b = 0; b < n; b++) {
          for (int p = 0; p < ho; p++) {
            float *yr = y + (((long)b * ho + p) * wo) * o + oi;
            int q = 0;
            for (; q + 4 <= wo; q += 4) {
              float *yq = yr + (long)q * o;
              v128_t a0, b0, a1, b1, a2, b2, a3, b3;
              if (first) {
                a0 = b0 = a1 = b1 = a2 = b2 = a3 = b3 = wasm_f32x4_splat(0);
              } else {
                a0 = wasm_v128_load(yq), b0 = wasm_v128_load(yq + 4);
                a1 = wasm_v128_load(yq + o), b1 = wasm_v128_load(yq + o + 4);
                a2 = wasm_v128_load(yq + 2 * o), b2 = wasm_v128_load(yq + 2 * o + 4);
                a3 = wasm_v128_load(yq + 3 * o), b3 = wasm_v128_load(yq + 3 * o + 4);
              }
              for (int i = i0; i < i1; i++) {
                /* Row p+i of xp from column q: for tap j and channel cc, element (j·c + cc). */
                const float *xr = xp + (((long)b * hp + p + i) * wp + q) * c;
                const float *wr = wo8 + ((long)i * kc + t0) * o;
                for (int t = t0; t < t1; t++, wr += o) {
                  const v128_t w0 = wasm_v128_load(wr), w1 = wasm_v128_load(wr + 4);
                  const v128_t x0 = wasm_v128_load32_splat(xr + t);
                  const v128_t x1 = wasm_v128_load32_splat(xr + t + c);
                  const v128_t x2 = wasm_v128_load32_splat(xr + t + 2 * c);
                  const v128_t x3 = wasm_v128_load32_splat(xr + t + 3 * c);
                  MAC(a0, x0, w0), MAC(b0, x0, w1), MAC(a1, x1, w0), MAC(b1, x1, w1);
                  MAC(a2, x2, w0), MAC(b2, x2, w1), MAC(a3, x3, w0), MAC(b3, x3, w1);
                }
              }
              wasm_v128_store(yq, a0), wasm_v128_store(yq + 4, b0);
              wasm_v128_store(yq + o, a1), wasm_v128_store(yq + o + 4, b1);
              wasm_v128_store(yq + 2 * o, a2), wasm_v128_store(yq + 2 * o + 4, b2);
              wasm_v128_store(yq + 3 * o, a3), wasm_v128_store(yq + 3 * o + 4, b3);
            }
            for (; q < wo; q++) {
              float *yq = yr + (long)q * o;
              v128_t a0 = wasm_f32x4_splat(0), b0 = a0;
              if (!first) a0 = wasm_v128_load(yq), b0 = wasm_v128_load(yq + 4);
              for (int i = i0; i < i1; i++) {
                const float *xr = xp + (((long)b * hp + p + i) * wp + q) * c;
                const float *wr = wo8 + ((long)i * kc + t0) * o;
                for (int t = t0; t < t1; t++, wr += o) {
                  const v128_t x0 = wasm_v128_load32_splat(xr + t);
                  MAC(a0, x0, wasm_v128_load(wr)), MAC(b0, x0, wasm_v128_load(wr + 4));
                }
              }
              wasm_v128_store(yq, a0), wasm_v128_store(yq + 4, b0);
            }
          }
        }
      }
    }
  }
  return 0;
}

int conv_input_grad(int n, int h, int w, int c, int o, int k, int pad, const float *dy,
                    const float *filter, float *dx, float *scratch) {
  if (c % 8 != 0 || k < 1 || pad < 0 || pad > k - 1) return 1;
  const int ho = h + 2 * pad - k + 1, wo = w + 2 * pad - k + 1;
  float *turned = scratch;
  for (int i = 0; i < k; i++)
    for (int j = 0; j < k; j++)
      for (int oc = 0; oc < o; oc++)
        for (int cc = 0; cc < c; cc++)
          turned[((i * k + j) * o + oc) * c + cc] =
              filter[(((k - 1 - i) * k + (k - 1 - j)) * c + cc) * o + oc];
  /* dy [N,Ho,Wo,O] padded by k−1−pad gives Ho + k − 1 − 2·pad = H rows out, as it should. */
  return conv_forward(n, ho, wo, o, c, k, k - 1 - pad, dy, turned, dx, scratch + k * k * c * o);
}
