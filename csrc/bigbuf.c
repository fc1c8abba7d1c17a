#define _GNU_SOURCE /* MADV_HUGEPAGE */
#include <stdlib.h>
#include "bigbuf.h"
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#endif

void *sepconv_bigbuf_alloc(size_t bytes) {
    if (bytes == 0) bytes = 1;
#ifdef _WIN32
    return _aligned_malloc(bytes, SEPCONV_BIGBUF_ALIGN);
#else
    void *p = NULL;
    if (posix_memalign(&p, SEPCONV_BIGBUF_ALIGN, bytes) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    /* advisory: where THP is off or unsupported, ordinary pages are used */
    (void)madvise(p, bytes / SEPCONV_BIGBUF_ALIGN * SEPCONV_BIGBUF_ALIGN, MADV_HUGEPAGE);
#endif
    return p;
#endif
}

void sepconv_bigbuf_free(void *ptr) {
#ifdef _WIN32
    _aligned_free(ptr);
#else
    free(ptr);
#endif
}
