/* bract/simrsa.h: a synthetic word-RSA dataset with known truth (the library
 * behind bract simulate rsa).
 *
 * Words belong to semantic categories; each word has an embedding vector
 * (its category's centroid plus word-specific scatter, like word2vec
 * vectors).  The brain is an ellipsoid mask in a grid, cut into regions
 * (an atlas, by nearest of k-means-balanced seeds).  Each subject has, in
 * the voxels that carry the effect (the signal regions, or a sphere), a
 * response amplitude per word a_v(w) = c_u (e_w - mean e) . u_v: a random
 * projection u_v ~ N(0, I) per subject and voxel, scaled per unit u (signal
 * region or sphere) so that the variance across words averages `snr` over
 * the unit's voxels.  A text corpus whose documents draw words mostly from
 * one category lets LSA recover the same categories.
 *
 * Two kinds of data carry the amplitudes:
 *
 * PATTERNS (bract_simrsa_subject): one volume per word and run, a_v(w) plus
 * N(0, 1) noise in every brain voxel: the beta maps another toolkit would
 * have estimated.
 *
 * EVENT-RELATED RUNS (bract_simrsa_run_new): raw BOLD as a scanner and
 * fMRIPrep would give it.  Each run shows every word once, in a random
 * order per subject and run, as an event of `duration` seconds; onsets
 * start at `lead_in` and follow each other after intervals drawn uniformly
 * from [isi_min, isi_max] (onset to onset, rounded to 1 ms).  Brain voxel v
 * at volume t (frame time t TR):
 *     y_v(t) = baseline + sum_w a_v(w) x_w(t) + drift_v(t) + sum_k L_vk m_k(t) + e_v(t)
 * with x_w the regressor of word w's event under the HRF `hrf` exactly as
 * bract/hrf.h (nilearn) builds it (slice_time_ref 0, oversampling 50), so
 * that the GLM's beta of word w estimates a_v(w); drift_v(t) =
 * drift_sd (p_v (2t/(n-1) - 1) + q_v cos(pi t/(n-1))) with p_v, q_v ~ N(0, 1)
 * per run; six motion parameters m_k (trans_x, trans_y, trans_z in mm,
 * rot_x, rot_y, rot_z in radians) as random walks from 0 with steps
 * N(0, motion_mm^2) (rotations: motion_mm / 50, a 50 mm head radius), and
 * loadings L_vk ~ N(0, motion_effect^2) per subject and voxel (per mm;
 * rotations enter as 50 m_k); e_v a stationary AR(1) process,
 * e_v(t) = ar1 e_v(t-1) + sqrt(1 - ar1^2) noise_sd z_t.  Voxels outside the
 * brain are 0.  The confounds are fMRIPrep's columns
 * (desc-confounds_timeseries.tsv), n/a (NaN) where fMRIPrep writes n/a:
 *     global_signal       mean of y over the brain
 *     std_dvars, dvars    DVARS_t = RMS over the brain of y_v(t) - y_v(t-1);
 *                         std_dvars = DVARS / mean_v (sqrt(2 (1 - r_v)) s_v),
 *                         s_v = IQR / 1.349 and r_v the lag-1
 *                         autocorrelation of voxel v (Nichols' standardisation,
 *                         as fMRIPrep, without its intensity normalisation);
 *                         n/a at volume 0
 *     framewise_displacement  Power's FD: sum_k |m_k(t) - m_k(t-1)|, rotations
 *                         as 50 mm arcs; n/a at volume 0
 *     trans_x ... rot_z and each one's _derivative1 (n/a at volume 0), _power2
 *                         and _derivative1_power2 (motion24)
 *
 * Known truth for single-trial denoising (bract/single.h), all off by
 * default:
 *   - evoked: every word adds a response of this amplitude in the effect
 *     voxels, a_v(w) = evoked + c_u (e_w - mean e) . u_v (the mean response
 *     of a region that reads words, on which the on-off model and an HRF
 *     choice rest);
 *   - hrf_variability X > 0: each effect voxel responds with its own HRF,
 *     from a family unlike the double-gamma library of bract/hrflib.h: the
 *     inverse-logit model of Lindquist & Wager (2007, Human Brain Mapping
 *     28:764),
 *         h(t) = L((t - T1)/D1) - (1 + u) L((t - T2)/D2) + u L((t - T3)/D3),
 *         L(x) = 1 / (1 + exp(-x)),
 *     with T1 = 3 + X z1 s (at least 1 s), T2 = T1 + 4.5 exp(0.12 X z2) s,
 *     T3 = T2 + 5 s, D1 = 0.9 exp(0.15 X z3), D2 = 1.1 exp(0.15 X z4),
 *     D3 = 2 s, u = 0.3 exp(0.4 X z5) (z ~ N(0, 1) per subject and voxel,
 *     the same in every run), sampled as the glover kernel is (bract/hrf.h)
 *     and scaled to the glover kernel's maximum, so that X = 1 moves the
 *     peak by about a second; X = 0 keeps `hrf` for every voxel;
 *   - structured_noise K: K time courses per run, AR(1) with coefficient
 *     0.7 and variance 1, shared by every brain voxel with loadings
 *     N(0, noise_sd^2) per subject and voxel (the same in every run):
 *     noise with a spatial structure, as physiology and motion leave, that
 *     the noise components of bract/single.h can learn.
 *
 * Everything is a pure function of the seed: each word, category, region,
 * document, subject, run and voxel draws from its own Philox stream, so the
 * data do not depend on the number of threads.
 *
 * Thread safety: a bract_simrsa is read-only once made; any number of
 * threads may simulate subjects and runs from it at once (each call uses
 * OpenMP threads itself, bract_set_threads). */
