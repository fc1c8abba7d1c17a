/* Internal contract between the driver (fused.c) and the kernel families.
 *
 * A depthwise family computes whole output rows of one image into a tile
 * buffer d; a pointwise family turns npix pixels of such a tile into output
 * channels [f0, f1), applying bias and activation in its epilogue.
 *
 * Tile layouts (ldd is the tile's leading dimension):
 *   NHWC: d[pix * ldd + q]   and  y[pix * ldy + j]
 *   NCHW: d[q * ldd + pix]   and  y[j * ldy + pix]
 * where pix = (oh - oh0) * wo + ow counts pixels from the tile's first row,
 * q = c * m + mm is the depthwise output channel, and j the output channel.
 *
 * Every kernel must compute each output element with an arithmetic order that
 * depends only on the params, never on the tile bounds, so that results are
 * bitwise identical for any tiling and any thread count. */
#ifndef SEPCONV_KERNELS_H
#define SEPCONV_KERNELS_H

#include <stddef.h>
#include "sepconv.h"

/* Memory the caller reads next (the next fused tile's input rows): a
 * pointwise kernel may fetch it toward L2, a line per k of its micro-kernel
 * calls, so that it arrives while the FMAs run instead of stalling the
 * depthwise that reads it.  The kernel advances it past what it fetched.
 * Only a hint: a kernel may ignore it, and results never depend on it. */
typedef struct sepconv_ahead {
    const char *p;      /* the current segment */
    int64_t lines;      /* 64-byte lines left, over all segments */
    int64_t seg_lines;  /* lines per segment (NCHW: one per channel plane) */
    int64_t seg_stride; /* bytes from one segment to the next */
    int64_t pos;        /* lines already taken from the current segment */
} sepconv_ahead;

/* Lines per call when *ah (NULL: none) is spread evenly over calls > 0
 * micro-kernel calls. */
static inline int64_t sepconv_ahead_per_call(const sepconv_ahead *ah, int64_t calls) {
    return ah ? (ah->lines + calls - 1) / calls : 0;
}

/* The next (at most) n lines of *ah, all in one segment, for one micro-kernel
 * call that can fetch at most max lines (a line per step of k, or several:
 * SEPCONV_AHEAD_PER_STEP); *pf gets their start.  Returns their count, 0
 * when nothing is left. */
static inline int64_t sepconv_ahead_take(sepconv_ahead *ah, int64_t n, int64_t max, const char **pf) {
    if (n > max) n = max;
    if (!ah || ah->lines <= 0 || n <= 0) return 0;
    if (n > ah->lines) n = ah->lines;
    if (n > ah->seg_lines - ah->pos) n = ah->seg_lines - ah->pos;
    *pf = ah->p + 64 * ah->pos;
#if defined(__SANITIZE_ADDRESS__)
    /* prefetches are not checked: under ASan, read the first and the last
     * address handed out, so that a range outside the caller's buffer shows */
    {
        volatile char first = (*pf)[0], last = (*pf)[64 * (n - 1)];
        (void)first;
        (void)last;
    }
#endif
    ah->lines -= n;
    ah->pos += n;
    if (ah->pos == ah->seg_lines) {
        ah->p += ah->seg_stride;
        ah->pos = 0;
    }
    return n;
}

/* Lines a micro-kernel step fetches at most in the kernels' several-lines
 * variant, for a caller's next input bigger than a line per step (a small F
 * over a big input: mbv2_144, 144 -> 24 channels at stride 2, fetched a line
 * per step only 2,600 of the next tile's 9,000 lines, and its depthwise then
 * waited on memory; with four, b16 fused 2.4-2.7 -> 1.9-2.0 ms on 1 thread).  A
 * variant of its own: the per-step tests cost 2.5 % in the one-line one. */
#define SEPCONV_AHEAD_PER_STEP 4

