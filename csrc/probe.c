/* Roofline probe (see probe.h).  The FMA loops keep enough independent
 * accumulators in registers to cover FMA latency times the number of FMA
 * ports, so the count is limited by throughput alone.  The chains compute
 * acc = acc * a + b with |a| < 1, which converges to a normal number: no
 * overflow and no denormal slow path. */
#define _POSIX_C_SOURCE 200112L
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sepconv.h"
#include "probe.h"
#include "omp_compat.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#define PROBE_X86 1
#include <immintrin.h>
#else
#define PROBE_X86 0
#endif

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Written once per run so the compiler must keep every chain. */
static volatile float probe_sink;

#define FMA_ITERS 4096 /* iterations per timed chunk */

/* Each function runs `iters` iterations and returns the FLOPs done. */
static double fma_scalar(int64_t iters) {
    float acc[16];
    for (int i = 0; i < 16; i++) acc[i] = (float)i * 0.01f;
    const float a = 0.999999f, b = 1e-7f;
    for (int64_t it = 0; it < iters; it++)
        for (int i = 0; i < 16; i++) acc[i] = acc[i] * a + b;
    float s = 0.0f;
    for (int i = 0; i < 16; i++) s += acc[i];
    probe_sink = s;
    return 2.0 * 16.0 * (double)iters;
}

#if PROBE_X86 && (defined(__GNUC__) || defined(__clang__))
/* 12 ymm accumulators + 2 constants fit the 16 ymm registers of AVX2. */
__attribute__((target("avx2,fma"))) static double fma_avx2(int64_t iters) {
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    __m256 c0 = _mm256_set1_ps(0.00f), c1 = _mm256_set1_ps(0.01f), c2 = _mm256_set1_ps(0.02f);
    __m256 c3 = _mm256_set1_ps(0.03f), c4 = _mm256_set1_ps(0.04f), c5 = _mm256_set1_ps(0.05f);
    __m256 c6 = _mm256_set1_ps(0.06f), c7 = _mm256_set1_ps(0.07f), c8 = _mm256_set1_ps(0.08f);
    __m256 c9 = _mm256_set1_ps(0.09f), c10 = _mm256_set1_ps(0.10f), c11 = _mm256_set1_ps(0.11f);
    for (int64_t it = 0; it < iters; it++) {
        c0 = _mm256_fmadd_ps(c0, a, b); c1 = _mm256_fmadd_ps(c1, a, b);
        c2 = _mm256_fmadd_ps(c2, a, b); c3 = _mm256_fmadd_ps(c3, a, b);
        c4 = _mm256_fmadd_ps(c4, a, b); c5 = _mm256_fmadd_ps(c5, a, b);
        c6 = _mm256_fmadd_ps(c6, a, b); c7 = _mm256_fmadd_ps(c7, a, b);
        c8 = _mm256_fmadd_ps(c8, a, b); c9 = _mm256_fmadd_ps(c9, a, b);
        c10 = _mm256_fmadd_ps(c10, a, b); c11 = _mm256_fmadd_ps(c11, a, b);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
    float out[8];
    _mm256_storeu_ps(out, s);
    probe_sink = out[0] + out[7];
    return 2.0 * 8.0 * 12.0 * (double)iters;
}

/* 16 zmm accumulators: FMA latency 4 x 2 ports needs at least 8. */
__attribute__((target("avx512f"))) static double fma_avx512(int64_t iters) {
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    __m512 c0 = _mm512_set1_ps(0.00f), c1 = _mm512_set1_ps(0.01f), c2 = _mm512_set1_ps(0.02f);
    __m512 c3 = _mm512_set1_ps(0.03f), c4 = _mm512_set1_ps(0.04f), c5 = _mm512_set1_ps(0.05f);
    __m512 c6 = _mm512_set1_ps(0.06f), c7 = _mm512_set1_ps(0.07f), c8 = _mm512_set1_ps(0.08f);
    __m512 c9 = _mm512_set1_ps(0.09f), c10 = _mm512_set1_ps(0.10f), c11 = _mm512_set1_ps(0.11f);
    __m512 c12 = _mm512_set1_ps(0.12f), c13 = _mm512_set1_ps(0.13f), c14 = _mm512_set1_ps(0.14f);
    __m512 c15 = _mm512_set1_ps(0.15f);
    for (int64_t it = 0; it < iters; it++) {
        c0 = _mm512_fmadd_ps(c0, a, b); c1 = _mm512_fmadd_ps(c1, a, b);
        c2 = _mm512_fmadd_ps(c2, a, b); c3 = _mm512_fmadd_ps(c3, a, b);
        c4 = _mm512_fmadd_ps(c4, a, b); c5 = _mm512_fmadd_ps(c5, a, b);
        c6 = _mm512_fmadd_ps(c6, a, b); c7 = _mm512_fmadd_ps(c7, a, b);
        c8 = _mm512_fmadd_ps(c8, a, b); c9 = _mm512_fmadd_ps(c9, a, b);
        c10 = _mm512_fmadd_ps(c10, a, b); c11 = _mm512_fmadd_ps(c11, a, b);
        c12 = _mm512_fmadd_ps(c12, a, b); c13 = _mm512_fmadd_ps(c13, a, b);
        c14 = _mm512_fmadd_ps(c14, a, b); c15 = _mm512_fmadd_ps(c15, a, b);
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                             _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c12, c13), _mm512_add_ps(c14, c15)));
    probe_sink = _mm512_reduce_add_ps(s);
    return 2.0 * 16.0 * 16.0 * (double)iters;
}

