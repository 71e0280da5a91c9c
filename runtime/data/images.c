/*
** images.c: datasets from image folders laid out as Keras's
** flow_from_directory expects (DIR/<class>/<image>), their class names,
** and the seeded train/validation split. Files are decoded and resized on
** a thread pool, one file per part, each into its own row of one buffer;
** everything that depends on order (compaction, the report, the first
** error) then runs in file order, so the result never depends on threads.
*/
#define _POSIX_C_SOURCE 200809L /* opendir, stat, strcasecmp, sysconf */

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/nc_alloc.h"
#include "runtime/data/augment.h"
#include "runtime/data/dataset.h"
#include "runtime/data/decode.h"
#include "runtime/kernels/kernels.h"
#include "runtime/thread_pool.h"

enum { MAX_SIDE = 1 << 15 }; /* largest height or width asked for */
#define SPLIT_STREAM 0x5b117ULL /* rt_uniform stream of netc_dataset_split */

/* ------------------------------------------------------------- listings */

typedef struct name_list {
  char **names;     /* nc_strdup'ed */
  int64_t count;    /* names in use */
  int64_t capacity; /* names allocated */
} name_list;

static void list_free(name_list *l) {
  for (int64_t i = 0; i < l->count; i++) nc_free(l->names[i]);
  nc_free(l->names);
  memset(l, 0, sizeof *l);
}

static int list_push(name_list *l, const char *name) {
  if (l->count == l->capacity) {
    int64_t cap = l->capacity ? 2 * l->capacity : 16;
    char **grown = nc_realloc(l->names, (size_t)cap * sizeof *grown);
    if (!grown) return -1;
    l->names = grown;
    l->capacity = cap;
  }
  if (!(l->names[l->count] = nc_strdup(name))) return -1;
  l->count++;
  return 0;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "a/b", nc_malloc'ed, or NULL. */
static char *join_path(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  char *p = nc_malloc(na + nb + 2);
  if (p) {
    memcpy(p, a, na);
    p[na] = '/';
    memcpy(p + na + 1, b, nb + 1);
  }
  return p;
}

typedef enum entry_kind { ENTRY_OTHER, ENTRY_DIR, ENTRY_FILE } entry_kind;

static entry_kind kind_of(const char *dir, const char *name) {
  char *path = join_path(dir, name);
  struct stat sb;
  entry_kind kind = ENTRY_OTHER;
  if (path && stat(path, &sb) == 0) /* stat follows symbolic links */
    kind = S_ISDIR(sb.st_mode) ? ENTRY_DIR : S_ISREG(sb.st_mode) ? ENTRY_FILE : ENTRY_OTHER;
  nc_free(path);
  return kind;
}

/* The entries of `dir` of kind `want`, sorted by strcmp. Names starting
** with '.' (".", "..", hidden files, editor and notebook droppings) and
** entries of other kinds are counted in *others, when not NULL. */
static netc_status list_dir(const char *dir, entry_kind want, name_list *out,
                            int64_t *others, netc_error *error) {
  errno = 0;
  DIR *d = opendir(dir);
  if (!d) return rt_error(error, NETC_EIO, "%s: cannot open the folder: %s", dir, strerror(errno));
  netc_status st = NETC_OK;
  for (struct dirent *e; st == NETC_OK && (e = readdir(d));) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (e->d_name[0] != '.' && kind_of(dir, e->d_name) == want) {
      if (list_push(out, e->d_name) != 0) st = rt_error(error, NETC_ENOMEM, "out of memory");
    } else if (others) {
      (*others)++;
    }
  }
  closedir(d);
  if (st == NETC_OK && out->count > 1)
    qsort(out->names, (size_t)out->count, sizeof *out->names, compare_names);
  return st;
}

static int is_image_name(const char *name) {
  const char *dot = strrchr(name, '.');
  return dot && (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0 ||
                 strcasecmp(dot, ".png") == 0);
}

/* --------------------------------------------------------------- loader */

typedef struct image_file {
  char *path;         /* DIR/<class>/<name> */
  int32_t label;      /* index of its class */
  netc_status status; /* of decoding; NETC_ESTATE when never tried */
  char why[sizeof ((netc_skipped_file *)0)->reason]; /* when status != OK */
} image_file;

typedef struct loader {
  const char *dir;           /* the root folder */
  int64_t height, width;     /* of every row */
  int fail_fast;             /* any bad file is fatal (NETC_ON_ERROR_FAIL) */
  name_list classes;         /* sorted subfolder names */
  image_file *files;         /* in class order, then name order */
  int64_t n_files;           /* entries of files */
  uint8_t *pixels;           /* n_files rows of height * width * 3 */
  atomic_llong first_fatal;  /* lowest index of a fatal failure, or n_files */
} loader;

