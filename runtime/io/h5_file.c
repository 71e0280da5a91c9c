/*
** h5_file.c: the HDF5 helpers of h5_file.h: silenced error stacks turned
** into messages, attributes, float arrays and compound tables. Files use
** the HDF5 1.8 format (readable by any HDF5 since 2008), whose superblock
** and object headers carry checksums; the whole file is sealed with a
** checksum of our own besides (seal.c).
*/
#define _POSIX_C_SOURCE 200809L /* strnlen, O_CLOEXEC, O_NONBLOCK */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/nc_alloc.h"
#include "runtime/io/h5_file.h"
#include "runtime/io/h5_heap_check.h"

void rt_h5_begin(rt_h5 *h, const char *path) {
  memset(h, 0, sizeof *h);
  h->file = -1;
  h->path = path;
  H5Eget_auto2(H5E_DEFAULT, &h->saved_fn, &h->saved_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  H5Eclear2(H5E_DEFAULT);
}

netc_status rt_h5_end(rt_h5 *h) {
  if (h->file >= 0 && H5Fclose(h->file) < 0)
    rt_h5_fail(h, NETC_EIO, 1, "cannot close the file");
  h->file = -1;
  H5Eclear2(H5E_DEFAULT);
  H5Eset_auto2(H5E_DEFAULT, h->saved_fn, h->saved_data);
  return h->status;
}

void rt_h5_close(hid_t id) {
  if (id >= 0) H5Idec_ref(id);
}

/* H5Ewalk2 callback: keeps the first (innermost) description. */
static herr_t innermost(unsigned n, const H5E_error2_t *e, void *user) {
  if (n == 0 && e->desc) snprintf(user, 256, "%s", e->desc);
  return 0;
}

netc_status rt_h5_fail(rt_h5 *h, netc_status status, int lib, const char *fmt,
                       ...) {
  if (h->status == NETC_OK) {
    h->status = status;
    int n = snprintf(h->message, sizeof h->message, "%s: ", h->path);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof h->message)
      n += vsnprintf(h->message + n, sizeof h->message - (size_t)n, fmt, ap);
    va_end(ap);
    char detail[256] = "";
    if (lib) H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, detail);
    if (*detail && n > 0 && (size_t)n < sizeof h->message)
      snprintf(h->message + n, sizeof h->message - (size_t)n, " (%s)", detail);
  }
  H5Eclear2(H5E_DEFAULT);
  return h->status;
}

void rt_h5_check_file(rt_h5 *h, const char *kind) {
  if (h->status != NETC_OK) return;
  /* O_NONBLOCK: opening a FIFO must not wait for a writer */
  int fd = open(h->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0)
    rt_h5_fail(h, NETC_EIO, 0, "cannot open: %s", strerror(errno));
  else if (S_ISDIR(st.st_mode))
    rt_h5_fail(h, NETC_EIO, 0, "is a folder, not a %s", kind);
  else if (!S_ISREG(st.st_mode))
    rt_h5_fail(h, NETC_EIO, 0, "is not a regular file");
  else if (st.st_size == 0)
    rt_h5_fail(h, NETC_EFORMAT, 0, "is empty, not a %s", kind);
  if (fd >= 0) close(fd);
}

hid_t rt_h5_access_plist(void) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return -1;
  if (H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 ||
      H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) < 0) {
    H5Pclose(fapl);
    return -1;
  }
  return fapl;
}

/* A variable-length string type, to read such attributes of foreign files;
** the caller closes it. */
static hid_t string_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 ||
                 H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

/* A fixed-length string type of `size` bytes (NUL included). */
static hid_t fixed_string(size_t size) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t >= 0 && (H5Tset_size(t, size) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0 ||
                 H5Tset_strpad(t, H5T_STR_NULLTERM) < 0)) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

/* "(3, 3, 1, 32)" */
static void format_dims(char *buf, size_t size, int rank, const hsize_t *dims) {
  size_t n = (size_t)snprintf(buf, size, "(");
  for (int i = 0; i < rank && n < size; i++)
    n += (size_t)snprintf(buf + n, size - n, "%s%llu", i ? ", " : "",
                          (unsigned long long)dims[i]);
  if (n < size) snprintf(buf + n, size - n, ")");
}

