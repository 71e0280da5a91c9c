/*
** nc_source: source table and line maps.
*/
#include <string.h>

#include "common/nc_source.h"

void nc_source_table_init(nc_source_table *t, nc_arena *arena) {
  memset(t, 0, sizeof *t);
  t->arena = arena;
}

int nc_source_add(nc_source_table *t, const char *path, const char *text,
                  size_t size) {
  if (size >= UINT32_MAX || t->count >= INT32_MAX) return -1;
  if (t->count == t->capacity) {
    size_t cap = t->capacity ? t->capacity * 2 : 8;
    nc_source *files = nc_arena_array(t->arena, cap, sizeof *files);
    if (!files) return -1;
    if (t->count) memcpy(files, t->files, t->count * sizeof *files);
    t->files = files;
    t->capacity = cap;
  }
  nc_source *s = &t->files[t->count];
  s->path = nc_arena_strdup(t->arena, path);
  s->text = nc_arena_strndup(t->arena, text, size);
  s->size = size;
  size_t lines = 1;
  for (size_t i = 0; i < size; i++)
    if (text[i] == '\n') lines++;
  s->line_start = nc_arena_array(t->arena, lines, sizeof *s->line_start);
  if (!s->path || !s->text || !s->line_start) return -1;
  s->n_lines = lines;
  size_t line = 1;
  for (size_t i = 0; i < size; i++)
    if (text[i] == '\n') s->line_start[line++] = (uint32_t)(i + 1);
  return (int)t->count++;
}

const nc_source *nc_source_get(const nc_source_table *t, int file) {
  if (!t || file < 0 || (size_t)file >= t->count) return NULL;
  return &t->files[file];
}

/* Index of the last line starting at or before `offset` (binary search). */
static size_t source_line_index(const nc_source *s, uint32_t offset) {
  size_t lo = 0, hi = s->n_lines;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->line_start[mid] <= offset)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

void nc_source_position(const nc_source *s, uint32_t offset, int *line,
                        int *column) {
  if (offset > s->size) offset = (uint32_t)s->size;
  size_t i = source_line_index(s, offset);
  *line = (int)i + 1;
  *column = (int)(offset - s->line_start[i]) + 1;
}

void nc_source_line(const nc_source *s, uint32_t offset, const char **start,
                    size_t *length) {
  if (offset > s->size) offset = (uint32_t)s->size;
  size_t i = source_line_index(s, offset);
  const char *begin = s->text + s->line_start[i];
  const char *end = begin;
  while (end < s->text + s->size && *end != '\n') end++;
  if (end > begin && end[-1] == '\r') end--;
  *start = begin;
  *length = (size_t)(end - begin);
}

nc_span nc_span_join(nc_span a, nc_span b) {
  if (a.file < 0) return b;
  if (b.file < 0 || b.file != a.file) return a;
  nc_span r = a;
  if (b.start < r.start) r.start = b.start;
  if (b.end > r.end) r.end = b.end;
  return r;
}
