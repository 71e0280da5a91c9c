/*
** idx.c: the IDX format of MNIST and Fashion-MNIST (LeCun's layout: a
** big-endian magic 0x00 0x00 type rank, rank big-endian u32 dims, then the
** data). Files may be gzip-compressed (zlib reads both). Images become f32
** [N,H,W,1] in [0,1], labels i32 [N] (or one-hot f32 [N,classes]); every
** header field is checked and a
** short file is an error naming the file and what is missing.
*/
#include <errno.h>
#include <string.h>
#include <zlib.h>

#include "common/nc_alloc.h"
#include "runtime/data/dataset.h"

enum { IDX_UBYTE = 0x08, IDX_MAX_DIM = 1 << 24 };
/* The largest file read: three dims of up to 2^24 would overflow. */
#define IDX_MAX_BYTES ((int64_t)1 << 40)

typedef struct idx_file {
  int rank;          /* 1 for labels, 3 for images */
  int64_t dims[3];   /* N, H, W */
  unsigned char *data; /* the elements (u8) */
  int64_t count;     /* elements */
} idx_file;

/* Reads exactly n bytes; 0 on success. */
static int read_exact(gzFile f, void *buf, size_t n) {
  unsigned char *p = buf;
  while (n > 0) {
    int chunk = n > (1u << 30) ? 1 << 30 : (int)n;
    int got = gzread(f, p, (unsigned)chunk);
    if (got <= 0) return -1;
    p += got;
    n -= (size_t)got;
  }
  return 0;
}

/* Reads `count` bytes into a new buffer that grows as the bytes arrive, so
** a header announcing more than the file holds (found by fuzzing: 26 bytes
** asking for gigabytes) costs no more memory than the data there. Returns
** 0, -1 when the file ends first, -2 when out of memory. */
static int read_growing(gzFile f, int64_t count, unsigned char **data) {
  enum { FIRST_BLOCK = 1 << 20 };
  size_t want = (size_t)count, have = 0;
  size_t cap = want < FIRST_BLOCK ? want : FIRST_BLOCK;
  unsigned char *buf = nc_malloc(cap);
  while (buf && have < want) {
    if (have == cap) {
      size_t grown_cap = cap > want / 2 ? want : 2 * cap;
      unsigned char *grown = nc_realloc(buf, grown_cap);
      if (!grown) break;
      buf = grown;
      cap = grown_cap;
    }
    if (read_exact(f, buf + have, cap - have) != 0) {
      nc_free(buf);
      return -1;
    }
    have = cap;
  }
  if (!buf || have < want) {
    nc_free(buf);
    return -2;
  }
  *data = buf;
  return 0;
}

static netc_status read_idx(const char *path, int rank, int64_t limit,
                            idx_file *out, netc_error *error) {
  memset(out, 0, sizeof *out);
  errno = 0;
  gzFile f = gzopen(path, "rb");
  if (!f)
    return rt_error(error, NETC_EIO, "%s: cannot open: %s", path,
                    errno ? strerror(errno) : "out of memory");
  unsigned char head[4 + 4 * 3];
  netc_status st = NETC_OK;
  if (read_exact(f, head, 4) != 0) {
    st = rt_error(error, NETC_EFORMAT, "%s: too short for an IDX header", path);
  } else if (head[0] != 0 || head[1] != 0 || head[2] != IDX_UBYTE || head[3] != rank) {
    st = rt_error(error, NETC_EFORMAT,
                  "%s: not an IDX file of unsigned bytes with %d dim%s (magic %02x %02x %02x %02x, "
                  "expected 00 00 08 %02x)", path, rank, rank == 1 ? "" : "s", head[0], head[1],
                  head[2], head[3], rank);
  } else if (read_exact(f, head + 4, 4 * (size_t)rank) != 0) {
    st = rt_error(error, NETC_EFORMAT, "%s: the header ends before its %d dims", path, rank);
  }
  int64_t count = 1;
  for (int i = 0; st == NETC_OK && i < rank; i++) {
    const unsigned char *d = head + 4 + 4 * i;
    int64_t v = ((int64_t)d[0] << 24) | ((int64_t)d[1] << 16) | ((int64_t)d[2] << 8) | d[3];
    if (v < 1 || v > IDX_MAX_DIM)
      st = rt_error(error, NETC_EFORMAT, "%s: dim %d is %lld", path, i, (long long)v);
    else if (count > IDX_MAX_BYTES / v)
      st = rt_error(error, NETC_EFORMAT, "%s: the dims announce more than %lld bytes", path,
                    (long long)IDX_MAX_BYTES);
    else
      count *= v;
    out->dims[i] = v;
  }
  if (st == NETC_OK && limit > 0 && limit < out->dims[0]) {
    count = count / out->dims[0] * limit;
    out->dims[0] = limit;
  }
  if (st == NETC_OK) {
    out->rank = rank;
    out->count = count;
    int got = read_growing(f, count, &out->data);
    if (got == -2)
      st = rt_error(error, NETC_ENOMEM, "%s: out of memory for %lld bytes", path, (long long)count);
    else if (got != 0)
      st = rt_error(error, NETC_EFORMAT, "%s: truncated: the header announces %lld records",
                    path, (long long)out->dims[0]);
  }
  gzclose(f);
  if (st != NETC_OK) {
    nc_free(out->data);
    out->data = NULL;
  }
  return st;
}