/* ------------------------------------------------------------ attributes */

void rt_h5_set_attr(rt_h5 *h, hid_t obj, const char *name, hid_t file_type,
                    hid_t mem_type, int count, const void *value) {
  if (h->status != NETC_OK) return;
  hsize_t dim = (hsize_t)count;
  hid_t space = count ? H5Screate_simple(1, &dim, NULL) : H5Screate(H5S_SCALAR);
  hid_t attr = space < 0 ? -1 : H5Acreate2(obj, name, file_type, space,
                                            H5P_DEFAULT, H5P_DEFAULT);
  if (attr < 0 || H5Awrite(attr, mem_type, value) < 0)
    rt_h5_fail(h, NETC_EIO, 1, "cannot write attribute '%s'", name);
  rt_h5_close(attr);
  rt_h5_close(space);
}

/* Opens attribute `name` of `obj` and checks its element count (0 means
** one); -1 with a failure recorded otherwise. */
static hid_t open_attr(rt_h5 *h, hid_t obj, const char *where,
                       const char *name, int count) {
  if (h->status != NETC_OK) return -1;
  if (H5Aexists(obj, name) <= 0) {
    rt_h5_fail(h, NETC_EFORMAT, 0, "%s has no attribute '%s'", where, name);
    return -1;
  }
  hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t space = attr < 0 ? -1 : H5Aget_space(attr);
  hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
  rt_h5_close(space);
  if (attr < 0 || n < 0)
    rt_h5_fail(h, NETC_EFORMAT, 1, "cannot read attribute '%s' of %s", name,
               where);
  else if (n != (count ? count : 1))
    rt_h5_fail(h, NETC_EFORMAT, 0, "attribute '%s' of %s has %lld values, "
               "not %d", name, where, (long long)n, count ? count : 1);
  if (h->status == NETC_OK) return attr;
  rt_h5_close(attr);
  return -1;
}

void rt_h5_get_attr(rt_h5 *h, hid_t obj, const char *where, const char *name,
                    hid_t mem_type, int count, void *value) {
  hid_t attr = open_attr(h, obj, where, name, count);
  if (attr >= 0 && H5Aread(attr, mem_type, value) < 0)
    rt_h5_fail(h, NETC_EFORMAT, 1, "cannot read attribute '%s' of %s", name,
               where);
  rt_h5_close(attr);
}

void rt_h5_set_int(rt_h5 *h, hid_t obj, const char *name, int64_t value) {
  rt_h5_set_attr(h, obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 0, &value);
}

int64_t rt_h5_get_int(rt_h5 *h, hid_t obj, const char *where,
                      const char *name) {
  int64_t value = 0;
  rt_h5_get_attr(h, obj, where, name, H5T_NATIVE_INT64, 0, &value);
  return value;
}

void rt_h5_set_text(rt_h5 *h, hid_t obj, const char *name, const char *value) {
  hid_t type = fixed_string(strlen(value) + 1);
  if (type < 0) rt_h5_fail(h, NETC_ENOMEM, 1, "cannot make a string type");
  rt_h5_set_attr(h, obj, name, type, type, 0, value);
  rt_h5_close(type);
}