static int64_t row_bytes(const loader *ld) { return ld->height * ld->width * 3; }

static int is_fatal(const loader *ld, netc_status st) {
  return st == NETC_ENOMEM || (st != NETC_OK && ld->fail_fast);
}

/* Lists DIR's class folders and their image files (the first `limit` of
** each when limit > 0), counting other entries in report->ignored. */
static netc_status find_files(loader *ld, int64_t limit, netc_image_report *report,
                              netc_error *error) {
  netc_status st = list_dir(ld->dir, ENTRY_DIR, &ld->classes, NULL, error);
  if (st != NETC_OK) return st;
  if (ld->classes.count == 0)
    return rt_error(error, NETC_EFORMAT,
                    "%s has no class folders: expected %s/<class>/<image>.jpg, .jpeg or .png",
                    ld->dir, ld->dir);
  if (ld->classes.count > INT32_MAX)
    return rt_error(error, NETC_EFORMAT, "%s has too many class folders", ld->dir);
  int64_t capacity = 0;
  for (int64_t c = 0; st == NETC_OK && c < ld->classes.count; c++) {
    char *folder = join_path(ld->dir, ld->classes.names[c]);
    name_list names = {0};
    int64_t kept = 0;
    st = folder ? list_dir(folder, ENTRY_FILE, &names, &report->ignored, error)
                : rt_error(error, NETC_ENOMEM, "out of memory");
    for (int64_t i = 0; st == NETC_OK && i < names.count; i++) {
      if (!is_image_name(names.names[i])) {
        report->ignored++;
        continue;
      }
      if (limit > 0 && kept == limit) continue; /* go on counting the ignored */
      if (ld->n_files == capacity) {
        capacity = capacity ? 2 * capacity : 256;
        image_file *grown = nc_realloc(ld->files, (size_t)capacity * sizeof *grown);
        if (!grown) {
          st = rt_error(error, NETC_ENOMEM, "out of memory");
          break;
        }
        ld->files = grown;
      }
      image_file *f = &ld->files[ld->n_files];
      memset(f, 0, sizeof *f);
      f->label = (int32_t)c;
      f->status = NETC_ESTATE;
      if (!(f->path = join_path(folder, names.names[i]))) {
        st = rt_error(error, NETC_ENOMEM, "out of memory");
        break;
      }
      ld->n_files++;
      kept++;
    }
    if (st == NETC_OK && kept == 0)
      st = rt_error(error, NETC_EFORMAT,
                    "%s: the class folder has no .jpg, .jpeg or .png files", folder);
    list_free(&names);
    nc_free(folder);
  }
  if (st == NETC_OK && ld->n_files > INT32_MAX)
    st = rt_error(error, NETC_EUNSUPPORTED, "%s: more than %d images", ld->dir, INT32_MAX);
  return st;
}

/* One part of the pool's job: file `part` decoded and resized into its
** row. Files after a fatal failure are left alone: loading stops there,
** and every file before it still runs, so which file is reported does not
** depend on timing. */
static void decode_part(void *arg, int part, int thread) {
  (void)thread;
  loader *ld = arg;
  image_file *f = &ld->files[part];
  if (part > atomic_load(&ld->first_fatal)) return;
  rt_image image;
  f->status = rt_decode_image(f->path, &image, f->why, sizeof f->why);
  if (f->status == NETC_OK) {
    rt_resize_bilinear(image.pixels, image.height, image.width, 3,
                       ld->pixels + part * row_bytes(ld), ld->height, ld->width);
    nc_free(image.pixels);
  } else if (is_fatal(ld, f->status)) {
    long long seen = atomic_load(&ld->first_fatal);
    while (part < seen && !atomic_compare_exchange_weak(&ld->first_fatal, &seen, part))
      continue; /* seen was reloaded: retry while this part is still lower */
  }
}

static netc_status decode_all(loader *ld, int threads, netc_error *error) {
  ld->pixels = nc_malloc((size_t)(ld->n_files * row_bytes(ld)));
  if (!ld->pixels)
    return rt_error(error, NETC_ENOMEM, "out of memory for %lld images of %lldx%lld",
                    (long long)ld->n_files, (long long)ld->height, (long long)ld->width);
  if (threads <= 0) threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (threads > ld->n_files) threads = (int)ld->n_files;
  rt_pool *pool = rt_pool_create(threads);
  if (!pool) return rt_error(error, NETC_ENOMEM, "cannot start %d decoding threads", threads);
  atomic_init(&ld->first_fatal, ld->n_files);
  rt_pool_run(pool, decode_part, ld, (int)ld->n_files);
  rt_pool_destroy(pool);
  return NETC_OK;
}

