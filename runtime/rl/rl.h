/*
** rl.h: what the RL helpers (cartpole.c, replay.c, explore.c) share: a
** small seeded generator and the error message of a handle.
*/
#ifndef RT_RL_H
#define RT_RL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "netc.h"

enum { RT_RL_ERROR_SIZE = 256 }; /* bytes of a handle's error message */

/* Streams: each kind of object mixes its own into the caller's seed, so an
** environment, a buffer and an explorer given one seed draw unrelated
** numbers. */
enum {
  RT_RL_STREAM_RESET = 1,   /* CartPole episode starts */
  RT_RL_STREAM_REPLAY = 2,  /* replay sampling */
  RT_RL_STREAM_EXPLORE = 3  /* epsilon-greedy draws */
};

/* SplitMix64's finalizer: a bijection of 64-bit words, full avalanche. */
static inline uint64_t rt_rl_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* A generator state from (seed, stream, index); the golden-ratio offsets
** keep all-zero inputs from mapping to zero. */
static inline uint64_t rt_rl_seed(uint64_t seed, uint64_t stream,
                                  uint64_t index) {
  uint64_t h = rt_rl_mix(seed + 0x9e3779b97f4a7c15ULL);
  h = rt_rl_mix(h ^ (stream + 2 * 0x9e3779b97f4a7c15ULL));
  return rt_rl_mix(h ^ (index + 3 * 0x9e3779b97f4a7c15ULL));
}

/* SplitMix64: the next 64-bit word of the stream in *state. */
static inline uint64_t rt_rl_next(uint64_t *state) {
  return rt_rl_mix(*state += 0x9e3779b97f4a7c15ULL);
}

/* Uniform in [0, 1) on the 2^-53 grid: every double there equally likely. */
static inline double rt_rl_uniform(uint64_t *state) {
  return (double)(rt_rl_next(state) >> 11) * 0x1p-53;
}

/* Uniform in [0, n), n >= 1, without modulo bias: words from the short
** tail of the 64-bit range are drawn again. */
static inline uint64_t rt_rl_below(uint64_t *state, uint64_t n) {
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t r;
  do r = rt_rl_next(state);
  while (r >= limit);
  return r % n;
}

/* Writes a message into a handle's error buffer and returns `status`. */
static inline netc_status rt_rl_fail(char *error, netc_status status,
                                     const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline netc_status rt_rl_fail(char *error, netc_status status,
                                     const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(error, RT_RL_ERROR_SIZE, fmt, ap);
  va_end(ap);
  return status;
}

#endif