/* Reads a variable- or fixed-length string attribute (foreign files have
** both kinds) into buf. */
int rt_h5_get_text(rt_h5 *h, hid_t obj, const char *where, const char *name,
                   char *buf, size_t size) {
  if (h->status != NETC_OK) return -1;
  if (H5Aexists(obj, name) <= 0) return 0;
  hid_t attr = open_attr(h, obj, where, name, 0);
  hid_t type = attr < 0 ? -1 : H5Aget_type(attr);
  if (attr >= 0 && (type < 0 || H5Tget_class(type) != H5T_STRING)) {
    rt_h5_fail(h, NETC_EFORMAT, 0, "attribute '%s' of %s is not a string",
               name, where);
  } else if (attr >= 0 && H5Tis_variable_str(type) > 0) {
    char *text = NULL;
    hid_t mem = string_type();
    rt_h5_check_vlen_strings(h, attr, where, name); /* before HDF5 reads its heap */
    if (h->status == NETC_OK && (mem < 0 || H5Aread(attr, mem, &text) < 0))
      rt_h5_fail(h, NETC_EFORMAT, 1, "cannot read attribute '%s' of %s", name,
                 where);
    else
      snprintf(buf, size, "%s", text ? text : "");
    H5free_memory(text);
    rt_h5_close(mem);
  } else if (attr >= 0) {
    size_t length = H5Tget_size(type);
    char *text = nc_calloc(length + 1, 1);
    hid_t mem = H5Tcopy(type); /* the same character set, room for a NUL */
    if (!text)
      rt_h5_fail(h, NETC_ENOMEM, 0, "out of memory");
    else if (mem < 0 || H5Tset_size(mem, length + 1) < 0 ||
             H5Tset_strpad(mem, H5T_STR_NULLTERM) < 0 || H5Aread(attr, mem, text) < 0)
      rt_h5_fail(h, NETC_EFORMAT, 1, "cannot read attribute '%s' of %s", name,
                 where);
    else
      snprintf(buf, size, "%s", text);
    nc_free(text);
    rt_h5_close(mem);
  }
  rt_h5_close(type);
  rt_h5_close(attr);
  return h->status == NETC_OK ? 1 : -1;
}

/* --------------------------------------------------- groups and datasets */

hid_t rt_h5_untimed(hid_t cls) {
  hid_t plist = H5Pcreate(cls);
  if (plist >= 0 && H5Pset_obj_track_times(plist, 0) < 0) {
    H5Pclose(plist);
    return -1;
  }
  return plist;
}

/* A new group at `path`, whose parent exists. */
static hid_t new_group(rt_h5 *h, const char *path) {
  hid_t gcpl = rt_h5_untimed(H5P_GROUP_CREATE);
  hid_t g = gcpl < 0 ? -1 : H5Gcreate2(h->file, path, H5P_DEFAULT, gcpl, H5P_DEFAULT);
  rt_h5_close(gcpl);
  if (g < 0) rt_h5_fail(h, NETC_EIO, 1, "cannot create group %s", path);
  return g;
}

/* Creates the missing groups above `path` ("/params" and "/params/conv2d"
** above "/params/conv2d/kernel"); HDF5's own way of doing it would give
** them timestamps. */
static void make_parents(rt_h5 *h, const char *path) {
  char prefix[1024];
  for (const char *slash = strchr(path + 1, '/'); h->status == NETC_OK && slash;
       slash = strchr(slash + 1, '/')) {
    size_t n = (size_t)(slash - path);
    if (n >= sizeof prefix) {
      rt_h5_fail(h, NETC_EINVAL, 0, "the name %s is too long", path);
      return;
    }
    memcpy(prefix, path, n);
    prefix[n] = '\0';
    htri_t exists = H5Lexists(h->file, prefix, H5P_DEFAULT);
    if (exists == 0)
      rt_h5_close(new_group(h, prefix));
    else if (exists < 0)
      rt_h5_fail(h, NETC_EIO, 1, "cannot create group %s", prefix);
  }
}

hid_t rt_h5_group(rt_h5 *h, const char *path) {
  if (h->status != NETC_OK) return -1;
  make_parents(h, path);
  return h->status == NETC_OK ? new_group(h, path) : -1;
}

hid_t rt_h5_open(rt_h5 *h, const char *path) {
  if (h->status != NETC_OK) return -1;
  hid_t obj = H5Oopen(h->file, path, H5P_DEFAULT);
  if (obj >= 0) return obj;
  /* H5Lexists fails (< 0) when a group above is missing too */
  if (H5Lexists(h->file, path, H5P_DEFAULT) <= 0)
    rt_h5_fail(h, NETC_EFORMAT, 0, "%s is missing", path);
  else
    rt_h5_fail(h, NETC_EFORMAT, 1, "cannot open %s", path);
  return -1;
}

