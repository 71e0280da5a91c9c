/*
** cartpole_dqn.c: deep Q-learning on gym's CartPole with libnetc, using
** netc.h only. models/cartpole_dqn.net holds the Q network (16-16-2), its
** online and target weight sets, the TD target and its loss, Adam (lr
** 0.01) and the `sync_target` step. This program runs the seed workflow's
** loop, Keras style:
**
**   - episode k (from 0) acts epsilon-greedily with
**     epsilon = max(0.1, 0.7 * 0.985^k);
**   - each transition goes into a replay ring of 1000, its reward replaced
**     by -100 when the pole falls (termination, not the step limit);
**   - after each episode one sample of 128 transitions is fitted as 4
**     minibatches of 32, one train step each (--minibatch 128: the single
**     step of the TF1 version);
**   - the TD target comes from the target weights, copied from the online
**     ones before the fit of every N-th episode (--target-sync N, counted
**     in episodes). 1 is Keras's own update: the targets of the whole
**     sample come from the network as it was before the fit. 0 copies
**     before every train step, so the target network is the online one.
**     The default, 5, is not the workflow's but the one choice it leaves
**     open: over seeds 0..299 it solves 286 with median episode 344,
**     where 1 solves 293 with median 398 (seeds 0..9: 10 with median 357,
**     against 10 with median 433).
**
**   examples/cartpole_dqn [MODEL] [--seed S] [--episodes N] [--v1]
**       [--epsilon-start E] [--epsilon-decay D] [--epsilon-min E]
**       [--replay N] [--sample N] [--minibatch N] [--target-sync N]
**       [--threads T] [--no-stop] [--quiet]
**
** Solved: the last-100 average return exceeds 195 (475 for v1). Exit
** status: 0 when solved, 1 when not solved in time or on an error, 2 on a
** usage error.
*/
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netc.h"

enum {
  WINDOW = 100,           /* episodes in the solved average */
  LOG_EVERY = 20,         /* episodes between log lines */
  MAX_EPISODES = 1000000, /* the largest --episodes */
  STATE = NETC_CARTPOLE_STATE
};
static const double FALL_REWARD = -100; /* replaces a fall's reward */

typedef struct options {
  const char *model;     /* the .net file */
  long long seed;        /* every generator: weights, env, replay, epsilon */
  long long episodes;    /* episode budget */
  double epsilon_start;  /* epsilon of episode 0 */
  double epsilon_decay;  /* factor per episode */
  double epsilon_min;    /* floor */
  long long replay;      /* replay capacity */
  long long sample;      /* transitions drawn after each episode */
  long long minibatch;   /* rows per train step within the sample */
  long long target_sync; /* episodes between target copies; 0: always */
  long long threads;     /* session threads; 1 suits a net this small */
  int v1;                /* CartPole-v1 instead of v0 */
  int no_stop;           /* play the whole budget even once solved */
  int quiet;             /* only the summary line */
  const char *save;      /* write the trained agent here (.h5), or NULL */
  const char *play;      /* replay this saved agent greedily, or NULL */
} options;

/* The options with a value: where it goes, whether it is a real number
** (else a whole one), and its range. Whole numbers pass through a double,
** hence seeds up to 2^53. */
static const struct {
  const char *name;
  size_t offset;
  int real;
  double min, max;
} VALUES[] = {
    {"--seed", offsetof(options, seed), 0, 0, 9007199254740992.0},
    {"--episodes", offsetof(options, episodes), 0, 1, MAX_EPISODES},
    {"--epsilon-start", offsetof(options, epsilon_start), 1, 0, 1},
    {"--epsilon-decay", offsetof(options, epsilon_decay), 1, 0, 1},
    {"--epsilon-min", offsetof(options, epsilon_min), 1, 0, 1},
    {"--replay", offsetof(options, replay), 0, 1, 100000000},
    {"--sample", offsetof(options, sample), 0, 1, 1000000},
    {"--minibatch", offsetof(options, minibatch), 0, 1, 1000000},
    {"--target-sync", offsetof(options, target_sync), 0, 0, MAX_EPISODES},
    {"--threads", offsetof(options, threads), 0, 0, 64},
};
enum { N_VALUES = sizeof VALUES / sizeof *VALUES };

