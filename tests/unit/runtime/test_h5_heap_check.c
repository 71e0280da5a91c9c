/*
** test_h5_heap_check.c: the global heap check (runtime/io/h5_heap_check.c)
** through netc_session_import_keras, on a small Keras 2 weight file
** (tests/keras_fixture.c: names as variable-length strings, in one
** collection) damaged as the crafted files of tests/fuzz/hdf5-bugs were
** and beyond: an object running past its collection (HDF5 1.10 copies
** from beyond it), a free space of size 0 (HDF5 loops without end), a
** collection longer than the file, an object longer than the string
** pointing to it (HDF5 overflows its conversion buffer) and a string
** pointing to an object that is not there. Each is a clear error naming
** the file and the byte, before HDF5 reads the heap; the intact file
** imports. netc_session_load reads its 'format' mark through the same
** check when a (crafted, resealed) model file holds it as such a string.
*/
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <hdf5.h>

#include "netc.h"
#include "runtime/io/seal.h"
#include "tests/keras_fixture.h"
#include "tests/unit/test_files.h"
#include "tests/unit/test_case.h"

enum { COLLECTION_HEADER = 16, OBJECT_HEADER = 16 }; /* with 8-byte lengths */

static const keras_vgg_layer TINY[] = {
    {"input_1", 0, {0}, 0},
    {"block1_conv1", 4, {3, 3, 3, 4}, 0},
    {"fc1", 2, {16, 2}, 1},
};

/* The intact file's bytes, written once. */
static unsigned char *intact;
static size_t intact_size;

static void load_intact(void) {
  if (intact) return;
  const char *path = tmp_path(0, "intact.h5");
  keras_fixture f = {KERAS_KERAS2, 0, 1, NULL, NULL, 0, TINY, 3};
  CU_ASSERT_EQUAL_FATAL(keras_fixture_write(path, &f), 0);
  FILE *in = fopen(path, "rb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(in);
  fseek(in, 0, SEEK_END);
  intact_size = (size_t)ftell(in);
  rewind(in);
  intact = malloc(intact_size);
  CU_ASSERT_PTR_NOT_NULL_FATAL(intact);
  CU_ASSERT_EQUAL_FATAL(fread(intact, 1, intact_size, in), intact_size);
  fclose(in);
}

static uint64_t get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* The offset of the first collection of a file of `size` bytes. */
static size_t first_collection(const unsigned char *bytes, size_t size) {
  for (size_t at = 0; at + 5 <= size; at++)
    if (memcmp(bytes + at, "GCOL\1", 5) == 0) return at;
  CU_FAIL_FATAL("the file has no global heap collection");
  return 0;
}

static size_t collection(const unsigned char *bytes) {
  return first_collection(bytes, intact_size);
}

/* The offset of the object holding `text`, or of the free space (index 0)
** when `text` is NULL. */
static size_t object(const unsigned char *bytes, const char *text) {
  size_t at = collection(bytes), end = at + get64(bytes + at + 8);
  for (size_t p = at + COLLECTION_HEADER; p + OBJECT_HEADER <= end;) {
    unsigned index = bytes[p] | bytes[p + 1] << 8;
    uint64_t size = get64(bytes + p + 8);
    if (text ? index && size == strlen(text) && !memcmp(bytes + p + 16, text, size) : !index)
      return p;
    p += index ? OBJECT_HEADER + (size + 7) / 8 * 8 : size;
  }
  CU_FAIL_FATAL("no such object in the fixture's collection");
  return 0;
}

/* A copy of the intact file, to damage. */
static unsigned char *copy(void) {
  load_intact();
  unsigned char *bytes = malloc(intact_size);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
  memcpy(bytes, intact, intact_size);
  return bytes;
}

/* Imports `path` into models/mnist.net, which has none of the file's
** layers: the check comes first, and an intact file skips both. */
static netc_status import(const char *path, netc_import_report *r, char *why, size_t size) {
  netc_model *m = compile_file("mnist.net");
  netc_session *s = NULL;
  netc_session_options o = {1, 1, 1};
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, &o, &s), NETC_OK);
  netc_status st = netc_session_import_keras(s, path, r);
  snprintf(why, size, "%s", netc_session_error(s));
  netc_session_destroy(s);
  netc_model_destroy(m);
  return st;
}

