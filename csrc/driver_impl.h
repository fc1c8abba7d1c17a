/* Driver body, included by fused.c once per element type T with suffix SFX. */
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(name, SFX)
#define DWK CAT(sepconv_dw_kernels, SFX)
#define PWK CAT(sepconv_pw_kernels, SFX)

static int64_t FN(taps_len)(const DWK *dw, const sepconv_params *p) {
    return sepconv_round_up(dw->packed_size(p), 16);
}

int64_t FN(sepconv_packed_size)(const sepconv_params *p) {
    if (sepconv_check_params(p) != SEPCONV_OK) return -1;
    const DWK *dw = FN(sepconv_dw_table)(p->isa);
    const PWK *pw = FN(sepconv_pw_table)(p->isa);
    return FN(taps_len)(dw, p) + pw->packed_size(p);
}

int FN(sepconv_pack)(const sepconv_params *p, const T *dwt, const T *pwt, const T *bias,
                     T *packed) {
    int st = sepconv_check_params(p);
    if (st != SEPCONV_OK) return st;
    if (!dwt || !pwt || !packed) return SEPCONV_EINVAL;
    const DWK *dw = FN(sepconv_dw_table)(p->isa);
    const PWK *pw = FN(sepconv_pw_table)(p->isa);
    int64_t off = FN(taps_len)(dw, p);
    for (int64_t i = dw->packed_size(p); i < off; i++) packed[i] = 0;
    dw->pack(p, dwt, packed);
    pw->pack(p, pwt, p->has_bias ? bias : NULL, packed + off);
    return SEPCONV_OK;
}

/* Everything a work item needs. */
typedef struct FN(job) {
    const sepconv_params *p;
    const sepconv_params *pdw; /* p with the depthwise's own hints */
    const DWK *dw;
    const PWK *pw;
    const T *taps, *wp;
    const T *src;
    T *dst;
    T *shared; /* PHASED: the group's intermediate */
    tiling tl;
} FN(job);

/* Depthwise of global output rows [g0, g1) (g = img * ho + oh) into d.
 *   full: d addresses an array of whole images starting at image img0
 *         (NHWC (.., ho, wo, cm); NCHW (.., cm, ho, wo));
 *   else: d is a tile whose first pixel is row g0 (NHWC: ldd = cm, may span
 *         images; NCHW: one image, ldd = the tile's pixel count). */
static int FN(dw_span)(const FN(job) *jb, int64_t g0, int64_t g1, int64_t img0, int full, T *d,
                       int64_t ldd) {
    const sepconv_params *p = jb->p;
    const int64_t cm = p->c * p->m, pix = p->ho * p->wo;
    const int nchw = p->layout == SEPCONV_NCHW;
    for (int64_t g = g0; g < g1;) {
        const int64_t img = g / p->ho, oh0 = g % p->ho;
        const int64_t oh1 = oh0 + (g1 - g) < p->ho ? oh0 + (g1 - g) : p->ho;
        T *dd;
        if (nchw)
            dd = full ? d + (img - img0) * cm * pix + oh0 * p->wo : d + (g - g0) * p->wo;
        else
            dd = full ? d + ((img - img0) * p->ho + oh0) * p->wo * cm : d + (g - g0) * p->wo * ldd;
        const T *x = jb->src + img * p->h * p->w * p->c;
        /* whole images (stage alone, PHASED; a fused tile is sized for L2) */
        const int64_t step = full && !nchw ? dilation_step(p) : 1;
        if (step > 1 && oh1 - oh0 > step) {
            /* rows step apart in turn: each reads the previous one's input
             * rows but one, so every input row comes from memory once (in
             * row order the next reader of a row comes step rows later, and
             * with 2048 channels the row has left L2 by then) */
            for (int64_t r = 0; r < step; r++)
                for (int64_t oh = oh0 + (r - oh0 % step + step) % step; oh < oh1; oh += step) {
                    int s = jb->dw->rows(jb->pdw, jb->taps, x, oh, oh + 1, dd + (oh - oh0) * p->wo * ldd,
                                         ldd);
                    if (s != SEPCONV_OK) return s;
                }
        } else {
            int s = jb->dw->rows(jb->pdw, jb->taps, x, oh0, oh1, dd, ldd);
            if (s != SEPCONV_OK) return s;
        }
        g += oh1 - oh0;
    }
    return SEPCONV_OK;
}

