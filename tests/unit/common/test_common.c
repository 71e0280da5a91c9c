/*
** test_common.c: the common layer (arena, text buffer, string map, edit
** distance and suggestions, source tables and line maps, the diagnostics
** sink and its rendering, the status table, the allocator hooks), plus the
** out-of-memory sweep: compiling models/mnist.net while allocation N fails,
** for N = 1, 2, ..., must return NETC_ENOMEM and free everything each time.
**
** To add a case: write a `static void test_x(void)` and list it in TESTS at
** the end of the file. Exact texts are compared with EXPECT_STR, which shows
** both strings on failure.
*/
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "common/nc_alloc.h"
#include "common/nc_arena.h"
#include "common/nc_buf.h"
#include "common/nc_diag.h"
#include "common/nc_source.h"
#include "common/nc_strmap.h"
#include "common/nc_suggest.h"
#include "netc.h"
#include "tests/unit/counting_heap.h"
#include "tests/unit/test_case.h"

/* ------------------------------------------------------------- checking */

/* Compares two strings and prints both when they differ. */
#define EXPECT_STR(actual, expected) \
  expect_str((actual), (expected), __LINE__)
static void expect_str(const char *actual, const char *expected,
                       unsigned line) {
  char what[2048];
  int same = actual && expected && strcmp(actual, expected) == 0;
  snprintf(what, sizeof what, "got \"%.1000s\", expected \"%.1000s\"", /* both fit */
           actual ? actual : "(null)", expected ? expected : "(null)");
  CU_assertImplementation(same, line, what, __FILE__, "", CU_FALSE);
}

/* Reads a whole file into a malloc'ed, NUL-terminated buffer. */
static char *slurp(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, len = 0;
  char *text = malloc(cap);
  for (size_t got = 1; text && got;) {
    if (len + 1 == cap) {
      char *grown = realloc(text, cap * 2);
      if (!grown) {
        free(text);
        text = NULL;
        break;
      }
      text = grown;
      cap *= 2;
    }
    got = fread(text + len, 1, cap - len - 1, f);
    len += got;
  }
  fclose(f);
  if (!text) return NULL;
  text[len] = '\0';
  *size = len;
  return text;
}

/* A model file: "$top_srcdir/models/NAME", or "./models/NAME" when the
** variable is unset (running by hand from the source folder). */
static char *read_model(const char *name, size_t *size) {
  const char *top = getenv("top_srcdir");
  char path[1024];
  snprintf(path, sizeof path, "%s/models/%s", top && *top ? top : ".", name);
  return slurp(path, size);
}

/* ---------------------------------------------------- captured messages */

/* What the diagnostics callback saw: every rendered text, concatenated, and
** the fields of the last diagnostic. */
typedef struct captured {
  char all[8192];      /* rendered texts in order */
  int count;           /* callbacks so far */
  netc_severity severity; /* of the last one */
  char file[256];      /* of the last one */
  int line, column;    /* of the last one */
  char message[512];   /* of the last one */
  char hint[256];      /* of the last one, "" when NULL */
  int had_hint;        /* the last one had a hint */
} captured;

static captured seen;

static void capture(const netc_diagnostic *d, void *user) {
  captured *c = user;
  size_t used = strlen(c->all);
  snprintf(c->all + used, sizeof c->all - used, "%s", d->rendered);
  c->count++;
  c->severity = d->severity;
  snprintf(c->file, sizeof c->file, "%s", d->file);
  c->line = d->line;
  c->column = d->column;
  snprintf(c->message, sizeof c->message, "%s", d->message);
  snprintf(c->hint, sizeof c->hint, "%s", d->hint ? d->hint : "");
  c->had_hint = d->hint != NULL;
}

/* ----------------------------------------------------------------- arena */

static int aligned(const void *p) {
  return (uintptr_t)p % alignof(max_align_t) == 0;
}

static int count_chunks(const nc_arena *a) {
  /* The chunk header's first member is the link (see nc_arena.c); walk the
  ** list through that pointer without knowing the rest of the struct. */
  int n = 0;
  for (const void *c = a->chunks; c; c = *(void *const *)c) n++;
  return n;
}

static void test_arena_many_allocations(void) {
  enum { N = 20000 };
  nc_arena a;
  nc_arena_init(&a);
  CU_ASSERT_PTR_NULL(a.chunks);
  static unsigned char *ptrs[N];
  size_t sizes[N];
  size_t expected_total = 0;
  const size_t al = alignof(max_align_t);
  for (int i = 0; i < N; i++) {
    sizes[i] = (size_t)(i * 7 % 97) + 1;
    ptrs[i] = nc_arena_alloc(&a, sizes[i]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ptrs[i]);
    CU_ASSERT(aligned(ptrs[i]));
    int zero = 1;
    for (size_t k = 0; k < sizes[i]; k++) zero &= ptrs[i][k] == 0;
    CU_ASSERT(zero);
    memset(ptrs[i], i & 0xff, sizes[i]);
    expected_total += (sizes[i] + al - 1) / al * al;
  }
  /* Nothing overlapped: every block still holds its own pattern. */
  int intact = 1;
  for (int i = 0; i < N; i++)
    for (size_t k = 0; k < sizes[i]; k++) intact &= ptrs[i][k] == (i & 0xff);
  CU_ASSERT(intact);
  CU_ASSERT_EQUAL(a.total, expected_total);
  /* About 1.2 MB in 64 KiB chunks: many chunks. */
  CU_ASSERT(count_chunks(&a) >= (int)(expected_total / (64 * 1024)));
  CU_ASSERT(count_chunks(&a) > 10);
  CU_ASSERT(a.used <= a.capacity);
  nc_arena_release(&a);
  CU_ASSERT_PTR_NULL(a.chunks);
  CU_ASSERT_EQUAL(a.total, 0);
  CU_ASSERT_EQUAL(a.used, 0);
  /* A released arena is usable again. */
  CU_ASSERT_PTR_NOT_NULL(nc_arena_alloc(&a, 10));
  nc_arena_release(&a);
}

static void test_arena_alignment(void) {
  nc_arena a;
  nc_arena_init(&a);
  for (size_t size = 0; size < 100; size++) {
    void *p = nc_arena_alloc(&a, size);
    CU_ASSERT_PTR_NOT_NULL(p);
    CU_ASSERT(aligned(p));
  }
  /* Types that need the strictest alignment can live in the arena. */
  long double *ld = nc_arena_array(&a, 3, sizeof *ld);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ld);
  CU_ASSERT(aligned(ld));
  ld[0] = 1.5L;
  ld[2] = -2.25L;
  CU_ASSERT(ld[0] == 1.5L && ld[1] == 0.0L && ld[2] == -2.25L);
  int64_t *v = nc_arena_array(&a, 1000, sizeof *v);
  CU_ASSERT_PTR_NOT_NULL_FATAL(v);
  CU_ASSERT(aligned(v));
  /* Overflowing requests fail instead of wrapping around. */
  CU_ASSERT_PTR_NULL(nc_arena_array(&a, SIZE_MAX / 2, 16));
  CU_ASSERT_PTR_NULL(nc_arena_alloc(&a, SIZE_MAX - 3));
  CU_ASSERT_PTR_NULL(nc_arena_alloc(&a, SIZE_MAX / 2 + 1));
  nc_arena_release(&a);
}

