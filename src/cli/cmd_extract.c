/* bract extract: region time series from a 4-D series and a label atlas. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

static const char usage_text[] =
    "Usage: bract extract --data BOLD.nii.gz --atlas ATLAS.nii.gz -o TS.tsv [options]\n"
    "\n"
    "Average the voxels of each atlas region in every volume of a 4-D series\n"
    "(nilearn NiftiLabelsMasker, strategy \"mean\") and write one column per\n"
    "region, one row per volume.  The TR goes to the sidecar (RepetitionTime).\n"
    "\n"
    "Options:\n"
    "  -d, --data FILE     4-D NIfTI series\n"
    "  -a, --atlas FILE    3-D label image on the same grid (0 = background)\n"
    "  -l, --labels FILE   TSV with columns index and name naming the labels\n"
    "                      [columns are named by label number]\n"
    "  -m, --mask FILE     only voxels inside this mask [all atlas voxels]\n"
    "      --tr S          repetition time in seconds [from the header]\n"
    "  -o, --output FILE   the region time series TSV (\"-\": standard output)\n"
    "\n" CLI_COMMON_HELP;

enum { OPT_TR = OPT_FIRST_CMD };

int main_extract(int argc, char **argv)
{
    static const struct option longopts[] = {{"data", required_argument, NULL, 'd'},
                                             {"atlas", required_argument, NULL, 'a'},
                                             {"labels", required_argument, NULL, 'l'},
                                             {"mask", required_argument, NULL, 'm'},
                                             {"tr", required_argument, NULL, OPT_TR},
                                             {"output", required_argument, NULL, 'o'},
                                             CLI_COMMON_LONGOPTS,
                                             {NULL, 0, NULL, 0}};
    cli_ctx c;
    cli_ctx_init(&c, "extract", usage_text);
    const char *data = NULL, *atlas = NULL, *labels = NULL, *mask = NULL, *out = NULL;
    double tr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":d:a:l:m:o:h@:", longopts, NULL)) != -1) {
        int k = cli_common_option(&c, opt, optarg);
        if (k == 2)
            return CLI_OK;
        if (k < 0)
            return CLI_USAGE;
        if (k)
            continue;
        switch (opt) {
        case 'd': data = optarg; break;
        case 'a': atlas = optarg; break;
        case 'l': labels = optarg; break;
        case 'm': mask = optarg; break;
        case 'o': out = optarg; break;
        case OPT_TR:
            if (cli_parse_double(&c, "--tr", optarg, 1e-6, 1e6, &tr))
                return CLI_USAGE;
            break;
        case ':': return cli_usage_error(&c, "option %s needs a value", argv[optind - 1]);
        default: return cli_usage_error(&c, "unknown option %s", argv[optind - 1]);
        }
    }
    if (argc == 1) {
        fputs(usage_text, stdout);
        return CLI_USAGE;
    }
    if (optind < argc)
        return cli_usage_error(&c, "unexpected argument '%s'", argv[optind]);
    if (!data)
        return cli_usage_error(&c, "no --data given");
    if (!atlas)
        return cli_usage_error(&c, "no --atlas given");
    if (!out)
        return cli_usage_error(&c, "no --output given");
    cli_apply(&c);
    const char *inputs[4] = {data, atlas, labels ? labels : data, mask ? mask : data};
    if (strcmp(out, "-") != 0 &&
        (bract_output_check(out, c.force) || bract_output_not_input(out, inputs, 4)))
        return cli_fail(&c);

    cli_log(&c, "reading %s region by region from %s", atlas, data);
    cli_bar bar;
    cli_bar_start(&bar, &c, "extract");
    bract_progress prog = cli_bar_progress(&bar);
    bract_tseries *ts;
    bract_extract_info info;
    int rc = bract_extract(data, atlas, labels, mask, tr, &ts, &info, &prog);
    cli_bar_finish(&bar);
    if (rc)
        return cli_fail(&c);
    if (tr > 0 && info.tr_header > 0 && fabs(tr - info.tr_header) > 1e-6 * tr)
        bract_warn("--tr %g s replaces the header's TR of %g s", tr, info.tr_header);
    if (!(ts->tr > 0))
        bract_warn("%s: the header has no TR and no --tr was given: the sidecar has no "
                   "RepetitionTime, so filtering later needs --tr",
                   data);
    cli_warnings(&c);
    if ((rc = bract_tseries_write(ts, out, c.force))) {
        bract_tseries_free(ts);
        bract_extract_info_free(&info);
        return cli_fail(&c);
    }
    cli_log(&c, "%zu regions x %zu volumes written to %s", ts->nreg, ts->nt, out);
    int status = CLI_OK;
    if (strcmp(out, "-") != 0) {
        bract_sidecar *s = cli_sidecar(&c);
        if (s) {
            if (ts->tr > 0)
                bract_sidecar_set_num(s, "RepetitionTime", ts->tr);
            bract_sidecar_input(s, "data", data);
            bract_sidecar_input(s, "atlas", atlas);
            if (labels)
                bract_sidecar_input(s, "labels", labels);
            if (mask)
                bract_sidecar_input(s, "mask", mask);
            bract_sidecar_param_str(s, "strategy", "mean");
            bract_sidecar_param_str(s, "nonfinite_voxels", "left out of their region");
            if (tr > 0)
                bract_sidecar_param_num(s, "tr", tr);
            bract_sidecar_count(s, "volumes", (int64_t)info.nvol);
            bract_sidecar_count(s, "regions", (int64_t)info.regions);
            bract_sidecar_count(s, "regions_na",
                                (int64_t)(info.regions_empty + info.regions_nonfinite +
                                          info.regions_constant));
            bract_sidecar_count(s, "regions_empty", (int64_t)info.regions_empty);
            bract_sidecar_count(s, "regions_constant", (int64_t)info.regions_constant);
            bract_sidecar_count(s, "regions_nonfinite", (int64_t)info.regions_nonfinite);
            bract_sidecar_count(s, "voxels_used", (int64_t)info.voxels_used);
            bract_sidecar_count(s, "excluded_voxels_nonfinite", (int64_t)info.voxels_nonfinite);
            /* per region: name, label and voxels averaged */
            json_object *arr = json_object_new_array();
            for (size_t r = 0; r < ts->nreg; r++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "name", json_object_new_string(ts->name[r]));
                json_object_object_add(o, "label", json_object_new_int(info.region_label[r]));
                json_object_object_add(o, "voxels",
                                       json_object_new_int64((int64_t)info.region_nvox[r]));
                json_object_array_add(arr, o);
            }
            bract_sidecar_set_json(s, "Regions",
                                   json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
            json_object_put(arr);
        }
        status = cli_sidecar_finish(&c, s, out);
        bract_sidecar_free(s);
    }
    bract_tseries_free(ts);
    bract_extract_info_free(&info);
    return status;
}