#ifndef BRACT_SIMRSA_H
#define BRACT_SIMRSA_H

#include <stddef.h>
#include <stdint.h>

#include "bract/error.h"
#include "bract/events.h"
#include "bract/hrf.h"
#include "bract/volume.h"
#include "bract/mask.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    BRACT_SIMRSA_REGIONS = 0, /* the signal regions carry the effect */
    BRACT_SIMRSA_SPHERE = 1   /* a sphere carries it (regions are then only an atlas) */
} bract_simrsa_effect;

/* "regions" or "sphere"; 0, or BRACT_EINVAL listing
 * them.  _name gives the name ("unknown" out of range). */
BRACT_API int bract_simrsa_effect_parse(const char *s, bract_simrsa_effect *out);
BRACT_API const char *bract_simrsa_effect_name(bract_simrsa_effect e);

/* The event-related runs (see the top of this header). */
typedef struct {
    double tr;             /* repetition time, s: 2 */
    double isi_min;        /* onset-to-onset interval, s: 2 */
    double isi_max;        /*   (uniform in [isi_min, isi_max]): 4 */
    double duration;       /* of each word's event, s: 1 */
    double lead_in;        /* onset of the first event, s: 6 */
    double tail;           /* s after the latest possible end of the last event: 16 */
    size_t volumes;        /* per run; 0: ceil((lead_in + (words - 1) isi_max + duration
                              + tail) / tr), the same for every run */
    bract_hrf_model hrf;   /* BRACT_HRF_GLOVER or BRACT_HRF_SPM: glover */
    double baseline;       /* mean signal: 100 */
    double noise_sd;       /* of the AR(1) noise: 1 */
    double ar1;            /* its coefficient, in [0, 1): 0.3 */
    double drift_sd;       /* slow drift: 1 */
    double motion_mm;      /* sd of a motion step per volume, mm: 0.05 */
    double motion_effect;  /* sd of the loadings, signal per mm of motion: 0.5 */
    double evoked;         /* response to every word in the effect voxels: 0 */
    double hrf_variability; /* per-voxel inverse-logit HRFs (see above): 0, off */
    size_t structured_noise; /* shared noise time courses per run: 0 */
} bract_simrsa_bold_opts;

typedef struct {
    size_t subjects;       /* 8 */
    size_t words;          /* 60 */
    size_t runs;           /* 2 */
    size_t dims;           /* embedding dimensions: 50 */
    size_t categories;     /* semantic categories: 6 */
    size_t regions;        /* atlas regions: 8 */
    size_t signal_regions; /* regions with the effect: 2 */
    double snr;            /* signal variance across words / noise variance: 0.02 */
    int64_t grid[3];       /* 20 x 20 x 12 */
    double voxel_mm;       /* 3 */
    bract_simrsa_effect effect;
    double radius_mm;      /* sphere radius: 9 */
    double center[3];      /* sphere centre in voxel coordinates; NaN: default */
    size_t documents;      /* corpus documents: 400 */
    size_t doc_length;     /* words per document: 24 */
    uint64_t seed;         /* 1 */
    bract_simrsa_bold_opts bold; /* event-related runs */
} bract_simrsa_opts;

