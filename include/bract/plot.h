/* bract/plot.h: figures of bract's results, as PNG or SVG.
 *
 * Seven kinds of figure, each drawn from the files the analyses write:
 *   rdm      heatmaps of RDMs with condition labels and a colour bar
 *   mds      a 2-D classical MDS of an RDM (bract/mds.h) with labels
 *   bars     RSA results per region: one bar per model, error bars, marks of
 *            significance and the noise-ceiling band
 *   map      a statistical map over a background volume: orthogonal slices
 *            or a mosaic, thresholded, with a diverging colour bar
 *   states   dFC state centroids as region x region matrices, with each
 *            state's fraction of time and mean dwell time
 *   scatter  intrinsic timescale against a hierarchy index, with the least-
 *            squares line and Spearman's rho
 *   design   a GLM design matrix (bract glm's design_run-<N>.tsv) as
 *            nilearn's plot_design_matrix draws it
 *
 * Every function draws into a bract_plot_figure held in memory: the encoded PNG
 * or SVG bytes, plus where things landed (panels, colour bar) so that tests
 * and the HTML report can use them.  bract_plot_figure_write() puts it into a
 * file atomically.  Drawing goes through cairo; text through pango, which
 * asks fontconfig for a font with each character's glyphs (DejaVu Sans for
 * Latin, Greek and Cyrillic; WenQuanYi Micro Hei for Chinese), so labels in
 * any script are drawn and shaped correctly.
 *
 * Sizes are in inches and points (1/72 inch); a PNG has round(width x dpi)
 * by round(height x dpi) pixels, an SVG is width x height in points.  Figures
 * may be drawn from several threads at once.  Errors name the file and the
 * column or value at fault; nothing is written on error. */
#ifndef BRACT_PLOT_H
#define BRACT_PLOT_H

#include <stddef.h>

#include "bract/error.h"
#include "bract/rdmset.h"
#include "bract/table.h"
#include "bract/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

/* File formats. */
typedef enum { BRACT_PLOT_PNG = 1, BRACT_PLOT_SVG = 2 } bract_plot_format;

/* Condition labels of heatmaps and MDS plots. */
typedef enum {
    BRACT_LABELS_AUTO = 0, /* all that fit at a legible size; thinned or dropped if not */
    BRACT_LABELS_ALL = 1,  /* every label, however small */
    BRACT_LABELS_NONE = 2
} bract_plot_labels;

/* Which p-values mark bars as significant. */
typedef enum {
    BRACT_SIG_AUTO = 0, /* p_fdr if the table has it, else p, else none */
    BRACT_SIG_P = 1,
    BRACT_SIG_PFDR = 2,
    BRACT_SIG_NONE = 3
} bract_plot_sig;

/* Views of a statistical map. */
typedef enum { BRACT_VIEW_ORTHO = 0, BRACT_VIEW_MOSAIC = 1 } bract_plot_view;

/* Slice axes of a mosaic. */
typedef enum {
    BRACT_AXIS_X = 0, /* sagittal slices */
    BRACT_AXIS_Y = 1, /* coronal */
    BRACT_AXIS_Z = 2  /* axial */
} bract_plot_axis;

/* How a design matrix's columns are scaled before colouring. */
typedef enum {
    BRACT_RESCALE_L2 = 0,      /* each column over its Euclidean norm (nilearn 0.10.3) */
    BRACT_RESCALE_MAX_ABS = 1, /* each column over its largest |value|: in [-1, 1] (SPM) */
    BRACT_RESCALE_NONE = 2     /* the values as they are */
} bract_plot_rescale;

/* Names of the values above, as bract plot spells them: 0, or BRACT_EINVAL
 * naming the expected values.
 *   format  "png", "svg"
 *   labels  "auto", "all", "none"
 *   sig     "auto", "p", "p_fdr", "none"
 *   view    "ortho", "mosaic"
 *   axis    "x", "y", "z" (also "sagittal", "coronal", "axial")
 *   rescale "l2", "max-abs", "none"
 * The _name functions return those names ("unknown" for other values). */
