/* Thread-local scratch buffers, reused across calls so that the hot path does
 * not allocate.  A pthread key destructor frees them when a thread exits, so
 * short-lived Python threads do not leak. */
/* posix_memalign is POSIX, not C11: -std=c11 hides it without this (and
 * GCC 14 makes an implicit declaration an error) */
#define _POSIX_C_SOURCE 200112L
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include "kernels.h"

typedef struct scratch_set {
    void *buf[SEPCONV_SCRATCH_SLOTS];
    size_t cap[SEPCONV_SCRATCH_SLOTS];
} scratch_set;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_ok = 0;

static void scratch_free(void *ptr) {
    scratch_set *s = (scratch_set *)ptr;
    if (!s) return;
    for (int i = 0; i < SEPCONV_SCRATCH_SLOTS; i++) free(s->buf[i]);
    free(s);
}

static void scratch_init(void) { scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0; }

void *sepconv_scratch(int slot, size_t bytes) {
    pthread_once(&scratch_once, scratch_init);
    if (!scratch_key_ok || slot < 0 || slot >= SEPCONV_SCRATCH_SLOTS) return NULL;
    scratch_set *s = (scratch_set *)pthread_getspecific(scratch_key);
    if (!s) {
        s = (scratch_set *)calloc(1, sizeof(*s));
        if (!s || pthread_setspecific(scratch_key, s) != 0) { free(s); return NULL; }
    }
    if (bytes == 0) bytes = 64;
    if (s->cap[slot] < bytes) {
        /* grow geometrically so a sequence of growing shapes reallocates rarely */
        size_t want = s->cap[slot] * 2 > bytes ? s->cap[slot] * 2 : bytes;
        want = (want + 63) & ~(size_t)63;
        if (want < bytes) return NULL; /* overflow */
        void *p = NULL;
        if (posix_memalign(&p, 64, want) != 0) return NULL;
        free(s->buf[slot]);
        s->buf[slot] = p;
        s->cap[slot] = want;
    }
    return s->buf[slot];
}
