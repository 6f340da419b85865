/* Unit tests of bract/report.h on small output roots made here: sections
 * found by the sidecars' commands (whatever the file names), numbers as
 * the tables hold them, the mean neural RDM, the voxel counts of the maps,
 * notes instead of failures for malformed files, errors for roots that are
 * not roots, and a page that references nothing outside itself. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bract/figures.h"
#include "figures/report_internal.h"

static char *tmp;
static void setup(void) { tmp = tu_tmpdir(); }
static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
    bract_plot_release_fonts();
}

/* ---- helpers ---- */

static char *path_in(const char *rel)
{
    char *p = tu_join(tmp, rel);
    /* make the directories on the way */
    for (char *s = strchr(p + strlen(tmp) + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    return p;
}

static void write_rel(const char *rel, const char *text)
{
    char *p = path_in(rel);
    tu_write(p, text);
    free(p);
}

/* A sidecar for output `rel` (under tmp): command, one string parameter,
 * inputs given as JSON, a count.  Its command line names the output's
 * directory (the files of one run share it, as those of bract dfc do). */
static void sidecar(const char *rel, const char *command, const char *pkey, const char *pval,
                    const char *sources_json, const char *count, long n)
{
    char *p = path_in(rel);
    bract_sidecar *s = bract_sidecar_new(command);
    ck_assert_ptr_nonnull(s);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", p);
    *strrchr(dir, '/') = '\0';
    char *argv[] = {"bract", (char *)command, "-o", dir};
    bract_sidecar_cmdline(s, 4, argv);
    if (pkey)
        bract_sidecar_param_str(s, pkey, pval);
    if (sources_json)
        ck_assert_int_eq(bract_sidecar_set_json(s, "Sources", sources_json), 0);
    if (count)
        bract_sidecar_count(s, count, n);
    bract_sidecar_wall_time(s, 0.25);
    ck_assert_int_eq(bract_sidecar_write(s, p, 1), 0);
    bract_sidecar_free(s);
    free(p);
}

static char *build(const bract_report_opts *o, bract_report_info *info)
{
    char *html = NULL;
    size_t len = 0;
    int rc = bract_report_build(tmp, o, &html, &len, info);
    ck_assert_msg(rc == 0, "report failed: %s", bract_last_error());
    ck_assert_ptr_nonnull(html);
    ck_assert_uint_eq(strlen(html), len);
    return html;
}

/* The report with small figures: the tests look at the page, not the pixels. */
static char *build_small(bract_report_info *info)
{
    bract_report_opts o;
    bract_report_opts_defaults(&o);
    o.dpi = 40;
    return build(&o, info);
}

static int has(const char *html, const char *needle) { return tu_contains(html, needle); }

/* Nothing outside the page: no URL scheme, every src a data URI, every
 * href an anchor of the page, no scripts. */
static void self_contained(const char *html)
{
    ck_assert_ptr_null(strstr(html, "http:"));
    ck_assert_ptr_null(strstr(html, "https:"));
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_null(strstr(html, "url("));
    ck_assert_ptr_null(strstr(html, "@import"));
    for (const char *p = strstr(html, "src=\""); p; p = strstr(p + 1, "src=\""))
        ck_assert_msg(strncmp(p, "src=\"data:image/png;base64,", 27) == 0,
                      "src not a data URI: %.60s", p);
    for (const char *p = strstr(html, "href=\""); p; p = strstr(p + 1, "href=\"")) {
        ck_assert_msg(p[6] == '#', "href not an anchor: %.60s", p);
        /* the anchor exists */
        char id[128];
        size_t k = 0;
        for (const char *q = p + 7; *q != '"' && k + 1 < sizeof id; q++)
            id[k++] = *q;
        id[k] = '\0';
        char want[160];
        snprintf(want, sizeof want, "id=\"%s\"", id);
        ck_assert_msg(strstr(html, want), "no element with %s", want);
    }
}

static size_t count_of(const char *html, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(html, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* An RDM set of RDMs named names[k] over conditions cond, d[k] condensed. */
static void write_rdms(const char *rel, const char *const *names, size_t nrdm,
                       const char *const *cond, size_t n, const double *d)
{
    bract_rdmset *s = NULL;
    bract_rdmset_new(nrdm, &s);
    for (size_t k = 0; k < nrdm; k++) {
        ck_assert_int_eq(bract_rdmset_init_rdm(s, k, names[k], n, cond), 0);
        memcpy(s->rdm[k].d, d + k * bract_npairs(n), bract_npairs(n) * sizeof *d);
    }
    char *p = path_in(rel);
    ck_assert_int_eq(bract_rdmset_write(s, p, 1), 0);
    free(p);
    bract_rdmset_free(s);
}

/* ---- number formats ---- */

START_TEST(number_formats)
{
    char b[32];
    /* p-values: three decimals down to 0.001, then two significant digits */
    ck_assert_str_eq(bract_rp_fmt(b, 0.003, RP_P), "0.003");
    ck_assert_str_eq(bract_rp_fmt(b, 0.0031, RP_P), "0.003");
    ck_assert_str_eq(bract_rp_fmt(b, 2.1e-05, RP_P), "2.1e-05");
    ck_assert_str_eq(bract_rp_fmt(b, 0.000999, RP_P), "1.0e-03");
    ck_assert_str_eq(bract_rp_fmt(b, 0.04999, RP_P), "0.050");
    ck_assert_str_eq(bract_rp_fmt(b, 0.1427738983949198, RP_P), "0.143");
    ck_assert_str_eq(bract_rp_fmt(b, 0, RP_P), "0");
    ck_assert_str_eq(bract_rp_fmt(b, 1, RP_P), "1");
    ck_assert_str_eq(bract_rp_fmt(b, NAN, RP_P), "n/a");
    /* correlations: three decimals, no negative zero */
    ck_assert_str_eq(bract_rp_fmt(b, 0.11347458511637613, RP_R), "0.113");
    ck_assert_str_eq(bract_rp_fmt(b, -0.0004, RP_R), "0.000");
    ck_assert_str_eq(bract_rp_fmt(b, -0.0294, RP_R), "-0.029");
    /* statistics: two decimals */
    ck_assert_str_eq(bract_rp_fmt(b, 12.287488981531855, RP_STAT), "12.29");
    ck_assert_str_eq(bract_rp_fmt(b, -INFINITY, RP_STAT), "-inf");
    /* general: integers exact, else four significant digits */
    ck_assert_str_eq(bract_rp_fmt(b, 272, RP_GEN), "272");
    ck_assert_str_eq(bract_rp_fmt(b, 34.79725675982612, RP_GEN), "34.8");
    ck_assert_str_eq(bract_rp_fmt(b, 0.02453703, RP_GEN), "0.02454");
    ck_assert_str_eq(bract_rp_fmt(b, 1234.56, RP_GEN), "1234.6");
    ck_assert_str_eq(bract_rp_fmt(b, 2.5e-05, RP_GEN), "2.5e-05");
    /* column kinds from bract's column names */
    ck_assert_int_eq(bract_rp_col_kind("p_fdr"), RP_P);
    ck_assert_int_eq(bract_rp_col_kind("p_spatial"), RP_P);
    ck_assert_int_eq(bract_rp_col_kind("cluster_p"), RP_P);
    ck_assert_int_eq(bract_rp_col_kind("peak_x"), RP_GEN);
    ck_assert_int_eq(bract_rp_col_kind("rho"), RP_R);
    ck_assert_int_eq(bract_rp_col_kind("peak_t"), RP_STAT);
    /* colour-bar labels of RDMs from the method their sidecar records */
    char u[64];
    ck_assert_str_eq(bract_plot_rdm_units("correlation", u, sizeof u),
                     "correlation distance (1 \xe2\x88\x92 r)");
    ck_assert_str_eq(bract_plot_rdm_units("euclidean", u, sizeof u), "Euclidean distance");
    ck_assert_str_eq(bract_plot_rdm_units("tanimoto", u, sizeof u), "tanimoto dissimilarity");
}
END_TEST

/* ---- the mean neural RDM ---- */

START_TEST(mean_rdms)
{
    /* subject 2 lists the conditions in another order: pairs are matched by
     * label.  Values are exact binary fractions, so means are exact. */
    const char *ca[] = {"a", "b", "c"}, *cb[] = {"c", "a", "b"};
    bract_rdmset *s1 = NULL, *s2 = NULL;
    bract_rdmset_new(2, &s1);
    bract_rdmset_new(1, &s2);
    ck_assert_int_eq(bract_rdmset_init_rdm(s1, 0, "V1", 3, ca), 0);
    ck_assert_int_eq(bract_rdmset_init_rdm(s1, 1, "IT", 3, ca), 0);
    ck_assert_int_eq(bract_rdmset_init_rdm(s2, 0, "V1", 3, cb), 0);
    /* s1 V1: ab 0.5, ac 1, bc 0.25; s2 V1 (c,a,b): ca 0.75, cb NaN, ab 1.5 */
    double d1[] = {0.5, 1, 0.25}, d2[] = {0.75, NAN, 1.5}, d3[] = {2, 3, 4};
    memcpy(s1->rdm[0].d, d1, sizeof d1);
    memcpy(s1->rdm[1].d, d3, sizeof d3);
    memcpy(s2->rdm[0].d, d2, sizeof d2);
    const bract_rdmset *sets[] = {s1, s2};
    const char *regs[] = {"V1", "IT"};
    size_t used[2];
    bract_rdmset *m = bract_rp_mean_rdms(sets, 2, regs, 2, used);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(used[0], 2);
    ck_assert_uint_eq(used[1], 1);
    ck_assert_str_eq(m->rdm[0].cond[0], "a");
    ck_assert(m->rdm[0].d[0] == (0.5 + 1.5) / 2);  /* a-b */
    ck_assert(m->rdm[0].d[1] == (1 + 0.75) / 2);   /* a-c */
    ck_assert(m->rdm[0].d[2] == 0.25);              /* b-c: subject 2's is missing */
    ck_assert(m->rdm[1].d[2] == 4);
    bract_rdmset_free(m);
    /* a region in no set */
    const char *none[] = {"PFC"};
    ck_assert_ptr_null(bract_rp_mean_rdms(sets, 2, none, 1, used));
    ck_assert_error_has("no RDM named 'PFC'");
    bract_rdmset_free(s1);
    bract_rdmset_free(s2);
}
END_TEST

/* ---- RSA ---- */

static const char rsa_table[] =
    "level\tsubject\trdm\tmodel\tmodel_b\tmethod\tn_subjects\tn_pairs\tr\tz\ttest\tstat\tdf\tp\t"
    "p_fdr\tci_low\tci_high\tnoise_lower\tnoise_upper\tn_samples\n"
    "group\tn/a\tV1\tw2v\tn/"
    "a\tspearman\t2\t6\t0.05\t0.05\tt\t0.5\t1\t0.3\t0.3\t-0.2\t0.3\t0.1\t0.4\t0\n"
    "group\tn/a\tIT\tw2v\tn/"
    "a\tspearman\t2\t6\t0.21347\t0.2168\tt\t9.87\t1\t0.0001\t0.00021\t0.1\t0.3\t0.25\t0.5\t0\n"
    "subject\tsub-01_rdms\tV1\tw2v\tn/a\tspearman\t1\t6\t0.1\tn/a\tpermutation\tn/a\tn/"
    "a\t0.2\t0.2\tn/a\tn/a\tn/a\tn/a\t100\n"
    "subject\tsub-01_rdms\tIT\tw2v\tn/a\tspearman\t1\t6\t0.3\tn/a\tpermutation\tn/a\tn/"
    "a\t0.01\t0.02\tn/a\tn/a\tn/a\tn/a\t100\n"
    "subject\tsub-02_rdms\tV1\tw2v\tn/a\tspearman\t1\t6\t0\tn/a\tpermutation\tn/a\tn/"
    "a\t0.5\t0.5\tn/a\tn/a\tn/a\tn/a\t100\n"
    "subject\tsub-02_rdms\tIT\tw2v\tn/a\tspearman\t1\t6\t0.12\tn/a\tpermutation\tn/a\tn/"
    "a\t0.04\t0.04\tn/a\tn/a\tn/a\tn/a\t100\n";

static void make_rsa_root(void)
{
    const char *cond[] = {"cat", "dog", "car", "bus"}, *rev[] = {"bus", "car", "dog", "cat"};
    const char *regs[] = {"V1", "IT"}, *model[] = {"w2v"};
    double d1[12] = {0.1, 0.9, 0.8, 0.85, 0.95, 0.2, 0.5, 0.6, 0.4, 0.55, 0.45, 0.35};
    double d2[12] = {0.3, 0.7, 0.6, 0.75, 0.65, 0.1, 0.4, 0.5, 0.6, 0.45, 0.55, 0.65};
    double dm[6] = {0.2, 0.9, 0.95, 0.85, 0.9, 0.15};
    write_rdms("sub-01/func/rdms.tsv", regs, 2, cond, 4, d1);
    write_rdms("sub-02/func/rdms.tsv", regs, 2, rev, 4, d2);
    write_rdms("models/w2v.tsv", model, 1, cond, 4, dm);
    sidecar("sub-01/func/rdms.tsv", "rdm neural", "method", "correlation", NULL,
            "excluded_voxels_constant", 3);
    sidecar("sub-02/func/rdms.tsv", "rdm neural", "method", "correlation", NULL,
            "excluded_voxels_constant", 0);
    sidecar("models/w2v.tsv", "rdm model", "method", "cosine", NULL, "excluded_words", 0);
    /* an odd name: found by its command; the inputs recorded as on another
     * machine (resolved by their tails under the root) */
    write_rel("group/out/results.tsv", rsa_table);
    sidecar("group/out/results.tsv", "rsa", "method", "spearman",
            "{\"neural\": [\"/elsewhere/study/sub-01/func/rdms.tsv\", "
            "\"/elsewhere/study/sub-02/func/rdms.tsv\"], \"model\": \"models/w2v.tsv\"}",
            "subjects", 2);
}

START_TEST(rsa_section)
{
    make_rsa_root();
    bract_report_opts o;
    bract_report_opts_defaults(&o);
    o.dpi = 40; /* small figures: the test looks at the page, not the pixels */
    bract_report_info info;
    char *html = build(&o, &info);
    ck_assert_uint_eq(info.sidecars, 4);
    ck_assert_uint_eq(info.runs, 4);
    ck_assert_uint_eq(info.notes, 0);
    ck_assert(has(html, "<h2 id=\"rsa\">Representational similarity</h2>"));
    ck_assert(has(html, "<h3 id=\"rsa-results\">Results</h3>"));
    ck_assert(has(html, "<h3 id=\"model-rdms\">Model RDMs</h3>"));
    ck_assert(has(html, "<h3 id=\"neural-rdms\">Mean neural RDMs</h3>"));
    ck_assert(has(html, "<a href=\"#rsa\">Representational similarity</a>"));
    /* the group rows, as formatted, with the file's text on hover; the IT
     * row (FDR p 0.00021 <= 0.05) highlighted, the V1 row not */
    ck_assert(has(html, "<tr class=\"sig\"><td>IT</td><td>w2v</td><td class=\"n\" "
                        "title=\"0.21347\">0.213</td><td class=\"n\">9.87</td>"));
    ck_assert(has(html, "<td class=\"n\" title=\"0.00021\">2.1e-04</td>"));
    ck_assert(has(html, "<tr><td>V1</td><td>w2v</td><td class=\"n\" title=\"0.05\">0.050</td>"));
    ck_assert(
        has(html, "<td class=\"n\" title=\"0.1, 0.3\">[0.100, 0.300]</td>")); /* V1's ceiling */
    /* group rows first: the subject rows are folded below */
    ck_assert(has(html, "<summary>Per-subject results (4 rows)</summary>"));
    ck_assert(strstr(html, "title=\"0.21347\"") < strstr(html, "Per-subject results"));
    /* the summary names what is significant */
    ck_assert(has(html, "<span class=\"hit\">1 of 2</span> region \xc3\x97 model comparisons"));
    ck_assert(has(html, "IT \xc3\x97 w2v (r = 0.213, p<sub>FDR</sub> = 2.1e-04)"));
    ck_assert(has(html, "2 subjects \xc3\x97 "));
    /* figures: bars, model heatmap and MDS, mean neural heatmap and MDS of
     * the two regions (12 / 6) */
    ck_assert_uint_eq(info.figures, 6);
    ck_assert_uint_eq(count_of(html, "<img "), 6);
    ck_assert(has(html, "MDS of the mean RDM: IT")); /* IT first: the larger r */
    ck_assert(strstr(html, "alt=\"MDS of the mean RDM: IT\"") <
              strstr(html, "alt=\"MDS of the mean RDM: V1\""));
    /* the exclusions of the runs, and the run details */
    ck_assert(has(html, "<td>excluded voxels constant</td><td class=\"n\">3</td>"));
    ck_assert(has(html, "Excluded or flagged</a>: 3 excluded voxels constant (rdm neural)"));
    ck_assert(has(html, "<details class=\"run\" id=\"run-"));
    ck_assert(has(html, "<span class=\"cmd\">bract rsa</span> <code>group/out/results.tsv</code>"));
    ck_assert(has(html, "<h2 id=\"runs\">Runs and parameters</h2>"));
    ck_assert(has(html, "Subjects</dt><dd>2: sub-01, sub-02</dd>"));
    /* sections with nothing to show are left out */
    ck_assert(!has(html, "id=\"maps\""));
    ck_assert(!has(html, "id=\"dynamic-connectivity\""));
    ck_assert(!has(html, "id=\"timescales\""));
    self_contained(html);
    free(html);

    /* long tables fold */
    o.max_rows = 1;
    html = build(&o, NULL);
    ck_assert(has(html, "<details class=\"more\"><summary>1 more rows</summary>"));
    free(html);
}
END_TEST

/* subject rows only, and an input that is gone */
START_TEST(rsa_subjects_only)
{
    write_rel("r/results.tsv",
              "level\tsubject\trdm\tmodel\tmodel_b\tr\tp\tp_fdr\n"
              "subject\tsub-01\tV1\tw2v\tn/a\t0.1\t0.2\t0.2\n"
              "subject\tsub-02\tV1\tw2v\tn/a\t0.4\t0.001\t0.002\n"
              "subject\tsub-02\t<b>A&B</b>\tw2v\tn/a\t0.3\t0.5\t0.5\n");
    sidecar("r/results.tsv", "rsa", "method", "pearson",
            "{\"neural\": [\"/nowhere/sub-09/missing_rdms.tsv\"]}", NULL, 0);
    bract_report_info info;
    char *html = build_small(&info);
    ck_assert_uint_eq(info.notes, 1);
    ck_assert(has(html, "1 neural and 0 model RDM set that r/results.tsv records is not found"));
    ck_assert(has(html, "No bar chart: the table holds several subjects and no group rows"));
    ck_assert(has(html, "<th>subject</th><th>region</th>"));
    ck_assert(has(html, "<tr class=\"sig\"><td>sub-02</td><td>V1</td>"));
    ck_assert(has(html, "RSA</a>: <span class=\"hit\">1 of 3</span>"));
    /* text from the files is escaped */
    ck_assert(has(html, "<td>&lt;b&gt;A&amp;B&lt;/b&gt;</td>"));
    ck_assert(!has(html, "<b>A&B</b>"));
    ck_assert_uint_eq(info.figures, 0);
    free(html);
}
END_TEST

/* ---- group maps ---- */

static void write_map(const char *rel, const double *v, int intent)
{
    int64_t dims[4] = {4, 3, 2, 1};
    double vox[3] = {2, 2, 2};
    bract_volume *m;
    ck_assert_int_eq(bract_volume_new(dims, vox, NULL, 0, BRACT_F64, &m), 0);
    for (size_t i = 0; i < 24; i++)
        bract_volume_set(m, i, v[i]);
    bract_volume_write_opts wo = {intent, {5, 0, 0}, NULL, NULL, 1};
    char *p = path_in(rel);
    ck_assert_int_eq(bract_volume_write(m, p, &wo), 0);
    free(p);
    bract_volume_free(m);
}

START_TEST(group_section)
{
    double t[24], pf[24], pd[24];
    for (size_t i = 0; i < 24; i++) {
        t[i] = i < 6 ? 8.0 - (double)i : 0.5 - 0.1 * (double)i;
        pf[i] = i < 3 ? 0.01 * (double)(i + 1) : 0.5;  /* 3 voxels at p_FWE <= 0.05 */
        /* 6 at p_FDR <= 0.05: 0.05 counts though float32 stores 0.0500000007 */
        pd[i] = i < 5 ? 0.001 : (i == 5 ? 0.05 : 0.9);
    }
    write_map("stats/t.nii.gz", t, BRACT_INTENT_TTEST);
    write_map("stats/p_fwe.nii.gz", pf, BRACT_INTENT_PVAL);
    write_map("stats/p_fdr.nii.gz", pd, BRACT_INTENT_PVAL);
    write_rel("stats/clusters.tsv",
              "cluster\tsize_voxels\tsize_mm3\tpeak_x\tpeak_y\tpeak_z\tpeak_i\tpeak_j\tpeak_k\t"
              "peak_t\tp_corrected\tcorrection\tpeak_label\n"
              "1\t3\t24\t0\t0\t0\t0\t0\t0\t8\t0.015625\tfwe\tleft_region\n"
              "2\t1\t8\t6\t4\t2\t3\t2\t1\t0.5\t0.6\tfwe\tn/a\n");
    /* clusters.nii.gz and clusters.tsv share clusters.json, as bract group's do */
    double lab[24] = {1, 1, 1};
    write_map("stats/clusters.nii.gz", lab, BRACT_INTENT_LABEL);
    const char *files[] = {"stats/t.nii.gz", "stats/p_fwe.nii.gz", "stats/p_fdr.nii.gz",
                           "stats/clusters.tsv"};
    for (size_t k = 0; k < 4; k++)
        sidecar(files[k], "group", "alternative", "greater", NULL, "excluded_nonfinite", 1);
    /* the run's record, next to its directory */
    char *rec = tu_join(tmp, "stats");
    char *dir = tu_join(tmp, "stats");
    bract_sidecar *s = bract_sidecar_new("group");
    char *argv[] = {"bract", "group", "-o", dir};
    bract_sidecar_cmdline(s, 4, argv);
    bract_sidecar_count(s, "subjects", 6);
    bract_sidecar_count(s, "tested_voxels", 24);
    bract_sidecar_count(s, "excluded_nonfinite", 1);
    ck_assert_int_eq(bract_sidecar_write(s, rec, 1), 0); /* stats.json */
    bract_sidecar_free(s);

    bract_report_opts o;
    bract_report_opts_defaults(&o);
    o.dpi = 40;
    bract_report_info info;
    char *html = build(&o, &info);
    ck_assert_uint_eq(info.runs, 1); /* the record and its files are one run */
    ck_assert_uint_eq(info.sidecars, 5);
    ck_assert_uint_eq(info.notes, 0);
    ck_assert(has(html, "<h2 id=\"maps\">Group maps</h2>"));
    ck_assert(has(html, "<tr><td>max-t, FWE</td><td class=\"n\">3</td>"));
    ck_assert(has(html, "<tr><td>FDR</td><td class=\"n\">6</td>"));
    ck_assert(has(html, "<span class=\"hit\">3 voxels</span> with max-t, FWE p \xe2\x89\xa4 0.05"));
    ck_assert(has(html, "2 clusters, 1 with p \xe2\x89\xa4 0.05 (largest: peak t = 8.00 at 0, 0, 0 "
                        "mm, left_region)"));
    ck_assert(has(html, "<td class=\"n\" title=\"0.015625\">0.016</td>"));
    ck_assert(has(html, "6 subject maps; 24 voxels tested"));
    ck_assert_uint_eq(info.figures, 2); /* thresholded ortho view, and the mosaic */
    ck_assert(has(html, "The t map at the 3 voxels whose max-t, FWE p is at most 0.05"));
    /* the exclusion counted once for the run, though four sidecars repeat it */
    ck_assert_uint_eq(count_of(html, "<td>excluded nonfinite</td>"), 1);
    self_contained(html);
    free(html);

    /* a stricter level: no voxel of the FWE map, and the page says so */
    o.alpha = 0.005;
    html = build(&o, &info);
    ck_assert(has(html, "no voxel with max-t, FWE p \xe2\x89\xa4 0.005"));
    ck_assert(has(html, "No voxel reaches the corrected level."));
    ck_assert_uint_eq(info.figures, 1);
    free(html);

    /* a background on another grid: drawn without, and said */
    o.alpha = 0.05;
    o.background = TESTDATA "/data/mni2mm/MNI152NLin6_res-2x2x2_T1w_descr-brainmask.nii.gz";
    html = build(&o, &info);
    ck_assert(has(html, "Background not drawn"));
    ck_assert(has(html, "are on different grids"));
    ck_assert_uint_eq(info.figures, 2);
    free(html);
    free(dir);
    free(rec);
}
END_TEST

/* ---- searchlight maps: listed by subject with their range, drawn as small multiples ---- */

START_TEST(searchlight_maps)
{
    double a[24], b[24];
    for (size_t i = 0; i < 24; i++) {
        a[i] = i < 4 ? 0.25 * (double)(i + 1) : 0; /* 4 nonzero: 0.25 .. 1, mean over all 24 */
        b[i] = -0.5;
    }
    write_map("sub-01/sl_w2v.nii.gz", a, BRACT_INTENT_CORREL);
    write_map("sub-02/sl_w2v.nii.gz", b, BRACT_INTENT_CORREL);
    sidecar("sub-01/sl_w2v.nii.gz", "searchlight", "method", "spearman", NULL, NULL, 0);
    sidecar("sub-02/sl_w2v.nii.gz", "searchlight", "method", "spearman", NULL, NULL, 0);
    bract_report_info info;
    char *html = build_small(&info);
    ck_assert_uint_eq(info.notes, 0);
    ck_assert(has(html, "<h2 id=\"maps\">Searchlight and group maps</h2>"));
    ck_assert(has(html, "<h3 id=\"searchlight-maps\">Searchlight maps</h3>"));
    /* min 0, mean 2.5 / 24 = 0.104, max 1 */
    /* by subject, not by path (issue 15) */
    ck_assert(has(html, "<tr><td title=\"sub-01/sl_w2v.nii.gz\">sub-01</td><td>sl_w2v.nii.gz</td>"
                        "<td>correlation</td><td class=\"n\">4</td><td class=\"n\">0.000</td>"
                        "<td class=\"n\">0.104</td><td class=\"n\">1.000</td></tr>"));
    ck_assert(has(html, "<td class=\"n\">24</td><td class=\"n\">-0.500</td>"));
    /* both maps in one small-multiples figure, on one scale */
    ck_assert(has(html, "<figure class=\"fig smallmult\"><div class=\"panels\"><img "));
    ck_assert(has(html, "alt=\"sub-02\""));
    ck_assert(has(html, "every one on the same colour scale (\xc2\xb1" "1.000)"));
    ck_assert_uint_eq(info.figures, 1);
    self_contained(html);
    free(html);
}
END_TEST

/* ---- dFC ---- */

START_TEST(dfc_section)
{
    write_rel("d/state_centroids.tsv",
              "state\tA-B\tA-C\tB-C\n1\t0.8\t-0.2\t0.1\n2\t-0.5\t0.3\t0.6\n");
    /* state 1: fractions 0.25 and 0.45 (mean 0.35), dwell 2 and 4 windows */
    write_rel("d/state_summary.tsv",
              "subject\tstate\tfraction\tmean_dwell_windows\tmean_dwell_s\n"
              "s1\t1\t0.25\t2\t4\ns1\t2\t0.75\t6\t12\ns2\t1\t0.45\t4\t8\ns2\t2\t0.55\t5\t10\n");
    write_rel("d/summary.tsv", "subject\tvolumes\twindows\tfc_variance\ns1\t100\t20\t0.0625\n"
                               "s2\t100\t20\t0.03125\n");
    write_rel("d/surrogate_tests.tsv",
              "subject\tstatistic\tobserved\tp\n"
              "s1\tfc_variance\t0.0625\t0.01\ns2\tfc_variance\t0.03\t0.4\n");
    const char *f[] = {"d/state_centroids.tsv", "d/state_summary.tsv", "d/summary.tsv",
                       "d/surrogate_tests.tsv"};
    for (size_t k = 0; k < 4; k++)
        sidecar(f[k], "dfc", "taper", "rect", NULL, "excluded_regions", 0);
    bract_report_info info;
    char *html = build_small(&info);
    ck_assert_uint_eq(info.notes, 0);
    ck_assert(has(html, "<h2 id=\"dynamic-connectivity\">Dynamic connectivity</h2>"));
    ck_assert(has(html, "<tr><td class=\"n\">1</td><td class=\"n\">0.350</td><td class=\"n\">3.0"
                        "</td><td class=\"n\">6.0</td><td class=\"n\">2 of 2</td></tr>"));
    ck_assert(has(html, "2 states, fraction of windows 0.350 / 0.650 (states 1 to 2)"));
    ck_assert(has(html, "fc_variance against surrogates: <span class=\"hit\">1 of 2 subjects"));
    /* one column of numbers with the same decimals: 0.06250, 0.03125 */
    ck_assert(has(html, "<td class=\"n\" title=\"0.0625\">0.06250</td>"));
    ck_assert_uint_eq(info.figures, 1);
    self_contained(html);
    free(html);
}
END_TEST

/* ---- timescales ---- */

START_TEST(timescale_section)
{
    write_rel("sub-01/tau.tsv", "region\ttau_s\tflags\nV1\t1.5\tok\nMT\t3.1\tok\nPFC\t12.25\tok\n");
    write_rel("sub-02/tau.tsv", "region\ttau_s\tflags\nV1\t2\tok\nMT\t4\tok\nPFC\tn/a\tno_decay\n");
    sidecar("sub-01/tau.tsv", "timescale", "method", "exp", NULL, "flagged_no_decay", 0);
    sidecar("sub-02/tau.tsv", "timescale", "method", "exp", NULL, "flagged_no_decay", 1);
    write_rel("h/hierarchy.tsv", "source\tn_regions\trho\tp_perm\tp_spatial\tci_low\tci_high\n"
                                 "group\t3\t0.8809523809523809\t0.0199\t0.119\t0.8\t0.9\n");
    write_rel("h/regions.tsv", "region\tvalue\ttau_mean_s\nV1\t0.1\t1.75\nMT\t0.5\t3.55\n"
                               "PFC\t0.9\t12.25\n");
    sidecar("h/hierarchy.tsv", "timescale hierarchy", "column", "tau_s", NULL, "regions", 3);
    sidecar("h/regions.tsv", "timescale hierarchy", "column", "tau_s", NULL, "regions", 3);
    bract_report_info info;
    char *html = build_small(&info);
    ck_assert_uint_eq(info.notes, 0);
    ck_assert(has(html, "<h2 id=\"timescales\">Intrinsic timescales</h2>"));
    ck_assert(has(html, "<h3 id=\"hierarchy\">Hierarchy</h3>"));
    ck_assert(has(html, "Timescale hierarchy</a>: <span class=\"hit\">\xcf\x81 = 0.881</span> "
                        "(p<sub>perm</sub> = 0.020, p<sub>spatial</sub> = 0.119, CI [0.800, "
                        "0.900]) for the group mean."));
    /* the region x subject table: two decimals for the column of 12.25 */
    ck_assert(has(html, "<th>region</th><th class=\"n\">sub-01</th><th class=\"n\">sub-02</th>"));
    ck_assert(
        has(html, "<tr><td>PFC</td><td class=\"n\">12.25</td><td class=\"na\">n/a</td></tr>"));
    ck_assert(has(html, "<td class=\"n\" title=\"3.1\">3.10</td>"));
    ck_assert(has(html, "some estimates are flagged"));
    ck_assert(has(html, "Excluded or flagged</a>: 1 flagged no decay (timescale)"));
    ck_assert_uint_eq(info.figures, 1); /* the scatter */
    self_contained(html);
    free(html);
}
END_TEST

/* ---- malformed files: notes, not failures ---- */

START_TEST(malformed_files)
{
    make_rsa_root();
    /* a results row with too few fields */
    write_rel("group/out/results.tsv", "level\trdm\tmodel\tr\tp\ngroup\tV1\tw2v\t0.1\t0.2\n"
                                       "group\tIT\tw2v\n");
    /* a sidecar that is not JSON, and one whose output is gone */
    write_rel("junk.json", "{ \"Command\": ");
    write_rel("h/hierarchy.tsv", "source\tn_regions\trho\tp_perm\ngroup\t3\t0.5\t0.2\n");
    sidecar("h/hierarchy.tsv", "timescale hierarchy", NULL, NULL, NULL, NULL, 0);
    sidecar("h/regions.tsv", "timescale hierarchy", NULL, NULL, NULL, NULL, 0);
    char *gone = tu_join(tmp, "h/regions.tsv");
    ck_assert(!tu_exists(gone));
    free(gone);
    bract_report_info info;
    const char *const *w;
    bract_take_warnings(&w);
    char *html = build_small(&info);
    ck_assert_uint_eq(info.notes, 3);
    ck_assert(has(html, "<p class=\"note\"><strong>Not shown: </strong>"));
    ck_assert(has(html, "group/out/results.tsv:3: 3 fields, expected 5"));
    ck_assert(has(html,
                  "<li class=\"warn\"><a href=\"#rsa-results\">RSA</a> (group/out/results.tsv): "
                  "the results table cannot be read (see the note).</li>"));
    ck_assert(has(html, "h/regions.tsv is missing (only its sidecar is there)"));
    ck_assert(has(html, "junk.json: not valid JSON"));
    ck_assert(has(html, "3 problems: parts of the report could not be shown"));
    /* the rest of the page is there: the RDM figures of the RSA run */
    ck_assert(has(html, "<h3 id=\"model-rdms\">Model RDMs</h3>"));
    ck_assert(has(html, "<h2 id=\"timescales\">"));
    size_t nw = bract_take_warnings(&w);
    ck_assert_uint_eq(nw, 3);
    int seen = 0;
    for (size_t i = 0; i < nw; i++)
        seen += strstr(w[i], "RSA: ") && strstr(w[i], "results.tsv:3") ? 1 : 0;
    ck_assert_int_eq(seen, 1);
    free(html);
}
END_TEST

/* ---- roots that are not roots ---- */

START_TEST(bad_roots)
{
    char *html = (char *)1;
    ck_assert_int_eq(bract_report_build(tmp, NULL, &html, NULL, NULL), BRACT_EDATA);
    ck_assert_error_has("holds no bract outputs");
    ck_assert_ptr_null(html);
    /* JSON that bract did not write, and bract's own reports, do not count */
    write_rel("other.json", "{\"Command\": \"rsa\", \"GeneratedBy\": [{\"Name\": \"fmriprep\"}]}");
    sidecar("report.html", "report", NULL, NULL, NULL, NULL, 0);
    ck_assert_int_eq(bract_report_build(tmp, NULL, &html, NULL, NULL), BRACT_EDATA);
    char *file = tu_join(tmp, "other.json");
    ck_assert_int_eq(bract_report_build(file, NULL, &html, NULL, NULL), BRACT_EIO);
    ck_assert_error_has("other.json: not a directory");
    free(file);
    char *none = tu_join(tmp, "nowhere");
    ck_assert_int_eq(bract_report_build(none, NULL, &html, NULL, NULL), BRACT_EIO);
    ck_assert_error_has("nowhere: No such file or directory");
    free(none);
    bract_report_opts o;
    bract_report_opts_defaults(&o);
    o.alpha = 1.5;
    ck_assert_int_eq(bract_report_build(tmp, &o, &html, NULL, NULL), BRACT_EINVAL);
    ck_assert_error_has("significance level");
    ck_assert_ptr_null(html);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, number_formats);
    tcase_add_test(tc, mean_rdms);
    tcase_add_test(tc, rsa_section);
    tcase_add_test(tc, rsa_subjects_only);
    tcase_add_test(tc, group_section);
    tcase_add_test(tc, searchlight_maps);
    tcase_add_test(tc, dfc_section);
    tcase_add_test(tc, timescale_section);
    tcase_add_test(tc, malformed_files);
    tcase_add_test(tc, bad_roots);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
