/*
** keras_import.c: netc_session_import_keras, weights from the HDF5 files of
** Keras 1 and 2 (docs/keras-import.md). The file is gone through three
** times so that a failure leaves the session as it was:
**   1. the plan: every layer of `layer_names` with weights is matched to a
**      model layer by name, every weight of its `weight_names` to one of
**      that layer's parameters, and the shapes compared;
**   2. the check: every planned weight is read once, in blocks, into a
**      scratch buffer, so that damaged data fails here;
**   3. the copy: each dataset is read straight into its parameter's slice
**      of the weight buffer (Keras's layouts are netc's).
*/
#include <stdio.h>
#include <string.h>

#include "common/nc_alloc.h"
#include "common/nc_arena.h"
#include "runtime/io/h5_file.h"
#include "runtime/io/h5_heap_check.h"
#include "runtime/session.h"

enum {
  CHECK_BLOCK = 1 << 20, /* floats read at a time by the check */
  NAME_SIZE = 1024       /* the longest dataset path in messages */
};

/* A list of strings from an attribute, in the arena. */
typedef struct kr_names {
  char **items; /* the strings */
  int n;        /* entries in items */
} kr_names;

/* One planned copy: a dataset of the file into a parameter. */
typedef struct kr_weight {
  hid_t dataset; /* open until the end */
  int param;     /* index in the graph's params */
} kr_weight;

typedef struct kr_import {
  rt_h5 h;                   /* the file and the first failure */
  const cc_graph *g;         /* the session's graph */
  nc_arena arena;            /* names, paths and tables below */
  hid_t base;                /* the group with `layer_names` */
  const char *base_path;     /* "" or "/model_weights", for messages */
  kr_weight *weights;        /* planned copies */
  int n_weights;             /* entries in weights (at most n_params) */
  unsigned char *filled;     /* per model layer: matched by a file layer */
  netc_import_report report; /* built as the plan goes */
} kr_import;

static int failed(const kr_import *k) { return k->h.status != NETC_OK; }

static void out_of_memory(kr_import *k) {
  rt_h5_fail(&k->h, NETC_ENOMEM, 0, "out of memory");
}

/* ------------------------------------------------------------ attributes */

/* Appends the strings of attribute `attr` (fixed- or variable-length; an
** empty or null one of any type has none) to `list`. */
static void append_strings(kr_import *k, hid_t attr, const char *where,
                           const char *name, kr_names *list) {
  hid_t space = H5Aget_space(attr), type = H5Aget_type(attr), mem = -1;
  hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
  void *buf = NULL;
  if (n < 0 || type < 0) {
    rt_h5_fail(&k->h, NETC_EFORMAT, 1, "cannot read attribute '%s' of %s", name, where);
  } else if (n > 0 && H5Tget_class(type) != H5T_STRING) {
    rt_h5_fail(&k->h, NETC_EFORMAT, 0, "attribute '%s' of %s is not a list of names",
               name, where);
  } else if (n > 0) {
    int variable = H5Tis_variable_str(type) > 0;
    size_t width = variable ? sizeof(char *) : H5Tget_size(type) + 1;
    char **items = nc_arena_array(&k->arena, (size_t)(list->n + n), sizeof *items);
    buf = nc_calloc((size_t)n, width);
    mem = H5Tcopy(type); /* the file's character set, room for a NUL */
    if (variable) rt_h5_check_vlen_strings(&k->h, attr, where, name); /* before HDF5 does */
    if (!items || !buf || mem < 0) {
      out_of_memory(k);
    } else if (failed(k) ||
               (!variable && (H5Tset_size(mem, width) < 0 ||
                              H5Tset_strpad(mem, H5T_STR_NULLTERM) < 0)) ||
               H5Aread(attr, mem, buf) < 0) {
      rt_h5_fail(&k->h, NETC_EFORMAT, 1, "cannot read attribute '%s' of %s", name, where);
    } else {
      if (list->n) memcpy(items, list->items, (size_t)list->n * sizeof *items);
      for (hssize_t i = 0; i < n; i++) {
        const char *text = variable ? ((char **)buf)[i] : (char *)buf + (size_t)i * width;
        items[list->n + i] = nc_arena_strdup(&k->arena, text ? text : "");
        if (variable) H5free_memory(((char **)buf)[i]);
        if (!items[list->n + i]) out_of_memory(k);
      }
      list->items = items;
      list->n += (int)n;
    }
  }
  nc_free(buf);
  rt_h5_close(mem);
  rt_h5_close(type);
  rt_h5_close(space);
}

