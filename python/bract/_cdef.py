"""The C declarations the bindings use, in one place.

Every function, struct and enum of libbract that the Python package calls
is declared here, copied from include/bract/*.h.  A renamed library function
is a change of its line here (and of its callers, which
tools/api_rename.py rewrites with the rest of the tree); a struct that gains
a field must gain it here too.  python/tests/test_abi.py compiles these
declarations against the headers, so a declaration that drifts from the
library fails `make check` instead of corrupting memory.
"""

CDEF = r"""
/* ---- error.h, core.h ---- */
enum {
    BRACT_OK = 0, BRACT_EINVAL = -1, BRACT_ENOMEM = -2, BRACT_EIO = -3, BRACT_EFORMAT = -4,
    BRACT_EDATA = -5, BRACT_EEXIST = -6, BRACT_ENUMERIC = -7, BRACT_EMPI = -8
};
const char *bract_last_error(void);
const char *bract_strerror(int status);
void bract_clear_error(void);
size_t bract_take_warnings(const char *const **msgs);
const char *bract_version(void);
const char *bract_build_info(void);
void bract_init(void);
int bract_set_threads(int n);
int bract_get_threads(void);

/* ---- progress.h ---- */
typedef void (*bract_progress_fn)(void *ctx, size_t done, size_t total);
typedef struct {
    bract_progress_fn fn;
    void *ctx;
} bract_progress;

/* ---- volume.h ---- */
enum { BRACT_F32 = 1, BRACT_F64 = 2 };
typedef struct bract_volume {
    char *path;
    int nifti_version;
    int compressed;
    int ndim;
    int64_t nx, ny, nz, nt;
    size_t nvox;
    double vox_mm[3];
    double tr;
    int datatype;
    double scl_slope, scl_inter;
    int scaled;
    int intent_code;
    double intent_p[3];
    char intent_name[17];
    char descrip[81];
    int qform_code, sform_code;
    double qform[4][4], sform[4][4];
    double affine[4][4];
    int storage;
    void *data;
    void *priv;
} bract_volume;
int bract_volume_read(const char *path, unsigned flags, bract_volume **out);
void bract_volume_free(bract_volume *v);
int bract_volume_new(const int64_t dims[4], const double vox_mm[3],
                     const double affine[4][4], double tr, int storage,
                     bract_volume **out);
typedef struct {
    int64_t nx, ny, nz;
    size_t n;
    size_t *index;
} bract_mask;
int bract_mask_read(const char *path, bract_mask **out, bract_volume **geom);
void bract_mask_free(bract_mask *m);
typedef struct {
    int64_t nx, ny, nz;
    size_t nregions;
    int *label;
    char **name;
    size_t *nvox;
    size_t **voxels;
} bract_atlas;
int bract_atlas_read(const char *path, const char *labels_tsv, const bract_mask *mask,
                     bract_atlas **out, bract_volume **geom);
void bract_atlas_free(bract_atlas *a);

/* ---- rdm.h ---- */
typedef enum { BRACT_ORDER_FIRST = 0, BRACT_ORDER_SORTED = 1 } bract_rdm_design_order;
typedef struct {
    size_t nvol;
    size_t ncond;
    char **cond;
    int has_run;
    size_t nrun;
    char **run;
    size_t nobs;
    size_t *obs_cond;
    size_t *obs_run;
    size_t *obs_nvol;
    long *vol_obs;
    size_t *vol_run;
    size_t nexcluded;
} bract_rdm_design;
typedef struct {
    bract_rdm_design_order order;
    const char *const *exclude;
    size_t nexclude;
} bract_rdm_design_opts;
int bract_rdm_design_from_labels(const char *const *cond, const char *const *run,
                                 size_t nvol, const bract_rdm_design_opts *o,
                                 bract_rdm_design **out);
int bract_rdm_design_read(const char *path, const bract_rdm_design_opts *o,
                          bract_rdm_design **out);
void bract_rdm_design_free(bract_rdm_design *d);
typedef enum {
    BRACT_RDM_EUCLIDEAN = 0, BRACT_RDM_CORRELATION = 1, BRACT_RDM_COSINE = 2,
    BRACT_RDM_MAHALANOBIS = 3, BRACT_RDM_CROSSNOBIS = 4
} bract_rdm_method;
typedef enum {
    BRACT_NOISE_SHRINKAGE_DIAG = 0, BRACT_NOISE_SHRINKAGE_EYE = 1, BRACT_NOISE_DIAG = 2,
    BRACT_NOISE_FULL = 3, BRACT_NOISE_IDENTITY = 4
} bract_rdm_noise_method;
typedef enum { BRACT_DOF_CORRECT = 0, BRACT_DOF_RSATOOLBOX = 1 } bract_dof_rule;
typedef struct {
    bract_rdm_method method;
    int plain;
    bract_rdm_noise_method noise;
    bract_dof_rule dof_rule;
    double noise_dof;
    int precision_given;
} bract_rdm_opts;
const char *bract_rdm_method_name(bract_rdm_method m);
int bract_rdm_method_parse(const char *name, bract_rdm_method *out);
int bract_rdm_noise_method_parse(const char *name, bract_rdm_noise_method *out);
const char *bract_rdm_measure_name(const bract_rdm_opts *o);
int bract_rdm_needs_noise(const bract_rdm_opts *o);
typedef struct bract_rdm_plan bract_rdm_plan;
typedef struct bract_rdm_ws bract_rdm_ws;
int bract_rdm_plan_new(const bract_rdm_design *d, const bract_rdm_opts *o, size_t max_vox,
                       size_t max_res, bract_rdm_plan **out);
void bract_rdm_plan_free(bract_rdm_plan *p);
int bract_rdm_ws_new(const bract_rdm_plan *p, bract_rdm_ws **out);
void bract_rdm_ws_free(bract_rdm_ws *w);
typedef struct {
    const double *resid;
    size_t ldr, nres;
    const double *prec;
    size_t ldp;
} bract_rdm_noise;
typedef struct {
    double shrinkage;
    double dof;
    size_t nres;
    size_t nnan;
} bract_rdm_info;
int bract_rdm_compute(const bract_rdm_plan *p, bract_rdm_ws *w, const double *x,
                      size_t ldx, size_t nvox, const bract_rdm_noise *noise,
                      double *d, bract_rdm_info *info);

/* ---- rdmset.h ---- */
typedef struct {
    char *name;
    size_t n;
    char **cond;
    double *d;
} bract_rdm;
typedef struct {
    size_t nrdm;
    bract_rdm *rdm;
    char *measure;
} bract_rdmset;
int bract_rdmset_new(size_t nrdm, bract_rdmset **out);
int bract_rdmset_init_rdm(bract_rdmset *s, size_t k, const char *name, size_t n,
                          const char *const *cond);
void bract_rdmset_free(bract_rdmset *s);
int bract_rdmset_set_measure(bract_rdmset *s, const char *measure);
int bract_rdmset_read(const char *path, bract_rdmset **out);
int bract_rdmset_write(const bract_rdmset *s, const char *path, int force);

/* ---- patterns.h ---- */
typedef struct {
    char *name;
    size_t nobs, nvox;
    double *x;
    size_t *voxel;
    size_t nres;
    double *res;
    size_t nvox_region;
    size_t dropped_nonfinite;
    size_t dropped_constant;
} bract_patterns;
typedef struct {
    size_t nregions;
    bract_patterns *region;
    size_t nskipped;
    char **skipped;
    size_t nfeatures;
    char **feature;
} bract_patterns_set;
typedef struct {
    int demean_runs;
    size_t min_voxels;
    int skip_small;
} bract_patterns_opts;
int bract_patterns_from_volumes(const char *const *paths, size_t npaths,
                                const bract_rdm_design *d, const bract_atlas *regions,
                                const bract_volume *geom,
                                const char *const *noise_paths, size_t nnoise,
                                const bract_patterns_opts *o, const bract_progress *prog,
                                bract_patterns_set **out);
int bract_patterns_from_matrix(const double *x, size_t ldx, size_t ncol,
                               const bract_rdm_design *d, const double *res,
                               size_t ldr, size_t nres, const size_t *voxel,
                               const char *name, const bract_patterns_opts *o,
                               bract_patterns_set **out);
void bract_patterns_set_free(bract_patterns_set *s);
int bract_patterns_rdms(const bract_rdm_design *d, const bract_patterns_set *s,
                        const bract_rdm_opts *o, const bract_progress *prog,
                        bract_rdmset **out, bract_rdm_info *info);
int bract_atlas_from_mask(const bract_mask *m, const char *name, bract_atlas **out);

/* ---- embed.h ---- */
typedef enum {
    BRACT_EMB_AUTO = 0, BRACT_EMB_WORD2VEC = 1, BRACT_EMB_WORD2VEC_BIN = 2,
    BRACT_EMB_GLOVE = 3, BRACT_EMB_TSV = 4
} bract_embed_format;
const char *bract_embed_format_name(bract_embed_format f);
int bract_embed_format_parse(const char *name, bract_embed_format *out);
typedef struct {
    bract_embed_format format;
    int lowercase;
} bract_embed_opts;
typedef struct {
    size_t nwords;
    char **word;
    size_t dim;
    double *vec;
    unsigned char *found;
    size_t nmissing;
    size_t nentries;
    size_t nduplicates;
    bract_embed_format format;
} bract_embedding;
int bract_embed_lookup(const char *path, const char *const *words, size_t n,
                       const bract_embed_opts *o, bract_embedding **out);
void bract_embed_free(bract_embedding *e);
int bract_embed_rdm(const bract_embedding *e, const bract_rdm_opts *o, const char *name,
                    bract_rdmset **out, size_t *nnan);

/* ---- stats.h, compare.h ---- */
typedef enum {
    BRACT_ALT_TWO_SIDED = 0, BRACT_ALT_GREATER = 1, BRACT_ALT_LESS = 2
} bract_stats_alternative;
int bract_stats_alternative_parse(const char *s, bract_stats_alternative *out);
typedef enum {
    BRACT_CMP_SPEARMAN = 0, BRACT_CMP_PEARSON, BRACT_CMP_KENDALL, BRACT_CMP_TAU_A,
    BRACT_CMP_RHO_A, BRACT_CMP_COSINE, BRACT_CMP_CORR_COV, BRACT_CMP_COSINE_COV
} bract_compare_method;
const char *bract_compare_method_name(bract_compare_method m);
int bract_compare_method_parse(const char *s, bract_compare_method *m);
typedef enum { BRACT_NAN_MATCH = 0, BRACT_NAN_MODEL_MASK = 1 } bract_compare_nan;
int bract_compare_nan_parse(const char *s, bract_compare_nan *out);
typedef enum {
    BRACT_PARTIAL_NONE = 0, BRACT_PARTIAL_CONTROLS = 1, BRACT_PARTIAL_OTHERS = 2
} bract_partial;
typedef struct {
    bract_compare_method method;
    bract_partial partial;
    bract_compare_nan nan_policy;
} bract_compare_opts;
int bract_compare_vectors(bract_compare_method method, size_t n, const double *x,
                          const double *y, double *r);
int bract_compare_noise_ceiling(bract_compare_method method, size_t n, size_t nsubj,
                                const double *const *rdms, const unsigned char *mask,
                                double *lower, double *upper);

/* ---- rsa.h ---- */
typedef enum {
    BRACT_GROUP_T = 0, BRACT_GROUP_WILCOXON = 1, BRACT_GROUP_SIGNFLIP = 2
} bract_rsa_group_test;
int bract_rsa_group_test_parse(const char *s, bract_rsa_group_test *out);
typedef struct {
    size_t nsubjects;
    const char *const *subject_names;
    const char *const *subject_files;
    const bract_rdmset *const *neural;
    size_t nmodels;
    const bract_rdm *const *models;
    const char *const *model_names;
    const char *const *model_files;
    size_t ncontrols;
    const bract_rdm *const *controls;
    const char *const *control_files;
} bract_rsa_input;
typedef struct {
    bract_compare_method method;
    bract_partial partial;
    bract_compare_nan nan_policy;
    int common_conditions;
    size_t permutations;
    size_t bootstrap;
    double ci_level;
    bract_stats_alternative alternative;
    int group;
    bract_rsa_group_test group_test;
    size_t group_permutations;
    int fisher;
    int pairwise;
    uint64_t seed;
    const bract_progress *progress;
    int allow_negative;
} bract_rsa_opts;
void bract_rsa_opts_defaults(bract_rsa_opts *o);
enum { BRACT_RSA_SUBJECT = 0, BRACT_RSA_GROUP = 1 };
typedef struct {
    int level;
    size_t subject;
    size_t region;
    size_t model;
    size_t model_b;
    size_t nsubjects;
    size_t npairs;
    double r;
    double z;
    const char *test;
    double stat;
    double df;
    double p, p_fdr;
    double ci_low, ci_high;
    double noise_lower, noise_upper;
    size_t nsamples;
} bract_rsa_row;
typedef struct {
    size_t nrows;
    bract_rsa_row *rows;
    size_t nregions, nmodels, nsubjects;
    char **regions;
    char **models;
    char **subjects;
    size_t nconditions;
    size_t excluded;
} bract_rsa_result;
int bract_rsa_run(const bract_rsa_input *in, const bract_rsa_opts *opts,
                  bract_rsa_result **out);
void bract_rsa_result_free(bract_rsa_result *r);

/* ---- searchlight.h ---- */
typedef struct {
    double radius_mm;
    int strict;
    size_t nvoxels;
    int keep_outside;
    size_t min_voxels;
    double min_proportion;
} bract_searchlight_opts;
typedef struct bract_searchlight bract_searchlight;
int bract_searchlight_new(const bract_mask *mask, const bract_volume *geom,
                          const bract_searchlight_opts *o, bract_searchlight **out);
void bract_searchlight_free(bract_searchlight *s);
const size_t *bract_searchlight_data_voxels(const bract_searchlight *s, size_t *n);
int bract_searchlight_set_columns(bract_searchlight *s, const size_t *voxel, size_t n);
size_t bract_searchlight_ncentres(const bract_searchlight *s);
const size_t *bract_searchlight_centres(const bract_searchlight *s);
const uint32_t *bract_searchlight_sizes(const bract_searchlight *s);
size_t bract_searchlight_full_size(const bract_searchlight *s);
typedef struct bract_searchlight_models bract_searchlight_models;
int bract_searchlight_models_new(const bract_rdm_design *d, size_t nmodels,
                                 const bract_rdm *const *models, const char *const *model_files,
                                 size_t ncontrols, const bract_rdm *const *controls,
                                 const char *const *control_files, const bract_compare_opts *o,
                                 bract_searchlight_models **out);
void bract_searchlight_models_free(bract_searchlight_models *m);
typedef struct {
    const bract_rdm_design *design;
    bract_rdm_opts rdm;
    const double *x;
    size_t ldx;
    const double *res;
    size_t ldr, nres;
    const bract_searchlight_models *models;
} bract_searchlight_input;
enum { BRACT_SL_OK = 0, BRACT_SL_LEFT_OUT = 1, BRACT_SL_FAILED = 2, BRACT_SL_UNDEFINED = 3 };
typedef struct {
    size_t centre;
    char message[512];
} bract_searchlight_failure;
int bract_searchlight_run(const bract_searchlight *s, const bract_searchlight_input *in,
                          size_t c0, size_t c1, double *values, unsigned char *status,
                          bract_searchlight_failure *fail, const bract_progress *prog);

/* ---- tseries.h, clean.h ---- */
typedef struct {
    size_t nt;
    size_t nreg;
    char **name;
    double *x;
    double tr;
} bract_tseries;
int bract_tseries_new(size_t nt, size_t nreg, bract_tseries **out);
int bract_tseries_read(const char *path, double tr, bract_tseries **out);
void bract_tseries_free(bract_tseries *ts);
typedef enum {
    BRACT_STANDARDIZE_NONE = 0, BRACT_STANDARDIZE_ZSCORE = 1,
    BRACT_STANDARDIZE_ZSCORE_POP = 2, BRACT_STANDARDIZE_PSC = 3
} bract_clean_standardize;
int bract_clean_standardize_parse(const char *s, bract_clean_standardize *out);
int bract_clean_detrend_parse(const char *s, int *order);
typedef struct {
    int detrend;
    double low_pass;
    double high_pass;
    int filter_order;
    double tr;
    bract_clean_standardize standardize;
    int standardize_confounds;
    int keep_mean;
    int extrapolate;
} bract_clean_opts;
void bract_clean_opts_defaults(bract_clean_opts *o);
typedef struct bract_clean_plan bract_clean_plan;
int bract_clean_plan_new(const bract_clean_opts *o, size_t nt, const size_t *run_len,
                         size_t nruns, const double *confounds, size_t nconf,
                         const unsigned char *keep, bract_clean_plan **out);
void bract_clean_plan_free(bract_clean_plan *p);
size_t bract_clean_plan_nt_out(const bract_clean_plan *p);
size_t bract_clean_plan_out_index(const bract_clean_plan *p, size_t i);
size_t bract_clean_plan_confound_rank(const bract_clean_plan *p);
typedef struct {
    size_t nonfinite;
    size_t constant;
    size_t zero_mean;
} bract_clean_counts;
int bract_clean_tseries(const bract_clean_plan *p, bract_tseries *ts, bract_clean_counts *counts);
int bract_clean_volume(const bract_clean_plan *p, const bract_volume *in,
                       const bract_mask *mask, bract_volume **out,
                       bract_clean_counts *counts, size_t *nvox_cleaned,
                       const bract_progress *progress);
int bract_clean_confounds_read(const char *path, const char *const *patterns, size_t npat,
                               double **x, size_t *nrows, size_t *ncols, char ***names,
                               size_t *nfilled);
void bract_clean_confounds_free(double *x, char **names, size_t ncols);

/* ---- dfc.h, kmeans.h, states.h ---- */
typedef enum { BRACT_WINDOW_RECT = 0, BRACT_WINDOW_GAUSSIAN = 1, BRACT_WINDOW_GIFT = 2 }
    bract_dfc_window;
int bract_dfc_window_parse(const char *s, bract_dfc_window *out);
typedef enum {
    BRACT_FC_PEARSON = 0, BRACT_FC_LEDOIT_WOLF = 1, BRACT_FC_GLASSO = 2,
    BRACT_FC_GLASSO_PARTIAL = 3
} bract_dfc_estimator;
int bract_dfc_estimator_parse(const char *s, bract_dfc_estimator *out);
typedef struct {
    bract_dfc_window window_type;
    size_t window;
    size_t step;
    double sigma;
    double alpha;
    bract_dfc_estimator estimator;
    double lambda;
    int fisher;
    size_t block;
} bract_dfc_opts;
void bract_dfc_opts_defaults(bract_dfc_opts *p);
typedef struct bract_dfc_plan bract_dfc_plan;
int bract_dfc_plan_new(size_t nt, size_t nreg, const bract_dfc_opts *p, bract_dfc_plan **out);
void bract_dfc_plan_free(bract_dfc_plan *plan);
size_t bract_dfc_nwindows(const bract_dfc_plan *plan);
size_t bract_dfc_npairs(const bract_dfc_plan *plan);
void bract_dfc_window_span(const bract_dfc_plan *plan, size_t k, size_t *first, size_t *last);
typedef int (*bract_dfc_sink)(void *ctx, size_t k, const double *fc);
int bract_dfc_run(const bract_dfc_plan *plan, const double *x, const char *const *names,
                  bract_dfc_sink sink, void *ctx, const bract_progress *progress);
typedef struct bract_dfc_stats bract_dfc_stats;
int bract_dfc_stats_new(size_t nreg, bract_dfc_stats **out);
void bract_dfc_stats_free(bract_dfc_stats *s);
void bract_dfc_stats_add(bract_dfc_stats *s, const double *fc, double *wmean, double *wsd);
double bract_dfc_stats_result(const bract_dfc_stats *s, double *edge_mean, double *edge_sd,
                              double *strength_mean, double *strength_sd,
                              double *edge_sd_mean);
size_t bract_dfc_bad_regions(const double *x, size_t nt, size_t nreg,
                             const char *const *names, unsigned char *bad);
typedef enum { BRACT_DIST_L2 = 0, BRACT_DIST_L1 = 1 } bract_kmeans_metric;
int bract_kmeans_metric_parse(const char *s, bract_kmeans_metric *out);
typedef struct {
    size_t k;
    bract_kmeans_metric distance;
    size_t restarts;
    size_t max_iter;
    uint64_t seed;
} bract_kmeans_opts;
void bract_kmeans_opts_defaults(bract_kmeans_opts *p);
typedef struct {
    size_t n, dim, k;
    double *centroid;
    size_t *label;
    double *dist;
    size_t *count;
    double objective;
    size_t iterations;
    size_t restart;
    int converged;
} bract_kmeans_result;
int bract_kmeans(const float *x, size_t n, size_t dim, const bract_kmeans_opts *p,
                 bract_kmeans_result **out, const bract_progress *progress);
void bract_kmeans_result_free(bract_kmeans_result *r);
typedef struct {
    size_t kmin, kmax, m;
    double *objective;
    double *ratio;
    double breakpoint;
    size_t k;
} bract_kmeans_elbow_result;
int bract_kmeans_elbow(const float *x, size_t n, size_t dim, const bract_kmeans_opts *p,
                       size_t kmin, size_t kmax, bract_kmeans_elbow_result **out,
                       const bract_progress *progress);
void bract_kmeans_elbow_result_free(bract_kmeans_elbow_result *r);
int bract_states_stats(const size_t *seq, size_t n, size_t k, double *fraction,
                       double *mean_dwell, size_t *transitions, double *tm);

/* ---- acf.h, timescale.h ---- */
typedef enum { BRACT_ACF_BIASED = 0, BRACT_ACF_ADJUSTED = 1 } bract_acf_norm;
typedef enum {
    BRACT_TAU_EXP = 0, BRACT_TAU_EXP_OFFSET_FREE = 1, BRACT_TAU_INTEGRAL = 2,
    BRACT_TAU_EFOLD = 3, BRACT_TAU_AR1 = 4, BRACT_TAU_KNEE = 5
} bract_timescale_method;
const char *bract_timescale_method_name(bract_timescale_method method);
int bract_timescale_method_parse(const char *s, bract_timescale_method *out);
char *bract_timescale_flags_string(unsigned flags, char *buf, size_t n);
typedef struct {
    bract_timescale_method method;
    bract_acf_norm acf_norm;
    double tr;
    size_t max_lag;
    size_t min_lag;
    size_t welch_segment;
    double knee_exponent;
    int knee_plain_axis;
    double knee_fmax;
    size_t bootstrap;
    int bias_correct;
    int boot_offset;
    uint64_t seed;
} bract_timescale_opts;
void bract_timescale_opts_defaults(bract_timescale_opts *o);
typedef struct {
    double tau_s;
    double se_s;
    double r2;
    double rmse;
    double tau_raw_s;
    double bias_s;
    double amplitude;
    double offset;
    double knee_hz;
    double exponent;
    double rho1;
    size_t lags_summed;
    size_t boot_ok;
    unsigned flags;
} bract_timescale_result;
typedef struct bract_timescale_plan bract_timescale_plan;
int bract_timescale_plan_new(size_t nt, const bract_timescale_opts *o,
                             bract_timescale_plan **out);
void bract_timescale_plan_free(bract_timescale_plan *p);
const bract_timescale_opts *bract_timescale_plan_opts(const bract_timescale_plan *p);
typedef void (*bract_series_fn)(void *ctx, size_t i, double *out);
int bract_timescale_run(const bract_timescale_plan *p, size_t n, bract_series_fn get, void *ctx,
                        bract_timescale_result *res, double *acf, const bract_progress *prog);

/* ---- events.h, nuisance.h, hrf.h, glm.h ---- */
typedef struct {
    double onset, duration;
    char *label;
    size_t line;
    double modulation;
} bract_event;
typedef struct {
    char *path;
    size_t n;
    bract_event *ev;
    size_t nskipped;
} bract_events;
int bract_events_read(const char *path, const char *column, bract_events **out);
void bract_events_free(bract_events *e);
typedef enum {
    BRACT_NUISANCE_MOTION6 = 0, BRACT_NUISANCE_MOTION24 = 1, BRACT_NUISANCE_WM_CSF = 2,
    BRACT_NUISANCE_GLOBAL = 3, BRACT_NUISANCE_ACOMPCOR = 4, BRACT_NUISANCE_SCRUB = 5
} bract_nuisance_strategy;
int bract_nuisance_strategy_parse(const char *s, bract_nuisance_strategy *out);
typedef struct {
    const char *const *columns;
    size_t ncolumns;
    const bract_nuisance_strategy *strategies;
    size_t nstrategies;
    int demean;
    double fd_threshold;
    double std_dvars_threshold;
    size_t scrub_segment;
    size_t n_compcor;
} bract_nuisance_opts;
void bract_nuisance_opts_defaults(bract_nuisance_opts *o);
typedef struct {
    char *path;
    size_t nrows;
    size_t ncols;
    char **name;
    double *x;
    unsigned char *keep;
    size_t nkept;
    size_t nfilled;
    char **filled;
    int demeaned;
} bract_nuisance;
int bract_nuisance_new(const char *path, const bract_nuisance_opts *o, bract_nuisance **out);
void bract_nuisance_free(bract_nuisance *c);
typedef enum {
    BRACT_HRF_GLOVER = 0, BRACT_HRF_SPM = 1, BRACT_HRF_GLOVER_DERIVATIVE = 2,
    BRACT_HRF_SPM_DERIVATIVE = 3, BRACT_HRF_GLOVER_DERIVATIVE_DISPERSION = 4,
    BRACT_HRF_SPM_DERIVATIVE_DISPERSION = 5, BRACT_HRF_FIR = 6
} bract_hrf_model;
int bract_hrf_model_parse(const char *s, bract_hrf_model *out);
size_t bract_hrf_nbasis(bract_hrf_model m, size_t nfir);
typedef struct {
    bract_hrf_model model;
    const int *fir_delays;
    size_t nfir;
    int oversampling;
    double min_onset;
} bract_hrf_opts;
typedef enum {
    BRACT_GLM_DRIFT_COSINE = 0, BRACT_GLM_DRIFT_POLYNOMIAL = 1, BRACT_GLM_DRIFT_NONE = 2
} bract_glm_drift;
typedef enum { BRACT_GLM_NOISE_AR1 = 0, BRACT_GLM_NOISE_OLS = 1 } bract_glm_noise;
typedef enum {
    BRACT_GLM_TRIALS_NONE = 0, BRACT_GLM_TRIALS_LSA = 1, BRACT_GLM_TRIALS_LSS = 2
} bract_glm_trials;
int bract_glm_drift_parse(const char *s, bract_glm_drift *out);
int bract_glm_noise_parse(const char *s, bract_glm_noise *out);
int bract_glm_trials_parse(const char *s, bract_glm_trials *out);
typedef struct {
    bract_hrf_opts hrf;
    bract_glm_drift drift;
    double high_pass;
    int drift_order;
    double slice_time_ref;
} bract_glm_design_opts;
void bract_glm_design_opts_defaults(bract_glm_design_opts *o);
typedef enum {
    BRACT_GLM_COL_TASK = 0, BRACT_GLM_COL_CONFOUND = 1, BRACT_GLM_COL_DRIFT = 2,
    BRACT_GLM_COL_CONSTANT = 3
} bract_glm_column_kind;
typedef struct {
    size_t nvol;
    size_t nrow;
    size_t ncol;
    double tr;
    double *frame_times;
    size_t *row_volume;
    char **name;
    bract_glm_column_kind *kind;
    double *x;
    size_t ncond;
    char **cond;
    size_t nbasis;
    size_t *cond_nevents;
} bract_glm_design;
int bract_glm_design_new(const bract_events *ev, size_t nvol, double tr,
                         const bract_nuisance *conf, const bract_glm_design_opts *o,
                         bract_glm_design **out);
void bract_glm_design_free(bract_glm_design *d);
long bract_glm_design_find(const bract_glm_design *d, const char *name);
int bract_glm_events_trialwise(const bract_events *ev, bract_events **out);
typedef struct {
    bract_glm_noise noise;
    int ar_bins;
    size_t block;
    int keep_residuals;
} bract_glm_fit_opts;
void bract_glm_fit_opts_defaults(bract_glm_fit_opts *o);
typedef struct {
    size_t nvox, ncol, nrow;
    double *beta;
    double *sigma2;
    int *bin;
    int bins;
    size_t nmodels;
    int *model_bin;
    double *model_cov;
    size_t *voxel_model;
    double dof;
    float *resid;
    unsigned char *bad;
    size_t nbad_nonfinite, nbad_constant;
} bract_glm_fit;
int bract_glm_fit_new(const bract_glm_design *d, const float *y, size_t ldy,
                      size_t nvox, const bract_glm_fit_opts *o,
                      const bract_progress *prog, bract_glm_fit **out);
void bract_glm_fit_free(bract_glm_fit *f);
typedef enum { BRACT_GLM_STAT_T = 0, BRACT_GLM_STAT_F = 1 } bract_glm_stat;
typedef struct {
    bract_glm_stat stat;
    size_t dim;
    size_t nvox;
    double dof;
    size_t nruns;
    double *effect;
    double *variance;
    double *value;
    double *p;
    double *z;
} bract_glm_contrast;
int bract_glm_contrast_new(const bract_glm_design *const *designs,
                           const bract_glm_fit *const *fits, size_t nruns,
                           const char *const *exprs, size_t nexpr,
                           bract_glm_stat stat, bract_glm_contrast **out);
void bract_glm_contrast_free(bract_glm_contrast *c);
int bract_glm_lss(const bract_events *ev, size_t nvol, double tr,
                  const bract_nuisance *conf, const bract_glm_design_opts *dopts,
                  const float *y, size_t ldy, size_t nvox,
                  const bract_glm_fit_opts *fopts, const bract_progress *prog,
                  double **betas);
int bract_glm_load_data(const char *path, const bract_mask *mask,
                        const bract_volume *geom, float **y, size_t *nvol,
                        bract_volume **hdr);
int bract_glm_run_tr(const char *bold_path, double header_tr, double given, double *tr);
int bract_glm_residual_dof(const char *const *paths, size_t n, double *dof);

/* ---- the C library's free() and strdup(), for memory bract owns ---- */
void free(void *p);
char *strdup(const char *s);
"""
