/*
** nc_arena: chunked bump allocation on top of nc_alloc.
*/
#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include "common/nc_alloc.h"
#include "common/nc_arena.h"

enum { ARENA_MIN_CHUNK = 64 * 1024 };

struct nc_arena_chunk {
  nc_arena_chunk *next;
  alignas(max_align_t) unsigned char data[];
};

void nc_arena_init(nc_arena *arena) { memset(arena, 0, sizeof *arena); }

void nc_arena_release(nc_arena *arena) {
  nc_arena_chunk *c = arena->chunks;
  while (c) {
    nc_arena_chunk *next = c->next;
    nc_free(c);
    c = next;
  }
  nc_arena_init(arena);
}

void *nc_arena_alloc(nc_arena *arena, size_t size) {
  const size_t align = alignof(max_align_t);
  if (size > (size_t)-1 / 2) return NULL;
  size = (size + align - 1) & ~(align - 1);
  if (!arena->chunks || arena->capacity - arena->used < size) {
    size_t cap = size > ARENA_MIN_CHUNK ? size : ARENA_MIN_CHUNK;
    nc_arena_chunk *c = nc_malloc(sizeof *c + cap);
    if (!c) return NULL;
    c->next = arena->chunks;
    arena->chunks = c;
    arena->used = 0;
    arena->capacity = cap;
  }
  void *p = arena->chunks->data + arena->used;
  arena->used += size;
  arena->total += size;
  memset(p, 0, size);
  return p;
}

void *nc_arena_array(nc_arena *arena, size_t count, size_t size) {
  if (size && count > ((size_t)-1 / 2) / size) return NULL;
  return nc_arena_alloc(arena, count * size);
}

char *nc_arena_strndup(nc_arena *arena, const char *s, size_t n) {
  char *p = nc_arena_alloc(arena, n + 1);
  if (p) memcpy(p, s, n);
  return p;
}

char *nc_arena_strdup(nc_arena *arena, const char *s) {
  return nc_arena_strndup(arena, s, strlen(s));
}

char *nc_arena_vprintf(nc_arena *arena, const char *fmt, va_list ap) {
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(NULL, 0, fmt, copy);
  va_end(copy);
  if (n < 0) return NULL;
  char *p = nc_arena_alloc(arena, (size_t)n + 1);
  if (p) vsnprintf(p, (size_t)n + 1, fmt, ap);
  return p;
}

char *nc_arena_printf(nc_arena *arena, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *p = nc_arena_vprintf(arena, fmt, ap);
  va_end(ap);
  return p;
}
