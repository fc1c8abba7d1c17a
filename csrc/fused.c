/* The driver: tiles the output, runs depthwise-then-pointwise per tile with the
 * intermediate in a thread-local, cache-sized buffer, and splits the tiles
 * over OpenMP threads.  Instantiated for float and double from driver_impl.h.
 *
 * Two schedules:
 *   FUSED   each work item is a tile of output rows: its depthwise rows go to
 *           a thread-local buffer sized for L2 and the GEMM runs on them at
 *           once.  In NHWC a tile may span several (small) images, since their
 *           pixels are contiguous, so the weights are reused over more pixels.
 *   PHASED  for small images on several threads (too few row tiles to keep
 *           every core busy): per group of images, the threads first compute
 *           the depthwise output into one shared buffer, then split the GEMM
 *           over output-channel chunks (each core streams only its slice of
 *           the weights) and pixel tiles.
 * The choice depends on the thread count, but every kernel's arithmetic per
 * output element is independent of tile bounds, so results are bitwise
 * identical for any thread count and either schedule. */
#include "kernels.h"
#include "omp_compat.h"
#include <string.h>

enum { SCHED_FUSED = 0, SCHED_PHASED = 1 };

typedef struct tiling {
    int sched;
    int nthreads;      /* threads to start (1: no parallel region) */
    int64_t rows;      /* FUSED: output rows per tile, at most (global rows over n*ho;
                        * tiles split their range evenly: sizes differ by one at most) */
    int64_t ntiles;    /* FUSED: tiles */
    int64_t step;      /* FUSED, NHWC: a tile's rows are step apart (dilation_step) */
    int64_t group;     /* PHASED: images per group */
    int64_t ptile;     /* PHASED: pixels per GEMM tile (NHWC: over the group) */
    int64_t fchunk;    /* PHASED: output channels per GEMM item */
    int64_t nft;       /* PHASED: output-channel chunks */
} tiling;

/* Budgets, chosen by measurement on a 2 MB-L2 AVX-512 core. */
/* fused d tile (at stride 1; a fused tile's d and input rows take twice
 * this): L2 beside the weights */
#define TILE_BUDGET_BYTES ((int64_t)384 * 1024)
#define WEIGHTS_L2_BYTES ((int64_t)1024 * 1024)
#define GROUP_BUDGET_BYTES ((int64_t)1536 * 1024) /* phased d of a group: shared in L2s */
/* d tile when the weights pass L2 and either a whole image's intermediate
 * fits it or the tiles span images (batch > 1): the weights then come from
 * L3 once per image / per bigger tile (xc_09, xc_10).  At batch 1, bigger
 * partial-image tiles were slower (xc_06, xc_07). */
#define BIG_TILE_BUDGET_BYTES ((int64_t)768 * 1024)
/* calls whose input and output take at least this much write the output
 * with streaming stores (the depthwise stage alone: its input and d) */
#define STREAM_MIN_BYTES ((int64_t)8 << 20)
/* the GEMMs copy NHWC tiles whose pixel stride (in elements) is a multiple
 * of this to a padded stride (gemm_avx512.c NHWC_REPACK_MOD) */
