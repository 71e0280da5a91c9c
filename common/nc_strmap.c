/*
** nc_strmap: open-addressing string hash map (FNV-1a).
*/
#include <string.h>

#include "common/nc_strmap.h"

void nc_strmap_init(nc_strmap *m, nc_arena *arena) {
  memset(m, 0, sizeof *m);
  m->arena = arena;
}

static size_t strmap_hash(const char *key) {
  size_t h = 1469598103934665603u;
  for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
    h ^= *p;
    h *= 1099511628211u;
  }
  return h;
}

static nc_strmap_slot *strmap_find(const nc_strmap_slot *slots,
                                   size_t capacity, const char *key) {
  size_t i = strmap_hash(key) & (capacity - 1);
  while (slots[i].key && strcmp(slots[i].key, key) != 0)
    i = (i + 1) & (capacity - 1);
  return (nc_strmap_slot *)&slots[i];
}

int nc_strmap_get(const nc_strmap *m, const char *key) {
  if (!m->capacity) return -1;
  const nc_strmap_slot *s = strmap_find(m->slots, m->capacity, key);
  return s->key ? s->value : -1;
}

int nc_strmap_put(nc_strmap *m, const char *key, int value) {
  if ((m->count + 1) * 2 > m->capacity) {
    size_t cap = m->capacity ? m->capacity * 2 : 32;
    nc_strmap_slot *slots = nc_arena_array(m->arena, cap, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < m->capacity; i++)
      if (m->slots[i].key) *strmap_find(slots, cap, m->slots[i].key) = m->slots[i];
    m->slots = slots;
    m->capacity = cap;
  }
  nc_strmap_slot *s = strmap_find(m->slots, m->capacity, key);
  if (!s->key) {
    s->key = key;
    m->count++;
  }
  s->value = value;
  return 0;
}
