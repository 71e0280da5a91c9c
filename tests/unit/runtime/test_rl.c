/*
** test_rl.c: the RL helpers through the public API (include/netc.h):
**   - CartPole: trajectories equal a plain double-precision transcription of
**     gym's cartpole.py written here, and a few values printed by gym's
**     equations run in Python; termination exactly at the thresholds, the
**     reward of the last step, errors for a bad action, a step before reset
**     and after the end; the 200/500-step limits of v0/v1; resets in
**     [-0.05, 0.05), seeded and depending only on (seed, episode);
**   - the replay buffer: ring order, sampling without replacement, every
**     slot and every pair equally likely (chi-square), determinism, errors;
**   - the epsilon schedule and greedy/random choices; the last-100 average;
**   - the DQN model: its TD loss (target network, gamma, done mask, picked
**     action) against a hand computation from the weights, and a short
**     training run (finite TD loss, sync_target copies bit for bit).
**
** The model is read from $top_srcdir/models (`make check` sets it), else
** from ./models.
**
** To add a test: write `static void test_x(void)` and list it in TESTS at
** the end.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "netc.h"
#include "tests/unit/test_case.h"

enum { DIM = NETC_CARTPOLE_STATE };

/* ----------------------------------------------------- reference CartPole */

/* gym's CartPoleEnv.step, line by line, for the comparison. */
static int reference_step(double s[DIM], int action) {
  const double gravity = 9.8, masscart = 1.0, masspole = 0.1;
  const double total_mass = masspole + masscart, length = 0.5;
  const double polemass_length = masspole * length, force_mag = 10.0;
  const double tau = 0.02;
  const double theta_threshold_radians = 12 * 2 * 3.14159265358979323846 / 360;
  const double x_threshold = 2.4;
  double x = s[0], x_dot = s[1], theta = s[2], theta_dot = s[3];
  double force = action == 1 ? force_mag : -force_mag;
  double costheta = cos(theta), sintheta = sin(theta);
  double temp =
      (force + polemass_length * pow(theta_dot, 2) * sintheta) / total_mass;
  double thetaacc =
      (gravity * sintheta - costheta * temp) /
      (length * (4.0 / 3.0 - masspole * pow(costheta, 2) / total_mass));
  double xacc = temp - polemass_length * thetaacc * costheta / total_mass;
  x = x + tau * x_dot;
  x_dot = x_dot + tau * xacc;
  theta = theta + tau * theta_dot;
  theta_dot = theta_dot + tau * thetaacc;
  s[0] = x;
  s[1] = x_dot;
  s[2] = theta;
  s[3] = theta_dot;
  return x < -x_threshold || x > x_threshold ||
         theta < -theta_threshold_radians || theta > theta_threshold_radians;
}

static netc_env *make_env(const char *id, uint64_t seed) {
  netc_env *env = NULL;
  CU_ASSERT_EQUAL(netc_env_create(id, seed, &env), NETC_OK);
  return env;
}

/* A policy that keeps the pole up for 500 steps from gym's starts: push
** toward where the pole is falling, with a little cart centering. */
static int balance(const double *s) {
  return s[2] + 0.5 * s[3] + 0.01 * s[0] + 0.1 * s[1] > 0;
}

/* -------------------------------------------------------------- CartPole */

/* Values printed by gym's step code (Python floats) from this start. */
static void test_cartpole_known_values(void) {
  static const double start[DIM] = {0.01, -0.02, 0.03, 0.04};
  static const int actions[] = {1, 0, 0, 1, 1, 1, 0, 1, 0, 0};
  static const struct {
    int step;
    double state[DIM];
  } known[] = {
      {1, {0.0096000000000000009, 0.17467919574755525, 0.030799999999999998,
           -0.24306871796000809}},
      {5, {0.0079166125310749496, 0.17298676004769037, 0.035838631046105324,
           -0.20574851582677406}},
      {10, {0.032933837065700737, -0.023799624602329011,
            0.0054623041616948635, 0.12379799946559022}},
  };
  netc_env *env = make_env("CartPole-v0", 0);
  CU_ASSERT_EQUAL_FATAL(netc_env_set_state(env, start), NETC_OK);
  size_t k = 0;
  for (int i = 0; i < 10; i++) {
    double s[DIM], reward = 0;
    int done = 1, truncated = 1;
    CU_ASSERT_EQUAL_FATAL(
        netc_env_step(env, actions[i], s, &reward, &done, &truncated), NETC_OK);
    CU_ASSERT_EQUAL(reward, 1.0);
    CU_ASSERT_FALSE(done);
    CU_ASSERT_FALSE(truncated);
    if (k < sizeof known / sizeof *known && known[k].step == i + 1)
      CU_ASSERT_EQUAL(memcmp(s, known[k++].state, sizeof s), 0);
  }
  CU_ASSERT_EQUAL(k, 3);
  /* always pushing right: the pole falls on step 10, which still pays 1 */
  static const double fallen[DIM] = {0.18148412486073115, 1.9330643896994748,
                                     -0.2235691808247548, -2.984082745435586};
  CU_ASSERT_EQUAL(netc_env_set_state(env, start), NETC_OK);
  double s[DIM], reward = 0;
  int done = 0, steps = 0;
  while (!done && steps < 20) {
    CU_ASSERT_EQUAL_FATAL(netc_env_step(env, 1, s, &reward, &done, NULL), NETC_OK);
    CU_ASSERT_EQUAL(reward, 1.0);
    steps++;
  }
  CU_ASSERT_EQUAL(steps, 10);
  CU_ASSERT_EQUAL(memcmp(s, fallen, sizeof s), 0);
  netc_env_destroy(env);
}

