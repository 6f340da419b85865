/* Unit tests of bract/output.h and bract/sidecar.h. */
#include "testutil.h"
#include "base/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json.h>
#include "bract/sidecar.h"

static char *tmp;
static void setup(void) { tmp = tu_tmpdir(); }
static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

START_TEST(commit_and_abort)
{
    char *p = tu_join(tmp, "a.nii.gz");
    bract_output *o;
    ck_assert_int_eq(bract_output_open(p, 0, &o), 0);
    const char *t = bract_output_tmppath(o);
    ck_assert(tu_contains(t, "/.a.bract-"));
    ck_assert(bract_ends_with(t, ".nii.gz")); /* the extension survives */
    fputs("data", bract_output_stream(o));
    ck_assert(!tu_exists(p));
    ck_assert_int_eq(bract_output_commit(o), 0);
    char *s = tu_slurp(p);
    ck_assert_str_eq(s, "data");
    free(s);
    ck_assert_int_eq(bract_output_open(p, 1, &o), 0);
    fputs("new", bract_output_stream(o));
    bract_output_abort(o);
    s = tu_slurp(p);
    ck_assert_str_eq(s, "data"); /* abort leaves the old file */
    free(s);
    ck_assert_int_eq(tu_count_entries(tmp), 1);
    free(p);
}
END_TEST

START_TEST(checks)
{
    char *p = tu_join(tmp, "x.tsv");
    tu_write(p, "x\n");
    ck_assert_int_eq(bract_output_check(p, 0), BRACT_EEXIST);
    ck_assert_error_has("x.tsv: exists (use --force to overwrite)");
    ck_assert_int_eq(bract_output_check(p, 1), 0);
    ck_assert_int_eq(bract_output_check("/nonexistent-dir/x.tsv", 0), BRACT_EIO);
    ck_assert_error_has("directory /nonexistent-dir does not exist");
    ck_assert_int_eq(bract_output_check(tmp, 1), BRACT_EIO);
    ck_assert_error_has("is a directory");
    /* an output that is an input, spelled differently */
    char other[4200];
    snprintf(other, sizeof other, "%s/./x.tsv", tmp);
    const char *inputs[] = {"testdata/README.md", other};
    ck_assert_int_eq(bract_output_not_input(p, inputs, 2), BRACT_EINVAL);
    ck_assert_error_has("refusing to overwrite an input");
    ck_assert_int_eq(bract_output_not_input(p, inputs, 1), 0);
    free(p);
}
END_TEST

START_TEST(sidecar_names)
{
    const char *cases[][2] = {{"out/sub-01_rdms.tsv", "out/sub-01_rdms.json"},
                              {"map.nii.gz", "map.json"},
                              {"a.b/map.nii", "a.b/map.json"},
                              {"res.tsv.gz", "res.json"},
                              {"noext", "noext.json"},
                              {"report.html", "report.json"},
                              {"meta.json", "meta.json.json"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *s = bract_sidecar_path(cases[i][0]);
        ck_assert_str_eq(s, cases[i][1]);
        free(s);
    }
    ck_assert_ptr_null(bract_sidecar_path("-"));
}
END_TEST

START_TEST(sidecar_contents)
{
    bract_sidecar *s = bract_sidecar_new("rdm neural");
    char *argv[] = {"bract", "rdm", "neural", "--mask", "my mask.nii", NULL};
    bract_sidecar_cmdline(s, 5, argv);
    bract_sidecar_param_str(s, "method", "correlation");
    bract_sidecar_param_num(s, "radius_mm", 6.0);
    bract_sidecar_param_num(s, "tolerance", 0.1);
    bract_sidecar_param_int(s, "permutations", 10000);
    bract_sidecar_param_bool(s, "strict", 0);
    bract_sidecar_input(s, "data", "a.nii.gz");
    bract_sidecar_input(s, "model", "m1.tsv");
    bract_sidecar_input(s, "model", "m2.tsv");
    bract_sidecar_count(s, "excluded_voxels", 3);
    bract_sidecar_wall_time(s, 1.5);
    char *out = tu_join(tmp, "rdms.tsv");
    ck_assert_int_eq(bract_sidecar_write(s, out, 0), 0);
    bract_sidecar_free(s);
    char *js = tu_join(tmp, "rdms.json");
    char *txt = tu_slurp(js);
    json_object *o = json_tokener_parse(txt);
    ck_assert_ptr_nonnull(o);
    json_object *v, *w;
    ck_assert(json_object_object_get_ex(o, "CommandLine", &v));
    ck_assert_str_eq(json_object_get_string(v), "bract rdm neural --mask 'my mask.nii'");
    ck_assert(json_object_object_get_ex(o, "Parameters", &v));
    ck_assert(json_object_object_get_ex(v, "permutations", &w));
    ck_assert_int_eq(json_object_get_int(w), 10000);
    ck_assert(json_object_object_get_ex(o, "Sources", &v));
    ck_assert(json_object_object_get_ex(v, "model", &w));
    ck_assert_int_eq((int)json_object_array_length(w), 2);
    ck_assert(json_object_object_get_ex(o, "Counts", &v));
    ck_assert(json_object_object_get_ex(v, "excluded_voxels", &w));
    ck_assert_int_eq(json_object_get_int(w), 3);
    ck_assert(tu_contains(txt, "\"tolerance\": 0.1,")); /* shortest form, not 0.10000000000000001 */
    ck_assert(tu_contains(txt, "\"Version\": \"" BRACT_VERSION "\""));
    json_object_put(o);
    free(txt);
    char *params;
    ck_assert_int_eq(bract_sidecar_read_params(js, &params), 0);
    ck_assert_str_eq(params, "{\"method\":\"correlation\",\"permutations\":10000,"
                             "\"radius_mm\":6,\"strict\":false,\"tolerance\":0.1}");
    free(params);
    free(js);
    free(out);
}
END_TEST

START_TEST(make_dir)
{
    char *d = tu_join(tmp, "a/b/c");
    int made = 0;
    ck_assert_int_eq(bract_output_make_dir(d, &made), 0);
    ck_assert_int_eq(made, 1);
    ck_assert(tu_exists(d));
    ck_assert_int_eq(bract_output_make_dir(d, &made), 0); /* exists: fine, not made */
    ck_assert_int_eq(made, 0);
    char *f = tu_join(tmp, "file");
    tu_write(f, "x");
    ck_assert_int_eq(bract_output_make_dir(f, NULL), BRACT_EIO);
    ck_assert_error_has("file exists and is not a directory");
    char *under = tu_join(tmp, "file/sub");
    ck_assert_int_eq(bract_output_make_dir(under, NULL), BRACT_EIO);
    ck_assert_error_has("cannot create the directory");
    free(d);
    free(f);
    free(under);
}
END_TEST

static Suite *output_suite(void)
{
    Suite *s = suite_create("output");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, commit_and_abort);
    tcase_add_test(tc, checks);
    tcase_add_test(tc, sidecar_names);
    tcase_add_test(tc, sidecar_contents);
    tcase_add_test(tc, make_dir);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(output_suite()); }
