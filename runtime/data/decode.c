/*
** decode.c: JPEG and PNG files into 8-bit RGB. The whole file is read into
** memory first, so a short file is a decoder error rather than a stream
** error. Both libraries report errors by calling a handler that must not
** return (libjpeg's default one calls exit): ours record the message and
** longjmp back to the function that started decoding, which then cleans
** up. Each setjmp sits in a function whose state lives in a caller-owned
** job struct, so no local variable is live across the longjmp.
*/
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "common/nc_alloc.h"
#include "runtime/data/decode.h"

/* Limits that keep a hostile header from asking for gigabytes. */
#define MAX_FILE_BYTES ((long)1 << 30)
#define MAX_PIXELS ((int64_t)1 << 28)

static netc_status fail(char *why, size_t why_size, netc_status status,
                        const char *what, const char *detail) {
  snprintf(why, why_size, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
  return status;
}

/* Allocates the RGB buffer of a w x h image, or says why not. */
static netc_status alloc_pixels(rt_image *image, int64_t w, int64_t h,
                                char *why, size_t why_size) {
  if (w < 1 || h < 1 || w > MAX_PIXELS / h)
    return fail(why, why_size, NETC_EFORMAT, "image too large", NULL);
  image->pixels = nc_malloc((size_t)(w * h * 3));
  if (!image->pixels) return fail(why, why_size, NETC_ENOMEM, "out of memory", NULL);
  image->width = w;
  image->height = h;
  return NETC_OK;
}

/* ------------------------------------------------------------------ JPEG */

typedef struct jpeg_job {
  struct jpeg_decompress_struct cinfo; /* first: zeroed before use */
  struct jpeg_error_mgr err;           /* our handlers over libjpeg's */
  jmp_buf jump;                        /* where errors land */
  char message[JMSG_LENGTH_MAX];       /* libjpeg's text of the error */
  const uint8_t *data;                 /* the file */
  size_t size;                         /* its bytes */
  rt_image *image;                     /* the output */
  uint8_t *row;                        /* one decoded scanline */
} jpeg_job;

static void jpeg_on_error(j_common_ptr cinfo) {
  jpeg_job *job = cinfo->client_data;
  cinfo->err->format_message(cinfo, job->message);
  longjmp(job->jump, 1);
}

/* Warnings: libjpeg decodes a file that ends early, or whose entropy data
** stops at a marker, by padding it with gray, which would train on
** half-gray images; we refuse both (a few hundred bytes announcing a huge
** image also kept the decoder busy for minutes: found by fuzz_image). The
** other warnings (extraneous bytes, bad Huffman codes it recovers from)
** only mark files that photo viewers display fine. */
static void jpeg_on_message(j_common_ptr cinfo, int level) {
  int code = cinfo->err->msg_code;
  if (level < 0 && (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER)) jpeg_on_error(cinfo);
}

static void jpeg_quiet(j_common_ptr cinfo) { (void)cinfo; }

/* One scanline of `comps` components to RGB. CMYK comes from Adobe
** (Photoshop) files with inverted ink values unless `adobe` is 0; RGB is
** (255 - C)(255 - K) / 255 and likewise, as Pillow does. */
static void jpeg_row_to_rgb(const uint8_t *in, int comps, int adobe, int64_t w,
                            uint8_t *out) {
  if (comps == 3) {
    memcpy(out, in, (size_t)w * 3);
    return;
  }
  for (int64_t x = 0; x < w; x++) {
    if (comps == 1) {
      out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = in[x];
      continue;
    }
    const uint8_t *p = in + 4 * x;
    unsigned k = adobe ? p[3] : 255u - p[3];
    for (int i = 0; i < 3; i++) {
      unsigned v = adobe ? p[i] : 255u - p[i];
      out[3 * x + i] = (uint8_t)((v * k + 127) / 255);
    }
  }
}

static netc_status jpeg_run(jpeg_job *job, char *why, size_t why_size) {
  struct jpeg_decompress_struct *c = &job->cinfo;
  if (setjmp(job->jump))
    return fail(why, why_size,
                job->err.msg_code == JERR_OUT_OF_MEMORY ? NETC_ENOMEM : NETC_EFORMAT,
                "invalid JPEG", job->message);
  jpeg_create_decompress(c);
  jpeg_mem_src(c, job->data, (unsigned long)job->size);
  jpeg_read_header(c, TRUE);
  int cmyk = c->jpeg_color_space == JCS_CMYK || c->jpeg_color_space == JCS_YCCK;
  c->out_color_space = cmyk ? JCS_CMYK : c->num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(c);
  int64_t w = c->output_width, h = c->output_height;
  netc_status st = alloc_pixels(job->image, w, h, why, why_size);
  if (st != NETC_OK) return st;
  job->row = nc_malloc((size_t)w * (size_t)c->output_components);
  if (!job->row) return fail(why, why_size, NETC_ENOMEM, "out of memory", NULL);
  while (c->output_scanline < c->output_height) {
    uint8_t *out = job->image->pixels + (size_t)c->output_scanline * (size_t)w * 3;
    JSAMPROW row = job->row;
    jpeg_read_scanlines(c, &row, 1);
    jpeg_row_to_rgb(job->row, c->output_components, c->saw_Adobe_marker, w, out);
  }
  jpeg_finish_decompress(c);
  return NETC_OK;
}

static netc_status decode_jpeg(const uint8_t *data, size_t size, rt_image *image,
                               char *why, size_t why_size) {
  jpeg_job job;
  memset(&job, 0, sizeof job);
  job.data = data;
  job.size = size;
  job.image = image;
  job.cinfo.err = jpeg_std_error(&job.err);
  job.err.error_exit = jpeg_on_error;
  job.err.emit_message = jpeg_on_message;
  job.err.output_message = jpeg_quiet;
  job.cinfo.client_data = &job;
  netc_status st = jpeg_run(&job, why, why_size);
  jpeg_destroy_decompress(&job.cinfo);
  nc_free(job.row);
  return st;
}

/* ------------------------------------------------------------------- PNG */

typedef struct png_job {
  png_structp png;      /* libpng's reader */
  png_infop info;       /* the header it read */
  const uint8_t *data;  /* the file */
  size_t size, pos;     /* its bytes, bytes consumed */
  rt_image *image;      /* the output */
  png_bytep *rows;      /* row pointers into image->pixels */
  char message[128];    /* libpng's text of the error */
} png_job;

static void png_on_error(png_structp png, png_const_charp message) {
  png_job *job = png_get_error_ptr(png);
  snprintf(job->message, sizeof job->message, "%s", message);
  png_longjmp(png, 1);
}

static void png_quiet(png_structp png, png_const_charp message) {
  (void)png;
  (void)message;
}

static void png_read_memory(png_structp png, png_bytep out, size_t n) {
  png_job *job = png_get_io_ptr(png);
  if (n > job->size - job->pos) png_error(png, "truncated file");
  memcpy(out, job->data + job->pos, n);
  job->pos += n;
}

static netc_status png_run(png_job *job, char *why, size_t why_size) {
  png_structp png = job->png;
  if (setjmp(png_jmpbuf(png)))
    return fail(why, why_size, NETC_EFORMAT, "invalid PNG", job->message);
  png_set_read_fn(png, job, png_read_memory);
  png_read_info(png, job->info);
  /* Whatever the layout, ask libpng for 8-bit RGB: palettes and small
  ** gray depths expanded, 16 bits cut to the high byte (as Pillow),
  ** alpha and tRNS transparency dropped, gray replicated. */
  png_set_expand(png);
  png_set_strip_16(png);
  png_set_strip_alpha(png);
  png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, job->info);
  if (png_get_channels(png, job->info) != 3 || png_get_bit_depth(png, job->info) != 8)
    png_error(png, "unsupported layout");
  int64_t w = png_get_image_width(png, job->info), h = png_get_image_height(png, job->info);
  netc_status st = alloc_pixels(job->image, w, h, why, why_size);
  if (st != NETC_OK) return st;
  job->rows = nc_malloc((size_t)h * sizeof *job->rows);
  if (!job->rows) return fail(why, why_size, NETC_ENOMEM, "out of memory", NULL);
  for (int64_t y = 0; y < h; y++) job->rows[y] = job->image->pixels + (size_t)(y * w * 3);
  png_read_image(png, job->rows);
  return NETC_OK;
}

