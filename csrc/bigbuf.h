/* Large output buffers.  Each is aligned to 2 MiB and asks for transparent
 * huge pages, so that a buffer recycled by the output cache (_kernels.pyx)
 * keeps its pages faulted in instead of being zeroed again by the kernel on
 * every call. */
#ifndef SEPCONV_BIGBUF_H
#define SEPCONV_BIGBUF_H

#include <stddef.h>

#define SEPCONV_BIGBUF_ALIGN ((size_t)2 << 20)

/* NULL when the memory cannot be had. */
void *sepconv_bigbuf_alloc(size_t bytes);
void sepconv_bigbuf_free(void *ptr);

#endif