/* Copies with streaming (non-temporal) stores: the destination is not read
 * into the cache first, so the traffic is exactly one read and one write per
 * byte, whatever the C library's memcpy would choose for this size.  dst, src
 * and n are multiples of 64 bytes. */
__attribute__((target("avx512f"))) static void copy_avx512(char *dst, const char *src, int64_t n) {
    for (int64_t i = 0; i < n; i += 256) {
        __m512 a = _mm512_load_ps((const float *)(src + i));
        __m512 b = _mm512_load_ps((const float *)(src + i + 64));
        __m512 c = _mm512_load_ps((const float *)(src + i + 128));
        __m512 d = _mm512_load_ps((const float *)(src + i + 192));
        _mm512_stream_ps((float *)(dst + i), a);
        _mm512_stream_ps((float *)(dst + i + 64), b);
        _mm512_stream_ps((float *)(dst + i + 128), c);
        _mm512_stream_ps((float *)(dst + i + 192), d);
    }
    _mm_sfence();
}

__attribute__((target("avx2"))) static void copy_avx2(char *dst, const char *src, int64_t n) {
    for (int64_t i = 0; i < n; i += 128) {
        __m256 a = _mm256_load_ps((const float *)(src + i));
        __m256 b = _mm256_load_ps((const float *)(src + i + 32));
        __m256 c = _mm256_load_ps((const float *)(src + i + 64));
        __m256 d = _mm256_load_ps((const float *)(src + i + 96));
        _mm256_stream_ps((float *)(dst + i), a);
        _mm256_stream_ps((float *)(dst + i + 32), b);
        _mm256_stream_ps((float *)(dst + i + 64), c);
        _mm256_stream_ps((float *)(dst + i + 96), d);
    }
    _mm_sfence();
}
#endif

static void copy_plain(char *dst, const char *src, int64_t n) { memcpy(dst, src, (size_t)n); }

typedef void (*copy_fn)(char *dst, const char *src, int64_t n);

static copy_fn pick_copy(void) {
#if PROBE_X86 && (defined(__GNUC__) || defined(__clang__))
    if (sepconv_isa_supported(SEPCONV_ISA_AVX512)) return copy_avx512;
    if (sepconv_isa_supported(SEPCONV_ISA_AVX2)) return copy_avx2;
#endif
    return copy_plain;
}

typedef double (*fma_fn)(int64_t iters);

static fma_fn pick_fma(int isa, int *used) {
#if PROBE_X86 && (defined(__GNUC__) || defined(__clang__))
    if (isa == SEPCONV_ISA_AVX512) { *used = isa; return fma_avx512; }
    if (isa == SEPCONV_ISA_AVX2) { *used = isa; return fma_avx2; }
#endif
    *used = isa;
    return fma_scalar;
}

