/*
** netc_bench.c: the netc side of bench/run.sh. Each invocation times one
** workload through the public API on random data of the model's shapes
** and prints what it measured as `key value` lines:
**
**   netc_bench train MODEL BATCH THREADS    netc_session_fit over an
**       in-memory dataset: images (rows) per second
**   netc_bench predict MODEL OUTPUT BATCH THREADS    netc_session_run of
**       "predict" fetching OUTPUT: images per second, then with --profile
**       one `conv LAYER CONV_GFLOPS LAYER_GFLOPS` line per convolution
**       (the conv op alone, and every forward op of its layer)
**   netc_bench step MODEL BATCH THREADS    netc_session_run of "train" fed
**       directly (no dataset): steps per second, the per-call overhead
**   netc_bench sgemm N THREADS    OpenBLAS sgemm on N x N: GFLOPS
**   netc_bench dp MODEL BATCH THREADS    netc_session_fit data-parallel
**       over the ranks of `mpirun -np N netc_bench dp ...` (alone without
**       mpirun): the job's images per second, the step time and the
**       gradient all-reduce's time per step and the wait for the other
**       rank before it (from the profile), and for reference
**       MPI_Allreduce of as many floats right after a barrier; every
**       rank runs the same --repeat epochs of --batches steps, as a
**       measurement sized by time could differ between ranks
**
** Every workload prints `rate R` (the median over --repeat measurements,
** after a warm-up that also sizes each measurement to about --seconds)
** and `rss_kib K` (the process's peak resident set, from getrusage).
** Options: --repeat N (5), --seconds S (0.5), --batches N (batches in a
** fit epoch, 4), --profile.
*/
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "netc.h"
#include "tools/mpi_world.h"

typedef struct options {
  int repeat;     /* measurements */
  double seconds; /* target length of one measurement */
  int batches;    /* batches in one fit epoch (train) */
  int profile;    /* per-convolution GFLOPS (predict) */
} options;

/* One workload: `iterations` calls of run(ctx) do `items` each. */
typedef struct workload {
  netc_status (*run)(void *ctx, int iterations);
  void *ctx;
  double items; /* images or steps per iteration */
} workload;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Times a workload: one warm-up iteration, a second one to size the
** measurements, then the median rate of opt->repeat measurements. */
static int measure(const workload *w, const options *opt, double *rate) {
  if (w->run(w->ctx, 1) != NETC_OK) return -1;
  double start = now();
  if (w->run(w->ctx, 1) != NETC_OK) return -1;
  double once = now() - start;
  int iterations = once > 0 ? (int)ceil(opt->seconds / once) : 1;
  if (iterations < 1) iterations = 1;
  double rates[64];
  int n = opt->repeat < 64 ? opt->repeat : 64;
  for (int i = 0; i < n; i++) {
    start = now();
    if (w->run(w->ctx, iterations) != NETC_OK) return -1;
    rates[i] = w->items * iterations / (now() - start);
  }
  qsort(rates, (size_t)n, sizeof *rates, by_value);
  *rate = n % 2 ? rates[n / 2] : 0.5 * (rates[n / 2 - 1] + rates[n / 2]);
  return 0;
}

static void print_results(double rate) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  printf("rate %.6g\nrss_kib %ld\n", rate, usage.ru_maxrss);
}

/* ------------------------------------------------------------ sessions */

static void print_diagnostic(const netc_diagnostic *d, void *user) {
  (void)user;
  fputs(d->rendered, stderr);
}

static netc_model *compile(const char *path) {
  netc_compile_options copt = {.on_diagnostic = print_diagnostic};
  netc_model *m = NULL;
  netc_status st = netc_model_compile_file(path, &copt, &m);
  if (st != NETC_OK) fprintf(stderr, "netc_bench: %s: %s\n", path, netc_strerror(st));
  return m;
}

static netc_session *open_session(const netc_model *m, int batch, int threads) {
  netc_session_options sopt = {.seed = 1, .max_batch = batch, .threads = threads};
  netc_session *s = NULL;
  netc_status st = netc_session_create(m, &sopt, &s);
  if (st != NETC_OK) fprintf(stderr, "netc_bench: session: %s\n", netc_strerror(st));
  return s;
}

