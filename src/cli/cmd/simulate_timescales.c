/* bract simulate timescales: regions (and voxels) whose signals are
 * Ornstein-Uhlenbeck processes with timescales along a planted gradient. */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int main_simulate_timescales(int argc, char **argv);

static const char usage_text[] =
    "Usage: bract simulate timescales -o DIR [options]\n"
    "\n"
    "Region time series whose signals are Ornstein-Uhlenbeck processes (AR(1)\n"
    "sampled exactly: phi = exp(-TR / tau)) with timescales on a geometric\n"
    "gradient from --tau-min to --tau-max, plus white noise; optionally a 4-D\n"
    "volume with an atlas whose voxels carry their region's timescale.\n"
    "Writes timeseries.tsv (+ .json with RepetitionTime) and truth.tsv\n"
    "(region, value = position on the gradient, tau_s, x, y, z in mm: usable as\n"
    "both --index and --coords of 'bract timescale hierarchy').\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR       directory to write (created if missing)\n"
    "      --regions N        regions [20]\n"
    "      --volumes T        volumes per series [600]\n"
    "      --tr SECONDS       repetition time [2]\n"
    "      --tau-min SECONDS  timescale of the first region [2]\n"
    "      --tau-max SECONDS  timescale of the last region [20]\n"
    "      --noise SD         white noise SD, relative to the signal's SD of 1 [0.5]\n"
    "      --subjects N       subjects: files sub-NN_timeseries.tsv [1]\n"
    "      --subject-sd X     subject timescales tau * exp(X z), z ~ N(0, 1) [0.1]\n"
    "      --volume           also write bold.nii.gz, atlas.nii.gz, labels.tsv and\n"
    "                         mask.nii.gz (3 mm voxels)\n"
    "      --block N          region cubes of N x N x N voxels [2]\n"
    "\n" CLI_COMMON_HELP;

enum {
    OPT_REGIONS = OPT_FIRST_CMD,
    OPT_VOLUMES,
    OPT_TR,
    OPT_TAU_MIN,
    OPT_TAU_MAX,
    OPT_NOISE,
    OPT_SUBJECTS,
    OPT_SUBJECT_SD,
    OPT_VOLUME,
    OPT_BLOCK
};

typedef struct {
    long nreg, nt, nsub, block;
    double tr, tau_min, tau_max, noise, subject_sd;
    int volume;
} sim_opts;

/* Layout: region cubes on a grid of ncol x nrow, a voxel apart, regions
 * numbered along a snake (left to right, then right to left) so that the
 * gradient is continuous in space. */
typedef struct {
    long ncol, nrow;
    int64_t dims[3];
    double affine[4][4];
} layout;

static void make_layout(const sim_opts *o, layout *l)
{
    l->ncol = (long)ceil(sqrt((double)o->nreg));
    l->nrow = (o->nreg + l->ncol - 1) / l->ncol;
    l->dims[0] = l->ncol * (o->block + 1) + 1;
    l->dims[1] = l->nrow * (o->block + 1) + 1;
    l->dims[2] = o->block + 2;
    memset(l->affine, 0, sizeof l->affine);
    for (int i = 0; i < 3; i++) {
        l->affine[i][i] = 3.0;
        l->affine[i][3] = -1.5 * (double)(l->dims[i] - 1); /* centre at 0 mm */
    }
    l->affine[3][3] = 1.0;
}

/* Corner voxel of region g's cube. */
static void region_corner(const sim_opts *o, const layout *l, long g, int64_t c[3])
{
    long row = g / l->ncol, col = g % l->ncol;
    if (row % 2)
        col = l->ncol - 1 - col;
    c[0] = 1 + col * (o->block + 1);
    c[1] = 1 + row * (o->block + 1);
    c[2] = 1;
}

static void region_centre_mm(const sim_opts *o, const layout *l, long g, double xyz[3])
{
    int64_t c[3];
    region_corner(o, l, g, c);
    double h = 0.5 * (double)(o->block - 1);
    for (int i = 0; i < 3; i++)
        xyz[i] = l->affine[i][i] * ((double)c[i] + h) + l->affine[i][3];
}