/* Seeded episodes under a pseudo-random action sequence follow the
** reference bit for bit, to and including the terminating step. */
static void test_cartpole_reference_trajectories(void) {
  netc_env *env = make_env("CartPole-v1", 7);
  uint32_t bits = 12345;
  for (int episode = 0; episode < 50; episode++) {
    double s[DIM], ref[DIM];
    CU_ASSERT_EQUAL_FATAL(netc_env_reset(env, s), NETC_OK);
    memcpy(ref, s, sizeof s);
    int done = 0, ref_done = 0, same = 1, steps = 0;
    while (!done && steps < 500) {
      bits = bits * 1103515245u + 12345u;
      /* mostly balancing, sometimes not, so both ends of the track and
      ** both directions of falling come up */
      int action = (bits >> 16) % 4 == 0 ? (int)((bits >> 20) & 1) : balance(ref);
      if (episode % 5 == 0) action = (int)((bits >> 20) & 1);
      CU_ASSERT_EQUAL_FATAL(netc_env_step(env, action, s, NULL, &done, NULL), NETC_OK);
      ref_done = reference_step(ref, action);
      same &= memcmp(s, ref, sizeof s) == 0 && done == ref_done;
      steps++;
    }
    CU_ASSERT(same);
    CU_ASSERT(done || steps == 500);
  }
  netc_env_destroy(env);
}

/* |x| > 2.4 and |theta| > 12 degrees end the episode; the bounds do not. */
static void test_cartpole_thresholds(void) {
  const double limit = 12 * 2 * 3.14159265358979323846 / 360;
  netc_env *env = make_env("CartPole-v0", 0);
  struct {
    double state[DIM];
    int done;
  } cases[] = {
      {{2.4, 0, 0, 0}, 0},              /* exactly on the edge: still in */
      {{-2.4, 0, 0, 0}, 0},
      {{2.39, 1.0, 0, 0}, 1},           /* 2.39 + 0.02 leaves the track */
      {{-2.39, -1.0, 0, 0}, 1},
      {{2.39, 0.4, 0, 0}, 0},           /* 2.398 stays */
      {{0, 0, limit, 0}, 0},            /* on the angle bound: still up */
      {{0, 0, -limit, 0}, 0},
      {{0, 0, limit - 0.001, 0.1}, 1},  /* + 0.002 rad passes it */
      {{0, 0, -limit + 0.001, -0.1}, 1},
      {{0, 0, limit - 0.001, 0.01}, 0}, /* + 0.0002 rad does not */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    double s[DIM], reward = 0;
    int done = -1, truncated = -1;
    CU_ASSERT_EQUAL(netc_env_set_state(env, cases[i].state), NETC_OK);
    CU_ASSERT_EQUAL(netc_env_step(env, 1, s, &reward, &done, &truncated), NETC_OK);
    if (done != cases[i].done) fprintf(stderr, "\nthreshold case %zu\n", i);
    CU_ASSERT_EQUAL(done, cases[i].done);
    CU_ASSERT_EQUAL(truncated, 0);
    CU_ASSERT_EQUAL(reward, 1.0);
  }
  netc_env_destroy(env);
}

