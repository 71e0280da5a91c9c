/*
** dataset.h: what a netc_dataset holds: named columns sharing a row count.
*/
#ifndef RT_DATASET_H
#define RT_DATASET_H

#include "netc.h"

typedef struct rt_column {
  char *name;        /* column name, matched to model inputs */
  netc_tensor data;  /* owned copy; dims[0] is the row count */
  size_t row_bytes;  /* bytes of one row */
} rt_column;

struct netc_dataset {
  rt_column *columns; /* in the order added */
  int count;          /* columns in use */
  int capacity;       /* columns allocated */
  int64_t rows;       /* rows of every column */
  char **class_names; /* label i's class (image folders, images.c), or NULL */
  int n_classes;      /* entries of class_names */
  char *augment_column; /* the column augment applies to, or NULL */
  netc_augment augment; /* set by netc_dataset_set_augment (augment.c) */
};

/* The column called `name`, or NULL. */
const rt_column *rt_dataset_find(const netc_dataset *d, const char *name);
/* Fills `error` (when not NULL) and returns `status`. */
netc_status rt_error(netc_error *error, netc_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
