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

/* Offsets of tile (img, oh0) in the full arrays. */
static inline int64_t FN(x_image)(const sepconv_params *p, int64_t img) {
    return img * p->h * p->w * p->c;
}
static inline int64_t FN(out_offset)(const sepconv_params *p, int64_t img, int64_t oh0,
                                     int64_t ch) {
    return p->layout == SEPCONV_NCHW ? img * ch * p->ho * p->wo + oh0 * p->wo
                                     : (img * p->ho + oh0) * p->wo * ch;
}
static inline int64_t FN(out_ld)(const sepconv_params *p, int64_t ch) {
    return p->layout == SEPCONV_NCHW ? p->ho * p->wo : ch;
}

enum { FN(STAGE_FUSED) = 0, FN(STAGE_DW) = 1, FN(STAGE_PW) = 2 };

static int FN(run)(const sepconv_params *p, const T *packed, const T *src, T *dst, int stage) {
    int st = sepconv_check_params(p);
    if (st != SEPCONV_OK) return st;
    if (!packed || (p->n > 0 && (!src || !dst))) return SEPCONV_EINVAL;
    if (p->n == 0) return SEPCONV_OK;
    const DWK *dw = FN(sepconv_dw_table)(p->isa);
    const PWK *pw = FN(sepconv_pw_table)(p->isa);
    const T *taps = packed;
    const T *wp = packed + FN(taps_len)(dw, p);
    const int64_t cm = p->c * p->m;
    const tiling tl = plan_tiles(p, stage == FN(STAGE_DW) ? 0 : pw->f_block, (int64_t)sizeof(T));
    const int64_t nft = stage == FN(STAGE_DW) ? 1 : tl.nft;
    const int64_t items = p->n * tl.nrt * nft;
    const int64_t tile_ld = tl.rows * p->wo; /* NCHW tile leading dimension */
    const size_t tile_bytes = (size_t)(tl.rows * p->wo * cm) * sizeof(T);
    int nthreads = p->num_threads < 1 ? 1 : p->num_threads;
    if ((int64_t)nthreads > items) nthreads = (int)items;
    int err = SEPCONV_OK;

#pragma omp parallel for num_threads(nthreads) schedule(static) if (nthreads > 1)
    for (int64_t it = 0; it < items; it++) {
        const int64_t fi = it % nft, rt = (it / nft) % tl.nrt, img = it / (nft * tl.nrt);
        const int64_t oh0 = rt * tl.rows;
        const int64_t oh1 = oh0 + tl.rows < p->ho ? oh0 + tl.rows : p->ho;
        const int64_t npix = (oh1 - oh0) * p->wo;
        const int64_t f0 = fi * tl.fchunk;
        const int64_t f1 = f0 + tl.fchunk < p->f ? f0 + tl.fchunk : p->f;
        int s = SEPCONV_OK;
        if (stage == FN(STAGE_DW)) {
            s = dw->rows(p, taps, src + FN(x_image)(p, img), oh0, oh1,
                         dst + FN(out_offset)(p, img, oh0, cm), FN(out_ld)(p, cm));
        } else if (stage == FN(STAGE_PW)) {
            pw->tile(p, wp, src + FN(out_offset)(p, img, oh0, cm), FN(out_ld)(p, cm), npix, f0, f1,
                     dst + FN(out_offset)(p, img, oh0, p->f), FN(out_ld)(p, p->f));
        } else {
            T *d = (T *)sepconv_scratch(SEPCONV_SCRATCH_DRIVER, tile_bytes);
            const int64_t ldd = p->layout == SEPCONV_NCHW ? tile_ld : cm;
            if (!d) {
                s = SEPCONV_ENOMEM;
            } else {
                s = dw->rows(p, taps, src + FN(x_image)(p, img), oh0, oh1, d, ldd);
                if (s == SEPCONV_OK)
                    pw->tile(p, wp, d, ldd, npix, f0, f1, dst + FN(out_offset)(p, img, oh0, p->f),
                             FN(out_ld)(p, p->f));
            }
        }
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