static void test_arena_strings(void) {
  nc_arena a;
  nc_arena_init(&a);
  const char *src = "block1_conv1";
  char *s = nc_arena_strdup(&a, src);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT(s != src);
  EXPECT_STR(s, "block1_conv1");
  EXPECT_STR(nc_arena_strdup(&a, ""), "");
  EXPECT_STR(nc_arena_strndup(&a, "kernel/bias", 6), "kernel");
  EXPECT_STR(nc_arena_strndup(&a, "abc", 0), "");
  EXPECT_STR(nc_arena_printf(&a, "%s/%s", "online", "dense"), "online/dense");
  EXPECT_STR(nc_arena_printf(&a, "%s_%d", "conv2d", 12), "conv2d_12");
  EXPECT_STR(nc_arena_printf(&a, "%.3f|%5s|%-3d|", 0.5, "ab", 7),
             "0.500|   ab|7  |");
  EXPECT_STR(nc_arena_printf(&a, "%s", ""), "");
  /* A formatted string longer than a chunk. */
  char *big = nc_arena_printf(&a, "%0*d", 100000, 42);
  CU_ASSERT_PTR_NOT_NULL_FATAL(big);
  CU_ASSERT_EQUAL(strlen(big), 100000);
  CU_ASSERT(big[0] == '0' && big[99998] == '4' && big[99999] == '2');
  /* Earlier strings are untouched by later ones. */
  EXPECT_STR(s, "block1_conv1");
  nc_arena_release(&a);
}

static void test_arena_large_allocation(void) {
  nc_arena a;
  nc_arena_init(&a);
  char *small = nc_arena_alloc(&a, 16);
  CU_ASSERT_PTR_NOT_NULL_FATAL(small);
  memcpy(small, "small", 6);
  size_t big_size = 3u << 20; /* 3 MiB, far above a 64 KiB chunk */
  unsigned char *big = nc_arena_alloc(&a, big_size);
  CU_ASSERT_PTR_NOT_NULL_FATAL(big);
  CU_ASSERT(aligned(big));
  CU_ASSERT(big[0] == 0 && big[big_size / 2] == 0 && big[big_size - 1] == 0);
  memset(big, 0xAB, big_size);
  CU_ASSERT(a.capacity >= big_size);
  /* Small allocations keep working after the big one. */
  char *after = nc_arena_alloc(&a, 32);
  CU_ASSERT_PTR_NOT_NULL_FATAL(after);
  CU_ASSERT(after < (char *)big || after >= (char *)big + big_size);
  memcpy(after, "after", 6);
  EXPECT_STR(small, "small");
  EXPECT_STR(after, "after");
  CU_ASSERT(big[big_size - 1] == 0xAB);
  CU_ASSERT(a.total >= big_size + 48);
  nc_arena_release(&a);
}

/* ------------------------------------------------------------------- buf */

static void test_buf_append(void) {
  nc_buf b;
  nc_buf_init(&b);
  EXPECT_STR(nc_buf_str(&b), "");
  CU_ASSERT_EQUAL(b.len, 0);
  nc_buf_puts(&b, "x = ");
  nc_buf_append(&b, "dense(y)IGNORED", 8);
  nc_buf_putc(&b, ';');
  nc_buf_printf(&b, " %s:%d:%d", "a.net", 3, 14);
  nc_buf_repeat(&b, '~', 4);
  nc_buf_repeat(&b, '!', 0);
  nc_buf_append(&b, "", 0);
  EXPECT_STR(nc_buf_str(&b), "x = dense(y); a.net:3:14~~~~");
  CU_ASSERT_EQUAL(b.len, strlen("x = dense(y); a.net:3:14~~~~"));
  CU_ASSERT(b.capacity > b.len);
  CU_ASSERT_FALSE(b.failed);
  nc_buf_clear(&b);
  EXPECT_STR(nc_buf_str(&b), "");
  CU_ASSERT_EQUAL(b.len, 0);
  nc_buf_printf(&b, "%s", "");
  EXPECT_STR(nc_buf_str(&b), "");
  nc_buf_printf(&b, "%5.1f|%-4s|%03d", 2.25, "ab", 7);
  EXPECT_STR(nc_buf_str(&b), "  2.2|ab  |007");
  nc_buf_release(&b);
  CU_ASSERT_PTR_NULL(b.data);
  CU_ASSERT_EQUAL(b.len, 0);
  CU_ASSERT_EQUAL(b.capacity, 0);
  EXPECT_STR(nc_buf_str(&b), "");
}

static void test_buf_growth(void) {
  nc_buf b;
  nc_buf_init(&b);
  size_t last_capacity = 0;
  int grew = 0;
  for (int i = 0; i < 20000; i++) {
    nc_buf_printf(&b, "%d,", i % 10);
    if (b.capacity != last_capacity) {
      grew++;
      last_capacity = b.capacity;
    }
  }
  CU_ASSERT_EQUAL(b.len, 40000);
  CU_ASSERT(grew >= 8); /* it doubled its way up from 64 bytes */
  CU_ASSERT(b.capacity >= 40001);
  CU_ASSERT_EQUAL(b.capacity & (b.capacity - 1), 0); /* a power of two */
  int ok = 1;
  for (int i = 0; i < 20000; i++)
    ok &= b.data[2 * i] == '0' + i % 10 && b.data[2 * i + 1] == ',';
  CU_ASSERT(ok);
  CU_ASSERT_EQUAL(b.data[b.len], '\0');
  /* One large repeat beyond the current capacity. */
  nc_buf_repeat(&b, '=', 300000);
  CU_ASSERT_EQUAL(b.len, 340000);
  CU_ASSERT_EQUAL(b.data[339999], '=');
  CU_ASSERT_EQUAL(b.data[340000], '\0');
  CU_ASSERT_FALSE(b.failed);
  nc_buf_release(&b);
}

static void test_buf_failure_is_sticky(void) {
  nc_buf b;
  nc_buf_init(&b);
  nc_buf_puts(&b, "head");
  /* A length that cannot be reserved sets `failed`... */
  nc_buf_repeat(&b, 'x', SIZE_MAX / 2);
  CU_ASSERT_TRUE(b.failed);
  /* ...and later appends are no-ops, so callers check once at the end. */
  nc_buf_puts(&b, "tail");
  nc_buf_printf(&b, "%d", 5);
  nc_buf_putc(&b, '!');
  EXPECT_STR(nc_buf_str(&b), "head");
  CU_ASSERT_EQUAL(b.len, 4);
  nc_buf_release(&b);
  CU_ASSERT_FALSE(b.failed);
}

/* ---------------------------------------------------------------- strmap */

