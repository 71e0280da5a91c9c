/*
** netc.c: the `netc` command-line tool. A thin client of netc.h, and the
** only code in the project that prints or exits. Most commands take one
** model, a .net file (compiled) or a saved .h5 file (loaded, with its
** weights and training state), and then report on it, train, evaluate or
** run it; `samples` only reads data.
** Two tables drive everything: `commands` lists the commands and the
** options each accepts, `options` how each option is parsed and described.
** Exit status: 0 on success, 1 on a failure (the model has errors, a file
** cannot be read or written, training fails), 2 on a usage error.
*/
#define _POSIX_C_SOURCE 200809L /* access, fileno, isatty, stat */

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "netc.h"
#include "env.h"
#include "image_folder.h"
#include "mpi_world.h"
#include "png_grid.h"
#include "save_outputs.h"

enum {
  EXIT_USAGE = 2,
  PATH_SIZE = 4096,  /* the longest data file name accepted */
  CLASSES = 10,      /* classes of MNIST and Fashion-MNIST */
  SHOWN = 5,         /* test images predicted before and after training */
  MAX_VALUES = 16,   /* losses and metrics reported after training */
  GRID_COLUMNS = 8,  /* images per row of the samples grid */
  GRID_SCALE = 2,    /* magnification of each image in the grid */
  DEFAULT_COUNT = 32, /* images in the samples grid */
  MAX_INPUTS = 256,   /* image files given to `predict` */
  MAX_OUTPUTS = 4096  /* values per image `predict` can show */
};

/* What the command line asked for, after the command name. Numbers left at
** 0 mean "the default" (the model's setting where it has one). */
typedef struct args {
  const char *file;        /* the .net file */
  const char *output;      /* -o FILE, or NULL for the default */
  const char *data;        /* --data DIR: the IDX files */
  int64_t epochs;          /* --epochs N */
  int64_t batch;           /* --batch N */
  int64_t seed;            /* --seed S */
  int64_t threads;         /* --threads T; 0 = one per core */
  int64_t limit;           /* --limit N training records; 0 = all */
  int64_t test_limit;      /* --test-limit N test records; 0 = all */
  int64_t count;           /* --count N images in the samples grid */
  double validation_split; /* --validation-split F; 0 = no validation */
  int test;                /* --test: samples from the test set */
  int64_t index;           /* --index K: the test record to predict */
  int64_t top;             /* --top K classes shown by predict; 0 = 1 */
  int64_t checkpoint;      /* --checkpoint-every N steps; 0 = never */
  const char *inputs[MAX_INPUTS]; /* image files after the model; the
                                     Keras file of import-keras */
  int n_inputs;            /* entries in inputs */
  image_options image;     /* image folders: augmentation, --skip-bad, ... */
  const char *fetch;       /* --fetch NAME[,NAME]: tensors predict saves */
  const char *save_outputs; /* --save-outputs OUT.h5: where */
  double timeout;          /* --timeout S for another rank; 0 = default */
  int64_t check_replicas;  /* --check-replicas N steps; 0 = never */
} args;

typedef enum option_kind {
  OPTION_FLAG,    /* no value; sets an int to 1 */
  OPTION_STRING,  /* a file or folder name (const char *) */
  OPTION_INT,     /* a whole number in [min, max] (int64_t) */
  OPTION_FRACTION, /* a number in [0, 1) (double) */
  OPTION_REAL     /* a number in [min, max] (double) */
} option_kind;

/* Bits naming the options, for `command.options` and `command.required`. */
enum {
  OPT_OUTPUT = 1 << 0,
  OPT_DATA = 1 << 1,
  OPT_EPOCHS = 1 << 2,
  OPT_BATCH = 1 << 3,
  OPT_SEED = 1 << 4,
  OPT_THREADS = 1 << 5,
  OPT_LIMIT = 1 << 6,
  OPT_TEST_LIMIT = 1 << 7,
  OPT_SPLIT = 1 << 8,
  OPT_COUNT = 1 << 9,
  OPT_TEST = 1 << 10,
  OPT_INDEX = 1 << 11,
  OPT_TOP = 1 << 12,
  OPT_CHECKPOINT = 1 << 13,
  OPT_FLIP = 1 << 14,
  OPT_ROTATION = 1 << 15,
  OPT_SHIFT = 1 << 16,
  OPT_ZOOM = 1 << 17,
  OPT_RESCALE = 1 << 18,
  OPT_SKIP_BAD = 1 << 19,
  OPT_SIZE = 1 << 20,
  OPT_GRID = 1 << 21,
  OPT_FETCH = 1 << 22,
  OPT_SAVE_OUTPUTS = 1 << 23,
  OPT_MODEL = 1 << 24,
  OPT_TIMEOUT = 1 << 25,
  OPT_CHECK_REPLICAS = 1 << 26,
  /* how training images of an image folder are drawn */
  OPT_AUGMENT = OPT_FLIP | OPT_ROTATION | OPT_SHIFT | OPT_ZOOM | OPT_RESCALE
};

typedef struct option {
  unsigned bit;       /* its OPT_ bit */
  const char *name;   /* as typed: "-o", "--epochs" */
  const char *value;  /* the value's name in the help, NULL for a flag */
  option_kind kind;   /* how the value is parsed */
  int64_t min, max;   /* the range of an OPTION_INT */
  size_t offset;      /* where the value goes in `args` */
  const char *help;   /* one line, lowercase */
} option;