/* Random values for every input of the model at `rows` rows: f32 uniform
** in [0, 1), i32 labels and actions below `classes`. */
typedef struct inputs {
  netc_feed feed[8]; /* one per input */
  int n;             /* inputs */
} inputs;

static int make_inputs(const netc_model *m, int64_t rows, int classes, inputs *in) {
  static const char *const names[] = {"image", "label", "state", "next_state",
                                      "action", "reward", "done"};
  memset(in, 0, sizeof *in);
  unsigned seed = 12345;
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    netc_tensor type;
    if (netc_model_input(m, names[i], &type) != NETC_OK) continue;
    type.dims[0] = rows;
    int64_t count = netc_tensor_elements(&type);
    void *data = malloc((size_t)count * 4 + 4);
    if (!data) return -1;
    for (int64_t k = 0; k < count; k++) {
      seed = seed * 1103515245u + 12345u;
      if (type.dtype == NETC_I32)
        ((int32_t *)data)[k] = (int32_t)((seed >> 16) % (unsigned)classes);
      else
        ((float *)data)[k] = (float)(seed >> 8) * 0x1p-24f;
    }
    type.data = data;
    in->feed[in->n].name = names[i];
    in->feed[in->n].tensor = type;
    in->n++;
  }
  return 0;
}

static void free_inputs(inputs *in) {
  for (int i = 0; i < in->n; i++) free(in->feed[i].tensor.data);
}

static void print_error(netc_session *s, netc_status st) {
  fprintf(stderr, "netc_bench: %s: %s\n", netc_strerror(st), netc_session_error(s));
}

/* ----------------------------------------------------------- workloads */

typedef struct fit_ctx {
  netc_session *s;
  netc_dataset *data;
  int batch;
} fit_ctx;

static netc_status fit_run(void *ctx, int iterations) {
  fit_ctx *c = ctx;
  netc_fit_options fopt = {.epochs = iterations, .batch_size = c->batch};
  netc_status st = netc_session_fit(c->s, c->data, &fopt);
  if (st != NETC_OK) print_error(c->s, st);
  return st;
}

typedef struct run_ctx {
  netc_session *s;
  const char *entry;
  inputs *in;
  const char *fetch; /* or NULL */
} run_ctx;

static netc_status run_run(void *ctx, int iterations) {
  run_ctx *c = ctx;
  netc_tensor result;
  for (int i = 0; i < iterations; i++) {
    netc_status st = netc_session_run(c->s, c->entry, c->in->feed, c->in->n,
                                      c->fetch ? &c->fetch : NULL, c->fetch ? 1 : 0,
                                      c->fetch ? &result : NULL);
    if (st != NETC_OK) {
      print_error(c->s, st);
      return st;
    }
  }
  return NETC_OK;
}

/* An in-memory dataset of make_inputs's random rows, or NULL; labels 0 and 1
** suit every model with classes (timing does not depend on them). */
static netc_dataset *make_dataset(const netc_model *m, int64_t rows) {
  inputs in;
  netc_dataset *d = NULL;
  if (make_inputs(m, rows, 2, &in) != 0) return NULL;
  netc_dataset_create(&d);
  for (int i = 0; d && i < in.n; i++)
    if (netc_dataset_add(d, in.feed[i].name, &in.feed[i].tensor, NULL) != NETC_OK) {
      netc_dataset_destroy(d);
      d = NULL;
    }
  free_inputs(&in);
  return d;
}

static int bench_train(const char *path, int batch, int threads, const options *opt) {
  netc_model *m = compile(path);
  netc_session *s = m ? open_session(m, batch, threads) : NULL;
  netc_dataset *d = s ? make_dataset(m, (int64_t)batch * opt->batches) : NULL;
  int rc = -1;
  fit_ctx ctx = {s, d, batch};
  workload w = {fit_run, &ctx, (double)batch * opt->batches};
  double rate;
  if (d && measure(&w, opt, &rate) == 0) {
    print_results(rate);
    rc = 0;
  }
  netc_dataset_destroy(d);
  netc_session_destroy(s);
  netc_model_destroy(m);
  return rc;
}

