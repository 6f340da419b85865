/* Regression tests of the reliability findings (issue 14,
 * ../shared/notes/reliability-findings.md): each test is named after its
 * finding and failed on the code before the fix.  Inputs are made here,
 * byte by byte, so that every test says exactly what is hostile about
 * them. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/internal.h"

#ifdef BRACT_HAVE_HDF5
#include <hdf5.h>
#include "bract/atlas.h"
#include "bract/mask.h"
#include "bract/tsv.h"
#endif

static char *tmp;
static void setup(void) { tmp = tu_tmpdir(); }
static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

static void write_bytes(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

static void write_gz(const char *path, const void *b, size_t n)
{
    gzFile f = gzopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(gzwrite(f, b, (unsigned)n), (int)n);
    gzclose(f);
}

static void put_i16(unsigned char *h, size_t off, int16_t v) { memcpy(h + off, &v, 2); }
static void put_i32(unsigned char *h, size_t off, int32_t v) { memcpy(h + off, &v, 4); }
static void put_i64(unsigned char *h, size_t off, int64_t v) { memcpy(h + off, &v, 8); }
static void put_f32(unsigned char *h, size_t off, float v) { memcpy(h + off, &v, 4); }
static void put_f64(unsigned char *h, size_t off, double v) { memcpy(h + off, &v, 8); }

/* A single-file NIfTI-2 FLOAT32 image of dims[0..nd-1] with `nvals` data
 * values after the header (the reproducer mk_wrap.py of the notes).
 * Returns the buffer (caller frees) and its size. */
static unsigned char *nifti2(const int64_t *dims, int nd, size_t nvals, size_t *size)
{
    *size = 544 + 4 * nvals;
    unsigned char *h = calloc(1, *size);
    put_i32(h, 0, 540);
    memcpy(h + 4, "n+2\0\r\n\032\n", 8);
    put_i16(h, 12, 16); /* FLOAT32 */
    put_i16(h, 14, 32);
    put_i64(h, 16, nd);
    for (int i = 1; i < 8; i++)
        put_i64(h, 16 + 8 * i, i <= nd ? dims[i - 1] : 1);
    const double pix[8] = {1, 2, 2, 2, 1, 1, 1, 1};
    for (int i = 0; i < 8; i++)
        put_f64(h, 104 + 8 * i, pix[i]);
    put_i64(h, 168, 544);
    put_f64(h, 176, 1.0);
    put_i32(h, 344, 0);
    put_i32(h, 348, 1);
    const double srow[12] = {2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0};
    for (int i = 0; i < 12; i++)
        put_f64(h, 400 + 8 * i, srow[i]);
    put_i32(h, 500, 10); /* mm, s */
    for (size_t k = 0; k < nvals; k++)
        put_f32(h, 544 + 4 * k, (float)(0.5 + (double)k));
    return h;
}

/* A NIfTI-1 FLOAT32 image nx x ny x nz x nt with pixdim[1..4] = pix, all
 * data present. */
static unsigned char *nifti1(int nx, int ny, int nz, int nt, const float pix[4], size_t *size)
{
    size_t nv = (size_t)nx * (size_t)ny * (size_t)nz * (size_t)nt;
    *size = 352 + 4 * nv;
    unsigned char *h = calloc(1, *size);
    put_i32(h, 0, 348);
    put_i16(h, 40, (int16_t)(nt > 1 ? 4 : 3));
    put_i16(h, 42, (int16_t)nx);
    put_i16(h, 44, (int16_t)ny);
    put_i16(h, 46, (int16_t)nz);
    put_i16(h, 48, (int16_t)nt);
    for (int i = 5; i < 8; i++)
        put_i16(h, 40 + 2 * i, 1);
    put_i16(h, 70, 16);
    put_i16(h, 72, 32);
    put_f32(h, 76, 1.0f);
    for (int i = 0; i < 4; i++)
        put_f32(h, 80 + 4 * i, pix[i]);
    put_f32(h, 108, 352.0f);
    put_f32(h, 112, 1.0f);
    h[123] = 10; /* mm, s */
    memcpy(h + 344, "n+1\0", 4);
    for (size_t k = 0; k < nv; k++)
        put_f32(h, 352 + 4 * k, (float)(1.0 + (double)(k % 7)));
    return h;
}

static char *write_nifti2(const char *name, const int64_t *dims, int nd, size_t nvals)
{
    size_t n;
    unsigned char *b = nifti2(dims, nd, nvals, &n);
    char *p = tu_join(tmp, name);
    write_bytes(p, b, n);
    free(b);
    return p;
}