static void test_strmap_basic(void) {
  nc_arena a;
  nc_arena_init(&a);
  nc_strmap m;
  nc_strmap_init(&m, &a);
  CU_ASSERT_EQUAL(nc_strmap_get(&m, "missing"), -1);
  CU_ASSERT_EQUAL(m.count, 0);
  CU_ASSERT_EQUAL(nc_strmap_put(&m, "dense", 1), 0);
  CU_ASSERT_EQUAL(nc_strmap_put(&m, "conv2d", 2), 0);
  CU_ASSERT_EQUAL(nc_strmap_put(&m, "", 3), 0);
  CU_ASSERT_EQUAL(nc_strmap_get(&m, "dense"), 1);
  CU_ASSERT_EQUAL(nc_strmap_get(&m, "conv2d"), 2);
  CU_ASSERT_EQUAL(nc_strmap_get(&m, ""), 3);
  CU_ASSERT_EQUAL(nc_strmap_get(&m, "dens"), -1);
  CU_ASSERT_EQUAL(nc_strmap_get(&m, "dense_1"), -1);
  CU_ASSERT_EQUAL(m.count, 3);
  /* Overwriting keeps one entry; keys compare by content, not pointer. */
  char key[] = "dense";
  CU_ASSERT_EQUAL(nc_strmap_put(&m, key, 10), 0);
  CU_ASSERT_EQUAL(nc_strmap_get(&m, "dense"), 10);
  CU_ASSERT_EQUAL(m.count, 3);
  CU_ASSERT_EQUAL(nc_strmap_put(&m, "conv2d", 0), 0);
  CU_ASSERT_EQUAL(nc_strmap_get(&m, "conv2d"), 0);
  CU_ASSERT_EQUAL(m.count, 3);
  nc_arena_release(&a);
}

static void test_strmap_growth(void) {
  enum { N = 5000 };
  nc_arena a;
  nc_arena_init(&a);
  nc_strmap m;
  nc_strmap_init(&m, &a);
  const char *keys[N];
  for (int i = 0; i < N; i++) {
    keys[i] = nc_arena_printf(&a, "layer_%d/kernel", i);
    CU_ASSERT_PTR_NOT_NULL_FATAL(keys[i]);
    CU_ASSERT_EQUAL(nc_strmap_put(&m, keys[i], i * 3), 0);
    CU_ASSERT(m.count * 2 <= m.capacity); /* load stays at most 1/2 */
  }
  CU_ASSERT_EQUAL(m.count, N);
  CU_ASSERT_EQUAL(m.capacity & (m.capacity - 1), 0);
  CU_ASSERT(m.capacity >= 2 * N);
  int ok = 1;
  for (int i = 0; i < N; i++) {
    char probe[64];
    snprintf(probe, sizeof probe, "layer_%d/kernel", i);
    ok &= nc_strmap_get(&m, probe) == i * 3;
  }
  CU_ASSERT(ok);
  CU_ASSERT_EQUAL(nc_strmap_get(&m, "layer_5000/kernel"), -1);
  CU_ASSERT_EQUAL(nc_strmap_get(&m, "layer_1/bias"), -1);
  /* Overwrite every other key after the growth. */
  for (int i = 0; i < N; i += 2) nc_strmap_put(&m, keys[i], -7);
  CU_ASSERT_EQUAL(m.count, N);
  ok = 1;
  for (int i = 0; i < N; i++)
    ok &= nc_strmap_get(&m, keys[i]) == (i % 2 ? i * 3 : -7);
  CU_ASSERT(ok);
  nc_arena_release(&a);
}

/* --------------------------------------------------------------- suggest */

static void test_edit_distance(void) {
  CU_ASSERT_EQUAL(nc_edit_distance("", ""), 0);
  CU_ASSERT_EQUAL(nc_edit_distance("abc", ""), 3);
  CU_ASSERT_EQUAL(nc_edit_distance("", "abcd"), 4);
  CU_ASSERT_EQUAL(nc_edit_distance("dense", "dense"), 0);
  CU_ASSERT_EQUAL(nc_edit_distance("kitten", "sitting"), 3);
  CU_ASSERT_EQUAL(nc_edit_distance("sitting", "kitten"), 3);
  CU_ASSERT_EQUAL(nc_edit_distance("flaw", "lawn"), 2);
  CU_ASSERT_EQUAL(nc_edit_distance("dens", "dense"), 1);   /* insert */
  CU_ASSERT_EQUAL(nc_edit_distance("densse", "dense"), 1); /* delete */
  CU_ASSERT_EQUAL(nc_edit_distance("dansa", "dense"), 2);  /* substitute */
  CU_ASSERT_EQUAL(nc_edit_distance("desne", "dense"), 2);  /* no transposition */
  CU_ASSERT_EQUAL(nc_edit_distance("conv2d", "conv3d"), 1);
  CU_ASSERT_EQUAL(nc_edit_distance("relu", "sigmoid"), 7);
  CU_ASSERT_EQUAL(nc_edit_distance("Adam", "adam"), 1); /* case counts */
  /* Up to 64 bytes is measured; longer inputs are "far". */
  char a64[65], b64[65], a65[66];
  memset(a64, 'a', 64);
  a64[64] = '\0';
  memset(b64, 'b', 64);
  b64[64] = '\0';
  memset(a65, 'a', 65);
  a65[65] = '\0';
  CU_ASSERT_EQUAL(nc_edit_distance(a64, b64), 64);
  CU_ASSERT_EQUAL(nc_edit_distance(a64, ""), 64);
  CU_ASSERT_EQUAL(nc_edit_distance(a64, a64), 0);
  CU_ASSERT(nc_edit_distance(a65, a65) > 1000);
  CU_ASSERT(nc_edit_distance("a", a65) > 1000);
}

static void test_suggest(void) {
  static const char *const fns[] = {"conv2d", "dense", "dropout", "maxpool",
                                    "relu", "softmax"};
  const size_t n = sizeof fns / sizeof *fns;
  EXPECT_STR(nc_suggest("dens", fns, n), "dense");
  EXPECT_STR(nc_suggest("Dense", fns, n), "dense");
  EXPECT_STR(nc_suggest("conv2", fns, n), "conv2d");
  EXPECT_STR(nc_suggest("maxpol", fns, n), "maxpool");
  EXPECT_STR(nc_suggest("softmx", fns, n), "softmax");
  EXPECT_STR(nc_suggest("dense", fns, n), "dense"); /* exact match */
  /* The limit is a third of the word's length, at least 1. */
  CU_ASSERT_PTR_NULL(nc_suggest("desne", fns, n)); /* 2 > 5/3 */
  CU_ASSERT_PTR_NULL(nc_suggest("rule", fns, n));  /* 2 > 1 */
  CU_ASSERT_PTR_NULL(nc_suggest("xyz", fns, n));
  EXPECT_STR(nc_suggest("dropot", fns, n), "dropout");
  CU_ASSERT_PTR_NULL(nc_suggest("drpot", fns, n)); /* 2 > 5/3 */
  CU_ASSERT_PTR_NULL(nc_suggest("dens", fns, 0));
  CU_ASSERT_PTR_NULL(nc_suggest("", fns, n)); /* every name is > 1 away */
  /* NULL candidates are skipped; ties go to the first candidate. */
  static const char *const with_null[] = {NULL, "lr", NULL, "ln"};
  EXPECT_STR(nc_suggest("la", with_null, 4), "lr");
  static const char *const pair[] = {"x", "y"};
  EXPECT_STR(nc_suggest("z", pair, 2), "x");
  /* The closest wins over an earlier, farther one. */
  static const char *const close[] = {"batch_size", "batch"};
  EXPECT_STR(nc_suggest("bach", close, 2), "batch");
}

