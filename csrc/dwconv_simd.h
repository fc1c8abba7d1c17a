/* SIMD depthwise family body, included by dwconv_avx2.c, dwconv_avx512.c
 * and dwconv_avx512_f64.c after they define the vector vocabulary:
 *
 *   ET                    element type (float or double)
 *   TGT                   function attribute selecting the instruction set
 *   FAM(name)             name with the family suffix
 *   VL                    lanes per vector
 *   vec, vmask, ivec      ET vector, lane mask, lane index vector
 *   V_ZERO() V_SET1(s) V_LOAD(p) V_STORE(p, v) V_FMA(a, b, c)
 *   V_STREAM(p, v) V_SFENCE()             non-temporal store (p aligned to the vector), fence
 *   V_LOADM(p, m) V_STOREM(p, m, v)       masked (disabled lanes: read as 0, not written)
 *   M_FIRST(n)            mask of the first min(n, VL) lanes
 *   M_ANDNOT(a, b)        lanes in b and not in a
 *   V_FMAM(a, b, c, m)    a * b + c in the lanes of m, c elsewhere
 *   I_LOAD(p)             VL int32 from memory, as lane indices
 *   V_PERM(idx, v)        v[idx[l]] in lane l
 *   V_EVEN(lo, hi)        the even lanes of the 2*VL-lane vector lo:hi
 *   V_GATHERM(p, idx, m)  p[idx[l]] in the enabled lanes, 0 elsewhere
 *
 * Packed taps.  NHWC: [kh*kw][CMP] with CMP = c*m rounded up to VL (zero
 * lanes beyond c*m), so one aligned-stride vector load covers VL consecutive
 * output channels q = c*m + mm.  NCHW: [c*m][kh*kw], each tap broadcast.
 *
 * Every output element starts from 0 and accumulates, by fused multiply-add,
 * its in-bounds taps in the order (a, b); out-of-bounds taps are skipped as in
 * the reference.  The order depends only on the params, never on the tile. */
#include <string.h>

#define AI __attribute__((always_inline))

static int64_t FAM(size)(const sepconv_params *p) {
    const int64_t cm = p->c * p->m;
    return p->kh * p->kw * (p->layout == SEPCONV_NCHW ? cm : sepconv_round_up(cm, VL));
}

static void FAM(pack)(const sepconv_params *p, const ET *dw, ET *taps) {
    const int64_t cm = p->c * p->m, kk = p->kh * p->kw;
    if (p->layout == SEPCONV_NCHW) {
        for (int64_t q = 0; q < cm; q++)
            for (int64_t k = 0; k < kk; k++) taps[q * kk + k] = dw[k * cm + q];
        return;
    }
    const int64_t cmp = sepconv_round_up(cm, VL);
    for (int64_t k = 0; k < kk; k++)
        for (int64_t q = 0; q < cmp; q++) taps[k * cmp + q] = q < cm ? dw[k * cm + q] : (ET)0;
}


/* ---------------------------------------------------------------- NHWC */

/* Register blocks.  KIND names a specialised (kernel width, column stride,
 * column dilation) whose block of R pixels loads each input column of a
 * kernel row once and reuses it for every kernel column that reads it (about
 * 0.4 loads per FMA for 3x3); KIND 0 is the general path, which reloads per
 * tap.  R is the widest block the vector registers hold (accumulators, the
 * kernel row's taps and a streamed column), R2 the narrow one for short runs. */
enum { K_GEN = 0, K_3S1 = 1, K_3S2 = 2, K_3S1D2 = 3, K_5S1 = 4, K_7S1 = 5, K_3DIL = 6 };
#define KIND_KW(K) ((K) == K_5S1 ? 5 : (K) == K_7S1 ? 7 : 3)
#define KIND_SW(K) ((K) == K_3S2 ? 2 : 1)
#define KIND_DW(K) ((K) == K_3S1D2 ? 2 : 1)
#define KIND_R(K) ((K) == K_GEN ? RB : (K) == K_5S1 ? R5 : (K) == K_7S1 ? R7 : R3)
#define RMAX 16
/* bytes the input prefetch runs ahead (16 KB: no gain; 48 and 96 KB: equal) */
#define PF_AHEAD (48 * 1024)
enum { EDGE_NONE = 0, EDGE_L = 1, EDGE_R = 2 };

/* R consecutive output pixels times one vector of output channels, every
 * kernel column inside the image, kernel rows [a0, a1).  xp points at tap
 * (0, 0) of the first pixel (in the block's first input channel), c is the
 * pixel stride.  Output pixel r gets tap (a, b) from column j = r*SW + b*DW;
 * walking j upwards visits its taps in (a, b) order.  KT: taps per kernel
 * row in t (KW, or more when the block covers only some kernel columns).
 * Columns j < JLO and, if JHI > 0, j >= JHI are outside the image: their
 * taps are skipped (a block on the image's left or right edge). */
static inline AI TGT void FAM(blk_reuse)(const ET *xp, const ET *t, ET *dq, int64_t ldd,
                                         int64_t a0, int64_t a1, int64_t rstep, int64_t c,
                                         int64_t cmp, const int R, const int KW, const int SW,
                                         const int DW, const int XMASK, const int OMASK,
                                         vmask mx, vmask mo, const int PERM, ivec idx,
                                         const int AK, const int KT, const int JLO,
                                         const int JHI, int stream) {
    vec acc[RMAX];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) acc[r] = V_ZERO();
    const int64_t na = AK ? AK : a1 - a0;