netc_status netc_dataset_load_idx(const char *images_path, const char *labels_path,
                                  const netc_idx_options *options,
                                  netc_dataset **out, netc_error *error) {
  if (!out || !images_path || !labels_path)
    return rt_error(error, NETC_EINVAL, "no image file, label file or output");
  *out = NULL;
  int64_t limit = options && options->limit > 0 ? options->limit : 0;
  idx_file images, labels;
  netc_status st = read_idx(images_path, 3, limit, &images, error);
  if (st != NETC_OK) return st;
  st = read_idx(labels_path, 1, limit, &labels, error);
  if (st != NETC_OK) {
    nc_free(images.data);
    return st;
  }
  int64_t n = images.dims[0];
  float *pixels = NULL;
  int32_t *classes = NULL;
  if (labels.dims[0] != n) {
    st = rt_error(error, NETC_EFORMAT, "%s has %lld images but %s has %lld labels",
                  images_path, (long long)n, labels_path, (long long)labels.dims[0]);
  } else {
    pixels = nc_malloc((size_t)images.count * sizeof *pixels);
    classes = nc_malloc((size_t)n * sizeof *classes);
    if (!pixels || !classes) st = rt_error(error, NETC_ENOMEM, "out of memory");
  }
  int64_t depth = 0;
  for (int64_t i = 0; st == NETC_OK && i < n; i++)
    if (labels.data[i] + 1 > depth) depth = labels.data[i] + 1;
  float *rows = NULL;
  if (st == NETC_OK && options && options->one_hot) {
    rows = nc_calloc((size_t)(n * depth), sizeof *rows);
    if (!rows) st = rt_error(error, NETC_ENOMEM, "out of memory");
  }
  netc_dataset *d = NULL;
  if (st == NETC_OK) {
    for (int64_t i = 0; i < images.count; i++) pixels[i] = (float)images.data[i] / 255.0f;
    for (int64_t i = 0; i < n; i++) classes[i] = labels.data[i];
    netc_tensor image = {NETC_F32, 4, {n, images.dims[1], images.dims[2], 1}, pixels};
    netc_tensor label = {NETC_I32, 1, {n}, classes};
    if (rows) {
      for (int64_t i = 0; i < n; i++) rows[i * depth + labels.data[i]] = 1.0f;
      label = (netc_tensor){NETC_F32, 2, {n, depth}, rows};
    }
    st = netc_dataset_create(&d);
    if (st == NETC_OK)
      st = netc_dataset_add(d, options && options->image_column ? options->image_column : "image",
                            &image, error);
    if (st == NETC_OK)
      st = netc_dataset_add(d, options && options->label_column ? options->label_column : "label",
                            &label, error);
  }
  nc_free(images.data);
  nc_free(labels.data);
  nc_free(pixels);
  nc_free(classes);
  nc_free(rows);
  if (st != NETC_OK) {
    netc_dataset_destroy(d);
    return st;
  }
  *out = d;
  return NETC_OK;
}
