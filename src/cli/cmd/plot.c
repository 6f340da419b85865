/* bract plot: figures of RDMs, MDS, RSA results, statistical maps, dFC
 * states, timescale hierarchies and GLM design matrices, as PNG or SVG.  Each KIND is an action
 * with its own option table ("plot rdm", "plot map", ...): the output
 * options are shared, the others belong to the kinds that use them. */
#include "cli/cli.h"
#include "cli/opts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "bract/plot.h"
#include "bract/outputs.h"
#include "bract/sidecar.h"
#include "bract/tsv.h"

CLI_ENUM_PARSER(bract_plot_format, bract_plot_format_parse)
CLI_ENUM_PARSER(bract_plot_labels, bract_plot_labels_parse)
CLI_ENUM_PARSER(bract_plot_sig, bract_plot_sig_parse)
CLI_ENUM_PARSER(bract_plot_view, bract_plot_view_parse)
CLI_ENUM_PARSER(bract_plot_axis, bract_plot_axis_parse)
CLI_ENUM_PARSER(bract_plot_rescale, bract_plot_rescale_parse)

typedef struct {
    const char *out, *background;
    cli_strlist select; /* --rdm, one name each time */
    cli_strlist inputs;
    bract_plot_opts o;
} args;

/* --rdm NAME, repeatable: one value per option, so that INPUT may follow. */
static int push_name(const char *arg, void *field)
{
    return cli_strlist_push(field, arg) ? bract_error(BRACT_ENOMEM, "out of memory") : 0;
}

/* --cut X,Y,Z */
static int parse_cut(const char *s, void *field)
{
    double *cut = field;
    char *end;
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        cut[i] = strtod(p, &end);
        if (end == p || !isfinite(cut[i]) || (i < 2 && *end != ',') || (i == 2 && *end))
            return bract_error(BRACT_EINVAL, "expected X,Y,Z in millimetres, not '%s'", s);
        p = end + 1;
    }
    return 0;
}

#define OUTPUT_OPTIONS                                                                            \
    CLI_GROUP("Output:"),                                                                         \
        CLI_STRING('o', "output", args, out, "FILE", "the figure; .png or .svg sets the format",  \
                   .flags = CLI_REQUIRED),                                                        \
        CLI_ENUM(0, "format", args, o.format, bract_plot_format, "png|svg",                       \
                 "the format when FILE has another name or is -"),                                \
        CLI_DOUBLE(0, "width", args, o.width, 1, 100, "IN", "width in inches [from the content]"), \
        CLI_DOUBLE(0, "height", args, o.height, 1, 100, "IN",                                     \
                   "height in inches [from the content]"),                                        \
        CLI_DOUBLE(0, "dpi", args, o.dpi, 10, 1200, "N", "PNG pixels per inch [150]"),            \
        CLI_DOUBLE(0, "font-size", args, o.font_size, 3, 48, "PT",                                \
                   "base font size in points [9]"),                                               \
        CLI_STRING(0, "title", args, o.title, "TEXT", "title; '' for none [by kind]"),            \
        CLI_STRING(0, "units", args, o.units, "TEXT",                                             \
                   "colour-bar or value-axis label [by kind]"),                                   \
        CLI_DOUBLE(0, "vmin", args, o.vmin, -HUGE_VAL, HUGE_VAL, "X",                             \
                   "bottom of the colour or value range [from the data]"),                        \
        CLI_DOUBLE(0, "vmax", args, o.vmax, -HUGE_VAL, HUGE_VAL, "X",                             \
                   "top of the colour or value range [from the data]")

#define LABELS_OPTION                                                                             \
    CLI_ENUM(0, "labels", args, o.labels, bract_plot_labels, "auto|all|none",                     \
             "condition labels [auto: thinned when dense]")

static const cli_opt rdm_options[] = {
    OUTPUT_OPTIONS,
    CLI_GROUP("RDMs:"),
    CLI_CALLBACK(0, "rdm", args, select, push_name, "NAME",
                 "the RDM to draw; repeat for several [all]"),
    LABELS_OPTION,
    CLI_FLAG(0, "rank", args, o.rank, "colour by percentile rank within each RDM"),
    CLI_ARGS(args, inputs, "RDMS.tsv", "an RDM set", .flags = CLI_REQUIRED),
    CLI_END};

static const cli_opt mds_options[] = {
    OUTPUT_OPTIONS,
    CLI_GROUP("MDS:"),
    CLI_CALLBACK(0, "rdm", args, select, push_name, "NAME",
                 "the RDM to draw [the set's only one]"),
    LABELS_OPTION,
    CLI_ARGS(args, inputs, "RDMS.tsv", "an RDM set", .flags = CLI_REQUIRED),
    CLI_END};

