/* bract info: describe NIfTI volumes, tables and RDM sets. */
#include "cli/cli.h"
#include "cli/opts.h"

#include <math.h>
#include <string.h>

#include <json.h>
#include "bract/tsv.h"

typedef struct {
    int stats, json;
    cli_strlist files;
} args;

static const cli_opt options[] = {
    CLI_GROUP("Options:"),
    CLI_FLAG(0, "stats", args, stats,
             "read the voxel data of volumes: min, max, mean,\n"
             "nonzero and non-finite counts"),
    CLI_FLAG(0, "json", args, json, "print JSON (one object per file, in an array)"),
    CLI_ARGS(args, files, "FILE", "the files to describe", .flags = CLI_REQUIRED),
    CLI_END};

const cli_spec cli_spec_info = {
    "info", "Usage: bract info [options] FILE...",
    "Describe each FILE: a NIfTI volume (.nii, .nii.gz, .hdr/.img), a table\n"
    "(.tsv, .csv, gzipped or not) or an RDM set (a long-form TSV with columns\n"
    "rdm, condition_a, condition_b, dissimilarity, or an HDF5 file of\n"
    "rsatoolbox's RDMs: .h5, .hdf5), a NumPy array (.npy: shape and type) or a\n"
    "JSON sidecar (.json: its keys).",
    options, NULL};

static int is_volume_name(const char *p)
{
    static const char *const ext[] = {".nii", ".nii.gz", ".hdr", ".hdr.gz", ".img", ".img.gz",
                                      NULL};
    for (int i = 0; ext[i]; i++) {
        size_t n = strlen(p), m = strlen(ext[i]);
        if (n >= m && strcmp(p + n - m, ext[i]) == 0)
            return 1;
    }
    return 0;
}

static int has_suffix(const char *p, const char *ext)
{
    size_t n = strlen(p), m = strlen(ext);
    return n >= m && strcmp(p + n - m, ext) == 0;
}

/* A .npy array: its shape and value type, from the header alone. */
static int info_npy(const cli_ctx *c, const char *path, json_object *all)
{
    size_t nr, nc;
    int nd, vb;
    if (bract_npy_describe(path, &nr, &nc, &nd, &vb))
        return cli_fail(c);
    if (all) {
        json_object *o = json_object_new_object(), *shape = json_object_new_array();
        json_object_object_add(o, "file", json_object_new_string(path));
        json_object_object_add(o, "type", json_object_new_string("npy"));
        json_object_object_add(o, "dtype", json_object_new_string(vb == 8 ? "<f8" : "<f4"));
        json_object_array_add(shape, json_object_new_int64((int64_t)nr));
        if (nd == 2)
            json_object_array_add(shape, json_object_new_int64((int64_t)nc));
        json_object_object_add(o, "shape", shape);
        json_object_array_add(all, o);
        return CLI_OK;
    }
    printf("%s\n", path);
    printf("  %-13s NumPy .npy, %s (float%d, C order)\n", "format", vb == 8 ? "<f8" : "<f4",
           8 * vb);
    if (nd == 2)
        printf("  %-13s %zu x %zu\n", "shape", nr, nc);
    else
        printf("  %-13s %zu\n", "shape", nr);
    return CLI_OK;
}

/* A JSON file: a sidecar (a JSON object) and its keys; anything else is
 * refused (it is not a table, whatever its extension says). */
static int info_json(const cli_ctx *c, const char *path, json_object *all)
{
    json_object *root = json_object_from_file(path);
    if (!root || !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return cli_error(c, "%s: not valid JSON (expected a JSON sidecar: a JSON object)", path);
    }
    json_object *cmd = NULL, *keys = json_object_new_array();
    json_object_object_get_ex(root, "Command", &cmd);
    const char *command = cmd && json_object_is_type(cmd, json_type_string)
                              ? json_object_get_string(cmd) : NULL;
    if (!all) {
        printf("%s\n", path);
        printf("  %-13s JSON sidecar, %d key%s\n", "format", json_object_object_length(root),
               json_object_object_length(root) == 1 ? "" : "s");
        if (command)
            printf("  %-13s bract %s\n", "written by", command);
    }
    int first = 1;
    json_object_object_foreach(root, key, val)
    {
        (void)val;
        if (all)
            json_object_array_add(keys, json_object_new_string(key));
        else
            printf("  %-13s %s\n", first ? "keys" : "", key);
        first = 0;
    }
    if (all) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "file", json_object_new_string(path));
        json_object_object_add(o, "type", json_object_new_string("sidecar"));
        json_object_object_add(o, "command", command ? json_object_new_string(command) : NULL);
        json_object_object_add(o, "keys", keys);
        json_object_array_add(all, o);
    } else {
        json_object_put(keys);
    }
    json_object_put(root);
    return CLI_OK;
}