/* The list of names in attribute `name` of `obj`, or in `name`0, `name`1,
** ... where Keras split a long one. 0 when there is none. */
static int read_names(kr_import *k, hid_t obj, const char *where, const char *name,
                      kr_names *list) {
  memset(list, 0, sizeof *list);
  char part[128];
  int found = 0;
  for (int chunk = -1; !failed(k); chunk++) {
    if (chunk < 0) snprintf(part, sizeof part, "%s", name);
    else snprintf(part, sizeof part, "%s%d", name, chunk);
    if (H5Aexists(obj, part) <= 0) {
      if (chunk >= 0 || found) break;
      continue; /* no single attribute: look for chunks */
    }
    found = 1;
    hid_t attr = H5Aopen(obj, part, H5P_DEFAULT);
    if (attr < 0)
      rt_h5_fail(&k->h, NETC_EFORMAT, 1, "cannot open attribute '%s' of %s", part, where);
    else
      append_strings(k, attr, where, part, list);
    rt_h5_close(attr);
    if (chunk < 0) break;
  }
  return found;
}

/* ------------------------------------------------------------- matching */

/* The model layer that file layer `name` fills: the one of that name, or
** the only one whose name ends in "/NAME" (an import or weight set); -1
** when there is none. */
static int match_layer(kr_import *k, const char *name) {
  int found = cc_graph_find_layer(k->g, name);
  size_t n = strlen(name);
  for (int i = 0; found < 0 && i < k->g->n_layers; i++) {
    const char *candidate = k->g->layers[i].name;
    size_t m = strlen(candidate);
    if (m <= n || candidate[m - n - 1] != '/' || strcmp(candidate + m - n, name) != 0)
      continue;
    for (int j = i + 1; j < k->g->n_layers; j++) {
      const char *other = k->g->layers[j].name;
      size_t o = strlen(other);
      if (o > n && other[o - n - 1] == '/' && strcmp(other + o - n, name) == 0)
        rt_h5_fail(&k->h, NETC_EINVAL, 0, "layer %s of the file could fill model "
                   "layer %s or %s: rename one", name, candidate, other);
    }
    found = i;
  }
  return failed(k) ? -1 : found;
}

/* Whether `text` (of `n` bytes) is `word` or ends in "_WORD". */
static int names_as(const char *text, size_t n, const char *word) {
  size_t w = strlen(word);
  return n >= w && memcmp(text + n - w, word, w) == 0 &&
         (n == w || text[n - w - 1] == '_');
}

/* The parameter of `layer` that Keras weight `name` holds, by its name:
** the last path component less ":N" is the parameter's short name
** ("kernel", "bias", "gamma", ...), or ends in "_SHORT" or, in Keras 1's
** "block1_conv1_W_1", in "_W" (kernel) or "_b" (bias) before a "_N"; -1
** when the name does not say. */
static int param_named(const cc_graph *g, const cc_layer *layer, const char *name) {
  const char *last = strrchr(name, '/');
  last = last ? last + 1 : name;
  size_t n = strcspn(last, ":");
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < layer->n_params; i++) {
      const char *s = g->params[layer->first_param + i].short_name;
      if (names_as(last, n, s) || (strcmp(s, "kernel") == 0 && names_as(last, n, "W")) ||
          (strcmp(s, "bias") == 0 && names_as(last, n, "b")))
        return layer->first_param + i;
    }
    /* then without Keras 1's "_N", which makes names unique */
    size_t digits = 0;
    while (digits < n && last[n - 1 - digits] >= '0' && last[n - 1 - digits] <= '9')
      digits++;
    if (!digits || digits == n || last[n - 1 - digits] != '_') break;
    n -= digits + 1;
  }
  return -1;
}

/* "f32[3,3,64,128]" */
static void format_type(char *buf, size_t size, const char *dtype, int rank,
                        const int64_t *dims) {
  size_t at = (size_t)snprintf(buf, size, "%s[", dtype);
  for (int i = 0; i < rank && at < size; i++)
    at += (size_t)snprintf(buf + at, size - at, "%s%lld", i ? "," : "", (long long)dims[i]);
  if (at < size) snprintf(buf + at, size - at, "]");
}