static const cli_opt bars_options[] = {
    OUTPUT_OPTIONS,
    CLI_GROUP("Bars:"),
    CLI_CALLBACK(0, "rdm", args, select, push_name, "NAME",
                 "the region to draw; repeat for several [all]"),
    CLI_STRING(0, "method", args, o.method, "NAME", "rows of this RSA method [the only one]"),
    CLI_ENUM(0, "sig", args, o.sig, bract_plot_sig, "auto|p|p_fdr|none",
             "p-values that mark bars [auto: p_fdr, else p]"),
    CLI_DOUBLE(0, "alpha", args, o.alpha, 0, 1, "A", "significance level [0.05]"),
    CLI_ARGS(args, inputs, "RESULTS.tsv", "a bract rsa results table", .flags = CLI_REQUIRED),
    CLI_END};

static const cli_opt map_options[] = {
    OUTPUT_OPTIONS,
    CLI_GROUP("Map:"),
    CLI_STRING(0, "background", args, background, "FILE",
               "background (T1 or mask) on the same grid [none]"),
    CLI_DOUBLE(0, "threshold", args, o.threshold, 0, HUGE_VAL, "T",
               "hide values with |v| < T [0: all nonzero]"),
    CLI_ENUM(0, "view", args, o.view, bract_plot_view, "ortho|mosaic",
             "three orthogonal slices, or a grid of slices [ortho]"),
    CLI_CALLBACK(0, "cut", args, o.cut, parse_cut, "X,Y,Z",
                 "ortho cut point in mm [the peak |value|]"),
    CLI_INT(0, "slices", args, o.slices, 1, 100, "N", "mosaic slices [12]"),
    CLI_ENUM(0, "axis", args, o.axis, bract_plot_axis, "x|y|z", "mosaic slice axis [z]"),
    CLI_SIZE(0, "volume", args, o.volume, 0, 1000000, "N", "volume of a 4-D map, from 0 [0]"),
    CLI_ARGS(args, inputs, "STAT.nii.gz", "a statistical map", .flags = CLI_REQUIRED),
    CLI_END};

static const cli_opt states_options[] = {
    OUTPUT_OPTIONS,
    CLI_ARGS(args, inputs, "DFC_DIR", "a bract dfc --states directory", .flags = CLI_REQUIRED),
    CLI_END};

static const cli_opt scatter_options[] = {
    OUTPUT_OPTIONS,
    CLI_GROUP("Scatter:"),
    CLI_STRING(0, "xlabel", args, o.xlabel, "TEXT", "x-axis label [hierarchy index]"),
    CLI_STRING(0, "ylabel", args, o.ylabel, "TEXT", "y-axis label [intrinsic timescale (s)]"),
    CLI_ARGS(args, inputs, "TAU.tsv HIERARCHY.tsv", "timescales and the hierarchy index",
             .flags = CLI_REQUIRED),
    CLI_END};

static const cli_opt design_options[] = {
    OUTPUT_OPTIONS,
    CLI_GROUP("Design matrix:"),
    CLI_ENUM(0, "rescale", args, o.rescale, bract_plot_rescale, "l2|max-abs|none",
             "scale of each column: over its Euclidean norm (nilearn),\n"
             "over its largest |value| (SPM), or none [l2]"),
    CLI_STRING(0, "cmap", args, o.cmap, "viridis|gray", "colour map [viridis, as nilearn]"),
    CLI_ARGS(args, inputs, "DESIGN.tsv", "a design matrix (bract glm's design_run-<N>.tsv)",
             .flags = CLI_REQUIRED),
    CLI_END};

#define FIGURE " -o FIGURE.png|FIGURE.svg [options]"
const cli_spec cli_spec_plot_rdm = {
    "plot rdm", "Usage: bract plot rdm RDMS.tsv" FIGURE,
    "Heatmaps of the RDMs of a set, with condition labels and a colour bar.", rdm_options, NULL};
const cli_spec cli_spec_plot_mds = {"plot mds", "Usage: bract plot mds RDMS.tsv" FIGURE,
                                    "A 2-D classical MDS of one RDM, points labelled.",
                                    mds_options, NULL};
const cli_spec cli_spec_plot_bars = {
    "plot bars", "Usage: bract plot bars RESULTS.tsv" FIGURE,
    "RSA bars per region from bract rsa's table: confidence intervals,\n"
    "significance and the noise ceiling.",
    bars_options, NULL};
