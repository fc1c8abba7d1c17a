/* The one OpenMP shim.  Nothing else includes omp.h. */
#ifndef SEPCONV_OMP_COMPAT_H
#define SEPCONV_OMP_COMPAT_H
#ifdef _OPENMP
#include <omp.h>
#define SEPCONV_OPENMP_ENABLED 1
#else
#define SEPCONV_OPENMP_ENABLED 0
static inline int omp_get_max_threads(void) { return 1; }
static inline int omp_get_thread_num(void) { return 0; }
static inline int omp_get_num_threads(void) { return 1; }
#endif
#endif
