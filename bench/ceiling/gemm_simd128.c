/*
 * The arithmetic ceiling of 128-bit wasm SIMD on this machine, for `npm run bench -- --ceiling`.
 *
 * A register-blocked matrix-product micro-kernel, the inner loop every fast convolution reduces
 * to: for k = 0..K-1, the MR×8 block C += a_k · b_kᵀ, where a_k (MR floats) is one column of a
 * packed A and b_k (8 floats) one row of a packed B. Both panels are small enough to stay in the
 * L1 cache, so the loop measures the instruction rate, not memory: what no convolution written
 * for this instruction set can exceed. wasm SIMD has no fused multiply-add, so each
 * multiply-accumulate is an f32x4.mul and an f32x4.add.
 *
 *   gemm_4x8(reps, K, a, b, c)   C[4×8] (row-major) += A·B, reps times over the same panels
 *   gemm_6x8(reps, K, a, b, c)   the same with 6 rows (12 accumulators, as XNNPACK's larger tiles)
 *
 * a holds K columns of MR floats, b K rows of 8 floats; all pointers are byte offsets into this
 * module's own memory (the host writes the panels through the exported memory). C is loaded
 * before and stored after each repetition, so no repetition is dead code.
 */
#include <wasm_simd128.h>

#define BLOCK(MR)                                                                        \
  void gemm_##MR##x8(int reps, int k, const float *a, const float *b, float *c) {       \
    for (int r = 0; r < reps; r++) {                                                     \
      v128_t lo[MR], hi[MR];                                                             \
      for (int i = 0; i < MR; i++) {                                                     \
        lo[i] = wasm_v128_load(c + 8 * i);                                               \
        hi[i] = wasm_v128_load(c + 8 * i + 4);                                           \
      }                                                                                  \
      const float *ap = a, *bp = b;                                                      \
      for (int p = 0; p < k; p++, ap += MR, bp += 8) {                                   \
        const v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);               \
        for (int i = 0; i < MR; i++) {                                                   \
          const v128_t ai = wasm_f32x4_splat(ap[i]);                                     \
          lo[i] = wasm_f32x4_add(lo[i], wasm_f32x4_mul(ai, b0));                         \
          hi[i] = wasm_f32x4_add(hi[i], wasm_f32x4_mul(ai, b1));                         \
        }                                                                                \
      }                                                                                  \
      for (int i = 0; i < MR; i++) {                                                     \
        wasm_v128_store(c + 8 * i, lo[i]);                                               \
        wasm_v128_store(c + 8 * i + 4, hi[i]);                                           \
      }                                                                                  \
    }                                                                                    \
  }

BLOCK(4)
BLOCK(6)
