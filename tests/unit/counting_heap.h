/*
** counting_heap.h: an allocator for netc_set_allocator that counts the
** blocks it hands out and can fail one allocation on purpose, for the
** out-of-memory sweeps of the unit tests. Include it once per test binary.
*/
#ifndef COUNTING_HEAP_H
#define COUNTING_HEAP_H

#include <stddef.h>
#include <stdlib.h>

/* A counting allocator that fails allocation number `fail_at` (1-based;
** 0 never fails). Reallocating an existing block counts as an allocation:
** it may fail like one. Live blocks are kept in a list (a header before
** each block), so a leak shows as live != 0 once everything was destroyed,
** and the test can free what leaked before the next run. */
typedef union block_header {
  struct {
    union block_header *prev, *next; /* neighbours in the live list */
  } link;
  max_align_t align; /* keeps the user's block aligned */
} block_header;

static struct {
  long calls;         /* malloc and realloc calls since the reset */
  long fail_at;       /* the call that returns NULL, 0 for none */
  long live;          /* blocks allocated and not freed */
  long failed;        /* calls that returned NULL */
  block_header *list; /* the live blocks */
} heap;

/* Restarts the call count; `live` keeps counting across resets. */
static void heap_reset(long fail_at) {
  heap.calls = 0;
  heap.fail_at = fail_at;
  heap.failed = 0;
}

static int heap_should_fail(void) {
  heap.calls++;
  if (heap.fail_at && heap.calls == heap.fail_at) {
    heap.failed++;
    return 1;
  }
  return 0;
}

static void heap_link(block_header *b) {
  b->link.prev = NULL;
  b->link.next = heap.list;
  if (heap.list) heap.list->link.prev = b;
  heap.list = b;
  heap.live++;
}

static void heap_unlink(block_header *b) {
  if (b->link.prev) b->link.prev->link.next = b->link.next;
  else heap.list = b->link.next;
  if (b->link.next) b->link.next->link.prev = b->link.prev;
  heap.live--;
}

static void *counting_malloc(size_t size) {
  if (heap_should_fail()) return NULL;
  block_header *b = malloc(sizeof *b + size);
  if (!b) return NULL;
  heap_link(b);
  return b + 1;
}

static void *counting_realloc(void *ptr, size_t size) {
  if (!ptr) return counting_malloc(size);
  if (heap_should_fail()) return NULL;
  block_header *b = (block_header *)ptr - 1;
  heap_unlink(b);
  block_header *grown = realloc(b, sizeof *b + size);
  if (!grown) {
    heap_link(b);
    return NULL;
  }
  heap_link(grown);
  return grown + 1;
}

static void counting_free(void *ptr) {
  if (!ptr) return;
  block_header *b = (block_header *)ptr - 1;
  heap_unlink(b);
  free(b);
}

/* Frees every block still live; returns how many there were. */
static long heap_free_leftovers(void) {
  long n = 0;
  while (heap.list) {
    counting_free(heap.list + 1);
    n++;
  }
  return n;
}

#endif