/* ---------------------------------------------------------------- source */

static void expect_pos(const nc_source *s, uint32_t offset, int line,
                       int column, unsigned at) {
  int l = -1, c = -1;
  nc_source_position(s, offset, &l, &c);
  char what[128];
  snprintf(what, sizeof what, "offset %u: got %d:%d, expected %d:%d", offset,
           l, c, line, column);
  CU_assertImplementation(l == line && c == column, at, what, __FILE__, "",
                          CU_FALSE);
}
#define EXPECT_POS(s, offset, line, column) \
  expect_pos((s), (offset), (line), (column), __LINE__)

static void expect_line(const nc_source *s, uint32_t offset,
                        const char *expected, unsigned at) {
  const char *start = NULL;
  size_t length = 0;
  nc_source_line(s, offset, &start, &length);
  char got[256];
  snprintf(got, sizeof got, "%.*s", (int)length, start ? start : "");
  expect_str(got, expected, at);
}
#define EXPECT_LINE(s, offset, text) expect_line((s), (offset), (text), __LINE__)

static void test_source_lines(void) {
  nc_arena a;
  nc_arena_init(&a);
  nc_source_table t;
  nc_source_table_init(&t, &a);
  /* Lines: "model m" (0-7), "x = 1" (8-13), "y = x" (14-19) + newline. */
  const char *text = "model m\nx = 1\ny = x\n";
  int f = nc_source_add(&t, "a.net", text, strlen(text));
  CU_ASSERT_EQUAL_FATAL(f, 0);
  const nc_source *s = nc_source_get(&t, f);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  EXPECT_STR(s->path, "a.net");
  CU_ASSERT(s->text != text); /* copied */
  EXPECT_STR(s->text, text);
  CU_ASSERT_EQUAL(s->size, strlen(text));
  CU_ASSERT_EQUAL(s->n_lines, 4); /* the empty line after the last newline */
  EXPECT_POS(s, 0, 1, 1);         /* first line */
  EXPECT_POS(s, 6, 1, 7);
  EXPECT_POS(s, 7, 1, 8); /* the newline belongs to its line */
  EXPECT_POS(s, 8, 2, 1); /* middle line */
  EXPECT_POS(s, 12, 2, 5);
  EXPECT_POS(s, 14, 3, 1); /* last line */
  EXPECT_POS(s, 18, 3, 5);
  EXPECT_POS(s, 20, 4, 1);   /* end of file */
  EXPECT_POS(s, 9999, 4, 1); /* clamped to the end */
  EXPECT_LINE(s, 0, "model m");
  EXPECT_LINE(s, 10, "x = 1");
  EXPECT_LINE(s, 13, "x = 1");
  EXPECT_LINE(s, 18, "y = x");
  EXPECT_LINE(s, 20, "");
  /* A second file gets the next index; lookups out of range are NULL. */
  int g = nc_source_add(&t, "b.net", "z", 1);
  CU_ASSERT_EQUAL(g, 1);
  CU_ASSERT_PTR_NULL(nc_source_get(&t, 2));
  CU_ASSERT_PTR_NULL(nc_source_get(&t, -1));
  CU_ASSERT_PTR_NULL(nc_source_get(NULL, 0));
  /* The first file survived the table's growth (more than 8 files). */
  for (int i = 0; i < 20; i++) CU_ASSERT_EQUAL(nc_source_add(&t, "c", "", 0), 2 + i);
  s = nc_source_get(&t, 0);
  EXPECT_STR(s->path, "a.net");
  EXPECT_LINE(s, 10, "x = 1");
  EXPECT_STR(nc_source_get(&t, 1)->text, "z");
  nc_arena_release(&a);
}

static void test_source_crlf_and_ends(void) {
  nc_arena a;
  nc_arena_init(&a);
  nc_source_table t;
  nc_source_table_init(&t, &a);

  /* CRLF: the \r stays in the text but not in the excerpt line. */
  const char *crlf = "ab\r\ncd\r\nef";
  const nc_source *s = nc_source_get(&t, nc_source_add(&t, "crlf.net", crlf, strlen(crlf)));
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL(s->n_lines, 3);
  EXPECT_POS(s, 0, 1, 1);
  EXPECT_POS(s, 2, 1, 3); /* the \r */
  EXPECT_POS(s, 4, 2, 1);
  EXPECT_POS(s, 5, 2, 2);
  EXPECT_POS(s, 8, 3, 1);
  EXPECT_POS(s, 9, 3, 2);
  EXPECT_POS(s, 10, 3, 3); /* end, no trailing newline */
  EXPECT_LINE(s, 1, "ab");
  EXPECT_LINE(s, 5, "cd");
  EXPECT_LINE(s, 9, "ef");

  /* No trailing newline: the last line runs to the end of the text. */
  const char *open = "x\ny = 2";
  s = nc_source_get(&t, nc_source_add(&t, "open.net", open, strlen(open)));
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL(s->n_lines, 2);
  EXPECT_POS(s, 6, 2, 5);
  EXPECT_POS(s, 7, 2, 6);
  EXPECT_LINE(s, 7, "y = 2");

  /* An empty file has one empty line. */
  s = nc_source_get(&t, nc_source_add(&t, "empty.net", "", 0));
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL(s->size, 0);
  CU_ASSERT_EQUAL(s->n_lines, 1);
  EXPECT_STR(s->text, "");
  EXPECT_POS(s, 0, 1, 1);
  EXPECT_POS(s, 5, 1, 1);
  EXPECT_LINE(s, 0, "");

  /* Blank lines only. */
  s = nc_source_get(&t, nc_source_add(&t, "blank.net", "\n\n\n", 3));
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL(s->n_lines, 4);
  EXPECT_POS(s, 1, 2, 1);
  EXPECT_POS(s, 3, 4, 1);
  EXPECT_LINE(s, 2, "");

  /* The text is copied up to `size`, embedded bytes included. */
  s = nc_source_get(&t, nc_source_add(&t, "cut.net", "abcdef", 3));
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  EXPECT_STR(s->text, "abc");
  nc_arena_release(&a);
}

static void test_span_join(void) {
  nc_span a = {0, 4, 9}, b = {0, 12, 20}, other = {1, 0, 3};
  nc_span j = nc_span_join(a, b);
  CU_ASSERT(j.file == 0 && j.start == 4 && j.end == 20);
  j = nc_span_join(b, a);
  CU_ASSERT(j.file == 0 && j.start == 4 && j.end == 20);
  j = nc_span_join(NC_NO_SPAN, b);
  CU_ASSERT(j.file == 0 && j.start == 12 && j.end == 20);
  j = nc_span_join(a, NC_NO_SPAN);
  CU_ASSERT(j.file == 0 && j.start == 4 && j.end == 9);
  j = nc_span_join(a, other); /* another file: keep the first */
  CU_ASSERT(j.file == 0 && j.start == 4 && j.end == 9);
}

