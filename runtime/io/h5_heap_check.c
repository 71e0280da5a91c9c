/*
** h5_heap_check.c: the global heap check of h5_heap_check.h. A collection
** (HDF5 file format, "Global Heap") is
**   "GCOL", version 1, 3 reserved bytes, its size in bytes (a length),
** then its objects, each
**   index u16, reference count u16, 4 reserved bytes, size (a length),
**   data padded to a multiple of 8 bytes,
** where index 0 is the free space, whose size counts its own header. HDF5
** walks the objects from each one's size; a tail too short for an object
** header is free space. Lengths are little-endian, of the width the
** superblock gives. A collection's address is not needed: every signature
** with version 1 is checked, as HDF5 would read any of them that a
** variable-length value points to.
**
** A sound collection is not enough: HDF5 copies the whole object into a
** buffer sized by the value's own sequence length (at least 4096 bytes),
** so rt_h5_check_vlen_strings reads an attribute's values as stored, through
** a conversion of ours that keeps the bytes, and compares each with the
** object it points to.
*/
#define _POSIX_C_SOURCE 200809L /* mmap, O_CLOEXEC */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/nc_alloc.h"
#include "runtime/io/h5_heap_check.h"

enum {
  MIN_COLLECTION = 4096, /* HDF5 never writes a smaller one (H5HG_MINSIZE) */
  ALIGNMENT = 8          /* of each object's data */
};

static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
static const char references_tag[] = "netc: variable-length references as stored";

/* A whole file in memory (mapped) and what its superblock says. */
typedef struct heap_file {
  const unsigned char *bytes;
  size_t size;
  size_t base;         /* where the superblock is: addresses count from it */
  size_t offset_width; /* bytes of an address */
  size_t length_width; /* bytes of a length; 0 when there is no superblock */
} heap_file;

/* Finds the superblock (at 0, 512, 1024, ...); none leaves length_width 0:
** HDF5 will not open the file then. */
static void read_superblock(heap_file *f) {
  f->length_width = 0;
  for (size_t at = 0; at + 16 <= f->size; at = at ? 2 * at : 512) {
    if (memcmp(f->bytes + at, signature, sizeof signature) != 0) continue;
    /* versions 0 and 1 keep the widths of offsets and lengths at 13 and
    ** 14, versions 2 and 3 at 9 and 10 */
    const unsigned char *widths = f->bytes + at + (f->bytes[at + 8] < 2 ? 13 : 9);
    if (widths[0] >= 2 && widths[0] <= 16 && widths[1] >= 2 && widths[1] <= 16) {
      f->base = at;
      f->offset_width = widths[0];
      f->length_width = widths[1];
    }
    return;
  }
}

/* A little-endian number of `width` bytes; UINT64_MAX when it does not
** fit in 64 bits. */
static uint64_t length_at(const unsigned char *p, size_t width) {
  uint64_t value = 0;
  for (size_t i = width; i-- > 0;) {
    if (i >= 8 && p[i]) return UINT64_MAX;
    if (i < 8) value = value << 8 | p[i];
  }
  return value;
}