/* Rows [g0, g1) of FUSED tile t: NCHW ntiles / n tiles per image, NHWC
 * ntiles over all n * ho rows, each range split evenly. */
static void FN(tile_rows)(const sepconv_params *p, const tiling *tl, int64_t t, int64_t *g0,
                          int64_t *g1) {
    if (p->layout == SEPCONV_NCHW) {
        const int64_t nrt = tl->ntiles / p->n, img = t / nrt, j = t % nrt;
        *g0 = img * p->ho + j * p->ho / nrt;
        *g1 = img * p->ho + (j + 1) * p->ho / nrt;
    } else {
        const int64_t total = p->n * p->ho;
        *g0 = t * total / tl->ntiles;
        *g1 = (t + 1) * total / tl->ntiles;
    }
}

/* Strided tile t (tl->step > 1): image, first row and row count. */
static void FN(strided_tile)(const sepconv_params *p, const tiling *tl, int64_t t, int64_t *img,
                             int64_t *oh0, int64_t *cnt) {
    const int64_t per = tl->ntiles / p->n, s = tl->step, r = tl->rows;
    int64_t j = t % per;
    *img = t / per;
    *oh0 = 0;
    *cnt = 0;
    for (int64_t c = 0; c < s; c++) {
        const int64_t rows = class_rows(p, s, c), chunks = (rows + r - 1) / r;
        if (j < chunks) {
            *oh0 = c + j * r * s;
            *cnt = rows - j * r < r ? rows - j * r : r;
            return;
        }
        j -= chunks;
    }
}

/* Whether strided tiles copy their input rows to an aligned buffer first: the
 * caller's input is not 64-byte aligned but every pixel is misaligned alike
 * (c * elem a multiple of 64), and pixels are 4 KB or more apart.  Every
 * vector load then spans two cache lines, and with pixels a power-of-two
 * stride apart the block's lines all fall in one L1 set, so the second halves
 * are evicted before the next channel block reads them: the depthwise ran at
 * half speed (1x33x33x2048, dilation 12, 1 thread: 2.9 ms aligned, 5.6 ms
 * misaligned; fused 12.8 against 16.0 ms).  Stride 1 only (the rows of a
 * class are then one dilation apart). */
static int FN(realign_input)(const sepconv_params *p, const T *src) {
    const int64_t px_bytes = p->c * (int64_t)sizeof(T);
    return ((uintptr_t)src % 64) != 0 && px_bytes % 64 == 0 && px_bytes >= 4096 && p->sh == 1;
}

/* Strided tiles [t0, t1) (NHWC): rows step apart; their GEMM runs on all
 * the tile's pixels at once into y_stage, then each row goes to its place.
 * xbuf (realign_input): room for a class's compact rows, filled as its
 * tiles come (a thread's tiles run class by class). */
