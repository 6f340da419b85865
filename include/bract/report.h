/* bract/report.h: one self-contained HTML page summarising an output root.
 *
 * bract_report_build() walks a directory of bract outputs (a pipeline's
 * output root, or any directory where bract commands wrote their files),
 * reads every JSON sidecar and finds the results by the "Command" each
 * sidecar records, not by file names, so any layout works:
 *
 *   rsa                  results table (group rows first), bars with the
 *                        noise ceiling, pairwise model comparisons;
 *                        heatmaps and MDS of the model RDMs and of the
 *                        subjects' mean neural RDMs (the RDM sets named in
 *                        its sidecar, or those of rdm neural / rdm model)
 *   glm                  a row per bract glm output directory (runs, voxels,
 *                        betas, residual dof, exclusions, model) and the
 *                        design matrices of the first one's runs
 *   group, searchlight   maps over a background (thresholded at the
 *                        family-wise error level), voxel counts per
 *                        correction, the cluster table
 *   dfc                  state matrices with fractions and dwell times,
 *                        the per-state and per-subject summaries
 *   timescale [hierarchy]  timescales per region and subject; the scatter
 *                        of timescale against the hierarchy index with the
 *                        fitted line, hierarchy, reliability and region
 *                        tables
 *   every command        its command line, parameters, inputs, counts of
 *                        excluded voxels, regions or words, and wall time,
 *                        folded in <details> elements
 *
 * The page starts with a summary (what was run, what came out significant)
 * and a table of contents.  Figures are PNG (bract/plot.h) embedded as
 * base64 data; the CSS is inline; there are no scripts and no references
 * to other files or to the network.  A section whose files are malformed
 * or missing shows a note saying what is wrong (and queues a warning)
 * instead of failing the report. */
#ifndef BRACT_REPORT_H
#define BRACT_REPORT_H

#include <stddef.h>

#include "bract/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *title;      /* page title; NULL: "bract report: <directory name>" */
    const char *background; /* NIfTI drawn under maps (a T1 or a mask on the maps'
                               grid); NULL: the mask a group run records, if any */
    double alpha;           /* significance level of the summary, tables and
                               thresholded maps [0.05] */
    double dpi;             /* figure resolution, pixels per inch [144] */
    size_t max_rdms;        /* neural RDM heatmaps per RSA run (regions with the
                               largest group r first) [12]; MDS plots: a third */
    size_t max_rows;        /* table rows shown before the rest is folded [40] */
} bract_report_opts;

BRACT_API void bract_report_opts_defaults(bract_report_opts *o);

/* What went into a report. */
typedef struct {
    size_t sidecars;   /* bract sidecars read */
    size_t runs;       /* command runs they describe */
    size_t sections;   /* sections with content (the summary and contents not counted) */
    size_t figures;    /* figures embedded */
    size_t notes;      /* problems shown in the page instead of content (each
                          also queued as a warning) */
} bract_report_info;

/* Build the report of the outputs under `dir`.  On success *html is the
 * NUL-terminated page (*len bytes without the NUL), owned by the caller
 * (free()).  info may be NULL.  Errors: `dir` is not a readable directory
 * (BRACT_EIO), or holds no bract sidecar (BRACT_EDATA, naming it); a
 * section that cannot be shown is not an error. */
BRACT_API int bract_report_build(const char *dir, const bract_report_opts *opts, char **html,
                                 size_t *len, bract_report_info *info);

#ifdef __cplusplus
}
#endif
#endif
