/*
** nc_alloc: the allocator hooks behind netc_set_allocator.
*/
#include <stdlib.h>
#include <string.h>

#include "common/nc_alloc.h"
#include "netc.h"

static netc_malloc_fn alloc_malloc = malloc;
static netc_realloc_fn alloc_realloc = realloc;
static netc_free_fn alloc_free = free;

netc_status netc_set_allocator(netc_malloc_fn malloc_fn,
                               netc_realloc_fn realloc_fn,
                               netc_free_fn free_fn) {
  if (!malloc_fn || !realloc_fn || !free_fn) return NETC_EINVAL;
  alloc_malloc = malloc_fn;
  alloc_realloc = realloc_fn;
  alloc_free = free_fn;
  return NETC_OK;
}

void *nc_malloc(size_t size) { return alloc_malloc(size ? size : 1); }

void *nc_calloc(size_t count, size_t size) {
  if (size && count > (size_t)-1 / size) return NULL;
  void *p = nc_malloc(count * size);
  if (p) memset(p, 0, count * size);
  return p;
}

void *nc_realloc(void *ptr, size_t size) {
  return alloc_realloc(ptr, size ? size : 1);
}

void nc_free(void *ptr) {
  if (ptr) alloc_free(ptr);
}

char *nc_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = nc_malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}
