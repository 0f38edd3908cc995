// SIMD kernel of the native perturbation engine: Philox4x32-10 and the spec's float32 Box-Muller
// (packages/zo/src/philox.ts, float32-math.ts, gaussian.ts) and the fused replay of perturb-engine.ts.
//
// Bit-identity with the TypeScript reference rests on three rules:
//   * every float32 operation of the reference is one float32 operation here, in the same order
//     (the build passes -ffp-contract=off and never -ffast-math, so nothing is fused or reassociated);
//   * division and square root are the IEEE correctly rounded vdivps / vsqrtps (or their equivalents);
//   * the accumulator is float64, seeds are added in order, and w is rounded to float32 once.
// Where this code computes a value differently from the reference (the ln range fold, the quadrant
// split), the comment proves the result is the same bits. native-engine.test.ts checks all of it.
//
// Layout: GCC vector extensions (also understood by clang). A vector holds FK_LANES uint32 lanes (16 with
// AVX-512F, 8 with AVX2, else 4: FEDKSEED_NATIVE_MARCH=x86-64-v3 builds the AVX2 kernel on any x64); a
// "group" is FK_LANES / 2 consecutive Philox counters = 2 * FK_LANES consecutive elements. Philox runs
// with each 32-bit word in its own 64-bit lane, which is what the 32x32->64 multiply (pmuludq) reads
// and writes; Box-Muller runs on all FK_LANES lanes (one lane per Box-Muller pair). The counters are
// placed in the 64-bit lanes in the order that makes the final (sin, cos) interleave an in-lane unpack
// which yields elements in memory order.
#ifndef FEDKSEED_PERTURB_KERNEL_H
#define FEDKSEED_PERTURB_KERNEL_H

#include <cstddef>
#include <cstdint>
#include <cstring>

#if !defined(FK_GENERIC) && defined(__AVX512F__)
#include <immintrin.h>
#define FK_LANES 16
#define FK_ISA "avx512"
#elif !defined(FK_GENERIC) && defined(__AVX2__)
#include <immintrin.h>
#define FK_LANES 8
#define FK_ISA "avx2"
#elif !defined(FK_GENERIC) && defined(__SSE2__)
#include <immintrin.h>
#define FK_LANES 4
#define FK_ISA "sse2"
#elif !defined(FK_GENERIC) && defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#define FK_LANES 4
#define FK_ISA "neon"
#else
#define FK_LANES 4
#define FK_ISA "generic"
#endif

// Two-input lane shuffle with constant indices (GCC spells it __builtin_shuffle, clang __builtin_shufflevector).
#if defined(__clang__)
#define FK_SHUFFLE(a, b, mask_type, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define FK_SHUFFLE(a, b, mask_type, ...) __builtin_shuffle(a, b, (mask_type){__VA_ARGS__})
#endif

#if defined(__FAST_MATH__)
#error "perturb_kernel.h must not be compiled with -ffast-math: results must be bit-identical to the reference"
#endif

#ifndef FK_INTERLEAVE
#define FK_INTERLEAVE 4
#endif