/* A new contiguous dataset (integrity is the seal's job, seal.c). */
static hid_t create_dataset(rt_h5 *h, const char *path, hid_t type, int rank,
                            const hsize_t *dims) {
  make_parents(h, path);
  if (h->status != NETC_OK) return -1;
  hid_t space = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
  hid_t dcpl = rt_h5_untimed(H5P_DATASET_CREATE);
  hid_t d = space >= 0 && dcpl >= 0
                ? H5Dcreate2(h->file, path, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)
                : -1;
  if (d < 0) rt_h5_fail(h, NETC_EIO, 1, "cannot create %s", path);
  rt_h5_close(dcpl);
  rt_h5_close(space);
  return d;
}

void rt_h5_write_floats(rt_h5 *h, const char *path, const float *data,
                        int rank, const int64_t *dims) {
  hsize_t hdims[H5S_MAX_RANK];
  for (int i = 0; i < rank; i++) hdims[i] = (hsize_t)dims[i];
  hid_t d = create_dataset(h, path, H5T_IEEE_F32LE, rank, hdims);
  if (d >= 0 && H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    rt_h5_fail(h, NETC_EIO, 1, "cannot write %s", path);
  rt_h5_close(d);
}

void rt_h5_read_floats(rt_h5 *h, const char *path, float *data, int rank,
                       const int64_t *dims) {
  hid_t d = rt_h5_open(h, path);
  if (d < 0) return;
  hid_t type = H5Dget_type(d), space = H5Dget_space(d);
  hsize_t got[H5S_MAX_RANK], want[H5S_MAX_RANK];
  int got_rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
  if (got_rank >= 0 && got_rank <= H5S_MAX_RANK)
    H5Sget_simple_extent_dims(space, got, NULL);
  int same = got_rank == rank;
  for (int i = 0; i < rank; i++) {
    want[i] = (hsize_t)dims[i];
    same = same && got[i] == want[i];
  }
  if (type < 0 || got_rank < 0 || got_rank > H5S_MAX_RANK) {
    rt_h5_fail(h, NETC_EFORMAT, 1, "cannot read %s", path);
  } else if (H5Tget_class(type) != H5T_FLOAT) {
    rt_h5_fail(h, NETC_EFORMAT, 0, "%s is not a float array", path);
  } else if (!same) {
    char a[128], b[128];
    format_dims(a, sizeof a, got_rank, got);
    format_dims(b, sizeof b, rank, want);
    rt_h5_fail(h, NETC_EFORMAT, 0, "%s has shape %s but the graph says %s",
               path, a, b);
  } else if (data &&
             H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    rt_h5_fail(h, NETC_EFORMAT, 1, "cannot read %s", path);
  }
  rt_h5_close(space);
  rt_h5_close(type);
  rt_h5_close(d);
}

/* ---------------------------------------------------------------- tables */

enum { MAX_FIELDS = 32 };

static int is_string(rt_h5_kind kind) {
  return kind == RT_H5_TEXT || kind == RT_H5_OPT_TEXT || kind == RT_H5_CHARS ||
         kind == RT_H5_NAME;
}

/* The HDF5 type of one field, in memory (file = 0) or in the file; width
** is a string's bytes or a list's capacity in elements. */
static hid_t member_type(const rt_h5_field *f, int file, size_t width) {
  hsize_t n = (hsize_t)f->count;
  switch (f->kind) {
  case RT_H5_I32:
  case RT_H5_ROW: return H5Tcopy(file ? H5T_STD_I32LE : H5T_NATIVE_INT32);
  case RT_H5_U32: return H5Tcopy(file ? H5T_STD_U32LE : H5T_NATIVE_UINT32);
  case RT_H5_I64: return H5Tcopy(file ? H5T_STD_I64LE : H5T_NATIVE_INT64);
  case RT_H5_F32: return H5Tcopy(file ? H5T_IEEE_F32LE : H5T_NATIVE_FLOAT);
  case RT_H5_F64: return H5Tcopy(file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE);
  case RT_H5_TEXT:
  case RT_H5_OPT_TEXT:
  case RT_H5_CHARS:
  case RT_H5_NAME: return fixed_string(width);
  case RT_H5_I32S:
    return H5Tarray_create2(file ? H5T_STD_I32LE : H5T_NATIVE_INT32, 1, &n);
  case RT_H5_I64S:
    return H5Tarray_create2(file ? H5T_STD_I64LE : H5T_NATIVE_INT64, 1, &n);
  case RT_H5_LIST: {
    hsize_t ints = (hsize_t)width * n;
    return H5Tarray_create2(file ? H5T_STD_I32LE : H5T_NATIVE_INT32, 1, &ints);
  }
  }
  return -1;
}

/* The compound type of a table with the given widths. In memory, members
** are aligned and offsets[] receives where each one lives in a row of
** *row_size bytes; in the file they are packed. -1 on failure. */
/* A transfer property list whose conversion buffers fit `rows` rows of
** `row_size` bytes (HDF5 calloc's 1 MiB buffers per read or write
** otherwise, most of the time of loading a small model); H5P_DEFAULT if it
** cannot be made. The caller closes it with rt_h5_close. */
static hid_t table_transfer(hsize_t rows, size_t row_size) {
  enum { DEFAULT_BUFFER = 1 << 20 };
  size_t bytes = rows < DEFAULT_BUFFER / row_size ? (size_t)(rows ? rows : 1) * row_size
                                                  : DEFAULT_BUFFER;
  hid_t xfer = H5Pcreate(H5P_DATASET_XFER);
  if (xfer >= 0 && H5Pset_buffer(xfer, bytes, NULL, NULL) < 0) {
    H5Pclose(xfer);
    xfer = -1;
  }
  return xfer < 0 ? H5P_DEFAULT : xfer;
}

static hid_t compound_type(const rt_h5_table *t, int file, const size_t *widths,
                           size_t *offsets, size_t *row_size) {
  hid_t members[MAX_FIELDS];
  size_t at = 0, packed = 0;
  int n = t->n_fields <= MAX_FIELDS ? t->n_fields : 0, ok = n > 0;
  for (int i = 0; i < n; i++) {
    members[i] = member_type(&t->fields[i], file, widths[i]);
    size_t size = members[i] < 0 ? 0 : H5Tget_size(members[i]);
    size_t align = t->fields[i].kind == RT_H5_I64 || t->fields[i].kind == RT_H5_F64 ||
                           t->fields[i].kind == RT_H5_I64S ? 8
                   : is_string(t->fields[i].kind) ? 1 : 4;
    ok = ok && size > 0;
    at = (at + align - 1) / align * align;
    offsets[i] = file ? packed : at;
    at += size;
    packed += size;
  }
  size_t total = file ? packed : (at + 7) / 8 * 8;
  hid_t type = ok ? H5Tcreate(H5T_COMPOUND, total) : -1;
  for (int i = 0; i < n; i++) {
    if (type >= 0 && H5Tinsert(type, t->fields[i].name, offsets[i], members[i]) < 0) {
      H5Tclose(type);
      type = -1;
    }
    rt_h5_close(members[i]);
  }
  if (row_size) *row_size = total;
  return type;
}

/* The name of enum value v, or NULL. */
static const char *name_of(const rt_h5_names *names, int v) {
  if (v < 0 || v >= names->count) return NULL;
  return names->list ? names->list[v] : names->name(v);
}

/* The string a field of a C element holds ("" for none). */
static const char *string_of(const rt_h5_field *f, const char *elem) {
  const char *s = NULL;
  int v;
  switch (f->kind) {
  case RT_H5_CHARS: s = elem + f->offset; break;
  case RT_H5_NAME:
    memcpy(&v, elem + f->offset, sizeof v);
    s = name_of(f->names, v);
    break;
  default: memcpy(&s, elem + f->offset, sizeof s); break;
  }
  return s ? s : "";
}

static int length_of(const rt_h5_field *f, const char *elem) {
  int n;
  memcpy(&n, elem + f->length, sizeof n);
  return n > 0 ? n : 0;
}

/* One field of a C element into its place in a memory row. */
static void put_field(const rt_h5_field *f, const char *elem, char *slot,
                      size_t width, int row) {
  switch (f->kind) {
  case RT_H5_I32:
  case RT_H5_U32:
  case RT_H5_F32: memcpy(slot, elem + f->offset, 4); break;
  case RT_H5_I64:
  case RT_H5_F64: memcpy(slot, elem + f->offset, 8); break;
  case RT_H5_I32S: memcpy(slot, elem + f->offset, 4 * (size_t)f->count); break;
  case RT_H5_I64S: memcpy(slot, elem + f->offset, 8 * (size_t)f->count); break;
  case RT_H5_ROW: memcpy(slot, &row, sizeof row); break;
  case RT_H5_TEXT:
  case RT_H5_OPT_TEXT:
  case RT_H5_CHARS:
  case RT_H5_NAME: memcpy(slot, string_of(f, elem), strlen(string_of(f, elem))); break;
  case RT_H5_LIST: {
    const int *items;
    memcpy(&items, elem + f->offset, sizeof items);
    size_t used = (size_t)length_of(f, elem) * (size_t)f->count;
    for (size_t k = 0; k < width * (size_t)f->count; k++) {
      int32_t v = k < used ? items[k] : -1;
      memcpy(slot + 4 * k, &v, 4);
    }
    break;
  }
  }
}

void rt_h5_write_table(rt_h5 *h, const rt_h5_table *t, const void *items,
                       const int *rows, int64_t n) {
  if (h->status != NETC_OK) return;
  /* strings as long as the longest of their column, lists likewise */
  size_t widths[MAX_FIELDS] = {0};
  for (int k = 0; k < t->n_fields && k < MAX_FIELDS; k++) {
    const rt_h5_field *f = &t->fields[k];
    widths[k] = 1;
    for (int64_t i = 0; i < n && (is_string(f->kind) || f->kind == RT_H5_LIST); i++) {
      const char *elem = (const char *)items + (size_t)(rows ? rows[i] : i) * t->size;
      size_t w = f->kind == RT_H5_LIST ? (size_t)length_of(f, elem)
                                       : strlen(string_of(f, elem)) + 1;
      if (w > widths[k]) widths[k] = w;
    }
  }
  size_t offsets[MAX_FIELDS], file_offsets[MAX_FIELDS], row_size;
  hid_t mem = compound_type(t, 0, widths, offsets, &row_size);
  hid_t file = compound_type(t, 1, widths, file_offsets, NULL);
  char *buf = mem >= 0 ? nc_calloc(n > 0 ? (size_t)n : 1, row_size) : NULL;
  if (mem < 0 || file < 0 || !buf) {
    rt_h5_fail(h, NETC_ENOMEM, 1, "cannot lay out %s", t->path);
  } else {
    for (int64_t i = 0; i < n; i++) {
      int row = rows ? rows[i] : (int)i;
      const char *elem = (const char *)items + (size_t)row * t->size;
      for (int k = 0; k < t->n_fields; k++)
        put_field(&t->fields[k], elem, buf + (size_t)i * row_size + offsets[k], widths[k],
                  row);
    }
    hsize_t dim = (hsize_t)n;
    hid_t d = create_dataset(h, t->path, file, 1, &dim);
    size_t file_row = H5Tget_size(file);
    hid_t xfer = table_transfer(dim, file_row > row_size ? file_row : row_size);
    if (d >= 0 && n > 0 && H5Dwrite(d, mem, H5S_ALL, H5S_ALL, xfer, buf) < 0)
      rt_h5_fail(h, NETC_EIO, 1, "cannot write %s", t->path);
    if (xfer != H5P_DEFAULT) rt_h5_close(xfer);
    rt_h5_close(d);
  }
  nc_free(buf);
  rt_h5_close(file);
  rt_h5_close(mem);
}

/* The widths of a table's strings and lists as the file has them; every
** field must be there with the right class. */
static void file_widths(rt_h5 *h, const rt_h5_table *t, hid_t ftype, size_t *widths) {
  for (int k = 0; h->status == NETC_OK && k < t->n_fields; k++) {
    const rt_h5_field *f = &t->fields[k];
    int index = H5Tget_member_index(ftype, f->name);
    hid_t member = index < 0 ? -1 : H5Tget_member_type(ftype, (unsigned)index);
    H5T_class_t cls = member < 0 ? H5T_NO_CLASS : H5Tget_class(member);
    hsize_t dims[H5S_MAX_RANK] = {0};
    widths[k] = 1;
    if (index < 0)
      rt_h5_fail(h, NETC_EFORMAT, 0, "%s has no field '%s'", t->path, f->name);
    else if (is_string(f->kind) && (cls != H5T_STRING || H5Tis_variable_str(member) != 0))
      rt_h5_fail(h, NETC_EFORMAT, 0, "field '%s' of %s is not a fixed-length string",
                 f->name, t->path);
    else if (is_string(f->kind))
      widths[k] = H5Tget_size(member);
    else if (f->kind == RT_H5_LIST &&
             (cls != H5T_ARRAY || H5Tget_array_ndims(member) != 1 ||
              H5Tget_array_dims2(member, dims) < 0 || dims[0] % (hsize_t)f->count))
      rt_h5_fail(h, NETC_EFORMAT, 0, "field '%s' of %s is not a list", f->name, t->path);
    else if (f->kind == RT_H5_LIST)
      widths[k] = (size_t)dims[0] / (size_t)f->count;
    rt_h5_close(member);
  }
}

/* A string copied into the arena; NULL (recorded) on out-of-memory. */
static const char *keep_text(rt_h5 *h, nc_arena *arena, const char *s, size_t n) {
  char *copy = arena ? nc_arena_strndup(arena, s, n) : NULL;
  if (!copy) rt_h5_fail(h, NETC_ENOMEM, 0, "out of memory");
  return copy;
}

/* One field from a memory row into a C element. */
static void get_field(rt_h5 *h, const rt_h5_table *t, const rt_h5_field *f,
                      const char *slot, size_t width, char *elem, int64_t row,
                      nc_arena *arena) {
  size_t n = is_string(f->kind) ? strnlen(slot, width) : 0;
  switch (f->kind) {
  case RT_H5_I32:
  case RT_H5_U32:
  case RT_H5_F32: memcpy(elem + f->offset, slot, 4); break;
  case RT_H5_I64:
  case RT_H5_F64: memcpy(elem + f->offset, slot, 8); break;
  case RT_H5_I32S: memcpy(elem + f->offset, slot, 4 * (size_t)f->count); break;
  case RT_H5_I64S: memcpy(elem + f->offset, slot, 8 * (size_t)f->count); break;
  case RT_H5_ROW: break;
  case RT_H5_TEXT:
  case RT_H5_OPT_TEXT: {
    const char *copy = f->kind == RT_H5_OPT_TEXT && n == 0 ? NULL
                                                           : keep_text(h, arena, slot, n);
    memcpy(elem + f->offset, &copy, sizeof copy);
    break;
  }
  case RT_H5_CHARS:
    if (n >= (size_t)f->count)
      rt_h5_fail(h, NETC_EFORMAT, 0, "%s row %lld: %s '%.40s...' is too long",
                 t->path, (long long)row, f->name, slot);
    else
      snprintf(elem + f->offset, (size_t)f->count, "%.*s", (int)n, slot);
    break;
  case RT_H5_NAME: {
    int v = 0;
    while (v < f->names->count && !(strlen(name_of(f->names, v)) == n &&
                                     memcmp(name_of(f->names, v), slot, n) == 0))
      v++;
    if (v == f->names->count)
      rt_h5_fail(h, NETC_EFORMAT, 0, "%s row %lld: unknown %s '%.*s'", t->path,
                 (long long)row, f->names->what, (int)(n < 60 ? n : 60), slot);
    memcpy(elem + f->offset, &v, sizeof v);
    break;
  }
  case RT_H5_LIST: {
    int length;
    memcpy(&length, elem + f->length, sizeof length);
    int *items = NULL;
    size_t ints = length > 0 ? (size_t)length * (size_t)f->count : 0;
    if (length < 0 || (size_t)length > width)
      rt_h5_fail(h, NETC_EFORMAT, 0, "%s row %lld: %s has %d entries, room for %zu",
                 t->path, (long long)row, f->name, length, width);
    else if (ints && !(items = arena ? nc_arena_array(arena, ints, sizeof *items) : NULL))
      rt_h5_fail(h, NETC_ENOMEM, 0, "out of memory");
    else if (ints)
      memcpy(items, slot, ints * sizeof *items);
    memcpy(elem + f->offset, &items, sizeof items);
    break;
  }
  }
}

/* Reads table t. With `scatter`, rows go to scatter[row field] (below
** n_scatter); without, to a new array, returned. */
static void *read_rows(rt_h5 *h, const rt_h5_table *t, nc_arena *arena,
                       char *scatter, int64_t n_scatter, int64_t *n_rows) {
  *n_rows = 0;
  hid_t d = rt_h5_open(h, t->path);
  if (d < 0) return NULL;
  hid_t ftype = H5Dget_type(d), space = H5Dget_space(d);
  hsize_t dim = 0;
  if (t->n_fields > MAX_FIELDS || ftype < 0 || space < 0 ||
      H5Tget_class(ftype) != H5T_COMPOUND || H5Sget_simple_extent_ndims(space) != 1)
    rt_h5_fail(h, NETC_EFORMAT, 1, "%s is not a table", t->path);
  else
    H5Sget_simple_extent_dims(space, &dim, NULL);
  if (h->status == NETC_OK && dim > (hsize_t)INT_MAX)
    rt_h5_fail(h, NETC_EFORMAT, 0, "%s has %llu rows", t->path, (unsigned long long)dim);
  size_t widths[MAX_FIELDS], offsets[MAX_FIELDS], row_size = 0;
  file_widths(h, t, ftype, widths);
  hid_t mem = h->status == NETC_OK ? compound_type(t, 0, widths, offsets, &row_size) : -1;
  char *buf = mem >= 0 ? nc_calloc(dim ? dim : 1, row_size) : NULL;
  char *items = NULL;
  if (h->status == NETC_OK && (!buf || mem < 0))
    rt_h5_fail(h, NETC_ENOMEM, 1, "cannot lay out %s", t->path);
  else if (h->status == NETC_OK && dim) {
    size_t file_row = H5Tget_size(ftype);
    hid_t xfer = table_transfer(dim, file_row > row_size ? file_row : row_size);
    if (H5Dread(d, mem, H5S_ALL, H5S_ALL, xfer, buf) < 0)
      rt_h5_fail(h, NETC_EFORMAT, 1, "cannot read %s", t->path);
    if (xfer != H5P_DEFAULT) rt_h5_close(xfer);
  }
  if (h->status == NETC_OK && !scatter && dim) {
    items = arena ? nc_arena_array(arena, dim, t->size) : nc_calloc(dim, t->size);
    if (!items) rt_h5_fail(h, NETC_ENOMEM, 0, "out of memory");
  }
  for (hsize_t i = 0; h->status == NETC_OK && i < dim; i++) {
    const char *rec = buf + i * row_size;
    char *elem = items ? items + i * t->size : NULL;
    for (int k = 0; scatter && k < t->n_fields; k++) {
      int32_t row;
      if (t->fields[k].kind != RT_H5_ROW) continue;
      memcpy(&row, rec + offsets[k], sizeof row);
      if (row < 0 || row >= n_scatter)
        rt_h5_fail(h, NETC_EFORMAT, 0, "%s row %llu: %s %d is out of range", t->path,
                   (unsigned long long)i, t->fields[k].name, (int)row);
      else
        elem = scatter + (size_t)row * t->size;
    }
    for (int k = 0; h->status == NETC_OK && elem && k < t->n_fields; k++)
      get_field(h, t, &t->fields[k], rec + offsets[k], widths[k], elem, (int64_t)i, arena);
  }
  nc_free(buf);
  rt_h5_close(mem);
  rt_h5_close(space);
  rt_h5_close(ftype);
  rt_h5_close(d);
  if (h->status != NETC_OK) {
    if (!arena) nc_free(items);
    return NULL;
  }
  *n_rows = (int64_t)dim;
  return items;
}

void *rt_h5_read_table(rt_h5 *h, const rt_h5_table *t, nc_arena *arena,
                       int64_t *n) {
  return read_rows(h, t, arena, NULL, 0, n);
}

int64_t rt_h5_scatter_table(rt_h5 *h, const rt_h5_table *t, nc_arena *arena,
                            void *items, int64_t n_items) {
  int64_t n;
  read_rows(h, t, arena, items, n_items, &n);
  return n;
}
