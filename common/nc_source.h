/*
** nc_source: the source files of one compilation and their line maps.
** Spans are byte ranges into a file; line and column are computed only when
** a diagnostic is rendered.
*/
#ifndef NC_SOURCE_H
#define NC_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "common/nc_arena.h"

/* A byte range [start, end) in source file `file`; file < 0 means none. */
typedef struct nc_span {
  int32_t file;   /* index into the source table, -1 for no location */
  uint32_t start; /* first byte */
  uint32_t end;   /* one past the last byte */
} nc_span;

#define NC_NO_SPAN ((nc_span){-1, 0, 0})

typedef struct nc_source {
  const char *path;     /* as given by the user or the import */
  const char *text;     /* the whole file, NUL-terminated */
  size_t size;          /* bytes, without the NUL */
  uint32_t *line_start; /* byte offset of each line */
  size_t n_lines;       /* entries in line_start */
} nc_source;

typedef struct nc_source_table {
  nc_arena *arena;   /* owns paths, texts and line maps */
  nc_source *files;  /* arena-allocated, grown by doubling */
  size_t count;      /* files in use */
  size_t capacity;   /* slots in files */
} nc_source_table;

void nc_source_table_init(nc_source_table *t, nc_arena *arena);
/* Copies text into the arena; returns the file index or -1 on OOM or when
** the file exceeds 4 GiB. */
int nc_source_add(nc_source_table *t, const char *path, const char *text,
                  size_t size);
const nc_source *nc_source_get(const nc_source_table *t, int file);
/* 1-based line and column of a byte offset. */
void nc_source_position(const nc_source *s, uint32_t offset, int *line,
                        int *column);
/* Start and length of the line holding `offset`, without its newline. */
void nc_source_line(const nc_source *s, uint32_t offset, const char **start,
                    size_t *length);
nc_span nc_span_join(nc_span a, nc_span b);

#endif