static const option options[] = {
    {OPT_OUTPUT, "-o", "FILE", OPTION_STRING, 0, 0, offsetof(args, output),
     "write to FILE"},
    {OPT_DATA, "--data", "DIR", OPTION_STRING, 0, 0, offsetof(args, data),
     "folder with the IDX files train-* and t10k-* (or *.gz)"},
    {OPT_EPOCHS, "--epochs", "N", OPTION_INT, 1, INT32_MAX,
     offsetof(args, epochs), "passes over the training images (default: "
                             "the model's)"},
    {OPT_BATCH, "--batch", "N", OPTION_INT, 1, INT32_MAX,
     offsetof(args, batch), "images per step (default: the model's)"},
    {OPT_SEED, "--seed", "S", OPTION_INT, 0, INT64_MAX, offsetof(args, seed),
     "seed of the initializers, dropout and shuffling (default 0)"},
    {OPT_THREADS, "--threads", "T", OPTION_INT, 0, 1024,
     offsetof(args, threads), "worker threads (default: one per core)"},
    {OPT_LIMIT, "--limit", "N", OPTION_INT, 1, INT64_MAX,
     offsetof(args, limit),
     "use only the first N training images (of each class of an image folder)"},
    {OPT_TEST_LIMIT, "--test-limit", "N", OPTION_INT, 1, INT64_MAX,
     offsetof(args, test_limit), "use only the first N test images"},
    {OPT_SPLIT, "--validation-split", "F", OPTION_FRACTION, 0, 0,
     offsetof(args, validation_split),
     "validate on the last fraction F of the training images"},
    {OPT_COUNT, "--count", "N", OPTION_INT, 1, 1024, offsetof(args, count),
     "images in the grid (default 32)"},
    {OPT_TEST, "--test", NULL, OPTION_FLAG, 0, 0, offsetof(args, test),
     "take the images from the test set"},
    {OPT_INDEX, "--index", "K", OPTION_INT, 0, INT32_MAX, offsetof(args, index),
     "predict test image K of the IDX files in --data (from 0)"},
    {OPT_TOP, "--top", "K", OPTION_INT, 1, MAX_OUTPUTS, offsetof(args, top),
     "show the K most likely classes (default 1)"},
    {OPT_CHECKPOINT, "--checkpoint-every", "N", OPTION_INT, 1, INT64_MAX,
     offsetof(args, checkpoint), "also save to -o every N training steps"},
    {OPT_MODEL, "--model", "FILE", OPTION_STRING, 0, 0, offsetof(args, file),
     "the model to fill: a .net file (compiled) or a saved .h5 model"},
    {OPT_FLIP, "--flip", NULL, OPTION_FLAG, 0, 0,
     offsetof(args, image.augment.horizontal_flip),
     "image folders: mirror training images left-right at random"},
    {OPT_ROTATION, "--rotation", "DEG", OPTION_REAL, 0, 180,
     offsetof(args, image.augment.rotation_range),
     "image folders: rotate training images by up to DEG degrees"},
    {OPT_SHIFT, "--shift", "F", OPTION_FRACTION, 0, 0, offsetof(args, image.shift),
     "image folders: shift training images by up to F of their width and height"},
    {OPT_ZOOM, "--zoom", "F", OPTION_FRACTION, 0, 0,
     offsetof(args, image.augment.zoom_range),
     "image folders: zoom training images by a factor in [1-F, 1+F]"},
    {OPT_RESCALE, "--rescale", "F", OPTION_REAL, 0, 1,
     offsetof(args, image.augment.rescale),
     "image folders: feed pixels 0..255 times F (default: as the model expects)"},
    {OPT_SKIP_BAD, "--skip-bad", NULL, OPTION_FLAG, 0, 0, offsetof(args, image.skip_bad),
     "image folders: leave unreadable images out (default: fail)"},
    {OPT_SIZE, "--size", "N", OPTION_INT, 8, 1024, offsetof(args, image.size),
     "image folders: resize images to N x N (default 64)"},
    {OPT_GRID, "--grid", "OUT.png", OPTION_STRING, 0, 0, offsetof(args, image.grid),
     "also write a PNG grid of the images with their predicted class"},
    {OPT_FETCH, "--fetch", "NAME[,NAME]", OPTION_STRING, 0, 0, offsetof(args, fetch),
     "tensors to save with --save-outputs (outputs or any node, e.g. block5_pool)"},
    {OPT_SAVE_OUTPUTS, "--save-outputs", "OUT.h5", OPTION_STRING, 0, 0,
     offsetof(args, save_outputs),
     "write the --fetch tensors, one row per image, as float32 datasets"},
    {OPT_TIMEOUT, "--timeout", "S", OPTION_REAL, 1, 86400, offsetof(args, timeout),
     "under mpirun: fail when another rank sends nothing for S seconds (300)"},
    {OPT_CHECK_REPLICAS, "--check-replicas", "N", OPTION_INT, 1, INT64_MAX,
     offsetof(args, check_replicas),
     "under mpirun: check every N steps that all ranks hold the same weights"},
};
enum { N_OPTIONS = sizeof options / sizeof *options };

/* What a command needs before `run`. */
typedef enum needs {
  NEEDS_NOTHING, /* no model */
  NEEDS_MODEL,   /* a model: a .net file compiled, or an .h5 file's graph */
  NEEDS_SESSION  /* a session too: created on a .net model (--seed, --batch,
                    --threads), or loaded with an .h5 file's state */
} needs;

typedef struct command {
  const char *name;   /* as typed */
  const char *usage;  /* the arguments after the name */
  const char *help;   /* one line, lowercase */
  const char *details; /* more help lines for `netc CMD --help`, or NULL */
  unsigned options;   /* OPT_ bits of the options it accepts */
  unsigned required;  /* OPT_ bits of those it cannot do without */
  needs needs;        /* what is made ready before `run` */
  int inputs;         /* accepts input files after the model */
  int (*run)(const netc_model *model, netc_session *session,
             const args *a); /* the exit status; model and session NULL
                                unless `needs` asks for them */
} command;

/* The netc_write_fn of every report: `user` is the FILE. */
static int write_stream(const char *data, size_t size, void *user) {
  return fwrite(data, 1, size, user) == size ? 0 : -1;
}

/* "1199882" -> "1,199,882" */
static void print_count(FILE *f, int64_t value) {
  char digits[32];
  int n = snprintf(digits, sizeof digits, "%lld", (long long)value);
  int first = digits[0] == '-';
  for (int i = 0; i < n; i++) {
    if (i > first && (n - i) % 3 == 0) fputc(',', f);
    fputc(digits[i], f);
  }
}

/* Flushes and closes `f` (unless it is stdout's), reporting a failed
** write of `name`; returns the exit status. */
static int finish_output(FILE *f, const char *name, netc_status status) {
  int failed = status != NETC_OK || fflush(f) != 0 || ferror(f);
  int err = errno;
  if (f != stdout && fclose(f) != 0 && !failed) {
    failed = 1;
    err = errno;
  }
  if (!failed) return EXIT_SUCCESS;
  if (status == NETC_ENOMEM)
    fprintf(stderr, "netc: %s\n", netc_strerror(status));
  else
    fprintf(stderr, "netc: cannot write %s: %s\n", name, strerror(err));
  return EXIT_FAILURE;
}

/* Reports a failed call on session `s`, in the session's words when it
** has some; returns the exit status. */
static int session_failure(const netc_session *s, netc_status status) {
  fflush(stdout); /* what came before stays before, in a shared log */
  const char *why = netc_session_error(s);
  fprintf(stderr, "netc: %s\n", why && *why ? why : netc_strerror(status));
  return EXIT_FAILURE;
}

/* ------------------------------------------------------------- data */