/* Everything one run owns, so one function can release it all. */
typedef struct agent {
  netc_model *model;
  netc_session *session;
  netc_env *env;
  netc_replay *replay;
  netc_explore *explore; /* this episode's epsilon */
  netc_episode_stats *stats;
  float *states, *next_states, *rewards, *dones; /* one sample */
  int32_t *actions;
  int64_t env_steps; /* environment steps so far */
} agent;

static const char USAGE[] =
    "usage: cartpole_dqn [MODEL] [--seed S] [--episodes N] [--v1]\n"
    "         [--epsilon-start E] [--epsilon-decay D] [--epsilon-min E]\n"
    "         [--replay N] [--sample N] [--minibatch N] [--target-sync N]\n"
    "         [--threads T] [--no-stop] [--quiet] [--save FILE.h5]\n"
    "       cartpole_dqn --play FILE.h5 [--seed S] [--v1]\n";

static int usage(const char *why, const char *arg) {
  fprintf(stderr, "cartpole_dqn: %s '%s'\n%s", why, arg, USAGE);
  return 2;
}

/* Parses `text` as VALUES[n] into `o`; 0 when it is no number in range. */
static int parse_value(const char *text, size_t n, options *o) {
  char *end = NULL;
  errno = 0;
  double v =
      VALUES[n].real ? strtod(text, &end) : (double)strtoll(text, &end, 10);
  if (end == text || *end != '\0' || errno == ERANGE || !(v >= VALUES[n].min) ||
      !(v <= VALUES[n].max))
    return 0;
  char *field = (char *)o + VALUES[n].offset;
  if (VALUES[n].real)
    *(double *)(void *)field = v;
  else
    *(long long *)(void *)field = (long long)v;
  return 1;
}

/* Fills `o` from argv; returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, options *o) {
  *o = (options){.model = "models/cartpole_dqn.net",
                 .seed = 1,
                 .episodes = 1000,
                 .epsilon_start = 0.7,
                 .epsilon_decay = 0.985,
                 .epsilon_min = 0.1,
                 .replay = 1000,
                 .sample = 128,
                 .minibatch = 32,
                 .target_sync = 5,
                 .threads = 1};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    size_t n = 0;
    while (n < N_VALUES && strcmp(arg, VALUES[n].name) != 0) n++;
    if (n < N_VALUES) {
      if (++i == argc) return usage("missing value after", arg);
      if (!parse_value(argv[i], n, o))
        return usage("out of range or not a number:", argv[i]);
    } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      fputs(USAGE, stdout);
      return 0;
    } else if (strcmp(arg, "--v1") == 0) {
      o->v1 = 1;
    } else if (strcmp(arg, "--no-stop") == 0) {
      o->no_stop = 1;
    } else if (strcmp(arg, "--quiet") == 0) {
      o->quiet = 1;
    } else if (strcmp(arg, "--save") == 0 || strcmp(arg, "--play") == 0) {
      if (++i == argc) return usage("missing file after", arg);
      *(strcmp(arg, "--save") == 0 ? &o->save : &o->play) = argv[i];
    } else if (arg[0] == '-') {
      return usage("unknown option", arg);
    } else {
      o->model = arg;
    }
  }
  if (o->minibatch > o->sample || o->sample > o->replay) {
    fprintf(stderr,
            "cartpole_dqn: need --minibatch (%lld) <= --sample (%lld) <= "
            "--replay (%lld)\n%s",
            o->minibatch, o->sample, o->replay, USAGE);
    return 2;
  }
  return -1;
}

static void print_diagnostic(const netc_diagnostic *d, void *user) {
  (void)user;
  fputs(d->rendered, stderr);
}

/* The model and its session: compiled and initialized, or loaded from the
** saved agent to play; prints why on failure. */
static int agent_session(agent *a, const options *o) {
  netc_session_options so = {(uint64_t)o->seed, (int)o->minibatch, (int)o->threads};
  netc_status st;
  if (o->play) {
    netc_error error;
    st = netc_session_load(o->play, &so, &a->model, &a->session, &error);
    if (st != NETC_OK) fprintf(stderr, "cartpole_dqn: %s\n", error.message);
    return st == NETC_OK;
  }
  netc_compile_options compile = {print_diagnostic, NULL, NULL, 0};
  st = netc_model_compile_file(o->model, &compile, &a->model);
  if (st == NETC_OK) st = netc_session_create(a->model, &so, &a->session);
  if (st != NETC_OK) fprintf(stderr, "cartpole_dqn: %s: %s\n", o->model, netc_strerror(st));
  return st == NETC_OK;
}