/* Walks the collection at `at` as HDF5 does; records the first fault.
** With `index` > 0, stops at that object and gives its size in *found
** (UINT64_MAX when there is none). */
static void walk_collection(rt_h5 *h, const heap_file *f, size_t at, unsigned index,
                            uint64_t *found) {
  size_t width = f->length_width, header = 8 + width, object_header = 8 + width;
  uint64_t total = f->size - at >= header ? length_at(f->bytes + at + 8, width) : UINT64_MAX;
  if (found) *found = UINT64_MAX;
  if (total < MIN_COLLECTION || total > f->size - at) {
    rt_h5_fail(h, NETC_EFORMAT, 0, "damaged HDF5 file: the global heap collection at "
               "byte %zu says it has %llu bytes (%zu remain in the file, at least %d are "
               "needed)", at, (unsigned long long)total, f->size - at, MIN_COLLECTION);
    return;
  }
  const unsigned char *start = f->bytes + at, *end = start + total, *p = start + header;
  while ((size_t)(end - p) >= object_header) {
    unsigned object = (unsigned)p[0] | (unsigned)p[1] << 8;
    uint64_t length = length_at(p + 8, width), left = (uint64_t)(end - p);
    /* an object's data is padded, the free space's size counts its header */
    uint64_t padded = length > left ? UINT64_MAX : (length + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    uint64_t need = object == 0 ? length : padded > left ? UINT64_MAX : object_header + padded;
    if (need > left || need < object_header) {
      rt_h5_fail(h, NETC_EFORMAT, 0, "damaged HDF5 file: in the global heap collection "
                 "at byte %zu, %s at byte %zu has a size of %llu bytes, where %llu remain "
                 "in the collection", at, object ? "an object" : "the free space",
                 (size_t)(p - f->bytes), (unsigned long long)length, (unsigned long long)left);
      return;
    }
    if (found && index && object == index) {
      *found = length;
      return;
    }
    p += need;
  }
}

/* Walks every collection of the file (each "GCOL" of version 1). */
static void check_collections(rt_h5 *h, const heap_file *f) {
  if (!f->length_width) return;
  for (const unsigned char *p = f->bytes;
       h->status == NETC_OK && f->size - (size_t)(p - f->bytes) >= 5; p++) {
    p = memchr(p, 'G', f->size - (size_t)(p - f->bytes) - 4);
    if (!p) break;
    if (memcmp(p, "GCOL\1", 5) == 0) walk_collection(h, f, (size_t)(p - f->bytes), 0, NULL);
  }
}

/* Maps h->path into f (f->bytes NULL for an empty file); 0 on a failure
** (recorded). Undone by unmap_file. */
static int map_file(rt_h5 *h, heap_file *f) {
  memset(f, 0, sizeof *f);
  int fd = open(h->path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    rt_h5_fail(h, NETC_EIO, 0, "cannot open: %s", strerror(errno));
  } else if (st.st_size > 0) {
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      rt_h5_fail(h, NETC_EIO, 0, "cannot read: %s", strerror(errno));
    } else {
      f->bytes = map;
      f->size = (size_t)st.st_size;
      read_superblock(f);
    }
  }
  if (fd >= 0) close(fd);
  return h->status == NETC_OK;
}

static void unmap_file(heap_file *f) {
  if (f->bytes) munmap((void *)f->bytes, f->size);
}

/* A conversion from a variable-length type to the opaque type tagged
** references_tag, of the same size, that leaves the bytes as they are: H5Aread
** then hands back the values as stored. Every other pair is refused. */
static herr_t keep_references(hid_t src, hid_t dst, H5T_cdata_t *cdata, size_t n,
                              size_t buf_stride, size_t bkg_stride, void *buf, void *bkg,
                              hid_t dxpl) {
  (void)n, (void)buf_stride, (void)bkg_stride, (void)buf, (void)bkg, (void)dxpl;
  if (cdata->command != H5T_CONV_INIT) return 0;
  char *tag = H5Tget_class(dst) == H5T_OPAQUE ? H5Tget_tag(dst) : NULL;
  int ours = tag && strcmp(tag, references_tag) == 0 && H5Tget_size(src) == H5Tget_size(dst);
  H5free_memory(tag);
  cdata->need_bkg = H5T_BKG_NO;
  return ours ? 0 : -1;
}

/* Registers keep_references with HDF5 once per process; 0 on a failure. */
static int register_keep_references(void) {
  static int registered;
  if (registered) return 1;
  hid_t src = H5Tcopy(H5T_C_S1), dst = H5Tcreate(H5T_OPAQUE, 1);
  registered = src >= 0 && dst >= 0 && H5Tset_size(src, H5T_VARIABLE) >= 0 &&
               H5Tregister(H5T_PERS_SOFT, "netc_keep_references", src, dst,
                           keep_references) >= 0;
  rt_h5_close(src);
  rt_h5_close(dst);
  return registered;
}

