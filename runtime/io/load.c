/*
** load.c: netc_session_load. The file is vetted from the outside in, so
** the message says what is wrong at the first level that fails: it cannot
** be opened (EIO); it is empty, not netc's (HDF5 or not), a newer format,
** truncated or changed (the seal, seal.c); its format attributes are wrong
** (EFORMAT). Then the graph is read and checked (ir_codec.c), and the
** weights and state are checked against the graph before a session is made
** to hold them.
*/
#include <stdio.h>
#include <string.h>

#include "runtime/data/dataset.h"
#include "runtime/io/ir_codec.h"
#include "runtime/io/seal.h"
#include "runtime/io/state_codec.h"

/* Opens the file and checks its format marks. */
static void open_model_file(rt_h5 *h) {
  hid_t fapl = rt_h5_access_plist();
  if (fapl < 0) rt_h5_fail(h, NETC_ENOMEM, 1, "cannot set up HDF5");
  if (h->status == NETC_OK) {
    h->file = H5Fopen(h->path, H5F_ACC_RDONLY, fapl);
    if (h->file < 0)
      rt_h5_fail(h, NETC_EFORMAT, 1, "damaged or truncated HDF5 file");
  }
  rt_h5_close(fapl);
  hid_t root = rt_h5_open(h, "/");
  char format[64] = "";
  int marked = root >= 0 ? rt_h5_get_text(h, root, "/", "format", format, sizeof format) : -1;
  if (marked == 0 || (marked == 1 && strcmp(format, RT_FORMAT_NAME) != 0))
    rt_h5_fail(h, NETC_EFORMAT, 0, "an HDF5 file but not a netc model file (%s%s%s)",
               marked ? "its format is '" : "no 'format' attribute",
               marked ? format : "", marked ? "'" : "");
  int64_t version = root >= 0 ? rt_h5_get_int(h, root, "/", "format_version") : 0;
  if (h->status == NETC_OK && version > RT_FORMAT_VERSION)
    rt_h5_fail(h, NETC_EFORMAT, 0, "format version %lld is newer than this netc "
               "reads (%d): upgrade netc", (long long)version, RT_FORMAT_VERSION);
  else if (h->status == NETC_OK && version < 1)
    rt_h5_fail(h, NETC_EFORMAT, 0, "invalid format version %lld", (long long)version);
  rt_h5_close(root);
}

netc_status netc_session_load(const char *path, const netc_session_options *options,
                              netc_model **model_out, netc_session **session_out,
                              netc_error *error) {
  if (session_out) *session_out = NULL;
  if (model_out) *model_out = NULL;
  if (!path || !model_out) return rt_error(error, NETC_EINVAL, "no file or model to load");
  rt_h5 h;
  rt_h5_begin(&h, path);
  rt_h5_check_file(&h, "netc model file");
  rt_seal_check(&h);
  if (h.status == NETC_OK) open_model_file(&h);
  nc_arena *arena = NULL;
  cc_graph *graph = NULL;
  nc_source_table *sources = NULL;
  netc_model *model = h.status == NETC_OK ? cc_model_create(&arena, &graph, &sources) : NULL;
  if (h.status == NETC_OK && !model) rt_h5_fail(&h, NETC_ENOMEM, 0, "out of memory");
  if (h.status == NETC_OK) rt_ir_read(&h, graph, sources);
  netc_session *s = NULL;
  if (h.status == NETC_OK && session_out) {
    netc_session_options o = {0, 0, 0};
    if (options) o = *options;
    rt_state_check(&h, graph, &o.seed);
    netc_status st = h.status == NETC_OK ? netc_session_create(model, &o, &s) : NETC_OK;
    if (st != NETC_OK) rt_h5_fail(&h, st, 0, "cannot make a session: %s", netc_strerror(st));
    if (s) rt_state_read(&h, s);
  }
  netc_status st = rt_h5_end(&h);
  if (st != NETC_OK) {
    netc_session_destroy(s);
    netc_model_destroy(model);
    return rt_error(error, st, "%s", h.message);
  }
  *model_out = model;
  if (session_out) *session_out = s;
  return NETC_OK;
}