#pragma GCC unroll 7
    for (int64_t ai = 0; ai < na; ai++) {
        const int64_t a = a0 + ai;
        const ET *xr = xp + a * rstep;
        vec tv[7];
#pragma GCC unroll 7
        for (int b = 0; b < KW; b++) tv[b] = V_LOAD(t + (a * KT + b) * cmp);
#pragma GCC unroll 64
        for (int j = 0; j < (R - 1) * SW + (KW - 1) * DW + 1; j++) {
            int used = 0;
#pragma GCC unroll 7
            for (int b = 0; b < KW; b++) {
                const int rr = j - b * DW;
                if (rr >= 0 && rr % SW == 0 && rr / SW < R) used = 1;
            }
            if (j < JLO || (JHI > 0 && j >= JHI)) used = 0;
            /* walk a pointer: a base register per column would spill */
            const ET *xj = xr;
            xr += c;
            if (!used) continue;
            vec xv = XMASK ? V_LOADM(xj, mx) : V_LOAD(xj);
            if (PERM) xv = V_PERM(idx, xv);
            /* one load per column: GCC otherwise folds the load into every
             * FMA that uses it (KW loads per column) and the 3x3 kernel is
             * load-bound: 87 -> 106 GFLOP/s on L1-resident rows */
            V_PIN(xv);
#pragma GCC unroll 7
            for (int b = 0; b < KW; b++) {
                const int rr = j - b * DW;
                if (rr >= 0 && rr % SW == 0 && rr / SW < R)
                    acc[rr / SW] = V_FMA(xv, tv[b], acc[rr / SW]);
            }
        }
    }
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
        if (OMASK) V_STOREM(dq + r * ldd, mo, acc[r]);
        else if (stream) V_STREAM(dq + r * ldd, acc[r]);
        else V_STORE(dq + r * ldd, acc[r]);
    }
}

/* General block: any kernel, taps [a0, a1) x [b0, b1), one load per FMA. */
static inline AI TGT void FAM(blk_gen)(const ET *xp, const ET *t, ET *dq, int64_t ldd,
                                       int64_t a0, int64_t a1, int64_t b0, int64_t b1,
                                       int64_t kw, int64_t cmp, int64_t rstep, int64_t cstep,
                                       int64_t pstep, const int R, const int XMASK,
                                       const int OMASK, vmask mx, vmask mo, const int PERM,
                                       ivec idx, int stream) {
    vec acc[RMAX];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) acc[r] = V_ZERO();
    for (int64_t a = a0; a < a1; a++)
        for (int64_t b = b0; b < b1; b++) {
            const vec tv = V_LOAD(t + (a * kw + b) * cmp);
            const ET *xb = xp + (a * rstep + b * cstep);
#pragma GCC unroll 16
            for (int r = 0; r < R; r++) {
                vec xv = XMASK ? V_LOADM(xb + r * pstep, mx) : V_LOAD(xb + r * pstep);
                if (PERM) xv = V_PERM(idx, xv);
                acc[r] = V_FMA(xv, tv, acc[r]);
            }
        }
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
        if (OMASK) V_STOREM(dq + r * ldd, mo, acc[r]);
        else if (stream) V_STREAM(dq + r * ldd, acc[r]);
        else V_STORE(dq + r * ldd, acc[r]);
    }
}

/* A run of output columns [ow0, ow1) that share one valid kernel-column range
 * [b0, b1).  There are at most 2*kw + 1 runs: both ends only move one way. */
typedef struct FAM(run) { int64_t ow0, ow1, b0, b1; } FAM(run);

typedef struct FAM(ctx) {
    const sepconv_params *p;
    const ET *taps, *x;
    const int32_t *idxtab; /* per channel block: input lane of each output lane (m > 1) */
    const FAM(run) *runs;
    int64_t nruns, nblk, group; /* channel blocks, and how many to sweep per pass over rows */
    int prefetch;               /* fetch the input ahead (see nhwc_rows: big calls, wide pixels or alone) */
    int stream;                 /* full vectors of d go out by non-temporal stores */
} FAM(ctx);

/* Channel blocks [g0, g1) of R pixels starting at input offset xo (tap (0, 0)
 * of the first pixel, possibly outside the image).  FULL: all kernel columns
 * are inside, use the KIND block; otherwise the general one on [b0, b1).
 * The npf lines from pf go toward L2, shared out over the channel blocks. */