static int FN(strided_tiles)(const FN(job) *jb, int64_t t0, int64_t t1, T *d, int64_t ldd,
                             T *y_stage, T *xbuf) {
    const sepconv_params *p = jb->p;
    sepconv_params q = *p; /* the staging rows are read back at once */
    q.hints &= ~SEPCONV_HINT_STREAM_OUTPUT;
    const int64_t wo = p->wo, f = p->f, step = jb->tl.step, row = p->w * p->c;
    int64_t cur_img = -1, cur_cls = -1, have = 0; /* compact rows [.., have) copied */
    for (int64_t t = t0; t < t1; t++) {
        int64_t img, oh0, cnt;
        FN(strided_tile)(p, &jb->tl, t, &img, &oh0, &cnt);
        const T *x = jb->src + img * p->h * row;
        if (xbuf) {
            /* the depthwise on the copy, as a stride-1, dilation-1 row
             * sweep over compact rows: the same taps in the same order */
            const int64_t cls = oh0 % step, o0 = oh0 / step;
            /* compact row r is input row cls - pad_top + r * dh (stride 1,
             * so step == dh), and output row cls + o * dh reads compact rows
             * o .. o + kh - 1: the class reads rows [0, class rows + kh - 1),
             * [r_lo, r_hi) of them inside the image */
            int64_t r_lo, r_hi;
            sepconv_tap_range(cls, 1, class_rows(p, step, cls) + p->kh - 1, p->dh, p->pad_top, p->h,
                              &r_lo, &r_hi);
            if (img != cur_img || cls != cur_cls) {
                cur_img = img;
                cur_cls = cls;
                have = r_lo;
            }
            int64_t need = o0 + cnt + p->kh - 1;
            if (need > r_hi) need = r_hi;
            for (; have < need; have++)
                memcpy(xbuf + have * row, x + (cls - p->pad_top + have * p->dh) * row,
                       (size_t)row * sizeof(T));
            sepconv_params qd = *jb->pdw;
            qd.sh = qd.dh = 1;
            qd.pad_top = r_lo;
            qd.h = r_hi - r_lo;
            qd.ho = class_rows(p, step, cls);
            int s = jb->dw->rows(&qd, jb->taps, xbuf + r_lo * row, o0, o0 + cnt, d, ldd);
            if (s != SEPCONV_OK) return s;
        } else {
            for (int64_t j = 0; j < cnt; j++) {
                const int64_t oh = oh0 + j * step;
                int s = jb->dw->rows(jb->pdw, jb->taps, x, oh, oh + 1, d + j * wo * ldd, ldd);
                if (s != SEPCONV_OK) return s;
            }
        }
        T *y = jb->dst + (img * p->ho + oh0) * wo * f;
        if (cnt == 1) {
            jb->pw->tile(p, jb->wp, d, ldd, wo, 0, f, y, f, NULL);
            continue;
        }
        jb->pw->tile(&q, jb->wp, d, ldd, cnt * wo, 0, f, y_stage, f, NULL);
        for (int64_t j = 0; j < cnt; j++)
            memcpy(y + j * step * wo * f, y_stage + j * wo * f, (size_t)(wo * f) * sizeof(T));
    }
    return SEPCONV_OK;
}

/* Global input rows [*lo, *hi) (img * h + ih) that output row g reads: its
 * valid taps' rows (empty, at the clamped tap-0 row, when none is valid). */
static void FN(input_rows)(const sepconv_params *p, int64_t g, int64_t *lo, int64_t *hi) {
    const int64_t img = g / p->ho, oh = g % p->ho, i0 = oh * p->sh - p->pad_top;
    int64_t a0, a1;
    sepconv_tap_range(oh, p->sh, p->kh, p->dh, p->pad_top, p->h, &a0, &a1);
    if (a1 > a0) {
        *lo = img * p->h + i0 + a0 * p->dh;
        *hi = img * p->h + i0 + (a1 - 1) * p->dh + 1;
    } else {
        *lo = *hi = img * p->h + (i0 < 0 ? 0 : i0 > p->h ? p->h : i0);
    }
}

/* The input rows FUSED tile t reads that the tile ending at output row g_end
 * (exclusive) did not, for the GEMM before it to fetch: NHWC one run (the
 * rows of consecutive images are contiguous), NCHW one run per channel plane
 * of tile t's image. */
