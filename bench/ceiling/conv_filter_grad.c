/*
 * A convolution filter gradient of the project's own, written for 128-bit wasm SIMD, measured by
 * `npm run bench -- --ceiling` against the composition training uses today (a forward XNNPACK
 * convolution of transposed tensors, src/backend/kernels/conv2d_backprop_filter.ts).
 *
 * For y = conv2d(x, w) with x [N,H,W,C] (channels last), w [k,k,C,O], stride s, zero padding
 * `pad` on each side, and the output gradient dy [N,Ho,Wo,O]:
 *
 *   dW[i,j,c,o] = Σ_{n,p,q} x[n, s·p + i − pad, s·q + j − pad, c] · dy[n,p,q,o]
 *
 * (terms whose input row or column falls in the padding are zero and skipped). This is a matrix
 * product with a long reduction (N·Ho·Wo positions) and a small result (k²·C × O), so no packing
 * is needed: each 4×8 block of dW (4 input channels c..c+3 at one tap (i,j), 8 output channels)
 * lives in 8 registers while the positions stream past. Per position the block loads 4 channels
 * of x (one vector) and 8 of dy (two), and does 32 multiply-adds (wasm SIMD has no fused
 * multiply-add: an f32x4.mul and an f32x4.add each). The positions are taken a few output rows
 * at a time (a chunk of about CHUNK positions) so that the chunk's x and dy rows stay in the L1
 * cache while every block of dW passes over them; dW (at most 9·512·512 floats here) is loaded
 * and stored once per block per chunk.
 *
 * The order of summation is fixed (chunks in order, positions in order within a chunk), so the
 * result is the same on every call. C must be a multiple of 4 and O of 8 (`conv_filter_grad`
 * returns 1 and writes nothing otherwise).
 *
 *   conv_filter_grad(n, h, w, c, o, k, s, pad, x, dy, dw)   all pointers are byte offsets into
 *                                                            this module's memory; returns 0
 */
#include <wasm_simd128.h>

#define CHUNK 256

static inline int max_i(int a, int b) { return a > b ? a : b; }
static inline int min_i(int a, int b) { return a < b ? a : b; }

/* First output index p with s·p + t − pad ≥ 0, and one past the last with s·p + t − pad < size. */
static inline int first_valid(int t, int s, int pad) {
  int d = pad - t;
  return d <= 0 ? 0 : (d + s - 1) / s;
}
static inline int end_valid(int t, int s, int pad, int size, int out) {
  /* s·p ≤ size − 1 − t + pad */
  int lim = size - 1 - t + pad;
  return lim < 0 ? 0 : min_i(out, lim / s + 1);
}

int conv_filter_grad(int n, int h, int w, int c, int o, int k, int s, int pad, const float *x,
                     const float *dy, float *dw) {
  if (c % 4 != 0 || o % 8 != 0 || s < 1 || k < 1) return 1;
  const int ho = (h + 2 * pad - k) / s + 1, wo = (w + 2 * pad - k) / s + 1;
  for (int e = 0; e < k * k * c * o; e++) dw[e] = 0.0f;
  const int rows = max_i(1, min_i(ho, CHUNK / wo));
  for (int b = 0; b < n; b++) {
    const float *xb = x + (long)b * h * w * c;
    const float *dyb = dy + (long)b * ho * wo * o;
    for (int p0 = 0; p0 < ho; p0 += rows) {
      const int p1 = min_i(ho, p0 + rows);
      for (int i = 0; i < k; i++) {
        const int pa = max_i(p0, first_valid(i, s, pad)), pz = min_i(p1, end_valid(i, s, pad, h, ho));
        if (pa >= pz) continue;
        for (int j = 0; j < k; j++) {
          const int qa = first_valid(j, s, pad), qz = end_valid(j, s, pad, w, wo);
          if (qa >= qz) continue;
          for (int ci = 0; ci < c; ci += 4) {
            for (int oi = 0; oi < o; oi += 8) {
              float *t = dw + ((long)(i * k + j) * c + ci) * o + oi;
              v128_t l0 = wasm_v128_load(t), h0 = wasm_v128_load(t + 4);
              v128_t l1 = wasm_v128_load(t + o), h1 = wasm_v128_load(t + o + 4);
              v128_t l2 = wasm_v128_load(t + 2 * o), h2 = wasm_v128_load(t + 2 * o + 4);
              v128_t l3 = wasm_v128_load(t + 3 * o), h3 = wasm_v128_load(t + 3 * o + 4);
              for (int p = pa; p < pz; p++) {
                const float *xr = xb + ((long)(s * p + i - pad) * w + (s * qa + j - pad)) * c + ci;
                const float *dr = dyb + ((long)p * wo + qa) * o + oi;
                for (int q = qa; q < qz; q++, xr += s * c, dr += o) {
                  const v128_t xv = wasm_v128_load(xr);
                  const v128_t d0 = wasm_v128_load(dr), d1 = wasm_v128_load(dr + 4);
                  const v128_t x0 = wasm_i32x4_shuffle(xv, xv, 0, 0, 0, 0);
                  const v128_t x1 = wasm_i32x4_shuffle(xv, xv, 1, 1, 1, 1);
                  const v128_t x2 = wasm_i32x4_shuffle(xv, xv, 2, 2, 2, 2);
                  const v128_t x3 = wasm_i32x4_shuffle(xv, xv, 3, 3, 3, 3);
                  l0 = wasm_f32x4_add(l0, wasm_f32x4_mul(x0, d0));
                  h0 = wasm_f32x4_add(h0, wasm_f32x4_mul(x0, d1));
                  l1 = wasm_f32x4_add(l1, wasm_f32x4_mul(x1, d0));
                  h1 = wasm_f32x4_add(h1, wasm_f32x4_mul(x1, d1));
                  l2 = wasm_f32x4_add(l2, wasm_f32x4_mul(x2, d0));
                  h2 = wasm_f32x4_add(h2, wasm_f32x4_mul(x2, d1));
                  l3 = wasm_f32x4_add(l3, wasm_f32x4_mul(x3, d0));
                  h3 = wasm_f32x4_add(h3, wasm_f32x4_mul(x3, d1));
                }
              }
              wasm_v128_store(t, l0), wasm_v128_store(t + 4, h0);
              wasm_v128_store(t + o, l1), wasm_v128_store(t + o + 4, h1);
              wasm_v128_store(t + 2 * o, l2), wasm_v128_store(t + 2 * o + 4, h2);
              wasm_v128_store(t + 3 * o, l3), wasm_v128_store(t + 3 * o + 4, h3);
            }
          }
        }
      }
    }
  }
  return 0;
}