/* Moves the decoded rows together in file order and fills the report;
** stops at the first fatal failure. *rows receives the rows kept. */
static netc_status compact(loader *ld, int32_t *labels, int64_t *rows,
                           netc_image_report *report, netc_error *error) {
  int64_t kept = 0, class_first = 0, class_kept = 0, row = row_bytes(ld);
  for (int64_t i = 0; i < ld->n_files; i++) {
    image_file *f = &ld->files[i];
    if (is_fatal(ld, f->status))
      return rt_error(error, f->status, "%s: %s", f->path, f->why);
    if (f->status == NETC_OK) {
      if (kept != i) memcpy(ld->pixels + kept * row, ld->pixels + i * row, (size_t)row);
      labels[kept++] = f->label;
      class_kept++;
    } else {
      if (report->listed < NETC_IMAGE_REPORT_FILES) {
        netc_skipped_file *s = &report->files[report->listed++];
        snprintf(s->path, sizeof s->path, "%s", f->path);
        snprintf(s->reason, sizeof s->reason, "%s", f->why);
      }
      report->skipped++;
    }
    if (i + 1 == ld->n_files || ld->files[i + 1].label != f->label) {
      if (class_kept == 0)
        return rt_error(error, NETC_EFORMAT,
                        "%s/%s: none of its %lld image files could be read (%s: %s)", ld->dir,
                        ld->classes.names[f->label], (long long)(i + 1 - class_first),
                        ld->files[class_first].path, ld->files[class_first].why);
      class_first = i + 1;
      class_kept = 0;
    }
  }
  *rows = kept;
  return NETC_OK;
}

static netc_status check_options(const char *dir, const netc_image_options *o,
                                 netc_error *error) {
  if (!dir || !o) return rt_error(error, NETC_EINVAL, "no folder or no options");
  if (o->height < 1 || o->width < 1 || o->height > MAX_SIDE || o->width > MAX_SIDE)
    return rt_error(error, NETC_EINVAL, "image size %dx%d: height and width must be in [1, %d]",
                    o->height, o->width, MAX_SIDE);
  if (o->on_error != NETC_ON_ERROR_SKIP && o->on_error != NETC_ON_ERROR_FAIL)
    return rt_error(error, NETC_EINVAL, "on_error is %d", (int)o->on_error);
  if (o->limit_per_class < 0 || o->threads < 0)
    return rt_error(error, NETC_EINVAL, "limit_per_class and threads must be >= 0");
  return NETC_OK;
}

netc_status netc_dataset_load_images(const char *dir, const netc_image_options *options,
                                     netc_dataset **out, netc_image_report *report,
                                     netc_error *error) {
  netc_image_report unused;
  if (!report) report = &unused;
  memset(report, 0, sizeof *report);
  if (!out) return rt_error(error, NETC_EINVAL, "no output for the images");
  *out = NULL;
  netc_status st = check_options(dir, options, error);
  if (st != NETC_OK) return st;
  loader ld;
  memset(&ld, 0, sizeof ld);
  ld.dir = dir;
  ld.height = options->height;
  ld.width = options->width;
  ld.fail_fast = options->on_error == NETC_ON_ERROR_FAIL;
  int32_t *labels = NULL;
  int64_t rows = 0;
  netc_dataset *d = NULL;
  st = find_files(&ld, options->limit_per_class, report, error);
  if (st == NETC_OK && !(labels = nc_malloc((size_t)ld.n_files * sizeof *labels)))
    st = rt_error(error, NETC_ENOMEM, "out of memory");
  if (st == NETC_OK) st = decode_all(&ld, options->threads, error);
  if (st == NETC_OK) st = compact(&ld, labels, &rows, report, error);
  if (st == NETC_OK) st = netc_dataset_create(&d);
  if (st == NETC_OK) {
    /* netc_dataset_add copies: the peak is twice the decoded images */
    netc_tensor image = {NETC_U8, 4, {rows, ld.height, ld.width, 3}, ld.pixels};
    netc_tensor label = {NETC_I32, 1, {rows}, labels};
    st = netc_dataset_add(d, options->image_column ? options->image_column : "image", &image,
                          error);
    if (st == NETC_OK)
      st = netc_dataset_add(d, options->label_column ? options->label_column : "label",
                            &label, error);
  }
  if (st == NETC_OK) { /* the class names move into the dataset */
    d->class_names = ld.classes.names;
    d->n_classes = (int)ld.classes.count;
    memset(&ld.classes, 0, sizeof ld.classes);
    report->loaded = rows;
    *out = d;
  } else {
    netc_dataset_destroy(d);
  }
  for (int64_t i = 0; i < ld.n_files; i++) nc_free(ld.files[i].path);
  nc_free(ld.files);
  nc_free(ld.pixels);
  nc_free(labels);
  list_free(&ld.classes);
  return st;
}