static void test_cartpole_errors(void) {
  netc_env *env = NULL;
  CU_ASSERT_EQUAL(netc_env_create("CartPole-v2", 0, &env), NETC_ENOTFOUND);
  CU_ASSERT_PTR_NULL(env);
  CU_ASSERT_EQUAL(netc_env_create(NULL, 0, &env), NETC_EINVAL);
  env = make_env("CartPole-v0", 3);
  double s[DIM] = {0}, t[DIM];
  /* no episode yet */
  CU_ASSERT_EQUAL(netc_env_step(env, 0, s, NULL, NULL, NULL), NETC_ESTATE);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_env_error(env), "reset"));
  CU_ASSERT_EQUAL(netc_env_reset(env, s), NETC_OK);
  CU_ASSERT_STRING_EQUAL(netc_env_error(env), "");
  /* a bad action changes nothing and the episode goes on */
  memcpy(t, s, sizeof s);
  CU_ASSERT_EQUAL(netc_env_step(env, 2, t, NULL, NULL, NULL), NETC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_env_error(env), "action 2"));
  CU_ASSERT_EQUAL(netc_env_step(env, -1, t, NULL, NULL, NULL), NETC_EINVAL);
  CU_ASSERT_EQUAL(memcmp(s, t, sizeof s), 0);
  double ref[DIM];
  memcpy(ref, s, sizeof s);
  reference_step(ref, 0);
  CU_ASSERT_EQUAL(netc_env_step(env, 0, t, NULL, NULL, NULL), NETC_OK);
  CU_ASSERT_EQUAL(memcmp(t, ref, sizeof t), 0);
  /* after the pole falls: refused until a reset, state untouched */
  int done = 0;
  while (!done) CU_ASSERT_EQUAL_FATAL(netc_env_step(env, 0, t, NULL, &done, NULL), NETC_OK);
  memcpy(ref, t, sizeof t);
  CU_ASSERT_EQUAL(netc_env_step(env, 0, t, NULL, &done, NULL), NETC_ESTATE);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_env_error(env), "episode is over"));
  CU_ASSERT_EQUAL(memcmp(t, ref, sizeof t), 0);
  CU_ASSERT_EQUAL(netc_env_reset(env, s), NETC_OK);
  CU_ASSERT_EQUAL(netc_env_step(env, 0, t, NULL, &done, NULL), NETC_OK);
  /* set_state takes finite values only */
  double bad[DIM] = {0, NAN, 0, 0};
  CU_ASSERT_EQUAL(netc_env_set_state(env, bad), NETC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_env_error(env), "finite"));
  netc_env_destroy(env);
  netc_env_destroy(NULL);
}

/* A balancing policy runs into the TimeLimit: exactly 200 steps for v0 and
** 500 for v1, truncated and not done, and then no more steps. */
static void test_cartpole_step_limits(void) {
  static const struct {
    const char *id;
    int limit;
  } envs[] = {{"CartPole-v0", 200}, {"CartPole-v1", 500}};
  for (int e = 0; e < 2; e++) {
    netc_env *env = make_env(envs[e].id, 11);
    for (int episode = 0; episode < 5; episode++) {
      double s[DIM], reward = 0;
      int done = 0, truncated = 0, steps = 0;
      double total = 0;
      CU_ASSERT_EQUAL(netc_env_reset(env, s), NETC_OK);
      while (!done && !truncated) {
        CU_ASSERT_EQUAL_FATAL(netc_env_step(env, balance(s), s, &reward, &done, &truncated),
                              NETC_OK);
        total += reward;
        steps++;
      }
      CU_ASSERT_EQUAL(steps, envs[e].limit);
      CU_ASSERT_EQUAL(total, (double)envs[e].limit);
      CU_ASSERT(truncated && !done);
      CU_ASSERT_EQUAL(netc_env_step(env, 0, s, NULL, NULL, NULL), NETC_ESTATE);
      CU_ASSERT_PTR_NOT_NULL(strstr(netc_env_error(env), "limit"));
    }
    /* set_state starts a fresh episode with a fresh count */
    double s[DIM] = {0, 0, 0, 0};
    CU_ASSERT_EQUAL(netc_env_set_state(env, s), NETC_OK);
    int truncated = 0, steps = 0;
    while (!truncated) {
      CU_ASSERT_EQUAL_FATAL(netc_env_step(env, balance(s), s, NULL, NULL, &truncated), NETC_OK);
      steps++;
    }
    CU_ASSERT_EQUAL(steps, envs[e].limit);
    netc_env_destroy(env);
  }
}

