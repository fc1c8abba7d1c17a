/* Params validation: the C side never trusts its caller with sizes. */
#include "kernels.h"

static int mul_ok(int64_t a, int64_t b, int64_t *out) { return !__builtin_mul_overflow(a, b, out); }

int sepconv_check_params(const sepconv_params *p) {
    if (!p) return SEPCONV_EINVAL;
    if (p->n < 0 || p->h < 1 || p->w < 1 || p->c < 1 || p->m < 1 || p->f < 1 || p->kh < 1 ||
        p->kw < 1 || p->sh < 1 || p->sw < 1 || p->dh < 1 || p->dw < 1 || p->pad_top < 0 ||
        p->pad_left < 0 || p->ho < 1 || p->wo < 1)
        return SEPCONV_EINVAL;
    if (p->layout != SEPCONV_NHWC && p->layout != SEPCONV_NCHW) return SEPCONV_EINVAL;
    if (p->act < 0 || p->act >= SEPCONV_ACT_COUNT) return SEPCONV_EINVAL;
    if (p->isa < 0 || p->isa >= SEPCONV_ISA_COUNT) return SEPCONV_EINVAL;
    if (p->hints & ~SEPCONV_HINT_STREAM_OUTPUT) return SEPCONV_EINVAL;
    if (!sepconv_isa_supported(p->isa)) return SEPCONV_EISA;
    int64_t t, cm, hw, ohw;
    /* every element count and every index expression the kernels form */
    if (!mul_ok(p->c, p->m, &cm) || !mul_ok(cm, p->f, &t) || !mul_ok(t, 2, &t)) return SEPCONV_EOVERFLOW;
    if (!mul_ok(p->kh, p->kw, &t) || !mul_ok(t, cm, &t) || !mul_ok(t, 2, &t)) return SEPCONV_EOVERFLOW;
    if (!mul_ok(p->h, p->w, &hw) || !mul_ok(hw, p->c, &t) || !mul_ok(t, p->n, &t)) return SEPCONV_EOVERFLOW;
    if (!mul_ok(p->ho, p->wo, &ohw) || !mul_ok(ohw, cm, &t) || !mul_ok(t, p->n, &t) ||
        !mul_ok(t, 8, &t))
        return SEPCONV_EOVERFLOW;
    if (!mul_ok(ohw, p->f, &t) || !mul_ok(t, p->n, &t) || !mul_ok(t, 8, &t)) return SEPCONV_EOVERFLOW;
    int64_t a, b;
    if (!mul_ok(p->ho, p->sh, &a) || !mul_ok(p->kh, p->dh, &b) || __builtin_add_overflow(a, b, &a) ||
        __builtin_add_overflow(a, p->pad_top, &a))
        return SEPCONV_EOVERFLOW;
    if (!mul_ok(p->wo, p->sw, &a) || !mul_ok(p->kw, p->dw, &b) || __builtin_add_overflow(a, b, &a) ||
        __builtin_add_overflow(a, p->pad_left, &a))
        return SEPCONV_EOVERFLOW;
    return SEPCONV_OK;
}