static inline AI TGT void FAM(nhwc_px)(const FAM(ctx) *cx, int64_t xo, ET *dp, int64_t ldd,
                                       int64_t a0, int64_t a1, int64_t b0, int64_t b1,
                                       int64_t g0, int64_t g1, const int R, const int KIND,
                                       const int FULL, const int EDGE, const int PERM,
                                       const char *pf, int64_t npf) {
    const sepconv_params *p = cx->p;
    const int64_t c = p->c, m = PERM ? p->m : 1, cm = c * m;
    const int64_t cmp = sepconv_round_up(cm, VL), kw = p->kw;
    const int64_t rstep = p->dh * p->w * c, cstep = p->dw * c, pstep = p->sw * c;
    const vmask all = M_FIRST(VL);
    ivec idx = I_LOAD(cx->idxtab);
    /* EDGE_L / EDGE_R: the block's first / last pixel is on the image edge
     * ('same' padding: stride 1 with the kernel centred, or 3x3 stride 2 on
     * an even width, padded on the right only) */
    const int half = (KIND_KW(KIND) - 1) * KIND_DW(KIND) / 2;
    const int JLO = EDGE == EDGE_L ? half : 0;
    const int JHI = EDGE != EDGE_R ? 0 : KIND_SW(KIND) == 2 ? 2 * R : R + half;
    /* K_3DIL: the block's pixels, hence its columns, are D apart */
    const int64_t bc = KIND == K_3DIL ? p->dw * c : c, bld = KIND == K_3DIL ? p->dw * ldd : ldd;
    const int64_t pf_per = g1 > g0 ? (npf + (g1 - g0) - 1) / (g1 - g0) : 0; /* lines per block */
    for (int64_t blk = g0; blk < g1; blk++) {
        const int64_t q0 = blk * VL, c0 = q0 / m;
        const ET *xp = cx->x + c0 + xo;
        const ET *t = cx->taps + q0;
        ET *dq = dp + q0;
        if (PERM) idx = I_LOAD(cx->idxtab + blk * VL);
        if (npf > 0) { /* this block's share of the lines, toward L2 */
            const int64_t l0 = (blk - g0) * pf_per, l1 = l0 + pf_per < npf ? l0 + pf_per : npf;
            for (int64_t l = l0; l < l1; l++) __builtin_prefetch(pf + 64 * l, 0, 2);
        }
        /* with m > 1 the block's input channels may run past c: load masked */
        const vmask mx = PERM ? M_FIRST(c - c0) : all;
        if (q0 + VL <= cm) {
            /* all kernel rows: a constant trip count, unrolled (3x3 and 5x5
             * 2-10 % faster; 7x7 3-6 % slower, it keeps the loop) */
            if (FULL && KIND != K_GEN && KIND_KW(KIND) <= 5 && a1 - a0 == KIND_KW(KIND))
                FAM(blk_reuse)(xp, t, dq, bld, a0, a1, rstep, bc, cmp, R, KIND_KW(KIND),
                               KIND_SW(KIND), KIND_DW(KIND), PERM, 0, mx, all, PERM, idx,
                               KIND_KW(KIND), KIND_KW(KIND), JLO, JHI, cx->stream);
            else if (FULL && KIND != K_GEN)
                FAM(blk_reuse)(xp, t, dq, bld, a0, a1, rstep, bc, cmp, R, KIND_KW(KIND),
                               KIND_SW(KIND), KIND_DW(KIND), PERM, 0, mx, all, PERM, idx, 0,
                               KIND_KW(KIND), JLO, JHI, cx->stream);
            else
                FAM(blk_gen)(xp, t, dq, ldd, a0, a1, b0, b1, kw, cmp, rstep, cstep, pstep, R,
                             PERM, 0, mx, all, PERM, idx, cx->stream);
        } else {
            const vmask mo = M_FIRST(cm - q0), mt = M_FIRST(c - c0);
            if (FULL && KIND != K_GEN)
                FAM(blk_reuse)(xp, t, dq, bld, a0, a1, rstep, bc, cmp, R, KIND_KW(KIND),
                               KIND_SW(KIND), KIND_DW(KIND), 1, 1, mt, mo, PERM, idx, 0,
                               KIND_KW(KIND), JLO, JHI, 0);
            else
                FAM(blk_gen)(xp, t, dq, ldd, a0, a1, b0, b1, kw, cmp, rstep, cstep, pstep, R, 1,
                             1, mt, mo, PERM, idx, 0);
        }
    }
}

/* K_3DIL: 3-wide kernels at column stride 1 and column dilation D > 2.
 * Pixels D apart read the same input columns but one, so on a run of at
 * least 3*D pixels that see the whole kernel, a block takes R pixels ow,
 * ow + D, ... and reuses each column for every tap that reads it, as
 * blk_reuse does for adjacent pixels (nhwc_px: column stride D*c, output
 * stride D*ldd): (R + 5) loads per 3*R FMAs and kernel row instead of 9/8
 * loads per FMA.  Shorter runs (the borders, and wide dilations: fewer than
 * 3 pixels per class) go through the general block.  Each output element
 * still takes its taps in (a, b) order from 0.
 *
 * Run [ow0, ow1) (all kernel columns inside, at least 3 pixels per class
 * ow mod D) in blocks of pixels D apart; xo0 is the input offset of tap
 * (0, 0) of pixel ow0.  A class's last partial block overlaps the one before
 * (it recomputes identical values). */
static inline AI TGT void FAM(dil_run)(const FAM(ctx) *cx, int64_t xo0, ET *drow, int64_t ldd,
                                       int64_t ow0, int64_t ow1, int64_t a0, int64_t a1,
                                       int64_t g0, int64_t g1, const int PERM) {
    const int64_t D = cx->p->dw, c = cx->p->c;
#define DIL(o, R)                                                                             \
    FAM(nhwc_px)(cx, xo0 + ((o) - ow0) * c, drow + (o) * ldd, ldd, a0, a1, 0, 3, g0, g1, R,   \
                 K_3DIL, 1, EDGE_NONE, PERM, NULL, 0)
    for (int64_t i = 0; i < D; i++) {
        const int64_t last = ow0 + i + ((ow1 - ow0 - i - 1) / D) * D; /* the class's last pixel */
        int64_t o = ow0 + i;
        for (; o + (R3 - 1) * D <= last; o += R3 * D) DIL(o, R3);
        for (; o + (R2 - 1) * D <= last; o += R2 * D) DIL(o, R2);
        if (o <= last) DIL(last - 2 * D, 3);
    }
#undef DIL
}

/* One output row, channel blocks [g0, g1).  The run whose columns see the
 * whole kernel goes in blocks of R pixels, then of R2; a last partial block
 * of R2 overlaps the one before (it recomputes identical values) rather than
 * going pixel by pixel.  Border runs do the same with the general block. */