/* Seconds per call of profile op `op` (0 when it never ran). */
static double per_call(const netc_session *s, const char *op) {
  static netc_op_profile ops[8192];
  int count = 0;
  netc_session_profile(s, ops, 8192, &count);
  for (int i = 0; i < count && i < 8192; i++)
    if (strcmp(ops[i].op, op) == 0) return ops[i].seconds / (double)ops[i].calls;
  return 0;
}

static int bench_dp(const char *path, int batch, int threads, const options *opt,
                    const mpi_world *world) {
  netc_model *m = compile(path);
  netc_session *s = m ? open_session(m, batch, threads) : NULL;
  netc_dataset *d = s ? make_dataset(m, (int64_t)batch * opt->batches) : NULL;
  if (!d) {
    netc_session_destroy(s);
    netc_model_destroy(m);
    return -1;
  }
  netc_fit_options fopt = {.epochs = 1, .batch_size = batch, .mpi_comm = world->comm};
  netc_status st = netc_session_fit(s, d, &fopt); /* warm-up */
  double *epoch = calloc((size_t)opt->repeat, sizeof *epoch);
  if (st == NETC_OK && !epoch) st = NETC_ENOMEM;
  if (st == NETC_OK) st = netc_session_profile_enable(s, 1);
  for (int r = 0; st == NETC_OK && r < opt->repeat; r++) {
    double started = now();
    st = netc_session_fit(s, d, &fopt);
    epoch[r] = now() - started;
  }
  if (st == NETC_OK) {
    qsort(epoch, (size_t)opt->repeat, sizeof *epoch, by_value);
    double median = epoch[opt->repeat / 2];
    int64_t trainable = 0, frozen = 0;
    netc_model_param_counts(m, &trainable, &frozen);
    double step = median / opt->batches, allreduce = per_call(s, "allreduce");
    double wait = per_call(s, "allreduce_wait");
    double reference = mpi_world_allreduce_seconds(world, (size_t)trainable);
    printf("ranks %d\nrate %.6g\nstep_ms %.4g\nallreduce_ms %.4g\nallreduce_share %.4g\n"
           "wait_ms %.4g\ngradient_mib %.4g\nmpi_allreduce_ms %.4g\n",
           world->size, (double)batch * opt->batches / median, 1e3 * step, 1e3 * allreduce,
           allreduce / step, 1e3 * wait, (double)trainable * 4 / (1 << 20), 1e3 * reference);
  } else {
    print_error(s, st);
  }
  free(epoch);
  netc_dataset_destroy(d);
  netc_session_destroy(s);
  netc_model_destroy(m);
  return st == NETC_OK ? 0 : -1;
}

/* Per-convolution GFLOPS from the session's profile. */
static void print_convolutions(netc_session *s) {
  static netc_op_profile ops[4096];
  int count = 0;
  netc_session_profile(s, ops, 4096, &count);
  if (count > 4096) count = 4096;
  for (int i = 0; i < count; i++) {
    if (strcmp(ops[i].op, "conv2d") || !*ops[i].layer) continue;
    double layer_seconds = 0, layer_flops = 0;
    for (int j = 0; j < count; j++)
      if (strcmp(ops[j].layer, ops[i].layer) == 0) {
        layer_seconds += ops[j].seconds;
        layer_flops += ops[j].flops;
      }
    printf("conv %s %.4g %.4g\n", ops[i].layer, ops[i].flops / ops[i].seconds * 1e-9,
           layer_flops / layer_seconds * 1e-9);
  }
}

static int bench_run(const char *path, const char *entry, const char *fetch, int batch,
                     int threads, const options *opt) {
  netc_model *m = compile(path);
  netc_session *s = m ? open_session(m, batch, threads) : NULL;
  inputs in;
  int rc = -1;
  if (s && make_inputs(m, batch, 2, &in) == 0) {
    run_ctx ctx = {s, entry, &in, fetch};
    workload w = {run_run, &ctx, strcmp(entry, "train") ? batch : 1};
    double rate;
    if (measure(&w, opt, &rate) == 0) {
      print_results(rate);
      rc = 0;
      if (opt->profile && netc_session_profile_enable(s, 1) == NETC_OK &&
          run_run(&ctx, 2) == NETC_OK)
        print_convolutions(s);
    }
    free_inputs(&in);
  }
  netc_session_destroy(s);
  netc_model_destroy(m);
  return rc;
}