static netc_status decode_png(const uint8_t *data, size_t size, rt_image *image,
                              char *why, size_t why_size) {
  png_job job;
  memset(&job, 0, sizeof job);
  job.data = data;
  job.size = size;
  job.image = image;
  job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, png_on_error, png_quiet);
  if (job.png) job.info = png_create_info_struct(job.png);
  netc_status st = job.info ? png_run(&job, why, why_size)
                            : fail(why, why_size, NETC_ENOMEM, "out of memory", NULL);
  png_destroy_read_struct(job.png ? &job.png : NULL, job.info ? &job.info : NULL, NULL);
  nc_free(job.rows);
  return st;
}

/* ------------------------------------------------------------------ files */

static netc_status read_file(const char *path, uint8_t **data, size_t *size,
                             char *why, size_t why_size) {
  errno = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return fail(why, why_size, NETC_EIO, "cannot open", strerror(errno ? errno : EIO));
  netc_status st = NETC_OK;
  long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
    st = fail(why, why_size, NETC_EIO, "cannot read", strerror(errno ? errno : EIO));
  } else if (n == 0) {
    st = fail(why, why_size, NETC_EFORMAT, "empty file", NULL);
  } else if (n > MAX_FILE_BYTES) {
    st = fail(why, why_size, NETC_EFORMAT, "file too large", NULL);
  } else if (!(*data = nc_malloc((size_t)n))) {
    st = fail(why, why_size, NETC_ENOMEM, "out of memory", NULL);
  } else if (fread(*data, 1, (size_t)n, f) != (size_t)n) {
    st = fail(why, why_size, NETC_EIO, "cannot read", strerror(errno ? errno : EIO));
    nc_free(*data);
    *data = NULL;
  } else {
    *size = (size_t)n;
  }
  fclose(f);
  return st;
}

netc_status rt_decode_image(const char *path, rt_image *image, char *why,
                            size_t why_size) {
  static const uint8_t jpeg_magic[3] = {0xff, 0xd8, 0xff};
  static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  memset(image, 0, sizeof *image);
  uint8_t *data = NULL;
  size_t size = 0;
  netc_status st = read_file(path, &data, &size, why, why_size);
  if (st != NETC_OK) return st;
  if (size >= sizeof jpeg_magic && memcmp(data, jpeg_magic, sizeof jpeg_magic) == 0)
    st = decode_jpeg(data, size, image, why, why_size);
  else if (size >= sizeof png_magic && memcmp(data, png_magic, sizeof png_magic) == 0)
    st = decode_png(data, size, image, why, why_size);
  else
    st = fail(why, why_size, NETC_EFORMAT, "not a JPEG or PNG file", NULL);
  nc_free(data);
  if (st != NETC_OK) {
    nc_free(image->pixels);
    memset(image, 0, sizeof *image);
  }
  return st;
}