/* ------------------------------------------------------------------ diag */

/* A table with one file; spans are found by searching the text. */
static nc_arena diag_arena;
static nc_source_table diag_sources;
static const char *diag_text;

static void diag_begin(const char *path, const char *text) {
  nc_arena_init(&diag_arena);
  nc_source_table_init(&diag_sources, &diag_arena);
  CU_ASSERT_EQUAL(nc_source_add(&diag_sources, path, text, strlen(text)), 0);
  diag_text = nc_source_get(&diag_sources, 0)->text;
  memset(&seen, 0, sizeof seen);
}

static void diag_end(void) { nc_arena_release(&diag_arena); }

/* The span of the n-th (0-based) occurrence of `word`. */
static nc_span span_of(const char *word, int n) {
  const char *p = diag_text;
  for (;;) {
    p = strstr(p, word);
    if (!p || n-- == 0) break;
    p++;
  }
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  uint32_t start = (uint32_t)(p - diag_text);
  nc_span s = {0, start, start + (uint32_t)strlen(word)};
  return s;
}

static void test_diag_render_error_with_hint(void) {
  diag_begin("models/x.net", "model x\nh = dens(image, 10)\n");
  nc_diag_sink sink;
  nc_diag_init(&sink, &diag_sources, capture, &seen, 0);
  CU_ASSERT_EQUAL(sink.max_errors, 50); /* 0 means the default */
  nc_error_hint(&sink, span_of("dens", 0), "did you mean dense?",
                "unknown function '%s'", "dens");
  CU_ASSERT_EQUAL(seen.count, 1);
  EXPECT_STR(seen.all,
             "models/x.net:2:5: error: unknown function 'dens'\n"
             "    2 | h = dens(image, 10)\n"
             "      |     ^~~~\n"
             "hint: did you mean dense?\n");
  CU_ASSERT_EQUAL(seen.severity, NETC_SEVERITY_ERROR);
  EXPECT_STR(seen.file, "models/x.net");
  CU_ASSERT_EQUAL(seen.line, 2);
  CU_ASSERT_EQUAL(seen.column, 5);
  EXPECT_STR(seen.message, "unknown function 'dens'");
  EXPECT_STR(seen.hint, "did you mean dense?");
  CU_ASSERT_EQUAL(sink.errors, 1);
  CU_ASSERT_EQUAL(sink.warnings, 0);
  CU_ASSERT_FALSE(sink.out_of_memory);
  diag_end();
}

static void test_diag_render_variants(void) {
  diag_begin("v.net", "model v\n\tx = a +\n  b\ny = 1\n");
  nc_diag_sink sink;
  nc_diag_init(&sink, &diag_sources, capture, &seen, 10);

  /* A warning without a hint, on a line that starts with a tab: the tab is
  ** copied into the underline so the caret stays aligned. */
  nc_warning(&sink, span_of("a", 0), "'%s' is never used", "a");
  EXPECT_STR(seen.all,
             "v.net:2:6: warning: 'a' is never used\n"
             "    2 | \tx = a +\n"
             "      | \t    ^\n");
  CU_ASSERT_FALSE(seen.had_hint);
  CU_ASSERT_EQUAL(seen.severity, NETC_SEVERITY_WARNING);
  CU_ASSERT_EQUAL(sink.warnings, 1);
  CU_ASSERT_EQUAL(sink.errors, 0);

  /* A span over two lines is underlined to the end of the first. */
  memset(&seen, 0, sizeof seen);
  nc_span multi = {0, span_of("x", 0).start, span_of("b", 0).end};
  nc_error(&sink, multi, "multi-line");
  EXPECT_STR(seen.all,
             "v.net:2:2: error: multi-line\n"
             "    2 | \tx = a +\n"
             "      | \t^~~~~~~\n");

  /* An empty span still gets a caret; so does the end of the file. */
  memset(&seen, 0, sizeof seen);
  nc_span empty = {0, span_of("y", 0).start, span_of("y", 0).start};
  nc_diag_report(&sink, NETC_SEVERITY_NOTE, empty, NULL, "note %d", 1);
  uint32_t end = (uint32_t)strlen(diag_text);
  nc_span eof = {0, end, end};
  nc_error(&sink, eof, "unexpected end of file");
  EXPECT_STR(seen.all,
             "v.net:4:1: note: note 1\n"
             "    4 | y = 1\n"
             "      | ^\n"
             "v.net:5:1: error: unexpected end of file\n"
             "    5 | \n"
             "      | ^\n");
  CU_ASSERT_EQUAL(sink.errors, 2);
  CU_ASSERT_EQUAL(sink.warnings, 1); /* notes are not counted */
  diag_end();
}

static void test_diag_line_number_gutter(void) {
  /* Line 123456 is wider than the 5-column gutter; the bar follows it. */
  nc_buf text;
  nc_buf_init(&text);
  nc_buf_repeat(&text, '\n', 123455);
  nc_buf_puts(&text, "bad line\n");
  diag_begin("long.net", nc_buf_str(&text));
  nc_buf_release(&text);
  nc_diag_sink sink;
  nc_diag_init(&sink, &diag_sources, capture, &seen, 0);
  nc_error(&sink, span_of("line", 0), "here");
  EXPECT_STR(seen.all,
             "long.net:123456:5: error: here\n"
             "123456 | bad line\n"
             "       |     ^~~~\n");
  diag_end();
}

static void test_diag_dedupe(void) {
  diag_begin("d.net", "x = foo(1)\ny = foo(2)\n");
  nc_diag_sink sink;
  nc_diag_init(&sink, &diag_sources, capture, &seen, 0);
  nc_span first = span_of("foo", 0), second = span_of("foo", 1);
  nc_error(&sink, first, "unknown function '%s'", "foo");
  nc_error(&sink, first, "unknown function '%s'", "foo"); /* same: dropped */
  CU_ASSERT_EQUAL(seen.count, 1);
  CU_ASSERT_EQUAL(sink.errors, 1);
  nc_error(&sink, second, "unknown function '%s'", "foo"); /* elsewhere */
  nc_error(&sink, first, "another message");               /* other text */
  nc_warning(&sink, first, "unknown function '%s'", "foo"); /* other severity */
  CU_ASSERT_EQUAL(seen.count, 4);
  CU_ASSERT_EQUAL(sink.errors, 3);
  CU_ASSERT_EQUAL(sink.warnings, 1);
  nc_error(&sink, second, "unknown function 'foo'");
  nc_warning(&sink, first, "unknown function 'foo'");
  CU_ASSERT_EQUAL(seen.count, 4);
  /* Location-less duplicates are dropped too. */
  nc_error(&sink, NC_NO_SPAN, "no place");
  nc_error(&sink, NC_NO_SPAN, "no place");
  CU_ASSERT_EQUAL(seen.count, 5);
  CU_ASSERT_EQUAL(sink.errors, 4);
  diag_end();
}