/* Checks that `dataset` (at `path`) is a float array of parameter p's
** shape; the message names the parameter and both types. */
static void check_shape(kr_import *k, hid_t dataset, const char *path, int p) {
  const cc_param *param = &k->g->params[p];
  const cc_shape *want = &k->g->nodes[param->node].shape;
  hid_t type = H5Dget_type(dataset), space = H5Dget_space(dataset);
  int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
  hsize_t dims[H5S_MAX_RANK];
  int64_t got[H5S_MAX_RANK];
  if (type < 0 || rank < 0 || H5Sget_simple_extent_dims(space, dims, NULL) < 0) {
    rt_h5_fail(&k->h, NETC_EFORMAT, 1, "cannot read %s", path);
  } else if (H5Tget_class(type) != H5T_FLOAT) {
    rt_h5_fail(&k->h, NETC_EFORMAT, 0, "%s: %s is not a float array", param->name, path);
  } else {
    int same = rank == want->rank;
    for (int i = 0; i < rank; i++) {
      got[i] = (int64_t)dims[i];
      same = same && got[i] == want->dim[i];
    }
    if (!same) {
      char file_type[160], model_type[160], dtype[8];
      snprintf(dtype, sizeof dtype, "f%d", (int)(8 * H5Tget_size(type)));
      format_type(file_type, sizeof file_type, dtype, rank, got);
      format_type(model_type, sizeof model_type, "f32", want->rank, want->dim);
      rt_h5_fail(&k->h, NETC_ESHAPE, 0, "%s: file has %s (%s), model expects %s",
                 param->name, file_type, path, model_type);
    }
  }
  rt_h5_close(space);
  rt_h5_close(type);
}

/* ----------------------------------------------------------------- plan */

static void add_to_report(kr_import *k, const char *name, netc_import_outcome outcome,
                          int64_t params) {
  netc_import_report *r = &k->report;
  if (outcome == NETC_IMPORT_FILLED) r->filled++;
  else if (outcome == NETC_IMPORT_SKIPPED) r->skipped++;
  else r->not_filled++;
  if (r->listed == NETC_IMPORT_REPORT_LAYERS) return;
  netc_import_layer *l = &r->layers[r->listed++];
  snprintf(l->name, sizeof l->name, "%s", name);
  l->outcome = outcome;
  l->params = params;
}

/* "kernel, bias" or "block1_conv1_W_1:0, block1_conv1_b_1:0" */
static void join(char *buf, size_t size, const char *const *items, int n) {
  size_t at = 0;
  buf[0] = '\0';
  for (int i = 0; i < n && at < size; i++)
    at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? ", " : "", items[i]);
}

/* Plans the copies of file layer `name` (group `group`, weights `w`) into
** model layer `index`. */
static void plan_layer(kr_import *k, hid_t group, const char *name, const kr_names *w,
                       int index) {
  const cc_graph *g = k->g;
  const cc_layer *layer = &g->layers[index];
  if (k->filled[index]) {
    rt_h5_fail(&k->h, NETC_EFORMAT, 0, "model layer %s is filled twice, the second time "
               "by layer %s of the file", layer->name, name);
    return;
  }
  if (w->n != layer->n_params) {
    const char *wanted[8];
    int shown = layer->n_params < 8 ? layer->n_params : 8;
    for (int i = 0; i < shown; i++) wanted[i] = g->params[layer->first_param + i].short_name;
    char have[512], want[256];
    join(have, sizeof have, (const char *const *)w->items, w->n);
    join(want, sizeof want, wanted, shown);
    rt_h5_fail(&k->h, NETC_ESHAPE, 0, "layer %s: the file has %d weight%s (%s), the "
               "model's layer %s has %d (%s)", name, w->n, w->n == 1 ? "" : "s", have,
               layer->name, layer->n_params, want);
    return;
  }
  int64_t params = 0;
  for (int i = 0; i < w->n && !failed(k); i++) {
    char path[NAME_SIZE];
    snprintf(path, sizeof path, "%s/%s/%s", k->base_path, name, w->items[i]);
    int p = param_named(g, layer, w->items[i]);
    if (p < 0) p = layer->first_param + i; /* the name does not say: by order */
    for (int j = 0; j < k->n_weights; j++)
      if (k->weights[j].param == p)
        rt_h5_fail(&k->h, NETC_EFORMAT, 0, "layer %s: two weights of the file hold %s "
                   "(the second is %s)", name, g->params[p].name, path);
    hid_t dataset = failed(k) ? -1 : H5Oopen(group, w->items[i], H5P_DEFAULT);
    if (!failed(k) && (dataset < 0 || H5Iget_type(dataset) != H5I_DATASET))
      rt_h5_fail(&k->h, NETC_EFORMAT, dataset >= 0 ? 0 : 1, "layer %s: weight %s is "
                 "missing", name, path);
    if (!failed(k)) check_shape(k, dataset, path, p);
    if (failed(k)) {
      rt_h5_close(dataset);
      return;
    }
    k->weights[k->n_weights].dataset = dataset;
    k->weights[k->n_weights++].param = p;
    params += cc_shape_elements(&g->nodes[g->params[p].node].shape);
  }
  k->filled[index] = 1;
  k->report.params_imported += params;
  add_to_report(k, layer->name, NETC_IMPORT_FILLED, params);
}