#define SEPCONV_DEFINE_KERNEL_TYPES(T, SFX)                                          \
    typedef struct sepconv_dw_kernels_##SFX {                                        \
        /* elements of the packed taps, given the raw (kh, kw, c, m) weights */      \
        int64_t (*packed_size)(const sepconv_params *p);                             \
        void (*pack)(const sepconv_params *p, const T *dw, T *taps);                 \
        /* output rows [oh0, oh1) of the image x (one image, in p->layout) */        \
        int (*rows)(const sepconv_params *p, const T *taps, const T *x,              \
                    int64_t oh0, int64_t oh1, T *d, int64_t ldd);                    \
    } sepconv_dw_kernels_##SFX;                                                      \
    typedef struct sepconv_pw_kernels_##SFX {                                        \
        int64_t (*packed_size)(const sepconv_params *p);                             \
        /* pw is (c*m, f) row-major; bias is (f,) or NULL */                         \
        void (*pack)(const sepconv_params *p, const T *pw, const T *bias, T *wp);    \
        /* ahead: NULL, or memory to fetch while the tile runs (see above) */        \
        void (*tile)(const sepconv_params *p, const T *wp, const T *d, int64_t ldd,  \
                     int64_t npix, int64_t f0, int64_t f1, T *y, int64_t ldy,        \
                     sepconv_ahead *ahead);                                          \
        int64_t f_block; /* f0 and f1 (unless f1 == f) are multiples of this */      \
    } sepconv_pw_kernels_##SFX;

SEPCONV_DEFINE_KERNEL_TYPES(float, f32)
SEPCONV_DEFINE_KERNEL_TYPES(double, f64)

/* One family per file; a family that is not built for this CPU architecture
 * aliases the scalar one (see dispatch.c). */
extern const sepconv_dw_kernels_f32 sepconv_dw_ref_f32, sepconv_dw_scalar_f32,
    sepconv_dw_avx2_f32, sepconv_dw_avx512_f32;
extern const sepconv_dw_kernels_f64 sepconv_dw_ref_f64, sepconv_dw_scalar_f64,
    sepconv_dw_avx2_f64, sepconv_dw_avx512_f64;
extern const sepconv_pw_kernels_f32 sepconv_pw_ref_f32, sepconv_pw_scalar_f32,
    sepconv_pw_avx2_f32, sepconv_pw_avx512_f32;
extern const sepconv_pw_kernels_f64 sepconv_pw_ref_f64, sepconv_pw_scalar_f64,
    sepconv_pw_avx512_f64;

/* Kernel tables for p->isa (NULL if that level is unavailable). */
const sepconv_dw_kernels_f32 *sepconv_dw_table_f32(int isa);
const sepconv_pw_kernels_f32 *sepconv_pw_table_f32(int isa);
const sepconv_dw_kernels_f64 *sepconv_dw_table_f64(int isa);
const sepconv_pw_kernels_f64 *sepconv_pw_table_f64(int isa);

/* Thread-local scratch, 64-byte aligned, grown on demand and reused across
 * calls; freed when the thread exits.  Slot 0 belongs to the driver (the
 * fused intermediate), slot 1 to kernels.  NULL when memory cannot be had. */
enum { SEPCONV_SCRATCH_DRIVER = 0, SEPCONV_SCRATCH_KERNEL = 1, SEPCONV_SCRATCH_SLOTS = 2 };
void *sepconv_scratch(int slot, size_t bytes);

/* Rounds n up to a multiple of a (a > 0). */
static inline int64_t sepconv_round_up(int64_t n, int64_t a) { return (n + a - 1) / a * a; }

/* Valid tap range [*lo, *hi) along one axis for output position o: the taps
 * a with 0 <= o*s + a*d - pad < n.  Shared by every depthwise family. */
static inline void sepconv_tap_range(int64_t o, int64_t s, int64_t k, int64_t d, int64_t pad,
                                     int64_t n, int64_t *lo, int64_t *hi) {
    const int64_t i0 = o * s - pad; /* input index of tap 0 */
    int64_t a = 0, b = k;
    if (i0 < 0) a = (-i0 + d - 1) / d;
    if (i0 + (k - 1) * d > n - 1) b = i0 > n - 1 ? 0 : (n - 1 - i0) / d + 1;
    if (a > b) a = b;
    *lo = a;
    *hi = b;
}

#endif
