/*
** nc_alloc: the library's replaceable allocator. Every allocation in libnetc
** goes through these so that netc_set_allocator and fault injection see it.
*/
#ifndef NC_ALLOC_H
#define NC_ALLOC_H

#include <stddef.h>

void *nc_malloc(size_t size);
void *nc_calloc(size_t count, size_t size); /* NULL on overflow or OOM */
void *nc_realloc(void *ptr, size_t size);
void nc_free(void *ptr);
char *nc_strdup(const char *s);

#endif