/* Makes the session and every object but the explorer, which each
** episode makes for its own epsilon; prints why on failure. */
static int agent_create(agent *a, const options *o) {
  memset(a, 0, sizeof *a);
  if (!agent_session(a, o)) return 0;
  uint64_t seed = (uint64_t)o->seed;
  size_t n = (size_t)o->sample;
  const char *env_id = o->v1 ? "CartPole-v1" : "CartPole-v0";
  const char *what = NULL;
  netc_status st = NETC_OK;
  if ((st = netc_env_create(env_id, seed, &a->env)) != NETC_OK)
    what = "environment";
  else if ((st = netc_replay_create(o->replay, STATE, seed, &a->replay)) !=
           NETC_OK)
    what = "replay buffer";
  else if ((st = netc_episode_stats_create(WINDOW, &a->stats)) != NETC_OK)
    what = "statistics";
  else if (!(a->states = malloc(n * STATE * sizeof *a->states)) ||
           !(a->next_states = malloc(n * STATE * sizeof *a->next_states)) ||
           !(a->rewards = malloc(n * sizeof *a->rewards)) ||
           !(a->dones = malloc(n * sizeof *a->dones)) ||
           !(a->actions = malloc(n * sizeof *a->actions)))
    st = NETC_ENOMEM, what = "sample buffers";
  if (!what) return 1;
  fprintf(stderr, "cartpole_dqn: cannot create the %s: %s\n", what,
          netc_strerror(st));
  return 0;
}

static void agent_destroy(agent *a) {
  free(a->actions);
  free(a->dones);
  free(a->rewards);
  free(a->next_states);
  free(a->states);
  netc_episode_stats_destroy(a->stats);
  netc_explore_destroy(a->explore);
  netc_replay_destroy(a->replay);
  netc_env_destroy(a->env);
  netc_session_destroy(a->session);
  netc_model_destroy(a->model);
}

static netc_feed feed(const char *name, netc_dtype dtype, void *data, int rank,
                      int64_t rows) {
  netc_feed f;
  memset(&f, 0, sizeof f);
  f.name = name;
  f.tensor.dtype = dtype;
  f.tensor.rank = rank;
  f.tensor.dims[0] = rows;
  f.tensor.dims[1] = STATE;
  f.tensor.data = data;
  return f;
}

/* The epsilon of episode k (from 0): an exponential decay to a floor. */
static double episode_epsilon(const options *o, long long k) {
  return fmax(o->epsilon_min,
              o->epsilon_start * pow(o->epsilon_decay, (double)k));
}

/* Makes episode k's explorer. netc_explore's schedule is linear in
** selections, so a per-episode schedule is a constant-epsilon explorer per
** episode, seeded apart by the episode (k < MAX_EPISODES). A saved agent
** plays greedily. */
static netc_status explore_episode(agent *a, const options *o, long long k) {
  netc_explore_destroy(a->explore);
  a->explore = NULL;
  double epsilon = o->play ? 0 : episode_epsilon(o, k);
  uint64_t seed = (uint64_t)o->seed * MAX_EPISODES + (uint64_t)k;
  return netc_explore_create(epsilon, epsilon, 0, seed, &a->explore);
}

