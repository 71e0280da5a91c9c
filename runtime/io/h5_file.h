/*
** h5_file.h: the HDF5 layer under save.c, load.c and ir_codec.c. One rt_h5
** holds the open file and the first failure: every helper does nothing once
** a failure is recorded, so callers write straight-line code and check once
** at the end (like nc_buf's `failed`). HDF5's own error printing is off
** between rt_h5_begin and rt_h5_end; its error stack becomes the tail of our
** message instead.
**
** Tables (the IR's arrays, the training history) are 1-D compound datasets
** described by rt_h5_field arrays: one member per field, named in the file
** and converted from and to the C struct at the field's offset. Enums are
** stored by name and strings as fixed-length strings as long as the
** column's longest; index lists as int32 arrays as long as the column's
** longest, padded with -1, after a column with their lengths. Nothing is
** variable-length (HDF5 keeps such data in a heap of its own, where damage
** can crash it), so h5py and h5dump show every value in place.
*/
#ifndef RT_H5_FILE_H
#define RT_H5_FILE_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "common/nc_arena.h"
#include "netc.h"

typedef struct rt_h5 {
  hid_t file;            /* the open file, or -1 */
  const char *path;      /* its name as given, for messages */
  netc_status status;    /* NETC_OK until the first failure */
  char message[512];     /* "PATH: what is wrong" after a failure */
  H5E_auto2_t saved_fn;  /* HDF5's error printer, restored at the end */
  void *saved_data;      /* its argument */
  int heaps_checked;     /* the global heaps were walked (h5_heap_check.h) */
} rt_h5;

/* Silences HDF5's error printing; h->file starts closed (-1). */
void rt_h5_begin(rt_h5 *h, const char *path);
/* Closes the file if open and restores the error printer; h->status. */
netc_status rt_h5_end(rt_h5 *h);
/* Records the first failure as "PATH: <message>", with the innermost
** message of HDF5's error stack appended when `lib` is set. */
netc_status rt_h5_fail(rt_h5 *h, netc_status status, int lib, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));
/* What the file system says before HDF5 sees the file: it can be opened,
** is a regular file (not a folder, not a FIFO) and is not empty; `kind`
** names what it should be ("netc model file"). */
void rt_h5_check_file(rt_h5 *h, const char *kind);
/* File access properties of save and load: every object closes with the
** file, and the HDF5 1.8 format (checksummed superblock and headers). */
hid_t rt_h5_access_plist(void);
/* Creation properties of class `cls` (H5P_FILE_CREATE, ...) without
** timestamps: one session saved twice gives the same bytes. */
hid_t rt_h5_untimed(hid_t cls);
/* Closes an HDF5 id of any kind when it is valid (>= 0). */
void rt_h5_close(hid_t id);

/* ------------------------------------------------------------ attributes */

/* Attribute `name` of object `obj`: `count` elements (0: a scalar) of
** mem_type, stored as file_type. */
void rt_h5_set_attr(rt_h5 *h, hid_t obj, const char *name, hid_t file_type,
                    hid_t mem_type, int count, const void *value);
/* Reads it back; a missing attribute or another element count is a format
** error naming `where` (the object's path). */
void rt_h5_get_attr(rt_h5 *h, hid_t obj, const char *where, const char *name,
                    hid_t mem_type, int count, void *value);
void rt_h5_set_int(rt_h5 *h, hid_t obj, const char *name, int64_t value);
void rt_h5_set_text(rt_h5 *h, hid_t obj, const char *name, const char *value);
int64_t rt_h5_get_int(rt_h5 *h, hid_t obj, const char *where,
                      const char *name);
/* A string attribute into buf (truncated to fit): 1 when read, 0 when there
** is none (not a failure), -1 on a failure (recorded). */
int rt_h5_get_text(rt_h5 *h, hid_t obj, const char *where, const char *name,
                   char *buf, size_t size);

/* --------------------------------------------------- groups and datasets */

/* Creates group `path` and the missing groups above it; its id, or -1. */
hid_t rt_h5_group(rt_h5 *h, const char *path);
/* Opens group or dataset `path`; -1 with a format error when missing. */
hid_t rt_h5_open(rt_h5 *h, const char *path);

/* A float32 array at `path` (missing groups above it made). */
void rt_h5_write_floats(rt_h5 *h, const char *path, const float *data,
                        int rank, const int64_t *dims);
/* Checks that `path` is a float array of shape dims; with data, reads it. */
void rt_h5_read_floats(rt_h5 *h, const char *path, float *data, int rank,
                       const int64_t *dims);

/* ---------------------------------------------------------------- tables */

typedef enum rt_h5_kind {
  RT_H5_I32,      /* int32_t, int or an int-sized enum */
  RT_H5_U32,      /* uint32_t */
  RT_H5_I64,      /* int64_t */
  RT_H5_F32,      /* float */
  RT_H5_F64,      /* double */
  RT_H5_TEXT,     /* const char * (NULL stored as ""), in the arena when
                     read */
  RT_H5_OPT_TEXT, /* const char * that may be NULL, stored as "" */
  RT_H5_CHARS,    /* char[count], NUL-terminated, stored as a string */
  RT_H5_NAME,     /* an int-sized enum stored by its name (names) */
  RT_H5_I32S,     /* int32_t[count] */
  RT_H5_I64S,     /* int64_t[count] */
  RT_H5_LIST,     /* int * of `count` ints per element; its int length is
                     at offset `length`, stored by an earlier field */
  RT_H5_ROW       /* not in the struct: the element's index in the array
                     (tables of a few elements of a bigger array) */
} rt_h5_kind;

/* An enum's names, for values 0 .. count-1: list[v], or name(v) when the
** names come from a function. */
typedef struct rt_h5_names {
  const char *what;               /* "op", "dtype", ... for messages */
  int count;                      /* number of values */
  const char *const *list;        /* the names, or NULL */
  const char *(*name)(int value); /* used when list is NULL */
} rt_h5_names;

typedef struct rt_h5_field {
  const char *name;          /* member name in the file */
  rt_h5_kind kind;           /* how it is stored */
  size_t offset;             /* in the C struct */
  int count;                 /* CHARS: bytes; I32S, I64S: elements; LIST:
                                ints per element */
  size_t length;             /* LIST: offset of its int length */
  const rt_h5_names *names;  /* NAME: the enum's names */
} rt_h5_field;

typedef struct rt_h5_table {
  const char *path;          /* the dataset, e.g. "/graph/nodes" */
  const rt_h5_field *fields; /* its members */
  int n_fields;              /* entries in fields */
  size_t size;               /* bytes of one C element */
} rt_h5_table;

/* Writes items[rows[i]] for i < n (rows NULL: items[0 .. n-1]). */
void rt_h5_write_table(rt_h5 *h, const rt_h5_table *t, const void *items,
                       const int *rows, int64_t n);
/* Reads a table into a new zeroed array: in `arena` when given (strings
** too), else from nc_calloc (no string fields then; the caller frees it).
** *n receives the row count. NULL on a failure, or for an empty table. */
void *rt_h5_read_table(rt_h5 *h, const rt_h5_table *t, nc_arena *arena,
                       int64_t *n);
/* Reads a table with a ROW field into items[row], row < n_items; returns
** the number of rows read. */
int64_t rt_h5_scatter_table(rt_h5 *h, const rt_h5_table *t, nc_arena *arena,
                            void *items, int64_t n_items);

#endif
