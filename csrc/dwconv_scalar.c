/* Portable depthwise family (float32 and float64), also the one used on
 * non-x86 machines.  The body is a template in dwconv_scalar_impl.h. */
#include "kernels.h"

#define DWS_CB 16 /* NHWC channels per accumulator block */


#define T float
#define SFX f32
#include "dwconv_scalar_impl.h"
#undef T
#undef SFX
const sepconv_dw_kernels_f32 sepconv_dw_scalar_f32 = {dws_size_f32, dws_pack_f32, dws_rows_f32};

#define T double
#define SFX f64
#include "dwconv_scalar_impl.h"
#undef T
#undef SFX
const sepconv_dw_kernels_f64 sepconv_dw_scalar_f64 = {dws_size_f64, dws_pack_f64, dws_rows_f64};
