/*
 * The hot path of convert-weight in C: bf16 source rows -> q4f16_1 / q4f16_0 group quantization (group 32, int4,
 * fp16 model dtype), bit-identical to core/quant/group-kernel.ts (decodeToModel + groupQuantize + encodeModel),
 * which stays the reference and the fallback. Built on first use with the machine's C compiler and loaded with
 * koffi; see core/quant/native-q4.ts.
 *
 * Arithmetic, as MLC's CPU path rounds it (spec section 5.3):
 *   w      = fp16(bf16 value)                      (exact inside fp16's normal range)
 *   scale  = fp16(fp32(maxabs / 7))                (fp16 ops run in fp32 and round back)
 *   code   = clamp(rint(fp16(fp16(w / scale) + 7)), 0, 14), evaluated exactly as the reference does: rint of the
 *            double quotient + 7, corrected against the exact decision boundaries L[] the caller passes in.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float bits_to_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static inline uint16_t f16_bits(_Float16 h) { uint16_t b; memcpy(&b, &h, 2); return b; }

/* Returns the index of the first non-finite source element, or -1. Only full groups (k % 32 == 0). */
int64_t nxq_q4f16_from_bf16(const uint16_t *src, int64_t rows, int64_t k, const double *L, uint32_t *q_weight, uint16_t *q_scale) {
  const int64_t groups = k / 32;
  float w[32];
  for (int64_t r = 0; r < rows; r++) {
    for (int64_t g = 0; g < groups; g++) {
      const uint16_t *s = src + r * k + g * 32;
      float m = 0.0f;
      for (int i = 0; i < 32; i++) {
        uint32_t u = (uint32_t)s[i] << 16;
        uint32_t a = u & 0x7fffffffu;
        if (a >= 0x7f800000u) return r * k + g * 32 + i;
        float f = bits_to_f32(u);
        if (a < 0x38800000u || a >= 0x477ff000u) f = (float)(_Float16)f; /* outside fp16's normal range: round */
        w[i] = f;
        float af = fabsf(f);
        if (af > m) m = af;
      }
      const float q = m / 7.0f;
      const _Float16 scale_h = (_Float16)q;
      const double scale = (double)(float)scale_h;
      *q_scale++ = f16_bits(scale_h);
      for (int j = 0; j < 4; j++) {
        uint32_t word = 0;
        for (int t = 0; t < 8; t++) {
          const double x = (double)w[j * 8 + t] / scale;
          /* clamp first (NaN -> 0: a group whose fp16 values overflowed to inf has scale inf and inf/inf = NaN;
             a scale that underflowed to 0 gives 0/0 = NaN or +-inf), then the exact boundary correction */
          double cd = nearbyint(x + 7.0);
          cd = cd > 0 ? cd : 0;
          cd = cd < 14 ? cd : 14;
          int c = (int)cd;
          if (c > 0 && x < L[c]) c--;
          else if (c < 14 && x >= L[c + 1]) c++;
          word |= (uint32_t)c << (t * 4);
        }
        *q_weight++ = word;
      }
    }
  }
  return -1;
}

/* bf16 -> fp16 bit patterns (RNE), for q0f16 and unquantized tensors of fp16 schemes. Returns the first
 * non-finite source index, or -1 (castBf16ToF16Bits in core/quant/group-kernel.ts is the reference). */
int64_t nxq_bf16_to_f16(const uint16_t *src, int64_t n, uint16_t *out) {
  for (int64_t i = 0; i < n; i++) {
    uint32_t u = (uint32_t)src[i] << 16;
    if ((u & 0x7fffffffu) >= 0x7f800000u) return i;
    out[i] = f16_bits((_Float16)bits_to_f32(u));
  }
  return -1;
}
