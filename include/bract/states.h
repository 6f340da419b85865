/* bract/states.h: the statistics of a sequence of connectivity states, as
 * GIFT dFNC reports them (icatb_dfnc_statevector_stats.m).  The states
 * themselves come from k-means over the windows (bract/kmeans.h). */
#ifndef BRACT_STATES_H
#define BRACT_STATES_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"
#include "bract/progress.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Statistics of a state sequence seq[0..n-1] with states 0..k-1:
 *   fraction[j]   = #{t: seq_t = j} / n
 *   mean_dwell[j] = mean length of the runs of state j (0 if never visited)
 *   *transitions  = #{t: seq_{t+1} != seq_t}
 *   tm[i*k + j]   = #{t < n-1: seq_t = i, seq_{t+1} = j} / #{t < n-1: seq_t = i},
 *                   and tm[i*k + i] = 1 when that count is 0.
 * Any output may be NULL.  BRACT_EINVAL for a label >= k or n = 0. */
BRACT_API int bract_states_stats(const size_t *seq, size_t n, size_t k, double *fraction,
                                double *mean_dwell, size_t *transitions, double *tm);

#ifdef __cplusplus
}
#endif
#endif
