/*
** seal.c: the seal of a netc file, text in the HDF5 user block (HDF5 keeps
** the first RT_SEAL_BYTES of the file for its user and never reads them):
**
**   netc model file
**   format_version 1
**   hdf5_bytes 14549243
**   crc32 0x6a1b2c3d
**
** then NULs. It is written after HDF5 has closed the file, and checked
** before HDF5 reads a byte of it, so that a truncated or damaged file is a
** clear error up front: HDF5 itself verifies only its metadata, and on some
** damage leaks memory, prints at exit or crashes.
*/
#define _POSIX_C_SOURCE 200809L /* pread, pwrite, O_CLOEXEC */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/nc_alloc.h"
#include "runtime/io/seal.h"

static const char magic[] = "netc model file\n";

/* CRC-32 and length of the bytes of fd from RT_SEAL_BYTES on; -1 on a read
** error or out of memory (errno set). */
static int checksum(int fd, unsigned long *crc, unsigned long long *bytes) {
  enum { BLOCK = 1 << 16 };
  unsigned char *buf = nc_malloc(BLOCK);
  *crc = crc32(0L, Z_NULL, 0);
  *bytes = 0;
  ssize_t n = buf ? 1 : -1;
  for (off_t at = RT_SEAL_BYTES; n > 0; at += n) {
    do n = pread(fd, buf, BLOCK, at);
    while (n < 0 && errno == EINTR);
    if (n > 0) *crc = crc32(*crc, buf, (uInt)n);
    if (n > 0) *bytes += (unsigned long long)n;
  }
  if (!buf) errno = ENOMEM;
  nc_free(buf);
  return n < 0 ? -1 : 0;
}

/* The seal's 512 bytes for these values; 0 when they do not fit. */
static int render(char *seal, int version, unsigned long long bytes, unsigned long crc) {
  memset(seal, 0, RT_SEAL_BYTES);
  int n = snprintf(seal, RT_SEAL_BYTES, "%sformat_version %d\nhdf5_bytes %llu\ncrc32 0x%08lx\n",
                   magic, version, bytes, crc);
  return n > 0 && n < RT_SEAL_BYTES;
}

void rt_seal_write(rt_h5 *h, const char *path) {
  if (h->status != NETC_OK) return;
  int fd = open(path, O_RDWR | O_CLOEXEC);
  unsigned long crc;
  unsigned long long bytes;
  char seal[RT_SEAL_BYTES] = {0};
  if (fd < 0 || checksum(fd, &crc, &bytes) != 0)
    rt_h5_fail(h, errno == ENOMEM ? NETC_ENOMEM : NETC_EIO, 0, "cannot read back %s: %s",
               path, strerror(errno));
  else if (!render(seal, RT_FORMAT_VERSION, bytes, crc) ||
           pwrite(fd, seal, sizeof seal, 0) != (ssize_t)sizeof seal)
    rt_h5_fail(h, NETC_EIO, 0, "cannot write %s: %s", path, strerror(errno));
  if (fd >= 0) close(fd);
}

/* A file without a seal: HDF5 from elsewhere, or not HDF5 at all. */
static void unsealed(rt_h5 *h) {
  htri_t hdf5 = H5Fis_hdf5(h->path);
  if (hdf5 > 0)
    rt_h5_fail(h, NETC_EFORMAT, 0, "an HDF5 file but not a netc model file (no netc "
               "header; netc reads only files that netc wrote)");
  else if (hdf5 == 0)
    rt_h5_fail(h, NETC_EFORMAT, 0, "not an HDF5 file, so not a netc model file");
  else
    rt_h5_fail(h, NETC_EFORMAT, 1, "not a netc model file");
}

void rt_seal_check(rt_h5 *h) {
  if (h->status != NETC_OK) return;
  int fd = open(h->path, O_RDONLY | O_CLOEXEC);
  char seal[RT_SEAL_BYTES + 1] = {0}, canonical[RT_SEAL_BYTES];
  ssize_t got = fd < 0 ? -1 : pread(fd, seal, RT_SEAL_BYTES, 0);
  int version = 0;
  unsigned long long want_bytes = 0, bytes = 0;
  unsigned long want_crc = 0, crc = 0;
  size_t m = sizeof magic - 1;
  if (got < 0) {
    rt_h5_fail(h, NETC_EIO, 0, "cannot read: %s", strerror(errno));
  } else if ((size_t)got < m || memcmp(seal, magic, m) != 0) {
    unsealed(h);
  } else if (sscanf(seal + m, "format_version %d hdf5_bytes %llu crc32 %lx", &version,
                    &want_bytes, &want_crc) != 3) {
    rt_h5_fail(h, NETC_EFORMAT, 0, "damaged or truncated: its netc header is "
               "incomplete");
  } else if (version > RT_FORMAT_VERSION) {
    rt_h5_fail(h, NETC_EFORMAT, 0, "format version %d is newer than this netc reads "
               "(%d): upgrade netc", version, RT_FORMAT_VERSION);
  } else if (version < 1) {
    rt_h5_fail(h, NETC_EFORMAT, 0, "invalid format version %d", version);
  } else if (got != RT_SEAL_BYTES || !render(canonical, version, want_bytes, want_crc) ||
             memcmp(seal, canonical, RT_SEAL_BYTES) != 0) {
    /* every byte of the seal is checked: it must be as netc writes it */
    rt_h5_fail(h, NETC_EFORMAT, 0, "damaged: its netc header is garbled");
  } else if (checksum(fd, &crc, &bytes) != 0) {
    rt_h5_fail(h, errno == ENOMEM ? NETC_ENOMEM : NETC_EIO, 0, "cannot read: %s",
               strerror(errno));
  } else if (bytes < want_bytes) {
    rt_h5_fail(h, NETC_EFORMAT, 0, "truncated: %llu of its %llu bytes are there",
               bytes + RT_SEAL_BYTES, want_bytes + RT_SEAL_BYTES);
  } else if (bytes > want_bytes) {
    rt_h5_fail(h, NETC_EFORMAT, 0, "damaged: %llu bytes longer than netc wrote it",
               bytes - want_bytes);
  } else if (crc != want_crc) {
    rt_h5_fail(h, NETC_EFORMAT, 0, "damaged: its checksum does not match (changed "
               "since netc wrote it?)");
  }
  if (fd >= 0) close(fd);
}
