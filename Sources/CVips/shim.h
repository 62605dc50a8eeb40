#ifndef HARNESS_CVIPS_SHIM_H
#define HARNESS_CVIPS_SHIM_H
// libvips' operations take optional arguments as C varargs, which Swift cannot pass; each
// wrapper here fixes the optional arguments harness uses and ends the list.
#include <vips/vips.h>

/// Starts libvips once per process: one thread per image (harness decodes many small images
/// side by side), no operation cache (every image is seen once), and no run-time generated SIMD
/// code: liborc compiling kernels for two images at once crashes (seen with libvips 8.14 and
/// orc 0.4.33); libvips' C paths are used instead.
static inline int harness_vips_start(void) {
    if (VIPS_INIT("harness")) return -1;
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    vips_vector_set_enabled(0);
    return 0;
}

/// Opens an image file lazily: its header now, its pixels only when read.
static inline VipsImage *harness_vips_open(const char *path) { return vips_image_new_from_file(path, NULL); }
/// Opens an image from its bytes lazily, picking the loader from the first bytes.
static inline VipsImage *harness_vips_new_from_buffer(const void *bytes, size_t length) {
    return vips_image_new_from_buffer(bytes, length, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
}
/// A JPEG decoded at 1/shrink of its size (shrink 2, 4 or 8), by the decoder's own DCT scaling.
static inline int harness_vips_jpegload_buffer(const void *bytes, size_t length, VipsImage **out, int shrink) {
    return vips_jpegload_buffer((void *) bytes, length, out, "shrink", shrink, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
}
static inline int harness_vips_autorot(VipsImage *in, VipsImage **out) { return vips_autorot(in, out, NULL); }
static inline int harness_vips_colourspace(VipsImage *in, VipsImage **out, VipsInterpretation space) {
    return vips_colourspace(in, out, space, NULL);
}
static inline int harness_vips_flatten(VipsImage *in, VipsImage **out) { return vips_flatten(in, out, NULL); }
static inline int harness_vips_linear1(VipsImage *in, VipsImage **out, double a, double b) { return vips_linear1(in, out, a, b, NULL); }
static inline int harness_vips_cast_uchar(VipsImage *in, VipsImage **out) { return vips_cast_uchar(in, out, NULL); }
/// Bilinear resize by separate horizontal and vertical factors.
static inline int harness_vips_resize(VipsImage *in, VipsImage **out, double hscale, double vscale) {
    return vips_resize(in, out, hscale, "vscale", vscale, "kernel", VIPS_KERNEL_LINEAR, NULL);
}
/// Bilinear reduction by separate factors (each at least 1), one operation: cheaper per image
/// than vips_resize's chain when the factor is small.
static inline int harness_vips_reduce(VipsImage *in, VipsImage **out, double hshrink, double vshrink) {
    return vips_reduce(in, out, hshrink, vshrink, "kernel", VIPS_KERNEL_LINEAR, NULL);
}
/// Rotation about the centre by any angle; the output is enlarged to hold the whole image.
static inline int harness_vips_rotate(VipsImage *in, VipsImage **out, double degrees) { return vips_rotate(in, out, degrees, NULL); }
static inline int harness_vips_rot(VipsImage *in, VipsImage **out, VipsAngle angle) { return vips_rot(in, out, angle, NULL); }
static inline int harness_vips_crop(VipsImage *in, VipsImage **out, int left, int top, int width, int height) {
    return vips_crop(in, out, left, top, width, height, NULL);
}
/// Places the image at (x, y) in a width x height canvas, repeating edge pixels outwards.
static inline int harness_vips_embed(VipsImage *in, VipsImage **out, int x, int y, int width, int height) {
    return vips_embed(in, out, x, y, width, height, "extend", VIPS_EXTEND_COPY, NULL);
}
static inline int harness_vips_gaussblur(VipsImage *in, VipsImage **out, double sigma) { return vips_gaussblur(in, out, sigma, NULL); }
static inline int harness_vips_write_file(VipsImage *in, const char *path) { return vips_image_write_to_file(in, path, NULL); }
static inline void harness_vips_unref(VipsImage *image) { if (image) g_object_unref(image); }
#endif