int netc_dataset_class_count(const netc_dataset *d) { return d ? d->n_classes : 0; }

const char *netc_dataset_class_name(const netc_dataset *d, int label) {
  return d && label >= 0 && label < d->n_classes ? d->class_names[label] : NULL;
}

/* ---------------------------------------------------------------- split */

/* Class names and augmentation settings of `from`, copied into `to`. */
static netc_status copy_metadata(const netc_dataset *from, netc_dataset *to) {
  if (from->n_classes > 0) {
    if (!(to->class_names = nc_calloc((size_t)from->n_classes, sizeof *to->class_names)))
      return NETC_ENOMEM;
    for (; to->n_classes < from->n_classes; to->n_classes++)
      if (!(to->class_names[to->n_classes] = nc_strdup(from->class_names[to->n_classes])))
        return NETC_ENOMEM;
  }
  if (from->augment_column) {
    if (!(to->augment_column = nc_strdup(from->augment_column))) return NETC_ENOMEM;
    to->augment = from->augment;
  }
  return NETC_OK;
}

/* A new dataset of the `count` rows r of d with in_val[r] == want, in
** order. */
static netc_status subset(const netc_dataset *d, const uint8_t *in_val, int want,
                          int64_t count, netc_dataset **out, netc_error *error) {
  netc_dataset *s;
  netc_status st = netc_dataset_create(&s);
  if (st != NETC_OK) return rt_error(error, st, "out of memory");
  for (int c = 0; c < d->count && st == NETC_OK; c++) {
    const rt_column *col = &d->columns[c];
    char *rows = nc_malloc((size_t)count * col->row_bytes);
    if (!rows) {
      st = rt_error(error, NETC_ENOMEM, "out of memory for column '%s'", col->name);
      break;
    }
    for (int64_t r = 0, k = 0; r < d->rows; r++)
      if (in_val[r] == want)
        memcpy(rows + (size_t)k++ * col->row_bytes,
               (const char *)col->data.data + (size_t)r * col->row_bytes, col->row_bytes);
    netc_tensor part = col->data;
    part.dims[0] = count;
    part.data = rows;
    st = netc_dataset_add(s, col->name, &part, error);
    nc_free(rows);
  }
  if (st == NETC_OK && copy_metadata(d, s) != NETC_OK)
    st = rt_error(error, NETC_ENOMEM, "out of memory");
  if (st != NETC_OK) {
    netc_dataset_destroy(s);
    return st;
  }
  *out = s;
  return NETC_OK;
}

netc_status netc_dataset_split(const netc_dataset *d, double validation_fraction,
                               uint64_t seed, netc_dataset **train, netc_dataset **val,
                               netc_error *error) {
  if (!train || !val) return rt_error(error, NETC_EINVAL, "no output for the split");
  *train = *val = NULL;
  if (!d) return rt_error(error, NETC_EINVAL, "no dataset to split");
  if (!(validation_fraction >= 0.0 && validation_fraction <= 1.0))
    return rt_error(error, NETC_EINVAL, "validation fraction %g is outside [0, 1]",
                    validation_fraction);
  int64_t n = d->rows, n_val = (int64_t)floor(validation_fraction * (double)n + 0.5);
  int64_t *order = nc_malloc((size_t)n * sizeof *order);
  uint8_t *in_val = nc_calloc((size_t)n, 1);
  netc_status st = order && in_val ? NETC_OK : rt_error(error, NETC_ENOMEM, "out of memory");
  if (st == NETC_OK) {
    /* The first n_val steps of a Fisher-Yates shuffle pick the rows. */
    for (int64_t i = 0; i < n; i++) order[i] = i;
    for (int64_t i = 0; i < n_val; i++) {
      float u = rt_uniform(seed, SPLIT_STREAM, 0, (uint64_t)i);
      int64_t j = i + (int64_t)((double)u * (double)(n - i)), t = order[i];
      order[i] = order[j];
      order[j] = t;
      in_val[order[i]] = 1;
    }
    st = subset(d, in_val, 0, n - n_val, train, error);
  }
  if (st == NETC_OK) st = subset(d, in_val, 1, n_val, val, error);
  if (st != NETC_OK) {
    netc_dataset_destroy(*train);
    *train = NULL;
  }
  nc_free(order);
  nc_free(in_val);
  return st;
}
