/*
** nc_strmap: a string-keyed hash map to int, storage in an arena. Used for
** name tables (layers, nodes, scopes) where linear search would be quadratic
** on large generated inputs.
*/
#ifndef NC_STRMAP_H
#define NC_STRMAP_H

#include <stddef.h>

#include "common/nc_arena.h"

typedef struct nc_strmap_slot {
  const char *key; /* NULL when empty; not copied */
  int value;       /* the mapped value */
} nc_strmap_slot;

typedef struct nc_strmap {
  nc_arena *arena;       /* owns the slot arrays */
  nc_strmap_slot *slots; /* open addressing, linear probing */
  size_t capacity;       /* a power of two, or 0 */
  size_t count;          /* keys present */
} nc_strmap;

void nc_strmap_init(nc_strmap *m, nc_arena *arena);
/* The value of `key`, or -1. */
int nc_strmap_get(const nc_strmap *m, const char *key);
/* Sets key (borrowed: it must outlive the map) to value; -1 on OOM. */
int nc_strmap_put(nc_strmap *m, const char *key, int value);

#endif