static sepconv_ahead FN(next_input)(const FN(job) *jb, int64_t g_end, int64_t t) {
    const sepconv_params *p = jb->p;
    const int nchw = p->layout == SEPCONV_NCHW;
    int64_t g0, g1, lo, done, a, b;
    FN(tile_rows)(p, &jb->tl, t, &g0, &g1);
    const int64_t img = g0 / p->ho;
    FN(input_rows)(p, g_end - 1, &lo, &done);
    FN(input_rows)(p, g0, &a, &lo);
    if (a < done) a = done;
    FN(input_rows)(p, g1 - 1, &lo, &b);
    sepconv_ahead ah = {0};
    if (b <= a) return ah;
    const char *src = (const char *)jb->src;
    if (nchw) {
        const int64_t row = p->w * (int64_t)sizeof(T), plane = p->h * row;
        ah.p = src + img * p->c * plane + (a - img * p->h) * row;
        ah.seg_lines = ((b - a) * row + 63) / 64;
        ah.lines = ah.seg_lines * p->c;
        ah.seg_stride = plane;
    } else {
        const int64_t row = p->w * p->c * (int64_t)sizeof(T);
        ah.p = src + a * row;
        ah.lines = ah.seg_lines = (b - a) * row / 64;
    }
    return ah;
}

/* FUSED tiles [t0, t1): depthwise into thread-local scratch, then the GEMM. */
static int FN(fused_tiles)(const FN(job) *jb, int64_t t0, int64_t t1) {
    const sepconv_params *p = jb->p;
    const int64_t cm = p->c * p->m;
    const int nchw = p->layout == SEPCONV_NCHW;
    /* NCHW: channel rows start on a cache line (aligned vector loads/stores) */
    const int64_t tile_pix = jb->tl.rows * p->wo;
    /* NHWC: pixel rows 2 KB-multiples apart would share L1 sets in the GEMM,
     * which would then copy them to a padded stride: pad the tile instead */
    const int64_t ld_nhwc = cm % NHWC_PAD_MOD == 0 ? cm + 64 / (int64_t)sizeof(T) : cm;
    const int64_t ld_max = nchw ? sepconv_round_up(tile_pix, 64 / (int64_t)sizeof(T)) : ld_nhwc;
    const int64_t d_len = nchw ? ld_max * cm : sepconv_round_up(tile_pix * ld_nhwc, 16);
    const int64_t stage_len = jb->tl.step > 1 ? sepconv_round_up(tile_pix * p->f, 16) : 0;
    /* a class's compact rows: its output rows and kh - 1 more */
    const int realign = jb->tl.step > 1 && FN(realign_input)(p, jb->src);
    const int64_t x_len =
        realign ? (class_rows(p, jb->tl.step, 0) + p->kh - 1) * p->w * p->c : 0;
    T *d = (T *)sepconv_scratch(SEPCONV_SCRATCH_DRIVER,
                                (size_t)(d_len + stage_len + x_len) * sizeof(T));
    if (!d) return SEPCONV_ENOMEM;
    if (jb->tl.step > 1)
        return FN(strided_tiles)(jb, t0, t1, d, ld_nhwc, d + d_len,
                                 realign ? d + d_len + stage_len : NULL);
    for (int64_t t = t0; t < t1; t++) {
        int64_t g0, g1;
        FN(tile_rows)(p, &jb->tl, t, &g0, &g1);
        const int64_t npix = (g1 - g0) * p->wo;
        const int64_t ldd = nchw ? sepconv_round_up(npix, 64 / (int64_t)sizeof(T)) : ld_nhwc;
        int s = FN(dw_span)(jb, g0, g1, 0, 0, d, ldd);
        if (s != SEPCONV_OK) return s;
        /* the next tile's input comes in during this GEMM (b16 mbv1_02
         * 9.1-9.6 -> 7.2-7.7 ms: its depthwise no longer waits on DRAM) */
        sepconv_ahead ah = {0};
        if (t + 1 < t1) ah = FN(next_input)(jb, g1, t + 1);
        if (nchw) {
            const int64_t img = g0 / p->ho, oh0 = g0 % p->ho;
            jb->pw->tile(p, jb->wp, d, ldd, npix, 0, p->f,
                         jb->dst + img * p->f * p->ho * p->wo + oh0 * p->wo, p->ho * p->wo,
                         &ah);
        } else {
            jb->pw->tile(p, jb->wp, d, ldd, npix, 0, p->f, jb->dst + g0 * p->wo * p->f, p->f,
                         &ah);
        }
    }
    return SEPCONV_OK;
}

