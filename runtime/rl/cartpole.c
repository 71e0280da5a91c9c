/*
** cartpole.c: gym's CartPole-v0 and CartPole-v1 (classic_control/
** cartpole.py with the TimeLimit wrapper), in double precision. The step
** evaluates gym's expressions in gym's order, term by term, so a
** trajectory matches gym's float64 one; the library is built as ISO C,
** where GCC does not fuse a*b+c into one rounding.
*/
#include <math.h>
#include <string.h>

#include "common/nc_alloc.h"
#include "netc.h"
#include "runtime/rl/rl.h"

/* gym's constants, under gym's names. */
#define GRAVITY 9.8
#define MASSCART 1.0
#define MASSPOLE 0.1
#define TOTAL_MASS (MASSPOLE + MASSCART)
#define LENGTH 0.5 /* half the pole's length */
#define POLEMASS_LENGTH (MASSPOLE * LENGTH)
#define FORCE_MAG 10.0
#define TAU 0.02 /* seconds between state updates */
#define PI 3.14159265358979323846 /* math.pi; ISO C has no M_PI */
#define THETA_THRESHOLD (12 * 2 * PI / 360)
#define X_THRESHOLD 2.4
#define RESET_BOUND 0.05 /* reset draws each value in [-0.05, 0.05) */

typedef enum env_phase {
  ENV_NEW,        /* no episode started yet */
  ENV_RUNNING,    /* steps allowed */
  ENV_TERMINATED, /* the pole fell or the cart left the track */
  ENV_TRUNCATED   /* the step limit was reached */
} env_phase;

/* The registered ids and their TimeLimit. */
static const struct {
  const char *id;
  int max_steps;
} ENVS[] = {{"CartPole-v0", 200}, {"CartPole-v1", 500}};

struct netc_env {
  const char *id;                    /* "CartPole-v0" or "CartPole-v1" */
  int max_steps;                     /* the TimeLimit */
  uint64_t seed;                     /* from netc_env_create */
  uint64_t resets;                   /* episodes started by netc_env_reset */
  double state[NETC_CARTPOLE_STATE]; /* x, x_dot, theta, theta_dot */
  int steps;                         /* steps taken in this episode */
  env_phase phase;                   /* whether a step is allowed */
  char error[RT_RL_ERROR_SIZE];      /* why the last call failed */
};

netc_status netc_env_create(const char *id, uint64_t seed, netc_env **out) {
  if (!out) return NETC_EINVAL;
  *out = NULL;
  if (!id) return NETC_EINVAL;
  for (size_t i = 0; i < sizeof ENVS / sizeof *ENVS; i++) {
    if (strcmp(id, ENVS[i].id) != 0) continue;
    netc_env *env = nc_calloc(1, sizeof *env);
    if (!env) return NETC_ENOMEM;
    env->id = ENVS[i].id;
    env->max_steps = ENVS[i].max_steps;
    env->seed = seed;
    env->phase = ENV_NEW;
    *out = env;
    return NETC_OK;
  }
  return NETC_ENOTFOUND;
}

void netc_env_destroy(netc_env *env) { nc_free(env); }

const char *netc_env_error(const netc_env *env) {
  return env ? env->error : "no environment";
}

static void start_episode(netc_env *env, const double *state) {
  memcpy(env->state, state, sizeof env->state);
  env->steps = 0;
  env->phase = ENV_RUNNING;
  env->error[0] = '\0';
}

netc_status netc_env_reset(netc_env *env, double *state) {
  if (!env) return NETC_EINVAL;
  if (!state) return rt_rl_fail(env->error, NETC_EINVAL, "no array for the state");
  uint64_t rng = rt_rl_seed(env->seed, RT_RL_STREAM_RESET, env->resets++);
  double start[NETC_CARTPOLE_STATE];
  for (int i = 0; i < NETC_CARTPOLE_STATE; i++)
    start[i] = -RESET_BOUND + 2 * RESET_BOUND * rt_rl_uniform(&rng);
  start_episode(env, start);
  memcpy(state, start, sizeof start);
  return NETC_OK;
}

netc_status netc_env_set_state(netc_env *env, const double *state) {
  if (!env) return NETC_EINVAL;
  if (!state) return rt_rl_fail(env->error, NETC_EINVAL, "no state given");
  for (int i = 0; i < NETC_CARTPOLE_STATE; i++)
    if (!isfinite(state[i]))
      return rt_rl_fail(env->error, NETC_EINVAL,
                        "state value %d is not a finite number", i + 1);
  start_episode(env, state);
  return NETC_OK;
}

/* Why stepping is refused in the current phase. */
static netc_status refuse_step(netc_env *env) {
  const double *s = env->state;
  if (env->phase == ENV_NEW)
    return rt_rl_fail(env->error, NETC_ESTATE,
                      "no episode started: reset the environment first");
  if (env->phase == ENV_TRUNCATED)
    return rt_rl_fail(env->error, NETC_ESTATE,
                      "the episode is over: it reached the %d-step limit of "
                      "%s; reset the environment first",
                      env->max_steps, env->id);
  int cart_out = s[0] < -X_THRESHOLD || s[0] > X_THRESHOLD;
  return rt_rl_fail(env->error, NETC_ESTATE,
                    "the episode is over: %s at step %d; reset the "
                    "environment first",
                    cart_out ? "the cart left the track (|x| > 2.4)"
                             : "the pole fell (|theta| > 12 degrees)",
                    env->steps);
}

netc_status netc_env_step(netc_env *env, int action, double *next_state,
                          double *reward, int *done, int *truncated) {
  if (!env) return NETC_EINVAL;
  if (action != 0 && action != 1)
    return rt_rl_fail(env->error, NETC_EINVAL,
                      "action %d is not 0 (push left) or 1 (push right)",
                      action);
  if (env->phase != ENV_RUNNING) return refuse_step(env);

  double x = env->state[0], x_dot = env->state[1];
  double theta = env->state[2], theta_dot = env->state[3];
  double force = action == 1 ? FORCE_MAG : -FORCE_MAG;
  double costheta = cos(theta);
  double sintheta = sin(theta);
  double temp =
      (force + POLEMASS_LENGTH * (theta_dot * theta_dot) * sintheta) /
      TOTAL_MASS;
  double thetaacc =
      (GRAVITY * sintheta - costheta * temp) /
      (LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / TOTAL_MASS));
  double xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS;
  /* 'euler': positions move with the old velocities */
  x = x + TAU * x_dot;
  x_dot = x_dot + TAU * xacc;
  theta = theta + TAU * theta_dot;
  theta_dot = theta_dot + TAU * thetaacc;
  env->state[0] = x;
  env->state[1] = x_dot;
  env->state[2] = theta;
  env->state[3] = theta_dot;

  int terminated = x < -X_THRESHOLD || x > X_THRESHOLD ||
                   theta < -THETA_THRESHOLD || theta > THETA_THRESHOLD;
  /* TimeLimit truncates at the limit whether or not the step terminated */
  int limit = ++env->steps >= env->max_steps;
  env->phase = terminated ? ENV_TERMINATED
               : limit    ? ENV_TRUNCATED
                          : ENV_RUNNING;
  env->error[0] = '\0';
  if (next_state) memcpy(next_state, env->state, sizeof env->state);
  if (reward) *reward = 1.0;
  if (done) *done = terminated;
  if (truncated) *truncated = limit;
  return NETC_OK;
}
