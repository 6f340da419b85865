/* bract plot: figures of RDMs, MDS, RSA results, statistical maps, dFC
 * states and timescale hierarchies, as PNG or SVG. */
#include "cli/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "bract/plot.h"
#include "bract/outputs.h"

static const char usage_text[] =
    "Usage: bract plot KIND [options] INPUT... -o FIGURE.png|FIGURE.svg\n"
    "\n"
    "Draw a figure from bract's output files.  Kinds and their inputs:\n"
    "  rdm      RDMS.tsv               heatmaps of the RDMs of a set, with labels\n"
    "  mds      RDMS.tsv               2-D classical MDS of one RDM\n"
    "  bars     RESULTS.tsv            RSA bars per region: CIs, significance,\n"
    "                                  noise ceiling\n"
    "  map      STAT.nii[.gz]          statistical map over a background volume\n"
    "  states   DFC_DIR                dFC state centroids, fraction and dwell time\n"
    "  scatter  TAU.tsv HIERARCHY.tsv  timescale against hierarchy, fitted line\n"
    "\n"
    "Output:\n"
    "  -o, --output FILE       the figure; .png or .svg sets the format\n"
    "      --format png|svg    the format when FILE has another name or is -\n"
    "      --width IN          width in inches [from the content]\n"
    "      --height IN         height in inches [from the content]\n"
    "      --dpi N             PNG pixels per inch [150]\n"
    "      --font-size PT      base font size in points [9]\n"
    "      --title TEXT        title; '' for none [by kind]\n"
    "      --units TEXT        colour-bar or value-axis label [by kind]\n"
    "      --vmin X            bottom of the colour or value range [from the data]\n"
    "      --vmax X            top of the colour or value range [from the data]\n"
    "rdm, mds, bars:\n"
    "      --rdm NAME          the RDM (for bars: the region) to draw; repeat for\n"
    "                          several [all; mds needs one if the set has more]\n"
    "      --labels auto|all|none  condition labels [auto: thinned when dense]\n"
    "      --rank              colour by percentile rank within each RDM (rdm)\n"
    "bars:\n"
    "      --method NAME       rows of this RSA method [the only one]\n"
    "      --sig auto|p|p_fdr|none  p-values that mark bars [auto: p_fdr, else p]\n"
    "      --alpha A           significance level [0.05]\n"
    "map:\n"
    "      --background FILE   background (T1 or mask) on the same grid [none]\n"
    "      --threshold T       hide values with |v| < T [0: all nonzero]\n"
    "      --view ortho|mosaic three orthogonal slices, or a grid of slices [ortho]\n"
    "      --cut X,Y,Z         ortho cut point in mm [the peak |value|]\n"
    "      --slices N          mosaic slices [12]\n"
    "      --axis x|y|z        mosaic slice axis [z]\n"
    "      --volume N          volume of a 4-D map, from 0 [0]\n"
    "scatter:\n"
    "      --xlabel TEXT       x-axis label [hierarchy index]\n"
    "      --ylabel TEXT       y-axis label [intrinsic timescale (s)]\n"
    "\n" CLI_COMMON_HELP;

enum {
    OPT_FORMAT = OPT_FIRST_CMD,
    OPT_WIDTH,
    OPT_HEIGHT,
    OPT_DPI,
    OPT_FONT,
    OPT_TITLE,
    OPT_UNITS,
    OPT_VMIN,
    OPT_VMAX,
    OPT_RDM,
    OPT_LABELS,
    OPT_RANK,
    OPT_METHOD,
    OPT_SIG,
    OPT_ALPHA,
    OPT_BACKGROUND,
    OPT_THRESHOLD,
    OPT_VIEW,
    OPT_CUT,
    OPT_SLICES,
    OPT_AXIS,
    OPT_VOLUME,
    OPT_XLABEL,
    OPT_YLABEL
};

static const char *const kinds[] = {"rdm", "mds", "bars", "map", "states", "scatter", NULL};
enum { K_RDM, K_MDS, K_BARS, K_MAP, K_STATES, K_SCATTER };
static const int kind_inputs[] = {1, 1, 1, 1, 1, 2};

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

static int parse_cut(const cli_ctx *c, const char *s, double cut[3])
{
    char *end;
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        cut[i] = strtod(p, &end);
        if (end == p || !isfinite(cut[i]) || (i < 2 && *end != ',') || (i == 2 && *end)) {
            cli_usage_error(c, "--cut expects X,Y,Z in millimetres, not '%s'", s);
            return -1;
        }
        p = end + 1;
    }
    return 0;
}

