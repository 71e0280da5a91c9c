/*
** replay.c: the replay buffer of DQN. A ring of transitions in
** structure-of-arrays form, so a sample copies rows straight into the
** shapes a train step feeds. Sampling without replacement is a partial
** Fisher-Yates shuffle of a slot permutation kept in the buffer, so it needs
** no memory of its own and costs O(batch).
*/
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common/nc_alloc.h"
#include "netc.h"
#include "runtime/rl/rl.h"

struct netc_replay {
  int64_t capacity;            /* slots in the ring */
  int state_size;              /* floats per state */
  int64_t size;                /* filled slots: [0, size) */
  int64_t next;                /* the slot the next add writes */
  uint64_t rng;                /* sampling stream */
  float *states;               /* [capacity, state_size] */
  float *next_states;          /* [capacity, state_size] */
  int32_t *actions;            /* [capacity] */
  float *rewards;              /* [capacity] */
  float *dones;                /* [capacity], 0 or 1 */
  int64_t *order;              /* a permutation of the slots whose first
                                  `size` entries are the filled ones */
  char error[RT_RL_ERROR_SIZE]; /* why the last call failed */
};

void netc_replay_destroy(netc_replay *replay) {
  if (!replay) return;
  nc_free(replay->states);
  nc_free(replay->next_states);
  nc_free(replay->actions);
  nc_free(replay->rewards);
  nc_free(replay->dones);
  nc_free(replay->order);
  nc_free(replay);
}

netc_status netc_replay_create(int64_t capacity, int state_size, uint64_t seed,
                               netc_replay **out) {
  if (!out) return NETC_EINVAL;
  *out = NULL;
  if (capacity < 1 || state_size < 1) return NETC_EINVAL;
  if ((uint64_t)capacity > SIZE_MAX / sizeof(float) / (size_t)state_size)
    return NETC_ENOMEM;
  size_t n = (size_t)capacity, rows = n * (size_t)state_size;
  netc_replay *r = nc_calloc(1, sizeof *r);
  if (!r) return NETC_ENOMEM;
  r->capacity = capacity;
  r->state_size = state_size;
  r->rng = rt_rl_seed(seed, RT_RL_STREAM_REPLAY, 0);
  r->states = nc_calloc(rows, sizeof *r->states);
  r->next_states = nc_calloc(rows, sizeof *r->next_states);
  r->actions = nc_calloc(n, sizeof *r->actions);
  r->rewards = nc_calloc(n, sizeof *r->rewards);
  r->dones = nc_calloc(n, sizeof *r->dones);
  r->order = nc_calloc(n, sizeof *r->order);
  if (!r->states || !r->next_states || !r->actions || !r->rewards ||
      !r->dones || !r->order) {
    netc_replay_destroy(r);
    return NETC_ENOMEM;
  }
  /* slots fill in order, so the identity keeps [0, size) filled */
  for (int64_t i = 0; i < capacity; i++) r->order[i] = i;
  *out = r;
  return NETC_OK;
}

const char *netc_replay_error(const netc_replay *replay) {
  return replay ? replay->error : "no replay buffer";
}

int64_t netc_replay_size(const netc_replay *replay) {
  return replay ? replay->size : 0;
}

/* The index of the first non-finite value of v[n], or -1. */
static int first_nonfinite(const float *v, int n) {
  for (int i = 0; i < n; i++)
    if (!isfinite(v[i])) return i;
  return -1;
}

netc_status netc_replay_add(netc_replay *replay, const float *state,
                            int32_t action, float reward,
                            const float *next_state, int done) {
  if (!replay) return NETC_EINVAL;
  if (!state || !next_state)
    return rt_rl_fail(replay->error, NETC_EINVAL, "no state given");
  int d = replay->state_size;
  int bad = first_nonfinite(state, d);
  if (bad >= 0)
    return rt_rl_fail(replay->error, NETC_EINVAL,
                      "state value %d is not a finite number", bad + 1);
  bad = first_nonfinite(next_state, d);
  if (bad >= 0)
    return rt_rl_fail(replay->error, NETC_EINVAL,
                      "next state value %d is not a finite number", bad + 1);
  if (!isfinite(reward))
    return rt_rl_fail(replay->error, NETC_EINVAL,
                      "the reward is not a finite number");
  if (done != 0 && done != 1)
    return rt_rl_fail(replay->error, NETC_EINVAL, "done is %d, not 0 or 1",
                      done);
  int64_t slot = replay->next;
  memcpy(replay->states + slot * d, state, (size_t)d * sizeof *state);
  memcpy(replay->next_states + slot * d, next_state,
         (size_t)d * sizeof *next_state);
  replay->actions[slot] = action;
  replay->rewards[slot] = reward;
  replay->dones[slot] = (float)done;
  replay->next = slot + 1 == replay->capacity ? 0 : slot + 1;
  if (replay->size < replay->capacity) replay->size++;
  replay->error[0] = '\0';
  return NETC_OK;
}

netc_status netc_replay_sample(netc_replay *replay, int batch, float *states,
                               int32_t *actions, float *rewards,
                               float *next_states, float *dones) {
  if (!replay) return NETC_EINVAL;
  if (!states || !actions || !rewards || !next_states || !dones)
    return rt_rl_fail(replay->error, NETC_EINVAL, "an output array is NULL");
  if (batch < 1 || batch > replay->size)
    return rt_rl_fail(replay->error, NETC_EINVAL,
                      "cannot sample %d different transitions from the %lld "
                      "stored",
                      batch, (long long)replay->size);
  int d = replay->state_size;
  int64_t *order = replay->order;
  for (int i = 0; i < batch; i++) {
    /* partial Fisher-Yates: order[i] becomes a uniform pick among the
    ** slots not yet drawn, which sit in order[i, size) */
    int64_t j = i + (int64_t)rt_rl_below(&replay->rng,
                                         (uint64_t)(replay->size - i));
    int64_t slot = order[j];
    order[j] = order[i];
    order[i] = slot;
    memcpy(states + (size_t)i * (size_t)d, replay->states + slot * d,
           (size_t)d * sizeof *states);
    memcpy(next_states + (size_t)i * (size_t)d,
           replay->next_states + slot * d, (size_t)d * sizeof *next_states);
    actions[i] = replay->actions[slot];
    rewards[i] = replay->rewards[slot];
    dones[i] = replay->dones[slot];
  }
  replay->error[0] = '\0';
  return NETC_OK;
}