static uint32_t u32_at(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Compares stored string `i` of attribute `name` of `where` (sequence
** length u32, collection address, object index u32) with its object. */
static void check_reference(rt_h5 *h, const heap_file *f, const unsigned char *value,
                            long long i, const char *where, const char *name) {
  uint32_t length = u32_at(value), index = u32_at(value + 4 + f->offset_width);
  uint64_t address = length_at(value + 4, f->offset_width), found = UINT64_MAX;
  if (address == 0) return; /* no data: HDF5 reads nothing */
  /* HDF5 would refuse a value pointing elsewhere, but only after making a
  ** buffer of the value's length, gigabytes for some */
  if (address > f->size || f->base + address > f->size - 5 ||
      memcmp(f->bytes + f->base + address, "GCOL\1", 5) != 0) {
    rt_h5_fail(h, NETC_EFORMAT, 0, "damaged HDF5 file: string %lld of attribute '%s' of "
               "%s (%lu bytes) points to address %llu, where there is no global heap "
               "collection", i, name, where, (unsigned long)length,
               (unsigned long long)address);
    return;
  }
  size_t at = (size_t)(f->base + address);
  if (index > 0 && index <= UINT16_MAX) walk_collection(h, f, at, index, &found);
  if (h->status != NETC_OK) return;
  if (found == UINT64_MAX)
    rt_h5_fail(h, NETC_EFORMAT, 0, "damaged HDF5 file: string %lld of attribute '%s' of "
               "%s points to object %lu of the global heap collection at byte %zu, which "
               "has no such object", i, name, where, (unsigned long)index, at);
  else if (found != length)
    rt_h5_fail(h, NETC_EFORMAT, 0, "damaged HDF5 file: string %lld of attribute '%s' of "
               "%s has %lu bytes, but its object %lu in the global heap collection at "
               "byte %zu has %llu", i, name, where, (unsigned long)length,
               (unsigned long)index, at, (unsigned long long)found);
}

void rt_h5_check_vlen_strings(rt_h5 *h, hid_t attr, const char *where, const char *name) {
  heap_file f;
  if (h->status != NETC_OK || !map_file(h, &f)) return;
  if (!h->heaps_checked) check_collections(h, &f);
  h->heaps_checked = 1;
  hid_t space = H5Aget_space(attr), raw = -1;
  hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
  size_t width = 8 + f.offset_width; /* a stored value: length, address, index */
  hsize_t stored = H5Aget_storage_size(attr);
  unsigned char *values = NULL;
  /* HDF5 sizes its buffer by length times character size: 1 byte written */
  hid_t type = H5Aget_type(attr), base = type < 0 ? -1 : H5Tget_super(type);
  size_t character = base < 0 ? 0 : H5Tget_size(base);
  rt_h5_close(base);
  rt_h5_close(type);
  int sized = n >= 0 && (uint64_t)n <= SIZE_MAX / width && stored == (hsize_t)n * width;
  if (h->status != NETC_OK) {
    /* a collection is damaged */
  } else if (n < 0 || (f.length_width && !sized)) {
    rt_h5_fail(h, NETC_EFORMAT, 1, "cannot read attribute '%s' of %s", name, where);
  } else if (character != 1) {
    rt_h5_fail(h, NETC_EFORMAT, 0, "damaged HDF5 file: the strings of attribute '%s' of %s "
               "have characters of %zu bytes, not 1", name, where, character);
  } else if (n > 0 && f.length_width) {
    values = nc_malloc((size_t)n * width);
    raw = H5Tcreate(H5T_OPAQUE, width);
    if (!values)
      rt_h5_fail(h, NETC_ENOMEM, 0, "out of memory");
    else if (!register_keep_references() || raw < 0 || H5Tset_tag(raw, references_tag) < 0 ||
             H5Aread(attr, raw, values) < 0)
      rt_h5_fail(h, NETC_EFORMAT, 1, "cannot read attribute '%s' of %s", name, where);
    for (hssize_t i = 0; h->status == NETC_OK && i < n; i++)
      check_reference(h, &f, values + (size_t)i * width, (long long)i, where, name);
  }
  nc_free(values);
  rt_h5_close(raw);
  rt_h5_close(space);
  unmap_file(&f);
}