/* The d that GEMM item g reads, as lines to fetch ahead: NHWC one run of its
 * pixels, NCHW one run per channel row. */
static sepconv_ahead FN(item_input)(const FN(job) *jb, const T *d, gemm_item g) {
    const sepconv_params *p = jb->p;
    const int64_t cm = p->c * p->m, pix = p->ho * p->wo, elem = (int64_t)sizeof(T);
    sepconv_ahead ah = {0};
    if (p->layout == SEPCONV_NCHW) {
        ah.p = (const char *)(d + g.j * cm * pix + g.px0);
        ah.seg_lines = g.np * elem / 64;
        ah.lines = ah.seg_lines * cm;
        ah.seg_stride = pix * elem;
    } else {
        ah.p = (const char *)(d + g.px0 * cm);
        ah.lines = ah.seg_lines = g.np * cm * elem / 64;
    }
    if (ah.seg_lines == 0) ah.lines = 0;
    return ah;
}

/* GEMM items [i0, i1) (see gemm_item_at) over a group of images starting at
 * img0 whose intermediate is d (whole images, in the layout).  ahead: each
 * item fetches the next one's d toward L2 as it runs (the stage alone, whose
 * d comes from memory; the hardware prefetchers lag behind the 14 rows a
 * micro-kernel reads at once: 1 thread, b16 mbv1_03 18.7-18.8 -> 15.7-15.8
 * ms, nchw_03 18.7 -> 16.7, b1 xc_02 8.1-8.2 -> 6.8-6.9). */
static void FN(gemm_items)(const FN(job) *jb, const T *d, int64_t img0, int64_t nimg, int64_t i0,
                           int64_t i1, int ahead) {
    const sepconv_params *p = jb->p;
    const int64_t cm = p->c * p->m, pix = p->ho * p->wo;
    if (i0 >= i1) return;
    gemm_item g = gemm_item_at(p, &jb->tl, nimg, i0);
    for (int64_t it = i0; it < i1; it++) {
        sepconv_ahead ah = {0};
        gemm_item next = g;
        if (it + 1 < i1) {
            next = gemm_item_at(p, &jb->tl, nimg, it + 1);
            if (ahead) ah = FN(item_input)(jb, d, next);
        }
        if (p->layout == SEPCONV_NCHW) {
            jb->pw->tile(p, jb->wp, d + g.j * cm * pix + g.px0, pix, g.np, g.f0, g.f1,
                         jb->dst + (img0 + g.j) * p->f * pix + g.px0, pix, &ah);
        } else {
            jb->pw->tile(p, jb->wp, d + g.px0 * cm, cm, g.np, g.f0, g.f1,
                         jb->dst + (img0 * pix + g.px0) * p->f, p->f, &ah);
        }
        g = next;
    }
}

/* Contiguous share [*a, *b) of count items for thread tid of nth. */
static inline void FN(share)(int64_t count, int tid, int nth, int64_t *a, int64_t *b) {
    *a = count * tid / nth;
    *b = count * (tid + 1) / nth;
}

/* The PHASED schedule (also the stage-alone paths): called by every thread. */
static int FN(phased)(const FN(job) *jb, int tid, int nth) {
    const sepconv_params *p = jb->p;
    const int64_t g = jb->tl.group;
    int err = SEPCONV_OK;
    for (int64_t img0 = 0; img0 < p->n; img0 += g) {
        const int64_t nimg = img0 + g < p->n ? g : p->n - img0;
        int64_t a, b;
        FN(share)(nimg * p->ho, tid, nth, &a, &b);
        int s = FN(dw_span)(jb, img0 * p->ho + a, img0 * p->ho + b, img0, 1, jb->shared,
                            p->layout == SEPCONV_NCHW ? p->ho * p->wo : p->c * p->m);
        if (s != SEPCONV_OK) err = s;
#pragma omp barrier
        FN(share)(gemm_item_count(p, &jb->tl, nimg), tid, nth, &a, &b);
        FN(gemm_items)(jb, jb->shared, img0, nimg, a, b, 0);
#pragma omp barrier /* the next group overwrites the shared buffer */
    }
    return err;
}

