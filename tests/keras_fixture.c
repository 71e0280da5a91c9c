/*
** keras_fixture.c: the VGG16 weight files of keras_fixture.h. Datasets are
** written a block of rows at a time, so that the full file's 102,760,448
** fc1 weights never sit in memory at once.
*/
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/keras_fixture.h"

enum { BLOCK = 1 << 20 /* floats written at a time */ };

const keras_vgg_layer keras_vgg16[KERAS_VGG16_LAYERS] = {
    {"input_1", 0, {0}, 0},
    {"block1_conv1", 4, {3, 3, 3, 64}, 0},
    {"block1_conv2", 4, {3, 3, 64, 64}, 0},
    {"block1_pool", 0, {0}, 0},
    {"block2_conv1", 4, {3, 3, 64, 128}, 0},
    {"block2_conv2", 4, {3, 3, 128, 128}, 0},
    {"block2_pool", 0, {0}, 0},
    {"block3_conv1", 4, {3, 3, 128, 256}, 0},
    {"block3_conv2", 4, {3, 3, 256, 256}, 0},
    {"block3_conv3", 4, {3, 3, 256, 256}, 0},
    {"block3_pool", 0, {0}, 0},
    {"block4_conv1", 4, {3, 3, 256, 512}, 0},
    {"block4_conv2", 4, {3, 3, 512, 512}, 0},
    {"block4_conv3", 4, {3, 3, 512, 512}, 0},
    {"block4_pool", 0, {0}, 0},
    {"block5_conv1", 4, {3, 3, 512, 512}, 0},
    {"block5_conv2", 4, {3, 3, 512, 512}, 0},
    {"block5_conv3", 4, {3, 3, 512, 512}, 0},
    {"block5_pool", 0, {0}, 0},
    {"flatten", 0, {0}, 1},
    {"fc1", 2, {25088, 4096}, 1},
    {"fc2", 2, {4096, 4096}, 1},
    {"predictions", 2, {4096, 1000}, 1},
};

static uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* The stream of one tensor: the seed, the layer's name and which weight. */
static uint64_t stream(uint64_t seed, const char *layer, int bias) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (const char *c = layer; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ULL;
  return mix(seed ^ mix(h + (uint64_t)bias));
}

/* The values of one tensor lie in [-limit, limit). */
static float value_in(uint64_t tensor, double limit, int64_t index) {
  double u = (double)(mix(tensor + (uint64_t)index) >> 11) * 0x1p-53; /* [0, 1) */
  return (float)((2 * u - 1) * limit);
}

/* He-uniform kernels (sqrt(6 / fan_in)), so that activations keep their
** scale through the 13 convolutions as with trained weights, the first
** one also dividing by 128 as the caffe-preprocessed pixels go up to about
** 128; biases 100 times smaller. */
static double limit_of(const keras_vgg_layer *l, int bias) {
  int64_t fan_in = 1;
  for (int i = 0; i < l->rank - 1; i++) fan_in *= l->kernel[i];
  double limit = sqrt(6.0 / (double)fan_in) / (l == &keras_vgg16[1] ? 128 : 1);
  return bias ? limit / 100 : limit;
}

float keras_fixture_value(uint64_t seed, const char *layer, int bias, int64_t index) {
  const keras_vgg_layer *l = keras_vgg16;
  while (l < keras_vgg16 + KERAS_VGG16_LAYERS - 1 && strcmp(l->name, layer) != 0) l++;
  return value_in(stream(seed, layer, bias), limit_of(l, bias), index);
}

/* A 1-D attribute of `n` names: fixed-length byte strings as numpy's "S"
** arrays, or variable-length UTF-8 strings. No names: a float64 array of
** no elements (what Keras's np.asarray([]) gives) or a null dataspace. */
static int set_names(hid_t obj, const char *attr_name, const char *const *names, int n,
                     int variable) {
  size_t longest = 1;
  for (int i = 0; i < n; i++)
    if (strlen(names[i]) > longest) longest = strlen(names[i]);
  hsize_t dim = (hsize_t)n;
  hid_t space = n || !variable ? H5Screate_simple(1, &dim, NULL) : H5Screate(H5S_NULL);
  hid_t type = n ? H5Tcopy(H5T_C_S1) : H5Tcopy(H5T_IEEE_F64LE);
  char *fixed = variable ? NULL : calloc((size_t)n + 1, longest);
  int bad = space < 0 || type < 0 || (!variable && !fixed);
  if (!bad && n && variable)
    bad = H5Tset_size(type, H5T_VARIABLE) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0;
  else if (!bad && n)
    bad = H5Tset_size(type, longest) < 0 || H5Tset_strpad(type, H5T_STR_NULLPAD) < 0;
  for (int i = 0; !bad && fixed && i < n; i++)
    memcpy(fixed + (size_t)i * longest, names[i], strlen(names[i]));
  hid_t attr = bad ? -1 : H5Acreate2(obj, attr_name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  const void *data = variable ? (const void *)names : fixed;
  bad = attr < 0 || (n && H5Awrite(attr, type, data) < 0);
  if (attr >= 0) H5Aclose(attr);
  if (type >= 0) H5Tclose(type);
  if (space >= 0) H5Sclose(space);
  free(fixed);
  return bad ? -1 : 0;
}

static int set_text(hid_t obj, const char *name, const char *text) {
  const char *names[] = {text};
  hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR);
  int bad = type < 0 || space < 0 || H5Tset_size(type, H5T_VARIABLE) < 0;
  hid_t attr = bad ? -1 : H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  bad = attr < 0 || H5Awrite(attr, type, names) < 0;
  if (attr >= 0) H5Aclose(attr);
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  return bad ? -1 : 0;
}