BRACT_API int bract_plot_format_parse(const char *s, bract_plot_format *out);
BRACT_API const char *bract_plot_format_name(bract_plot_format f);
BRACT_API int bract_plot_labels_parse(const char *s, bract_plot_labels *out);
BRACT_API const char *bract_plot_labels_name(bract_plot_labels l);
BRACT_API int bract_plot_sig_parse(const char *s, bract_plot_sig *out);
BRACT_API const char *bract_plot_sig_name(bract_plot_sig g);
BRACT_API int bract_plot_view_parse(const char *s, bract_plot_view *out);
BRACT_API const char *bract_plot_view_name(bract_plot_view v);
BRACT_API int bract_plot_axis_parse(const char *s, bract_plot_axis *out);
BRACT_API const char *bract_plot_axis_name(bract_plot_axis a);
BRACT_API int bract_plot_rescale_parse(const char *s, bract_plot_rescale *out);
BRACT_API const char *bract_plot_rescale_name(bract_plot_rescale r);

/* Options of every kind; set them with bract_plot_opts_defaults() and change
 * what you need.  A field that a kind does not use is ignored. */
typedef struct {
    bract_plot_format format; /* BRACT_PLOT_PNG [default] or BRACT_PLOT_SVG */
    double width;       /* inches; 0: the kind's default, which grows with the content */
    double height;      /* inches; 0: the kind's default */
    double dpi;         /* PNG pixels per inch [150] */
    double font_size;   /* base font size in points [9]; labels may be smaller */
    const char *title;  /* NULL: the kind's default title; "": no title */
    const char *units;  /* colour-bar or value-axis label; NULL: the kind's default */
    double vmin, vmax;  /* colour (or value-axis) range; NaN: from the data.  Maps and
                           states have a scale symmetric about 0: only vmax counts */
    /* rdm, mds, bars: names to draw (RDM names; for bars the `rdm` column,
     * i.e. regions); NULL: all.  An unknown name is an error. */
    const char *const *select;
    size_t nselect;
    bract_plot_labels labels; /* rdm, mds [BRACT_LABELS_AUTO] */
    int rank;           /* rdm: colour by percentile rank of each RDM's dissimilarities */
    const char *method; /* bars: rows of this `method` only; NULL: the table must hold one */
    bract_plot_sig sig; /* bars [BRACT_SIG_AUTO] */
    double alpha;       /* bars: significance level [0.05] */
    double threshold;   /* map: values with |v| < threshold are not drawn [0: all nonzero] */
    bract_plot_view view; /* map [BRACT_VIEW_ORTHO] */
    double cut[3];      /* map, ortho: cut point in mm; NaN: the voxel of largest |v| */
    int slices;         /* map, mosaic: number of slices [12] */
    bract_plot_axis axis; /* map, mosaic [BRACT_AXIS_Z] */
    size_t volume;      /* map: volume of a 4-D map (0-based) [0] */
    const char *xlabel; /* scatter: axis labels; NULL: from the column names */
    const char *ylabel;
    bract_plot_rescale rescale; /* design [BRACT_RESCALE_L2, as nilearn] */
    const char *cmap;   /* design: "viridis" (NULL: matplotlib's default, as nilearn) or
                           "gray" (black low, white high) */
} bract_plot_opts;

BRACT_API void bract_plot_opts_defaults(bract_plot_opts *o);

/* A rectangle of a figure and the data coordinates at its edges.  x, y, w,
 * h are in pixels for PNG and points for SVG, from the top left corner. */
typedef struct {
    double x, y, w, h;
    double u0, u1; /* data coordinate at the left and right edges */
    double v0, v1; /* data coordinate at the bottom and top edges */
} bract_plot_rect;

typedef struct {
    bract_plot_format format; /* BRACT_PLOT_PNG or BRACT_PLOT_SVG */
    unsigned char *data;     /* the encoded file, len bytes */
    size_t len;
    int width, height;       /* pixels (PNG) or points (SVG) */
    double scale;            /* pixels (PNG) or points (SVG) per point: dpi/72 or 1 */
    size_t npanels;          /* data areas: heatmaps, axes, slices */
    bract_plot_rect *panels;
    int has_cbar;            /* 1 if there is a colour bar */
    bract_plot_rect cbar;    /* its colour strip: v0 = value at the bottom, v1 at the top */
    char cmap[16];           /* its colour map (for bract_plot_colormap) */
    size_t ncells;           /* heatmap cells, bars or points drawn */
    size_t nlabels;          /* condition labels drawn (per axis, summed over panels) */
    double label_pt;         /* their font size in points (0 if none) */
    double cut[3];           /* map, ortho: the cut point used, in mm */
} bract_plot_figure;