typedef struct sgemm_ctx {
  int n;
  float *a, *b, *c;
} sgemm_ctx;

static netc_status sgemm_run(void *ctx, int iterations) {
  sgemm_ctx *g = ctx;
  for (int i = 0; i < iterations; i++)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->n, g->n, g->n, 1.0f, g->a, g->n,
                g->b, g->n, 0.0f, g->c, g->n);
  return NETC_OK;
}

static int bench_sgemm(int n, int threads, const options *opt) {
  size_t count = (size_t)n * (size_t)n;
  sgemm_ctx g = {n, malloc(count * sizeof(float)), malloc(count * sizeof(float)),
                 malloc(count * sizeof(float))};
  int rc = -1;
  if (g.a && g.b && g.c) {
    for (size_t i = 0; i < count; i++) {
      g.a[i] = (float)(i % 7) * 0.25f;
      g.b[i] = (float)(i % 5) * 0.5f;
    }
    openblas_set_num_threads(threads);
    workload w = {sgemm_run, &g, 2.0 * n * n * n * 1e-9}; /* rate in GFLOPS */
    double rate;
    if (measure(&w, opt, &rate) == 0) {
      print_results(rate);
      rc = 0;
    }
  }
  free(g.a);
  free(g.b);
  free(g.c);
  return rc;
}

/* ---------------------------------------------------------------- main */

static int usage(void) {
  fputs("usage: netc_bench train MODEL BATCH THREADS [options]\n"
        "       netc_bench predict MODEL OUTPUT BATCH THREADS [options]\n"
        "       netc_bench step MODEL BATCH THREADS [options]\n"
        "       netc_bench sgemm N THREADS [options]\n"
        "       [mpirun -np N] netc_bench dp MODEL BATCH THREADS [options]\n"
        "options: --repeat N (5), --seconds S (0.5), --batches N (4), --profile\n",
        stderr);
  return 2;
}

int main(int argc, char **argv) {
  options opt = {5, 0.5, 4, 0};
  const char *arg[6];
  int n = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
      opt.repeat = atoi(argv[++i]);
    else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      opt.seconds = atof(argv[++i]);
    else if (strcmp(argv[i], "--batches") == 0 && i + 1 < argc)
      opt.batches = atoi(argv[++i]);
    else if (strcmp(argv[i], "--profile") == 0)
      opt.profile = 1;
    else if (argv[i][0] == '-' || n == 6)
      return usage();
    else
      arg[n++] = argv[i];
  }
  if (opt.repeat < 1 || opt.seconds < 0 || opt.batches < 1) return usage();
  mpi_world world;
  if (mpi_world_join(&argc, &argv, &world) != 0) return 1;
  int rc;
  if (n == 4 && strcmp(arg[0], "train") == 0)
    rc = bench_train(arg[1], atoi(arg[2]), atoi(arg[3]), &opt);
  else if (n == 5 && strcmp(arg[0], "predict") == 0)
    rc = bench_run(arg[1], "predict", arg[2], atoi(arg[3]), atoi(arg[4]), &opt);
  else if (n == 4 && strcmp(arg[0], "step") == 0)
    rc = bench_run(arg[1], "train", NULL, atoi(arg[2]), atoi(arg[3]), &opt);
  else if (n == 3 && strcmp(arg[0], "sgemm") == 0)
    rc = bench_sgemm(atoi(arg[1]), atoi(arg[2]), &opt);
  else if (n == 4 && strcmp(arg[0], "dp") == 0)
    rc = bench_dp(arg[1], atoi(arg[2]), atoi(arg[3]), &opt, &world);
  else
    rc = usage();
  return mpi_world_leave(&world, rc < 0 ? 1 : rc);
}