static inline AI TGT void FAM(nhwc_row)(const FAM(ctx) *cx, int64_t oh, ET *drow, int64_t ldd,
                                        int64_t g0, int64_t g1, const int KIND, const int PERM) {
    const sepconv_params *p = cx->p;
    const int64_t c = p->c, w = p->w, kh = p->kh, kw = p->kw, sw = p->sw;
    const int R = KIND_R(KIND);
    int64_t a0, a1;
    sepconv_tap_range(oh, p->sh, kh, p->dh, p->pad_top, p->h, &a0, &a1);
    const int64_t ih0 = oh * p->sh - p->pad_top;
    /* When the image streams from memory, the input rows new to this output
     * row (the bottom one; the bottom sh ones at row stride sh, dilation 1)
     * are adjacent, and those of the next output row follow them: one
     * address-ordered stream, fetched PF_AHEAD bytes ahead of where the
     * blocks read it.  The blocks read each pixel block channel block by
     * channel block, lines a pixel apart, an order the hardware prefetchers
     * follow at half the bandwidth of a sequential read. */
    const int64_t ihb = ih0 + (a1 - 1) * p->dh;
    const int64_t snew = p->dh == 1 && p->sh > 1 ? (p->sh < a1 - a0 ? p->sh : a1 - a0) : 1;
    const int64_t row_bytes = snew * w * c * (int64_t)sizeof(ET);
    const int64_t pfoff = (ihb - snew + 1) * w * c * (int64_t)sizeof(ET) + PF_AHEAD;
    const int64_t pfend = p->h * w * c * (int64_t)sizeof(ET); /* bytes: the image's end */
    const int pf_on = a1 > a0 && cx->prefetch && g0 == 0;
#define XO(o) ((ih0 * w + (o) * sw - p->pad_left) * c)
#define PX(o, RR, K, F) PXE(o, RR, K, F, EDGE_NONE)
#define PXE(o, RR, K, F, E)                                                                    \
    do {                                                                                       \
        int64_t pb0 = 0, pb1 = 0;                                                              \
        if (pf_on) {                                                                           \
            pb0 = pfoff + (o) * row_bytes / wo / 64 * 64;                                      \
            pb1 = pfoff + ((o) + (RR)) * row_bytes / wo;                                       \
            if (pb1 > pfend) pb1 = pfend;                                                      \
        }                                                                                      \
        FAM(nhwc_px)(cx, XO(o), drow + (o) * ldd, ldd, a0, a1, rn.b0, rn.b1, g0, g1, RR, K, F, \
                     E, PERM, pb1 > pb0 ? (const char *)cx->x + pb0 : NULL,                    \
                     pb1 > pb0 ? (pb1 - pb0 + 63) / 64 : 0);                                   \
    } while (0)
    /* 'same' padding: the first and the last R pixels as edge blocks that
     * skip the columns outside the image (stride 1, and 3x3 at dilation 2;
     * 3x3 stride 2 on an even width has only the right one).  Border pixels
     * one by one ran as single FMA chains (latency-bound), about 6 times a
     * full pixel's cost: 3 of every 28 pixels' worth in a 3x3 row of 28. */
    const int64_t wo = p->wo;
    const int64_t half = (kw - 1) * p->dw / 2;
    const int s1 = (KIND == K_3S1 || KIND == K_5S1 || KIND == K_7S1 || KIND == K_3S1D2) &&
                   p->pad_left == half && w == wo && wo >= R2 + half;
    const int s2 = KIND == K_3S2 && p->pad_left == 0 && w == 2 * wo && wo >= R2 + 1;
    if (s1 || s2) {
        const FAM(run) rn = {0, wo, 0, kw};
        const int64_t lo = s1 ? half : 0; /* the first pixel with every column inside */
        /* edge blocks of R pixels, or of R2 on narrow rows (14x14: 4 + 6 + 4) */
#define EDGES(RE)                                                          \
    do {                                                                   \
        int64_t ow = 0;                                                    \
        if (s1) {                                                          \
            PXE(0, RE, KIND, 1, EDGE_L);                                   \
            ow = RE;                                                       \
        }                                                                  \
        const int64_t end = wo - (RE);                                     \
        if (end - ow >= R2) {                                              \
            for (; ow + R <= end; ow += R) PX(ow, R, KIND, 1);             \
            for (; ow + R2 <= end; ow += R2) PX(ow, R2, KIND, 1);          \
        }                                                                  \
        if (ow < end && end - R2 >= lo) PX(end - R2, R2, KIND, 1);         \
        else for (; ow < end; ow++) PX(ow, 1, KIND, 1);                    \
        PXE(end, RE, KIND, 1, EDGE_R);                                     \
    } while (0)
        if (wo >= R + R2) EDGES(R);
        else EDGES(R2);
#undef EDGES
        return;
    }
    for (int64_t ri = 0; ri < cx->nruns; ri++) {
        const FAM(run) rn = cx->runs[ri];
        const int64_t len = rn.ow1 - rn.ow0;
        if (KIND == K_3DIL && rn.b0 == 0 && rn.b1 == kw && len >= 3 * p->dw) {
            FAM(dil_run)(cx, XO(rn.ow0), drow, ldd, rn.ow0, rn.ow1, a0, a1, g0, g1, PERM);
        } else if (KIND == K_3DIL || rn.b0 != 0 || rn.b1 != kw) {
            /* a border run: the general block, still R pixels at a time (wide
             * dilations make most pixels border ones: ASPP at d=12 on 33x33) */
            int64_t ow = rn.ow0;
            if (len >= R2) {
                for (; ow + RB <= rn.ow1; ow += RB) PX(ow, RB, K_GEN, 0);
                for (; ow + R2 <= rn.ow1; ow += R2) PX(ow, R2, K_GEN, 0);
                if (ow < rn.ow1) PX(rn.ow1 - R2, R2, K_GEN, 0);
            } else {
                for (; ow < rn.ow1; ow++) PX(ow, 1, K_GEN, 0);
            }
        } else if (len >= R2) {
            int64_t ow = rn.ow0;
            for (; ow + R <= rn.ow1; ow += R) PX(ow, R, KIND, 1);
            for (; ow + R2 <= rn.ow1; ow += R2) PX(ow, R2, KIND, 1);
            if (ow < rn.ow1) PX(rn.ow1 - R2, R2, KIND, 1);
        } else {
            for (int64_t ow = rn.ow0; ow < rn.ow1; ow++) PX(ow, 1, KIND, 1);
        }
    }
#undef PX
#undef PXE
#undef XO
}

