/*
** compile.c: the compiler driver behind netc_model_compile_*. Reads files,
** resolves imports (relative to the importing file, then the caller's import
** paths; each file is parsed once), runs the parser and the lowering, and
** hands back an immutable model or the reason it could not be built.
*/
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/nc_alloc.h"
#include "compiler/autodiff.h"
#include "compiler/lower.h"
#include "compiler/model.h"

enum { MAX_SOURCE_BYTES = 64 << 20, MAX_IMPORTED_FILES = 256 };

typedef struct compile_ctx {
  netc_model *model;                    /* being built */
  nc_diag_sink sink;                    /* diagnostics */
  const char *const *import_paths;      /* caller's extra folders */
  gr_module *modules[MAX_IMPORTED_FILES]; /* parsed files by source index */
  int n_modules;                        /* files parsed */
  int out_of_memory;                    /* an allocation failed */
} compile_ctx;

/* Reads a whole file into memory from nc_malloc; returns 0 or an errno. */
static int read_file(const char *path, char **text, size_t *size) {
  *text = NULL;
  *size = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return errno ? errno : EIO;
  size_t cap = 4096, len = 0;
  char *buf = nc_malloc(cap);
  int err = buf ? 0 : ENOMEM;
  while (!err) {
    if (len == cap) {
      if (cap >= MAX_SOURCE_BYTES) {
        err = EFBIG;
        break;
      }
      char *grown = nc_realloc(buf, cap * 2);
      if (!grown) {
        err = ENOMEM;
        break;
      }
      buf = grown;
      cap *= 2;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f)) err = errno ? errno : EIO;
      break;
    }
  }
  fclose(f);
  if (err) {
    nc_free(buf);
    return err;
  }
  *text = buf;
  *size = len;
  return 0;
}

/* Adds a file's text to the source table and parses it. Returns the module
** (also on syntax errors, which are reported) or NULL on out-of-memory. */
static gr_module *parse_source(compile_ctx *c, const char *path,
                               const char *text, size_t size, int *had_errors) {
  int file = nc_source_add(&c->model->sources, path, text, size);
  if (file < 0) {
    c->out_of_memory = 1;
    return NULL;
  }
  gr_module *m = NULL;
  int rc = gr_parse(&c->model->arena, &c->model->sources, file, &c->sink, &m);
  if (rc == -2) {
    c->out_of_memory = 1;
    return NULL;
  }
  *had_errors = rc != 0;
  if (c->n_modules < MAX_IMPORTED_FILES) c->modules[c->n_modules++] = m;
  return m;
}

/* The folder part of a path, "" for a bare file name, in the arena. */
static const char *folder_of(nc_arena *arena, const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? nc_arena_strndup(arena, path, (size_t)(slash - path + 1)) : "";
}

static gr_module *import_file(void *ctx, const char *path, int from_file,
                              nc_span span) {
  compile_ctx *c = ctx;
  nc_arena *arena = &c->model->arena;
  const nc_source *from = nc_source_get(&c->model->sources, from_file);
  const char *first = path[0] == '/' || !from
                          ? path
                          : nc_arena_printf(arena, "%s%s", folder_of(arena, from->path), path);
  if (!first) {
    c->out_of_memory = 1;
    return NULL;
  }
  const char *candidate = first;
  char *text = NULL;
  size_t size = 0;
  int err = read_file(candidate, &text, &size);
  for (const char *const *dir = c->import_paths; err == ENOENT && path[0] != '/' &&
                                                 dir && *dir; dir++) {
    candidate = nc_arena_printf(arena, "%s/%s", *dir, path);
    if (!candidate) {
      c->out_of_memory = 1;
      return NULL;
    }
    err = read_file(candidate, &text, &size);
  }
  if (err == ENOMEM) {
    c->out_of_memory = 1;
    return NULL;
  }
  if (err) {
    nc_error_hint(&c->sink, span, err == ENOENT ? "paths are relative to the importing file" : NULL,
                  "cannot import '%s': %s", path, strerror(err));
    return NULL;
  }
  /* One parse per file: the same path imported again is the same module. */
  for (int i = 0; i < c->n_modules; i++) {
    const nc_source *s = nc_source_get(&c->model->sources, c->modules[i]->file);
    if (strcmp(s->path, candidate) == 0) {
      nc_free(text);
      return c->modules[i];
    }
  }
  if (c->n_modules == MAX_IMPORTED_FILES) {
    nc_free(text);
    nc_error(&c->sink, span, "too many imported files (more than %d)", MAX_IMPORTED_FILES);
    return NULL;
  }
  int had_errors = 0;
  gr_module *m = parse_source(c, candidate, text, size, &had_errors);
  nc_free(text);
  return had_errors ? NULL : m;
}

