/* Bias-free activation functions of decisions.md rule 24, scalar form.
 * SIMD kernels vectorise linear/relu/relu6 themselves and call
 * sepconv_act_apply_* on the just-stored, cache-hot tile for the rest.
 * NaN propagates through every activation, relu and relu6 included. */
#ifndef SEPCONV_EPILOGUE_H
#define SEPCONV_EPILOGUE_H

#include <math.h>
#include <stdint.h>
#include "sepconv.h"

#define SEPCONV_DEFINE_ACT(T, SFX, EXP, LOG1P, ERF, TANH, FABS)                       \
    static inline T sepconv_act_##SFX(int act, T x) {                                 \
        switch (act) {                                                                \
        case SEPCONV_ACT_RELU: return x < (T)0 ? (T)0 : x;                            \
        case SEPCONV_ACT_RELU6: return x < (T)0 ? (T)0 : (x > (T)6 ? (T)6 : x);       \
        case SEPCONV_ACT_ELU: return x > (T)0 ? x : (x != x ? x : EXP(x) - (T)1);     \
        case SEPCONV_ACT_SELU: {                                                      \
            const T alpha = (T)1.6732632423543772848170429916717;                     \
            const T scale = (T)1.0507009873554804934193349852946;                     \
            return x > (T)0 ? scale * x : (x != x ? x : scale * alpha * (EXP(x) - (T)1)); \
        }                                                                             \
        case SEPCONV_ACT_GELU:                                                        \
            return x * (T)0.5 * ((T)1 + ERF(x * (T)0.70710678118654752440084436210485)); \
        case SEPCONV_ACT_SIGMOID:                                                     \
            return x >= (T)0 ? (T)1 / ((T)1 + EXP(-x)) : EXP(x) / ((T)1 + EXP(x));    \
        case SEPCONV_ACT_HARD_SIGMOID: {                                              \
            T v = (T)0.2 * x + (T)0.5;                                                \
            return v < (T)0 ? (T)0 : (v > (T)1 ? (T)1 : v);                           \
        }                                                                             \
        case SEPCONV_ACT_TANH: return TANH(x);                                        \
        case SEPCONV_ACT_SOFTPLUS: /* log(1 + e^x) without overflow */                \
            return x > (T)0 ? x + LOG1P(EXP(-x)) : LOG1P(EXP(x));                     \
        case SEPCONV_ACT_SOFTSIGN: return x / ((T)1 + FABS(x));                       \
        case SEPCONV_ACT_SWISH: {                                                     \
            T s = x >= (T)0 ? (T)1 / ((T)1 + EXP(-x)) : EXP(x) / ((T)1 + EXP(x));     \
            return x * s;                                                             \
        }                                                                             \
        case SEPCONV_ACT_LEAKY_RELU: return x < (T)0 ? (T)0.2 * x : x;                \
        case SEPCONV_ACT_EXPONENTIAL: return EXP(x);                                  \
        default: return x;                                                            \
        }                                                                             \
    }                                                                                 \
    /* Applies act to n elements spaced by stride. */                                 \
    static inline void sepconv_act_apply_##SFX(int act, T *y, int64_t n, int64_t stride) { \
        if (act == SEPCONV_ACT_LINEAR) return;                                        \
        for (int64_t i = 0; i < n; i++) y[i * stride] = sepconv_act_##SFX(act, y[i * stride]); \
    }

SEPCONV_DEFINE_ACT(float, f32, expf, log1pf, erff, tanhf, fabsf)
SEPCONV_DEFINE_ACT(double, f64, exp, log1p, erf, tanh, fabs)

#endif