/* Writes a float32 dataset at `path` under `group` (groups between made)
** holding the tensor `tensor` of shape dims, a block of rows at a time. */
static int write_tensor(hid_t group, const char *path, int rank, const hsize_t *dims,
                        uint64_t tensor, double limit) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  hid_t space = H5Screate_simple(rank, dims, NULL);
  int bad = lcpl < 0 || space < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0;
  hid_t d = bad ? -1 : H5Dcreate2(group, path, H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT,
                                  H5P_DEFAULT);
  hsize_t row = 1;
  for (int i = 1; i < rank; i++) row *= dims[i];
  hsize_t step = row < BLOCK ? BLOCK / row : 1;
  float *buf = malloc((size_t)(step * row) * sizeof *buf);
  bad = d < 0 || !buf;
  for (hsize_t r = 0; !bad && r < dims[0]; r += step) {
    hsize_t start[4] = {r, 0, 0, 0}, count[4];
    memcpy(count, dims, (size_t)rank * sizeof *count);
    count[0] = dims[0] - r < step ? dims[0] - r : step;
    hsize_t n = count[0] * row;
    for (hsize_t i = 0; i < n; i++) buf[i] = value_in(tensor, limit, (int64_t)(r * row + i));
    hid_t mem = H5Screate_simple(1, &n, NULL);
    bad = mem < 0 || H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
          H5Dwrite(d, H5T_NATIVE_FLOAT, mem, space, H5P_DEFAULT, buf) < 0;
    if (mem >= 0) H5Sclose(mem);
  }
  free(buf);
  if (d >= 0) H5Dclose(d);
  if (space >= 0) H5Sclose(space);
  if (lcpl >= 0) H5Pclose(lcpl);
  return bad ? -1 : 0;
}

/* One layer's group with its weight_names and datasets. */
static int write_layer(hid_t base, const keras_vgg_layer *l, const keras_fixture *f) {
  int keras2 = f->naming == KERAS_KERAS2;
  hid_t g = H5Gcreate2(base, l->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) return -1;
  char kernel[128], bias[128];
  snprintf(kernel, sizeof kernel, keras2 ? "%s/kernel:0" : "%s_W_1:0", l->name);
  snprintf(bias, sizeof bias, keras2 ? "%s/bias:0" : "%s_b_1:0", l->name);
  const char *names[] = {kernel, bias};
  int bad = set_names(g, "weight_names", names, l->rank ? 2 : 0, keras2);
  if (!bad && l->rank) {
    hsize_t dims[4];
    for (int i = 0; i < l->rank; i++) dims[i] = (hsize_t)l->kernel[i];
    if (f->misshape && strcmp(f->misshape, l->name) == 0) dims[l->rank - 1] /= 2;
    bad = write_tensor(g, kernel, l->rank, dims, stream(f->seed, l->name, 0),
                       limit_of(l, 0)) ||
          write_tensor(g, bias, 1, &dims[l->rank - 1], stream(f->seed, l->name, 1),
                       limit_of(l, 1));
  }
  H5Gclose(g);
  return bad ? -1 : 0;
}

int keras_fixture_write(const char *path, const keras_fixture *f) {
  const keras_vgg_layer *layers = f->layers ? f->layers : keras_vgg16;
  int count = f->layers ? f->layer_count : KERAS_VGG16_LAYERS;
  if (count < 0 || count > KERAS_VGG16_LAYERS) {
    fprintf(stderr, "the Keras fixture %s: %d layers\n", path, count);
    return -1;
  }
  const char *names[KERAS_VGG16_LAYERS];
  int n = 0;
  for (int i = 0; i < count; i++)
    if (!(f->notop && layers[i].top) && !(f->omit && strcmp(f->omit, layers[i].name) == 0))
      names[n++] = layers[i].name;
  hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t base = file < 0 ? -1
               : f->model_weights
                   ? H5Gcreate2(file, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                   : H5Oopen(file, "/", H5P_DEFAULT);
  int keras2 = f->naming == KERAS_KERAS2;
  int bad = base < 0 || set_names(base, "layer_names", names, n, keras2) ||
            set_text(base, "backend", "tensorflow") ||
            set_text(base, "keras_version", keras2 ? "2.2.4" : "1.1.0") ||
            (f->model_weights && set_text(file, "model_config", "{\"class_name\": \"Model\"}"));
  for (int i = 0; !bad && i < count; i++) {
    int listed = 0;
    for (int j = 0; j < n; j++) listed |= names[j] == layers[i].name;
    if (listed) bad = write_layer(base, &layers[i], f);
  }
  if (base >= 0) H5Oclose(base);
  if (file >= 0 && H5Fclose(file) < 0) bad = 1;
  if (bad) fprintf(stderr, "cannot write the Keras fixture %s\n", path);
  return bad ? -1 : 0;
}