static const char *const fashion_names[CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
static const char *const digit_names[CLASSES] = {"0", "1", "2", "3", "4",
                                                 "5", "6", "7", "8", "9"};

/* Fashion-MNIST's class names when the folder's name says "fashion", the
** digits otherwise (both datasets use the same files and labels 0-9). */
static const char *const *class_names(const char *dir) {
  for (const char *p = dir; *p; p++)
    if (strncasecmp(p, "fashion", 7) == 0) return fashion_names;
  return digit_names;
}

/* names[label], or the label's number (written to `buf`) past the names:
** a model of 1000 classes may name none of them. */
static const char *label_name(const char *const *names, int n_names, int label,
                              char buf[16]) {
  if (label >= 0 && label < n_names) return names[label];
  snprintf(buf, 16, "%d", label);
  return buf;
}

/* DIR/PREFIX-KIND.gz into `path` when that file exists, else DIR/PREFIX-KIND
** (the loader reads both). Returns 0 when the name does not fit. */
static int data_file(char *path, const char *dir, const char *prefix,
                     const char *kind) {
  int n = snprintf(path, PATH_SIZE, "%s/%s-%s.gz", dir, prefix, kind);
  if (n < 0 || n >= PATH_SIZE) return 0;
  if (access(path, F_OK) != 0) path[n - 3] = '\0';
  return 1;
}

/* Loads the IDX pair PREFIX-images-idx3-ubyte / PREFIX-labels-idx1-ubyte of
** folder `dir` ("train" or "t10k"), keeping the first `limit` records (0:
** all). The columns are "image" and "label", the input names of a model
** such as models/mnist.net. Prints why and returns NULL on failure. */
static netc_dataset *load_idx(const char *dir, const char *prefix,
                              int64_t limit) {
  struct stat st;
  const char *why = stat(dir, &st) != 0  ? strerror(errno)
                    : !S_ISDIR(st.st_mode) ? "not a folder"
                                           : NULL;
  if (why) {
    fprintf(stderr, "netc: data folder %s: %s\n", dir, why);
    return NULL;
  }
  char images[PATH_SIZE], labels[PATH_SIZE];
  if (!data_file(images, dir, prefix, "images-idx3-ubyte") ||
      !data_file(labels, dir, prefix, "labels-idx1-ubyte")) {
    fprintf(stderr, "netc: data folder %s: name too long\n", dir);
    return NULL;
  }
  netc_idx_options o = {NULL, NULL, limit, 0};
  netc_error error = {""};
  netc_dataset *d = NULL;
  netc_status status = netc_dataset_load_idx(images, labels, &o, &d, &error);
  if (status != NETC_OK)
    fprintf(stderr, "netc: %s\n",
            error.message[0] ? error.message : netc_strerror(status));
  return d;
}

/* ------------------------------------------------ check, summary, dot */

static int run_check(const netc_model *model, netc_session *session,
                     const args *a) {
  (void)session;
  int64_t trainable = 0, frozen = 0;
  netc_status status = netc_model_param_counts(model, &trainable, &frozen);
  if (status != NETC_OK) {
    fprintf(stderr, "netc: %s\n", netc_strerror(status));
    return EXIT_FAILURE;
  }
  printf("%s: ok (model %s, ", a->file, netc_model_name(model));
  print_count(stdout, trainable + frozen);
  printf(" parameters)\n");
  return finish_output(stdout, "standard output", NETC_OK);
}

/* One line of the memory plan: "  LABEL  4,718,592 bytes (4.5 MiB)". */
static void print_bytes(const char *label, int64_t bytes) {
  static const char *const units[] = {"KiB", "MiB", "GiB"};
  printf("  %-45s ", label);
  print_count(stdout, bytes);
  fputs(" bytes", stdout);
  double scaled = (double)bytes;
  int unit = -1;
  while (scaled >= 1024 && unit < 2) {
    scaled /= 1024;
    unit++;
  }
  if (unit >= 0) printf(" (%.1f %s)", scaled, units[unit]);
  putchar('\n');
}

/* What a session allocates at the planned batch (--batch, else the
** model's): its buffers, then the peaks of an inference and a training
** step. */
static netc_status print_memory_plan(const netc_model *model, const args *a) {
  netc_memory_plan m;
  netc_status status = netc_model_memory_plan(model, (int)a->batch, &m);
  if (status != NETC_OK) return status;
  printf("\nMemory planned at batch %lld:\n", (long long)m.batch);
  print_bytes("weights", m.weights);
  print_bytes("predict arena (activations)", m.predict_arena);
  if (m.train_arena) {
    print_bytes("optimizer slots", m.slots);
    print_bytes("train arena (activations and gradients)", m.train_arena);
  }
  print_bytes("kernel scratch, per thread", m.scratch_per_thread);
  if (m.partials) print_bytes("filter-gradient partials", m.partials);
  print_bytes("inference step: weights + predict arena", m.weights + m.predict_arena);
  if (m.train_arena)
    print_bytes("training step: weights + slots + train arena",
                m.weights + m.slots + m.train_arena);
  return NETC_OK;
}

static int run_summary(const netc_model *model, netc_session *session,
                       const args *a) {
  (void)session;
  netc_status status = netc_model_write_summary(model, write_stream, stdout);
  if (status == NETC_OK) status = print_memory_plan(model, a);
  return finish_output(stdout, "standard output", status);
}

static int run_dot(const netc_model *model, netc_session *session,
                   const args *a) {
  (void)session;
  FILE *f = stdout;
  if (a->output && !(f = fopen(a->output, "w"))) {
    fprintf(stderr, "netc: cannot open %s: %s\n", a->output, strerror(errno));
    return EXIT_FAILURE;
  }
  netc_status status = netc_model_write_dot(model, write_stream, f);
  return finish_output(f, a->output ? a->output : "standard output", status);
}

/* ------------------------------------------------------------ train */

/* The progress callback's state. On a terminal the bar is redrawn in place
** (throttled, so a fast epoch does not flood it); otherwise only the line
** of each finished epoch is printed, which keeps logs short. */
/* The processes of an mpirun job (one process otherwise). */
static mpi_world world;

typedef struct progress_view {
  int tty;          /* stdout is a terminal */
  int drawn;        /* length of the bar on screen, to blank its tail */
  double drawn_at;  /* the epoch's seconds when it was drawn */
  double seconds;   /* wall time of the finished epochs */
  int epochs;       /* finished epochs */
  netc_session *session;  /* what is trained, for checkpoints */
  const char *checkpoint; /* saved there every `every` steps, or NULL */
  int64_t every;          /* steps between checkpoints */
  netc_status saved;      /* the first failed checkpoint, else NETC_OK */
} progress_view;

/* Saves a checkpoint after every `every`-th step; a failure stops the
** training (the callback returns non-zero). */
static int checkpoint(progress_view *v, const netc_progress *p) {
  if (!v->checkpoint || p->event != NETC_PROGRESS_BATCH ||
      netc_session_step(v->session) % v->every != 0)
    return 0;
  v->saved = netc_session_save(v->session, v->checkpoint);
  return v->saved != NETC_OK;
}

static int on_progress(const netc_progress *p, void *user) {
  enum { LINE = 1024 };
  static const double redraw_seconds = 0.1;
  progress_view *v = user;
  if (checkpoint(v, p)) return 1;
  int epoch_end = p->event == NETC_PROGRESS_EPOCH;
  if (!epoch_end && p->batch == 1) printf("Epoch %d/%d\n", p->epoch, p->epochs);
  if (epoch_end) {
    v->seconds += p->seconds;
    v->epochs++;
  } else if (!v->tty ||
             (p->batch > 1 && p->seconds - v->drawn_at < redraw_seconds)) {
    return 0;
  }
  char line[LINE];
  int n = netc_progress_format(p, line, sizeof line);
  if (n < 0) return 0;
  if (n >= LINE) n = LINE - 1;
  if (v->tty) {
    printf("\r%s%*s", line, v->drawn > n ? v->drawn - n : 0, "");
    v->drawn = epoch_end ? 0 : n;
    v->drawn_at = p->seconds;
  } else {
    fputs(line, stdout);
  }
  if (epoch_end) putchar('\n');
  fflush(stdout);
  return 0;
}

/* Predicts the first SHOWN images of `test` and prints each guess, its
** probability and the true class, `when` ("before"/"after") training. */
static netc_status show_predictions(netc_session *s, const netc_dataset *test,
                                    int batch, const char *const *names,
                                    const char *when) {
  int64_t rows = netc_dataset_rows(test);
  if (rows > SHOWN) rows = SHOWN;
  netc_dataset *first = NULL;
  netc_tensor labels;
  float probs[SHOWN * CLASSES] = {0};
  int64_t written = 0;
  netc_status st = netc_dataset_slice(test, 0, rows, &first, NULL);
  if (st == NETC_OK) st = netc_dataset_column(first, "label", &labels);
  if (st == NETC_OK)
    st = netc_session_predict(s, first, batch, NULL, probs, rows * CLASSES, &written);
  if (st == NETC_OK && written != rows * CLASSES) {
    fprintf(stderr, "netc: the model's first output has %lld values per image, not %d "
            "class probabilities\n", (long long)(rows ? written / rows : 0), CLASSES);
    st = NETC_ESHAPE;
  }
  if (st == NETC_OK) {
    printf("predictions %s training (first %lld test images):\n", when,
           (long long)rows);
    int right = 0;
    for (int64_t r = 0; r < rows; r++) {
      const float *p = probs + r * CLASSES;
      int best = 0;
      for (int k = 1; k < CLASSES; k++)
        if (p[k] > p[best]) best = k;
      int truth = ((const int32_t *)labels.data)[r];
      right += best == truth;
      char guess[16], real[16];
      printf("  %lld. %-12s %.3f   true: %s\n", (long long)r + 1,
             label_name(names, CLASSES, best, guess), (double)p[best],
             label_name(names, CLASSES, truth, real));
    }
    printf("  %d of %lld right\n", right, (long long)rows);
  }
  netc_dataset_destroy(first);
  return st;
}

/* Splits off the last `fraction` of `*train` as validation data; *train is
** replaced by the rest. Prints why and returns NULL on failure. */
static netc_dataset *split_validation(netc_dataset **train, double fraction) {
  int64_t rows = netc_dataset_rows(*train);
  int64_t held = (int64_t)((double)rows * fraction);
  if (held < 1 || held >= rows) {
    fprintf(stderr, "netc: --validation-split %g of %lld images leaves no "
                    "validation or no training images\n",
            fraction, (long long)rows);
    return NULL;
  }
  netc_error error = {""};
  netc_dataset *rest = NULL, *validation = NULL;
  if (netc_dataset_slice(*train, 0, rows - held, &rest, &error) != NETC_OK ||
      netc_dataset_slice(*train, rows - held, held, &validation, &error) !=
          NETC_OK) {
    fprintf(stderr, "netc: %s\n", error.message[0] ? error.message
                                                   : "out of memory");
    netc_dataset_destroy(rest);
    return NULL;
  }
  netc_dataset_destroy(*train);
  *train = rest;
  return validation;
}

/* Prints "test xent: 0.3012 - test acc: 0.8905". */
static netc_status report_test(netc_session *s, const netc_dataset *test,
                               int batch) {
  const char *names[MAX_VALUES];
  double values[MAX_VALUES];
  int count = 0;
  netc_status st = netc_session_evaluate(s, test, batch, names, values,
                                         MAX_VALUES, &count);
  if (st != NETC_OK) return st;
  for (int i = 0; i < count && i < MAX_VALUES; i++)
    printf("%stest %s: %.4f", i ? " - " : "", names[i], values[i]);
  putchar('\n');
  return NETC_OK;
}

/* Trains with the progress bar (and checkpoints); *view receives the
** epochs and their time. */
static netc_status fit_with_progress(netc_session *s, const args *a,
                                     const netc_dataset *train,
                                     const netc_dataset *validation,
                                     progress_view *view) {
  /* mpirun hands rank 0 a terminal even when its own output is a file */
  int tty = isatty(fileno(stdout)) && !world.comm;
  progress_view start = {tty, 0, 0, 0, 0, s,
                         a->checkpoint ? a->output : NULL, a->checkpoint, NETC_OK};
  *view = start;
  netc_fit_options fit = {.epochs = (int)a->epochs,
                          .batch_size = (int)a->batch,
                          .validation = validation,
                          .progress = on_progress,
                          .user = view,
                          .mpi_comm = world.comm,
                          .comm_timeout = a->timeout,
                          .check_replicas = a->check_replicas};
  netc_status st = netc_session_fit(s, train, &fit);
  if (view->drawn) putchar('\n'); /* a bar cut short by a failure */
  return st == NETC_OK ? view->saved : st;
}

/* "time: 1.2s per epoch, 850 images/s" */
static void print_speed(const progress_view *view, const netc_dataset *train) {
  if (view->epochs > 0 && view->seconds > 0)
    printf("time: %.1fs per epoch, %.0f images/s\n", view->seconds / view->epochs,
           (double)netc_dataset_rows(train) * view->epochs / view->seconds);
}

/* Predicts every row of `d` (f32 probabilities, `*classes` per row, into a
** new buffer), one row per step: any session can, and a row's result does
** not depend on its neighbours. Prints why and returns NULL on failure. */
static float *predict_rows(netc_session *s, const netc_dataset *d, int *classes) {
  int64_t rows = netc_dataset_rows(d), capacity = rows * MAX_OUTPUTS, written = 0;
  float *probs = malloc((size_t)capacity * sizeof *probs);
  netc_status st = probs ? netc_session_predict(s, d, 1, NULL, probs, capacity, &written)
                         : NETC_ENOMEM;
  if (st != NETC_OK) {
    session_failure(s, st);
    free(probs);
    return NULL;
  }
  *classes = rows ? (int)(written / rows) : 0;
  return probs;
}

/* One class of a prediction, for ranking them. */
typedef struct ranked {
  float p;   /* its probability */
  int label; /* its number */
} ranked;

/* The more likely first; of equals, the lower number. */
static int by_probability(const void *x, const void *y) {
  const ranked *a = x, *b = y;
  int order = (a->p < b->p) - (a->p > b->p);
  return order ? order : (a->label > b->label) - (a->label < b->label);
}

/* "test image 0: Coat (4) 0.912345  true: Coat", or with top > 1 a
** heading and the most likely classes one per line. `names` holds
** `n_names` names; `truth` < 0 when unknown. */
static void print_prediction(const char *what, const float *p, int classes,
                             const char *const *names, int n_names, int top, int truth) {
  ranked order[MAX_OUTPUTS];
  if (classes > MAX_OUTPUTS) classes = MAX_OUTPUTS; /* predict_rows's limit */
  int shown = top < classes ? top : classes;
  for (int c = 0; c < classes; c++) order[c] = (ranked){p[c], c};
  qsort(order, (size_t)classes, sizeof *order, by_probability);
  char best[16], real[16];
  const char *truth_name = label_name(names, n_names, truth, real);
  if (shown == 1) {
    printf("%s: %s (%d) %.6f", what, label_name(names, n_names, order[0].label, best),
           order[0].label, (double)order[0].p);
    if (truth >= 0) printf("  true: %s", truth_name);
  } else {
    printf("%s", what);
    if (truth >= 0) printf(" (true: %s)", truth_name);
    putchar(':');
  }
  putchar('\n');
  for (int k = 0; shown > 1 && k < shown; k++)
    printf("  %d. %-12s (%d) %.6f\n", k + 1,
           label_name(names, n_names, order[k].label, best), order[k].label,
           (double)order[k].p);
}

/* Predicts test record `index` alone and prints it as "test image K: ...". */
static netc_status predict_test_record(netc_session *s, const netc_dataset *test,
                                       int64_t index, const char *const *names, int top) {
  netc_dataset *one = NULL;
  netc_tensor labels;
  int classes = 0;
  float *probs = NULL;
  netc_status st = netc_dataset_slice(test, index, 1, &one, NULL);
  if (st == NETC_OK) st = netc_dataset_column(one, "label", &labels);
  if (st == NETC_OK && !(probs = predict_rows(s, one, &classes))) st = NETC_EINVAL;
  if (probs) {
    char what[64];
    snprintf(what, sizeof what, "test image %lld", (long long)index);
    print_prediction(what, probs, classes, names, CLASSES, top,
                     ((const int32_t *)labels.data)[0]);
  }
  free(probs);
  netc_dataset_destroy(one);
  return st;
}

/* Predicts, trains, evaluates and predicts again, printing as it goes;
** data and session are ready. With -o the session is saved at the end (and
** every --checkpoint-every steps), and test image 0 is predicted once more
** as `netc predict` on the saved file will. */
static netc_status train_session(netc_session *s, const args *a,
                                 const netc_dataset *train,
                                 const netc_dataset *validation,
                                 const netc_dataset *test) {
  const char *const *names = class_names(a->data);
  int batch = (int)a->batch; /* 0: the model's, as planned for max_batch */
  printf("train on %lld images", (long long)netc_dataset_rows(train));
  if (validation)
    printf(", validate on %lld", (long long)netc_dataset_rows(validation));
  printf(", test on %lld", (long long)netc_dataset_rows(test));
  if (netc_session_step(s) > 0)
    printf(", resuming at step %lld", (long long)netc_session_step(s));
  putchar('\n');
  progress_view view;
  netc_status st = show_predictions(s, test, batch, names, "before");
  if (st == NETC_OK) st = fit_with_progress(s, a, train, validation, &view);
  if (st == NETC_OK) st = report_test(s, test, batch);
  if (st != NETC_OK) return st;
  print_speed(&view, train);
  st = show_predictions(s, test, batch, names, "after");
  if (st != NETC_OK || !a->output) return st;
  st = netc_session_save(s, a->output);
  if (st != NETC_OK) return st;
  printf("saved %s (step %lld)\n", a->output, (long long)netc_session_step(s));
  return netc_dataset_rows(test) ? predict_test_record(s, test, 0, names, 1) : NETC_OK;
}

/* Trains on an image folder, validating on a split of it; the class names
** go into the session, and so into the file saved with -o. */
static int train_folder(const netc_model *model, netc_session *s, const args *a) {
  int height, width;
  if (model_image_size(model, &height, &width) != 0) return EXIT_FAILURE;
  netc_dataset *validation = NULL;
  double scale = image_pixel_scale(model, s, &a->image);
  netc_dataset *train = load_image_folder(a->data, height, width, a->limit,
                                          a->validation_split, scale, &a->image, &validation);
  int code = !train || remember_classes(s, train, scale) != 0;
  if (code) {
    netc_dataset_destroy(validation);
    netc_dataset_destroy(train);
    return EXIT_FAILURE;
  }
  printf("train on %lld images of %s (%dx%d)", (long long)netc_dataset_rows(train),
         a->data, width, height);
  if (validation) printf(", validate on %lld", (long long)netc_dataset_rows(validation));
  if (netc_session_step(s) > 0)
    printf(", resuming at step %lld", (long long)netc_session_step(s));
  printf("\nclasses:");
  for (int k = 0; k < netc_session_class_count(s); k++)
    printf("%s %d %s", k ? "," : "", k, netc_session_class_name(s, k));
  putchar('\n');
  progress_view view;
  netc_status st = fit_with_progress(s, a, train, validation, &view);
  if (st == NETC_OK) print_speed(&view, train);
  if (st == NETC_OK && a->output) st = netc_session_save(s, a->output);
  if (st == NETC_OK && a->output)
    printf("saved %s (step %lld)\n", a->output, (long long)netc_session_step(s));
  code = st == NETC_OK ? finish_output(stdout, "standard output", st)
                       : session_failure(s, st);
  netc_dataset_destroy(validation);
  netc_dataset_destroy(train);
  return code;
}

static int run_train(const netc_model *model, netc_session *s, const args *given) {
  args rank_args = *given; /* under mpirun, rank 0 alone writes -o */
  if (world.rank != 0) rank_args.output = NULL;
  const args *a = &rank_args;
  if (is_image_folder(a->data)) return train_folder(model, s, a);
  netc_dataset *train = NULL, *test = NULL, *validation = NULL;
  int code = EXIT_FAILURE;
  int loaded = (train = load_idx(a->data, "train", a->limit)) &&
               (test = load_idx(a->data, "t10k", a->test_limit)) &&
               (a->validation_split == 0 ||
                (validation = split_validation(&train, a->validation_split)));
  if (loaded) {
    netc_status st = train_session(s, a, train, validation, test);
    code = st == NETC_OK ? finish_output(stdout, "standard output", st)
                         : session_failure(s, st);
    /* feeding by name is netc train's convention, not the model's */
    if (st == NETC_ENOTFOUND || st == NETC_ESHAPE || st == NETC_EDTYPE)
      fprintf(stderr, "hint: netc train feeds the images to input 'image' "
                      "(f32[batch,H,W,1]) and the labels to input 'label' "
                      "(i32[batch])\n");
  }
  netc_dataset_destroy(validation);
  netc_dataset_destroy(test);
  netc_dataset_destroy(train);
  return code;
}

/* ------------------------------------- compile, eval, predict, inspect */

static int run_compile(const netc_model *model, netc_session *s, const args *a) {
  int64_t trainable = 0, frozen = 0;
  netc_model_param_counts(model, &trainable, &frozen);
  netc_status st = netc_session_save(s, a->output);
  if (st != NETC_OK) return session_failure(s, st);
  printf("wrote %s: model %s, ", a->output, netc_model_name(model));
  print_count(stdout, trainable + frozen);
  printf(" parameters initialized with seed %lld\n", (long long)a->seed);
  return finish_output(stdout, "standard output", NETC_OK);
}

static int run_eval(const netc_model *model, netc_session *s, const args *a) {
  (void)model;
  netc_dataset *test = load_idx(a->data, "t10k", a->test_limit);
  if (!test) return EXIT_FAILURE;
  printf("evaluate on %lld test images\n", (long long)netc_dataset_rows(test));
  netc_status st = report_test(s, test, (int)a->batch);
  netc_dataset_destroy(test);
  return st == NETC_OK ? finish_output(stdout, "standard output", st)
                       : session_failure(s, st);
}

/* The images given on the command line, resized to the model's input
** 'image'. Prints why and returns NULL on failure. */
static netc_dataset *load_images(const netc_model *model, const args *a) {
  netc_tensor type;
  if (netc_model_input(model, "image", &type) != NETC_OK || type.rank != 4 ||
      type.dims[1] < 1 || type.dims[2] < 1 || (type.dims[3] != 1 && type.dims[3] != 3)) {
    fprintf(stderr, "netc: predicting image files needs an input 'image' "
                    "f32[batch,H,W,1 or 3]\n");
    return NULL;
  }
  netc_error error = {""};
  netc_dataset *d = NULL;
  netc_status st = netc_dataset_load_image_files(a->inputs, a->n_inputs,
                                                 (int)type.dims[1], (int)type.dims[2],
                                                 (int)type.dims[3], "image", &d, &error);
  if (st != NETC_OK)
    fprintf(stderr, "netc: %s\n", error.message[0] ? error.message : netc_strerror(st));
  return d;
}

static int run_predict(const netc_model *model, netc_session *s, const args *a) {
  const char *const *names = a->data ? class_names(a->data) : digit_names;
  int top = a->top ? (int)a->top : 1;
  if (!a->n_inputs) {
    netc_dataset *test = load_idx(a->data, "t10k", a->index + 1);
    if (!test) return EXIT_FAILURE;
    netc_status st = a->index < netc_dataset_rows(test)
                         ? predict_test_record(s, test, a->index, names, top)
                         : NETC_EINVAL;
    if (st == NETC_EINVAL && a->index >= netc_dataset_rows(test))
      fprintf(stderr, "netc: --index %lld: the test set has %lld images\n",
              (long long)a->index, (long long)netc_dataset_rows(test));
    netc_dataset_destroy(test);
    return st == NETC_OK ? finish_output(stdout, "standard output", st) : EXIT_FAILURE;
  }
  /* a model trained on an image folder names its classes; others are
  ** numbered (digits, or Fashion-MNIST's names with --data) */
  int named = netc_session_class_count(s), n_names = CLASSES;
  const char **folder_names = named ? malloc((size_t)named * sizeof *folder_names) : NULL;
  if (named && !folder_names) {
    fprintf(stderr, "netc: out of memory\n");
    return EXIT_FAILURE;
  }
  for (int k = 0; k < named; k++) folder_names[k] = netc_session_class_name(s, k);
  if (named) {
    names = folder_names;
    n_names = named;
  }
  netc_dataset *images = load_images(model, a);
  netc_dataset *feed =
      images ? scaled_images(images, image_pixel_scale(model, s, &a->image)) : NULL;
  int classes = 0;
  float *probs = feed ? predict_rows(s, feed, &classes) : NULL;
  for (int i = 0; probs && i < a->n_inputs; i++)
    print_prediction(a->inputs[i], probs + (size_t)i * (size_t)classes, classes, names,
                     n_names, top, -1);
  int code = probs ? finish_output(stdout, "standard output", NETC_OK) : EXIT_FAILURE;
  if (code == 0 && a->image.grid) {
    code = write_prediction_grid(a->image.grid, images, probs, classes, names, n_names);
    if (code == 0) printf("wrote %s\n", a->image.grid);
  }
  if (code == 0 && a->fetch) code = save_outputs(s, feed, a->fetch, a->save_outputs);
  netc_dataset_destroy(feed);
  netc_dataset_destroy(images);
  free(probs);
  free(folder_names);
  return code ? EXIT_FAILURE : finish_output(stdout, "standard output", NETC_OK);
}

static int run_inspect(const netc_model *model, netc_session *s, const args *a) {
  (void)model;
  printf("file: %s\n", a->file);
  netc_status st = netc_session_write_state(s, write_stream, stdout);
  return finish_output(stdout, "standard output", st);
}

/* --------------------------------------------------------- import-keras */

static int run_import_keras(const netc_model *model, netc_session *s, const args *a) {
  netc_import_report r;
  netc_status st = netc_session_import_keras(s, a->inputs[0], &r);
  if (st != NETC_OK) return session_failure(s, st);
  printf("imported %s into model %s: %d layer%s filled, ", a->inputs[0],
         netc_model_name(model), r.filled, r.filled == 1 ? "" : "s");
  print_count(stdout, r.params_imported);
  printf(" of ");
  print_count(stdout, r.params_total);
  printf(" parameters\n");
  static const char *const headings[] = {
      [NETC_IMPORT_FILLED] = "filled", [NETC_IMPORT_SKIPPED] = "skipped (not in the model)",
      [NETC_IMPORT_NOT_FILLED] = "not filled (weights kept)"};
  for (int outcome = NETC_IMPORT_FILLED; outcome <= NETC_IMPORT_NOT_FILLED; outcome++) {
    int shown = 0, column = 0;
    for (int i = 0; i < r.listed; i++) {
      if ((int)r.layers[i].outcome != outcome) continue;
      if (shown++ == 0) {
        column = printf("  %s: ", headings[outcome]);
      } else if (column + 2 + (int)strlen(r.layers[i].name) > 78) {
        column = printf(",\n    ") - 2;
      } else {
        column += printf(", ");
      }
      column += printf("%s", r.layers[i].name);
    }
    if (shown) putchar('\n');
  }
  if (r.listed < r.filled + r.skipped + r.not_filled)
    printf("  (and %d more layers)\n", r.filled + r.skipped + r.not_filled - r.listed);
  st = netc_session_save(s, a->output);
  if (st != NETC_OK) return session_failure(s, st);
  printf("wrote %s\n", a->output);
  return finish_output(stdout, "standard output", NETC_OK);
}

/* ------------------------------------------------------------ samples */

static int run_samples(const netc_model *model, netc_session *session,
                       const args *a) {
  (void)model, (void)session;
  const char *path = a->output ? a->output : "samples.png";
  if (is_image_folder(a->data))
    return write_folder_samples(a->data, &a->image, a->count ? a->count : DEFAULT_COUNT,
                                (uint64_t)a->seed, path);
  netc_dataset *d =
      load_idx(a->data, a->test ? "t10k" : "train",
               a->count ? a->count : DEFAULT_COUNT);
  if (!d) return EXIT_FAILURE;
  netc_tensor images, labels;
  if (netc_dataset_column(d, "image", &images) != NETC_OK ||
      netc_dataset_column(d, "label", &labels) != NETC_OK) {
    fprintf(stderr, "netc: the IDX loader gave no image or label column\n");
    netc_dataset_destroy(d);
    return EXIT_FAILURE;
  }
  int n = (int)images.dims[0];
  int columns = n < GRID_COLUMNS ? n : GRID_COLUMNS;
  int height = (int)images.dims[1], width = (int)images.dims[2];
  const float *pixels = images.data;
  const int32_t *label = labels.data;
  image_grid *grid = image_grid_create(columns, (n + columns - 1) / columns,
                                       height, width, GRID_SCALE);
  char why[256] = "out of memory";
  int failed = !grid;
  for (int i = 0; !failed && i < n; i++)
    image_grid_put(grid, i, pixels + (size_t)i * (size_t)(height * width),
                   label[i]);
  failed = failed || image_grid_write(grid, path, why, sizeof why) != 0;
  image_grid_destroy(grid);
  if (failed) {
    fprintf(stderr, "netc: cannot write %s: %s\n", path, why);
    netc_dataset_destroy(d);
    return EXIT_FAILURE;
  }
  const char *const *names = class_names(a->data);
  printf("wrote %s: the first %d %s images of %s, %d per row, each with "
         "its label\n", path, n, a->test ? "test" : "training", a->data,
         columns);
  if (names != digit_names) {
    printf("classes:");
    for (int k = 0; k < CLASSES; k++)
      printf("%s %d %s", k ? "," : "", k, names[k]);
    putchar('\n');
  }
  for (int i = 0; i < n; i++) {
    if (i % columns == 0) fputs(i ? "\n  " : "  ", stdout);
    else fputs(", ", stdout);
    char number[16];
    fputs(label_name(names, CLASSES, label[i], number), stdout);
  }
  putchar('\n');
  netc_dataset_destroy(d);
  return finish_output(stdout, "standard output", NETC_OK);
}

/* ------------------------------------------------------------ command line */

static const command commands[] = {
    {"check", "FILE.net|FILE.h5", "compile a model and report its errors", NULL, 0,
     0, NEEDS_MODEL, 0, run_check},
    {"summary", "[--batch N] FILE.net|FILE.h5",
     "print layers, shapes, parameters, FLOPs and activation memory",
     "The memory a session plans for one inference and one training step\n"
     "ends the summary, at batch N (default: the model's, else 32).\n",
     OPT_BATCH, 0, NEEDS_MODEL, 0, run_summary},
    {"dot", "[-o OUT.dot] FILE.net|FILE.h5",
     "write the graph in Graphviz DOT (render it with `dot -Tsvg`)",
     "The graph goes to standard output unless -o is given.\n", OPT_OUTPUT, 0,
     NEEDS_MODEL, 0, run_dot},
    {"compile", "FILE.net -o FILE.h5 [--seed S]",
     "compile a model and save it with initialized weights to an .h5 file",
     "The file holds the graph, the .net sources and the weights; train,\n"
     "eval, predict, summary and inspect read it without the .net file.\n",
     OPT_OUTPUT | OPT_SEED, OPT_OUTPUT, NEEDS_SESSION, 0, run_compile},
    {"train", "FILE.net|FILE.h5 --data DIR [-o OUT.h5] [OPTIONS]",
     "train a model on IDX files (MNIST, Fashion-MNIST), report test figures",
     "The images feed the model's input 'image' and the labels its input\n"
     "'label'. Predictions on the first test images are shown before and\n"
     "after training; the progress bar is redrawn in place on a terminal,\n"
     "and only each epoch's last line is printed otherwise. An .h5 file\n"
     "resumes where it stopped (weights, optimizer, step, data cursor and\n"
     "seed), bit for bit as if training had not been interrupted. With -o\n"
     "the session is saved at the end, then test image 0 is predicted as\n"
     "`netc predict OUT.h5 --data DIR --index 0` will.\n"
     "\n"
     "DIR may instead be an image folder, DIR/<class>/*.jpg|*.jpeg|*.png\n"
     "(classes sorted by name, as Keras's flow_from_directory): its images\n"
     "are resized to the input 'image' (f32[batch,H,W,3], pixels 0..255\n"
     "times --rescale: by default 1 when 'image' goes into caffe_preprocess,\n"
     "as for VGG16, else 1/255) and their class numbers feed 'label'. Training\n"
     "images are augmented as --flip, --rotation, --shift and --zoom say,\n"
     "--validation-split holds out a seeded random part (the same each run)\n"
     "and --limit counts per class. The class names are saved with the\n"
     "model, so `netc predict OUT.h5 photo.jpg` prints them.\n"
     "\n"
     "Under `mpirun -np N` the training runs data-parallel: each process\n"
     "computes its share of every batch of --batch rows and the gradients\n"
     "are summed over the processes (docs/distributed.md). Rank 0 alone\n"
     "prints and writes -o; a file written by N processes resumes on any\n"
     "number with the same --batch.\n",
     OPT_DATA | OPT_OUTPUT | OPT_EPOCHS | OPT_BATCH | OPT_SEED | OPT_THREADS |
         OPT_LIMIT | OPT_TEST_LIMIT | OPT_SPLIT | OPT_CHECKPOINT | OPT_AUGMENT |
         OPT_SKIP_BAD | OPT_TIMEOUT | OPT_CHECK_REPLICAS,
     OPT_DATA, NEEDS_SESSION, 0, run_train},
    {"eval", "FILE.h5 --data DIR [OPTIONS]",
     "report the losses and metrics of a model on the IDX test files", NULL,
     OPT_DATA | OPT_BATCH | OPT_THREADS | OPT_TEST_LIMIT, OPT_DATA, NEEDS_SESSION,
     0, run_eval},
    {"predict", "FILE.h5 (--data DIR --index K | IMAGE... [--grid OUT.png]\n"
     "            [--fetch NAME[,NAME] --save-outputs OUT.h5]) [--top K]",
     "classify test images or JPEG/PNG files, with the class probability",
     "Test image K of the IDX files in DIR, or each JPEG or PNG file\n"
     "(resized to the model's input 'image', pixels 0..255 when 'image'\n"
     "goes into caffe_preprocess, as for VGG16, else scaled to [0, 1]). The\n"
     "model's first output gives the class probabilities. Class names are\n"
     "Fashion-MNIST's when DIR's name says fashion, else the class numbers.\n"
     "A model trained on an image folder gets its pixels as in training\n"
     "(0..255 times its --rescale) and names its classes.\n"
     "--save-outputs writes each --fetch tensor as a float32 dataset named\n"
     "after it, one row per image in the order given (NHWC, row-major).\n",
     OPT_DATA | OPT_INDEX | OPT_TOP | OPT_THREADS | OPT_GRID | OPT_FETCH |
         OPT_SAVE_OUTPUTS,
     0, NEEDS_SESSION, 1, run_predict},
    {"inspect", "FILE.h5",
     "print the training state of a saved model: step, epoch, optimizer, history",
     NULL, 0, 0, NEEDS_SESSION, 0, run_inspect},
    {"samples", "--data DIR [-o FILE.png] [--count N] [--test | AUGMENTATION]",
     "write a PNG grid of the first images of IDX files with their labels",
     "The grid goes to samples.png unless -o is given; each image is shown\n"
     "twice its size with its class number under it. For an image folder\n"
     "the images are taken across the classes, resized to --size and\n"
     "augmented as `netc train --seed S` with the same options does in its\n"
     "first epoch, each with its class name.\n",
     OPT_DATA | OPT_OUTPUT | OPT_COUNT | OPT_TEST | OPT_AUGMENT | OPT_SKIP_BAD |
         OPT_SIZE | OPT_SEED,
     OPT_DATA, NEEDS_NOTHING, 0, run_samples},
    {"import-keras", "KERAS.h5 --model FILE.net -o OUT.h5 [--seed S]",
     "fill a model with the weights of a Keras HDF5 file and save it",
     "Reads a weight file of Keras 1 or 2 (save_weights or model.save), such\n"
     "as applications' vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5:\n"
     "each of its layers with weights fills the model's layer of the same\n"
     "name. Model layers the file lacks keep their weights (the seed's, or\n"
     "a saved model's) and file layers the model lacks are skipped; both\n"
     "are listed. The session is saved to OUT.h5.\n"
     "A weight of another shape is an error and nothing is written.\n",
     OPT_MODEL | OPT_OUTPUT | OPT_SEED | OPT_THREADS, OPT_MODEL | OPT_OUTPUT, NEEDS_SESSION,
     1, run_import_keras},
};
enum { N_COMMANDS = sizeof commands / sizeof *commands };

static void print_help(FILE *f) {
  fprintf(f, "usage: netc COMMAND [OPTIONS] [FILE.net|FILE.h5]\n\ncommands:\n");
  for (int i = 0; i < N_COMMANDS; i++)
    fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
  fprintf(f, "  %-12s %s\n", "env", "step CartPole by hand: netc env cartpole --help");
  fprintf(f, "\noptions:\n"
             "  -h, --help   show this help, or a command's help after it\n"
             "  --version    show the version\n"
             "\nexit status: 0 on success, 1 when the model has errors, a\n"
             "file cannot be read or written or training fails, 2 on a\n"
             "usage error\n");
}

static void print_command_help(FILE *f, const command *c) {
  fprintf(f, "usage: netc %s %s\n\n%s\n", c->name, c->usage, c->help);
  if (c->details) fprintf(f, "\n%s", c->details);
  fputs("\noptions:\n", f);
  for (int i = 0; i < N_OPTIONS; i++) {
    const option *o = &options[i];
    if (!(c->options & o->bit)) continue;
    char left[64];
    snprintf(left, sizeof left, "%s%s%s", o->name, o->value ? " " : "",
             o->value ? o->value : "");
    fprintf(f, "  %-22s %s%s\n", left, o->help,
            c->required & o->bit ? " (required)" : "");
  }
  fprintf(f, "  %-22s %s\n", "-h, --help", "show this help");
}

/* Reports a usage error, with the usage of command `c` when there is one;
** returns the exit status for it. */
static int usage_error(const command *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const command *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "netc: ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (c)
    fprintf(stderr, "\nusage: netc %s %s\n", c->name, c->usage);
  else
    fprintf(stderr, "\nrun 'netc --help' for the list of commands\n");
  return EXIT_USAGE;
}

/* Levenshtein distance, for "did you mean"; command names are short. */
static int edit_distance(const char *a, const char *b) {
  enum { MAX = 32 };
  size_t n = strlen(b);
  if (strlen(a) >= MAX || n >= MAX) return MAX;
  int row[MAX + 1];
  for (size_t j = 0; j <= n; j++) row[j] = (int)j;
  for (size_t i = 1; a[i - 1]; i++) {
    int diagonal = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= n; j++) {
      int above = row[j];
      int best = diagonal + (a[i - 1] != b[j - 1]);
      if (above + 1 < best) best = above + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diagonal = above;
    }
  }
  return row[n];
}