/* Resets draw each value uniformly from [-0.05, 0.05), from (seed, episode)
** alone. */
static void test_cartpole_reset(void) {
  enum { N = 4000 };
  netc_env *a = make_env("CartPole-v0", 42), *b = make_env("CartPole-v1", 42);
  netc_env *c = make_env("CartPole-v0", 43);
  double lo[DIM], hi[DIM], sum[DIM] = {0};
  int differs = 0;
  for (int k = 0; k < DIM; k++) lo[k] = hi[k] = 0;
  for (int i = 0; i < N; i++) {
    double sa[DIM], sb[DIM], sc[DIM];
    CU_ASSERT_EQUAL(netc_env_reset(a, sa), NETC_OK);
    CU_ASSERT_EQUAL(netc_env_reset(b, sb), NETC_OK);
    CU_ASSERT_EQUAL(netc_env_reset(c, sc), NETC_OK);
    CU_ASSERT_EQUAL(memcmp(sa, sb, sizeof sa), 0);
    differs += memcmp(sa, sc, sizeof sa) != 0;
    for (int k = 0; k < DIM; k++) {
      CU_ASSERT(sa[k] >= -0.05 && sa[k] < 0.05);
      lo[k] = fmin(lo[k], sa[k]);
      hi[k] = fmax(hi[k], sa[k]);
      sum[k] += sa[k];
    }
    /* steps and set_state in between do not move later resets */
    if (i % 3 == 0) {
      CU_ASSERT_EQUAL(netc_env_step(a, 1, sa, NULL, NULL, NULL), NETC_OK);
      CU_ASSERT_EQUAL(netc_env_set_state(a, sb), NETC_OK);
    }
  }
  CU_ASSERT_EQUAL(differs, N);
  for (int k = 0; k < DIM; k++) {
    CU_ASSERT(lo[k] < -0.049 && hi[k] > 0.049);
    /* the mean of N uniforms on [-0.05, 0.05) has sd 0.029 / sqrt(N) */
    CU_ASSERT(fabs(sum[k] / N) < 5 * 0.0289 / sqrt(N));
  }
  netc_env_destroy(a);
  netc_env_destroy(b);
  netc_env_destroy(c);
}

/* ---------------------------------------------------------- replay buffer */

enum { SDIM = 3 };

/* Transition i: states (i, i + 0.25, i + 0.5), next states + 100, action
** i % 2, reward i, done when i % 3 == 0. */
static void add_transition(netc_replay *r, int i) {
  float s[SDIM] = {(float)i, i + 0.25f, i + 0.5f};
  float n[SDIM] = {i + 100.0f, i + 100.25f, i + 100.5f};
  CU_ASSERT_EQUAL(netc_replay_add(r, s, i % 2, (float)i, n, i % 3 == 0), NETC_OK);
}

typedef struct batch {
  float states[64 * SDIM], next[64 * SDIM], rewards[64], dones[64];
  int32_t actions[64];
} batch;

static netc_status sample(netc_replay *r, int n, batch *b) {
  return netc_replay_sample(r, n, b->states, b->actions, b->rewards, b->next, b->dones);
}

/* Each row of a sample is one whole transition. */
static int rows_consistent(const batch *b, int n) {
  for (int k = 0; k < n; k++) {
    int i = (int)b->rewards[k];
    if (b->states[k * SDIM] != (float)i || b->states[k * SDIM + 2] != i + 0.5f ||
        b->next[k * SDIM + 1] != i + 100.25f || b->actions[k] != i % 2 ||
        b->dones[k] != (float)(i % 3 == 0))
      return 0;
  }
  return 1;
}

static void test_replay_ring(void) {
  netc_replay *r = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_replay_create(5, SDIM, 1, &r), NETC_OK);
  CU_ASSERT_EQUAL(netc_replay_size(r), 0);
  batch b;
  CU_ASSERT_EQUAL(sample(r, 1, &b), NETC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_replay_error(r), "stored"));
  for (int i = 0; i < 8; i++) {
    add_transition(r, i);
    CU_ASSERT_EQUAL(netc_replay_size(r), i < 5 ? i + 1 : 5);
  }
  /* the oldest three were overwritten: the whole buffer is 3..7 */
  for (int round = 0; round < 20; round++) {
    CU_ASSERT_EQUAL_FATAL(sample(r, 5, &b), NETC_OK);
    int seen = 0;
    for (int k = 0; k < 5; k++) seen |= 1 << (int)b.rewards[k];
    CU_ASSERT_EQUAL(seen, 0xf8);
    CU_ASSERT(rows_consistent(&b, 5));
  }
  CU_ASSERT_EQUAL(sample(r, 6, &b), NETC_EINVAL);
  CU_ASSERT_EQUAL(sample(r, 0, &b), NETC_EINVAL);
  netc_replay_destroy(r);
}