#define NHWC_ROWS(K, PERM)                                                                      \
    static TGT void FAM(nhwc_rows_##K##_##PERM)(const FAM(ctx) *cx, int64_t oh0, int64_t oh1,   \
                                                ET *d, int64_t ldd) {                        \
        for (int64_t g0 = 0; g0 < cx->nblk; g0 += cx->group) {                                  \
            const int64_t g1 = g0 + cx->group < cx->nblk ? g0 + cx->group : cx->nblk;           \
            for (int64_t oh = oh0; oh < oh1; oh++)                                              \
                FAM(nhwc_row)(cx, oh, d + (oh - oh0) * cx->p->wo * ldd, ldd, g0, g1, K, PERM);  \
        }                                                                                       \
    }
NHWC_ROWS(K_GEN, 0)
NHWC_ROWS(K_3S1, 0)
NHWC_ROWS(K_3S2, 0)
NHWC_ROWS(K_3S1D2, 0)
NHWC_ROWS(K_5S1, 0)
NHWC_ROWS(K_7S1, 0)
NHWC_ROWS(K_3DIL, 0)
NHWC_ROWS(K_GEN, 1)
NHWC_ROWS(K_3S1, 1)
NHWC_ROWS(K_3S2, 1)
NHWC_ROWS(K_3S1D2, 1)
NHWC_ROWS(K_5S1, 1)
NHWC_ROWS(K_7S1, 1)
NHWC_ROWS(K_3DIL, 1)
#undef NHWC_ROWS

typedef void (*FAM(rows_fn))(const FAM(ctx) *, int64_t, int64_t, ET *, int64_t);

static int FAM(nhwc_rows)(const sepconv_params *p, const ET *taps, const ET *x,
                          int64_t oh0, int64_t oh1, ET *d, int64_t ldd) {
    const int64_t m = p->m, cm = p->c * m, nblk = sepconv_round_up(cm, VL) / VL;
    const int64_t maxruns = 2 * p->kw + 2;
    const size_t run_bytes = (size_t)maxruns * sizeof(FAM(run));
    char *buf = (char *)sepconv_scratch(SEPCONV_SCRATCH_KERNEL,
                                        run_bytes + (size_t)(nblk * VL) * sizeof(int32_t));
    if (!buf) return SEPCONV_ENOMEM;
    FAM(run) *runs = (FAM(run) *)buf;
    int32_t *idxtab = (int32_t *)(buf + run_bytes);
    int64_t nruns = 0;
    for (int64_t ow = 0; ow < p->wo; ow++) {
        int64_t b0, b1;
        sepconv_tap_range(ow, p->sw, p->kw, p->dw, p->pad_left, p->w, &b0, &b1);
        if (nruns > 0 && runs[nruns - 1].b0 == b0 && runs[nruns - 1].b1 == b1) {
            runs[nruns - 1].ow1 = ow + 1;
        } else {
            FAM(run) rn = {ow, ow + 1, b0, b1};
            runs[nruns++] = rn;
        }
    }
    /* Depth multiplier: lane l of output block q0 reads input channel
     * (q0 + l) / m, i.e. lane (q0 + l) / m - q0 / m of a load at q0 / m. */
    for (int64_t b = 0; b < nblk; b++)
        for (int64_t l = 0; l < VL; l++) {
            const int64_t q0 = b * VL, q = q0 + l < cm ? q0 + l : q0;
            idxtab[b * VL + l] = (int32_t)(q / m - q0 / m);
        }
    const int64_t kh = p->kh, kw = p->kw, sw = p->sw, dw = p->dw;
    int kind = K_GEN;
    if (kw == 3 && sw == 1 && dw == 1) kind = K_3S1;
    else if (kw == 3 && sw == 2 && dw == 1) kind = K_3S2;
    else if (kw == 3 && sw == 1 && dw == 2) kind = K_3S1D2;
    else if (kw == 5 && sw == 1 && dw == 1) kind = K_5S1;
    else if (kw == 7 && sw == 1 && dw == 1) kind = K_7S1;
    else if (kw == 3 && sw == 1 && dw > 2) kind = K_3DIL;
    (void)kh;
    /* Channel blocks per pass over the rows: the input rows one output row
     * reads should stay in (about half of) L2 until the next output rows
     * reuse them; only very wide, widely dilated layers need several passes. */
    const int64_t span = (p->kh - 1) * p->dh + 1;
    const int64_t blk_bytes = span * p->w * VL * (int64_t)sizeof(ET);
    int64_t group = (int64_t)(768 * 1024) / (blk_bytes > 0 ? blk_bytes : 1);
    /* With 5- and 7-wide kernels a pixel block shares (kw - 1) of its input
     * columns with the next one: those should still be in L1 (40 KB) across
     * the group's channels.  (7x7 over 96 double channels, 75 KB, ran at
     * 3.7x the float32 time.)  For 3x3 the extra passes cost more. */
    if (kind == K_5S1 || kind == K_7S1) {
        const int64_t cols = KIND_R(kind) + kw - 1;
        const int64_t l1_group = (int64_t)(40 * 1024) / (span * cols * VL * (int64_t)sizeof(ET));
        if (group > l1_group) group = l1_group;
    }
    if (group < 1) group = 1;
    /* a single row gains nothing from passes, and all channels of a pixel
     * block in turn read memory in order */
    if (oh1 - oh0 <= 1) group = nblk;
    /* Narrower pixels, a line or a few apart, stream well enough by
     * themselves inside a fused call, where the GEMM before fetches each
     * tile's input (at 256 B mbv1_02 ran 2 % slower with it).  The stage
     * alone (the driver's streaming hint: a big call whose d goes out) has
     * nothing else fetching: there it pays at any width (b16, 1 thread:
     * mbv1_01 4.0-4.2 -> 2.1 ms, mbv1_02 6.0-6.3 -> 2.7-2.9, xc_01 17.6-18.1
     * -> 8.7). */
    const int prefetch = p->n * p->h * p->w * p->c * (int64_t)sizeof(ET) > (int64_t)1 << 20 &&
                         (p->c * (int64_t)sizeof(ET) >= 512 ||
                          (p->hints & SEPCONV_HINT_STREAM_OUTPUT));
    /* the driver asks for it when d is not read back soon (the stage alone
     * on big calls); every full vector's address must then be aligned */
    const int64_t va = VL * (int64_t)sizeof(ET);
    const int stream = (p->hints & SEPCONV_HINT_STREAM_OUTPUT) && (uintptr_t)d % (uintptr_t)va == 0 &&
                       ldd % VL == 0;
    FAM(ctx) cx = {p, taps, x, idxtab, runs, nruns, nblk, group, prefetch, stream};
    static const FAM(rows_fn) fns[2][7] = {
        {FAM(nhwc_rows_K_GEN_0), FAM(nhwc_rows_K_3S1_0), FAM(nhwc_rows_K_3S2_0),
         FAM(nhwc_rows_K_3S1D2_0), FAM(nhwc_rows_K_5S1_0), FAM(nhwc_rows_K_7S1_0),
         FAM(nhwc_rows_K_3DIL_0)},
        {FAM(nhwc_rows_K_GEN_1), FAM(nhwc_rows_K_3S1_1), FAM(nhwc_rows_K_3S2_1),
         FAM(nhwc_rows_K_3S1D2_1), FAM(nhwc_rows_K_5S1_1), FAM(nhwc_rows_K_7S1_1),
         FAM(nhwc_rows_K_3DIL_1)}};
    fns[m > 1][kind](&cx, oh0, oh1, d, ldd);
    if (stream) V_SFENCE(); /* before another thread reads d */
    return SEPCONV_OK;
}

