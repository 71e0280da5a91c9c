/*
** netc.c: the `netc` command-line tool. A thin client of netc.h, and the
** only code in the project that prints or exits. Each command compiles one
** .net file and then reports on it; the table `commands` lists them.
** Exit status: 0 on success, 1 on a failure (the model has errors, a file
** cannot be read or written), 2 on a usage error.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "netc.h"

enum { EXIT_USAGE = 2 };

/* What the command line asked for, after the command name. */
typedef struct args {
  const char *file;   /* the .net file */
  const char *output; /* -o FILE, or NULL for standard output */
} args;

typedef struct command {
  const char *name;    /* as typed */
  const char *usage;   /* the arguments after the name */
  const char *help;    /* one line, lowercase */
  const char *options; /* extra help lines, or NULL */
  int takes_output;    /* accepts -o FILE */
  int (*run)(const netc_model *model, const args *a); /* returns exit status */
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

static int run_check(const netc_model *model, const args *a) {
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

static int run_summary(const netc_model *model, const args *a) {
  (void)a;
  netc_status status = netc_model_write_summary(model, write_stream, stdout);
  return finish_output(stdout, "standard output", status);
}

static int run_dot(const netc_model *model, const args *a) {
  FILE *f = stdout;
  if (a->output && !(f = fopen(a->output, "w"))) {
    fprintf(stderr, "netc: cannot open %s: %s\n", a->output, strerror(errno));
    return EXIT_FAILURE;
  }
  netc_status status = netc_model_write_dot(model, write_stream, f);
  return finish_output(f, a->output ? a->output : "standard output", status);
}

static const command commands[] = {
    {"check", "FILE.net", "compile a model and report its errors", NULL, 0,
     run_check},
    {"summary", "FILE.net",
     "print layers, shapes, parameters, FLOPs and activation memory", NULL, 0,
     run_summary},
    {"dot", "[-o OUT.dot] FILE.net",
     "write the graph in Graphviz DOT (render it with `dot -Tsvg`)",
     "  -o OUT.dot   write to OUT.dot instead of standard output\n", 1,
     run_dot},
};
enum { N_COMMANDS = sizeof commands / sizeof *commands };

static void print_help(FILE *f) {
  fprintf(f, "usage: netc COMMAND [OPTIONS] FILE.net\n\ncommands:\n");
  for (int i = 0; i < N_COMMANDS; i++)
    fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
  fprintf(f, "\noptions:\n"
             "  -h, --help   show this help, or a command's help after it\n"
             "  --version    show the version\n"
             "\nexit status: 0 on success, 1 when the model has errors or a\n"
             "file cannot be read or written, 2 on a usage error\n");
}

static void print_command_help(FILE *f, const command *c) {
  fprintf(f, "usage: netc %s %s\n\n%s\n", c->name, c->usage, c->help);
  if (c->options) fprintf(f, "\noptions:\n%s", c->options);
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

/* Prints each diagnostic as it arrives and counts the errors. */
static void on_diagnostic(const netc_diagnostic *d, void *user) {
  fputs(d->rendered, stderr);
  if (d->severity == NETC_SEVERITY_ERROR) ++*(int *)user;
}

static int run_command(const command *c, int argc, char **argv) {
  args a = {NULL, NULL};
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      print_command_help(stdout, c);
      return EXIT_SUCCESS;
    }
    if (strcmp(arg, "-o") == 0 && c->takes_output) {
      if (++i == argc) return usage_error(c, "%s needs a file name", arg);
      a.output = argv[i];
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return usage_error(c, "unknown option '%s'", arg);
    } else if (a.file) {
      return usage_error(c, "unexpected argument '%s'", arg);
    } else {
      a.file = arg;
    }
  }
  if (!a.file) return usage_error(c, "%s needs a .net file", c->name);

  int errors = 0;
  netc_compile_options options = {on_diagnostic, &errors, NULL, 0};
  netc_model *model = NULL;
  netc_status status = netc_model_compile_file(a.file, &options, &model);
  if (status == NETC_ECOMPILE) {
    fprintf(stderr, "netc: %d error%s\n", errors, errors == 1 ? "" : "s");
    return EXIT_FAILURE;
  }
  if (status != NETC_OK) {
    fprintf(stderr, "netc: %s: %s\n", a.file, netc_strerror(status));
    return EXIT_FAILURE;
  }
  int code = c->run(model, &a);
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
  for (int i = 0; i < N_COMMANDS; i++)
    if (strcmp(name, commands[i].name) == 0)
      return run_command(&commands[i], argc - 2, argv + 2);
  return unknown_command(name);
}