/* ---- F1: NIfTI dims whose product overflows ---- */

START_TEST(f1_nifti2_dims_wrap)
{
    /* 2^61+1 x 8 x 1: the product wraps to 8 voxels in int64 */
    const int64_t dims[3] = {((int64_t)1 << 61) + 1, 8, 1};
    char *p = write_nifti2("wrap.nii", dims, 3, 8);
    bract_volume *v = NULL;
    int rc = bract_volume_read(p, 0, &v);
    ck_assert_msg(rc == BRACT_EFORMAT, "read a wrapped grid: rc %d, nvox %zu", rc,
                  v ? v->nvox : 0);
    ck_assert_error_has(p);
    ck_assert_error_has("overflow");
    /* the mask and atlas readers go through the same check */
    bract_mask *m = NULL;
    ck_assert_int_eq(bract_mask_read(p, &m, NULL), BRACT_EFORMAT);
    bract_atlas *a = NULL;
    ck_assert_int_eq(bract_atlas_read(p, NULL, NULL, &a, NULL), BRACT_EFORMAT);
    free(p);
}
END_TEST

START_TEST(f1_nifti2_bytes_wrap)
{
    /* 2^61 x 1 x 1 FLOAT32: voxels fit int64, bytes (x4) do not */
    const int64_t dims[3] = {(int64_t)1 << 61, 1, 1};
    char *p = write_nifti2("bytes.nii", dims, 3, 4);
    bract_volume *v = NULL;
    ck_assert_int_eq(bract_volume_read(p, BRACT_VOL_HEADER_ONLY, &v), BRACT_EFORMAT);
    ck_assert_error_has("overflow");
    free(p);
}
END_TEST

START_TEST(f1_stream_hang)
{
    /* the fuzzer's 612-byte shape: 32 x 3377699720527872 x
     * 36591746972385280 x 281474976710656 wraps to 0 voxels per volume, so
     * `info --stats` read 2.8e14 empty volumes */
    const int64_t dims[4] = {32, 3377699720527872LL, 36591746972385280LL, 281474976710656LL};
    char *p = write_nifti2("hang.nii", dims, 4, 17);
    bract_volume *hdr = NULL;
    bract_volume_stream *s = NULL;
    int rc = bract_volume_stream_open(p, &hdr, &s);
    ck_assert_msg(rc == BRACT_EFORMAT, "opened a stream of %lld volumes of %zu voxels",
                  hdr ? (long long)hdr->nt : 0LL, hdr ? hdr->nvox : 0);
    ck_assert_error_has("overflow");
    free(p);
}
END_TEST

START_TEST(f1_more_than_file_holds)
{
    /* no overflow, but 2^40 voxels in a 600-byte file: refused from the
     * header, with what was claimed and what the file holds */
    const int64_t dims[3] = {1 << 20, 1 << 20, 1};
    char *p = write_nifti2("big.nii", dims, 3, 8);
    bract_volume *v = NULL;
    ck_assert_int_eq(bract_volume_read(p, BRACT_VOL_HEADER_ONLY, &v), BRACT_EFORMAT);
    ck_assert_error_has("1048576 x 1048576 x 1");
    ck_assert_error_has("576 bytes");
    free(p);
}
END_TEST

START_TEST(f1_gzip_more_than_file_holds)
{
    /* a .nii.gz cannot hold more than about 1032 times its size (deflate's
     * limit): 20000 x 20000 x 20 x 1 FLOAT32 (32 GB) in a few hundred bytes
     * is refused before any allocation, even for the header only */
    size_t n;
    const float pix[4] = {2, 2, 2, 1};
    unsigned char *b = nifti1(2, 2, 2, 1, pix, &n);
    put_i16(b, 42, 20000);
    put_i16(b, 44, 20000);
    put_i16(b, 46, 20);
    char *p = tu_join(tmp, "bomb.nii.gz");
    write_gz(p, b, n);
    free(b);
    bract_volume *v = NULL;
    ck_assert_int_eq(bract_volume_read(p, BRACT_VOL_HEADER_ONLY, &v), BRACT_EFORMAT);
    ck_assert_error_has("20000 x 20000 x 20");
    ck_assert_error_has("gzip");
    free(p);
}
END_TEST

/* ---- F2: an empty file read as text ---- */