/* ---------------------------------------------------------------- NCHW */

/* n <= VL input values xr[0], xr[sw], ..., xr[(n-1)*sw] into lanes 0..n-1. */
static inline AI TGT vec FAM(load_strided)(const ET *xr, int64_t sw, int64_t n, ivec gidx) {
    if (sw == 1) return n >= VL ? V_LOAD(xr) : V_LOADM(xr, M_FIRST(n));
    if (sw == 2 && n >= VL) /* the last lane of hi is not needed and may be past the end */
        return V_EVEN(V_LOAD(xr), V_LOADM(xr + VL, M_FIRST(VL - 1)));
    return V_GATHERM(xr, gidx, M_FIRST(n));
}

/* Output columns [ow0, ow1) of one row whose kernel columns are all inside
 * the input, VL at a time, accumulated in registers over the taps of rows
 * [a0, a1) in (a, b) order.  KH, KW, SW are 0 (read from p) or constants. */
static inline AI TGT void FAM(nchw_seg)(const sepconv_params *p, const ET *xc,
                                        const ET *tq, ET *dr, int64_t ih0, int64_t a0,
                                        int64_t a1, int64_t ow0, int64_t ow1, ivec gidx,
                                        const int KW, const int SW) {
    const int64_t kw = KW ? KW : p->kw, sw = SW ? SW : p->sw, w = p->w;
    for (int64_t ow = ow0; ow < ow1; ow += VL) {
        const int64_t n = ow1 - ow < VL ? ow1 - ow : VL;
        vec acc = V_ZERO();
        for (int64_t a = a0; a < a1; a++) {
            const ET *xr = xc + (ih0 + a * p->dh) * w + ow * sw - p->pad_left;
            for (int64_t b = 0; b < kw; b++)
                acc = V_FMA(FAM(load_strided)(xr + b * p->dw, sw, n, gidx),
                            V_SET1(tq[a * kw + b]), acc);
        }
        if (n == VL) V_STORE(dr + ow, acc);
        else V_STOREM(dr + ow, M_FIRST(n), acc);
    }
}

/* The edge columns [0, owl) and [owh, wo) of one output row, one at a time. */
static inline AI TGT void FAM(nchw_edges)(const sepconv_params *p, const ET *xc, const ET *tq,
                                          ET *dr, int64_t oh, int64_t owl, int64_t owh) {
    const int64_t w = p->w, wo = p->wo, kw = p->kw, sw = p->sw;
    const int64_t ih0 = oh * p->sh - p->pad_top;
    int64_t a0, a1;
    sepconv_tap_range(oh, p->sh, p->kh, p->dh, p->pad_top, p->h, &a0, &a1);
    for (int64_t ow = 0; ow < wo; ow++) {
        if (ow == owl) ow = owh;
        if (ow >= wo) break;
        int64_t b0, b1;
        sepconv_tap_range(ow, sw, kw, p->dw, p->pad_left, w, &b0, &b1);
        ET acc = (ET)0;
        for (int64_t a = a0; a < a1; a++)
            for (int64_t b = b0; b < b1; b++)
                acc += xc[(ih0 + a * p->dh) * w + ow * sw + b * p->dw - p->pad_left] *
                       tq[a * kw + b];
        dr[ow] = acc;
    }
}

static inline int64_t FAM(cdiv)(int64_t a, int64_t s) { /* ceil(a / s), s > 0 */
    return a >= 0 ? (a + s - 1) / s : -((-a) / s);
}

