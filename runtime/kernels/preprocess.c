/*
** preprocess.c: input preprocessing on images. Keras "caffe" mode
** (keras.applications.imagenet_utils.preprocess_input, VGG16 and ResNet50):
** RGB to BGR, then the ImageNet mean of each BGR channel subtracted, no
** scaling.
*/
#include "runtime/kernels/kernels.h"

/* y[pixels, 3] (BGR) from x[pixels, 3] (RGB, 0..255); y may be x. */
void rt_caffe_preprocess(int64_t pixels, const float *x, float *y) {
  static const float mean_bgr[3] = {103.939f, 116.779f, 123.68f};
  for (int64_t p = 0; p < pixels; p++) {
    float r = x[3 * p], g = x[3 * p + 1], b = x[3 * p + 2];
    y[3 * p] = b - mean_bgr[0];
    y[3 * p + 1] = g - mean_bgr[1];
    y[3 * p + 2] = r - mean_bgr[2];
  }
}
