/* Timing helpers for the benchmarks (make bench).  Each benchmark prints its
 * figure next to a baseline measured in the same run, as a ratio, so that
 * numbers from different machines or loads can be compared. */
#ifndef BRACT_BENCHUTIL_H
#define BRACT_BENCHUTIL_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Run fn(arg) repeatedly for at least min_seconds (and at least once);
 * return the best time of one call, in seconds. */
static inline double bench_best(void (*fn)(void *), void *arg, double min_seconds)
{
    double best = 1e300, start = bench_now();
    do {
        double t0 = bench_now();
        fn(arg);
        double dt = bench_now() - t0;
        if (dt < best)
            best = dt;
    } while (bench_now() - start < min_seconds);
    return best;
}

/* "name: 0.0123 s; baseline (what): 0.0045 s; ratio 2.73" */
static inline void bench_report(const char *name, double seconds, const char *baseline_name,
                                double baseline_seconds)
{
    printf("%-44s %10.4g s   baseline %-34s %10.4g s   ratio %7.3g\n", name, seconds,
           baseline_name, baseline_seconds, seconds / baseline_seconds);
    fflush(stdout);
}

#endif
