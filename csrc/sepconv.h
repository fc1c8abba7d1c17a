/* sepconv public C API: depthwise-separable 2-D convolution (TF semantics).
 *
 * Every function takes plain pointers, int64_t sizes and one params struct,
 * and returns a status code.  Arrays are C-contiguous in the layout named by
 * params->layout.  Weights are packed once by sepconv_pack_* into a buffer of
 * sepconv_packed_size(params) elements and then reused by every call. */
#ifndef SEPCONV_H
#define SEPCONV_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sepconv_status {
    SEPCONV_OK = 0,
    SEPCONV_EINVAL = 1,     /* inconsistent params */
    SEPCONV_ENOMEM = 2,     /* scratch could not be allocated */
    SEPCONV_EOVERFLOW = 3,  /* a size does not fit in int64_t */
    SEPCONV_EISA = 4        /* requested ISA not available on this CPU/build */
};

enum sepconv_layout { SEPCONV_NHWC = 0, SEPCONV_NCHW = 1 };

/* Built-in activations, applied in the pointwise epilogue (decisions.md rule 24). */
enum sepconv_act {
    SEPCONV_ACT_LINEAR = 0,
    SEPCONV_ACT_RELU,
    SEPCONV_ACT_RELU6,
    SEPCONV_ACT_ELU,
    SEPCONV_ACT_SELU,
    SEPCONV_ACT_GELU,
    SEPCONV_ACT_SIGMOID,
    SEPCONV_ACT_HARD_SIGMOID,
    SEPCONV_ACT_TANH,
    SEPCONV_ACT_SOFTPLUS,
    SEPCONV_ACT_SOFTSIGN,
    SEPCONV_ACT_SWISH,
    SEPCONV_ACT_LEAKY_RELU,
    SEPCONV_ACT_EXPONENTIAL,
    SEPCONV_ACT_COUNT
};

/* Kernel families.  REF is the plain reference every other level is tested
 * against; SCALAR is portable optimised C (auto-vectorised); AVX2 and AVX512
 * use intrinsics compiled with per-function target attributes. */
enum sepconv_isa {
    SEPCONV_ISA_REF = 0,
    SEPCONV_ISA_SCALAR = 1,
    SEPCONV_ISA_AVX2 = 2,
    SEPCONV_ISA_AVX512 = 3,
    SEPCONV_ISA_COUNT
};

typedef struct sepconv_params {
    int64_t n, h, w, c;        /* input batch, height, width, channels */
    int64_t m, f;              /* depth multiplier, filters */
    int64_t kh, kw;            /* kernel size */
    int64_t sh, sw;            /* strides */
    int64_t dh, dw;            /* dilations */
    int64_t pad_top, pad_left; /* TF padding before; the pad after is implied by ho, wo */
    int64_t ho, wo;            /* output size */
    int32_t layout;            /* enum sepconv_layout */
    int32_t act;               /* enum sepconv_act */
    int32_t has_bias;
    int32_t num_threads;       /* >= 1; passed to OpenMP as a clause, never set globally */
    int32_t isa;               /* enum sepconv_isa: the kernel family to use */
    int32_t hints;             /* SEPCONV_HINT_* bits: 0, or forced on (the driver adds its own) */
} sepconv_params;

/* Driver-to-kernel hints (on the driver's copy of the params). */
enum {
    /* the output is too big to stay cached for its next reader: store it with
     * non-temporal stores, sparing the read-for-ownership of every line */
    SEPCONV_HINT_STREAM_OUTPUT = 1
};

/* Checks the params for consistency and int64 overflow. */
int sepconv_check_params(const sepconv_params *p);

/* Length, in elements, of the packed weight buffer for these params. -1 on error. */
int64_t sepconv_packed_size_f32(const sepconv_params *p);
int64_t sepconv_packed_size_f64(const sepconv_params *p);

/* Packs weights.  dw is (kh, kw, c, m), pw is (c*m, f), bias is (f,) or NULL. */
int sepconv_pack_f32(const sepconv_params *p, const float *dw, const float *pw,
                     const float *bias, float *packed);
int sepconv_pack_f64(const sepconv_params *p, const double *dw, const double *pw,
                     const double *bias, double *packed);

/* The fused forward pass: y = act(pointwise(depthwise(x)) + bias). */
int sepconv_forward_f32(const sepconv_params *p, const float *packed, const float *x, float *y);
int sepconv_forward_f64(const sepconv_params *p, const double *packed, const double *x, double *y);

/* Stages alone, for tests and the benchmark's time split.
 * depthwise writes d: (n, ho, wo, c*m) for NHWC, (n, c*m, ho, wo) for NCHW.
 * pointwise reads that d and writes y, with bias and activation. */
int sepconv_depthwise_f32(const sepconv_params *p, const float *packed, const float *x, float *d);
int sepconv_depthwise_f64(const sepconv_params *p, const double *packed, const double *x, double *d);
int sepconv_pointwise_f32(const sepconv_params *p, const float *packed, const float *d, float *y);
int sepconv_pointwise_f64(const sepconv_params *p, const double *packed, const double *d, double *y);

/* Run-time facts. */
int sepconv_best_isa(void);               /* best level this CPU and build support */
int sepconv_isa_supported(int isa);
const char *sepconv_isa_name(int isa);
int sepconv_openmp_enabled(void);
int sepconv_omp_max_threads(void);        /* omp_get_max_threads() of the calling thread */

#ifdef __cplusplus
}
#endif
#endif