static void test_diag_max_errors(void) {
  diag_begin("m.net", "a b c d e\n");
  nc_diag_sink sink;
  nc_diag_init(&sink, &diag_sources, capture, &seen, 3);
  CU_ASSERT_EQUAL(sink.max_errors, 3);
  CU_ASSERT_FALSE(nc_diag_full(&sink));
  const char *words[] = {"a", "b", "c", "d", "e"};
  for (int i = 0; i < 5; i++) nc_error(&sink, span_of(words[i], 0), "error %d", i);
  CU_ASSERT_EQUAL(sink.errors, 3);
  CU_ASSERT_TRUE(nc_diag_full(&sink));
  /* The error that fills the sink is followed by a note saying so. */
  EXPECT_STR(seen.all,
             "m.net:1:1: error: error 0\n"
             "    1 | a b c d e\n"
             "      | ^\n"
             "m.net:1:3: error: error 1\n"
             "    1 | a b c d e\n"
             "      |   ^\n"
             "m.net:1:5: error: error 2\n"
             "    1 | a b c d e\n"
             "      |     ^\n"
             "note: stopping after 3 errors\n");
  CU_ASSERT_EQUAL(seen.count, 4);
  CU_ASSERT_EQUAL(seen.severity, NETC_SEVERITY_NOTE);
  /* Warnings and notes still pass once errors are capped. */
  nc_warning(&sink, span_of("e", 0), "still reported");
  CU_ASSERT_EQUAL(seen.count, 5);
  CU_ASSERT_EQUAL(seen.severity, NETC_SEVERITY_WARNING);
  CU_ASSERT_EQUAL(sink.errors, 3);
  diag_end();
}

static void test_diag_without_location(void) {
  diag_begin("n.net", "x\n");
  nc_diag_sink sink;
  nc_diag_init(&sink, &diag_sources, capture, &seen, 0);
  nc_error_hint(&sink, NC_NO_SPAN, "check the path", "cannot read '%s'",
                "missing.net");
  EXPECT_STR(seen.all, "error: cannot read 'missing.net'\nhint: check the path\n");
  EXPECT_STR(seen.file, "");
  CU_ASSERT_EQUAL(seen.line, 0);
  CU_ASSERT_EQUAL(seen.column, 0);
  EXPECT_STR(seen.message, "cannot read 'missing.net'");
  /* A span into a file the table does not hold has no location either. */
  memset(&seen, 0, sizeof seen);
  nc_span stray = {7, 0, 1};
  nc_warning(&sink, stray, "stray");
  EXPECT_STR(seen.all, "warning: stray\n");
  /* Without a source table at all. */
  nc_diag_sink bare;
  memset(&seen, 0, sizeof seen);
  nc_diag_init(&bare, NULL, capture, &seen, 0);
  nc_error(&bare, NC_NO_SPAN, "bare %s", "message");
  EXPECT_STR(seen.all, "error: bare message\n");
  /* Without a callback, diagnostics are only counted. */
  nc_diag_sink quiet;
  nc_diag_init(&quiet, &diag_sources, NULL, NULL, 0);
  nc_error(&quiet, span_of("x", 0), "counted");
  nc_warning(&quiet, span_of("x", 0), "counted");
  CU_ASSERT_EQUAL(quiet.errors, 1);
  CU_ASSERT_EQUAL(quiet.warnings, 1);
  diag_end();
}

/* ---------------------------------------------------------------- status */

static void test_status_table(void) {
  static const struct {
    netc_status code;
    int value;
    const char *name;
    const char *message;
  } table[] = {
#define ROW(name, value, message) {NETC_##name, value, "NETC_" #name, message},
      NETC_STATUS_MAP(ROW)
#undef ROW
  };
  const size_t n = sizeof table / sizeof *table;
  CU_ASSERT_EQUAL(n, 13);
  for (size_t i = 0; i < n; i++) {
    CU_ASSERT_EQUAL((int)table[i].code, table[i].value);
    EXPECT_STR(netc_status_name(table[i].code), table[i].name);
    EXPECT_STR(netc_strerror(table[i].code), table[i].message);
    /* Codes are 0 then consecutive negative numbers (ORDER STATUS). */
    CU_ASSERT_EQUAL(table[i].value, -(int)i);
  }
  EXPECT_STR(netc_status_name(NETC_OK), "NETC_OK");
  EXPECT_STR(netc_strerror(NETC_OK), "success");
  EXPECT_STR(netc_status_name(NETC_ENOMEM), "NETC_ENOMEM");
  EXPECT_STR(netc_strerror(NETC_ENOMEM), "out of memory");
  EXPECT_STR(netc_status_name(NETC_ECOMPILE), "NETC_ECOMPILE");
  EXPECT_STR(netc_status_name(NETC_ESTATE), "NETC_ESTATE");
  EXPECT_STR(netc_status_name(NETC_ECOMM), "NETC_ECOMM");
  /* Codes outside the table still get text, never NULL. */
  EXPECT_STR(netc_status_name((netc_status)-99), "NETC_UNKNOWN");
  EXPECT_STR(netc_strerror((netc_status)-99), "unknown status");
  EXPECT_STR(netc_status_name((netc_status)1), "NETC_UNKNOWN");
  EXPECT_STR(netc_strerror((netc_status)1), "unknown status");
  EXPECT_STR(netc_dtype_name(NETC_F32), "f32");
  EXPECT_STR(netc_dtype_name(NETC_I32), "i32");
  EXPECT_STR(netc_dtype_name(NETC_U8), "u8");
  EXPECT_STR(netc_dtype_name(NETC_BOOL), "bool");
  EXPECT_STR(netc_dtype_name((netc_dtype)42), "?");
}

/* ------------------------------------------------------------- allocator */

static void test_set_allocator(void) {
  CU_ASSERT_EQUAL(netc_set_allocator(NULL, realloc, free), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_set_allocator(malloc, NULL, free), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_set_allocator(malloc, realloc, NULL), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_set_allocator(NULL, NULL, NULL), NETC_EINVAL);
  /* The library uses whatever was installed. */
  heap_reset(0);
  CU_ASSERT_EQUAL(netc_set_allocator(counting_malloc, counting_realloc, counting_free),
                  NETC_OK);
  char *s = nc_strdup("abc");
  CU_ASSERT_EQUAL(heap.calls, 1);
  CU_ASSERT_EQUAL(heap.live, 1);
  /* A rejected call leaves the installed allocator in place. */
  CU_ASSERT_EQUAL(netc_set_allocator(malloc, NULL, free), NETC_EINVAL);
  char *t = nc_malloc(0); /* size 0 still yields a block */
  CU_ASSERT_PTR_NOT_NULL(t);
  CU_ASSERT_EQUAL(heap.calls, 2);
  t = nc_realloc(t, 100);
  CU_ASSERT_EQUAL(heap.calls, 3);
  CU_ASSERT_EQUAL(heap.live, 2);
  nc_free(t);
  nc_free(s);
  nc_free(NULL);
  CU_ASSERT_EQUAL(heap.live, 0);
  /* Failures come back as NULL; calloc checks for overflow first. */
  heap_reset(1);
  CU_ASSERT_PTR_NULL(nc_malloc(8));
  CU_ASSERT_PTR_NULL(nc_calloc(SIZE_MAX / 2, 4));
  int *z = nc_calloc(4, sizeof *z);
  CU_ASSERT_PTR_NOT_NULL_FATAL(z);
  CU_ASSERT(z[0] == 0 && z[3] == 0);
  nc_free(z);
  CU_ASSERT_EQUAL(heap.live, 0);
  CU_ASSERT_EQUAL(netc_set_allocator(malloc, realloc, free), NETC_OK);
}

