/* Roofline probe: the machine's measured FMA peak and copy bandwidth, so that
 * benchmark figures can be stated as a fraction of what this CPU can do. */
#ifndef SEPCONV_PROBE_H
#define SEPCONV_PROBE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Runs independent float32 FMA chains on num_threads threads for about
 * `seconds` (best of three slices) and stores the total FLOP/s (an FMA counts
 * as 2 FLOPs) in *flops.  isa is an enum sepconv_isa level, or -1 for the best
 * one this CPU supports; *isa_used (may be NULL) receives the level run.
 * Returns a sepconv_status code. */
int sepconv_probe_peak_flops(int num_threads, double seconds, int isa,
                             double *flops, int *isa_used);

/* Copies one buffer of nbytes into another on num_threads threads, `repeats`
 * times with streaming stores and `repeats` times with memcpy, and stores the
 * best rate in *bytes_per_s, counting every byte once as read and once as
 * written (2 * nbytes per copy, as STREAM does); streaming stores add no hidden
 * write-allocate traffic.  nbytes should be well above the last-level cache.
 * Returns a sepconv_status code. */
int sepconv_probe_copy_bandwidth(int num_threads, int64_t nbytes, int repeats,
                                 double *bytes_per_s);

#ifdef __cplusplus
}
#endif
#endif