static const char *xform_name(int code)
{
    switch (code) {
    case 0: return "unknown";
    case 1: return "scanner";
    case 2: return "aligned";
    case 3: return "talairach";
    case 4: return "mni_152";
    case 5: return "template_other";
    default: return "invalid";
    }
}

static json_object *jnum(double v)
{
    char buf[32];
    return isfinite(v) ? json_object_new_double_s(v, bract_tsv_format_double(buf, v)) : NULL;
}

static json_object *jaffine(double a[4][4])
{
    json_object *m = json_object_new_array();
    for (int i = 0; i < 4; i++) {
        json_object *row = json_object_new_array();
        for (int j = 0; j < 4; j++)
            json_object_array_add(row, jnum(a[i][j]));
        json_object_array_add(m, row);
    }
    return m;
}

static void print_affine(const char *label, double a[4][4])
{
    char buf[4][4][32];
    int w = 1;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            double x = fabs(a[i][j]) < 5e-13 ? 0.0 : a[i][j];
            snprintf(buf[i][j], sizeof buf[i][j], "%.6g", x);
            int l = (int)strlen(buf[i][j]);
            if (l > w)
                w = l;
        }
    for (int i = 0; i < 4; i++)
        printf("  %-13s [ %*s %*s %*s %*s ]\n", i == 0 ? label : "", w, buf[i][0], w, buf[i][1],
               w, buf[i][2], w, buf[i][3]);
}

static int info_volume(const cli_ctx *c, const char *path, int stats, json_object *all)
{
    bract_volume *v;
    if (bract_volume_read(path, stats ? 0 : BRACT_VOL_HEADER_ONLY, &v))
        return cli_fail(c);
    cli_warnings(c);
    bract_volume_stats st = {0};
    if (stats && bract_volume_summary(v, &st)) {
        bract_volume_free(v);
        return cli_fail(c);
    }
    char ax[4];
    bract_volume_axcodes(v, ax);
    const char *fmt = v->nifti_version == 2 ? "NIfTI-2" : v->nifti_version == 1 ? "NIfTI-1"
                                                                                : "ANALYZE 7.5";
    if (all) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "file", json_object_new_string(path));
        json_object_object_add(o, "type", json_object_new_string("nifti"));
        json_object_object_add(o, "format", json_object_new_string(fmt));
        json_object_object_add(o, "compressed", json_object_new_boolean(v->compressed));
        json_object *d = json_object_new_array();
        json_object_array_add(d, json_object_new_int64(v->nx));
        json_object_array_add(d, json_object_new_int64(v->ny));
        json_object_array_add(d, json_object_new_int64(v->nz));
        if (v->ndim == 4)
            json_object_array_add(d, json_object_new_int64(v->nt));
        json_object_object_add(o, "dims", d);
        json_object *vs = json_object_new_array();
        for (int i = 0; i < 3; i++)
            json_object_array_add(vs, jnum(v->vox_mm[i]));
        json_object_object_add(o, "voxel_mm", vs);
        json_object_object_add(o, "tr_s", v->tr > 0 ? jnum(v->tr) : NULL);
        json_object_object_add(o, "datatype",
                               json_object_new_string(bract_volume_datatype_name(v->datatype)));
        json_object_object_add(o, "scl_slope", jnum(v->scl_slope));
        json_object_object_add(o, "scl_inter", jnum(v->scl_inter));
        json_object_object_add(o, "scaled", json_object_new_boolean(v->scaled));
        json_object_object_add(o, "intent",
                               json_object_new_string(bract_volume_intent_name(v->intent_code)));
        json_object_object_add(o, "intent_name", json_object_new_string(v->intent_name));
        json_object_object_add(o, "description", json_object_new_string(v->descrip));
        json_object_object_add(o, "qform_code", json_object_new_int(v->qform_code));
        json_object_object_add(o, "sform_code", json_object_new_int(v->sform_code));
        json_object_object_add(o, "orientation", json_object_new_string(ax));
        json_object_object_add(o, "affine", jaffine(v->affine));
        if (stats) {
            json_object_object_add(o, "min", jnum(st.min));
            json_object_object_add(o, "max", jnum(st.max));
            json_object_object_add(o, "mean", jnum(st.mean));
            json_object_object_add(o, "nonzero", json_object_new_int64((int64_t)st.nonzero));
            json_object_object_add(o, "nonfinite", json_object_new_int64((int64_t)st.nonfinite));
        }
        json_object_array_add(all, o);
        bract_volume_free(v);
        return CLI_OK;
    }
    printf("%s\n", path);
    printf("  %-13s %s%s\n", "format", fmt, v->compressed ? ", gzip-compressed" : "");
    if (v->ndim == 4)
        printf("  %-13s %lld x %lld x %lld x %lld (4-D: %lld volumes of %zu voxels)\n",
               "dimensions", (long long)v->nx, (long long)v->ny, (long long)v->nz,
               (long long)v->nt, (long long)v->nt, v->nvox);
    else
        printf("  %-13s %lld x %lld x %lld (3-D: %zu voxels)\n", "dimensions", (long long)v->nx,
               (long long)v->ny, (long long)v->nz, v->nvox);
    printf("  %-13s %g x %g x %g mm\n", "voxel size", v->vox_mm[0], v->vox_mm[1], v->vox_mm[2]);
    if (v->ndim == 4) {
        if (v->tr > 0)
            printf("  %-13s %g s\n", "TR", v->tr);
        else
            printf("  %-13s unknown\n", "TR");
    }
    printf("  %-13s %s\n", "datatype", bract_volume_datatype_name(v->datatype));
    if (v->scaled)
        printf("  %-13s slope %g, intercept %g\n", "scaling", v->scl_slope, v->scl_inter);
    else
        printf("  %-13s none\n", "scaling");
    if (v->intent_code) {
        printf("  %-13s %s", "intent", bract_volume_intent_name(v->intent_code));
        if (v->intent_name[0])
            printf(" (%s)", v->intent_name);
        if (v->intent_p[0] != 0 || v->intent_p[1] != 0 || v->intent_p[2] != 0)
            printf(", parameters %g %g %g", v->intent_p[0], v->intent_p[1], v->intent_p[2]);
        printf("\n");
    } else {
        printf("  %-13s none\n", "intent");
    }
    if (v->descrip[0])
        printf("  %-13s %s\n", "description", v->descrip);
    printf("  %-13s qform %d (%s), sform %d (%s); affine from %s\n", "transforms",
           v->qform_code, xform_name(v->qform_code), v->sform_code, xform_name(v->sform_code),
           v->sform_code > 0 ? "sform" : v->qform_code > 0 ? "qform" : "voxel size");
    printf("  %-13s %s\n", "orientation", ax);
    print_affine("affine", v->affine);
    if (stats) {
        printf("  %-13s min %.6g, max %.6g, mean %.6g\n", "values", st.min, st.max, st.mean);
        printf("  %-13s %zu nonzero, %zu non-finite of %zu\n", "", st.nonzero, st.nonfinite,
               v->nvox * (size_t)v->nt);
    }
    bract_volume_free(v);
    return CLI_OK;
}