/* Without replacement: no duplicates within a batch, and every slot (and
** every pair of slots) comes up equally often. */
static void test_replay_uniform(void) {
  enum { CAP = 10, DRAWS = 20000, PAIRS = CAP * (CAP - 1) / 2 };
  netc_replay *r = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_replay_create(CAP, SDIM, 9, &r), NETC_OK);
  for (int i = 0; i < 25; i++) add_transition(r, i); /* slots hold 15..24 */
  int single[CAP] = {0}, pair[CAP][CAP];
  memset(pair, 0, sizeof pair);
  int duplicates = 0, consistent = 1;
  batch b;
  for (int d = 0; d < DRAWS; d++) {
    CU_ASSERT_EQUAL_FATAL(sample(r, 3, &b), NETC_OK);
    int x = (int)b.rewards[0] - 15, y = (int)b.rewards[1] - 15, z = (int)b.rewards[2] - 15;
    duplicates += x == y || y == z || x == z;
    single[x]++;
    single[y]++;
    single[z]++;
    consistent &= rows_consistent(&b, 3);
  }
  CU_ASSERT_EQUAL(duplicates, 0);
  CU_ASSERT(consistent);
  /* chi-square with 9 degrees of freedom: 27.9 is its 0.999 quantile */
  double expect = 3.0 * DRAWS / CAP, chi = 0;
  for (int i = 0; i < CAP; i++) chi += pow(single[i] - expect, 2) / expect;
  CU_ASSERT(chi < 27.9);
  /* pairs: batch 2, 44 degrees of freedom, 0.999 quantile 78.7 */
  for (int d = 0; d < DRAWS; d++) {
    CU_ASSERT_EQUAL_FATAL(sample(r, 2, &b), NETC_OK);
    int x = (int)b.rewards[0] - 15, y = (int)b.rewards[1] - 15;
    pair[x < y ? x : y][x < y ? y : x]++;
  }
  expect = (double)DRAWS / PAIRS;
  chi = 0;
  for (int i = 0; i < CAP; i++)
    for (int j = i + 1; j < CAP; j++) chi += pow(pair[i][j] - expect, 2) / expect;
  CU_ASSERT(chi < 78.7);
  netc_replay_destroy(r);
}

static void test_replay_seeded(void) {
  netc_replay *a = NULL, *b = NULL, *c = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_replay_create(100, SDIM, 5, &a), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_replay_create(100, SDIM, 5, &b), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_replay_create(100, SDIM, 6, &c), NETC_OK);
  for (int i = 0; i < 150; i++) {
    add_transition(a, i);
    add_transition(b, i);
    add_transition(c, i);
  }
  static batch ba, bb, bc;
  int same = 1, other = 0;
  for (int round = 0; round < 10; round++) {
    CU_ASSERT_EQUAL(sample(a, 64, &ba), NETC_OK);
    CU_ASSERT_EQUAL(sample(b, 64, &bb), NETC_OK);
    CU_ASSERT_EQUAL(sample(c, 64, &bc), NETC_OK);
    same &= memcmp(&ba, &bb, sizeof ba) == 0;
    other += memcmp(ba.rewards, bc.rewards, sizeof ba.rewards) != 0;
  }
  CU_ASSERT(same);
  CU_ASSERT_EQUAL(other, 10);
  netc_replay_destroy(a);
  netc_replay_destroy(b);
  netc_replay_destroy(c);
}

static void test_replay_errors(void) {
  netc_replay *r = NULL;
  CU_ASSERT_EQUAL(netc_replay_create(0, 4, 0, &r), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_replay_create(10, 0, 0, &r), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_replay_create(INT64_MAX, 4, 0, &r), NETC_ENOMEM);
  CU_ASSERT_PTR_NULL(r);
  CU_ASSERT_EQUAL_FATAL(netc_replay_create(4, 2, 0, &r), NETC_OK);
  float s[2] = {0, 1}, n[2] = {INFINITY, 0};
  CU_ASSERT_EQUAL(netc_replay_add(r, s, 0, 1, n, 0), NETC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_replay_error(r), "next state value 1"));
  CU_ASSERT_EQUAL(netc_replay_add(r, s, 0, NAN, s, 0), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_replay_add(r, s, 0, 1, s, 2), NETC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_replay_error(r), "done"));
  CU_ASSERT_EQUAL(netc_replay_size(r), 0);
  CU_ASSERT_EQUAL(netc_replay_add(r, s, 0, 1, s, 1), NETC_OK);
  CU_ASSERT_STRING_EQUAL(netc_replay_error(r), "");
  netc_replay_destroy(r);
  netc_replay_destroy(NULL);
}

/* --------------------------------------------------------- epsilon-greedy */