#define NHWC_PAD_MOD 512
enum {
    MIN_TILE_PIXELS = 96,  /* below this the weights are reused too little */
    TILES_PER_THREAD = 2   /* row tiles per thread wanted before going PHASED */
};

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* A PHASED GEMM item: output channels [f0, f1) of pixels [px0, px0 + np)
 * (NCHW: of image j of the group; NHWC: counted over the group's images). */
typedef struct gemm_item {
    int64_t f0, f1, j, px0, np;
} gemm_item;

/* Items run output-channel-chunk major, so a thread's share uses one slice
 * of the weights. */
static gemm_item gemm_item_at(const sepconv_params *p, const tiling *tl, int64_t nimg,
                              int64_t it) {
    const int64_t pix = p->ho * p->wo;
    const int nchw = p->layout == SEPCONV_NCHW;
    const int64_t tot = nchw ? pix : nimg * pix; /* pixels one run of tiles covers */
    const int64_t npt = ceil_div(tot, tl->ptile);
    const int64_t npitems = nchw ? nimg * npt : npt;
    const int64_t fi = it / npitems, q = it % npitems;
    gemm_item g;
    g.f0 = fi * tl->fchunk;
    g.f1 = g.f0 + tl->fchunk < p->f ? g.f0 + tl->fchunk : p->f;
    g.j = nchw ? q / npt : 0;
    g.px0 = (q % npt) * tl->ptile;
    g.np = g.px0 + tl->ptile < tot ? tl->ptile : tot - g.px0;
    return g;
}

static int64_t gemm_item_count(const sepconv_params *p, const tiling *tl, int64_t nimg) {
    const int64_t pix = p->ho * p->wo;
    const int64_t npitems = p->layout == SEPCONV_NCHW ? nimg * ceil_div(pix, tl->ptile)
                                                       : ceil_div(nimg * pix, tl->ptile);
    return npitems * tl->nft;
}

/* Output rows this far apart read the same input rows but one (dilated
 * kernels: dh / gcd(dh, sh)); 1 when that does not happen. */
static int64_t dilation_step(const sepconv_params *p) {
    int64_t a = p->dh, b = p->sh;
    while (b) {
        const int64_t m = a % b;
        a = b;
        b = m;
    }
    const int64_t step = p->kh > 1 ? p->dh / a : 1;
    return step < p->ho ? step : 1;
}

static int64_t tile_budget(const sepconv_params *p, int64_t elem) {
    const int64_t cm = p->c * p->m;
    const int big_w = cm * p->f * elem > WEIGHTS_L2_BYTES;
    return big_w && (p->n > 1 || p->ho * p->wo * cm * elem <= BIG_TILE_BUDGET_BYTES)
               ? BIG_TILE_BUDGET_BYTES
               : TILE_BUDGET_BYTES;
}
static void plan_gemm(tiling *t, const sepconv_params *p, int64_t f_block, int64_t elem,
                      int threads);

/* Strided tiles when output rows step = dilation_step apart share input
 * rows and a tile holds fewer than step rows: its R rows are step apart
 * (ASPP at dilation 6-18: R + 2 input rows per tile instead of 3R), and the
 * tiles of one image go class by class (oh mod step), so that the next tile
 * starts on input rows the last one read.  The per-image count of tiles of
 * R rows is sum over classes of ceil(class rows / R). */
static int64_t class_rows(const sepconv_params *p, int64_t step, int64_t c) {
    return (p->ho - c + step - 1) / step; /* rows oh < ho with oh mod step == c */
}
static int64_t strided_tiles_per_image(const sepconv_params *p, int64_t step, int64_t r) {
    int64_t n = 0;
    for (int64_t c = 0; c < step; c++) n += ceil_div(class_rows(p, step, c), r);
    return n;
}
static void plan_strided(tiling *t, const sepconv_params *p) {
    const int64_t step = dilation_step(p);
    if (p->layout == SEPCONV_NCHW || step < 2 || t->rows >= step) return;
    t->step = step;
    t->ntiles = p->n * strided_tiles_per_image(p, step, t->rows);
}

static tiling plan_tiles(const sepconv_params *p, int64_t f_block, int64_t elem, int threads) {
    tiling t = {0};
    const int64_t cm = p->c * p->m, n = p->n > 0 ? p->n : 1;
    const int64_t pix_img = p->ho * p->wo;
    const int nchw = p->layout == SEPCONV_NCHW;
    /* the budget holds the d tile and the input rows read for it (the
     * latter fetched during the GEMM before): a stride-2 tile's input is
     * four times its d, which at the d-only budget overflowed L2 (b16/1t
     * mbv1_04 5.85-6.48 -> 5.10-5.40 ms at a quarter of the budget) */
    const int64_t in_rows = p->sh < p->h ? p->sh : p->h; /* (a huge stride reads one row) */
    int64_t row_bytes = (p->wo * cm + in_rows * p->w * p->c) * elem;
    if (row_bytes < 1) row_bytes = 1;
    int64_t rows = 2 * tile_budget(p, elem) / row_bytes;
    if (rows < 1) rows = 1;
    if (nchw && rows > p->ho) rows = p->ho; /* NCHW tiles stay in one image */
    int64_t total = n * p->ho;
    if (rows > total) rows = total;
    if (threads < 1) threads = 1;
    t.sched = SCHED_FUSED;
    if (threads > 1) {
        /* enough tiles for every thread, in a multiple of the thread count */
        int64_t want = (int64_t)threads * TILES_PER_THREAD;
        int64_t nt = nchw ? n * ceil_div(p->ho, rows) : ceil_div(total, rows);
        if (nt < want) {
            int64_t r = nchw ? ceil_div(p->ho, ceil_div(want, n)) : ceil_div(total, want);
            int64_t min_rows = ceil_div(MIN_TILE_PIXELS, p->wo);
            rows = r > min_rows ? r : min_rows;
            if (rows > total) rows = total;
            if (nchw && rows > p->ho) rows = p->ho;
        }
        nt = nchw ? n * ceil_div(p->ho, rows) : ceil_div(total, rows);
        if (nt < threads && f_block > 0 && p->f >= 2 * f_block) t.sched = SCHED_PHASED;
    }
    if (t.sched == SCHED_FUSED) {
        /* even out the tiles: a count in a multiple of the thread count, and
         * rows split evenly among them (ceil-sized tiles left the last one
         * short, and on 2 threads one thread with more rows: b1 xc_03, 74
         * rows in 10-row tiles, ran 40 against 34) */
        if (nchw) {
            int64_t nrt = ceil_div(p->ho, rows);
            /* tiles in a multiple of the thread count, as in NHWC below
             * (b1 nchw_03 on 2 threads ran 5 tiles as 3 + 2) */
            while (threads > 1 && (n * nrt) % threads != 0 && nrt < p->ho) nrt++;
            rows = ceil_div(p->ho, nrt);
            t.ntiles = n * nrt;
        } else {
            int64_t nt = ceil_div(total, rows);
            if (threads > 1 && nt > 1) nt = ceil_div(nt, threads) * threads;
            if (nt > total) nt = total;
            rows = ceil_div(total, nt);
            t.ntiles = nt;
        }
        t.rows = rows;
        t.step = 1;
        plan_strided(&t, p);
        t.nthreads = t.ntiles < threads ? (int)t.ntiles : threads;
        return t;
    }
    /* PHASED: groups of images whose intermediate fits the L2s */
    int64_t img_bytes = pix_img * cm * elem;
    int64_t g = GROUP_BUDGET_BYTES / (img_bytes > 0 ? img_bytes : 1);
    if (g < 1) g = 1;
    if (g > n) g = n;
    t.group = g;
    plan_gemm(&t, p, f_block, elem, threads);
    t.nthreads = threads;
    return t;
}

/* GEMM items over a group of t->group images: pixel tiles (NHWC: across the
 * group; NCHW: within each image) times output-channel chunks, enough for
 * every thread. */
static void plan_gemm(tiling *t, const sepconv_params *p, int64_t f_block, int64_t elem,
                      int threads) {
    const int64_t cm = p->c * p->m, pix_img = p->ho * p->wo;
    const int nchw = p->layout == SEPCONV_NCHW;
    int64_t gpix = nchw ? pix_img : t->group * pix_img;
    int64_t pt = tile_budget(p, elem) / (cm * elem);
    if (pt < MIN_TILE_PIXELS) pt = MIN_TILE_PIXELS;
    if (pt > gpix) pt = gpix;
    int64_t npt = ceil_div(gpix, pt);
    t->ptile = ceil_div(gpix, npt);
    int64_t nitems_pix = nchw ? t->group * ceil_div(pix_img, t->ptile) : ceil_div(gpix, t->ptile);
    t->fchunk = p->f;
    t->nft = 1;
    /* weights beyond a core's L2: each core streams only its slice */
    int64_t want = cm * p->f * elem > WEIGHTS_L2_BYTES ? threads : 1;
    if (nitems_pix < threads) {
        int64_t w = ceil_div((int64_t)threads, nitems_pix);
        if (w > want) want = w;
    }
    if (want > 1 && f_block > 0) {
        int64_t chunk = sepconv_round_up(ceil_div(p->f, want), f_block);
        t->fchunk = chunk;
        t->nft = ceil_div(p->f, chunk);
    }
}

#define T float
#define SFX f32
#include "driver_impl.h"
#undef T
#undef SFX

#define T double
#define SFX f64
#include "driver_impl.h"
#undef T
#undef SFX