BRACT_API void bract_simrsa_opts_defaults(bract_simrsa_opts *o);

typedef struct {
    bract_simrsa_opts o;
    size_t nwords, dims;
    char **words;            /* nwords pseudo-words */
    size_t *category;        /* category of each word */
    double *embedding;       /* nwords x dims, row-major */
    size_t nvol;             /* volumes per subject: words x runs */
    size_t *vol_word, *vol_run; /* word index and run (1-based) of each volume */
    bract_volume *mask;      /* 3-D, 1 in the brain */
    bract_volume *atlas;     /* 3-D, region labels 1..regions */
    bract_volume *truth;     /* 3-D, 1 where the effect is */
    size_t nmask;            /* voxels in the mask */
    size_t *brain;           /* their spatial indices, ascending (bract_mask order) */
    size_t neffect;          /* voxels carrying the effect */
    size_t nregions;
    char **region_names;     /* "region01", ... */
    size_t *region_voxels;   /* voxels of each region */
    size_t *region_effect;   /* effect voxels in each region */
    int *region_signal;      /* 1 for a signal region (BRACT_SIMRSA_REGIONS) */
    double center_mm[3];     /* sphere centre (BRACT_SIMRSA_SPHERE) */
    char *corpus;            /* documents, one per line */
    size_t run_volumes;      /* volumes of each event-related run */
} bract_simrsa;

/* Build the design: words, embedding, conditions, mask, atlas, truth and
 * corpus.  Errors: sizes out of range (fewer than 3 words, no region, more
 * signal regions than regions, a grid too small for the regions, a sphere
 * outside the brain; event-related options out of range, or `volumes` too
 * few for the events).  *out is owned by the caller. */
BRACT_API int bract_simrsa_new(const bract_simrsa_opts *o, bract_simrsa **out);
BRACT_API void bract_simrsa_free(bract_simrsa *d);

/* Subject s's pattern volumes: 4-D float32, grid x nvol, in the order of
 * vol_word/vol_run.  Owned by the caller. */
BRACT_API int bract_simrsa_subject(const bract_simrsa *d, size_t s, bract_volume **out);

/* Subject s's response amplitudes a_v(w): d->nmask x d->nwords doubles,
 * (*amp)[e * nwords + w] for brain voxel e (d->brain[e]); 0 outside the
 * effect.  The noise-free truth of both kinds of data: the expected beta
 * of word w in voxel d->brain[e].  *amp is owned by the caller (free()). */
BRACT_API int bract_simrsa_amplitudes(const bract_simrsa *d, size_t s, double **amp);

/* The HRF kernel of effect voxel `voxel` (a spatial index) of subject s,
 * sampled every tr / oversampling s as bract_hrf_kernel samples the gamma
 * models (the inverse-logit model with hrf_variability > 0, else `hrf`).
 * *kernel (*len values) is owned by the caller (free()). */
BRACT_API int bract_simrsa_voxel_hrf(const bract_simrsa *d, size_t s, size_t voxel, double tr,
                                     int oversampling, double **kernel, size_t *len);

/* One event-related run of one subject. */
typedef struct {
    size_t subject, run;      /* 0-based (file names add 1) */
    size_t nvol;              /* volumes (d->run_volumes) */
    double tr;
    bract_events *events;     /* one per word, by onset; label = the word, `line` = its
                                 line in an events.tsv written in this order */
    size_t *event_word;       /* the word index of each event */
    size_t nconfounds;
    char **confound_names;    /* fMRIPrep's column names, in fMRIPrep's order */
    double *confounds;        /* nvol x nconfounds, row-major; NaN for n/a */
    bract_volume *bold;       /* 4-D float32, the grid x nvol, TR in the header */
} bract_simrsa_run;

/* Simulate run `run` (< o.runs) of subject s (< o.subjects) as described
 * at the top of this header.  *out is owned by the caller
 * (bract_simrsa_run_free). */
BRACT_API int bract_simrsa_run_new(const bract_simrsa *d, size_t s, size_t run,
                                   bract_simrsa_run **out);
BRACT_API void bract_simrsa_run_free(bract_simrsa_run *r);

#ifdef __cplusplus
}
#endif
#endif
