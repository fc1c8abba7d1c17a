/* The driver: tiles the output, runs depthwise-then-pointwise per tile with the
 * intermediate in a thread-local, cache-sized buffer, and splits the tiles
 * over OpenMP threads.  Instantiated for float and double from driver_impl.h. */
#include "kernels.h"
#include "omp_compat.h"

/* Work decomposition.  It depends on the shape only, never on the thread
 * count, and every kernel's arithmetic is tiling-independent, so the output
 * is bitwise identical for any number of threads. */
typedef struct tiling {
    int64_t rows;   /* output rows per tile */
    int64_t nrt;    /* row tiles per image */
    int64_t fchunk; /* output channels per work item */
    int64_t nft;    /* channel chunks */
} tiling;

enum {
    TILE_BUDGET_BYTES = 128 * 1024, /* intermediate per thread: stays in L2 beside the weights */
    MIN_TILE_PIXELS = 48,           /* below this the GEMM tile is mostly edge */
    TARGET_ITEMS = 8                /* enough items to balance a few cores */
};

static tiling plan_tiles(const sepconv_params *p, int64_t f_block, int64_t elem) {
    tiling t;
    const int64_t cm = p->c * p->m;
    int64_t row_bytes = p->wo * cm * elem;
    int64_t rows = TILE_BUDGET_BYTES / (row_bytes > 0 ? row_bytes : 1);
    if (rows < 1) rows = 1;
    if (rows > p->ho) rows = p->ho;
    int64_t min_rows = (MIN_TILE_PIXELS + p->wo - 1) / p->wo;
    if (min_rows > p->ho) min_rows = p->ho;
    /* more, smaller row tiles until there are enough work items */
    int64_t n = p->n > 0 ? p->n : 1;
    int64_t want_tiles = (TARGET_ITEMS + n - 1) / n;
    int64_t nrt = (p->ho + rows - 1) / rows;
    if (nrt < want_tiles) {
        int64_t r = (p->ho + want_tiles - 1) / want_tiles;
        rows = r < min_rows ? min_rows : r;
        if (rows < 1) rows = 1;
    }
    nrt = (p->ho + rows - 1) / rows;
    rows = (p->ho + nrt - 1) / nrt; /* even out the tiles */
    nrt = (p->ho + rows - 1) / rows;
    t.rows = rows;
    t.nrt = nrt;
    /* still too few items (small images): split the output channels too */
    t.fchunk = p->f;
    t.nft = 1;
    int64_t items = n * nrt;
    if (items < TARGET_ITEMS && f_block > 0 && p->f >= 2 * f_block) {
        int64_t want = (TARGET_ITEMS + items - 1) / items;
        int64_t chunk = sepconv_round_up((p->f + want - 1) / want, f_block);
        t.fchunk = chunk;
        t.nft = (p->f + chunk - 1) / chunk;
    }
    return t;
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