static int is_rdmset(const bract_table *t)
{
    return bract_table_find(t, "rdm") >= 0 && bract_table_find(t, "condition_a") >= 0 &&
           bract_table_find(t, "condition_b") >= 0 && bract_table_find(t, "dissimilarity") >= 0;
}

static int info_rdmset(const cli_ctx *c, const char *path, json_object *all)
{
    bract_rdmset *s;
    if (bract_rdmset_read(path, &s))
        return cli_fail(c);
    json_object *o = NULL, *arr = NULL;
    if (all) {
        o = json_object_new_object();
        json_object_object_add(o, "file", json_object_new_string(path));
        json_object_object_add(o, "type", json_object_new_string("rdmset"));
        json_object_object_add(o, "format", json_object_new_string(
                                               bract_rdmset_is_hdf5(path) ? "hdf5" : "tsv"));
        json_object_object_add(o, "measure",
                               s->measure ? json_object_new_string(s->measure) : NULL);
        arr = json_object_new_array();
        json_object_object_add(o, "rdms", arr);
        json_object_array_add(all, o);
    } else {
        printf("%s\n", path);
        const char *fmt = bract_rdmset_is_hdf5(path) ? "HDF5, rsatoolbox layout" : "long-form TSV";
        printf("  %-13s RDM set (%s), %zu RDM%s\n", "format", fmt, s->nrdm,
               s->nrdm == 1 ? "" : "s");
        if (s->measure)
            printf("  %-13s %s\n", "measure", s->measure);
    }
    for (size_t k = 0; k < s->nrdm; k++) {
        const bract_rdm *r = &s->rdm[k];
        size_t np = bract_npairs(r->n), miss = 0;
        double lo = INFINITY, hi = -INFINITY;
        for (size_t p = 0; p < np; p++) {
            if (isnan(r->d[p])) {
                miss++;
                continue;
            }
            lo = fmin(lo, r->d[p]);
            hi = fmax(hi, r->d[p]);
        }
        if (all) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "name", json_object_new_string(r->name));
            json_object_object_add(e, "conditions", json_object_new_int64((int64_t)r->n));
            json_object_object_add(e, "pairs", json_object_new_int64((int64_t)np));
            json_object_object_add(e, "missing", json_object_new_int64((int64_t)miss));
            json_object_object_add(e, "min", miss < np ? jnum(lo) : NULL);
            json_object_object_add(e, "max", miss < np ? jnum(hi) : NULL);
            json_object_array_add(arr, e);
        } else {
            printf("  %-13s %s: %zu conditions, %zu pairs", k == 0 ? "RDMs" : "", r->name, r->n,
                   np);
            if (miss)
                printf(", %zu missing", miss);
            if (miss < np)
                printf(", range %.6g to %.6g", lo, hi);
            printf("\n");
        }
    }
    bract_rdmset_free(s);
    return CLI_OK;
}