START_TEST(f2_read_file_nul)
{
    char *p = tu_join(tmp, "empty.json");
    write_bytes(p, "", 0);
    /* leave a dirty chunk of the size the reader allocates, so that an
     * unterminated buffer shows even without a sanitizer */
    char *dirt = malloc(256);
    memset(dirt, 'x', 256);
    free(dirt);
    char *text = NULL;
    size_t len = 99;
    ck_assert_int_eq(bract_read_file(p, &text, &len), BRACT_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(text[0], '\0');
    free(text);
    free(p);
}
END_TEST

START_TEST(f2_empty_sidecar)
{
    char *p = tu_join(tmp, "empty.json");
    write_bytes(p, "", 0);
    char *params = NULL;
    ck_assert_int_eq(bract_sidecar_read_params(p, &params), BRACT_EFORMAT);
    ck_assert_error_has(p);
    ck_assert_error_has("not valid JSON");
    free(p);
}
END_TEST

START_TEST(f2_empty_tseries_sidecar)
{
    /* an empty sidecar beside a TSV of series: "not valid JSON", naming it
     * (it used to be read past its buffer, then taken as "no TR") */
    char *p = tu_join(tmp, "ts.tsv"), *j = tu_join(tmp, "ts.json");
    tu_write(p, "a\tb\n1\t2\n3\t5\n4\t4\n");
    write_bytes(j, "", 0);
    bract_tseries *ts = NULL;
    ck_assert_int_eq(bract_tseries_read(p, 0, &ts), BRACT_EFORMAT);
    ck_assert_ptr_null(ts);
    ck_assert_error_has(j);
    ck_assert_error_has("not valid JSON");
    /* --tr given: the sidecar is not needed */
    ck_assert_msg(bract_tseries_read(p, 2, &ts) == 0, "%s", bract_last_error());
    ck_assert_double_eq(ts->tr, 2);
    bract_tseries_free(ts);
    tu_write(j, "{\"RepetitionTime\": \"2\"}");
    ck_assert_int_eq(bract_tseries_read(p, 0, &ts), BRACT_EFORMAT);
    ck_assert_error_has("\"RepetitionTime\" is not a number");
    tu_write(j, "{\"RepetitionTime\": 1.5}");
    ck_assert_msg(bract_tseries_read(p, 0, &ts) == 0, "%s", bract_last_error());
    ck_assert_double_eq(ts->tr, 1.5);
    bract_tseries_free(ts);
    free(p);
    free(j);
}
END_TEST

/* ---- F6: TR or voxel size 0 or NaN in the raw header ---- */

static char *write_nifti1_pix(const char *name, const float pix[4], int nt)
{
    size_t n;
    unsigned char *b = nifti1(3, 2, 2, nt, pix, &n);
    char *p = tu_join(tmp, name);
    write_bytes(p, b, n);
    free(b);
    return p;
}

START_TEST(f6_tr_zero_or_nan_is_unknown)
{
    const float zero[4] = {2, 2, 2, 0}, nan4[4] = {2, 2, 2, NAN}, good[4] = {2, 2, 2, 1.5f};
    const float *pix[3] = {zero, nan4, good};
    const double want[3] = {0, 0, 1.5};
    for (int k = 0; k < 3; k++) {
        char *p = write_nifti1_pix("tr.nii", pix[k], 5);
        bract_volume *v = NULL;
        ck_assert_msg(bract_volume_read(p, BRACT_VOL_HEADER_ONLY, &v) == 0, "%s",
                      bract_last_error());
        ck_assert_msg(v->tr == want[k], "case %d: TR %g, expected %g (unknown = 0)", k, v->tr,
                      want[k]);
        bract_volume_free(v);
        unlink(p);
        free(p);
    }
}
END_TEST

START_TEST(f6_unknown_tr_survives_write)
{
    /* a series derived from one without a TR has none either (it used to
     * get nifticlib's 1 s), unless the caller gives one */
    const float zero[4] = {2, 2, 2, 0};
    char *p = write_nifti1_pix("tr0.nii", zero, 4);
    bract_volume *v = NULL;
    ck_assert_int_eq(bract_volume_read(p, 0, &v), 0);
    const double trs[2] = {0, 2.5};
    for (int k = 0; k < 2; k++) {
        bract_volume *o;
        ck_assert_int_eq(bract_volume_new_like(v, 3, BRACT_F32, &o), 0);
        o->tr = trs[k];
        char *out = tu_join(tmp, k ? "out1.nii" : "out0.nii");
        ck_assert_int_eq(bract_volume_write(o, out, NULL), 0);
        bract_volume *r;
        ck_assert_int_eq(bract_volume_read(out, BRACT_VOL_HEADER_ONLY, &r), 0);
        ck_assert_msg(r->tr == trs[k], "written TR %g, expected %g", r->tr, trs[k]);
        bract_volume_free(r);
        bract_volume_free(o);
        free(out);
    }
    bract_volume_free(v);
    free(p);
}
END_TEST

START_TEST(f6_voxel_size_zero_or_nan)
{
    const float nan1[4] = {NAN, 3, 3, 2}, zero2[4] = {3, 0, 3, 2}, inf3[4] = {3, 3, INFINITY, 2};
    const float *pix[3] = {nan1, zero2, inf3};
    const char *axis[3] = {"pixdim[1]", "pixdim[2]", "pixdim[3]"};
    for (int k = 0; k < 3; k++) {
        char *p = write_nifti1_pix("vox.nii", pix[k], 1);
        bract_volume *v = NULL;
        int rc = bract_volume_read(p, 0, &v);
        ck_assert_msg(rc == BRACT_EFORMAT, "case %d: read with voxel size %g x %g x %g", k,
                      v ? v->vox_mm[0] : 0, v ? v->vox_mm[1] : 0, v ? v->vox_mm[2] : 0);
        ck_assert_error_has(axis[k]);
        ck_assert_error_has("voxel size");
        unlink(p);
        free(p);
    }
}
END_TEST

/* ---- F7: one quoting rule for TSV, both ways ---- */

START_TEST(f7_quote_round_trip)
{
    const char *cond[4] = {"\"><img src=x onerror=alert(1)>", "plain", "tab\there",
                           "line\nbreak"};
    bract_rdmset *s = NULL;
    bract_rdmset_new(1, &s);
    ck_assert_int_eq(bract_rdmset_init_rdm(s, 0, "\"quoted\" region", 4, cond), 0);
    for (size_t p = 0; p < 6; p++)
        s->rdm[0].d[p] = 0.25 * (double)(p + 1);
    char *path = tu_join(tmp, "rdms.tsv");
    ck_assert_int_eq(bract_rdmset_write(s, path, 0), 0);
    bract_rdmset *r = NULL;
    ck_assert_msg(bract_rdmset_read(path, &r) == 0, "%s", bract_last_error());
    ck_assert_str_eq(r->rdm[0].name, "\"quoted\" region");
    /* tabs and line breaks inside a cell are written as spaces */
    const char *back[4] = {cond[0], "plain", "tab here", "line break"};
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(r->rdm[0].cond[i], back[i]);
    bract_rdmset_free(r);
    bract_rdmset_free(s);
    free(path);
}
END_TEST

START_TEST(f7_quote_rule_text)
{
    /* the writer quotes exactly the fields the reader would unquote */
    char *path = tu_join(tmp, "t.tsv");
    const char *cols[2] = {"a", "\"b"};
    bract_tsv_writer *w;
    ck_assert_int_eq(bract_tsv_open(path, 0, 2, cols, &w), 0);
    bract_tsv_str(w, "in\"side");
    bract_tsv_str(w, "\"lead");
    bract_tsv_end_row(w);
    ck_assert_int_eq(bract_tsv_commit(w), 0);
    char *text = tu_slurp(path);
    ck_assert_str_eq(text, "a\t\"\"\"b\"\nin\"side\t\"\"\"lead\"\n");
    free(text);
    free(path);
}
END_TEST

START_TEST(f7_quote_rule_edges)
{
    /* seen while writing fuzz_table's round trip: the empty cell of a one-column
     * table (a blank line, skipped by the reader) and a first cell starting
     * with a byte-order mark (stripped by the reader) did not come back */
    char *path = tu_join(tmp, "one.tsv");
    const char *cols[1] = {"\xEF\xBB\xBFword"};
    bract_tsv_writer *w;
    ck_assert_int_eq(bract_tsv_open(path, 0, 1, cols, &w), 0);
    const char *cells[3] = {"a", "", "c"};
    for (int i = 0; i < 3; i++) {
        bract_tsv_str(w, cells[i]);
        bract_tsv_end_row(w);
    }
    ck_assert_int_eq(bract_tsv_commit(w), 0);
    bract_table *t = NULL;
    ck_assert_msg(bract_table_read(path, &t) == 0, "%s", bract_last_error());
    ck_assert_str_eq(t->colname[0], cols[0]);
    ck_assert_uint_eq(t->nrows, 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_str_eq(bract_table_cell(t, i, 0), cells[i]);
    bract_table_free(t);
    free(path);
}
END_TEST

/* ---- F8: NA, nan in a label column are words, not missing values ---- */

START_TEST(f8_events_na_label)
{
    char *p = tu_join(tmp, "events.tsv");
    tu_write(p, "onset\tduration\ttrial_type\n0\t2\tNA\n2\t2\tnan\n4\t2\tn/a\n6\t2\t\n"
                "8\t2\tNaN\n");
    bract_events *e = NULL;
    ck_assert_msg(bract_events_read(p, NULL, &e) == 0, "%s", bract_last_error());
    ck_assert_uint_eq(e->n, 3);
    ck_assert_uint_eq(e->nskipped, 2);
    ck_assert_str_eq(e->ev[0].label, "NA");
    ck_assert_str_eq(e->ev[1].label, "nan");
    ck_assert_str_eq(e->ev[2].label, "NaN");
    bract_events_free(e);
    ck_assert(bract_table_label_missing("n/a"));
    ck_assert(bract_table_label_missing(""));
    ck_assert(!bract_table_label_missing("NA"));
    ck_assert(!bract_table_label_missing("nan"));
    ck_assert(!bract_table_label_missing("N/A"));
    /* numbers keep their missing values */
    ck_assert(bract_table_cell_missing("NA"));
    free(p);
}
END_TEST

START_TEST(f8_atlas_label_named_na)
{
    /* a region called "NA" in a labels file is a name */
    char *lab = tu_join(tmp, "labels.tsv");
    tu_write(lab, "index\tname\n1\tNA\n2\tnan\n");
    const int64_t dims[4] = {2, 1, 1, 1};
    const double vox[3] = {1, 1, 1};
    bract_volume *v;
    ck_assert_int_eq(bract_volume_new(dims, vox, NULL, 0, BRACT_F64, &v), 0);
    bract_volume_set(v, 0, 1);
    bract_volume_set(v, 1, 2);
    bract_atlas *a = NULL;
    ck_assert_msg(bract_atlas_from_volume(v, lab, NULL, &a) == 0, "%s", bract_last_error());
    ck_assert_str_eq(a->name[0], "NA");
    ck_assert_str_eq(a->name[1], "nan");
    bract_atlas_free(a);
    bract_volume_free(v);
    free(lab);
}
END_TEST

START_TEST(f8_condition_word_na)
{
    /* the word NA (or nan) is a condition; only n/a and the empty cell
     * leave a volume out */
    char *p = tu_join(tmp, "conditions.tsv");
    tu_write(p, "condition\trun\nNA\tNA\nw1\tNA\nnan\tNA\nn/a\tNA\n\tNA\nNA\tNA\n");
    bract_rdm_design *d = NULL;
    ck_assert_msg(bract_rdm_design_read(p, NULL, &d) == 0, "%s", bract_last_error());
    ck_assert_uint_eq(d->ncond, 3);
    ck_assert_str_eq(d->cond[0], "NA");
    ck_assert_str_eq(d->cond[1], "w1");
    ck_assert_str_eq(d->cond[2], "nan");
    ck_assert_uint_eq(d->nexcluded, 2);
    ck_assert_uint_eq(d->nrun, 1);
    ck_assert_str_eq(d->run[0], "NA");
    bract_rdm_design_free(d);
    /* a run n/a is still an error naming the line */
    tu_write(p, "condition\trun\nw1\t1\nw2\tn/a\n");
    ck_assert_int_eq(bract_rdm_design_read(p, NULL, &d), BRACT_EFORMAT);
    ck_assert_error_has("conditions.tsv:3");
    free(p);
}
END_TEST

/* ---- F19: input paths recorded relative to the output ---- */

static void path_record_is(const char *in, const char *dir, const char *want)
{
    char *got = bract_sidecar_path_for_record(in, dir);
    ck_assert_ptr_nonnull(got);
    ck_assert_msg(strcmp(got, want) == 0, "%s from %s: '%s', expected '%s'", in, dir, got, want);
    free(got);
}

START_TEST(f19_path_for_record)
{
    char *root = tu_join(tmp, "root"), *sub = tu_join(root, "sub-01"),
         *grp = tu_join(root, "group"), *out = tu_join(grp, "hier"),
         *in1 = tu_join(sub, "tau.tsv"), *in2 = tu_join(out, "x.tsv"),
         *other = tu_join(tmp, "other.tsv"), *desc = tu_join(root, "dataset_description.json");
    ck_assert_int_eq(mkdir(root, 0777), 0);
    ck_assert_int_eq(mkdir(sub, 0777), 0);
    ck_assert_int_eq(mkdir(grp, 0777), 0);
    ck_assert_int_eq(mkdir(out, 0777), 0);
    tu_write(in1, "a\n");
    tu_write(in2, "a\n");
    tu_write(other, "a\n");
    /* no output root: only what lies under the output directory */
    path_record_is(in2, out, "x.tsv");
    path_record_is(in1, out, in1);
    path_record_is(other, out, other);
    /* under a derivatives root: relative to the output directory */
    tu_write(desc, "{}\n");
    path_record_is(in1, out, "../../sub-01/tau.tsv");
    path_record_is(in2, out, "x.tsv");
    path_record_is(other, out, other);
    /* a missing input stays as given */
    path_record_is("no/such.tsv", out, "no/such.tsv");
    free(root), free(sub), free(grp), free(out), free(in1), free(in2), free(other), free(desc);
}
END_TEST

/* ---- F10: an existing sidecar or a dangling symlink is an existing output ---- */

START_TEST(f10_sidecar_exists)
{
    char *out = tu_join(tmp, "m.tsv"), *side = tu_join(tmp, "m.json");
    tu_write(side, "SENTINEL\n");
    ck_assert_int_eq(bract_output_check(out, 0), BRACT_EEXIST);
    ck_assert_error_has("m.json");
    ck_assert_error_has("--force");
    ck_assert_int_eq(bract_output_check(out, 1), BRACT_OK);
    char *s = tu_slurp(side);
    ck_assert_str_eq(s, "SENTINEL\n");
    free(s);
    free(out);
    free(side);
}
END_TEST

START_TEST(f10_dangling_symlink)
{
    char *out = tu_join(tmp, "m.tsv"), *target = tu_join(tmp, "nowhere.tsv");
    ck_assert_int_eq(symlink(target, out), 0);
    ck_assert_int_eq(bract_output_check(out, 0), BRACT_EEXIST);
    ck_assert_error_has("m.tsv");
    /* a symlink to a sidecar counts as well */
    char *out2 = tu_join(tmp, "n.tsv"), *side2 = tu_join(tmp, "n.json");
    ck_assert_int_eq(symlink(target, side2), 0);
    ck_assert_int_eq(bract_output_check(out2, 0), BRACT_EEXIST);
    /* --force replaces the link, never its target */
    bract_output *o;
    ck_assert_int_eq(bract_output_open(out, 1, &o), 0);
    fputs("x\n", bract_output_stream(o));
    ck_assert_int_eq(bract_output_commit(o), 0);
    struct stat st;
    ck_assert_int_eq(lstat(out, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert(!tu_exists(target));
    free(out);
    free(target);
    free(out2);
    free(side2);
}
END_TEST

/* ---- F11: control bytes from data are escaped in messages ---- */

START_TEST(f11_escape_cell)
{
    const char *text = "x\n\x1b]0;PWNED\x07\n";
    bract_table *t = NULL;
    ck_assert_int_eq(bract_table_parse("ts.tsv", text, strlen(text), &t), 0);
    double x;
    ck_assert_int_eq(bract_table_double(t, 0, 0, &x), BRACT_EFORMAT);
    const char *m = bract_last_error();
    for (const char *c = m; *c; c++)
        ck_assert_msg((unsigned char)*c >= 0x20 && *c != 0x7f, "raw byte 0x%02x in \"%s\"",
                      (unsigned char)*c, m);
    ck_assert_error_has("\\x1b]0;PWNED\\x07");
    bract_table_free(t);
    /* valid UTF-8 passes through; invalid bytes and C1 controls do not */
    bract_error(BRACT_EDATA, "label '%s' and '%s' and '%s'", "caf\xc3\xa9", "bad\xff", "c1\xc2\x9b");
    ck_assert_error_has("caf\xc3\xa9");
    ck_assert_error_has("bad\\xff");
    ck_assert_error_has("c1\\xc2\\x9b");
    bract_warn("warn \x1b[2J");
    const char *const *w;
    ck_assert_uint_eq(bract_take_warnings(&w), 1);
    ck_assert(tu_contains(w[0], "warn \\x1b[2J"));
}
END_TEST

/* ---- F12: a long path does not push the reason out of the message ---- */

START_TEST(f12_long_path_keeps_reason)
{
    size_t n = 65536;
    char *p = malloc(n + 8);
    memset(p, 'a', n);
    strcpy(p + n, ".nii");
    bract_volume *v = NULL;
    ck_assert_int_ne(bract_volume_read(p, 0, &v), BRACT_OK);
    ck_assert_error_has("File name too long");
    ck_assert_error_has("aaaa");
    ck_assert_error_has("...");
    /* and through bract_error_context */
    bract_error(BRACT_EIO, "%s: cannot open: %s", p, "Permission denied");
    bract_error_context(BRACT_EIO, "%s", p);
    ck_assert_error_has("Permission denied");
    free(p);
}
END_TEST

/* ---- F21: invalid UTF-8 and binary tables; a FIFO as a volume ---- */

START_TEST(f21_table_not_utf8)
{
    const char *latin1 = "onset\tduration\ttrial_type\n0\t1\tcaf\xe9\n";
    bract_table *t = NULL;
    ck_assert_int_eq(bract_table_parse("e.tsv", latin1, strlen(latin1), &t), BRACT_EFORMAT);
    ck_assert_error_has("e.tsv:2: byte 8 (0xe9) is not UTF-8");
    const char bin[] = "a\tb\n1\t\0\n";
    ck_assert_int_eq(bract_table_parse("b.tsv", bin, sizeof bin - 1, &t), BRACT_EFORMAT);
    ck_assert_error_has("b.tsv:2: a NUL byte");
    const char *ok = "word\n\xe7\x8b\x97\nCaf\xc3\xa9\n";
    ck_assert_int_eq(bract_table_parse("w.tsv", ok, strlen(ok), &t), BRACT_OK);
    bract_table_free(t);
}
END_TEST

START_TEST(f21_fifo_volume)
{
    char *p = tu_join(tmp, "fifo.nii");
    ck_assert_int_eq(mkfifo(p, 0600), 0);
    bract_volume *v = NULL;
    ck_assert_int_eq(bract_volume_read(p, 0, &v), BRACT_EIO); /* used to block */
    ck_assert_error_has("not a regular file");
    free(p);
}
END_TEST

/* ---- F20: nifticlib's NIfTI-2 fallback message is not printed ---- */

START_TEST(f20_quiet_nifti2_write)
{
    const int64_t dims[4] = {40000, 1, 1, 1};
    const double vox[3] = {1, 1, 1};
    bract_volume *v;
    ck_assert_int_eq(bract_volume_new(dims, vox, NULL, 0, BRACT_F32, &v), 0);
    char *out = tu_join(tmp, "wide.nii"), *err = tu_join(tmp, "stderr.txt");
    fflush(stderr);
    int saved = dup(2), fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);
    int rc = bract_volume_write(v, out, NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ck_assert_msg(rc == 0, "%s", bract_last_error());
    char *e = tu_slurp(err);
    ck_assert_msg(e[0] == '\0', "nifticlib printed: %s", e);
    free(e);
    bract_volume *r;
    ck_assert_int_eq(bract_volume_read(out, BRACT_VOL_HEADER_ONLY, &r), 0);
    ck_assert_int_eq(r->nifti_version, 2);
    ck_assert_int_eq(r->nx, 40000);
    bract_volume_free(r);
    bract_volume_free(v);
    free(out);
    free(err);
}
END_TEST

/* ---- item 2: .npy shapes are checked against the data ---- */

static char *write_npy(const char *name, const char *dict, size_t ndata)
{
    char hdr[256];
    size_t dl = strlen(dict);
    size_t total = 10 + dl + 1, pad = (64 - total % 64) % 64, hl = dl + pad + 1;
    memcpy(hdr, "\x93NUMPY\x01\x00", 8);
    hdr[8] = (char)(hl & 0xff);
    hdr[9] = (char)(hl >> 8);
    memcpy(hdr + 10, dict, dl);
    memset(hdr + 10 + dl, ' ', pad);
    hdr[10 + dl + pad] = '\n';
    size_t n = 10 + hl + ndata;
    unsigned char *b = calloc(1, n);
    memcpy(b, hdr, 10 + hl);
    char *p = tu_join(tmp, name);
    write_bytes(p, b, n);
    free(b);
    return p;
}

START_TEST(npy_shape_overflow)
{
    /* (2^61+1) x 8 float64: the element count wraps to 8 in size_t, and the
     * 64 data bytes present looked like enough */
    char *p = write_npy("wrap.npy",
                        "{'descr': '<f8', 'fortran_order': False, 'shape': "
                        "(2305843009213693953, 8), }",
                        64);
    size_t nr = 0, nc = 0;
    double *d = NULL;
    int rc = bract_npy_read(p, &nr, &nc, &d);
    ck_assert_msg(rc == BRACT_EFORMAT, "read a %zu x %zu array from 64 bytes", nr, nc);
    ck_assert_error_has("2305843009213693953 x 8");
    /* the header-only reader (bract info) says the same */
    int nd = 0, vb = 0;
    ck_assert_int_eq(bract_npy_describe(p, &nr, &nc, &nd, &vb), BRACT_EFORMAT);
    ck_assert_error_has("2305843009213693953 x 8");
    free(d);
    free(p);
}
END_TEST

#ifdef BRACT_HAVE_HDF5
/* An rsatoolbox-layout .h5 whose /pattern_descriptors/conds declares
 * `nconds` fixed-length strings (chunked, never written: the file stays
 * small) and /dissimilarities `nrdm` x `np` doubles (chunked too when
 * `lie_d`). */
static char *write_h5_lying(const char *name, hsize_t nconds, int lie_d)
{
    char *p = tu_join(tmp, name);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fcreate(p, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    /* 2^20 conditions: 549755289600 pairs, 4.4 TB of doubles */
    hsize_t dd[2] = {1, lie_d ? (hsize_t)549755289600ULL : 3}, cd[2] = {1, 65536};
    hid_t sp = H5Screate_simple(2, dd, NULL), pl = H5Pcreate(H5P_DATASET_CREATE);
    if (lie_d)
        H5Pset_chunk(pl, 2, cd);
    hid_t ds = H5Dcreate2(f, "dissimilarities", H5T_IEEE_F64LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    ck_assert_int_ge(ds, 0);
    if (!lie_d) {
        const double v[3] = {1, 2, 3};
        H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    }
    H5Dclose(ds);
    H5Pclose(pl);
    H5Sclose(sp);
    hid_t g = H5Gcreate2(f, "pattern_descriptors", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t cchunk = nconds < 1024 ? nconds : 1024;
    sp = H5Screate_simple(1, &nconds, NULL);
    pl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(pl, 1, &cchunk);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 8);
    ds = H5Dcreate2(g, "conds", t, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    ck_assert_int_ge(ds, 0);
    H5Dclose(ds);
    H5Tclose(t);
    H5Pclose(pl);
    H5Sclose(sp);
    H5Gclose(g);
    H5Fclose(f);
    return p;
}

START_TEST(f4_f18_h5_labels_declared_huge)
{
    /* 1.1e9 labels declared in a file of a few KB: refused before any
     * allocation, naming the file and the dataset (was an 8.8 GB calloc,
     * then "bract info: failed") */
    char *p = write_h5_lying("labels.h5", 1100000000ULL, 0);
    bract_rdmset *s = NULL;
    ck_assert_int_eq(bract_rdmset_read(p, &s), BRACT_EFORMAT);
    ck_assert_error_has(p);
    ck_assert_error_has("/pattern_descriptors/conds");
    ck_assert_error_has("1100000000");
    free(p);
}
END_TEST

START_TEST(f3_h5_dissimilarities_declared_huge)
{
    char *p = write_h5_lying("dis.h5", 3, 1);
    bract_rdmset *s = NULL;
    ck_assert_int_eq(bract_rdmset_read(p, &s), BRACT_EFORMAT);
    ck_assert_error_has(p);
    ck_assert_error_has("/dissimilarities");
    ck_assert_error_has("bytes");
    free(p);
}
END_TEST
#endif

static Suite *findings_suite(void)
{
    Suite *s = suite_create("findings");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, f1_nifti2_dims_wrap);
    tcase_add_test(tc, f1_nifti2_bytes_wrap);
    tcase_add_test(tc, f1_stream_hang);
    tcase_add_test(tc, f1_more_than_file_holds);
    tcase_add_test(tc, f1_gzip_more_than_file_holds);
    tcase_add_test(tc, f2_read_file_nul);
    tcase_add_test(tc, f2_empty_sidecar);
    tcase_add_test(tc, f2_empty_tseries_sidecar);
    tcase_add_test(tc, f6_tr_zero_or_nan_is_unknown);
    tcase_add_test(tc, f6_unknown_tr_survives_write);
    tcase_add_test(tc, f6_voxel_size_zero_or_nan);
    tcase_add_test(tc, f7_quote_round_trip);
    tcase_add_test(tc, f7_quote_rule_text);
    tcase_add_test(tc, f7_quote_rule_edges);
    tcase_add_test(tc, f8_events_na_label);
    tcase_add_test(tc, f8_atlas_label_named_na);
    tcase_add_test(tc, f8_condition_word_na);
    tcase_add_test(tc, f19_path_for_record);
    tcase_add_test(tc, f10_sidecar_exists);
    tcase_add_test(tc, f10_dangling_symlink);
    tcase_add_test(tc, f11_escape_cell);
    tcase_add_test(tc, f12_long_path_keeps_reason);
    tcase_add_test(tc, f21_table_not_utf8);
    tcase_add_test(tc, f21_fifo_volume);
    tcase_add_test(tc, f20_quiet_nifti2_write);
    tcase_add_test(tc, npy_shape_overflow);
#ifdef BRACT_HAVE_HDF5
    tcase_add_test(tc, f4_f18_h5_labels_declared_huge);
    tcase_add_test(tc, f3_h5_dissimilarities_declared_huge);
#endif
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(findings_suite()); }