/* Elements of the weights of a file layer the model lacks (those that open). */
static int64_t skipped_elements(hid_t group, const kr_names *w) {
  int64_t total = 0;
  for (int i = 0; i < w->n; i++) {
    hid_t dataset = H5Dopen2(group, w->items[i], H5P_DEFAULT);
    hid_t space = dataset < 0 ? -1 : H5Dget_space(dataset);
    hssize_t n = space < 0 ? 0 : H5Sget_simple_extent_npoints(space);
    total += n > 0 ? (int64_t)n : 0;
    rt_h5_close(space);
    rt_h5_close(dataset);
  }
  H5Eclear2(H5E_DEFAULT);
  return total;
}

/* Finds the group with `layer_names`: the root (save_weights) or
** /model_weights (model.save). */
static void find_base(kr_import *k, kr_names *layers) {
  static const char *const bases[] = {"/", "/model_weights"};
  for (size_t i = 0; i < sizeof bases / sizeof *bases && !failed(k); i++) {
    if (i > 0 && H5Lexists(k->h.file, bases[i], H5P_DEFAULT) <= 0) continue;
    k->base = H5Oopen(k->h.file, bases[i], H5P_DEFAULT);
    if (k->base < 0) {
      rt_h5_fail(&k->h, NETC_EFORMAT, 1, "cannot open %s", bases[i]);
    } else if (H5Iget_type(k->base) == H5I_GROUP &&
               read_names(k, k->base, bases[i], "layer_names", layers)) {
      k->base_path = i ? bases[i] : "";
      return;
    }
    rt_h5_close(k->base);
    k->base = -1;
  }
  rt_h5_fail(&k->h, NETC_EFORMAT, 0, "an HDF5 file but not a Keras weight file (no "
             "'layer_names' attribute at / or /model_weights)");
}

/* Pass 1: opens the file and plans every copy. */
static void plan(kr_import *k) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0)
    rt_h5_fail(&k->h, NETC_ENOMEM, 1, "cannot set up HDF5");
  htri_t hdf5 = failed(k) ? 0 : H5Fis_hdf5(k->h.path);
  if (!failed(k) && hdf5 == 0)
    rt_h5_fail(&k->h, NETC_EFORMAT, 0, "not an HDF5 file, so not a Keras weight file");
  if (!failed(k)) {
    k->h.file = H5Fopen(k->h.path, H5F_ACC_RDONLY, fapl);
    if (k->h.file < 0) rt_h5_fail(&k->h, NETC_EFORMAT, 1, "damaged or truncated HDF5 file");
  }
  rt_h5_close(fapl);
  kr_names layers = {NULL, 0};
  if (!failed(k)) find_base(k, &layers);
  for (int i = 0; !failed(k) && i < layers.n; i++) {
    const char *name = layers.items[i];
    hid_t group = H5Oopen(k->base, name, H5P_DEFAULT);
    char where[NAME_SIZE];
    snprintf(where, sizeof where, "%s/%s", k->base_path, name);
    kr_names w = {NULL, 0};
    if (group < 0 || H5Iget_type(group) != H5I_GROUP)
      rt_h5_fail(&k->h, NETC_EFORMAT, group >= 0 ? 0 : 1, "layer %s of 'layer_names' "
                 "has no group %s", name, where);
    else if (!read_names(k, group, where, "weight_names", &w))
      rt_h5_fail(&k->h, NETC_EFORMAT, 0, "%s has no attribute 'weight_names'", where);
    int index = failed(k) || !w.n ? -1 : match_layer(k, name);
    if (!failed(k) && w.n && index < 0)
      add_to_report(k, name, NETC_IMPORT_SKIPPED, skipped_elements(group, &w));
    else if (index >= 0)
      plan_layer(k, group, name, &w, index);
    rt_h5_close(group);
  }
}

/* ---------------------------------------------------------- check, copy */

/* The elements of one row (first dimension) of a parameter: at least 1. */
static hsize_t row_elements(const cc_shape *shape) {
  int64_t rows = shape->rank ? shape->dim[0] : 1;
  int64_t row = rows > 0 ? cc_shape_elements(shape) / rows : 1;
  return row > 0 ? (hsize_t)row : 1;
}