/* The epsilon-greedy action for `state` from the online network's q. */
static netc_status choose(agent *a, const float *state, int *action) {
  netc_feed in = feed("state", NETC_F32, (void *)state, 2, 1);
  const char *fetch[] = {"q"};
  netc_tensor q;
  netc_status st =
      netc_session_run(a->session, "predict", &in, 1, fetch, 1, &q);
  if (st != NETC_OK) return st;
  return netc_explore_select(a->explore, q.data, NETC_CARTPOLE_ACTIONS, action);
}

static void to_float(const double *in, float *out) {
  for (int k = 0; k < STATE; k++) out[k] = (float)in[k];
}

/* Plays one episode and stores its transitions; *episode_return receives
** the environment's return (the -100 of a fall is for learning only). */
static netc_status play_episode(agent *a, double *episode_return) {
  double state[STATE], next[STATE], reward = 0;
  float s[STATE], s2[STATE];
  int done = 0, truncated = 0;
  *episode_return = 0;
  netc_status st = netc_env_reset(a->env, state);
  while (st == NETC_OK && !done && !truncated) {
    int action = 0;
    to_float(state, s);
    if ((st = choose(a, s, &action)) != NETC_OK ||
        (st = netc_env_step(a->env, action, next, &reward, &done,
                            &truncated)) != NETC_OK)
      break;
    to_float(next, s2);
    /* a truncated episode did not fail: its value still bootstraps */
    float learned = done ? (float)FALL_REWARD : (float)reward;
    st = netc_replay_add(a->replay, s, action, learned, s2, done);
    a->env_steps++;
    *episode_return += reward;
    memcpy(state, next, sizeof state);
  }
  return st;
}

/* Copies the online weights to the target ones, inside the session. */
static netc_status sync_target(agent *a) {
  return netc_session_run(a->session, "sync_target", NULL, 0, NULL, 0, NULL);
}

/* Fits one replay sample after episode k: train steps on consecutive
** minibatch slices (the sample is drawn in random order, so the slices
** are already a shuffled split). *loss receives their mean TD loss. */
static netc_status fit_sample(agent *a, const options *o, long long k,
                              double *loss) {
  int n = (int)o->sample;
  netc_status st = netc_replay_sample(a->replay, n, a->states, a->actions,
                                      a->rewards, a->next_states, a->dones);
  if (st == NETC_OK && o->target_sync > 0 && k % o->target_sync == 0)
    st = sync_target(a);
  double sum = 0;
  int steps = 0;
  for (int first = 0; st == NETC_OK && first < n; first += (int)o->minibatch) {
    int rows = n - first < o->minibatch ? n - first : (int)o->minibatch;
    netc_feed in[] = {
        feed("state", NETC_F32, a->states + first * STATE, 2, rows),
        feed("next_state", NETC_F32, a->next_states + first * STATE, 2, rows),
        feed("action", NETC_I32, a->actions + first, 1, rows),
        feed("reward", NETC_F32, a->rewards + first, 1, rows),
        feed("done", NETC_F32, a->dones + first, 1, rows),
    };
    const char *fetch[] = {"td"};
    netc_tensor td;
    if (o->target_sync == 0 && (st = sync_target(a)) != NETC_OK) break;
    st = netc_session_run(a->session, "train", in, 5, fetch, 1, &td);
    if (st == NETC_OK) sum += *(const float *)td.data, steps++;
  }
  *loss = steps ? sum / steps : 0;
  return st;
}

/* Reports a failed call in the words of the object that failed. */
static void report(const agent *a, netc_status st) {
  const char *why = netc_session_error(a->session);
  if (!*why) why = netc_env_error(a->env);
  if (!*why) why = netc_replay_error(a->replay);
  fprintf(stderr, "cartpole_dqn: %s\n", *why ? why : netc_strerror(st));
}

