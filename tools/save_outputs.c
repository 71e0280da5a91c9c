/*
** save_outputs.c: fetched tensors to an HDF5 file (see save_outputs.h),
** through the HDF5 C API with its error printing off: a failure becomes
** one `netc: cannot write ...` line.
*/
#include "save_outputs.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_FETCHES = 16, NAME_BYTES = 256 };

/* One fetched tensor over all inputs. */
typedef struct fetched {
  char name[NAME_BYTES];        /* the node, and the dataset's name */
  int rank;                     /* of the dataset: rows, then the dims */
  hsize_t dims[NETC_MAX_RANK + 1];
  int64_t per_row;              /* floats per input */
  float *data;                  /* rows * per_row floats */
} fetched;

/* Splits "a,b" into out[]; the count, or -1 after printing why. */
static int parse_names(const char *list, fetched *out) {
  int n = 0;
  for (const char *p = list;; n++) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (len == 0 || len >= NAME_BYTES || n == MAX_FETCHES) {
      fprintf(stderr, "netc: --fetch takes up to %d node names separated by commas, "
                      "got '%s'\n", MAX_FETCHES, list);
      return -1;
    }
    memset(&out[n], 0, sizeof out[n]);
    memcpy(out[n].name, p, len);
    if (!comma) return n + 1;
    p = comma + 1;
  }
}

/* Takes the shape of the first row's result: [rows, dims without the
** batch dim of 1]. 0, or -1 after printing why. */
static int shape_from(fetched *f, const netc_tensor *t, int64_t rows) {
  if (t->dtype != NETC_F32) {
    fprintf(stderr, "netc: --fetch %s: it is %s; only f32 tensors are saved\n", f->name,
            netc_dtype_name(t->dtype));
    return -1;
  }
  int skip = t->rank > 0 && t->dims[0] == 1;
  f->rank = 1;
  f->dims[0] = (hsize_t)rows;
  for (int d = skip; d < t->rank; d++) f->dims[f->rank++] = (hsize_t)t->dims[d];
  f->per_row = netc_tensor_elements(t);
  f->data = malloc((size_t)(rows * f->per_row) * sizeof *f->data);
  if (f->data) return 0;
  fprintf(stderr, "netc: out of memory for --fetch %s\n", f->name);
  return -1;
}

/* Writes every dataset; 0, or -1 after printing why. */
static int write_file(const char *path, const fetched *f, int n) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  int failed = file < 0 || lcpl < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0;
  for (int i = 0; !failed && i < n; i++) {
    hid_t space = H5Screate_simple(f[i].rank, f[i].dims, NULL);
    hid_t set = space < 0 ? -1 : H5Dcreate2(file, f[i].name, H5T_IEEE_F32LE, space, lcpl,
                                            H5P_DEFAULT, H5P_DEFAULT);
    failed = set < 0 || H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                 f[i].data) < 0;
    if (set >= 0) H5Dclose(set);
    if (space >= 0) H5Sclose(space);
  }
  if (lcpl >= 0) H5Pclose(lcpl);
  if (file >= 0 && H5Fclose(file) < 0) failed = 1;
  if (failed) fprintf(stderr, "netc: cannot write %s (HDF5 failed)\n", path);
  return failed ? -1 : 0;
}

int save_outputs(netc_session *s, const netc_dataset *feed, const char *fetch,
                 const char *path) {
  fetched f[MAX_FETCHES];
  netc_tensor images;
  int n = parse_names(fetch, f);
  if (n < 0 || netc_dataset_column(feed, "image", &images) != NETC_OK) return EXIT_FAILURE;
  const char *names[MAX_FETCHES];
  for (int i = 0; i < n; i++) names[i] = f[i].name;
  int64_t rows = images.dims[0], per_image = netc_tensor_elements(&images) / rows;
  int failed = 0, ready = 0;
  for (int64_t r = 0; r < rows && !failed; r++) {
    netc_feed one = {"image", images};
    one.tensor.dims[0] = 1;
    one.tensor.data = (float *)images.data + r * per_image;
    netc_tensor results[MAX_FETCHES];
    netc_status st = netc_session_run(s, "predict", &one, 1, names, n, results);
    if (st != NETC_OK) {
      fprintf(stderr, "netc: %s\n", netc_session_error(s));
      failed = 1;
    }
    for (int i = 0; !failed && i < n; i++) {
      failed = r == 0 && shape_from(&f[i], &results[i], rows) != 0;
      ready += !failed && r == 0;
      if (!failed)
        memcpy(f[i].data + r * f[i].per_row, results[i].data,
               (size_t)f[i].per_row * sizeof *f[i].data);
    }
  }
  if (!failed) failed = write_file(path, f, n) != 0;
  for (int i = 0; i < ready; i++) free(f[i].data);
  if (failed) return EXIT_FAILURE;
  printf("wrote %s:", path);
  for (int i = 0; i < n; i++) {
    printf(" %s (", f[i].name);
    for (int d = 0; d < f[i].rank; d++)
      printf("%s%llu", d ? ", " : "", (unsigned long long)f[i].dims[d]);
    printf(")%s", i + 1 < n ? "," : "\n");
  }
  return EXIT_SUCCESS;
}