const cli_spec cli_spec_plot_map = {"plot map", "Usage: bract plot map STAT.nii.gz" FIGURE,
                                    "A statistical map over a background volume.", map_options,
                                    NULL};
const cli_spec cli_spec_plot_states = {
    "plot states", "Usage: bract plot states DFC_DIR" FIGURE,
    "dFC state centroids, with each state's fraction of time and dwell time.", states_options,
    NULL};
const cli_spec cli_spec_plot_scatter = {
    "plot scatter", "Usage: bract plot scatter TAU.tsv HIERARCHY.tsv" FIGURE,
    "Intrinsic timescale against a hierarchy index, with the fitted line.", scatter_options,
    NULL};
const cli_spec cli_spec_plot_design = {
    "plot design", "Usage: bract plot design DESIGN.tsv" FIGURE,
    "A GLM design matrix as nilearn's plot_design_matrix draws it: columns\n"
    "rescaled, one cell per volume and regressor, the column names on top.",
    design_options, NULL};

static const char overview[] =
    "Usage: bract plot KIND INPUT..." FIGURE "\n"
    "\n"
    "Draw a figure from bract's output files.  Kinds and their inputs:\n"
    "  rdm      RDMS.tsv               heatmaps of the RDMs of a set, with labels\n"
    "  mds      RDMS.tsv               2-D classical MDS of one RDM\n"
    "  bars     RESULTS.tsv            RSA bars per region: CIs, significance,\n"
    "                                  noise ceiling\n"
    "  map      STAT.nii[.gz]          statistical map over a background volume\n"
    "  states   DFC_DIR                dFC state centroids, fraction and dwell time\n"
    "  scatter  TAU.tsv HIERARCHY.tsv  timescale against hierarchy, fitted line\n"
    "  design   DESIGN.tsv             a GLM design matrix (bract glm's design_run-N.tsv)\n"
    "\n"
    "'bract plot KIND --help' lists the options of a kind.\n";

typedef struct run run;
typedef int (*draw_fn)(run *r);

struct run {
    cli_ctx c;
    args a;
    const char *kind;
    bract_plot_figure fig;
    char *units; /* from the RDM set's sidecar */
};

/* "correlation" -> "correlation distance (1 - r)": the colour-bar label of
 * an RDM set from the method its sidecar records. */
static char *units_from_sidecar(const char *rdms)
{
    char *side = bract_sidecar_path(rdms), *params = NULL, *out = NULL;
    if (!side)
        return NULL;
    FILE *fp = fopen(side, "r");
    if (fp) {
        fclose(fp);
        if (bract_sidecar_read_params(side, &params) == 0) {
            json_object *j = json_tokener_parse(params), *m;
            if (j && json_object_object_get_ex(j, "method", &m) &&
                json_object_is_type(m, json_type_string)) {
                char buf[160];
                out = strdup(bract_plot_rdm_units(json_object_get_string(m), buf, sizeof buf));
            }
            json_object_put(j);
        }
        bract_clear_error();
    }
    free(params);
    free(side);
    return out;
}

/* ---- drawing, one function per kind; a library status ---- */

static int draw_rdmset(run *r, int mds)
{
    const char *in = r->a.inputs.v[0];
    bract_plot_opts *o = &r->a.o;
    bract_rdmset *s;
    int rc;
    if ((rc = bract_rdmset_read(in, &s)))
        return rc;
    if (mds && o->nselect == 0 && s->nrdm > 1) {
        rc = bract_error(BRACT_EINVAL, "%s holds %zu RDMs: choose one with --rdm NAME "
                         "(for example --rdm '%s')", in, s->nrdm, s->rdm[0].name);
        bract_rdmset_free(s);
        return rc;
    }
    if (!mds && !o->units && !o->rank && (r->units = units_from_sidecar(in)))
        o->units = r->units;
    rc = mds ? bract_plot_mds(s, o, &r->fig) : bract_plot_rdm(s, o, &r->fig);
    if (rc)
        bract_error_context(rc, "%s", in);
    bract_rdmset_free(s);
    return rc;
}

static int draw_rdm(run *r) { return draw_rdmset(r, 0); }
static int draw_mds(run *r) { return draw_rdmset(r, 1); }

static int draw_bars(run *r)
{
    bract_table *t;
    int rc = bract_table_read(r->a.inputs.v[0], &t);
    if (rc == 0)
        rc = bract_plot_bars(t, &r->a.o, &r->fig);
    bract_table_free(t);
    return rc;
}