/* One chunk of n <= VL output columns from ow of RH output rows from oh.
 * The input rows the block reads are walked once: each loaded vector (input
 * row i, kernel column b) feeds every output row r it belongs to (kernel row
 * a = (i - r*sh) / dh), so walking i upwards visits each output's taps in
 * (a, b) order.  Input rows outside the image are skipped; with EDGE, lanes
 * whose column is outside are masked off the load and the FMA (the tap is
 * skipped, as in the reference, not added as 0 * w). */
static inline AI TGT void FAM(nchw_chunk)(const sepconv_params *p, const ET *xc, const ET *tq,
                                          ET *dr, int64_t oh, int64_t ow, int64_t n,
                                          ivec gidx, const int EDGE, const int RH,
                                          const int KH, const int KW, const int SW,
                                          const int SH, const int DH) {
    const int64_t kh = KH ? KH : p->kh, kw = KW ? KW : p->kw, sw = SW ? SW : p->sw;
    const int64_t sh = SH ? SH : p->sh, dh = DH ? DH : p->dh, w = p->w, wo = p->wo;
    const int64_t dwc = p->dw, nin = (RH - 1) * sh + (kh - 1) * dh + 1;
    const int64_t ih0 = oh * sh - p->pad_top, c0 = ow * sw - p->pad_left;
    vmask mb[7];
    if (EDGE)
#pragma GCC unroll 7
        for (int64_t b = 0; b < kw; b++) {
            int64_t lo = FAM(cdiv)(-(c0 + b * dwc), sw), hi = FAM(cdiv)(w - (c0 + b * dwc), sw);
            if (lo < 0) lo = 0;
            if (hi > n) hi = n;
            if (lo > hi) lo = hi;
            mb[b] = M_ANDNOT(M_FIRST(lo), M_FIRST(hi));
        }
    vec acc[RMAX];
#pragma GCC unroll 16
    for (int r = 0; r < RH; r++) acc[r] = V_ZERO();
    /* 3x3: the taps broadcast once per chunk, not once per FMA (a
     * broadcast from memory is a load: with them the kernel was load-bound) */
    const int TREG = KH * KW > 0 && KH * KW <= 9;
    vec tr[9];
    if (TREG)
#pragma GCC unroll 9
        for (int k = 0; k < KH * KW; k++) tr[k] = V_SET1(tq[k]);
#pragma GCC unroll 16
    for (int64_t i = 0; i < nin; i++) {
        const int64_t ih = ih0 + i;
        if (ih < 0 || ih >= p->h) continue;
        const ET *xr = xc + (ih * w + c0);
#pragma GCC unroll 7
        for (int64_t b = 0; b < kw; b++) {
            vec xv;
            if (!EDGE) xv = FAM(load_strided)(xr + b * dwc, sw, VL, gidx);
            else if (sw == 1) xv = V_LOADM(xr + b * dwc, mb[b]);
            else xv = V_GATHERM(xr + b * dwc, gidx, mb[b]);
            V_PIN(xv);
#pragma GCC unroll 16
            for (int r = 0; r < RH; r++) {
                const int64_t rel = i - r * sh;
                if (rel < 0 || rel % dh != 0 || rel / dh >= kh) continue;
                const vec tv = TREG ? tr[(rel / dh) * kw + b] : V_SET1(tq[(rel / dh) * kw + b]);
                acc[r] = EDGE ? V_FMAM(xv, tv, acc[r], mb[b]) : V_FMA(xv, tv, acc[r]);
            }
        }
    }
#pragma GCC unroll 16
    for (int r = 0; r < RH; r++) {
        if (n == VL) V_STORE(dr + r * wo + ow, acc[r]);
        else V_STOREM(dr + r * wo + ow, M_FIRST(n), acc[r]);
    }
}

/* RH whole output rows from oh, VL columns at a time; only the chunks whose
 * windows cross the left or right edge (or the last, partial one) mask. */
static inline AI TGT void FAM(nchw_blk)(const sepconv_params *p, const ET *xc, const ET *tq,
                                        ET *dr, int64_t oh, ivec gidx, const int RH,
                                        const int KH, const int KW, const int SW,
                                        const int SH, const int DH) {
    const int64_t kw = KW ? KW : p->kw, sw = SW ? SW : p->sw, wo = p->wo;
    const int64_t reach = (VL - 1) * sw + (kw - 1) * p->dw; /* lane 0 to the last column */
    for (int64_t ow = 0; ow < wo; ow += VL) {
        const int64_t n = wo - ow < VL ? wo - ow : VL, c0 = ow * sw - p->pad_left;
        if (n == VL && c0 >= 0 && c0 + reach <= p->w - 1)
            FAM(nchw_chunk)(p, xc, tq, dr, oh, ow, n, gidx, 0, RH, KH, KW, SW, SH, DH);
        else
            FAM(nchw_chunk)(p, xc, tq, dr, oh, ow, n, gidx, 1, RH, KH, KW, SW, SH, DH);
    }
}

/* The input rows [*lo, *hi) that output rows [oh0, oh1) read, clipped to the image. */
static inline void FAM(in_rows)(const sepconv_params *p, int64_t oh0, int64_t oh1, int64_t *lo,
                                int64_t *hi) {
    int64_t a = oh0 * p->sh - p->pad_top, b = (oh1 - 1) * p->sh - p->pad_top + (p->kh - 1) * p->dh + 1;
    *lo = a < 0 ? 0 : a;
    *hi = b > p->h ? p->h : b;
    if (*hi < *lo) *hi = *lo;
}

/* Each channel plane in turn, RH output rows at a time sharing their input
 * rows, then the last rows one by one.  Taller kernels share more rows
 * (measured: 3x3 best at 4, 7x7 at 8).  A tile of rows reads a few KB of
 * each plane, too short a stream for the hardware prefetchers: the rows of
 * the plane two input channels ahead are fetched by hand (56x56x128 at batch 16:
 * the tile's depthwise 3.9 -> 2.7 ms, the fused call 9 % faster at 1 and 2
 * threads).  A whole plane is a long stream: there it only cost (b1
 * depthwise alone 0.11 -> 0.14 ms). */