/* Writes `bytes` as `name`, imports it and expects NETC_EFORMAT with a
** message naming the file and holding `part`; frees bytes. */
static void import_fails(unsigned char *bytes, const char *name, const char *part) {
  const char *path = tmp_path(1, name);
  FILE *out = fopen(path, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(fwrite(bytes, 1, intact_size, out), intact_size);
  fclose(out);
  free(bytes);
  char why[1024];
  netc_status st = import(path, NULL, why, sizeof why);
  int ok = st == NETC_EFORMAT && strstr(why, path) && strstr(why, part);
  if (!ok) fprintf(stderr, "\n  got %s \"%s\", want \"%s\"\n", netc_status_name(st), why, part);
  CU_ASSERT(ok);
}

static void test_intact(void) {
  load_intact();
  netc_import_report r;
  char why[1024];
  CU_ASSERT_EQUAL(import(tmp_path(0, "intact.h5"), &r, why, sizeof why), NETC_OK);
  CU_ASSERT_EQUAL(r.skipped, 2);
}

/* keras-vlen-heap-object-overflow.h5: an object's size far past the end. */
static void test_object_past_collection(void) {
  unsigned char *bytes = copy();
  size_t at = object(bytes, "block1_conv1");
  put64(bytes + at + 8, (uint64_t)1 << 40);
  char want[128];
  snprintf(want, sizeof want, "an object at byte %zu has a size of 1099511627776 bytes", at);
  import_fails(bytes, "past_collection.h5", want);

  bytes = copy(); /* just past it, by less than the padding */
  at = object(bytes, "fc1");
  size_t end = collection(bytes) + (size_t)get64(bytes + collection(bytes) + 8);
  put64(bytes + at + 8, end - at - OBJECT_HEADER + 1);
  import_fails(bytes, "just_past_collection.h5", "remain in the collection");
}

/* keras-vlen-heap-endless-loop.h5: a free space that does not move on. */
static void test_free_space_of_size_0(void) {
  unsigned char *bytes = copy();
  size_t at = object(bytes, NULL);
  put64(bytes + at + 8, 0);
  char want[128];
  snprintf(want, sizeof want, "the free space at byte %zu has a size of 0 bytes", at);
  import_fails(bytes, "free_space_0.h5", want);
}

static void test_collection_past_file(void) {
  unsigned char *bytes = copy();
  size_t at = collection(bytes);
  put64(bytes + at + 8, intact_size - at + 8);
  char want[128];
  snprintf(want, sizeof want, "the global heap collection at byte %zu says it has", at);
  import_fails(bytes, "collection_past_file.h5", want);
}

/* A sound collection of 8 KiB whose first layer name's object fills it:
** HDF5 would copy 8 KiB into a buffer of 4 KiB made for 7 bytes. */
static void test_object_longer_than_string(void) {
  unsigned char *bytes = copy();
  size_t at = collection(bytes), name = object(bytes, "input_1");
  CU_ASSERT_FATAL(at + 8192 <= intact_size);
  put64(bytes + at + 8, 8192);
  put64(bytes + name + 8, 8192 - (name - at) - OBJECT_HEADER);
  import_fails(bytes, "object_longer.h5", "has 7 bytes, but its object");
}

/* A string of 4 GB pointing to no collection: HDF5 would refuse it only
** after making a buffer of 4 GB. */
static void test_string_pointing_nowhere(void) {
  unsigned char *bytes = copy();
  size_t heap = collection(bytes), name = object(bytes, "input_1"), value = 0;
  unsigned char stored[16] = {7, 0, 0, 0}; /* input_1's: length, address, index */
  put64(stored + 4, heap);
  stored[12] = bytes[name];
  stored[13] = bytes[name + 1];
  for (size_t at = 0; !value && at + sizeof stored <= intact_size; at++)
    if (memcmp(bytes + at, stored, sizeof stored) == 0) value = at;
  CU_ASSERT_FATAL(value > 0);
  memset(bytes + value, 0xf0, 4);
  put64(bytes + value + 4, 1);
  import_fails(bytes, "nowhere.h5", "(4042322160 bytes) points to address 1, where there is "
               "no global heap collection");
}

/* Characters of 1 GiB and a byte (the string type's base type): HDF5
** would make a buffer of 7 GiB for "input_1". */
static void test_huge_characters(void) {
  unsigned char *bytes = copy();
  /* the attribute's type: variable-length (class 9) of 16 bytes stored,
  ** over an integer (class 0) of 1 byte */
  size_t type = 0;
  for (size_t at = 0; !type && at + 16 <= intact_size; at++)
    if (bytes[at] == 0x19 && !memcmp(bytes + at + 4, "\x10\0\0\0", 4) &&
        bytes[at + 8] == 0x10 && !memcmp(bytes + at + 12, "\1\0\0\0", 4))
      type = at;
  CU_ASSERT_FATAL(type > 0);
  bytes[type + 15] = 0x40;
  import_fails(bytes, "huge_characters.h5", "have characters of 1073741825 bytes, not 1");
}

static void test_missing_object(void) {
  unsigned char *bytes = copy();
  size_t name = object(bytes, "input_1");
  bytes[name] = 0xe7; /* index 999 instead */
  bytes[name + 1] = 0x03;
  import_fails(bytes, "missing_object.h5", "which has no such object");
}

/* A saved model whose 'format' mark is rewritten as a variable-length
** string and sealed again as netc seals: it loads (the check finds the
** string past the 512-byte seal); with a free space of size 0 after the
** string, the load refuses it at the check. */
static void test_model_file(void) {
  const char *path = tmp_path(0, "model.h5");
  netc_model *m = compile_file("mnist.net");
  netc_session *s = NULL;
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, NULL, &s), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_session_save(s, path), NETC_OK);
  netc_session_destroy(s);
  netc_model_destroy(m);

  hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT), type = H5Tcopy(H5T_C_S1);
  hid_t space = H5Screate(H5S_SCALAR);
  const char *mark = "netc";
  CU_ASSERT_FATAL(file >= 0 && H5Adelete(file, "format") >= 0 &&
                  H5Tset_size(type, H5T_VARIABLE) >= 0);
  hid_t attr = H5Acreate2(file, "format", type, space, H5P_DEFAULT, H5P_DEFAULT);
  CU_ASSERT_FATAL(attr >= 0 && H5Awrite(attr, type, &mark) >= 0);
  H5Aclose(attr);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(file);

  rt_h5 h;
  rt_h5_begin(&h, path);
  rt_seal_write(&h, path);
  CU_ASSERT_EQUAL_FATAL(rt_h5_end(&h), NETC_OK);
  netc_error error;
  CU_ASSERT_EQUAL(netc_session_load(path, NULL, &m, &s, &error), NETC_OK);
  netc_session_destroy(s);
  netc_model_destroy(m);

  FILE *in = fopen(path, "rb+");
  CU_ASSERT_PTR_NOT_NULL_FATAL(in);
  fseek(in, 0, SEEK_END);
  size_t size = (size_t)ftell(in);
  rewind(in);
  unsigned char *bytes = malloc(size);
  CU_ASSERT_FATAL(bytes && fread(bytes, 1, size, in) == size);
  size_t at = first_collection(bytes, size) + COLLECTION_HEADER;
  at += OBJECT_HEADER + (get64(bytes + at + 8) + 7) / 8 * 8; /* past "netc" */
  CU_ASSERT_FATAL(at + OBJECT_HEADER <= size && bytes[at] == 0 && bytes[at + 1] == 0);
  put64(bytes + at + 8, 0);
  CU_ASSERT_FATAL(fseek(in, (long)at + 8, SEEK_SET) == 0 && fwrite(bytes + at + 8, 1, 8, in) == 8);
  fclose(in);
  free(bytes);
  rt_h5_begin(&h, path);
  rt_seal_write(&h, path);
  CU_ASSERT_EQUAL_FATAL(rt_h5_end(&h), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_load(path, NULL, &m, &s, &error), NETC_EFORMAT);
  CU_ASSERT_PTR_NULL(m);
  char want[128];
  snprintf(want, sizeof want, "the free space at byte %zu has a size of 0 bytes", at);
  if (!strstr(error.message, want)) fprintf(stderr, "\n  got \"%s\"\n", error.message);
  CU_ASSERT_PTR_NOT_NULL(strstr(error.message, want));
}

static const test_case TESTS[] = {
    {"an intact file imports", test_intact},
    {"an object past its collection", test_object_past_collection},
    {"a free space of size 0", test_free_space_of_size_0},
    {"a collection past the file's end", test_collection_past_file},
    {"an object longer than its string", test_object_longer_than_string},
    {"a string pointing to no object", test_missing_object},
    {"a string pointing to no collection", test_string_pointing_nowhere},
    {"characters of 1 GiB", test_huge_characters},
    {"a model file's vlen 'format' mark", test_model_file},
    {0, 0},
};

#include "tests/unit/cunit_main.h"
