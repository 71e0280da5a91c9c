/*
** nc_arena: a growable, chunked bump allocator. One arena holds everything a
** compilation makes (tokens, AST, symbols, IR) and is released in one call.
** Allocation returns NULL when memory runs out; the arena never aborts.
*/
#ifndef NC_ARENA_H
#define NC_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct nc_arena_chunk nc_arena_chunk;

typedef struct nc_arena {
  nc_arena_chunk *chunks; /* newest first */
  size_t used;            /* bytes used in the newest chunk */
  size_t capacity;        /* bytes available in the newest chunk */
  size_t total;           /* bytes handed out over the arena's life */
} nc_arena;

void nc_arena_init(nc_arena *arena);
void nc_arena_release(nc_arena *arena);
/* Zero-filled, aligned for any type; NULL on out-of-memory. */
void *nc_arena_alloc(nc_arena *arena, size_t size);
void *nc_arena_array(nc_arena *arena, size_t count, size_t size);
char *nc_arena_strdup(nc_arena *arena, const char *s);
char *nc_arena_strndup(nc_arena *arena, const char *s, size_t n);
char *nc_arena_printf(nc_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *nc_arena_vprintf(nc_arena *arena, const char *fmt, va_list ap);

#endif