#define NCHW_PLANES(NAME, RH, KH, KW, SW, SH, DH)                                                \
    static TGT void FAM(NAME)(const sepconv_params *p, const ET *taps, const ET *x,          \
                              int64_t oh0, int64_t oh1, ET *d, int64_t ldd, ivec gidx) {     \
        const int64_t cm = p->c * p->m, kk = p->kh * p->kw, hw = p->h * p->w, wo = p->wo;    \
        int64_t lo, hi;                                                                      \
        FAM(in_rows)(p, oh0, oh1, &lo, &hi);                                                 \
        const int64_t pf_bytes =                                                             \
            oh1 - oh0 < p->ho ? (hi - lo) * p->w * (int64_t)sizeof(ET) : 0;                  \
        for (int64_t q = 0; q < cm; q++) {                                                   \
            const ET *xc = x + (q / p->m) * hw, *tq = taps + q * kk;                         \
            /* once per plane (m output channels share one) */                               \
            if (q % p->m == 0 && q / p->m + 2 < p->c) {                                      \
                const char *pc = (const char *)(x + (q / p->m + 2) * hw + lo * p->w);         \
                for (int64_t o = 0; o < pf_bytes; o += 64) __builtin_prefetch(pc + o, 0, 3); \
            }                                                                                \
            int64_t oh = oh0;                                                                \
            for (; oh + RH <= oh1; oh += RH)                                                 \
                FAM(nchw_blk)(p, xc, tq, d + q * ldd + (oh - oh0) * wo, oh, gidx, RH, KH, KW, \
                              SW, SH, DH);                                                   \
            for (; oh < oh1; oh++)                                                           \
                FAM(nchw_blk)(p, xc, tq, d + q * ldd + (oh - oh0) * wo, oh, gidx, 1, KH, KW, \
                              SW, SH, DH);                                                   \
        }                                                                                    \
    }
NCHW_PLANES(nchw_k3s1, 4, 3, 3, 1, 1, 1)
NCHW_PLANES(nchw_k3s2, 4, 3, 3, 2, 2, 1)
NCHW_PLANES(nchw_k5s1, 6, 5, 5, 1, 1, 1)
NCHW_PLANES(nchw_k7s1, 8, 7, 7, 1, 1, 1)
#undef NCHW_PLANES

/* Kernels without a plane sweep: one output row of channel q at a time, the
 * interior columns in vectors, the few whose window is cut by the left or
 * right edge one by one. */
static TGT void FAM(nchw_rows)(const sepconv_params *p, const ET *taps, const ET *x,
                               int64_t oh0, int64_t oh1, ET *d, int64_t ldd) {
    const int64_t h = p->h, w = p->w, wo = p->wo, kh = p->kh, kw = p->kw, sw = p->sw;
    const int64_t cm = p->c * p->m, sh = p->sh, dh = p->dh;
    int32_t lane_sw[VL];
    for (int l = 0; l < VL; l++) lane_sw[l] = (int32_t)(l * sw);
    const ivec gidx = I_LOAD(lane_sw);
    const int unit = sw == 1 && sh == 1 && dh == 1 && p->dw == 1;
    if (kh == 3 && kw == 3 && unit) { FAM(nchw_k3s1)(p, taps, x, oh0, oh1, d, ldd, gidx); return; }
    if (kh == 5 && kw == 5 && unit) { FAM(nchw_k5s1)(p, taps, x, oh0, oh1, d, ldd, gidx); return; }
    if (kh == 7 && kw == 7 && unit) { FAM(nchw_k7s1)(p, taps, x, oh0, oh1, d, ldd, gidx); return; }
    if (kh == 3 && kw == 3 && sw == 2 && sh == 2 && dh == 1 && p->dw == 1) {
        FAM(nchw_k3s2)(p, taps, x, oh0, oh1, d, ldd, gidx);
        return;
    }
    int64_t owl = (p->pad_left + sw - 1) / sw;
    const int64_t last = w - 1 - (kw - 1) * p->dw + p->pad_left;
    int64_t owh = last < 0 ? 0 : last / sw + 1;
    if (owl > wo) owl = wo;
    if (owh > wo) owh = wo;
    if (owh < owl) owh = owl;
    for (int64_t q = 0; q < cm; q++) {
        const ET *xc = x + (q / p->m) * h * w;
        const ET *tq = taps + q * kh * kw;
        for (int64_t oh = oh0; oh < oh1; oh++) {
            ET *dr = d + q * ldd + (oh - oh0) * wo;
            FAM(nchw_edges)(p, xc, tq, dr, oh, owl, owh);
            int64_t a0, a1;
            sepconv_tap_range(oh, sh, kh, dh, p->pad_top, h, &a0, &a1);
            FAM(nchw_seg)(p, xc, tq, dr, oh * sh - p->pad_top, a0, a1, owl, owh, gidx, 0, 0);
        }
    }
}

static int FAM(rows)(const sepconv_params *p, const ET *taps, const ET *x, int64_t oh0,
                     int64_t oh1, ET *d, int64_t ldd) {
    if (p->layout == SEPCONV_NCHW) {
        FAM(nchw_rows)(p, taps, x, oh0, oh1, d, ldd);
        return SEPCONV_OK;
    }
    return FAM(nhwc_rows)(p, taps, x, oh0, oh1, d, ldd);
}

#undef AI
#undef RMAX
#undef KIND_KW
#undef KIND_SW
#undef KIND_DW
#undef KIND_R
