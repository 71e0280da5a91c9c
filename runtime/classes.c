/*
** classes.c: the class names of a model trained on an image folder, and
** the factor its 0..255 pixels were multiplied by. The session keeps them
** and its file stores them (/classes, state_codec.c) so that whoever loads
** the model later can feed images the same way and name its predictions.
** A model not trained yet says by its graph which factor it expects.
*/
#include <math.h>
#include <string.h>

#include "common/nc_alloc.h"
#include "runtime/session.h"

void rt_classes_free(netc_session *s) {
  for (int i = 0; i < s->n_classes; i++) nc_free(s->class_names[i]);
  nc_free(s->class_names);
  s->class_names = NULL;
  s->n_classes = 0;
  s->pixel_scale = 1.0;
}

netc_status netc_session_set_classes(netc_session *s, const char *const *names, int count,
                                     double pixel_scale) {
  if (!s) return NETC_EINVAL;
  if (count < 0 || (count > 0 && !names))
    return rt_fail(s, NETC_EINVAL, "invalid class names (%d)", count);
  if (!isfinite(pixel_scale) || pixel_scale <= 0)
    return rt_fail(s, NETC_EINVAL, "the pixel scale %g is not a positive number", pixel_scale);
  for (int i = 0; i < count; i++)
    if (!names[i] || !*names[i])
      return rt_fail(s, NETC_EINVAL, "class %d has no name", i);
  char **copy = count ? nc_calloc((size_t)count, sizeof *copy) : NULL;
  int failed = count && !copy;
  for (int i = 0; !failed && i < count; i++) failed = !(copy[i] = nc_strdup(names[i]));
  if (failed) {
    for (int i = 0; copy && i < count; i++) nc_free(copy[i]);
    nc_free(copy);
    return rt_fail(s, NETC_ENOMEM, "out of memory for %d class names", count);
  }
  rt_classes_free(s);
  s->class_names = copy;
  s->n_classes = count;
  s->pixel_scale = pixel_scale;
  return NETC_OK;
}

int netc_session_class_count(const netc_session *s) { return s ? s->n_classes : 0; }

const char *netc_session_class_name(const netc_session *s, int label) {
  return s && label >= 0 && label < s->n_classes ? s->class_names[label] : NULL;
}

double netc_session_pixel_scale(const netc_session *s) { return s ? s->pixel_scale : 1.0; }

netc_status netc_model_pixel_scale(const netc_model *model, const char *input,
                                   double *scale) {
  if (!model || !scale) return NETC_EINVAL;
  const cc_graph *g = cc_model_graph(model);
  int node = -1;
  for (int i = 0; node < 0 && i < g->n_inputs; i++)
    if (!input || strcmp(g->inputs[i].name, input) == 0) node = g->inputs[i].node;
  if (node < 0) return NETC_ENOTFOUND;
  int raw = 0;
  for (int i = node + 1; !raw && i < g->n_nodes; i++)
    raw = g->nodes[i].op == CC_OP_CAFFE_PREPROCESS && g->nodes[i].inputs[0] == node;
  *scale = raw ? 1.0 : 1.0 / 255.0;
  return NETC_OK;
}