static void test_explore_schedule(void) {
  netc_explore *e = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_explore_create(1.0, 0.1, 10, 3, &e), NETC_OK);
  const float q[2] = {0, 1};
  for (int t = 0; t <= 12; t++) {
    double want = t < 10 ? 1.0 - 0.09 * t : 0.1;
    CU_ASSERT(fabs(netc_explore_epsilon(e) - want) < 1e-12);
    int a = -1;
    CU_ASSERT_EQUAL(netc_explore_select(e, q, 2, &a), NETC_OK);
    CU_ASSERT(a == 0 || a == 1);
  }
  netc_explore_destroy(e);
  /* no decay: the end value from the start */
  CU_ASSERT_EQUAL_FATAL(netc_explore_create(1.0, 0.25, 0, 3, &e), NETC_OK);
  CU_ASSERT_EQUAL(netc_explore_epsilon(e), 0.25);
  netc_explore_destroy(e);
  CU_ASSERT_EQUAL(netc_explore_create(1.5, 0.1, 10, 0, &e), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_explore_create(1.0, -0.1, 10, 0, &e), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_explore_create(1.0, 0.1, -1, 0, &e), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_explore_create(NAN, 0.1, 10, 0, &e), NETC_EINVAL);
  CU_ASSERT_PTR_NULL(e);
}

static void test_explore_choices(void) {
  enum { N = 30000 };
  netc_explore *greedy = NULL, *random = NULL, *mixed = NULL, *twin = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_explore_create(0, 0, 0, 1, &greedy), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_explore_create(1, 1, 0, 1, &random), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_explore_create(0.3, 0.3, 0, 2, &mixed), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_explore_create(0.3, 0.3, 0, 2, &twin), NETC_OK);
  const float q[3] = {0.5f, 2.0f, 2.0f}; /* a tie: the first wins */
  int counts[3] = {0}, best = 0, random_counts[3] = {0}, same = 1;
  for (int i = 0; i < N; i++) {
    int a, b, c, d;
    CU_ASSERT_EQUAL(netc_explore_select(greedy, q, 3, &a), NETC_OK);
    CU_ASSERT_EQUAL(netc_explore_select(random, q, 3, &b), NETC_OK);
    CU_ASSERT_EQUAL(netc_explore_select(mixed, q, 3, &c), NETC_OK);
    CU_ASSERT_EQUAL(netc_explore_select(twin, q, 3, &d), NETC_OK);
    best += a == 1;
    random_counts[b]++;
    counts[c]++;
    same &= c == d;
  }
  CU_ASSERT_EQUAL(best, N);
  CU_ASSERT(same);
  /* binomial sd is below 0.003 N; allow 5 sd */
  for (int a = 0; a < 3; a++) CU_ASSERT(fabs(random_counts[a] / (double)N - 1.0 / 3) < 0.015);
  /* epsilon 0.3: action 1 greedily 0.7, and 0.1 for each by chance */
  CU_ASSERT(fabs(counts[1] / (double)N - 0.8) < 0.015);
  CU_ASSERT(fabs(counts[0] / (double)N - 0.1) < 0.015);
  int a = 0;
  CU_ASSERT_EQUAL(netc_explore_select(greedy, q, 0, &a), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_explore_select(greedy, NULL, 3, &a), NETC_EINVAL);
  netc_explore_destroy(greedy);
  netc_explore_destroy(random);
  netc_explore_destroy(mixed);
  netc_explore_destroy(twin);
}

/* ----------------------------------------------------- episode statistics */

static void test_episode_stats(void) {
  netc_episode_stats *s = NULL;
  CU_ASSERT_EQUAL(netc_episode_stats_create(0, &s), NETC_EINVAL);
  CU_ASSERT_EQUAL_FATAL(netc_episode_stats_create(100, &s), NETC_OK);
  CU_ASSERT_EQUAL(netc_episode_stats_count(s), 0);
  CU_ASSERT_EQUAL(netc_episode_stats_average(s), 0);
  netc_episode_stats_add(s, 10);
  netc_episode_stats_add(s, 20);
  CU_ASSERT_EQUAL(netc_episode_stats_average(s), 15);
  for (int i = 3; i <= 150; i++) netc_episode_stats_add(s, i);
  /* the last 100 are 51..150 */
  CU_ASSERT_EQUAL(netc_episode_stats_count(s), 150);
  CU_ASSERT_EQUAL(netc_episode_stats_average(s), 100.5);
  for (int i = 0; i < 100; i++) netc_episode_stats_add(s, 200);
  CU_ASSERT_EQUAL(netc_episode_stats_average(s), 200);
  netc_episode_stats_add(s, 100);
  CU_ASSERT_EQUAL(netc_episode_stats_average(s), 199);
  netc_episode_stats_destroy(s);
}

/* -------------------------------------------------------------- the model */