namespace fk {

constexpr int kLanes = FK_LANES;                  // uint32 / float32 lanes per vector
constexpr int kGroupCounters = kLanes / 2;        // Philox counters per group
constexpr int kGroupElements = 4 * kGroupCounters;  // z elements per group (two vectors)

typedef uint32_t u32v __attribute__((vector_size(4 * kLanes)));
typedef int32_t i32v __attribute__((vector_size(4 * kLanes)));
typedef float f32v __attribute__((vector_size(4 * kLanes)));
typedef uint64_t u64v __attribute__((vector_size(4 * kLanes)));
// Accumulation: kLanes / 2 doubles per vector (one AVX-512 / AVX / SSE register), from as many floats.
constexpr int kAccLanes = kLanes / 2;
typedef float f32q __attribute__((vector_size(4 * kAccLanes)));
typedef double f64q __attribute__((vector_size(8 * kAccLanes)));

// ---- the few operations GCC's generic vectors do not express as one instruction -------------------

// Full 64-bit products of the low 32 bits of each 64-bit lane of a with those of m (m < 2^32).
static inline u64v mul_lo32(u64v a, u64v m) {
#if FK_LANES == 16
  return (u64v)_mm512_mul_epu32((__m512i)a, (__m512i)m);
#elif FK_LANES == 8
  return (u64v)_mm256_mul_epu32((__m256i)a, (__m256i)m);
#elif defined(__SSE2__) && !defined(FK_GENERIC)
  return (u64v)_mm_mul_epu32((__m128i)a, (__m128i)m);
#else
  return (a & 0xffffffffu) * m;
#endif
}

// IEEE correctly rounded float32 square root, lane by lane.
static inline f32v sqrt_v(f32v x) {
#if FK_LANES == 16
  return (f32v)_mm512_sqrt_ps((__m512)x);
#elif FK_LANES == 8
  return (f32v)_mm256_sqrt_ps((__m256)x);
#elif defined(__SSE2__) && !defined(FK_GENERIC)
  return (f32v)_mm_sqrt_ps((__m128)x);
#elif defined(__aarch64__) && defined(__ARM_NEON) && !defined(FK_GENERIC)
  return (f32v)vsqrtq_f32((float32x4_t)x);
#else
  f32v r = x;
  for (int i = 0; i < kLanes; i++) r[i] = __builtin_sqrtf(x[i]);
  return r;
#endif
}

// a < lo ? lo : a, for a never NaN (maxps returns its second operand on equality: the same value).
static inline f32v floor_at(f32v a, f32v lo) {
#if FK_LANES == 16
  return (f32v)_mm512_max_ps((__m512)a, (__m512)lo);
#elif FK_LANES == 8
  return (f32v)_mm256_max_ps((__m256)a, (__m256)lo);
#elif defined(__SSE2__) && !defined(FK_GENERIC)
  return (f32v)_mm_max_ps((__m128)a, (__m128)lo);
#else
  return a < lo ? lo : a;
#endif
}

// Lane by lane: sign bit of `mask` set ? b : a. Only the sign bit of mask is read.
static inline f32v select_by_sign(u32v mask, f32v a, f32v b) {
#if FK_LANES == 16
  return (i32v)mask < 0 ? b : a;  // AVX-512 has no blendv: a compare into a mask register and a masked blend
#elif FK_LANES == 8
  return (f32v)_mm256_blendv_ps((__m256)a, (__m256)b, (__m256)mask);
#elif defined(__SSE4_1__) && !defined(FK_GENERIC)
  return (f32v)_mm_blendv_ps((__m128)a, (__m128)b, (__m128)mask);
#else
  return (i32v)mask < 0 ? b : a;
#endif
}

static inline f32v splat_bits(uint32_t bits) {
  u32v v = (u32v){} + bits;
  return (f32v)v;
}

// ---- Philox4x32-10 -----------------------------------------------------------------------------

constexpr uint32_t kPhiloxM0 = 0xd2511f53u;
constexpr uint32_t kPhiloxM1 = 0xcd9e8d57u;
constexpr uint32_t kPhiloxW0 = 0x9e3779b9u;
constexpr uint32_t kPhiloxW1 = 0xbb67ae85u;

// One seed's key schedule, splat across the 64-bit lanes (the upper halves are don't-care).
struct SeedKeys {
  u64v k0[10];
  u64v k1[10];
};

static inline void make_seed_keys(uint32_t k0, uint32_t k1, SeedKeys& keys) {
  for (int r = 0; r < 10; r++) {
    keys.k0[r] = (u64v){} + (uint64_t)k0;
    keys.k1[r] = (u64v){} + (uint64_t)k1;
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
}

// ---- one group: kGroupCounters counters -> 2 * kLanes Gaussians in element order ---------------

// Counter of 64-bit lane q within a group: lanes (2b, 2b + 1) hold counters b and b + kGroupCounters/2,
// so that 128-bit block b of the final unpacks is counter b (low unpack) or b + kGroupCounters/2 (high).
static inline u64v group_counters(uint64_t first) {
#if FK_LANES == 16
  return (u64v){first, first + 4, first + 1, first + 5, first + 2, first + 6, first + 3, first + 7};
#elif FK_LANES == 8
  return (u64v){first, first + 2, first + 1, first + 3};
#else
  return (u64v){first, first + 1};
#endif
}

// f32 constants of float32-math.ts, by their bits (the hex in its comments).
constexpr uint32_t kLnC3 = 0x3f2aaaab, kLnC5 = 0x3ecccccd, kLnC7 = 0x3e924925, kLnC9 = 0x3e638e39;
constexpr uint32_t kLn2 = 0x3f317218;
constexpr uint32_t kSinC1 = 0x3fc90fdb, kSinC3 = 0xbf255de7, kSinC5 = 0x3da335e3, kSinC7 = 0xbb996966,
                   kSinC9 = 0x39283c1a;
constexpr uint32_t kCosC2 = 0xbf9de9e6, kCosC4 = 0x3e81e0f8, kCosC6 = 0xbcaae9e4, kCosC8 = 0x3a70fa83,
                   kCosC10 = 0xb7d368f9;
constexpr uint32_t kU1Floor = 0x33d6bf95;  // fround(1e-7), BOX_MULLER_U1_FLOOR
// Bits of the smallest float32 above sqrt(2)/2: see the ln range fold below.
constexpr uint32_t kLnFoldLow = 0x3f3504f4;

// kInterleave independent groups at once, statement by statement: one group's Philox and Box-Muller
// form a dependency chain of ~150 cycles, so the out-of-order core needs several chains in its window.
template <int kInterleave>
static inline void gaussian_groups(uint64_t first_counter, const SeedKeys& keys, f32v (&z)[kInterleave][2]) {
#define FK_EACH _Pragma("GCC unroll 8") for (int g = 0; g < kInterleave; g++)
  // Philox4x32-10. Words 2 and 3 of the counter are zero. Upper halves of the 64-bit lanes are garbage
  // that pmuludq never reads and the final word extraction drops.
  const u64v m0 = (u64v){} + (uint64_t)kPhiloxM0;
  const u64v m1 = (u64v){} + (uint64_t)kPhiloxM1;
  u64v c0[kInterleave], c1[kInterleave], c2[kInterleave], c3[kInterleave];
  FK_EACH {
    c0[g] = group_counters(first_counter + (uint64_t)g * kGroupCounters);
    c1[g] = c0[g] >> 32;
    c2[g] = (u64v){};
    c3[g] = (u64v){};
  }
#pragma GCC unroll 10
  for (int r = 0; r < 10; r++) {
    FK_EACH {
      const u64v p0 = mul_lo32(c0[g], m0);  // lo0 | hi0 << 32
      const u64v p1 = mul_lo32(c2[g], m1);  // lo1 | hi1 << 32
      const u64v n0 = (p1 >> 32) ^ c1[g] ^ keys.k0[r];
      const u64v n2 = (p0 >> 32) ^ c3[g] ^ keys.k1[r];
      c1[g] = p1;
      c3[g] = p0;
      c0[g] = n0;
      c2[g] = n2;
    }
  }
  // Box-Muller pairs: lane 2i takes words (0, 1) of the counter in 64-bit lane i, lane 2i + 1 words (2, 3).
  u32v radius[kInterleave], angle[kInterleave];
  FK_EACH {
#if FK_LANES == 16
    radius[g] = FK_SHUFFLE((u32v)c0[g], (u32v)c2[g], u32v, 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
    angle[g] = FK_SHUFFLE((u32v)c1[g], (u32v)c3[g], u32v, 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
#elif FK_LANES == 8
    radius[g] = FK_SHUFFLE((u32v)c0[g], (u32v)c2[g], u32v, 0, 8, 2, 10, 4, 12, 6, 14);
    angle[g] = FK_SHUFFLE((u32v)c1[g], (u32v)c3[g], u32v, 0, 8, 2, 10, 4, 12, 6, 14);
#else
    radius[g] = FK_SHUFFLE((u32v)c0[g], (u32v)c2[g], u32v, 0, 4, 2, 6);
    angle[g] = FK_SHUFFLE((u32v)c1[g], (u32v)c3[g], u32v, 0, 4, 2, 6);
#endif
  }

  // r = sqrt(-2 ln max(u1, 1e-7)), u1 = mantissa * 2^-23 (an exact conversion and an exact scaling).
  f32v r[kInterleave];
  FK_EACH {
    f32v u1 = __builtin_convertvector((i32v)(radius[g] & 0x7fffffu), f32v) * 1.1920928955078125e-7f;
    u1 = floor_at(u1, splat_bits(kU1Floor));
    // lnF32: u1 = 2^e m, m = the mantissa with exponent 0, halved (and e + 1) when above SQRT2_F32.
    // Folded with one integer add: m > SQRT2_F32 (0x3fb504f3) iff mantissa bits >= 0x3504f4 iff adding
    // 0x3f800000 - 0x3f3504f4 carries into the exponent field; the carry is the e + 1, and the
    // re-biased mantissa (bits & 0x7fffff) + 0x3f3504f4 is m (0x3f800000 | mant) or m / 2 (0x3f000000 | mant).
    const u32v folded = (u32v)u1 + (0x3f800000u - kLnFoldLow);
    const i32v e = (i32v)(folded >> 23) - 127;
    const f32v m = (f32v)((folded & 0x7fffffu) + kLnFoldLow);
    const f32v x = m - 1.0f;
    const f32v s = x / (2.0f + x);
    const f32v s2 = s * s;
    f32v p = splat_bits(kLnC9) * s2 + splat_bits(kLnC7);
    p = p * s2 + splat_bits(kLnC5);
    p = p * s2 + splat_bits(kLnC3);
    p = p * s2 + 2.0f;
    const f32v ln_u1 = __builtin_convertvector(e, f32v) * splat_bits(kLn2) + s * p;
    r[g] = sqrt_v(-2.0f * ln_u1);
  }

  // 2 pi u2 = (pi/2)(k + t): with mantissa ma, k = (ma + 2^20) >> 21 and t = (ma - k 2^21) 2^-21, i.e.
  // ma - k 2^21 is the low 21 bits of ma read as a signed 21-bit integer (shift left 11, arithmetic
  // shift right 11; bits above 20 of the word fall out). The quadrant k & 3 is bits 21..22 of
  // angle + 2^20 (carries only move up, so the word's bits above 22 do not reach them).
  FK_EACH {
    const i32v t_int = ((i32v)(angle[g] << 11)) >> 11;
    const f32v t = __builtin_convertvector(t_int, f32v) * 4.76837158203125e-7f;
    const f32v t2 = t * t;
    f32v sp = splat_bits(kSinC9) * t2 + splat_bits(kSinC7);
    sp = sp * t2 + splat_bits(kSinC5);
    sp = sp * t2 + splat_bits(kSinC3);
    sp = sp * t2 + splat_bits(kSinC1);
    const f32v sin_t = t * sp;
    f32v cp = splat_bits(kCosC10) * t2 + splat_bits(kCosC8);
    cp = cp * t2 + splat_bits(kCosC6);
    cp = cp * t2 + splat_bits(kCosC4);
    cp = cp * t2 + splat_bits(kCosC2);
    const f32v cos_t = cp * t2 + 1.0f;
    // Quadrants 0..3: (sin, cos) = (s, c), (c, -s), (-s, -c), (-c, s). Odd k swaps; sin is negated when
    // bit 1 of k is set, cos when bits 1 and 0 of k differ. Negation is a sign-bit flip, exactly as -x.
    const u32v kq = angle[g] + 0x100000u;
    const u32v odd = kq << 10;                   // bit 0 of k in the sign bit (other bits garbage)
    const u32v neg_sin = (kq >> 22) << 31;       // bit 1 of k in the sign bit, nothing else
    const u32v neg_cos = neg_sin ^ (odd & 0x80000000u);
    const f32v sin_a = (f32v)((u32v)select_by_sign(odd, sin_t, cos_t) ^ neg_sin);
    const f32v cos_a = (f32v)((u32v)select_by_sign(odd, cos_t, sin_t) ^ neg_cos);
    const f32v zs = sin_a * r[g];
    const f32v zc = cos_a * r[g];
    // Element order per counter: (zs, zc) of lane 2i, then (zs, zc) of lane 2i + 1.
#if FK_LANES == 16
    z[g][0] = FK_SHUFFLE(zs, zc, i32v, 0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12, 28, 13, 29);
    z[g][1] = FK_SHUFFLE(zs, zc, i32v, 2, 18, 3, 19, 6, 22, 7, 23, 10, 26, 11, 27, 14, 30, 15, 31);
#elif FK_LANES == 8
    z[g][0] = FK_SHUFFLE(zs, zc, i32v, 0, 8, 1, 9, 4, 12, 5, 13);
    z[g][1] = FK_SHUFFLE(zs, zc, i32v, 2, 10, 3, 11, 6, 14, 7, 15);
#else
    z[g][0] = FK_SHUFFLE(zs, zc, i32v, 0, 4, 1, 5);
    z[g][1] = FK_SHUFFLE(zs, zc, i32v, 2, 6, 3, 7);
#endif
  }
#undef FK_EACH
}

// ---- accumulation -----------------------------------------------------------------------------

static inline f64q load_acc(const double* p) {
  f64q v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
static inline void store_acc(double* p, f64q v) { std::memcpy(p, &v, sizeof v); }

static inline f64q widen(f32q v) {
#if FK_LANES == 16
  return (f64q)_mm512_cvtps_pd((__m256)v);
#elif FK_LANES == 8
  return (f64q)_mm256_cvtps_pd((__m128)v);
#else
  return __builtin_convertvector(v, f64q);
#endif
}

// acc[j] = acc[j] + scale * (double)z[j] for the group's 2 * kLanes elements; with `first`, acc is
// taken as +0.0 without being read (the reference zeroes it: 0.0 + x, which turns -0 into +0).
template <bool kFirst>
static inline void accumulate_group(double* acc, f64q scale, f32v z_lo, f32v z_hi) {
  constexpr int kParts = 2 * kLanes / kAccLanes;  // 4
  f32q parts[kParts];
  std::memcpy(&parts[0], &z_lo, sizeof z_lo);
  std::memcpy(&parts[kParts / 2], &z_hi, sizeof z_hi);
  for (int i = 0; i < kParts; i++) {
    const f64q base = kFirst ? (f64q){} : load_acc(acc + kAccLanes * i);
    store_acc(acc + kAccLanes * i, base + scale * widen(parts[i]));
  }
}

constexpr int kInterleave = FK_INTERLEAVE;

// acc[0 .. groups * kGroupElements) (+)= scale * z for `groups` groups from Philox counter `counter`.
template <bool kFirst>
static inline void add_seed(double* acc, size_t groups, uint64_t counter, const SeedKeys& keys, f64q scale) {
  size_t g = 0;
  for (; g + kInterleave <= groups; g += kInterleave) {
    f32v z[kInterleave][2];
    gaussian_groups<kInterleave>(counter + g * kGroupCounters, keys, z);
    for (int i = 0; i < kInterleave; i++) {
      accumulate_group<kFirst>(acc + (g + i) * kGroupElements, scale, z[i][0], z[i][1]);
    }
  }
  for (; g < groups; g++) {
    f32v z[1][2];
    gaussian_groups<1>(counter + g * kGroupCounters, keys, z);
    accumulate_group<kFirst>(acc + g * kGroupElements, scale, z[0][0], z[0][1]);
  }
}

// ---- replay over a range --------------------------------------------------------------------------

// Elements per chunk: acc (16 KiB) and the chunk of w stay in L1 while every seed is added.
constexpr size_t kChunk = 2048;
static_assert(kChunk % kGroupElements == 0, "chunks are whole groups");

// w[j] = float32(float64(src[j]) + sum_s scales[s] * z_s[offset + j]) for j in [0, n), the sum taken
// left to right from +0.0 in float64, z_s the Gaussians of key (keys[2s], keys[2s + 1]). src is w itself
// (in place) or an array that does not overlap it. offset + n <= 2^53. Works on whole groups: elements
// before offset / after offset + n in the first / last group are computed and dropped (each element
// depends only on its own counter).
static void replay_range(float* w, const float* src, size_t n, uint64_t offset, const uint32_t* keys,
                         const double* scales, size_t num_seeds) {
  alignas(64) double acc[kChunk];
  SeedKeys seed_keys;
  uint64_t e = offset;
  const uint64_t end = offset + n;
  while (e < end) {
    // This chunk: [e, chunk_end) within one kChunk-aligned window of absolute element indices.
    const uint64_t window_end = (e / kChunk + 1) * kChunk;
    const uint64_t chunk_end = window_end < end ? window_end : end;
    const uint64_t first_group = e / kGroupElements;
    const uint64_t group_end = (chunk_end + kGroupElements - 1) / kGroupElements;
    const size_t groups = (size_t)(group_end - first_group);
    const uint64_t acc_base = first_group * kGroupElements;  // absolute element index of acc[0]
    if (num_seeds == 0) {
      for (size_t j = 0; j < groups * kGroupElements; j++) acc[j] = 0.0;
    }
    for (size_t s = 0; s < num_seeds; s++) {
      make_seed_keys(keys[2 * s], keys[2 * s + 1], seed_keys);
      const f64q scale = (f64q){} + scales[s];
      if (s == 0) {
        add_seed<true>(acc, groups, first_group * kGroupCounters, seed_keys, scale);
      } else {
        add_seed<false>(acc, groups, first_group * kGroupCounters, seed_keys, scale);
      }
    }
    float* wc = w + (e - offset);
    const float* sc = src + (e - offset);
    const double* ac = acc + (e - acc_base);
    const size_t len = (size_t)(chunk_end - e);
    for (size_t j = 0; j < len; j++) wc[j] = (float)((double)sc[j] + ac[j]);
    e = chunk_end;
  }
}

}  // namespace fk

#endif  // FEDKSEED_PERTURB_KERNEL_H