static int draw_map(run *r)
{
    bract_volume *stat = NULL, *bg = NULL;
    int rc;
    if (!(rc = bract_volume_read(r->a.inputs.v[0], 0, &stat)) &&
        !(r->a.background && (rc = bract_volume_read(r->a.background, 0, &bg))))
        rc = bract_plot_map(stat, bg, &r->a.o, &r->fig);
    bract_volume_free(stat);
    bract_volume_free(bg);
    return rc;
}

static int draw_states(run *r) { return bract_plot_states_dir(r->a.inputs.v[0], &r->a.o, &r->fig); }

static int draw_scatter(run *r)
{
    bract_table *tau = NULL, *hier = NULL;
    int rc;
    if (!(rc = bract_table_read(r->a.inputs.v[0], &tau)) &&
        !(rc = bract_table_read(r->a.inputs.v[1], &hier)))
        rc = bract_plot_scatter(tau, hier, &r->a.o, &r->fig);
    bract_table_free(tau);
    bract_table_free(hier);
    return rc;
}

static int draw_design(run *r)
{
    bract_table *t;
    int rc = bract_table_read(r->a.inputs.v[0], &t);
    if (rc == 0)
        rc = bract_plot_design(t, &r->a.o, &r->fig);
    bract_table_free(t);
    return rc;
}

static const cli_spec *const kind_specs[] = {
    &cli_spec_plot_rdm,     &cli_spec_plot_mds,     &cli_spec_plot_bars,   &cli_spec_plot_map,
    &cli_spec_plot_states,  &cli_spec_plot_scatter, &cli_spec_plot_design, NULL};
static const struct {
    size_t ninputs;
    draw_fn draw;
} kinds[] = {{1, draw_rdm},    {1, draw_mds},     {1, draw_bars},  {1, draw_map},
             {1, draw_states}, {2, draw_scatter}, {1, draw_design}};

/* ---- the command ---- */

/* The kind, its options and their checks; CLI_CONTINUE to go on. */
static int setup(run *r, int argc, char **argv, size_t *kind)
{
    cli_ctx *c = &r->c;
    cli_ctx_init(c, BRACT_CMD_PLOT, overview);
    int st;
    const cli_spec *spec = cli_find_action(c, "kind", kind_specs, argc, argv, &st);
    if (!spec)
        return st;
    for (*kind = 0; kind_specs[*kind] != spec; (*kind)++)
        ;
    r->kind = spec->name + strlen("plot ");
    bract_plot_opts_defaults(&r->a.o);
    if ((st = cli_parse(c, spec, &r->a, argc - 1, argv + 1)) != CLI_CONTINUE)
        return st;
    size_t nin = kinds[*kind].ninputs;
    if (r->a.inputs.n != nin)
        return cli_usage_error(c, "plot %s takes %zu input%s (got %zu)", r->kind, nin,
                               nin > 1 ? "s" : "", r->a.inputs.n);
    int by_name = bract_plot_format_from_name(r->a.out);
    if (!cli_given(c, "format") && !by_name)
        return cli_usage_error(c, "cannot tell the format of '%s': name it .png or .svg, or give "
                               "--format", r->a.out);
    if (!cli_given(c, "format"))
        r->a.o.format = (bract_plot_format)by_name;
    if (spec == &cli_spec_plot_mds && r->a.select.n > 1)
        return cli_usage_error(c, "an MDS plot shows one RDM (got %zu --rdm)", r->a.select.n);
    r->a.o.select = r->a.select.v;
    r->a.o.nselect = r->a.select.n;
    return CLI_CONTINUE;
}

/* The --rdm names, joined (the command line has them exactly). */
static void sidecar_select(bract_sidecar *sc, const cli_strlist *select)
{
    size_t len = 1;
    for (size_t i = 0; i < select->n; i++)
        len += strlen(select->v[i]) + 2;
    char *names = calloc(len, 1);
    for (size_t i = 0; names && i < select->n; i++) {
        if (i)
            strcat(names, ", ");
        strcat(names, select->v[i]);
    }
    bract_sidecar_param_str(sc, "rdm", names);
    free(names);
}