/* Free the bytes and the panel list; f itself is not freed (it usually
 * lives on the stack).  NULL is allowed. */
BRACT_API void bract_plot_figure_free(bract_plot_figure *f);

/* Write the figure to `path` atomically (refused if it exists and !force;
 * "-" is standard output). */
BRACT_API int bract_plot_figure_write(const bract_plot_figure *f, const char *path, int force);

/* BRACT_PLOT_PNG or BRACT_PLOT_SVG from a file name's extension (.png,
 * .svg, any case); 0 if neither. */
BRACT_API int bract_plot_format_from_name(const char *path);

/* Colour of a colour map at t in [0, 1] (clamped), components in [0, 1].
 * Maps: "viridis" (RDMs, perceptually uniform), "rdbu" (diverging blue -
 * white - red, dFC states), "coldhot" (diverging, statistical maps: light
 * blue - dark blue | dark red - yellow), "gray" (black - white, design
 * matrices).  BRACT_EINVAL for other names. */
BRACT_API int bract_plot_colormap(const char *name, double t, double rgb[3]);

/* Heatmaps of the RDMs of a set (all, or opts->select), one panel each,
 * with condition labels (font size chosen from the cell size; thinned, or
 * dropped, when they would overlap) and a colour bar.  Missing
 * dissimilarities are grey; the diagonal is light grey.  The colour range
 * is the range of the off-diagonal values of all panels (or of each RDM's
 * percentiles with opts->rank). */
BRACT_API int bract_plot_rdm(const bract_rdmset *set, const bract_plot_opts *opts,
                             bract_plot_figure *out);

/* Classical MDS of one RDM (the set's only RDM, or opts->select[0]) in two
 * dimensions, points labelled; the axes say how much of the positive
 * eigenvalue sum each dimension carries.  Missing dissimilarities are an
 * error. */
BRACT_API int bract_plot_mds(const bract_rdmset *set, const bract_plot_opts *opts,
                             bract_plot_figure *out);

/* RSA bar chart from a results table: one panel per region (the `rdm`
 * column), one bar per `model` with height `r`.  Optional columns: `method`
 * (the y-axis label; several methods need opts->method), `ci_low` and
 * `ci_high` (error bars), `p` and `p_fdr` (a mark above bars below alpha),
 * `noise_lower` and `noise_upper` (the grey noise-ceiling band).  From
 * bract rsa's table: rows with a `model_b` (pairwise comparisons) are left
 * out, and when `level` has group rows only those are drawn; subject rows
 * of several subjects without group rows are an error.  Other columns are
 * ignored. */
BRACT_API int bract_plot_bars(const bract_table *results, const bract_plot_opts *opts,
                              bract_plot_figure *out);

/* A statistical map over an optional background (NULL: none) on the same
 * grid (an error naming both files otherwise).  Slices are sampled in
 * millimetres through each volume's voxel-to-mm affine, so orientation and
 * voxel aspect are respected; left is on the left.  Values that are zero,
 * non-finite or below opts->threshold in magnitude are not drawn. */
BRACT_API int bract_plot_map(const bract_volume *stat, const bract_volume *background,
                             const bract_plot_opts *opts, bract_plot_figure *out);

/* dFC states from the tables of a `bract dfc --states` directory.
 * centroids: either long form (columns `state`, `region_a`, `region_b` and
 * `value`, `centroid` or `connectivity`) or wide (one row per state, an
 * optional `state` column and one column per region pair named "A-B", pairs
 * in condensed order; other columns ignored).  summary (may be NULL):
 * `state` and the fraction of time (`fraction`, `fraction_time`,
 * `fraction_of_time` or `occupancy`) and mean dwell time (`mean_dwell`,
 * `mean_dwell_time`, `dwell_time`, `mean_dwell_windows` in windows, or
 * `mean_dwell_s`, `mean_dwell_time_s` in seconds); several rows of a state
 * (subjects) are averaged.  sequence (may be NULL): a `state` column (and
 * optional `subject`), used when the summary lacks those columns. */
