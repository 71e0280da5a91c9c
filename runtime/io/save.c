/*
** save.c: netc_session_save. The file is built under a fresh temporary
** name next to the destination (PATH.tmp-XXXXXX, so the rename cannot cross
** file systems), flushed, closed, sealed (seal.c), fsync'ed and only then
** renamed over PATH:
** a crash or a kill at any moment leaves either the old file or the new one,
** never a mix (at worst a stray temporary file).
*/
#define _POSIX_C_SOURCE 200809L /* fsync, O_CLOEXEC, O_DIRECTORY */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/nc_alloc.h"
#include "config.h"
#include "runtime/io/ir_codec.h"
#include "runtime/io/seal.h"
#include "runtime/io/state_codec.h"

/* Creates a new empty file PATH.tmp-XXXXXX (X from the clock, the process
** and a counter, retried while the name is taken); its name, or NULL. */
static char *reserve_temporary(rt_h5 *h, const char *path) {
  static unsigned counter;
  size_t size = strlen(path) + 16;
  char *name = nc_malloc(size);
  if (!name) {
    rt_h5_fail(h, NETC_ENOMEM, 0, "out of memory");
    return NULL;
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  unsigned long x = (unsigned long)now.tv_nsec ^ ((unsigned long)getpid() << 16);
  for (int attempt = 0; attempt < 100; attempt++) {
    x = x * 6364136223846793005UL + 1442695040888963407UL + counter++;
    snprintf(name, size, "%s.tmp-%06lx", path, (x >> 20) & 0xffffff);
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      close(fd);
      return name;
    }
    if (errno != EEXIST) break;
  }
  rt_h5_fail(h, NETC_EIO, 0, "cannot create a temporary file %s: %s", name,
             strerror(errno));
  nc_free(name);
  return NULL;
}

/* Forces the file's bytes to the disk before it replaces the old one. */
static void sync_file(rt_h5 *h, const char *name) {
  int fd = h->status == NETC_OK ? open(name, O_RDONLY | O_CLOEXEC) : -1;
  if (h->status == NETC_OK && (fd < 0 || fsync(fd) != 0))
    rt_h5_fail(h, NETC_EIO, 0, "cannot sync %s: %s", name, strerror(errno));
  if (fd >= 0) close(fd);
}

/* Makes the rename itself durable. Best effort: some file systems cannot
** sync a folder, and the new file is already complete either way. */
static void sync_folder(const char *path) {
  char folder[4096];
  const char *slash = strrchr(path, '/');
  int n = slash ? snprintf(folder, sizeof folder, "%.*s", (int)(slash - path + 1), path)
                : snprintf(folder, sizeof folder, ".");
  int fd = n > 0 && (size_t)n < sizeof folder
               ? open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
}

/* Everything but the file handling: format marks, graph, sources, state. */
static void write_contents(rt_h5 *h, const netc_session *s) {
  hid_t root = rt_h5_open(h, "/");
  if (root >= 0) {
    rt_h5_set_text(h, root, "format", RT_FORMAT_NAME);
    rt_h5_set_int(h, root, "format_version", RT_FORMAT_VERSION);
    rt_h5_set_text(h, root, "writer", "netc " PACKAGE_VERSION);
    rt_h5_set_text(h, root, "model", s->g->model_name);
  }
  rt_h5_close(root);
  rt_ir_write(h, s->g, s->sources);
  rt_state_write(h, s);
}

static netc_status session_save(netc_session *s, const char *path) {
  if (!s) return NETC_EINVAL;
  if (!path || !*path) return rt_fail(s, NETC_EINVAL, "no file name to save to");
  s->error[0] = '\0';
  rt_h5 h;
  rt_h5_begin(&h, path);
  char *temporary = reserve_temporary(&h, path);
  hid_t fapl = rt_h5_access_plist(), fcpl = rt_h5_untimed(H5P_FILE_CREATE);
  if (temporary && (fapl < 0 || fcpl < 0 || H5Pset_userblock(fcpl, RT_SEAL_BYTES) < 0))
    rt_h5_fail(&h, NETC_ENOMEM, 1, "cannot set up HDF5");
  if (h.status == NETC_OK) {
    h.file = H5Fcreate(temporary, H5F_ACC_TRUNC, fcpl, fapl);
    if (h.file < 0) rt_h5_fail(&h, NETC_EIO, 1, "cannot create %s", temporary);
  }
  rt_h5_close(fcpl);
  rt_h5_close(fapl);
  write_contents(&h, s);
  if (h.status == NETC_OK && H5Fflush(h.file, H5F_SCOPE_GLOBAL) < 0)
    rt_h5_fail(&h, NETC_EIO, 1, "cannot write %s", temporary);
  if (h.file >= 0 && H5Fclose(h.file) < 0)
    rt_h5_fail(&h, NETC_EIO, 1, "cannot write %s", temporary);
  h.file = -1;
  rt_seal_write(&h, temporary);
  sync_file(&h, temporary);
  if (h.status == NETC_OK && rename(temporary, path) != 0)
    rt_h5_fail(&h, NETC_EIO, 0, "cannot replace it with %s: %s", temporary,
               strerror(errno));
  if (h.status == NETC_OK) sync_folder(path);
  if (h.status != NETC_OK && temporary) unlink(temporary);
  nc_free(temporary);
  netc_status st = rt_h5_end(&h);
  if (st != NETC_OK) rt_fail(s, st, "cannot save %s", h.message);
  return st;
}

netc_status netc_session_save(netc_session *s, const char *path) {
  netc_status st = rt_guard_enter(s);
  if (st != NETC_OK) return st;
  st = session_save(s, path);
  rt_guard_leave(s);
  return st;
}