static int info_table(const cli_ctx *c, const char *path, json_object *all)
{
    if (bract_rdmset_is_hdf5(path))
        return info_rdmset(c, path, all);
    bract_table *t;
    if (bract_table_read(path, &t))
        return cli_fail(c);
    if (is_rdmset(t)) {
        bract_table_free(t);
        return info_rdmset(c, path, all);
    }
    json_object *o = NULL, *cols = NULL;
    if (all) {
        o = json_object_new_object();
        json_object_object_add(o, "file", json_object_new_string(path));
        json_object_object_add(o, "type", json_object_new_string("table"));
        json_object_object_add(o, "delimiter",
                               json_object_new_string(t->delim == '\t' ? "tab" : "comma"));
        json_object_object_add(o, "rows", json_object_new_int64((int64_t)t->nrows));
        cols = json_object_new_array();
        json_object_object_add(o, "columns", cols);
        json_object_array_add(all, o);
    } else {
        printf("%s\n", path);
        printf("  %-13s %s, %zu row%s x %zu column%s\n", "format",
               t->delim == '\t' ? "TSV" : "CSV", t->nrows, t->nrows == 1 ? "" : "s", t->ncols,
               t->ncols == 1 ? "" : "s");
    }
    size_t show = all ? t->ncols : (t->ncols > 24 ? 20 : t->ncols);
    for (size_t col = 0; col < show; col++) {
        size_t miss = 0, text = 0;
        double lo = INFINITY, hi = -INFINITY, x;
        for (size_t r = 0; r < t->nrows; r++) {
            const char *s = bract_table_cell(t, r, col);
            if (bract_table_cell_missing(s))
                miss++;
            else if (bract_table_parse_double(s, &x))
                text++;
            else {
                lo = fmin(lo, x);
                hi = fmax(hi, x);
            }
        }
        int numeric = text == 0 && miss < t->nrows;
        if (all) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "name", json_object_new_string(t->colname[col]));
            json_object_object_add(e, "type", json_object_new_string(numeric ? "number" : "text"));
            json_object_object_add(e, "missing", json_object_new_int64((int64_t)miss));
            if (numeric) {
                json_object_object_add(e, "min", jnum(lo));
                json_object_object_add(e, "max", jnum(hi));
            }
            json_object_array_add(cols, e);
        } else {
            printf("  %-13s %s: ", col == 0 ? "columns" : "", t->colname[col]);
            if (numeric)
                printf("numbers %.6g to %.6g", lo, hi);
            else
                printf("text");
            if (miss)
                printf(", %zu missing", miss);
            printf("\n");
        }
    }
    if (show < t->ncols)
        printf("  %-13s ... and %zu more columns\n", "", t->ncols - show);
    bract_table_free(t);
    return CLI_OK;
}

int main_info(int argc, char **argv)
{
    cli_ctx c;
    cli_ctx_init(&c, "info", NULL);
    args a = {0};
    int rc = cli_parse(&c, &cli_spec_info, &a, argc, argv);
    if (rc != CLI_CONTINUE) {
        cli_args_free(&cli_spec_info, &a);
        return rc;
    }
    cli_apply(&c);
    json_object *all = a.json ? json_object_new_array() : NULL;
    for (size_t i = 0; i < a.files.n; i++) {
        const char *f = a.files.v[i];
        if (!a.json && i > 0)
            printf("\n");
        int r = is_volume_name(f)        ? info_volume(&c, f, a.stats, all)
                : has_suffix(f, ".npy")  ? info_npy(&c, f, all)
                : has_suffix(f, ".json") ? info_json(&c, f, all)
                                         : info_table(&c, f, all);
        if (r)
            rc = r; /* describe the others anyway */
    }
    if (rc == CLI_CONTINUE)
        rc = CLI_OK;
    if (all) {
        puts(json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY |
                                                     JSON_C_TO_STRING_SPACED |
                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(all);
    }
    cli_args_free(&cli_spec_info, &a);
    return rc;
}