enum { FN(STAGE_FUSED) = 0, FN(STAGE_DW) = 1, FN(STAGE_PW) = 2 };

static int FN(run)(const sepconv_params *p, const T *packed, const T *src, T *dst, int stage) {
    int st = sepconv_check_params(p);
    if (st != SEPCONV_OK) return st;
    if (!packed || (p->n > 0 && (!src || !dst))) return SEPCONV_EINVAL;
    if (p->n == 0) return SEPCONV_OK;
    /* Stream the output when the call's data is unlikely to stay cached:
     * ordinary stores first read every line they write, and on a victim L3
     * (AMD Zen 4, 1 MB L2) that read comes from memory.  Fused, 8 MB instead
     * of 64 (fb, ms): batch 16, 1 thread, mbv1_03 20.8 -> 17.3, k7 15.9 ->
     * 13.8, valid_s2 3.3-3.6 -> 2.4-2.6, k5 (9 MB) 3.0-3.5 -> 2.7; 2 threads
     * k7 7.7-8.6 -> 6.5-6.7; batch 1 xc_01 5.1-6.1 -> 3.7-3.9, xc_03 4.0-4.1
     * -> 3.4.  (On an earlier Xeon with 2 MB L2, 39-41 MB calls (k7, xc_07)
     * ran 13-20 % slower streamed; on a later one, Emerald Rapids class with
     * 2 MB L2 and 260 MB L3, streamed won again, 3 pairs each: batch 16 k7
     * 11.3-11.8 -> 10.4-10.5, mbv1_01 20.2-23.3 -> 11.7-15.8, xc_07 43.7-44.4
     * -> 42.8-44.0, batch 1 xc_01 4.5-4.9 -> 4.1-4.3.)  Smaller calls keep
     * ordinary stores: their output may still be cached for the next layer
     * (at 2-8 MB streaming won 0-9 % here). */
    sepconv_params q = *p, qdw = *p;
    const double io_bytes =
        ((double)(p->n * p->h * p->w * p->c) + (double)(p->n * p->ho * p->wo * p->f)) * sizeof(T);
    if (stage != FN(STAGE_DW) && io_bytes >= (double)STREAM_MIN_BYTES)
        q.hints |= SEPCONV_HINT_STREAM_OUTPUT;
    /* The depthwise streams only as the stage alone: inside a call its d is
     * the GEMM's input, read back from cache at once.  Alone, a d bigger than
     * L2 is not read back soon, and ordinary stores first read every line it
     * writes (batch 16, 1 thread: ASPP d6 30 -> 21.5 ms, xc_02 37 -> 25,
     * mbv1_07 1.1 -> 0.7; 7x7x1024 (6 MB) equal). */
    const double dw_bytes =
        ((double)(p->n * p->h * p->w * p->c) + (double)(p->n * p->ho * p->wo * p->c * p->m)) *
        sizeof(T);
    if (stage != FN(STAGE_DW)) qdw.hints &= ~SEPCONV_HINT_STREAM_OUTPUT;
    else if (dw_bytes >= (double)STREAM_MIN_BYTES) qdw.hints |= SEPCONV_HINT_STREAM_OUTPUT;
    p = &q;
    FN(job) jb;
    jb.p = p;
    jb.pdw = &qdw;
    jb.dw = FN(sepconv_dw_table)(p->isa);
    jb.pw = FN(sepconv_pw_table)(p->isa);
    jb.taps = packed;
    jb.wp = packed + FN(taps_len)(jb.dw, p);
    jb.src = src;
    jb.dst = dst;
    jb.shared = NULL;
    const int threads = p->num_threads < 1 ? 1 : p->num_threads;
    const int64_t elem = (int64_t)sizeof(T);
    int err = SEPCONV_OK;

    if (stage == FN(STAGE_DW)) {
        /* rows of all images, contiguous per thread, straight into dst */
        const int64_t rows = p->n * p->ho;
        const int nth = rows < threads ? (int)rows : threads;
        const int64_t ld = p->layout == SEPCONV_NCHW ? p->ho * p->wo : p->c * p->m;
        if (nth <= 1) return FN(dw_span)(&jb, 0, rows, 0, 1, dst, ld);
#pragma omp parallel num_threads(nth)
        {
            int64_t a, b;
            FN(share)(rows, omp_get_thread_num(), omp_get_num_threads(), &a, &b);
            int s = FN(dw_span)(&jb, a, b, 0, 1, dst, ld);
            if (s != SEPCONV_OK) {
#pragma omp atomic write
                err = s;
            }
        }
        return err;
    }
    if (stage == FN(STAGE_PW)) {
        jb.tl.group = p->n;
        plan_gemm(&jb.tl, p, jb.pw->f_block, elem, threads);
        const int64_t items = gemm_item_count(p, &jb.tl, p->n);
        const int nth = items < threads ? (int)items : threads;
        if (nth <= 1) {
            FN(gemm_items)(&jb, src, 0, p->n, 0, items, 1);
            return SEPCONV_OK;
        }
#pragma omp parallel num_threads(nth)
        {
            int64_t a, b;
            FN(share)(items, omp_get_thread_num(), omp_get_num_threads(), &a, &b);
            FN(gemm_items)(&jb, src, 0, p->n, a, b, 1);
        }
        return SEPCONV_OK;
    }

    jb.tl = plan_tiles(p, jb.pw->f_block, elem, threads);
    if (jb.tl.sched == SCHED_FUSED) {
        if (jb.tl.nthreads <= 1) return FN(fused_tiles)(&jb, 0, jb.tl.ntiles);
#pragma omp parallel num_threads(jb.tl.nthreads)
        {
            int64_t a, b;
            FN(share)(jb.tl.ntiles, omp_get_thread_num(), omp_get_num_threads(), &a, &b);
            int s = FN(fused_tiles)(&jb, a, b);
            if (s != SEPCONV_OK) {
#pragma omp atomic write
                err = s;
            }
        }
        return err;
    }
    /* PHASED: one shared intermediate per group, from the calling thread's
     * scratch (the team's thread 0 is the calling thread) */
    jb.shared = (T *)sepconv_scratch(
        SEPCONV_SCRATCH_DRIVER, (size_t)(jb.tl.group * p->ho * p->wo * p->c * p->m) * sizeof(T));
    if (!jb.shared) return SEPCONV_ENOMEM;
#pragma omp parallel num_threads(jb.tl.nthreads)
    {
        int s = FN(phased)(&jb, omp_get_thread_num(), omp_get_num_threads());
        if (s != SEPCONV_OK) {
#pragma omp atomic write
            err = s;
        }
    }
    return err;
}

int FN(sepconv_forward)(const sepconv_params *p, const T *packed, const T *x, T *y) {
    return FN(run)(p, packed, x, y, FN(STAGE_FUSED));
}
int FN(sepconv_depthwise)(const sepconv_params *p, const T *packed, const T *x, T *d) {
    return FN(run)(p, packed, x, d, FN(STAGE_DW));
}
int FN(sepconv_pointwise)(const sepconv_params *p, const T *packed, const T *d, T *y) {
    return FN(run)(p, packed, d, y, FN(STAGE_PW));
}

#undef CAT_
#undef CAT
#undef FN
#undef DWK
#undef PWK