int main_plot(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"width", required_argument, NULL, OPT_WIDTH},
        {"height", required_argument, NULL, OPT_HEIGHT},
        {"dpi", required_argument, NULL, OPT_DPI},
        {"font-size", required_argument, NULL, OPT_FONT},
        {"title", required_argument, NULL, OPT_TITLE},
        {"units", required_argument, NULL, OPT_UNITS},
        {"vmin", required_argument, NULL, OPT_VMIN},
        {"vmax", required_argument, NULL, OPT_VMAX},
        {"rdm", required_argument, NULL, OPT_RDM},
        {"labels", required_argument, NULL, OPT_LABELS},
        {"rank", no_argument, NULL, OPT_RANK},
        {"method", required_argument, NULL, OPT_METHOD},
        {"sig", required_argument, NULL, OPT_SIG},
        {"alpha", required_argument, NULL, OPT_ALPHA},
        {"background", required_argument, NULL, OPT_BACKGROUND},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"view", required_argument, NULL, OPT_VIEW},
        {"cut", required_argument, NULL, OPT_CUT},
        {"slices", required_argument, NULL, OPT_SLICES},
        {"axis", required_argument, NULL, OPT_AXIS},
        {"volume", required_argument, NULL, OPT_VOLUME},
        {"xlabel", required_argument, NULL, OPT_XLABEL},
        {"ylabel", required_argument, NULL, OPT_YLABEL},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    static const char *const formats[] = {"png", "svg", NULL};
    static const char *const label_modes[] = {"auto", "all", "none", NULL};
    static const char *const sig_modes[] = {"auto", "p", "p_fdr", "none", NULL};
    static const char *const views[] = {"ortho", "mosaic", NULL};
    static const char *const axes[] = {"x", "y", "z", NULL};
    cli_ctx c;
    cli_ctx_init(&c, BRACT_CMD_PLOT, usage_text);
    bract_plot_opts o;
    bract_plot_opts_init(&o);
    o.format = 0;
    const char *output = NULL, *background = NULL;
    const char **select = NULL;
    size_t nselect = 0;
    int opt, k;
    long lv;
    int rc = CLI_OK;
    while ((opt = getopt_long(argc, argv, ":o:h@:", longopts, NULL)) != -1) {
        int cm = cli_common_option(&c, opt, optarg);
        if (cm == 2) {
            free(select);
            return CLI_OK;
        }
        if (cm < 0)
            goto usage;
        if (cm)
            continue;
        switch (opt) {
        case 'o': output = optarg; break;
        case OPT_FORMAT:
            if ((k = cli_parse_choice(&c, "--format", optarg, formats)) < 0)
                goto usage;
            o.format = k == 0 ? BRACT_PLOT_PNG : BRACT_PLOT_SVG;
            break;
        case OPT_WIDTH:
            if (cli_parse_double(&c, "--width", optarg, 1, 100, &o.width))
                goto usage;
            break;
        case OPT_HEIGHT:
            if (cli_parse_double(&c, "--height", optarg, 1, 100, &o.height))
                goto usage;
            break;
        case OPT_DPI:
            if (cli_parse_double(&c, "--dpi", optarg, 10, 1200, &o.dpi))
                goto usage;
            break;
        case OPT_FONT:
            if (cli_parse_double(&c, "--font-size", optarg, 3, 48, &o.font_size))
                goto usage;
            break;
        case OPT_TITLE: o.title = optarg; break;
        case OPT_UNITS: o.units = optarg; break;
        case OPT_VMIN:
            if (cli_parse_double(&c, "--vmin", optarg, -HUGE_VAL, HUGE_VAL, &o.vmin))
                goto usage;
            break;
        case OPT_VMAX:
            if (cli_parse_double(&c, "--vmax", optarg, -HUGE_VAL, HUGE_VAL, &o.vmax))
                goto usage;
            break;
        case OPT_RDM: {
            const char **s = realloc(select, (nselect + 1) * sizeof *s);
            if (!s) {
                free(select);
                return cli_error(&c, "out of memory");
            }
            select = s;
            select[nselect++] = optarg;
            break;
        }
        case OPT_LABELS:
            if ((k = cli_parse_choice(&c, "--labels", optarg, label_modes)) < 0)
                goto usage;
            o.labels = k == 0 ? BRACT_LABELS_AUTO : k == 1 ? BRACT_LABELS_ALL : BRACT_LABELS_NONE;
            break;
        case OPT_RANK: o.rank = 1; break;
        case OPT_METHOD: o.method = optarg; break;
        case OPT_SIG:
            if ((k = cli_parse_choice(&c, "--sig", optarg, sig_modes)) < 0)
                goto usage;
            o.sig = k == 0 ? BRACT_SIG_AUTO : k == 1 ? BRACT_SIG_P : k == 2 ? BRACT_SIG_PFDR
                                                                            : BRACT_SIG_NONE;
            break;
        case OPT_ALPHA:
            if (cli_parse_double(&c, "--alpha", optarg, 0, 1, &o.alpha))
                goto usage;
            break;
        case OPT_BACKGROUND: background = optarg; break;
        case OPT_THRESHOLD:
            if (cli_parse_double(&c, "--threshold", optarg, 0, HUGE_VAL, &o.threshold))
                goto usage;
            break;
        case OPT_VIEW:
            if ((k = cli_parse_choice(&c, "--view", optarg, views)) < 0)
                goto usage;
            o.view = k == 0 ? BRACT_VIEW_ORTHO : BRACT_VIEW_MOSAIC;
            break;
        case OPT_CUT:
            if (parse_cut(&c, optarg, o.cut))
                goto usage;
            break;
        case OPT_SLICES:
            if (cli_parse_long(&c, "--slices", optarg, 1, 100, &lv))
                goto usage;
            o.slices = (int)lv;
            break;
        case OPT_AXIS:
            if ((k = cli_parse_choice(&c, "--axis", optarg, axes)) < 0)
                goto usage;
            o.axis = k;
            break;
        case OPT_VOLUME:
            if (cli_parse_long(&c, "--volume", optarg, 0, 1000000, &lv))
                goto usage;
            o.volume = (size_t)lv;
            break;
        case OPT_XLABEL: o.xlabel = optarg; break;
        case OPT_YLABEL: o.ylabel = optarg; break;
        case ':':
            cli_usage_error(&c, "option %s needs a value", argv[optind - 1]);
            goto usage;
        default:
            cli_usage_error(&c, "unknown option %s", argv[optind - 1]);
            goto usage;
        }
    }
    if (optind >= argc) {
        free(select);
        if (argc == 1) {
            fputs(usage_text, stdout);
            return CLI_USAGE;
        }
        return cli_usage_error(&c, "no KIND given (rdm, mds, bars, map, states or scatter)");
    }
    int kind = cli_parse_choice(&c, "KIND", argv[optind], kinds);
    if (kind < 0)
        goto usage;
    int ninputs = argc - optind - 1;
    char **inputs = argv + optind + 1;
    if (ninputs != kind_inputs[kind]) {
        cli_usage_error(&c, "plot %s takes %d input%s (got %d)", kinds[kind], kind_inputs[kind],
                        kind_inputs[kind] > 1 ? "s" : "", ninputs);
        goto usage;
    }
    if (!output) {
        cli_usage_error(&c, "no output given (-o FIGURE.png or FIGURE.svg)");
        goto usage;
    }
    int by_name = bract_plot_format_from_name(output);
    if (!o.format && !by_name) {
        cli_usage_error(&c, "cannot tell the format of '%s': name it .png or .svg, or give "
                        "--format", output);
        goto usage;
    }
    if (!o.format)
        o.format = by_name;
    if (nselect && kind != K_RDM && kind != K_MDS && kind != K_BARS) {
        cli_usage_error(&c, "--rdm applies to rdm, mds and bars figures");
        goto usage;
    }
    if (kind == K_MDS && nselect > 1) {
        cli_usage_error(&c, "an MDS plot shows one RDM (got %zu --rdm)", nselect);
        goto usage;
    }
    if (background && kind != K_MAP) {
        cli_usage_error(&c, "--background applies to map figures");
        goto usage;
    }
    o.select = select;
    o.nselect = nselect;
    cli_apply(&c);

    /* fail before any work if the output cannot be written */
    const char *in_list[3] = {inputs[0], ninputs > 1 ? inputs[1] : NULL, background};
    if (bract_output_check(output, c.force) || bract_output_not_input(output, in_list, 3)) {
        rc = cli_fail(&c);
        goto out;
    }
    bract_figure fig;
    memset(&fig, 0, sizeof fig);
    int lib = BRACT_OK;
    char *units = NULL;
    cli_log(&c, "drawing %s from %s", kinds[kind], inputs[0]);
    switch (kind) {
    case K_RDM:
    case K_MDS: {
        bract_rdmset *s;
        if ((lib = bract_rdmset_read(inputs[0], &s)))
            break;
        if (kind == K_MDS && nselect == 0 && s->nrdm > 1) {
            lib = bract_error(BRACT_EINVAL, "%s holds %zu RDMs: choose one with --rdm NAME "
                              "(for example --rdm '%s')", inputs[0], s->nrdm, s->rdm[0].name);
            bract_rdmset_free(s);
            break;
        }
        if (kind == K_RDM && !o.units && !o.rank && (units = units_from_sidecar(inputs[0])))
            o.units = units;
        lib = kind == K_RDM ? bract_plot_rdm(s, &o, &fig) : bract_plot_mds(s, &o, &fig);
        if (lib)
            bract_error_context(lib, "%s", inputs[0]);
        bract_rdmset_free(s);
        break;
    }
    case K_BARS: {
        bract_table *t;
        if ((lib = bract_table_read(inputs[0], &t)))
            break;
        lib = bract_plot_bars(t, &o, &fig);
        bract_table_free(t);
        break;
    }
    case K_MAP: {
        bract_volume *stat = NULL, *bg = NULL;
        if ((lib = bract_volume_read(inputs[0], 0, &stat)) ||
            (background && (lib = bract_volume_read(background, 0, &bg)))) {
            bract_volume_free(stat);
            break;
        }
        lib = bract_plot_map(stat, bg, &o, &fig);
        bract_volume_free(stat);
        bract_volume_free(bg);
        break;
    }
    case K_STATES: lib = bract_plot_states_dir(inputs[0], &o, &fig); break;
    case K_SCATTER: {
        bract_table *tau = NULL, *hier = NULL;
        if ((lib = bract_table_read(inputs[0], &tau)) ||
            (lib = bract_table_read(inputs[1], &hier))) {
            bract_table_free(tau);
            break;
        }
        lib = bract_plot_scatter(tau, hier, &o, &fig);
        bract_table_free(tau);
        bract_table_free(hier);
        break;
    }
    }
    if (lib || (lib = bract_figure_write(&fig, output, c.force))) {
        bract_figure_free(&fig);
        free(units);
        rc = cli_fail(&c);
        goto out;
    }
    size_t nwarn = cli_warnings(&c);
    if (strcmp(output, "-") != 0) {
        bract_sidecar *sc = cli_sidecar(&c);
        if (sc) {
            bract_sidecar_param_str(sc, "kind", kinds[kind]);
            bract_sidecar_param_str(sc, "format", o.format == BRACT_PLOT_SVG ? "svg" : "png");
            bract_sidecar_param_num(sc, "width_in", fig.width / (72 * fig.scale));
            bract_sidecar_param_num(sc, "height_in", fig.height / (72 * fig.scale));
            if (o.format == BRACT_PLOT_PNG)
                bract_sidecar_param_num(sc, "dpi", o.dpi);
            if (o.title)
                bract_sidecar_param_str(sc, "title", o.title);
            if (o.units)
                bract_sidecar_param_str(sc, "units", o.units);
            if (isfinite(o.vmin))
                bract_sidecar_param_num(sc, "vmin", o.vmin);
            if (isfinite(o.vmax))
                bract_sidecar_param_num(sc, "vmax", o.vmax);
            if (nselect) { /* several: joined (the command line has them exactly) */
                size_t len = 1;
                for (size_t i = 0; i < nselect; i++)
                    len += strlen(select[i]) + 2;
                char *names = calloc(len, 1);
                for (size_t i = 0; names && i < nselect; i++) {
                    if (i)
                        strcat(names, ", ");
                    strcat(names, select[i]);
                }
                bract_sidecar_param_str(sc, "rdm", names);
                free(names);
            }
            if (kind == K_RDM) {
                bract_sidecar_param_str(sc, "labels", label_modes[o.labels]);
                bract_sidecar_param_bool(sc, "rank", o.rank);
            }
            if (kind == K_BARS) {
                if (o.method)
                    bract_sidecar_param_str(sc, "method", o.method);
                bract_sidecar_param_str(sc, "sig", sig_modes[o.sig]);
                bract_sidecar_param_num(sc, "alpha", o.alpha);
            }
            if (kind == K_MAP) {
                bract_sidecar_param_num(sc, "threshold", o.threshold);
                bract_sidecar_param_str(sc, "view", views[o.view]);
                if (o.view == BRACT_VIEW_ORTHO) {
                    /* the cut point actually used */
                    char buf[128], x[32], y[32], z[32];
                    snprintf(buf, sizeof buf, "[%s, %s, %s]", bract_format_double(x, fig.cut[0]),
                             bract_format_double(y, fig.cut[1]),
                             bract_format_double(z, fig.cut[2]));
                    bract_sidecar_set_json(sc, "CutMillimetres", buf);
                }
                if (o.view == BRACT_VIEW_MOSAIC) {
                    bract_sidecar_param_int(sc, "slices", o.slices);
                    bract_sidecar_param_str(sc, "axis", axes[o.axis]);
                }
                bract_sidecar_param_int(sc, "volume", (int64_t)o.volume);
            }
            bract_sidecar_input(sc, kind == K_SCATTER ? "timescales" : "data", inputs[0]);
            if (kind == K_SCATTER)
                bract_sidecar_input(sc, "hierarchy", inputs[1]);
            if (background)
                bract_sidecar_input(sc, "background", background);
            bract_sidecar_count(sc, "warnings", (int64_t)nwarn);
        }
        rc = cli_sidecar_finish(&c, sc, output);
        bract_sidecar_free(sc);
    }
    bract_figure_free(&fig);
    free(units);
out:
    free(select);
    bract_plot_release_fonts();
    return rc;
usage:
    free(select);
    return CLI_USAGE;
}
