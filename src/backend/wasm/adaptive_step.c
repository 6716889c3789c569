/*
 * One SIMD pass of the adaptive-moment optimizer family (Adam, AMSGrad, AdamW, Padam) over
 * float32 arrays, compiled to wasm32 with -msimd128 by scripts/build-wasm.sh. No libc: the only
 * operations are +, *, /, sqrt and max, all wasm instructions.
 *
 * Per element, with coefficients prepared on the host (src/optim/moments.ts, `AdaptiveCoefficients`):
 *
 *     g' = g + l2·x                         coupled L2 decay
 *     m  = β1·m + a1·g' ;  v = β2·v + a2·g'²  (a1 = 1 − β1, a2 = 1 − β2)
 *     v̂  = max(v̂, v) when vmax is given, else v
 *     d  = (sqrt(v̂) + ε)^(1/2^k)            k = roots: 0 → e = 1, 1 → 1/2, 2 → 1/4, 3 → 1/8
 *     x  = x·shrink − step·m/d              (roots < 0: no denominator, x·shrink − step·m)
 *
 * Arrays of n floats at byte offsets into the imported memory. An output may be its own input
 * (xo == x, mo == m, ...: the in-place update): each element is read before it is written.
 */
#include <wasm_simd128.h>

typedef struct {
  float l2, shrink, b1, b2, a1, a2, eps, step;
} coef;

static inline v128_t vsplat(float s) { return wasm_f32x4_splat(s); }

/* The denominator forms as separate loops (roots is a compile-time constant in each), so the
 * per-element work has no branch. */
static inline __attribute__((always_inline)) void loop(
    int n, const float *x, const float *g, const float *m, const float *v, const float *vmax,
    float *xo, float *mo, float *vo, float *vmaxo, coef c, int roots, int keep_max) {
  const v128_t l2 = vsplat(c.l2), shrink = vsplat(c.shrink), b1 = vsplat(c.b1), b2 = vsplat(c.b2);
  const v128_t a1 = vsplat(c.a1), a2 = vsplat(c.a2), eps = vsplat(c.eps), step = vsplat(c.step);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t xi = wasm_v128_load(x + i);
    v128_t gi = wasm_f32x4_add(wasm_v128_load(g + i), wasm_f32x4_mul(l2, xi));
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(b1, wasm_v128_load(m + i)), wasm_f32x4_mul(a1, gi));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(b2, wasm_v128_load(v + i)), wasm_f32x4_mul(a2, wasm_f32x4_mul(gi, gi)));
    wasm_v128_store(mo + i, mi);
    wasm_v128_store(vo + i, vi);
    v128_t vh = vi;
    if (keep_max) {
      vh = wasm_f32x4_max(wasm_v128_load(vmax + i), vi);
      wasm_v128_store(vmaxo + i, vh);
    }
    v128_t upd = mi;
    if (roots >= 0) {
      v128_t d = wasm_f32x4_add(wasm_f32x4_sqrt(vh), eps);
      for (int k = 0; k < roots; k++) d = wasm_f32x4_sqrt(d);
      upd = wasm_f32x4_div(mi, d);
    }
    wasm_v128_store(xo + i, wasm_f32x4_sub(wasm_f32x4_mul(xi, shrink), wasm_f32x4_mul(step, upd)));
  }
  for (; i < n; i++) {
    float xi = x[i];
    float gi = g[i] + c.l2 * xi;
    float mi = c.b1 * m[i] + c.a1 * gi;
    float vi = c.b2 * v[i] + c.a2 * (gi * gi);
    mo[i] = mi;
    vo[i] = vi;
    float vh = vi;
    if (keep_max) {
      vh = vmax[i] > vi ? vmax[i] : vi;
      vmaxo[i] = vh;
    }
    float upd = mi;
    if (roots >= 0) {
      float d = __builtin_sqrtf(vh) + c.eps;
      for (int k = 0; k < roots; k++) d = __builtin_sqrtf(d);
      upd = mi / d;
    }
    xo[i] = xi * c.shrink - c.step * upd;
  }
}

#define FORMS(keep)                                                          \
  switch (roots) {                                                           \
    case -1: loop(n, x, g, m, v, vmax, xo, mo, vo, vmaxo, c, -1, keep); break; \
    case 0: loop(n, x, g, m, v, vmax, xo, mo, vo, vmaxo, c, 0, keep); break;   \
    case 1: loop(n, x, g, m, v, vmax, xo, mo, vo, vmaxo, c, 1, keep); break;   \
    case 2: loop(n, x, g, m, v, vmax, xo, mo, vo, vmaxo, c, 2, keep); break;   \
    default: loop(n, x, g, m, v, vmax, xo, mo, vo, vmaxo, c, 3, keep); break;  \
  }

/* vmax == 0 selects the form without the running maximum (vmaxo is then unused). roots is
 * clamped to [-1, 3] by the caller (src/backend/compiled.ts refuses other exponents). */
__attribute__((export_name("adaptive_step"))) void adaptive_step(
    int n, const float *x, const float *g, const float *m, const float *v, const float *vmax,
    float *xo, float *mo, float *vo, float *vmaxo,
    float l2, float shrink, float b1, float b2, float a1, float a2, float eps, float step, int roots) {
  const coef c = {l2, shrink, b1, b2, a1, a2, eps, step};
  if (vmax) {
    FORMS(1)
  } else {
    FORMS(0)
  }
}