static int unknown_command(const char *name) {
  const command *best = NULL;
  int best_distance = 3; /* suggest only up to two edits away */
  for (int i = 0; i < N_COMMANDS; i++) {
    int d = edit_distance(name, commands[i].name);
    if (d < best_distance) {
      best = &commands[i];
      best_distance = d;
    }
  }
  fprintf(stderr, "netc: unknown command '%s'", name);
  if (best) fprintf(stderr, " (did you mean '%s'?)", best->name);
  fprintf(stderr, "\nrun 'netc --help' for the list of commands\n");
  return EXIT_USAGE;
}

/* The option of command `c` that `arg` names, as "--name" or, for options
** with a value, "--name=value" (*inline_value then points at the value). */
static const option *find_option(const command *c, const char *arg,
                                 const char **inline_value) {
  for (int i = 0; i < N_OPTIONS; i++) {
    const option *o = &options[i];
    size_t n = strlen(o->name);
    if (!(c->options & o->bit) || strncmp(arg, o->name, n) != 0) continue;
    if (arg[n] == '\0' || (arg[n] == '=' && o->value)) {
      *inline_value = arg[n] ? arg + n + 1 : NULL;
      return o;
    }
  }
  return NULL;
}

/* Stores `value` (NULL for a flag) for option `o` in `a`; returns 0, or
** the exit status of a usage error. */
static int set_option(const command *c, const option *o, const char *value,
                      args *a) {
  char *field = (char *)a + o->offset;
  char *end = NULL;
  errno = 0;
  if (o->kind == OPTION_FLAG) {
    *(int *)field = 1;
  } else if (o->kind == OPTION_STRING) {
    *(const char **)field = value;
  } else if (o->kind == OPTION_INT) {
    long long v = strtoll(value, &end, 10);
    if (end == value || *end != '\0')
      return usage_error(c, "%s needs a whole number, got '%s'", o->name,
                         value);
    if (errno == ERANGE || v < o->min || v > o->max)
      return usage_error(c, "%s must be from %lld to %lld, got '%s'", o->name,
                         (long long)o->min, (long long)o->max, value);
    *(int64_t *)field = v;
  } else if (o->kind == OPTION_FRACTION) {
    double v = strtod(value, &end);
    if (end == value || *end != '\0' || !(v >= 0 && v < 1))
      return usage_error(c, "%s needs a number from 0 to below 1, got '%s'",
                         o->name, value);
    *(double *)field = v;
  } else {
    double v = strtod(value, &end);
    if (end == value || *end != '\0' || !(v >= (double)o->min && v <= (double)o->max))
      return usage_error(c, "%s needs a number from %lld to %lld, got '%s'", o->name,
                         (long long)o->min, (long long)o->max, value);
    *(double *)field = v;
  }
  return 0;
}

