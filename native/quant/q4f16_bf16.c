/*
 * The hot path of convert-weight in C: bf16 source rows -> q4f16_1 / q4f16_0 group quantization (group 32, int4,
 * fp16 model dtype), bit-identical to core/quant/group-kernel.ts (decodeToModel + groupQuantize + encodeModel),
 * which stays the reference and the fallback. Built on first use with the machine's C compiler and loaded with
 * koffi; see core/quant/native-q4.ts.
 *
 * Arithmetic, as MLC's CPU path rounds it (spec section 5.3):
 *   w      = fp16(bf16 value)                      (exact inside fp16's normal range)
 *   scale  = fp16(fp32(maxabs / 7))                (fp16 ops run in fp32 and round back)
 *   code   = clamp(rint(fp16(fp16(w / scale) + 7)), 0, 14), evaluated exactly: the double quotient is compared
 *            with the exact decision boundaries L[] the caller passes in (core/quant/group-kernel.ts).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float bits_to_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }


/* float32 -> float16 bits, round to nearest even (subnormals, overflow to inf, NaN kept quiet). Integer code:
   libgcc's soft-float _Float16 conversions cost more than the rest of a group's work. */
static inline uint16_t f32_to_f16_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t a = u & 0x7fffffffu;
  if (a >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (a > 0x7f800000u ? 0x200u : 0));
  if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds past 65504 */
  if (a >= 0x38800000u) { /* normal */
    const uint32_t r = a + 0xfffu + ((a >> 13) & 1u);
    return (uint16_t)(sign | ((r - 0x38000000u) >> 13));
  }
  if (a < 0x33000000u) return (uint16_t)sign; /* below half the smallest subnormal: +-0 */
  /* subnormal: quantum 2^-24 */
  const uint32_t e = a >> 23;
  const uint32_t m = (a & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126u - e; /* 14..24 */
  uint32_t q = m >> shift;
  const uint32_t rem = m & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1u);
  if (rem > half || (rem == half && (q & 1u))) q++;
  return (uint16_t)(sign | q);
}

static inline float f16_bits_to_f32(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1fu;
  const uint32_t m = h & 0x3ffu;
  uint32_t u;
  if (e == 0x1f) u = sign | 0x7f800000u | (m << 13);
  else if (e != 0) u = sign | ((e + 112u) << 23) | (m << 13);
  else if (m == 0) u = sign;
  else {
    float f = (float)m * 5.9604644775390625e-8f; /* m * 2^-24, exact */
    memcpy(&u, &f, 4);
    u |= sign;
  }
  return bits_to_f32(u);
}

/* Returns the index of the first non-finite source element, or -1. Only full groups (k % 32 == 0). */
int64_t nxq_q4f16_from_bf16(const uint16_t *src, int64_t rows, int64_t k, const double *L, uint32_t *q_weight, uint16_t *q_scale) {
  const int64_t groups = k / 32;
  float w[32];
  for (int64_t r = 0; r < rows; r++) {
    for (int64_t g = 0; g < groups; g++) {
      const uint16_t *s = src + r * k + g * 32;
      /* bf16 -> float32 is a shift; only values outside fp16's normal range (rare) need rounding, and a
         non-finite source is an error: both found with branch-free flags, handled in a scalar pass */
      uint32_t rare = 0, bad = 0;
      for (int i = 0; i < 32; i++) {
        const uint32_t u = (uint32_t)s[i] << 16;
        const uint32_t a = u & 0x7fffffffu;
        rare |= (a != 0) & ((a < 0x38800000u) | (a >= 0x477ff000u));
        bad |= a >= 0x7f800000u;
        w[i] = bits_to_f32(u);
      }
      if (bad) {
        for (int i = 0; i < 32; i++) if (((uint32_t)s[i] << 16 & 0x7fffffffu) >= 0x7f800000u) return r * k + g * 32 + i;
      }
      if (rare) {
        for (int i = 0; i < 32; i++) w[i] = f16_bits_to_f32(f32_to_f16_bits(w[i]));
      }
      /* max |w| on the bit patterns (no NaN can be left here): an integer max the compiler vectorises */
      uint32_t mbits = 0;
      for (int i = 0; i < 32; i++) {
        uint32_t b;
        memcpy(&b, &w[i], 4);
        b &= 0x7fffffffu;
        mbits = b > mbits ? b : mbits;
      }
      const float m = bits_to_f32(mbits);
      const float q = m / 7.0f;
      const uint16_t scale_bits = f32_to_f16_bits(q);
      const double scale = (double)f16_bits_to_f32(scale_bits);
      *q_scale++ = scale_bits;
      /* exact double quotients (a division per element: a reciprocal would round differently at the boundaries);
         a simple loop the compiler vectorises */
      double x[32];
      for (int i = 0; i < 32; i++) x[i] = (double)w[i] / scale;
      /* code(x) = the number of decision boundaries L[1..14] at or below x: L[c] is the smallest quotient whose
         per-op-rounded fp16 code is >= c, so this is the code by definition (NaN compares false -> 0; +-inf clamp).
         Branch-free, so the compiler vectorises it. */
      uint32_t codes[32];
      for (int i = 0; i < 32; i++) {
        uint32_t c = 0;
        for (int j = 1; j <= 14; j++) c += x[i] >= L[j];
        codes[i] = c;
      }
      for (int j = 0; j < 4; j++) {
        uint32_t word = 0;
        for (int t = 0; t < 8; t++) word |= codes[j * 8 + t] << (t * 4);
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
    out[i] = f32_to_f16_bits(bits_to_f32(u));
  }
  return -1;
}