/* Signal + noise from stream (seed, stream, substream). */
static void series(uint64_t seed, uint64_t stream, uint32_t sub, double tau, const sim_opts *o,
                   double *x)
{
    bract_rng r;
    bract_rng_init(&r, seed, stream, sub);
    bract_ar1_simulate(exp(-o->tr / tau), (size_t)o->nt, &r, x);
    for (long t = 0; t < o->nt; t++)
        x[t] += o->noise * bract_rng_normal(&r);
}

static int write_sub_table(const cli_ctx *c, const char *path, bract_tsv_writer *w,
                           bract_sidecar *sc)
{
    if (bract_tsv_commit(w))
        return cli_fail(c);
    return cli_sidecar_finish(c, sc, path);
}

int main_simulate_timescales(int argc, char **argv)
{
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"regions", required_argument, NULL, OPT_REGIONS},
                                             {"volumes", required_argument, NULL, OPT_VOLUMES},
                                             {"tr", required_argument, NULL, OPT_TR},
                                             {"tau-min", required_argument, NULL, OPT_TAU_MIN},
                                             {"tau-max", required_argument, NULL, OPT_TAU_MAX},
                                             {"noise", required_argument, NULL, OPT_NOISE},
                                             {"subjects", required_argument, NULL, OPT_SUBJECTS},
                                             {"subject-sd", required_argument, NULL,
                                              OPT_SUBJECT_SD},
                                             {"volume", no_argument, NULL, OPT_VOLUME},
                                             {"block", required_argument, NULL, OPT_BLOCK},
                                             CLI_COMMON_LONGOPTS,
                                             {NULL, 0, NULL, 0}};
    cli_ctx c;
    cli_ctx_init(&c, "simulate timescales", usage_text);
    sim_opts o = {20, 600, 1, 2, 2.0, 2.0, 20.0, 0.5, 0.1, 0};
    const char *dir = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, ":o:h@:", longopts, NULL)) != -1) {
        int k = cli_common_option(&c, opt, optarg);
        if (k == 2)
            return CLI_OK;
        if (k < 0)
            return CLI_USAGE;
        if (k)
            continue;
        int bad = 0;
        switch (opt) {
        case 'o': dir = optarg; break;
        case OPT_REGIONS: bad = cli_parse_long(&c, "--regions", optarg, 3, 10000, &o.nreg); break;
        case OPT_VOLUMES:
            bad = cli_parse_long(&c, "--volumes", optarg, 3, 10000000, &o.nt);
            break;
        case OPT_TR: bad = cli_parse_double(&c, "--tr", optarg, 1e-3, 1000, &o.tr); break;
        case OPT_TAU_MIN:
            bad = cli_parse_double(&c, "--tau-min", optarg, 1e-3, 1e6, &o.tau_min);
            break;
        case OPT_TAU_MAX:
            bad = cli_parse_double(&c, "--tau-max", optarg, 1e-3, 1e6, &o.tau_max);
            break;
        case OPT_NOISE: bad = cli_parse_double(&c, "--noise", optarg, 0, 1e6, &o.noise); break;
        case OPT_SUBJECTS:
            bad = cli_parse_long(&c, "--subjects", optarg, 1, 999, &o.nsub);
            break;
        case OPT_SUBJECT_SD:
            bad = cli_parse_double(&c, "--subject-sd", optarg, 0, 10, &o.subject_sd);
            break;
        case OPT_VOLUME: o.volume = 1; break;
        case OPT_BLOCK: bad = cli_parse_long(&c, "--block", optarg, 1, 32, &o.block); break;
        case ':': return cli_usage_error(&c, "option %s needs a value", argv[optind - 1]);
        default: return cli_usage_error(&c, "unknown option %s", argv[optind - 1]);
        }
        if (bad)
            return CLI_USAGE;
    }
    if (optind < argc)
        return cli_usage_error(&c, "unexpected argument '%s'", argv[optind]);
    if (!dir)
        return cli_usage_error(&c, "no --output directory given");
    if (o.tau_max < o.tau_min)
        return cli_usage_error(&c, "--tau-max (%g) is below --tau-min (%g)", o.tau_max,
                               o.tau_min);
    cli_apply(&c);
    if (bract_make_dir(dir, NULL))
        return cli_fail(&c);

    /* every output name, checked before anything is written */
    size_t nfiles = 1 + (size_t)o.nsub * (o.volume ? 2 : 1) + (o.volume ? 3 : 0) +
                    (o.nsub > 1 ? 1 : 0);
    char (*path)[4096] = calloc(nfiles, sizeof *path);
    if (!path)
        return cli_error(&c, "out of memory");
    size_t np = 0;
    size_t p_truth = np++, p_ts = np, p_bold, p_atlas = 0, p_labels = 0, p_mask = 0, p_subj = 0;
    snprintf(path[p_truth], sizeof path[0], "%s/truth.tsv", dir);
    for (long s = 0; s < o.nsub; s++) {
        if (o.nsub == 1)
            snprintf(path[np++], sizeof path[0], "%s/timeseries.tsv", dir);
        else
            snprintf(path[np++], sizeof path[0], "%s/sub-%02ld_timeseries.tsv", dir, s + 1);
    }
    p_bold = np;
    if (o.volume) {
        for (long s = 0; s < o.nsub; s++) {
            if (o.nsub == 1)
                snprintf(path[np++], sizeof path[0], "%s/bold.nii.gz", dir);
            else
                snprintf(path[np++], sizeof path[0], "%s/sub-%02ld_bold.nii.gz", dir, s + 1);
        }
        p_atlas = np++;
        snprintf(path[p_atlas], sizeof path[0], "%s/atlas.nii.gz", dir);
        p_labels = np++;
        snprintf(path[p_labels], sizeof path[0], "%s/labels.tsv", dir);
        p_mask = np++;
        snprintf(path[p_mask], sizeof path[0], "%s/mask.nii.gz", dir);
    }
    if (o.nsub > 1) {
        p_subj = np++;
        snprintf(path[p_subj], sizeof path[0], "%s/truth_subjects.tsv", dir);
    }
    for (size_t k = 0; k < np; k++)
        if (bract_output_check(path[k], c.force)) {
            free(path);
            return cli_fail(&c);
        }

    int rc = CLI_DATA_ERROR;
    layout l;
    make_layout(&o, &l);
    long R = o.nreg, T = o.nt;
    double *tau = malloc((size_t)R * sizeof *tau);
    double *tsub = malloc((size_t)(R * o.nsub) * sizeof *tsub);
    double *x = malloc((size_t)T * sizeof *x);
    char **names = calloc((size_t)R, sizeof *names);
    bract_tseries *ts = NULL;
    bract_volume *bold = NULL, *atlas = NULL, *mask = NULL;
    bract_sidecar *sc = cli_sidecar(&c);
    if (!tau || !tsub || !x || !names || !sc) {
        cli_error(&c, "out of memory");
        goto done;
    }
    for (long g = 0; g < R; g++) {
        tau[g] = o.tau_min * pow(o.tau_max / o.tau_min, (double)g / (double)(R - 1));
        char buf[32];
        snprintf(buf, sizeof buf, "R%0*ld", R >= 100 ? 3 : 2, g + 1);
        if (!(names[g] = strdup(buf))) {
            cli_error(&c, "out of memory");
            goto done;
        }
    }
    /* subject timescales: tau * exp(sd z), z from stream (seed, subject, 2) */
    for (long s = 0; s < o.nsub; s++) {
        bract_rng r;
        bract_rng_init(&r, c.seed, (uint64_t)s, 2);
        for (long g = 0; g < R; g++) {
            double z = bract_rng_normal(&r);
            tsub[s * R + g] = o.nsub > 1 ? tau[g] * exp(o.subject_sd * z) : tau[g];
        }
    }
    bract_sidecar_param_int(sc, "regions", R);
    bract_sidecar_param_int(sc, "volumes", T);
    bract_sidecar_param_num(sc, "tr_s", o.tr);
    bract_sidecar_param_num(sc, "tau_min_s", o.tau_min);
    bract_sidecar_param_num(sc, "tau_max_s", o.tau_max);
    bract_sidecar_param_str(sc, "gradient", "geometric");
    bract_sidecar_param_num(sc, "noise_sd", o.noise);
    bract_sidecar_param_int(sc, "subjects", o.nsub);
    if (o.nsub > 1)
        bract_sidecar_param_num(sc, "subject_sd", o.subject_sd);
    bract_sidecar_param_bool(sc, "volume", o.volume);
    if (o.volume)
        bract_sidecar_param_int(sc, "block", o.block);
    bract_sidecar_param_int(sc, "seed", (int64_t)c.seed);
    bract_sidecar_set_str(sc, "Model",
                          "x = AR(1) with phi = exp(-TR/tau) and unit variance + noise_sd * "
                          "N(0,1); voxels: 1000 + an independent such series each");
    bract_sidecar_set_num(sc, "RepetitionTime", o.tr);

    /* truth.tsv */
    {
        static const char *const cols[] = {"region", "value", "tau_s", "x", "y", "z"};
        bract_tsv_writer *w;
        if (bract_tsv_open(path[p_truth], c.force, 6, cols, &w)) {
            cli_fail(&c);
            goto done;
        }
        for (long g = 0; g < R; g++) {
            double xyz[3];
            region_centre_mm(&o, &l, g, xyz);
            bract_tsv_str(w, names[g]);
            bract_tsv_double(w, (double)g / (double)(R - 1));
            bract_tsv_double(w, tau[g]);
            for (int i = 0; i < 3; i++)
                bract_tsv_double(w, xyz[i]);
            bract_tsv_end_row(w);
        }
        bract_sidecar_set_str(sc, "Contents", "planted timescales: value = position on the "
                              "gradient (0 to 1), tau_s in seconds, region centres in mm");
        if (write_sub_table(&c, path[p_truth], w, sc))
            goto done;
    }
    if (o.nsub > 1) {
        static const char *const cols[] = {"subject", "region", "tau_s"};
        bract_tsv_writer *w;
        if (bract_tsv_open(path[p_subj], c.force, 3, cols, &w)) {
            cli_fail(&c);
            goto done;
        }
        for (long s = 0; s < o.nsub; s++)
            for (long g = 0; g < R; g++) {
                char sb[32];
                snprintf(sb, sizeof sb, "sub-%02ld", s + 1);
                bract_tsv_str(w, sb);
                bract_tsv_str(w, names[g]);
                bract_tsv_double(w, tsub[s * R + g]);
                bract_tsv_end_row(w);
            }
        bract_sidecar_set_str(sc, "Contents", "each subject's planted timescales (s)");
        if (write_sub_table(&c, path[p_subj], w, sc))
            goto done;
    }
    /* region series: stream (seed, subject << 32 | region, 0) */
    if (!(ts = bract_tseries_alloc((size_t)T, (size_t)R))) {
        cli_fail(&c);
        goto done;
    }
    for (long g = 0; g < R; g++) {
        free(ts->name[g]);
        if (!(ts->name[g] = strdup(names[g]))) {
            cli_error(&c, "out of memory");
            goto done;
        }
    }
    ts->tr = o.tr;
    for (long s = 0; s < o.nsub; s++) {
        for (long g = 0; g < R; g++)
            series(c.seed, ((uint64_t)s << 32) | (uint64_t)g, 0, tsub[s * R + g], &o,
                   ts->x + (size_t)(g * T));
        if (bract_tseries_write(ts, path[p_ts + (size_t)s], c.force)) {
            cli_fail(&c);
            goto done;
        }
        bract_sidecar_set_str(sc, "Contents", "region time series, a column per region");
        if (cli_sidecar_finish(&c, sc, path[p_ts + (size_t)s]))
            goto done;
    }
    if (o.volume) {
        int64_t d4[4] = {l.dims[0], l.dims[1], l.dims[2], T}, d3[4] = {l.dims[0], l.dims[1],
                                                                    l.dims[2], 1};
        double vox[3] = {3, 3, 3};
        if (bract_volume_new(d3, vox, (const double(*)[4])l.affine, 0, BRACT_F32, &atlas) ||
            bract_volume_new(d3, vox, (const double(*)[4])l.affine, 0, BRACT_F32, &mask) ||
            bract_volume_new(d4, vox, (const double(*)[4])l.affine, o.tr, BRACT_F32, &bold)) {
            cli_fail(&c);
            goto done;
        }
        size_t nvox = atlas->nvox;
        for (long g = 0; g < R; g++) {
            int64_t c0[3];
            region_corner(&o, &l, g, c0);
            for (long k = 0; k < o.block; k++)
                for (long j = 0; j < o.block; j++)
                    for (long i = 0; i < o.block; i++) {
                        size_t v = (size_t)((c0[0] + i) +
                                            l.dims[0] * ((c0[1] + j) + l.dims[1] * (c0[2] + k)));
                        bract_volume_set(atlas, v, (double)(g + 1));
                        bract_volume_set(mask, v, 1.0);
                    }
        }
        bract_volume_write_opts wo = {BRACT_INTENT_LABEL, {0, 0, 0}, "regions",
                                      "bract simulate timescales: region labels", c.force};
        if (bract_volume_write(atlas, path[p_atlas], &wo)) {
            cli_fail(&c);
            goto done;
        }
        bract_sidecar_set_str(sc, "Contents", "atlas: label g = region g of truth.tsv");
        if (cli_sidecar_finish(&c, sc, path[p_atlas]))
            goto done;
        bract_volume_write_opts wm = {BRACT_INTENT_NONE, {0, 0, 0}, "mask",
                                      "bract simulate timescales: region voxels", c.force};
        if (bract_volume_write(mask, path[p_mask], &wm)) {
            cli_fail(&c);
            goto done;
        }
        bract_sidecar_set_str(sc, "Contents", "mask of the region voxels");
        if (cli_sidecar_finish(&c, sc, path[p_mask]))
            goto done;
        {
            static const char *const cols[] = {"index", "name"};
            bract_tsv_writer *w;
            if (bract_tsv_open(path[p_labels], c.force, 2, cols, &w)) {
                cli_fail(&c);
                goto done;
            }
            for (long g = 0; g < R; g++) {
                bract_tsv_long(w, g + 1);
                bract_tsv_str(w, names[g]);
                bract_tsv_end_row(w);
            }
            bract_sidecar_set_str(sc, "Contents", "atlas labels");
            if (write_sub_table(&c, path[p_labels], w, sc))
                goto done;
        }
        /* voxel series: stream (seed, subject << 32 | voxel, 1), 1000 + signal */
        for (long s = 0; s < o.nsub; s++) {
            for (size_t v = 0; v < nvox; v++) {
                double lab = bract_volume_get(atlas, v);
                if (lab < 1) {
                    for (long t = 0; t < T; t++)
                        bract_volume_set(bold, v + nvox * (size_t)t, 0.0);
                    continue;
                }
                long g = (long)lab - 1;
                series(c.seed, ((uint64_t)s << 32) | (uint64_t)v, 1, tsub[s * R + g], &o, x);
                for (long t = 0; t < T; t++)
                    bract_volume_set(bold, v + nvox * (size_t)t, 1000.0 + x[t]);
            }
            bract_volume_write_opts wb = {BRACT_INTENT_NONE, {0, 0, 0}, "",
                                          "bract simulate timescales: BOLD", c.force};
            if (bract_volume_write(bold, path[p_bold + (size_t)s], &wb)) {
                cli_fail(&c);
                goto done;
            }
            bract_sidecar_set_str(sc, "Contents", "4-D series; each region voxel an "
                                  "independent series with its region's timescale");
            if (cli_sidecar_finish(&c, sc, path[p_bold + (size_t)s]))
                goto done;
        }
    }
    cli_log(&c, "wrote %zu files to %s", np, dir);
    rc = CLI_OK;
done:
    if (names)
        for (long g = 0; g < R; g++)
            free(names[g]);
    free(names);
    free(tau);
    free(tsub);
    free(x);
    free(path);
    bract_tseries_free(ts);
    bract_volume_free(bold);
    bract_volume_free(atlas);
    bract_volume_free(mask);
    bract_sidecar_free(sc);
    return rc;
}