netc_model *cc_model_create(nc_arena **arena, cc_graph **graph,
                            nc_source_table **sources) {
  netc_model *model = nc_calloc(1, sizeof *model);
  if (!model) return NULL;
  nc_arena_init(&model->arena);
  nc_source_table_init(&model->sources, &model->arena);
  cc_graph_init(&model->graph, &model->arena);
  if (arena) *arena = &model->arena;
  if (graph) *graph = &model->graph;
  if (sources) *sources = &model->sources;
  return model;
}

static netc_status compile_text(const char *path, const char *text, size_t size,
                                const netc_compile_options *options,
                                netc_model **out) {
  netc_model *model = cc_model_create(NULL, NULL, NULL);
  if (!model) return NETC_ENOMEM;
  compile_ctx *c = nc_calloc(1, sizeof *c);
  if (!c) {
    netc_model_destroy(model);
    return NETC_ENOMEM;
  }
  c->model = model;
  c->import_paths = options ? options->import_paths : NULL;
  nc_diag_init(&c->sink, &model->sources, options ? options->on_diagnostic : NULL,
               options ? options->user : NULL, options ? options->max_errors : 0);
  int had_errors = 0;
  gr_module *main = parse_source(c, path, text, size, &had_errors);
  if (main && !c->out_of_memory) {
    int rc = cc_lower(&model->graph, main, &c->sink, import_file, c);
    if (rc == 0 && !had_errors) rc = cc_autodiff(&model->graph, &c->sink);
    if (rc == -2) c->out_of_memory = 1;
  }
  netc_status status = NETC_OK;
  if (c->out_of_memory || c->sink.out_of_memory)
    status = NETC_ENOMEM;
  else if (c->sink.errors)
    status = NETC_ECOMPILE;
  nc_free(c);
  if (status != NETC_OK) {
    netc_model_destroy(model);
    return status;
  }
  *out = model;
  return NETC_OK;
}

netc_status netc_model_compile_source(const char *name, const char *text,
                                      size_t size,
                                      const netc_compile_options *options,
                                      netc_model **out) {
  if (!out) return NETC_EINVAL;
  *out = NULL;
  if (!name || (!text && size)) return NETC_EINVAL;
  return compile_text(name, text ? text : "", size, options, out);
}

netc_status netc_model_compile_file(const char *path,
                                    const netc_compile_options *options,
                                    netc_model **out) {
  if (!out) return NETC_EINVAL;
  *out = NULL;
  if (!path) return NETC_EINVAL;
  char *text;
  size_t size;
  int err = read_file(path, &text, &size);
  if (err == ENOMEM) return NETC_ENOMEM;
  if (err) {
    /* No source to point into: a location-less diagnostic names the file. */
    nc_source_table none;
    nc_diag_sink sink;
    nc_source_table_init(&none, NULL);
    nc_diag_init(&sink, &none, options ? options->on_diagnostic : NULL,
                 options ? options->user : NULL, 0);
    nc_error(&sink, NC_NO_SPAN, "cannot read '%s': %s", path, strerror(err));
    return NETC_EIO;
  }
  netc_status status = compile_text(path, text, size, options, out);
  nc_free(text);
  return status;
}

void netc_model_destroy(netc_model *model) {
  if (!model) return;
  nc_arena_release(&model->arena);
  nc_free(model);
}

const char *netc_model_name(const netc_model *model) {
  return model ? model->graph.model_name : NULL;
}

netc_status netc_model_param_counts(const netc_model *model, int64_t *trainable,
                                    int64_t *frozen) {
  if (!model) return NETC_EINVAL;
  int64_t t = 0, f = 0;
  const cc_graph *g = &model->graph;
  for (int i = 0; i < g->n_params; i++) {
    int64_t n = cc_shape_elements(&g->nodes[g->params[i].node].shape);
    if (g->params[i].trainable)
      t = cc_count_add(t, n);
    else
      f = cc_count_add(f, n);
  }
  if (trainable) *trainable = t;
  if (frozen) *frozen = f;
  return NETC_OK;
}

const cc_graph *cc_model_graph(const netc_model *model) { return &model->graph; }

const nc_source_table *cc_model_sources(const netc_model *model) {
  return &model->sources;
}

netc_status cc_model_write_report(const netc_model *model,
                                  void (*report)(const cc_graph *, nc_buf *),
                                  netc_write_fn write, void *user) {
  if (!model || !write) return NETC_EINVAL;
  nc_buf out;
  nc_buf_init(&out);
  report(&model->graph, &out);
  netc_status status = NETC_OK;
  if (out.failed)
    status = NETC_ENOMEM;
  else if (write(nc_buf_str(&out), out.len, user) != 0)
    status = NETC_EIO;
  nc_buf_release(&out);
  return status;
}