/* One slice: every thread runs chunks until `seconds` have passed on its own
 * clock; the rate is all FLOPs over the slowest thread's time. */
static double fma_slice(fma_fn fn, int num_threads, double seconds) {
    double total = 0.0, tmax = 0.0;
#pragma omp parallel num_threads(num_threads) reduction(+ : total) reduction(max : tmax)
    {
        fn(FMA_ITERS); /* warm up: wakes the vector unit to full width */
        double t0 = now_seconds(), t = 0.0, done = 0.0;
        do {
            done += fn(FMA_ITERS);
            t = now_seconds() - t0;
        } while (t < seconds);
        total += done;
        tmax = t;
    }
    return tmax > 0.0 ? total / tmax : 0.0;
}

int sepconv_probe_peak_flops(int num_threads, double seconds, int isa, double *flops,
                             int *isa_used) {
    if (!flops || num_threads < 1 || !(seconds > 0.0) || seconds > 600.0) return SEPCONV_EINVAL;
    if (isa < 0) isa = sepconv_best_isa();
    if (isa >= SEPCONV_ISA_COUNT) return SEPCONV_EINVAL;
    if (!sepconv_isa_supported(isa)) return SEPCONV_EISA;
    int used = isa;
    fma_fn fn = pick_fma(isa, &used);
    double best = 0.0;
    for (int trial = 0; trial < 3; trial++) {
        double r = fma_slice(fn, num_threads, seconds / 3.0);
        if (r > best) best = r;
    }
    *flops = best;
    if (isa_used) *isa_used = used;
    return SEPCONV_OK;
}

int sepconv_probe_copy_bandwidth(int num_threads, int64_t nbytes, int repeats,
                                 double *bytes_per_s) {
    if (!bytes_per_s || num_threads < 1 || repeats < 1 || nbytes < 4096) return SEPCONV_EINVAL;
    /* the streaming copy works in 256-byte blocks; each thread's block edge is
     * a multiple of 256 and so is the total, so every range is whole blocks */
    if ((uint64_t)nbytes > (uint64_t)SIZE_MAX / 2) return SEPCONV_EOVERFLOW;
    nbytes = nbytes / 256 * 256;
    /* Streaming stores and the C library's memcpy (which picks its own
     * strategy by size) take turns; the faster one sets the figure. */
    copy_fn copies[2] = {pick_copy(), copy_plain};
    char *src = NULL, *dst = NULL;
    if (posix_memalign((void **)&src, 64, (size_t)nbytes) != 0) return SEPCONV_ENOMEM;
    if (posix_memalign((void **)&dst, 64, (size_t)nbytes) != 0) { free(src); return SEPCONV_ENOMEM; }
    /* Each thread owns the same contiguous block in every pass: first touch
     * places its pages near it, and the copy of a block never crosses threads. */
    const int64_t chunk = (nbytes / num_threads + 255) / 256 * 256;
    double best = 0.0;
    for (int r = -1; r < 2 * repeats; r++) { /* pass -1 first-touches both buffers */
        copy_fn copy = copies[r & 1];
        double t0 = now_seconds();
#pragma omp parallel num_threads(num_threads)
        {
            int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
            int64_t lo = t * chunk, hi = (t == nt - 1) ? nbytes : lo + chunk;
            if (hi > nbytes) hi = nbytes;
            if (lo < hi) {
                if (r < 0) {
                    memset(src + lo, 1, (size_t)(hi - lo));
                    memset(dst + lo, 0, (size_t)(hi - lo));
                } else {
                    copy(dst + lo, src + lo, hi - lo);
                }
            }
        }
        double dt = now_seconds() - t0;
        if (r >= 0 && dt > 0.0 && 2.0 * (double)nbytes / dt > best) best = 2.0 * (double)nbytes / dt;
    }
    int ok = dst[nbytes - 1] == 1 && dst[0] == 1; /* the copy really happened */
    free(src);
    free(dst);
    if (!ok) return SEPCONV_EINVAL;
    *bytes_per_s = best;
    return SEPCONV_OK;
}
