/* Private helpers of the GLM modules (src/glm/); never installed. */
#ifndef BRACT_GLM_INTERNAL_H
#define BRACT_GLM_INTERNAL_H

#include "base/internal.h"

#include "bract/glm.h"

/* A large array (voxel data, betas, residuals): aligned to 2 MiB and, where
 * the kernel offers it, backed by transparent huge pages, so that first
 * touching it costs a few page faults instead of one per 4 KiB (page faults
 * dominated the fit's time on virtual machines: touching 120 MB took 0.5 s
 * in 4 KiB pages and 0.01 s in huge pages on the 2-core development VM).
 * Arrays under 1 MiB come from malloc.  Free with free(). */
void *bract_glmi_big_alloc(size_t n, size_t size, const char *what);
void *bract_glmi_big_calloc(size_t n, size_t size, const char *what); /* zeroed */

/* Voxel v's kept volumes (rows[r] of its series y + v * ldy, r < n; the
 * first n when rows is NULL) as double into row; 0 for usable data, 1 for
 * a non-finite value, 2 for a series constant over them. */
int bract_glmi_load_row(const float *y, size_t ldy, size_t v, const size_t *rows, size_t n,
                        double *row);

/* Moore-Penrose pseudo-inverse of X (n x p, row-major, n >= p) by SVD, as
 * scipy.linalg.pinv: singular values <= max(n, p) eps s_max are dropped.
 * pinv (p x n, row-major) may be NULL.  *rank, *smax, *smin receive the
 * rank and extreme singular values (each may be NULL).  Allocates its own
 * workspace; thread-safe. */
int bract_glmi_pinv(const double *X, size_t n, size_t p, double *pinv, size_t *rank, double *smax,
             double *smin);

/* An error (BRACT_EDATA) naming the columns of a rank-deficient X: the
 * columns that carry the null combination of the column-normalised X, or
 * the all-zero columns.  `what` prefixes the message (a file, a run). */
int bract_glmi_collinear_error(const double *X, size_t n, size_t p, const char *const *names,
                        const char *what);

/* The whitened copy W x of a series (AR(1), nilearn's ARModel.whiten):
 * w_0 = x_0, w_t = x_t - rho x_{t-1}.  x and w may not alias. */
static inline void bract_glmi_whiten(const double *x, size_t n, double rho, double *w)
{
    if (n == 0)
        return;
    w[0] = x[0];
    for (size_t t = 1; t < n; t++)
        w[t] = x[t] - rho * x[t - 1];
}

/* Yule-Walker AR(1) coefficient of residuals e (n values), nilearn's
 * _yule_walker with order 1 (the grand mean taken as 0). */
double bract_glmi_yule_walker(double s2, double l1, size_t n);

/* trunc(rho bins), nilearn's (rho * bins).astype(int). */
int bract_glmi_ar_bin(double rho, int bins);

/* A whitened model: W X, its pseudo-inverse and cov = pinv pinv'. */
typedef struct {
    int bin;
    double rho;
    double *wx;    /* nrow x ncol */
    double *pinv;  /* ncol x nrow */
    double *cov;   /* ncol x ncol */
} glm_model;

int bract_glmi_model_init(glm_model *m, const double *X, size_t n, size_t p, int bin, int bins);
void bract_glmi_model_clear(glm_model *m);

#endif
