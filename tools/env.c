/*
** env.c: `netc env cartpole`, gym's CartPole driven by hand. It starts an
** episode (a seeded reset, or --init's state), takes the --actions one by
** one and prints a JSON object per step, the start being step 0, with every
** number in 17 significant digits so a trajectory can be compared with
** gym's float64 one bit for bit.
*/
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "netc.h"

enum { EXIT_USAGE = 2 };

static const char USAGE[] =
    "netc env cartpole [--v1] [--seed S | --init X,X_DOT,THETA,THETA_DOT] "
    "--actions 0110...";

static const char HELP[] =
    "steps gym's CartPole-v0 (or -v1) by hand and prints one JSON object per\n"
    "step, the start state as step 0, numbers with 17 significant digits:\n"
    "  {\"step\":1,\"state\":[x,x_dot,theta,theta_dot],\"reward\":1.0,"
    "\"done\":false,\"truncated\":false}\n"
    "options:\n"
    "  --v1           CartPole-v1 (500-step limit), not CartPole-v0 (200)\n"
    "  --seed S       seed of the random start state (default 0)\n"
    "  --init STATE   start from these 4 comma-separated numbers instead\n"
    "  --actions A    one character per step: 0 pushes left, 1 pushes right\n"
    "exit status: 0 ok, 1 when a step is refused (an action other than 0 or\n"
    "1, a step after the episode ended), 2 on a usage error\n";

/* The command line, parsed. */
typedef struct env_args {
  int v1;                             /* --v1 */
  const char *seed;                   /* --seed's text, or NULL */
  const char *init;                   /* --init's text, or NULL */
  const char *actions;                /* --actions, or NULL */
  uint64_t seed_value;                /* --seed parsed (default 0) */
  double state[NETC_CARTPOLE_STATE];  /* --init parsed */
} env_args;

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "netc: ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nusage: %s\n", USAGE);
  return EXIT_USAGE;
}

/* Whether argv[*i] is option `name` taking a value, given as "--name=V"
** or "--name V" (then *i moves past V). *value is NULL when V is missing. */
static int option_value(int argc, char **argv, int *i, const char *name,
                        const char **value) {
  const char *arg = argv[*i];
  size_t n = strlen(name);
  if (strncmp(arg, name, n) != 0) return 0;
  if (arg[n] == '=') {
    *value = arg + n + 1;
    return 1;
  }
  if (arg[n] != '\0') return 0;
  *value = *i + 1 < argc ? argv[++*i] : NULL;
  return 1;
}

/* "0.01,-0.02,0.03,0" -> 4 finite doubles; returns 0 on anything else. */
static int parse_state(const char *text, double *state) {
  const char *p = text;
  for (int k = 0; k < NETC_CARTPOLE_STATE; k++) {
    char *end = NULL;
    errno = 0;
    state[k] = strtod(p, &end);
    if (end == p || errno == ERANGE || !isfinite(state[k])) return 0;
    char want = k + 1 < NETC_CARTPOLE_STATE ? ',' : '\0';
    if (*end != want) return 0;
    p = end + 1;
  }
  return 1;
}