static void sidecar_map(bract_sidecar *sc, const bract_plot_opts *o, const bract_plot_figure *fig)
{
    bract_sidecar_param_num(sc, "threshold", o->threshold);
    bract_sidecar_param_str(sc, "view", bract_plot_view_name(o->view));
    if (o->view == BRACT_VIEW_ORTHO) { /* the cut point actually used */
        char buf[128], x[32], y[32], z[32];
        snprintf(buf, sizeof buf, "[%s, %s, %s]", bract_tsv_format_double(x, fig->cut[0]),
                 bract_tsv_format_double(y, fig->cut[1]), bract_tsv_format_double(z, fig->cut[2]));
        bract_sidecar_set_json(sc, "CutMillimetres", buf);
    }
    if (o->view == BRACT_VIEW_MOSAIC) {
        bract_sidecar_param_int(sc, "slices", o->slices);
        bract_sidecar_param_str(sc, "axis", bract_plot_axis_name(o->axis));
    }
    bract_sidecar_param_int(sc, "volume", (int64_t)o->volume);
}

static int write_sidecar(const run *r, size_t nwarn)
{
    const bract_plot_opts *o = &r->a.o;
    const bract_plot_figure *fig = &r->fig;
    const char *kind = r->kind;
    bract_sidecar *sc = cli_sidecar(&r->c);
    if (sc) {
        bract_sidecar_param_str(sc, "kind", kind);
        bract_sidecar_param_str(sc, "format", bract_plot_format_name(o->format));
        bract_sidecar_param_num(sc, "width_in", fig->width / (72 * fig->scale));
        bract_sidecar_param_num(sc, "height_in", fig->height / (72 * fig->scale));
        if (o->format == BRACT_PLOT_PNG)
            bract_sidecar_param_num(sc, "dpi", o->dpi);
        if (o->title)
            bract_sidecar_param_str(sc, "title", o->title);
        if (o->units)
            bract_sidecar_param_str(sc, "units", o->units);
        if (isfinite(o->vmin))
            bract_sidecar_param_num(sc, "vmin", o->vmin);
        if (isfinite(o->vmax))
            bract_sidecar_param_num(sc, "vmax", o->vmax);
        if (r->a.select.n)
            sidecar_select(sc, &r->a.select);
        if (strcmp(kind, "rdm") == 0) {
            bract_sidecar_param_str(sc, "labels", bract_plot_labels_name(o->labels));
            bract_sidecar_param_bool(sc, "rank", o->rank);
        }
        if (strcmp(kind, "bars") == 0) {
            if (o->method)
                bract_sidecar_param_str(sc, "method", o->method);
            bract_sidecar_param_str(sc, "sig", bract_plot_sig_name(o->sig));
            bract_sidecar_param_num(sc, "alpha", o->alpha);
        }
        if (strcmp(kind, "map") == 0)
            sidecar_map(sc, o, fig);
        if (strcmp(kind, "design") == 0) {
            bract_sidecar_param_str(sc, "rescale", bract_plot_rescale_name(o->rescale));
            bract_sidecar_param_str(sc, "cmap", o->cmap ? o->cmap : "viridis");
        }
        int scatter = strcmp(kind, "scatter") == 0;
        bract_sidecar_input(sc, scatter ? "timescales" : "data", r->a.inputs.v[0]);
        if (scatter)
            bract_sidecar_input(sc, "hierarchy", r->a.inputs.v[1]);
        if (r->a.background)
            bract_sidecar_input(sc, "background", r->a.background);
        bract_sidecar_count(sc, "warnings", (int64_t)nwarn);
    }
    int rc = cli_sidecar_finish(&r->c, sc, r->a.out);
    bract_sidecar_free(sc);
    return rc;
}

/* Draw and write the figure and its sidecar. */
static int draw(run *r, size_t kind)
{
    const cli_ctx *c = &r->c;
    const char *out = r->a.out;
    const char *in[3] = {r->a.inputs.v[0], r->a.inputs.n > 1 ? r->a.inputs.v[1] : NULL,
                         r->a.background};
    /* fail before any work if the output cannot be written */
    if (bract_output_check(out, c->force) || bract_output_not_input(out, in, 3))
        return cli_fail(c);
    cli_log(c, "drawing %s from %s", r->kind, in[0]);
    if (kinds[kind].draw(r) || bract_plot_figure_write(&r->fig, out, c->force))
        return cli_fail(c);
    size_t nwarn = cli_warnings(c);
    return strcmp(out, "-") != 0 ? write_sidecar(r, nwarn) : CLI_OK;
}

int main_plot(int argc, char **argv)
{
    run r;
    memset(&r, 0, sizeof r);
    size_t kind = 0;
    int rc = setup(&r, argc, argv, &kind);
    if (rc == CLI_CONTINUE) {
        cli_apply(&r.c);
        rc = draw(&r, kind);
        bract_plot_release_fonts();
    }
    bract_plot_figure_free(&r.fig);
    free(r.units);
    cli_strlist_free(&r.a.select);
    cli_strlist_free(&r.a.inputs);
    return rc;
}