static double seconds_since(const struct timespec *t0) {
  struct timespec t;
  timespec_get(&t, TIME_UTC);
  return (double)(t.tv_sec - t0->tv_sec) +
         1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

/* The summary: the outcome, then the counts and rates bench/cartpole.sh
** reads. */
static void print_summary(const agent *a, const options *o, long long played,
                          long long solved, double goal, double seconds) {
  const char *id = o->v1 ? "CartPole-v1" : "CartPole-v0";
  if (solved)
    printf("solved %s at episode %lld (last-100 average above %.0f)", id,
           solved, goal);
  else
    printf("not solved in %lld episodes", played);
  int64_t train_steps = netc_session_step(a->session);
  printf(
      "; last-100 average %.2f; %lld episodes, %lld env steps (%.0f/s), "
      "%lld train steps (%.0f/s) in %.2f s\n",
      netc_episode_stats_average(a->stats), played, (long long)a->env_steps,
      (double)a->env_steps / seconds, (long long)train_steps,
      (double)train_steps / seconds, seconds);
}

/* --play: a saved agent's greedy return averaged over WINDOW episodes;
** exit 0 when it is above the goal. */
static int play_saved(agent *a, const options *o, double goal) {
  netc_status st = NETC_OK;
  for (long long k = 0; k < WINDOW && st == NETC_OK; k++) {
    double ret = 0;
    if ((st = explore_episode(a, o, k)) == NETC_OK && (st = play_episode(a, &ret)) == NETC_OK)
      netc_episode_stats_add(a->stats, ret);
  }
  if (st != NETC_OK) {
    report(a, st);
    return 1;
  }
  double average = netc_episode_stats_average(a->stats);
  printf("played %d greedy episodes of %s with %s: average return %.2f\n", WINDOW,
         o->v1 ? "CartPole-v1" : "CartPole-v0", o->play, average);
  return average > goal ? 0 : 1;
}

int main(int argc, char **argv) {
  options o;
  int code = parse_options(argc, argv, &o);
  if (code >= 0) return code;
  agent a;
  if (!agent_create(&a, &o)) {
    agent_destroy(&a);
    return 1;
  }
  const double goal = o.v1 ? 475 : 195;
  if (o.play) {
    code = play_saved(&a, &o, goal);
    agent_destroy(&a);
    return code;
  }
  struct timespec t0;
  timespec_get(&t0, TIME_UTC);
  netc_status st = NETC_OK;
  long long solved = 0, k = 0;
  for (; k < o.episodes && (o.no_stop || !solved); k++) {
    double ret = 0, loss = 0;
    if ((st = explore_episode(&a, &o, k)) != NETC_OK ||
        (st = play_episode(&a, &ret)) != NETC_OK)
      break;
    if (netc_replay_size(a.replay) >= o.sample &&
        (st = fit_sample(&a, &o, k, &loss)) != NETC_OK)
      break;
    netc_episode_stats_add(a.stats, ret);
    double average = netc_episode_stats_average(a.stats);
    if (!solved && netc_episode_stats_count(a.stats) >= WINDOW &&
        average > goal)
      solved = k + 1;
    if (!o.quiet && ((k + 1) % LOG_EVERY == 0 || solved == k + 1))
      printf(
          "episode %4lld  return %3.0f  avg100 %6.2f  epsilon %.3f  "
          "td %.4f\n",
          k + 1, ret, average, episode_epsilon(&o, k), loss);
  }
  if (st == NETC_OK) print_summary(&a, &o, k, solved, goal, seconds_since(&t0));
  if (st == NETC_OK && o.save && (st = netc_session_save(a.session, o.save)) == NETC_OK)
    printf("saved the agent to %s\n", o.save);
  if (st != NETC_OK) {
    fflush(stdout);
    report(&a, st);
  }
  agent_destroy(&a);
  return st == NETC_OK && solved ? 0 : 1;
}