static int print_help(void) {
  printf("usage: %s\n%s", USAGE, HELP);
  return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int is_help(const char *arg) {
  return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* Fills `a` from the words after "cartpole"; returns -1 to go on, or the
** exit status of --help or of a usage error. */
static int parse_args(int argc, char **argv, env_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *value = NULL, *name = NULL;
    if (is_help(arg)) return print_help();
    if (strcmp(arg, "--v1") == 0) {
      a->v1 = 1;
      continue;
    }
    if (option_value(argc, argv, &i, name = "--seed", &value))
      a->seed = value;
    else if (option_value(argc, argv, &i, name = "--init", &value))
      a->init = value;
    else if (option_value(argc, argv, &i, name = "--actions", &value))
      a->actions = value;
    else if (arg[0] == '-')
      return usage_error("unknown option '%s'", arg);
    else
      return usage_error("unexpected argument '%s'", arg);
    if (!value) return usage_error("%s needs a value", name);
  }
  if (a->seed && a->init)
    return usage_error("--seed and --init both choose the start; give one");
  if (!a->actions) return usage_error("env cartpole needs --actions");
  size_t bad = strspn(a->actions, "0123456789");
  if (a->actions[bad] != '\0')
    return usage_error("--actions takes one digit per step (0 or 1), got "
                       "'%c' at position %zu", a->actions[bad], bad + 1);
  if (a->seed) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(a->seed, &end, 10);
    if (a->seed[0] < '0' || a->seed[0] > '9' || *end != '\0' ||
        errno == ERANGE)
      return usage_error("--seed needs a whole number from 0 to %llu, got "
                         "'%s'", (unsigned long long)UINT64_MAX, a->seed);
    a->seed_value = v;
  }
  if (a->init && !parse_state(a->init, a->state))
    return usage_error("--init needs 4 comma-separated finite numbers "
                       "(x,x_dot,theta,theta_dot), got '%s'", a->init);
  return -1;
}

/* A JSON number in 17 significant digits that reads back as the same
** double; whole values keep a ".0" so they still look like floats. */
static void print_number(double v) {
  char text[32];
  snprintf(text, sizeof text, "%.17g", v);
  fputs(text, stdout);
  if (text[strspn(text, "-0123456789")] == '\0') fputs(".0", stdout);
}

static void print_state(int step, const double *state) {
  printf("{\"step\":%d,\"state\":[", step);
  for (int k = 0; k < NETC_CARTPOLE_STATE; k++) {
    if (k) putchar(',');
    print_number(state[k]);
  }
  putchar(']');
}

/* Takes the actions and prints the steps; returns the exit status. */
static int run_episode(netc_env *env, const env_args *a) {
  double state[NETC_CARTPOLE_STATE];
  memcpy(state, a->state, sizeof state);
  netc_status st = a->init ? netc_env_set_state(env, state)
                           : netc_env_reset(env, state);
  if (st != NETC_OK) {
    fprintf(stderr, "netc: %s\n", netc_env_error(env));
    return EXIT_FAILURE;
  }
  print_state(0, state);
  puts("}");
  for (size_t i = 0; a->actions[i]; i++) {
    double reward = 0;
    int done = 0, truncated = 0;
    st = netc_env_step(env, a->actions[i] - '0', state, &reward, &done,
                       &truncated);
    if (st != NETC_OK) {
      fflush(stdout); /* the steps taken stay before the error in a log */
      fprintf(stderr, "netc: step %zu: %s\n", i + 1, netc_env_error(env));
      return EXIT_FAILURE;
    }
    print_state((int)i + 1, state);
    printf(",\"reward\":");
    print_number(reward);
    printf(",\"done\":%s,\"truncated\":%s}\n", done ? "true" : "false",
           truncated ? "true" : "false");
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "netc: cannot write standard output: %s\n",
            strerror(errno));
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}

int netc_cli_env(int argc, char **argv) {
  if (argc < 1) return usage_error("env needs an environment: cartpole");
  if (is_help(argv[0])) return print_help();
  if (strcmp(argv[0], "cartpole") != 0)
    return usage_error("unknown environment '%s' (there is: cartpole)",
                       argv[0]);
  env_args a;
  int code = parse_args(argc - 1, argv + 1, &a);
  if (code >= 0) return code;
  netc_env *env = NULL;
  netc_status st = netc_env_create(a.v1 ? "CartPole-v1" : "CartPole-v0",
                                   a.seed_value, &env);
  if (st != NETC_OK) {
    fprintf(stderr, "netc: %s\n", netc_strerror(st));
    return EXIT_FAILURE;
  }
  code = run_episode(env, &a);
  netc_env_destroy(env);
  return code;
}