static netc_model *compile_dqn(void) {
  char path[1024];
  const char *top = getenv("top_srcdir");
  snprintf(path, sizeof path, "%s/models/cartpole_dqn.net", top && *top ? top : ".");
  netc_model *m = NULL;
  netc_status st = netc_model_compile_file(path, NULL, &m);
  if (st != NETC_OK) fprintf(stderr, "\n%s: %s\n", path, netc_status_name(st));
  return m;
}

static netc_feed feed(const char *name, netc_dtype dtype, void *data, int rank, int64_t rows) {
  netc_feed f;
  memset(&f, 0, sizeof f);
  f.name = name;
  f.tensor.dtype = dtype;
  f.tensor.rank = rank;
  f.tensor.dims[0] = rows;
  f.tensor.dims[1] = DIM;
  f.tensor.data = data;
  return f;
}

/* The weights of the Q network's weight set `set`. */
typedef struct qnet {
  float k0[4 * 16], b0[16], k1[16 * 16], b1[16], k2[16 * 2], b2[2];
} qnet;

static void qnet_get(const netc_session *s, const char *set, qnet *w) {
  static const char *const names[] = {"dense/kernel", "dense/bias", "dense_1/kernel",
                                      "dense_1/bias", "dense_2/kernel", "dense_2/bias"};
  float *dst[] = {w->k0, w->b0, w->k1, w->b1, w->k2, w->b2};
  const int64_t counts[] = {4 * 16, 16, 16 * 16, 16, 16 * 2, 2};
  for (int i = 0; i < 6; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s/%s", set, names[i]);
    CU_ASSERT_EQUAL(netc_session_get_weight(s, name, dst[i], counts[i]), NETC_OK);
  }
}

/* One dense layer in double: y[out] = x[in] W[in, out] + b, relu or not. */
static void dense(const double *x, int in, const float *w, const float *b, int out, int relu,
                  double *y) {
  for (int j = 0; j < out; j++) {
    double sum = b[j];
    for (int i = 0; i < in; i++) sum += x[i] * w[i * out + j];
    y[j] = relu && sum < 0 ? 0 : sum;
  }
}

static void qnet_eval(const qnet *w, const float *state, double q[2]) {
  double x[DIM], h0[16], h1[16];
  for (int k = 0; k < DIM; k++) x[k] = state[k];
  dense(x, 4, w->k0, w->b0, 16, 1, h0);
  dense(h0, 16, w->k1, w->b1, 16, 1, h1);
  dense(h1, 16, w->k2, w->b2, 2, 0, q);
}

