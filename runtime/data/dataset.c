/*
** dataset.c: in-memory datasets built from C arrays (copied) and sliced
** into subsets; loaders (idx.c, ...) build them too.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/nc_alloc.h"
#include "runtime/data/dataset.h"

netc_status rt_error(netc_error *error, netc_status status, const char *fmt, ...) {
  if (error) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error->message, sizeof error->message, fmt, ap);
    va_end(ap);
  }
  return status;
}

netc_status netc_dataset_create(netc_dataset **out) {
  if (!out) return NETC_EINVAL;
  *out = nc_calloc(1, sizeof **out);
  return *out ? NETC_OK : NETC_ENOMEM;
}

void netc_dataset_destroy(netc_dataset *d) {
  if (!d) return;
  for (int i = 0; i < d->count; i++) {
    nc_free(d->columns[i].name);
    nc_free(d->columns[i].data.data);
  }
  nc_free(d->columns);
  for (int i = 0; i < d->n_classes; i++) nc_free(d->class_names[i]);
  nc_free(d->class_names);
  nc_free(d->augment_column);
  nc_free(d);
}

const rt_column *rt_dataset_find(const netc_dataset *d, const char *name) {
  for (int i = 0; d && name && i < d->count; i++)
    if (strcmp(d->columns[i].name, name) == 0) return &d->columns[i];
  return NULL;
}

static size_t dtype_bytes(netc_dtype dtype) {
  return dtype == NETC_F32 || dtype == NETC_I32 ? 4 : 1;
}

netc_status netc_dataset_add(netc_dataset *d, const char *name,
                             const netc_tensor *column, netc_error *error) {
  if (!d || !name || !column || column->rank < 1 || column->rank > NETC_MAX_RANK ||
      (unsigned)column->dtype > NETC_BOOL)
    return rt_error(error, NETC_EINVAL, "invalid dataset column");
  if (rt_dataset_find(d, name))
    return rt_error(error, NETC_EINVAL, "the dataset already has a column '%s'", name);
  int64_t rows = column->dims[0], per_row = 1;
  for (int i = 0; i < column->rank; i++)
    if (column->dims[i] < (i == 0 ? 0 : 1))
      return rt_error(error, NETC_ESHAPE, "column '%s' has an invalid dim %d", name, i);
  for (int i = 1; i < column->rank; i++) per_row *= column->dims[i];
  if (d->count && rows != d->rows)
    return rt_error(error, NETC_ESHAPE, "column '%s' has %lld rows, the dataset %lld",
                    name, (long long)rows, (long long)d->rows);
  if (rows && !column->data)
    return rt_error(error, NETC_EINVAL, "column '%s' has no data", name);
  if (d->count == d->capacity) {
    int cap = d->capacity ? d->capacity * 2 : 4;
    rt_column *grown = nc_realloc(d->columns, (size_t)cap * sizeof *grown);
    if (!grown) return rt_error(error, NETC_ENOMEM, "out of memory");
    d->columns = grown;
    d->capacity = cap;
  }
  rt_column *c = &d->columns[d->count];
  memset(c, 0, sizeof *c);
  c->row_bytes = (size_t)per_row * dtype_bytes(column->dtype);
  c->name = nc_strdup(name);
  c->data = *column;
  c->data.data = nc_malloc(c->row_bytes * (size_t)rows);
  if (!c->name || !c->data.data) {
    nc_free(c->name);
    nc_free(c->data.data);
    return rt_error(error, NETC_ENOMEM, "out of memory for column '%s'", name);
  }
  if (rows) memcpy(c->data.data, column->data, c->row_bytes * (size_t)rows);
  d->rows = rows;
  d->count++;
  return NETC_OK;
}

int64_t netc_dataset_rows(const netc_dataset *d) { return d ? d->rows : 0; }

netc_status netc_dataset_column(const netc_dataset *d, const char *name,
                                netc_tensor *view) {
  if (!d || !name || !view) return NETC_EINVAL;
  const rt_column *c = rt_dataset_find(d, name);
  if (!c) return NETC_ENOTFOUND;
  *view = c->data;
  return NETC_OK;
}

netc_status netc_dataset_slice(const netc_dataset *d, int64_t first,
                               int64_t count, netc_dataset **out,
                               netc_error *error) {
  if (!out) return rt_error(error, NETC_EINVAL, "no output for the slice");
  *out = NULL;
  if (!d || first < 0 || count < 0 || first > d->rows || count > d->rows - first)
    return rt_error(error, NETC_EINVAL, "rows [%lld, %lld) are outside the dataset",
                    (long long)first, (long long)(first + count));
  netc_dataset *s;
  netc_status st = netc_dataset_create(&s);
  if (st != NETC_OK) return rt_error(error, st, "out of memory");
  for (int i = 0; i < d->count && st == NETC_OK; i++) {
    netc_tensor part = d->columns[i].data;
    part.dims[0] = count;
    part.data = (char *)part.data + (size_t)first * d->columns[i].row_bytes;
    st = netc_dataset_add(s, d->columns[i].name, &part, error);
  }
  if (st != NETC_OK) {
    netc_dataset_destroy(s);
    return st;
  }
  *out = s;
  return NETC_OK;
}
