/* Run-time choice of kernel family: CPU feature detection and the tables. */
#include <string.h>
#include "kernels.h"
#include "omp_compat.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#define SEPCONV_X86 1
#else
#define SEPCONV_X86 0
#endif

int sepconv_isa_supported(int isa) {
    switch (isa) {
    case SEPCONV_ISA_REF:
    case SEPCONV_ISA_SCALAR: return 1;
#if SEPCONV_X86 && (defined(__GNUC__) || defined(__clang__))
    case SEPCONV_ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SEPCONV_ISA_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") &&
               __builtin_cpu_supports("fma");
#endif
    default: return 0;
    }
}

int sepconv_best_isa(void) {
    for (int isa = SEPCONV_ISA_COUNT - 1; isa > SEPCONV_ISA_SCALAR; isa--)
        if (sepconv_isa_supported(isa)) return isa;
    return SEPCONV_ISA_SCALAR;
}

const char *sepconv_isa_name(int isa) {
    static const char *names[SEPCONV_ISA_COUNT] = {"ref", "scalar", "avx2", "avx512"};
    return isa >= 0 && isa < SEPCONV_ISA_COUNT ? names[isa] : "unknown";
}

int sepconv_openmp_enabled(void) { return SEPCONV_OPENMP_ENABLED; }
int sepconv_omp_max_threads(void) { return omp_get_max_threads(); }

const sepconv_dw_kernels_f32 *sepconv_dw_table_f32(int isa) {
    if (!sepconv_isa_supported(isa)) return NULL;
    switch (isa) {
    case SEPCONV_ISA_REF: return &sepconv_dw_ref_f32;
#if SEPCONV_X86
    case SEPCONV_ISA_AVX2: return &sepconv_dw_avx2_f32;
    case SEPCONV_ISA_AVX512: return &sepconv_dw_avx512_f32;
#endif
    default: return &sepconv_dw_scalar_f32;
    }
}

const sepconv_pw_kernels_f32 *sepconv_pw_table_f32(int isa) {
    if (!sepconv_isa_supported(isa)) return NULL;
    switch (isa) {
    case SEPCONV_ISA_REF: return &sepconv_pw_ref_f32;
#if SEPCONV_X86
    case SEPCONV_ISA_AVX2: return &sepconv_pw_avx2_f32;
    case SEPCONV_ISA_AVX512: return &sepconv_pw_avx512_f32;
#endif
    default: return &sepconv_pw_scalar_f32;
    }
}

/* float64: AVX-512 has its own families, AVX2 its own depthwise one; the
 * rest runs the portable family. */
const sepconv_dw_kernels_f64 *sepconv_dw_table_f64(int isa) {
    if (!sepconv_isa_supported(isa)) return NULL;
    switch (isa) {
    case SEPCONV_ISA_REF: return &sepconv_dw_ref_f64;
#if SEPCONV_X86
    case SEPCONV_ISA_AVX2: return &sepconv_dw_avx2_f64;
    case SEPCONV_ISA_AVX512: return &sepconv_dw_avx512_f64;
#endif
    default: return &sepconv_dw_scalar_f64;
    }
}

const sepconv_pw_kernels_f64 *sepconv_pw_table_f64(int isa) {
    if (!sepconv_isa_supported(isa)) return NULL;
    switch (isa) {
    case SEPCONV_ISA_REF: return &sepconv_pw_ref_f64;
#if SEPCONV_X86
    case SEPCONV_ISA_AVX512: return &sepconv_pw_avx512_f64;
#endif
    default: return &sepconv_pw_scalar_f64;
    }
}