/* Pass 2: reads every planned weight, in blocks of whole rows, into a
** scratch buffer. */
static void check_data(kr_import *k) {
  hsize_t scratch = CHECK_BLOCK;
  for (int i = 0; i < k->n_weights; i++) {
    hsize_t row = row_elements(&k->g->nodes[k->g->params[k->weights[i].param].node].shape);
    if (row > scratch) scratch = row;
  }
  float *buf = k->n_weights ? nc_malloc((size_t)scratch * sizeof *buf) : NULL;
  if (k->n_weights && !buf) out_of_memory(k);
  for (int i = 0; !failed(k) && i < k->n_weights; i++) {
    const cc_param *param = &k->g->params[k->weights[i].param];
    const cc_shape *shape = &k->g->nodes[param->node].shape;
    hsize_t start[CC_MAX_RANK] = {0}, count[CC_MAX_RANK] = {1};
    for (int d = 0; d < shape->rank; d++) count[d] = (hsize_t)shape->dim[d];
    hsize_t rows = count[0], row = row_elements(shape), step = scratch / row;
    hid_t file_space = H5Dget_space(k->weights[i].dataset);
    for (hsize_t r = 0; !failed(k) && r < rows; r += step) {
      start[0] = r;
      count[0] = rows - r < step ? rows - r : step;
      hsize_t elements = count[0] * row;
      hid_t mem_space = H5Screate_simple(1, &elements, NULL);
      if (file_space < 0 || mem_space < 0 ||
          (shape->rank && H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL,
                                              count, NULL) < 0) ||
          H5Dread(k->weights[i].dataset, H5T_NATIVE_FLOAT, mem_space, file_space,
                  H5P_DEFAULT, buf) < 0)
        rt_h5_fail(&k->h, NETC_EFORMAT, 1, "cannot read the weights of %s", param->name);
      rt_h5_close(mem_space);
    }
    rt_h5_close(file_space);
  }
  nc_free(buf);
}

/* Pass 3: reads each weight into its place in the session. */
static void copy_data(kr_import *k, netc_session *s) {
  for (int i = 0; !failed(k) && i < k->n_weights; i++) {
    int p = k->weights[i].param;
    if (H5Dread(k->weights[i].dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                s->params + s->param_offset[p]) < 0)
      rt_h5_fail(&k->h, NETC_EIO, 1, "cannot read the weights of %s although they were "
                 "read a moment ago (the file changed?): the session's weights are "
                 "partly overwritten", k->g->params[p].name);
  }
}

netc_status netc_session_import_keras(netc_session *s, const char *path,
                                      netc_import_report *report) {
  if (!s) return NETC_EINVAL;
  if (!path) return rt_fail(s, NETC_EINVAL, "no Keras file to import");
  kr_import k;
  memset(&k, 0, sizeof k);
  k.g = s->g;
  k.base = -1;
  nc_arena_init(&k.arena);
  rt_h5_begin(&k.h, path);
  rt_h5_check_file(&k.h, "Keras weight file");
  k.weights = nc_arena_array(&k.arena, (size_t)k.g->n_params + 1, sizeof *k.weights);
  k.filled = nc_arena_array(&k.arena, (size_t)k.g->n_layers + 1, 1);
  if (!k.weights || !k.filled) out_of_memory(&k);
  if (!failed(&k)) plan(&k);
  for (int i = 0; !failed(&k) && i < k.g->n_layers; i++) {
    const cc_layer *layer = &k.g->layers[i];
    int64_t params = 0;
    for (int j = 0; j < layer->n_params; j++)
      params += cc_shape_elements(&k.g->nodes[k.g->params[layer->first_param + j].node].shape);
    if (layer->n_params && !k.filled[i])
      add_to_report(&k, layer->name, NETC_IMPORT_NOT_FILLED, params);
  }
  for (int p = 0; p < k.g->n_params; p++)
    k.report.params_total += cc_shape_elements(&k.g->nodes[k.g->params[p].node].shape);
  if (!failed(&k)) check_data(&k);
  if (!failed(&k)) copy_data(&k, s);
  for (int i = 0; i < k.n_weights; i++) rt_h5_close(k.weights[i].dataset);
  rt_h5_close(k.base);
  netc_status st = rt_h5_end(&k.h);
  nc_arena_release(&k.arena);
  if (st != NETC_OK) return rt_fail(s, st, "%s", k.h.message);
  if (report) *report = k.report;
  s->error[0] = '\0';
  return NETC_OK;
}
