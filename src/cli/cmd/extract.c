/* bract extract: region time series from a 4-D series and a label atlas. */
#include "cli/cli.h"
#include "cli/opts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

typedef struct {
    const char *data, *atlas, *labels, *mask, *out;
    double tr;
} args;

static const cli_opt options[] = {
    CLI_GROUP("Options:"),
    CLI_STRING('d', "data", args, data, "FILE", "4-D NIfTI series", .flags = CLI_REQUIRED),
    CLI_STRING('a', "atlas", args, atlas, "FILE", "3-D label image on the same grid (0 = background)",
               .flags = CLI_REQUIRED),
    CLI_STRING('l', "labels", args, labels, "FILE",
               "TSV with columns index and name naming the labels\n"
               "[columns are named by label number]"),
    CLI_STRING('m', "mask", args, mask, "FILE", "only voxels inside this mask [all atlas voxels]"),
    CLI_DOUBLE(0, "tr", args, tr, 1e-6, 1e6, "S", "repetition time in seconds [from the header]"),
    CLI_STRING('o', "output", args, out, "FILE",
               "the region time series TSV (\"-\": standard output)", .flags = CLI_REQUIRED),
    CLI_END};

const cli_spec cli_spec_extract = {
    "extract", "Usage: bract extract --data BOLD.nii.gz --atlas ATLAS.nii.gz -o TS.tsv [options]",
    "Average the voxels of each atlas region in every volume of a 4-D series\n"
    "(nilearn NiftiLabelsMasker, strategy \"mean\") and write one column per\n"
    "region, one row per volume.  The TR goes to the sidecar (RepetitionTime).",
    options, NULL};

int main_extract(int argc, char **argv)
{
    cli_ctx c;
    cli_ctx_init(&c, "extract", NULL);
    args a = {0};
    int st = cli_parse(&c, &cli_spec_extract, &a, argc, argv);
    if (st != CLI_CONTINUE)
        return st;
    const char *data = a.data, *atlas = a.atlas, *labels = a.labels, *mask = a.mask,
               *out = a.out;
    double tr = a.tr;
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