/* Prints each diagnostic as it arrives and counts the errors. */
static void on_diagnostic(const netc_diagnostic *d, void *user) {
  fputs(d->rendered, stderr);
  if (d->severity == NETC_SEVERITY_ERROR) ++*(int *)user;
}

/* Whether `path` names a saved model (loaded) rather than a .net file
** (compiled): its extension says so. */
static int is_saved_model(const char *path) {
  size_t n = strlen(path);
  return (n > 3 && strcmp(path + n - 3, ".h5") == 0) ||
         (n > 5 && strcmp(path + n - 5, ".hdf5") == 0);
}

/* The model and, when the command needs one, the session of a.file:
** compiled (and a new session) or loaded. Prints why and returns the exit
** status on failure, 0 on success. */
static int open_model(const command *c, const args *a, netc_model **model,
                      netc_session **session) {
  netc_session_options so = {(uint64_t)a->seed, (int)a->batch, (int)a->threads};
  if (is_saved_model(a->file)) {
    netc_error error = {""};
    netc_status st = netc_session_load(a->file, &so, model,
                                       c->needs == NEEDS_SESSION ? session : NULL, &error);
    if (st == NETC_OK) return 0;
    fprintf(stderr, "netc: %s\n", error.message[0] ? error.message : netc_strerror(st));
    return EXIT_FAILURE;
  }
  int errors = 0;
  netc_compile_options compile = {on_diagnostic, &errors, NULL, 0};
  netc_status st = netc_model_compile_file(a->file, &compile, model);
  if (st == NETC_ECOMPILE) {
    fprintf(stderr, "netc: %d error%s\n", errors, errors == 1 ? "" : "s");
    return EXIT_FAILURE;
  }
  if (st == NETC_OK && c->needs == NEEDS_SESSION)
    st = netc_session_create(*model, &so, session);
  if (st == NETC_OK) return 0;
  fprintf(stderr, "netc: %s: %s\n", a->file, netc_strerror(st));
  netc_model_destroy(*model);
  *model = NULL;
  return EXIT_FAILURE;
}

