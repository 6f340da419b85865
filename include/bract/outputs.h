/* bract/outputs.h: the names both sides of an output directory use.
 *
 * The commands write directories of files whose names and sidecar fields
 * the HTML report (libbract-figures) and the pipeline runner read back.
 * Naming each once here ties the writers to the readers: a renamed file
 * fails to compile instead of silently vanishing from the report.  Values
 * are string literals, so they concatenate ("dir/" BRACT_OUT_DFC_SUMMARY). */
#ifndef BRACT_OUTPUTS_H
#define BRACT_OUTPUTS_H

/* The "Command" field of a sidecar: the command (and action) that wrote it. */
#define BRACT_CMD_RSA "rsa"
#define BRACT_CMD_RDM_NEURAL "rdm neural"
#define BRACT_CMD_RDM_MODEL "rdm model"
#define BRACT_CMD_GROUP "group"
#define BRACT_CMD_SEARCHLIGHT "searchlight"
#define BRACT_CMD_DFC "dfc"
#define BRACT_CMD_TIMESCALE "timescale"
#define BRACT_CMD_TIMESCALE_HIERARCHY "timescale hierarchy"
#define BRACT_CMD_PLOT "plot"
#define BRACT_CMD_GLM "glm"

/* bract dfc -o DIR */
#define BRACT_OUT_DFC_WINDOWS "windows.npy"
#define BRACT_OUT_DFC_WINDOW_INFO "window_info.tsv"
#define BRACT_OUT_DFC_EDGE_MEAN "edge_mean.tsv"
#define BRACT_OUT_DFC_EDGE_STD "edge_std.tsv"
#define BRACT_OUT_DFC_REGIONS "regions.tsv"
#define BRACT_OUT_DFC_SUMMARY "summary.tsv"
#define BRACT_OUT_DFC_STATE_CENTROIDS "state_centroids.tsv"
#define BRACT_OUT_DFC_STATE_SEQUENCE "state_sequence.tsv"
#define BRACT_OUT_DFC_STATE_SUMMARY "state_summary.tsv"
#define BRACT_OUT_DFC_ELBOW "elbow.tsv"
#define BRACT_OUT_DFC_COMMUNITIES "communities.tsv"
#define BRACT_OUT_DFC_SURROGATE_TESTS "surrogate_tests.tsv"

/* bract timescale hierarchy -o DIR */
#define BRACT_OUT_HIER_REGIONS "regions.tsv"
#define BRACT_OUT_HIER_HIERARCHY "hierarchy.tsv"
#define BRACT_OUT_HIER_RELIABILITY "reliability.tsv"

/* bract group -o DIR */
#define BRACT_OUT_GROUP_MEAN "mean.nii.gz"
#define BRACT_OUT_GROUP_T "t.nii.gz"
#define BRACT_OUT_GROUP_P "p.nii.gz"
#define BRACT_OUT_GROUP_P_FDR "p_fdr.nii.gz"
#define BRACT_OUT_GROUP_P_FWE "p_fwe.nii.gz"
#define BRACT_OUT_GROUP_TFCE "tfce.nii.gz"
#define BRACT_OUT_GROUP_P_TFCE_FWE "p_tfce_fwe.nii.gz"
#define BRACT_OUT_GROUP_P_CLUSTER_FWE "p_cluster_fwe.nii.gz"
#define BRACT_OUT_GROUP_CLUSTERS "clusters.nii.gz"
#define BRACT_OUT_GROUP_CLUSTER_TABLE "clusters.tsv"
#define BRACT_OUT_GROUP_PERMUTATIONS "permutations.tsv"

/* bract glm -o DIR (the per-run designs are "design_run-<N>.tsv") */
#define BRACT_OUT_GLM_BETAS "betas.nii.gz"
#define BRACT_OUT_GLM_BETAS_TABLE "betas.tsv"
#define BRACT_OUT_GLM_RESIDUALS "residuals.nii.gz"
#define BRACT_OUT_GLM_DIAGNOSTICS "diagnostics.tsv"
/* ... with --denoise (bract/single.h); the per-run components are
 * "noise_components_run-<N>.tsv" */
#define BRACT_OUT_GLM_RELIABILITY "reliability.nii.gz"
#define BRACT_OUT_GLM_ONOFF_R2 "onoff_r2.nii.gz"
#define BRACT_OUT_GLM_CONDITION_R2 "condition_r2.nii.gz"
#define BRACT_OUT_GLM_HRF_INDEX "hrf_index.nii.gz"
#define BRACT_OUT_GLM_HRF_LIBRARY "hrf_library.tsv"
#define BRACT_OUT_GLM_NOISE_POOL "noise_pool.nii.gz"
#define BRACT_OUT_GLM_NOISE_PCS "noise_pcs.nii.gz"
#define BRACT_OUT_GLM_NOISE_CURVE "noise_pcs_cv.tsv"
#define BRACT_OUT_GLM_RIDGE_FRACTION "ridge_fraction.nii.gz"

#endif
