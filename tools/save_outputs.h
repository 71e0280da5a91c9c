/*
** save_outputs.h: `netc predict --fetch NAME[,NAME] --save-outputs OUT.h5`:
** any named tensors of a model, computed for each input, written to an
** HDF5 file that h5py or numpy can compare with other tools' results.
*/
#ifndef NETC_TOOLS_SAVE_OUTPUTS_H
#define NETC_TOOLS_SAVE_OUTPUTS_H

#include "netc.h"

/* Runs "predict" on each row of `feed` (its column "image") alone, fetching
** the nodes named in the comma-separated list `fetch` (outputs or any node,
** e.g. block5_pool or logits), and writes each as a float32 dataset named
** after it to `path`: one row per input in order, then the tensor's dims
** without its batch dim (NHWC, row-major). The exit status, after printing
** why on failure. */
int save_outputs(netc_session *s, const netc_dataset *feed, const char *fetch,
                 const char *path);

#endif /* NETC_TOOLS_SAVE_OUTPUTS_H */