/* y = r + 0.99 (1 - done) max_a Q_target(s', a), and the loss is the MSE
** of Q_online(s, a) against it, both worked out here from the weights. */
static void test_dqn_td_target(void) {
  enum { B = 6 };
  netc_model *m = compile_dqn();
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session_options opt = {3, B, 1};
  netc_session *s = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, &opt, &s), NETC_OK);
  float state[B * DIM], next[B * DIM], reward[B], done[B];
  int32_t action[B];
  for (int i = 0; i < B * DIM; i++) {
    state[i] = (float)sin(i * 1.7) * 0.5f;
    next[i] = (float)cos(i * 0.9) * 0.5f;
  }
  for (int i = 0; i < B; i++) {
    reward[i] = i == 2 ? -1.0f : 1.0f;
    done[i] = (float)(i % 3 == 0);
    action[i] = i % 2;
  }
  netc_feed in[] = {
      feed("state", NETC_F32, state, 2, B),          feed("next_state", NETC_F32, next, 2, B),
      feed("action", NETC_I32, action, 1, B),        feed("reward", NETC_F32, reward, 1, B),
      feed("done", NETC_F32, done, 1, B),
  };
  static qnet online, target;
  qnet_get(s, "online", &online);
  qnet_get(s, "target", &target);
  const char *fetch[] = {"td"};
  netc_tensor out;
  CU_ASSERT_EQUAL_FATAL(netc_session_run(s, "evaluate", in, 5, fetch, 1, &out), NETC_OK);
  double loss = 0;
  for (int i = 0; i < B; i++) {
    double q[2], qn[2];
    qnet_eval(&online, state + i * DIM, q);
    qnet_eval(&target, next + i * DIM, qn);
    double y = reward[i] + 0.99 * (1 - done[i]) * fmax(qn[0], qn[1]);
    loss += pow(q[action[i]] - y, 2) / B;
  }
  CU_ASSERT(fabs(*(float *)out.data - loss) < 1e-5 * (1 + loss));
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* A short DQN run with the helpers: the TD loss stays finite, training
** moves only the online weights, and sync_target makes the sets equal. */
static void test_dqn_smoke(void) {
  enum { B = 32, STEPS = 3000, WARMUP = 200, SYNC = 250 };
  netc_model *m = compile_dqn();
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session_options opt = {1, B, 1};
  netc_session *s = NULL;
  netc_env *env = make_env("CartPole-v0", 1);
  netc_replay *replay = NULL;
  netc_explore *explore = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, &opt, &s), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_replay_create(5000, DIM, 1, &replay), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_explore_create(1.0, 0.05, 2000, 1, &explore), NETC_OK);
  static float states[B * DIM], next[B * DIM], rewards[B], dones[B];
  static int32_t actions[B];
  netc_feed in[] = {
      feed("state", NETC_F32, states, 2, B),   feed("next_state", NETC_F32, next, 2, B),
      feed("action", NETC_I32, actions, 1, B), feed("reward", NETC_F32, rewards, 1, B),
      feed("done", NETC_F32, dones, 1, B),
  };
  static qnet online, target, target_before;
  double s0[DIM], s1[DIM], reward = 0;
  int done = 1, truncated = 0, finite = 1, trained = 0, synced = 0;
  for (int t = 1; t <= STEPS; t++) {
    if (done || truncated) CU_ASSERT_EQUAL_FATAL(netc_env_reset(env, s0), NETC_OK);
    float f0[DIM], f1[DIM];
    for (int k = 0; k < DIM; k++) f0[k] = (float)s0[k];
    netc_feed one = feed("state", NETC_F32, f0, 2, 1);
    const char *fq[] = {"q"}, *ftd[] = {"td"};
    netc_tensor q, td;
    int a = 0;
    CU_ASSERT_EQUAL_FATAL(netc_session_run(s, "predict", &one, 1, fq, 1, &q), NETC_OK);
    CU_ASSERT_EQUAL_FATAL(netc_explore_select(explore, q.data, 2, &a), NETC_OK);
    CU_ASSERT_EQUAL_FATAL(netc_env_step(env, a, s1, &reward, &done, &truncated), NETC_OK);
    for (int k = 0; k < DIM; k++) f1[k] = (float)s1[k];
    CU_ASSERT_EQUAL_FATAL(netc_replay_add(replay, f0, a, (float)reward, f1, done), NETC_OK);
    memcpy(s0, s1, sizeof s0);
    if (netc_replay_size(replay) >= WARMUP) {
      CU_ASSERT_EQUAL_FATAL(netc_replay_sample(replay, B, states, actions, rewards, next, dones),
                            NETC_OK);
      CU_ASSERT_EQUAL_FATAL(netc_session_run(s, "train", in, 5, ftd, 1, &td), NETC_OK);
      finite &= isfinite(*(float *)td.data);
      trained++;
    }
    if (t % SYNC == 0) {
      qnet_get(s, "target", &target_before);
      CU_ASSERT_EQUAL_FATAL(netc_session_run(s, "sync_target", NULL, 0, NULL, 0, NULL), NETC_OK);
      qnet_get(s, "online", &online);
      qnet_get(s, "target", &target);
      CU_ASSERT_EQUAL(memcmp(&online, &target, sizeof online), 0);
      /* the copy changed the target: training had moved online away */
      if (trained > 0) CU_ASSERT_NOT_EQUAL(memcmp(&target, &target_before, sizeof target), 0);
      synced++;
    }
  }
  CU_ASSERT(finite);
  CU_ASSERT_EQUAL(trained, STEPS - WARMUP + 1);
  CU_ASSERT_EQUAL(synced, STEPS / SYNC);
  netc_explore_destroy(explore);
  netc_replay_destroy(replay);
  netc_env_destroy(env);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

static const test_case TESTS[] = {
    {"CartPole: values from gym's equations", test_cartpole_known_values},
    {"CartPole: trajectories equal the reference", test_cartpole_reference_trajectories},
    {"CartPole: termination thresholds", test_cartpole_thresholds},
    {"CartPole: bad action, step before reset and after the end", test_cartpole_errors},
    {"CartPole: v0 and v1 step limits", test_cartpole_step_limits},
    {"CartPole: reset distribution and seeding", test_cartpole_reset},
    {"replay: ring order and whole rows", test_replay_ring},
    {"replay: no duplicates, uniform slots and pairs", test_replay_uniform},
    {"replay: seeded sampling", test_replay_seeded},
    {"replay: argument errors", test_replay_errors},
    {"explore: linear epsilon schedule", test_explore_schedule},
    {"explore: greedy, random and mixed choices", test_explore_choices},
    {"episode statistics: last-100 average", test_episode_stats},
    {"DQN: TD loss equals a hand computation", test_dqn_td_target},
    {"DQN: short training run and sync_target", test_dqn_smoke},
    {0, 0},
};

#include "tests/unit/cunit_main.h"