/* The arena, buffer and source table report an allocation failure instead of
** crashing. */
static void test_common_out_of_memory(void) {
  CU_ASSERT_EQUAL(netc_set_allocator(counting_malloc, counting_realloc, counting_free),
                  NETC_OK);
  nc_arena a;
  nc_arena_init(&a);
  heap_reset(1);
  CU_ASSERT_PTR_NULL(nc_arena_alloc(&a, 8));
  heap_reset(1);
  CU_ASSERT_PTR_NULL(nc_arena_strdup(&a, "x"));
  heap_reset(1);
  CU_ASSERT_PTR_NULL(nc_arena_printf(&a, "%d", 5));
  CU_ASSERT_PTR_NULL(a.chunks);
  CU_ASSERT_PTR_NOT_NULL(nc_arena_alloc(&a, 8));
  heap.fail_at = heap.calls + 1;
  CU_ASSERT_PTR_NULL(nc_arena_alloc(&a, 1 << 20)); /* needs a new chunk */
  CU_ASSERT_PTR_NOT_NULL(nc_arena_alloc(&a, 8));   /* the old one still works */
  nc_arena_release(&a);
  CU_ASSERT_EQUAL(heap.live, 0);

  nc_buf b;
  nc_buf_init(&b);
  heap_reset(2);
  nc_buf_puts(&b, "short");
  nc_buf_repeat(&b, 'x', 1000); /* the growth fails */
  nc_buf_puts(&b, "more");
  CU_ASSERT_TRUE(b.failed);
  EXPECT_STR(nc_buf_str(&b), "short");
  nc_buf_release(&b);
  CU_ASSERT_EQUAL(heap.live, 0);

  nc_source_table t;
  nc_arena_init(&a);
  nc_source_table_init(&t, &a);
  heap_reset(1);
  CU_ASSERT_EQUAL(nc_source_add(&t, "a.net", "x\n", 2), -1);
  nc_arena_release(&a);

  /* A sink whose rendering runs out of memory says so and stays quiet. */
  nc_arena_init(&a);
  nc_source_table_init(&t, &a);
  heap_reset(0);
  CU_ASSERT_EQUAL(nc_source_add(&t, "a.net", "x\n", 2), 0);
  nc_diag_sink sink;
  memset(&seen, 0, sizeof seen);
  nc_diag_init(&sink, &t, capture, &seen, 0);
  heap_reset(2); /* the message buffer works, the rendered one fails */
  nc_span first_byte = {0, 0, 1};
  nc_error(&sink, first_byte, "lost");
  CU_ASSERT_TRUE(sink.out_of_memory);
  CU_ASSERT_EQUAL(seen.count, 0);
  nc_arena_release(&a);
  CU_ASSERT_EQUAL(heap.live, 0);
  CU_ASSERT_EQUAL(netc_set_allocator(malloc, realloc, free), NETC_OK);
}

/* KNOWN BUG (reported, not fixed here): when flex runs out of memory inside
** gr_yy_scan_bytes (grammar/parser.y, gr_parse), YY_FATAL_ERROR longjmps out
** after the scan buffer was allocated but before it was registered with the
** scanner, so gr_yylex_destroy cannot free it: failing the 2nd or 3rd
** allocation of the scanner setup leaks one or two blocks. While this is 1
** the sweeps free the leaked blocks and do not fail on them; set it to 0
** once the bug is fixed. */
#define KNOWN_BUG_SCANNER_OOM_LEAK 0

/* KNOWN BUG (reported, not fixed here): some allocation failures are
** swallowed. Text formatted for a message into an nc_buf whose growth failed
** is used as is (layers.c require_input, lower.c lower_declaration,
** builtins.c convert_choice, shape.c show_type/show_target, parser.y
** yyreport_syntax_error), giving a truncated message and NETC_ECOMPILE; and
** layers.c layer_step ignores a failed nc_arena_printf of a node name, so
** the compile returns NETC_OK with a differently named node. Which of these
** a sweep meets depends on where arena chunks fill up, so the sweep over the
** large generated model tolerates them while this is 1; the other sweeps
** avoid them and stay strict. */
#define KNOWN_BUG_SWALLOWED_OOM 0

/* Compiles `text` (or the file `path` when text is NULL) with allocation N
** failing for N = 1, 2, ... until a run completes without reaching N. Each
** failing run must return NETC_ENOMEM with *out NULL and leave no block
** allocated; the completing run must return `final_status`. Returns the
** number of runs; counts bad statuses and leaking runs. */
typedef struct sweep_result {
  long runs;       /* compiles tried */
  long bad_status; /* failing runs that did not return NETC_ENOMEM */
  long leaks;      /* runs that left blocks allocated */
  long swallowed;  /* failing runs that went on as if nothing had failed:
                      NETC_OK with a model or NETC_ECOMPILE without one */
} sweep_result;

static sweep_result oom_sweep(const char *name, const char *text, size_t size,
                              const netc_compile_options *options,
                              netc_status final_status) {
  sweep_result r = {0, 0, 0, 0};
  CU_ASSERT_EQUAL(netc_set_allocator(counting_malloc, counting_realloc, counting_free),
                  NETC_OK);
  for (long n = 1; n < 100000; n++) {
    heap_reset(n);
    r.runs = n;
    netc_model *model = (netc_model *)&heap; /* must be overwritten */
    netc_status status =
        text ? netc_model_compile_source(name, text, size, options, &model)
             : netc_model_compile_file(name, options, &model);
    int completed = heap.failed == 0;
    if (completed) {
      CU_ASSERT_EQUAL(status, final_status);
      CU_ASSERT_EQUAL(model != NULL, final_status == NETC_OK);
    } else if (status != NETC_ENOMEM || model != NULL) {
      int swallowed = (status == NETC_OK && model != NULL) ||
                      (status == NETC_ECOMPILE && model == NULL);
      if (swallowed ? r.swallowed < 3 && !KNOWN_BUG_SWALLOWED_OOM : r.bad_status < 3)
        fprintf(stderr, "\n  %s: allocation %ld failed: got %s (%s)", name, n,
                netc_status_name(status), model ? "model returned" : "no model");
      if (swallowed) r.swallowed++;
      else r.bad_status++;
    }
    if (model && model != (netc_model *)&heap) netc_model_destroy(model);
    long leaked = heap_free_leftovers();
    if (leaked) {
      if (r.leaks < 3 && !KNOWN_BUG_SCANNER_OOM_LEAK)
        fprintf(stderr, "\n  %s: allocation %ld failed: %ld blocks leaked", name,
                n, leaked);
      r.leaks++;
    }
    if (completed) break;
  }
  CU_ASSERT_EQUAL(netc_set_allocator(malloc, realloc, free), NETC_OK);
  return r;
}