static int run_command(const command *c, int argc, char **argv) {
  args a;
  memset(&a, 0, sizeof a);
  unsigned given = 0;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *value = NULL;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      print_command_help(stdout, c);
      return EXIT_SUCCESS;
    }
    const option *o = find_option(c, arg, &value);
    if (o) {
      if (o->value && !value && ++i == argc)
        return usage_error(c, "%s needs %s", o->name, o->value);
      int code = set_option(c, o, value ? value : argv[i], &a);
      if (code != 0) return code;
      given |= o->bit;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return usage_error(c, "unknown option '%s'", arg);
    } else if (!a.file && c->needs != NEEDS_NOTHING && !(c->options & OPT_MODEL)) {
      a.file = arg;
    } else if ((a.file || (c->options & OPT_MODEL)) && c->inputs && a.n_inputs < MAX_INPUTS) {
      a.inputs[a.n_inputs++] = arg;
    } else {
      return usage_error(c, "unexpected argument '%s'", arg);
    }
  }
  for (int i = 0; i < N_OPTIONS; i++)
    if (c->required & options[i].bit & ~given)
      return usage_error(c, "%s needs %s %s", c->name, options[i].name,
                         options[i].value);
  unsigned folder_only = OPT_AUGMENT | OPT_SKIP_BAD | OPT_SIZE;
  if ((given & folder_only) && a.data && !is_image_folder(a.data))
    return usage_error(c, "%s is not an image folder (DIR/<class>/*.jpg): augmentation, "
                       "--skip-bad and --size are for image folders", a.data);
  if (!(given & OPT_FETCH) != !(given & OPT_SAVE_OUTPUTS))
    return usage_error(c, "--fetch and --save-outputs go together");
  if ((given & (OPT_GRID | OPT_FETCH)) && !a.n_inputs)
    return usage_error(c, "--grid and --fetch need image files");
  if (c->needs == NEEDS_NOTHING) return c->run(NULL, NULL, &a);
  if (!a.file) return usage_error(c, "%s needs a model file", c->name);
  int saved = is_saved_model(a.file);
  if (c->run == run_compile && saved)
    return usage_error(c, "compile takes a .net file, not %s", a.file);
  if (saved && (given & OPT_SEED))
    return usage_error(c, "--seed is for .net files: %s keeps its own", a.file);
  if ((given & OPT_CHECKPOINT) && !a.output)
    return usage_error(c, "--checkpoint-every needs -o OUT.h5");
  if (c->run == run_predict && !a.n_inputs == !(given & OPT_INDEX))
    return usage_error(c, "predict needs --index K (with --data) or image files");
  if (c->run == run_import_keras && a.n_inputs != 1)
    return usage_error(c, "import-keras needs one Keras .h5 file");
  if (c->run == run_predict && (given & OPT_INDEX) && !a.data)
    return usage_error(c, "--index needs --data DIR");

  netc_model *model = NULL;
  netc_session *session = NULL;
  int code = open_model(c, &a, &model, &session);
  if (code == 0) code = c->run(model, session, &a);
  netc_session_destroy(session);
  netc_model_destroy(model);
  return code;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_help(stderr);
    return EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
    print_help(stdout);
    return EXIT_SUCCESS;
  }
  if (strcmp(name, "--version") == 0) {
    printf("netc %s\n", PACKAGE_VERSION);
    return EXIT_SUCCESS;
  }
  if (name[0] == '-') return usage_error(NULL, "unknown option '%s'", name);
  if (strcmp(name, "env") == 0) return netc_cli_env(argc - 2, argv + 2);
  for (int i = 0; i < N_COMMANDS; i++)
    if (strcmp(name, commands[i].name) == 0) {
      if (mpi_world_join(&argc, &argv, &world) != 0) return EXIT_FAILURE;
      return mpi_world_leave(&world, run_command(&commands[i], argc - 2, argv + 2));
    }
  return unknown_command(name);
}