BRACT_API int bract_plot_states(const bract_table *centroids, const bract_table *summary,
                                const bract_table *sequence, const bract_plot_opts *opts,
                                bract_plot_figure *out);

/* The same from a directory holding state_centroids.tsv and, if present,
 * state_summary.tsv and state_sequence.tsv. */
BRACT_API int bract_plot_states_dir(const char *dir, const bract_plot_opts *opts,
                                    bract_plot_figure *out);

/* Fraction of time and mean dwell time (in windows) of states 1..k from a
 * state sequence: frac[j] = #{t: s_t = j+1} / n; dwell[j] = mean length of
 * the runs of state j+1 (0 if never visited).  A run ends where the state
 * changes or where `group` changes (subjects; group may be NULL).  States
 * outside 1..k are an error. */
BRACT_API int bract_plot_state_occupancy(const long *state, const long *group, size_t n, size_t k,
                                    double *frac, double *dwell);

/* The numbers the scatter figure shows. */
typedef struct {
    size_t n;            /* regions in both tables with finite values */
    size_t unmatched;    /* regions of either table missing from the other */
    size_t nonfinite;    /* regions dropped for a missing or non-finite value */
    double rho, p;       /* Spearman correlation and its two-sided p (t approximation, as scipy) */
    double slope, intercept; /* least-squares line tau = intercept + slope * hierarchy */
} bract_scatter_fit;

/* Join a timescale table (`region`, `tau_s`) and a hierarchy table
 * (`region`, `value`) by region and fit.  Fewer than 3 regions in common
 * is an error. */
BRACT_API int bract_plot_scatter_fit_tables(const bract_table *tau, const bract_table *hierarchy,
                                       bract_scatter_fit *fit);

/* Timescale against hierarchy: points, the least-squares line, and
 * Spearman's rho with its p-value and n in the title. */
BRACT_API int bract_plot_scatter(const bract_table *tau, const bract_table *hierarchy,
                                 const bract_plot_opts *opts, bract_plot_figure *out);

/* A design matrix (one column per regressor, one row per volume kept: the
 * design_run-<N>.tsv bract glm writes) as nilearn 0.10.3's
 * plot_design_matrix draws it: each column rescaled (opts->rescale: over
 * its Euclidean norm, floored at 1e-12, by default), the whole matrix
 * coloured from its smallest to its largest value (opts->vmin/vmax to
 * fix them) with opts->cmap, one cell per row and column, the column names
 * above, rotated 60 degrees, the row numbers ("scan number") on the left.
 * The figure is 1 + 0.23 x columns inches wide and 1 + 0.1 x rows +
 * 0.04 x the longest name inches high (3 to 10), as nilearn's, grown where
 * the names need it; the title defaults to none.  An SVG carries the
 * column names in its <desc>.  Errors: an empty table, a cell that is not
 * a finite number (naming file, line and column). */
BRACT_API int bract_plot_design(const bract_table *design, const bract_plot_opts *opts,
                                bract_plot_figure *out);

/* Drop this thread's pango font map and the fonts it caches (for leak
 * checkers at the end of a program).  Drawing afterwards makes a new one.
 * fontconfig's configuration stays loaded for the life of the process. */
BRACT_API void bract_plot_release_fonts(void);

/* ---- colour-bar labels of RDMs (used by bract plot and bract report) ---- */

/* The colour-bar label of RDMs made with `method` (the "method" a bract
 * rdm sidecar records): "correlation distance (1 − r)", "cosine distance
 * (1 − cos)", "Euclidean distance", "Mahalanobis distance", "crossnobis
 * distance"; "<method> dissimilarity" for other names.  Writes at most n
 * bytes to buf; returns buf. */
BRACT_API char *bract_plot_rdm_units(const char *method, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