/* `files` is the number of files parsed: the scanner leak is per file.
** Swallowed failures are tolerated only where `tolerate_swallowed` says so. */
static void expect_clean_sweep(sweep_result r, long min_runs, int files,
                               int tolerate_swallowed, unsigned line) {
  char what[200];
  snprintf(what, sizeof what,
           "%ld runs, %ld bad statuses, %ld swallowed failures, %ld leaking runs",
           r.runs, r.bad_status, r.swallowed, r.leaks);
  int ok = r.runs >= min_runs && r.runs < 100000 && r.bad_status == 0 &&
           (tolerate_swallowed || r.swallowed == 0);
  if (!KNOWN_BUG_SCANNER_OOM_LEAK) ok = ok && r.leaks == 0;
  else ok = ok && r.leaks <= 2 * files; /* the scanner-setup failures only */
  CU_assertImplementation(ok, line, what, __FILE__, "", CU_FALSE);
}

static void test_oom_sweep_mnist(void) {
  size_t size = 0;
  char *text = read_model("mnist.net", &size);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  sweep_result r = oom_sweep("mnist.net", text, size, NULL, NETC_OK);
  expect_clean_sweep(r, 5, 1, 0, __LINE__);
  free(text);
}

/* A model with semantic errors: diagnostics are rendered while memory runs
** out; the completing run reports NETC_ECOMPILE.
** The mistakes whose messages swallow allocation failures (see
** KNOWN_BUG_SWALLOWED_OOM: a rank mismatch such as `z = dense(image, 10)`,
** a non-scalar loss, a bad choice argument, syntax errors) are kept out of
** this model, so this sweep stays strict. */
static void test_oom_sweep_with_errors(void) {
  static const char text[] =
      "model broken\n"
      "input image : f32[batch, 28, 28, 1]\n"
      "input unused : f32[batch]\n"
      "x = dens(flatten(image), 10)\n"
      "y = conv2d(image, filters=0, kernel=3)\n"
      "output p = softmax(x) + nothing\n"
      "train adamm minimizes p\n";
  static const char *const no_imports[] = {NULL};
  netc_compile_options options = {capture, &seen, no_imports, 0};
  memset(&seen, 0, sizeof seen);
  sweep_result r = oom_sweep("broken.net", text, sizeof text - 1, &options,
                             NETC_ECOMPILE);
  expect_clean_sweep(r, 5, 1, 0, __LINE__);
  CU_ASSERT(seen.count > 0);
}

/* An import (catsdogs.net imports vgg16.net): reading and parsing a second
** file, and VGG16's larger graph, while memory runs out. */
static void test_oom_sweep_import(void) {
  const char *top = getenv("top_srcdir");
  char path[1024];
  snprintf(path, sizeof path, "%s/models/catsdogs.net", top && *top ? top : ".");
  sweep_result r = oom_sweep(path, NULL, 0, NULL, NETC_OK);
  expect_clean_sweep(r, 5, 2, 0, __LINE__);
}

/* A generated model large enough to fill many arena chunks, using blocks,
** weight sets and an alias, consts, a schedule, freeze and a step:
** allocation failures land in many different places of the compiler and of
** autodiff. (No batchnorm or where: their gradients read inputs[-1] in
** compiler/autodiff.c, which UBSan reports; see the report.) */
static void test_oom_sweep_generated(void) {
  nc_buf text;
  nc_buf_init(&text);
  nc_buf_puts(&text,
              "model big\n"
              "input x : f32[batch, 16]\n"
              "input label : i32[batch]\n"
              "const k = 4 * 2\n"
              "block mlp(h) {\n"
              "  h = dense(h, 16, act=relu)\n"
              "  h = dropout(h, 0.1)\n"
              "  return dense(h, 16)\n"
              "}\n"
              "online = mlp\n"
              "target = mlp\n"
              "shared = online\n");
  const char *prev = "x";
  char name[32];
  for (int i = 0; i < 150; i++) {
    nc_buf_printf(&text, "l%d = dense(%s, k * 2, act=tanh)\n", i, prev);
    nc_buf_printf(&text, "m%d = online(l%d) + target(l%d) * 0.5 - shared(l%d)\n", i, i,
                  i, i);
    snprintf(name, sizeof name, "m%d", i);
    prev = name;
  }
  nc_buf_printf(&text,
                "logits = dense(%s, 3)\n"
                "output probs = softmax(logits)\n"
                "loss xent = sparse_cross_entropy(logits, label)\n"
                "metric acc = accuracy(logits, label)\n"
                "train adam(lr=0.001, schedule=cosine_decay(steps=100)) minimizes xent "
                "with batch=8, clip_norm=1.0\n"
                "freeze target\n"
                "step sync { target <- online }\n",
                prev);
  CU_ASSERT_FALSE_FATAL(text.failed);
  /* First check that it compiles at all. */
  netc_model *model = NULL;
  memset(&seen, 0, sizeof seen);
  netc_compile_options options = {capture, &seen, NULL, 0};
  CU_ASSERT_EQUAL(netc_model_compile_source("big.net", text.data, text.len, &options,
                                            &model), NETC_OK);
  EXPECT_STR(seen.all, "");
  netc_model_destroy(model);
  sweep_result r = oom_sweep("big.net", text.data, text.len, NULL, NETC_OK);
  expect_clean_sweep(r, 30, 1, KNOWN_BUG_SWALLOWED_OOM, __LINE__);
  nc_buf_release(&text);
}

static const test_case TESTS[] = {
    {"arena: many allocations across chunks", test_arena_many_allocations},
    {"arena: alignment and overflow", test_arena_alignment},
    {"arena: strdup, strndup, printf", test_arena_strings},
    {"arena: allocation larger than a chunk", test_arena_large_allocation},
    {"buf: append, printf, repeat, clear", test_buf_append},
    {"buf: growth", test_buf_growth},
    {"buf: failure is sticky", test_buf_failure_is_sticky},
    {"strmap: put, get, overwrite", test_strmap_basic},
    {"strmap: growth to thousands of keys", test_strmap_growth},
    {"suggest: edit distance", test_edit_distance},
    {"suggest: closest candidate", test_suggest},
    {"source: line and column", test_source_lines},
    {"source: CRLF, no final newline, empty", test_source_crlf_and_ends},
    {"source: span join", test_span_join},
    {"diag: error with caret and hint", test_diag_render_error_with_hint},
    {"diag: tabs, multi-line spans, notes, end of file", test_diag_render_variants},
    {"diag: wide line numbers", test_diag_line_number_gutter},
    {"diag: identical diagnostics reported once", test_diag_dedupe},
    {"diag: max_errors", test_diag_max_errors},
    {"diag: no location", test_diag_without_location},
    {"status: every code's name and message", test_status_table},
    {"allocator: netc_set_allocator", test_set_allocator},
    {"allocator: common layer out of memory", test_common_out_of_memory},
    {"allocator: OOM sweep over compiling mnist.net", test_oom_sweep_mnist},
    {"allocator: OOM sweep over a model with errors", test_oom_sweep_with_errors},
    {"allocator: OOM sweep over an import (catsdogs.net)", test_oom_sweep_import},
    {"allocator: OOM sweep over a large generated model", test_oom_sweep_generated},
    {0},
};

#include "tests/unit/cunit_main.h"
