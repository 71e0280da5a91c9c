/*
** random.c: counter-based random numbers and dropout. A draw is a pure
** function of (seed, stream, step, index): no generator state, so any
** element can be drawn by any thread in any order, and the backward pass
** of dropout redraws the forward pass's mask instead of storing it.
*/
#include "runtime/kernels/kernels.h"

/* SplitMix64's increment (2^64 / golden ratio) and finalizer: a bijection
** of 64-bit words with full avalanche. */
#define GOLDEN 0x9e3779b97f4a7c15ULL

static uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* The four words are folded in one at a time, each xored into the mixed
** state and offset by a multiple of GOLDEN so zeros do not stay zero.
** For fixed (seed, stream, step) the map from index to the 64-bit word
** is a bijection: no two elements of a tensor share one. The top 24 bits
** / 2^24 give every float in [0, 1) on a 2^-24 grid, exactly. */
static uint64_t stream_state(uint64_t seed, uint64_t stream, uint64_t step) {
  uint64_t h = mix(seed + GOLDEN);
  h = mix(h ^ (stream + 2 * GOLDEN));
  return mix(h ^ (step + 3 * GOLDEN));
}

static float uniform_at(uint64_t state, uint64_t index) {
  return (float)(mix(state ^ (index + 4 * GOLDEN)) >> 40) * (1.0f / 16777216.0f);
}

float rt_uniform(uint64_t seed, uint64_t stream, uint64_t step,
                 uint64_t index) {
  return uniform_at(stream_state(seed, stream, step), index);
}

void rt_uniform_fill(uint64_t seed, uint64_t stream, uint64_t step, uint64_t first,
                     int64_t n, float *out) {
  uint64_t state = stream_state(seed, stream, step);
  for (int64_t i = 0; i < n; i++) out[i] = uniform_at(state, first + (uint64_t)i);
}

/* y[n] = x / (1 - rate) where uniform(seed, key, step, i) >= rate, else 0
** (in place allowed). rate <= 0 keeps everything; rate >= 1 drops all.
** The state of (seed, key, step) is mixed once, not per element. */
void rt_dropout(int64_t n, float rate, uint64_t seed, uint64_t key,
                uint64_t step, uint64_t first, const float *x, float *y) {
  float scale = rate <= 0.0f  ? 1.0f
                : rate < 1.0f ? 1.0f / (1.0f - rate)
                              : 0.0f;
  uint64_t state = stream_state(seed, key, step);
  for (int64_t i = 0; i < n; i++)
    y[i] = uniform_at(state, first + (uint64_t)i) >= rate ? x[i] * scale : 0.0f;
}
