/* Unit tests of bract/volume.h: reading every datatype with and without
 * scaling, NIfTI-1 and -2, .nii and .nii.gz, writing, grids, masks, atlases,
 * and the messages for bad files. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <nifti2_io.h>
#include "bract/atlas.h"
#include "bract/mask.h"

static char *tmp;

static void setup(void) { tmp = tu_tmpdir(); }
static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

/* Value k of the synthetic test pattern for a datatype: fits every type. */
static double pattern(int dt, size_t k)
{
    int sgn = !(dt == DT_UINT8 || dt == DT_UINT16 || dt == DT_UINT32 || dt == DT_UINT64);
    double base = sgn ? (double)k - 11.0 : (double)k;
    if (dt == DT_FLOAT32 || dt == DT_FLOAT64)
        base += 0.375; /* exact in binary */
    return base;
}

/* Write a 4x3x2 (or 4x3x2x2) image with nifticlib in datatype dt. */
static char *write_nifti1(const char *name, int dt, int nt, double slope, double inter)
{
    int64_t dims[8] = {nt > 1 ? 4 : 3, 4, 3, 2, nt, 1, 1, 1};
    nifti_image *nim = nifti_make_new_nim(dims, dt, 1);
    ck_assert_ptr_nonnull(nim);
    size_t n = (size_t)nim->nvox;
    for (size_t k = 0; k < n; k++) {
        double x = pattern(dt, k);
        switch (dt) {
        case DT_UINT8: ((uint8_t *)nim->data)[k] = (uint8_t)x; break;
        case DT_INT8: ((int8_t *)nim->data)[k] = (int8_t)x; break;
        case DT_INT16: ((int16_t *)nim->data)[k] = (int16_t)x; break;
        case DT_UINT16: ((uint16_t *)nim->data)[k] = (uint16_t)x; break;
        case DT_INT32: ((int32_t *)nim->data)[k] = (int32_t)x; break;
        case DT_UINT32: ((uint32_t *)nim->data)[k] = (uint32_t)x; break;
        case DT_INT64: ((int64_t *)nim->data)[k] = (int64_t)x; break;
        case DT_UINT64: ((uint64_t *)nim->data)[k] = (uint64_t)x; break;
        case DT_FLOAT32: ((float *)nim->data)[k] = (float)x; break;
        case DT_FLOAT64: ((double *)nim->data)[k] = x; break;
        default: ck_abort_msg("datatype %d not handled", dt);
        }
    }
    nim->scl_slope = slope;
    nim->scl_inter = inter;
    nim->dx = nim->pixdim[1] = 2.0;
    nim->dy = nim->pixdim[2] = 2.5;
    nim->dz = nim->pixdim[3] = 3.0;
    nim->dt = nim->pixdim[4] = 1500; /* ms */
    nim->xyz_units = NIFTI_UNITS_MM;
    nim->time_units = NIFTI_UNITS_MSEC;
    char *path = tu_join(tmp, name);
    ck_assert_int_eq(nifti_set_filenames(nim, path, 0, 1), 0);
    nifti_image_write(nim);
    nifti_image_free(nim);
    return path;
}

/* Write a NIfTI-2 single file by hand (nifticlib 3.0.1 cannot). */
static char *write_nifti2(const char *name, int gz)
{
    nifti_2_header h;
    memset(&h, 0, sizeof h);
    h.sizeof_hdr = 540;
    memcpy(h.magic, "n+2\0\r\n\032\n", 8);
    h.datatype = DT_INT16;
    h.bitpix = 16;
    int64_t dim[8] = {4, 3, 2, 2, 3, 1, 1, 1};
    memcpy(h.dim, dim, sizeof dim);
    double pd[8] = {1, 1.5, 1.5, 2, 0.8, 0, 0, 0};
    memcpy(h.pixdim, pd, sizeof pd);
    h.vox_offset = 544;
    h.scl_slope = 0.25;
    h.scl_inter = 10;
    h.sform_code = 4;
    h.srow_x[0] = 1.5;
    h.srow_x[3] = -7;
    h.srow_y[1] = 1.5;
    h.srow_y[3] = 5;
    h.srow_z[2] = 2;
    h.srow_z[3] = 1;
    h.xyzt_units = NIFTI_UNITS_MM | NIFTI_UNITS_SEC;
    int16_t data[36];
    for (int k = 0; k < 36; k++)
        data[k] = (int16_t)(3 * k - 50);
    char ext[4] = {0, 0, 0, 0};
    char *path = tu_join(tmp, name);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        gzwrite(f, &h, sizeof h);
        gzwrite(f, ext, 4);
        gzwrite(f, data, sizeof data);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(&h, sizeof h, 1, f);
        fwrite(ext, 4, 1, f);
        fwrite(data, sizeof data, 1, f);
        fclose(f);
    }
    return path;
}

static const int all_types[] = {DT_UINT8, DT_INT8,   DT_INT16,   DT_UINT16, DT_INT32,
                                DT_UINT32, DT_INT64, DT_UINT64, DT_FLOAT32, DT_FLOAT64};

START_TEST(every_datatype_scaled_and_not)
{
    /* _i: datatype index x 2 (scaled or not) x 2 (gz or not) */
    int dt = all_types[_i / 4];
    int scaled = (_i / 2) % 2, gz = _i % 2;
    double slope = scaled ? 2.5 : 0.0, inter = scaled ? -1.25 : 7.0; /* inter ignored if 0 */
    char name[64];
    snprintf(name, sizeof name, "dt%d_%d%s", dt, scaled, gz ? ".nii.gz" : ".nii");
    char *path = write_nifti1(name, dt, 2, slope, inter);
    bract_volume *v;
    ck_assert_msg(bract_volume_read(path, 0, &v) == BRACT_OK, "%s", bract_last_error());
    ck_assert_int_eq(v->datatype, dt);
    ck_assert_int_eq(v->nifti_version, 1);
    ck_assert_int_eq(v->compressed, gz);
    ck_assert_int_eq(v->nx, 4);
    ck_assert_int_eq(v->ny, 3);
    ck_assert_int_eq(v->nz, 2);
    ck_assert_int_eq(v->nt, 2);
    ck_assert_int_eq(v->ndim, 4);
    ck_assert_int_eq(v->scaled, scaled);
    ck_assert_double_eq(v->tr, 1.5); /* 1500 ms */
    ck_assert_double_eq(v->vox_mm[1], 2.5);
    for (size_t k = 0; k < 48; k++) {
        double want = scaled ? pattern(dt, k) * slope + inter : pattern(dt, k);
        ck_assert_msg(bract_volume_get(v, k) == want, "%s value %zu: %g, expected %g",
                      bract_volume_datatype_name(dt), k, bract_volume_get(v, k), want);
    }
    bract_volume_free(v);
    /* the float storage gives the same values (they are exact in float) */
    ck_assert_int_eq(bract_volume_read(path, BRACT_VOL_FLOAT32, &v), BRACT_OK);
    ck_assert_int_eq(v->storage, BRACT_F32);
    ck_assert_double_eq(bract_volume_get(v, 47), scaled ? pattern(dt, 47) * slope + inter
                                                        : pattern(dt, 47));
    bract_volume_free(v);
    free(path);
}
END_TEST

START_TEST(nibabel_int16_scaled_4d)
{
    bract_volume *v;
    ck_assert_int_eq(bract_volume_read(REFDATA "/volumes/int16_scaled_4d.nii.gz", 0, &v), BRACT_OK);
    ck_assert_int_eq(v->nx, 5);
    ck_assert_int_eq(v->ny, 6);
    ck_assert_int_eq(v->nz, 4);
    ck_assert_int_eq(v->nt, 7);
    ck_assert_int_eq(v->datatype, DT_INT16);
    ck_assert_double_eq(v->scl_slope, 0.5);
    ck_assert_double_eq(v->scl_inter, -3);
    ck_assert_double_eq(v->tr, 0.72); /* float32 0.72 read as the decimal meant */
    ck_assert_double_eq(v->vox_mm[0], 3);
    ck_assert_double_eq(v->vox_mm[2], 3.5);
    /* nibabel's scaled series of voxel (1,2,3) */
    char *txt = tu_slurp(REFDATA "/volumes/int16_scaled_4d_first_voxel_series.tsv");
    ck_assert_ptr_nonnull(txt);
    char *p = txt;
    size_t idx = 1 + 5 * (2 + 6 * 3);
    for (int t = 0; t < 7; t++) {
        double want = strtod(p, &p);
        ck_assert_double_eq(bract_volume_get(v, idx + v->nvox * (size_t)t), want);
    }
    free(txt);
    bract_volume_free(v);
}
END_TEST

START_TEST(nibabel_float64_nifti2)
{
    bract_volume *v;
    ck_assert_int_eq(bract_volume_read(REFDATA "/volumes/float64_nifti2_3d.nii", 0, &v), BRACT_OK);
    ck_assert_int_eq(v->nifti_version, 2);
    ck_assert_int_eq(v->ndim, 3);
    ck_assert_int_eq(v->nvox, 24);
    ck_assert_int_eq(v->datatype, DT_FLOAT64);
    char *txt = tu_slurp(REFDATA "/volumes/float64_nifti2_3d_values.tsv");
    char *p = txt;
    for (size_t k = 0; k < 24; k++) {
        double want = strtod(p, &p);
        ck_assert_double_eq(bract_volume_get(v, k), want); /* exact: stored as double */
    }
    free(txt);
    bract_volume_free(v);
}
END_TEST

START_TEST(handmade_nifti2_plain_and_gz)
{
    for (int gz = 0; gz < 2; gz++) {
        char *path = write_nifti2(gz ? "n2.nii.gz" : "n2.nii", gz);
        bract_volume *v;
        ck_assert_msg(bract_volume_read(path, 0, &v) == BRACT_OK, "%s", bract_last_error());
        ck_assert_int_eq(v->nifti_version, 2);
        ck_assert_int_eq(v->nt, 3);
        ck_assert_double_eq(v->tr, 0.8);
        ck_assert_int_eq(v->sform_code, 4);
        ck_assert_double_eq(v->affine[0][3], -7);
        ck_assert_double_eq(v->affine[2][2], 2);
        for (int k = 0; k < 36; k++)
            ck_assert_double_eq(bract_volume_get(v, (size_t)k), (3.0 * k - 50) * 0.25 + 10);
        bract_volume_free(v);
        free(path);
    }
}
END_TEST

START_TEST(write_and_read_back)
{
    bract_volume *ref, *out;
    ck_assert_int_eq(bract_volume_read(REFDATA "/volumes/int16_scaled_4d.nii.gz", 0, &ref), 0);
    /* a 3-D map and a 4-D series, .nii and .nii.gz */
    for (int k = 0; k < 4; k++) {
        int64_t nt = k < 2 ? 1 : 3;
        ck_assert_int_eq(bract_volume_new_like(ref, nt, BRACT_F64, &out), 0);
        for (size_t i = 0; i < out->nvox * (size_t)nt; i++)
            bract_volume_set(out, i, 0.5 * (double)i - 7.25);
        char *path = tu_join(tmp, k % 2 ? "map.nii.gz" : "map.nii");
        if (tu_exists(path))
            remove(path);
        bract_volume_write_opts o = {.intent_code = BRACT_INTENT_CORREL,
                                     .intent_p = {10, 0, 0},
                                     .intent_name = "Spearman rho",
                                     .descrip = "a test map"};
        ck_assert_msg(bract_volume_write(out, path, &o) == BRACT_OK, "%s", bract_last_error());
        bract_volume *back;
        ck_assert_int_eq(bract_volume_read(path, 0, &back), 0);
        ck_assert_int_eq(back->datatype, DT_FLOAT32);
        ck_assert_int_eq(back->nt, nt);
        ck_assert_int_eq(back->ndim, nt > 1 ? 4 : 3);
        ck_assert_int_eq(back->scaled, 1); /* slope 1, intercept 0: values unchanged */
        ck_assert_double_eq(back->scl_slope, 1);
        ck_assert_int_eq(back->intent_code, BRACT_INTENT_CORREL);
        ck_assert_double_eq(back->intent_p[0], 10);
        ck_assert_str_eq(back->intent_name, "Spearman rho");
        ck_assert_str_eq(back->descrip, "a test map");
        ck_assert_int_eq(bract_volume_same_grid(ref, back, 1e-6), BRACT_OK);
        if (nt > 1) /* a 3-D map has no TR */
            ck_assert_double_eq_tol(back->tr, 0.72, 1e-6);
        for (size_t i = 0; i < back->nvox * (size_t)nt; i++)
            ck_assert_double_eq(bract_volume_get(back, i), 0.5 * (double)i - 7.25);
        bract_volume_free(back);
        bract_volume_free(out);
        free(path);
    }
    /* no temporary files are left behind */
    ck_assert_int_eq(tu_count_entries(tmp), 2);
    bract_volume_free(ref);
}
END_TEST

START_TEST(write_new_grid)
{
    int64_t dims[4] = {6, 5, 4, 1};
    double vox[3] = {3, 3, 3};
    const double aff[4][4] = {{-3, 0, 0, 90}, {0, 3, 0, -126}, {0, 0, 3, -72}, {0, 0, 0, 1}};
    bract_volume *v, *back;
    ck_assert_int_eq(bract_volume_new(dims, vox, aff, 0, BRACT_F32, &v), 0);
    bract_volume_set(v, 7, 2.5);
    char *path = tu_join(tmp, "new.nii.gz");
    ck_assert_int_eq(bract_volume_write(v, path, NULL), 0);
    ck_assert_int_eq(bract_volume_read(path, 0, &back), 0);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            ck_assert_double_eq_tol(back->affine[i][j], aff[i][j], 1e-5);
    ck_assert_double_eq(bract_volume_get(back, 7), 2.5);
    char ax[4];
    bract_volume_axcodes(back, ax);
    ck_assert_str_eq(ax, "LAS");
    bract_volume_free(v);
    bract_volume_free(back);
    free(path);
}
END_TEST

START_TEST(write_refuses_existing_unless_forced)
{
    bract_volume *ref, *out;
    ck_assert_int_eq(bract_volume_read(REFDATA "/volumes/float64_nifti2_3d.nii", 0, &ref), 0);
    ck_assert_int_eq(bract_volume_new_like(ref, 1, BRACT_F32, &out), 0);
    char *path = tu_join(tmp, "exists.nii");
    tu_write(path, "precious");
    ck_assert_int_eq(bract_volume_write(out, path, NULL), BRACT_EEXIST);
    ck_assert_error_has("exists (use --force");
    char *txt = tu_slurp(path);
    ck_assert_str_eq(txt, "precious"); /* untouched */
    free(txt);
    bract_volume_write_opts o = {.force = 1};
    ck_assert_int_eq(bract_volume_write(out, path, &o), BRACT_OK);
    ck_assert_int_eq(tu_count_entries(tmp), 1);
    bract_volume_free(ref);
    bract_volume_free(out);
    free(path);
}
END_TEST

/* ---- bad files ---- */

static char *copy_prefix(const char *src, const char *name, long nbytes)
{
    char *in = tu_slurp(src);
    FILE *f = fopen(src, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    char *path = tu_join(tmp, name);
    f = fopen(path, "wb");
    fwrite(in, 1, (size_t)(nbytes < n ? nbytes : n), f);
    fclose(f);
    free(in);
    return path;
}

START_TEST(truncated_data)
{
    char *full = write_nifti1("full.nii", DT_INT16, 2, 0, 0);
    char *cut = copy_prefix(full, "cut.nii", 352 + 30);
    bract_volume *v = (bract_volume *)1;
    ck_assert_int_eq(bract_volume_read(cut, 0, &v), BRACT_EFORMAT);
    ck_assert_ptr_null(v);
    ck_assert_error_has("cut.nii: truncated");
    ck_assert_error_has("96 bytes from byte 352");
    ck_assert_error_has("file has 382 bytes");
    /* also when only the header is asked for */
    ck_assert_int_eq(bract_volume_read(cut, BRACT_VOL_HEADER_ONLY, &v), BRACT_EFORMAT);
    free(full);
    free(cut);
}
END_TEST

START_TEST(truncated_gz_data)
{
    char *full = write_nifti1("full.nii.gz", DT_FLOAT64, 2, 0, 0);
    FILE *f = fopen(full, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    char *cut = copy_prefix(full, "cut.nii.gz", n - 12);
    bract_volume *v;
    int rc = bract_volume_read(cut, 0, &v);
    ck_assert_int_eq(rc, BRACT_EFORMAT);
    ck_assert_msg(tu_contains(bract_last_error(), "truncated"), "%s", bract_last_error());
    free(full);
    free(cut);
}
END_TEST

START_TEST(truncated_header)
{
    char *full = write_nifti1("full.nii", DT_INT16, 1, 0, 0);
    char *cut = copy_prefix(full, "short.nii", 100);
    bract_volume *v;
    ck_assert_int_eq(bract_volume_read(cut, 0, &v), BRACT_EFORMAT);
    ck_assert_error_has("short.nii: truncated header: 100 bytes, expected 348");
    free(full);
    free(cut);
}
END_TEST

START_TEST(wrong_magic)
{
    char *path = write_nifti1("magic.nii", DT_INT16, 1, 0, 0);
    FILE *f = fopen(path, "r+b");
    fseek(f, 344, SEEK_SET);
    fwrite("xyz", 1, 3, f);
    fclose(f);
    bract_volume *v;
    ck_assert_int_eq(bract_volume_read(path, 0, &v), BRACT_EFORMAT);
    ck_assert_error_has("magic.nii: not a NIfTI file: bad magic \"xyz\" at byte 344");
    free(path);
    /* not a NIfTI file at all */
    char *txt = tu_join(tmp, "text.nii");
    tu_write(txt, "this is plainly not a NIfTI file, but long enough to have 4 bytes");
    ck_assert_int_eq(bract_volume_read(txt, 0, &v), BRACT_EFORMAT);
    ck_assert_error_has("text.nii: not a NIfTI file: the first 4 bytes give a header size of");
    free(txt);
}
END_TEST

static void poke_dim(const char *path, int i, int16_t val)
{
    FILE *f = fopen(path, "r+b");
    fseek(f, 40 + 2 * i, SEEK_SET);
    fwrite(&val, 2, 1, f);
    fclose(f);
}

START_TEST(zero_and_negative_dims)
{
    char *path = write_nifti1("dims.nii", DT_INT16, 1, 0, 0);
    bract_volume *v;
    poke_dim(path, 2, 0);
    ck_assert_int_eq(bract_volume_read(path, 0, &v), BRACT_EFORMAT);
    ck_assert_error_has("dims.nii: bad header: dim[2] = 0 (every dimension must be at least 1)");
    poke_dim(path, 2, -3);
    ck_assert_int_eq(bract_volume_read(path, 0, &v), BRACT_EFORMAT);
    ck_assert_error_has("dim[2] = -3");
    poke_dim(path, 2, 3);
    poke_dim(path, 0, 9);
    ck_assert_int_eq(bract_volume_read(path, 0, &v), BRACT_EFORMAT);
    ck_assert_error_has("dim[0] = 9 (the number of dimensions must be 1 to 7)");
    free(path);
}
END_TEST

START_TEST(missing_file_and_directory)
{
    bract_volume *v;
    char *p = tu_join(tmp, "nope.nii.gz");
    ck_assert_int_eq(bract_volume_read(p, 0, &v), BRACT_EIO);
    ck_assert_error_has("nope.nii.gz: cannot open: No such file or directory");
    free(p);
    ck_assert_int_eq(bract_volume_read(tmp, 0, &v), BRACT_EIO);
    ck_assert_error_has("is a directory");
}
END_TEST

START_TEST(complex_datatype_rejected)
{
    int64_t dims[8] = {3, 2, 2, 2, 1, 1, 1, 1};
    nifti_image *nim = nifti_make_new_nim(dims, DT_COMPLEX64, 1);
    char *path = tu_join(tmp, "cplx.nii");
    nifti_set_filenames(nim, path, 0, 1);
    nifti_image_write(nim);
    nifti_image_free(nim);
    bract_volume *v;
    ck_assert_int_eq(bract_volume_read(path, 0, &v), BRACT_EFORMAT);
    ck_assert_error_has("datatype COMPLEX64 is not supported");
    free(path);
}
END_TEST

/* ---- grids, masks, atlases ---- */

START_TEST(mask_on_another_grid)
{
    bract_volume *bold, *mask4;
    ck_assert_int_eq(bract_volume_read(TESTDATA "/data/haxby2001-slice/bold.nii.gz",
                                       BRACT_VOL_HEADER_ONLY, &bold), 0);
    ck_assert_int_eq(bract_volume_read(REFDATA "/volumes/int16_scaled_4d.nii.gz",
                                       BRACT_VOL_HEADER_ONLY, &mask4), 0);
    ck_assert_int_eq(bract_volume_same_grid(bold, mask4, 1e-3), BRACT_EDATA);
    ck_assert_error_has("bold.nii.gz and " REFDATA "/volumes/int16_scaled_4d.nii.gz are on "
                        "different grids: 40x20x1 voxels vs 5x6x4");
    /* same dims, shifted affine */
    bract_volume *m;
    ck_assert_int_eq(bract_volume_read(TESTDATA "/data/haxby2001-slice/mask.nii.gz", 0, &m), 0);
    ck_assert_int_eq(bract_volume_same_grid(bold, m, 1e-3), BRACT_OK);
    m->affine[1][3] += 2.0;
    ck_assert_int_eq(bract_volume_same_grid(bold, m, 1e-3), BRACT_EDATA);
    ck_assert_error_has("affines differ by 2 mm at row 2, column 4");
    bract_volume_free(bold);
    bract_volume_free(mask4);
    bract_volume_free(m);
}
END_TEST

START_TEST(haxby_mask)
{
    bract_mask *m;
    bract_volume *g;
    ck_assert_int_eq(bract_mask_read(TESTDATA "/data/haxby2001-slice/mask.nii.gz", &m, &g), 0);
    ck_assert_int_eq(m->n, 530); /* the dataset's documented voxel count */
    for (size_t i = 1; i < m->n; i++)
        ck_assert(m->index[i] > m->index[i - 1]);
    ck_assert_ptr_null(g->data);
    bract_mask_free(m);
    bract_volume_free(g);
    /* a 4-D file is not a mask */
    ck_assert_int_eq(bract_mask_read(REFDATA "/volumes/int16_scaled_4d.nii.gz", &m, NULL),
                     BRACT_EDATA);
    ck_assert_error_has("a mask must be 3-D, this file has 7 volumes");
}
END_TEST

static bract_volume *label_volume(const double *labels, size_t n)
{
    int64_t dims[4] = {(int64_t)n, 1, 1, 1};
    double vox[3] = {2, 2, 2};
    bract_volume *v;
    ck_assert_int_eq(bract_volume_new(dims, vox, NULL, 0, BRACT_F64, &v), 0);
    for (size_t i = 0; i < n; i++)
        bract_volume_set(v, i, labels[i]);
    return v;
}

START_TEST(atlas_with_labels)
{
    double lab[] = {0, 3, 3, 1, 0, 7, 1, 3};
    bract_volume *v = label_volume(lab, 8);
    char *tsv = tu_join(tmp, "labels.tsv");
    tu_write(tsv, "index\tname\n0\tbackground\n7\tV1\n1\tPCC\n3\tIFG left\n12\tunused\n");
    bract_atlas *a;
    ck_assert_msg(bract_atlas_from_volume(v, tsv, NULL, &a) == 0, "%s", bract_last_error());
    ck_assert_int_eq(a->nregions, 4); /* 1, 3, 7, 12 */
    ck_assert_int_eq(a->label[0], 1);
    ck_assert_str_eq(a->name[0], "PCC");
    ck_assert_int_eq(a->nvox[0], 2);
    ck_assert_int_eq(a->voxels[0][1], 6);
    ck_assert_str_eq(a->name[1], "IFG left");
    ck_assert_int_eq(a->nvox[1], 3);
    ck_assert_int_eq(a->nvox[3], 0); /* label 12 has no voxel */
    ck_assert_int_eq(bract_atlas_find(a, "V1"), 2);
    ck_assert_int_eq(bract_atlas_find(a, "7"), 2);
    const char *const *w;
    ck_assert_int_eq(bract_take_warnings(&w), 1);
    ck_assert(tu_contains(w[0], "region unused (label 12) has no voxels"));
    bract_atlas_free(a);
    /* with a mask */
    bract_mask m = {8, 1, 1, 3, (size_t[]){1, 3, 5}};
    ck_assert_int_eq(bract_atlas_from_volume(v, NULL, &m, &a), 0);
    ck_assert_int_eq(a->nregions, 3);
    ck_assert_str_eq(a->name[2], "7");
    ck_assert_int_eq(a->nvox[0] + a->nvox[1] + a->nvox[2], 3);
    bract_atlas_free(a);
    bract_volume_free(v);
    free(tsv);
}
END_TEST

START_TEST(atlas_label_absent_from_tsv)
{
    double lab[] = {0, 3, 5};
    bract_volume *v = label_volume(lab, 3);
    char *tsv = tu_join(tmp, "labels.tsv");
    tu_write(tsv, "index\tname\n3\tthree\n");
    bract_atlas *a;
    ck_assert_int_eq(bract_atlas_from_volume(v, tsv, NULL, &a), BRACT_EDATA);
    ck_assert_error_has("label 5 is in the atlas but not in the labels file");
    ck_assert_error_has("labels.tsv");
    bract_volume_free(v);
    free(tsv);
}
END_TEST

START_TEST(atlas_non_integer_label)
{
    double lab[] = {0, 3, 2.5, 1};
    bract_volume *v = label_volume(lab, 4);
    bract_atlas *a;
    ck_assert_int_eq(bract_atlas_from_volume(v, NULL, NULL, &a), BRACT_EFORMAT);
    ck_assert_error_has("voxel (2,0,0) has label 2.5");
    bract_volume_free(v);
}
END_TEST

START_TEST(schaefer_atlas)
{
    bract_atlas *a;
    bract_volume *g;
    ck_assert_msg(bract_atlas_read(TESTDATA "/data/mni2mm/Schaefer200_space-MNI152NLin6_res-2x2x2.nii.gz",
                                   NULL, NULL, &a, &g) == 0, "%s", bract_last_error());
    ck_assert_int_eq(a->nregions, 200);
    ck_assert_int_eq(a->label[199], 200);
    ck_assert_int_eq(g->nx, 91);
    ck_assert_int_eq(g->nz, 91);
    size_t total = 0;
    for (size_t r = 0; r < a->nregions; r++)
        total += a->nvox[r];
    ck_assert(total > 100000);
    bract_atlas_free(a);
    bract_volume_free(g);
}
END_TEST

/* ---- NaN and infinity survive reading (added for group maps) ---- */

START_TEST(nonfinite_floats_kept)
{
    /* nifticlib's own loader turns non-finite floats into 0; bract keeps
     * them (a NaN marks a voxel without a value).  float32 written by
     * bract, and nibabel's float32 map with one NaN (testdata/group) */
    const int64_t dims[4] = {3, 2, 1, 1};
    const double vs[3] = {2, 2, 2};
    bract_volume *v, *back;
    ck_assert_int_eq(bract_volume_new(dims, vs, NULL, 0, BRACT_F64, &v), 0);
    const double x[6] = {1.5, NAN, -INFINITY, 0, INFINITY, -2};
    for (int i = 0; i < 6; i++)
        bract_volume_set(v, (size_t)i, x[i]);
    const char *names[2] = {"nan.nii", "nan.nii.gz"};
    for (int k = 0; k < 2; k++) {
        char *path = tu_join(tmp, names[k]);
        ck_assert_int_eq(bract_volume_write(v, path, NULL), 0);
        ck_assert_int_eq(bract_volume_read(path, k ? BRACT_VOL_FLOAT32 : 0, &back), 0);
        ck_assert_double_eq(bract_volume_get(back, 0), 1.5);
        ck_assert(isnan(bract_volume_get(back, 1)));
        ck_assert(isinf(bract_volume_get(back, 2)) && bract_volume_get(back, 2) < 0);
        ck_assert_double_eq(bract_volume_get(back, 3), 0);
        ck_assert(isinf(bract_volume_get(back, 4)) && bract_volume_get(back, 4) > 0);
        ck_assert_double_eq(bract_volume_get(back, 5), -2);
        bract_volume_stats st;
        ck_assert_int_eq(bract_volume_summary(back, &st), 0);
        ck_assert_uint_eq(st.nonfinite, 3);
        bract_volume_free(back);
        free(path);
    }
    bract_volume_free(v);
    ck_assert_int_eq(bract_volume_read(TESTDATA "/group/sub-03_r.nii.gz", 0, &back), 0);
    ck_assert(isnan(bract_volume_get(back, 4 + 6 * (3 + 5 * 2)))); /* voxel (4,3,2) */
    bract_volume_stats st;
    ck_assert_int_eq(bract_volume_summary(back, &st), 0);
    ck_assert_uint_eq(st.nonfinite, 1);
    bract_volume_free(back);
    /* scaled float data keep NaN too: the reference int16 file has none,
     * float64 NIfTI-2 still reads exactly */
    ck_assert_int_eq(bract_volume_read(REFDATA "/volumes/float64_nifti2_3d.nii", 0, &back), 0);
    ck_assert_int_eq(bract_volume_summary(back, &st), 0);
    ck_assert_uint_eq(st.nonfinite, 0);
    bract_volume_free(back);
}
END_TEST

/* The voxels bract timescale estimates without a mask: those whose series
 * changes or holds a non-finite value (as the command selected them before
 * the selection moved into the library). */
START_TEST(mask_of_varying_voxels)
{
    int64_t dims[4] = {3, 2, 1, 4};
    double vox[3] = {2, 2, 2};
    bract_volume *v;
    ck_assert_int_eq(bract_volume_new(dims, vox, NULL, 1, BRACT_F32, &v), 0);
    /* voxel 0 constant 5, 1 varies, 2 constant 0, 3 NaN at t = 2, 4 NaN
     * throughout, 5 varies only in the last volume */
    for (size_t t = 0; t < 4; t++) {
        bract_volume_set(v, 0 + 6 * t, 5);
        bract_volume_set(v, 1 + 6 * t, (double)t);
        bract_volume_set(v, 3 + 6 * t, t == 2 ? NAN : 1);
        bract_volume_set(v, 4 + 6 * t, NAN);
        bract_volume_set(v, 5 + 6 * t, t == 3 ? 2 : 1);
    }
    bract_mask *m;
    size_t constant;
    ck_assert_int_eq(bract_mask_varying(v, &m, &constant), 0);
    ck_assert_uint_eq(m->n, 4);
    ck_assert_uint_eq(constant, 2);
    static const size_t want[4] = {1, 3, 4, 5};
    for (size_t i = 0; i < 4; i++)
        ck_assert_uint_eq(m->index[i], want[i]);
    ck_assert_int_eq(m->nx, 3);
    ck_assert_int_eq(m->ny, 2);
    ck_assert_int_eq(m->nz, 1);
    bract_mask_free(m);
    /* a constant series: an empty mask, not an error */
    for (size_t i = 0; i < 24; i++)
        bract_volume_set(v, i, 7);
    ck_assert_int_eq(bract_mask_varying(v, &m, NULL), 0);
    ck_assert_uint_eq(m->n, 0);
    bract_mask_free(m);
    bract_volume_free(v);
}
END_TEST

static Suite *volume_suite(void)
{
    Suite *s = suite_create("volume");
    TCase *tc = tcase_create("read");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, every_datatype_scaled_and_not, 0,
                        (int)(4 * sizeof all_types / sizeof *all_types));
    tcase_add_test(tc, nibabel_int16_scaled_4d);
    tcase_add_test(tc, nibabel_float64_nifti2);
    tcase_add_test(tc, handmade_nifti2_plain_and_gz);
    suite_add_tcase(s, tc);
    tc = tcase_create("write");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, write_and_read_back);
    tcase_add_test(tc, write_new_grid);
    tcase_add_test(tc, write_refuses_existing_unless_forced);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, truncated_data);
    tcase_add_test(tc, truncated_gz_data);
    tcase_add_test(tc, truncated_header);
    tcase_add_test(tc, wrong_magic);
    tcase_add_test(tc, zero_and_negative_dims);
    tcase_add_test(tc, missing_file_and_directory);
    tcase_add_test(tc, complex_datatype_rejected);
    suite_add_tcase(s, tc);
    tc = tcase_create("masks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, mask_on_another_grid);
    tcase_add_test(tc, haxby_mask);
    tcase_add_test(tc, atlas_with_labels);
    tcase_add_test(tc, atlas_label_absent_from_tsv);
    tcase_add_test(tc, atlas_non_integer_label);
    tcase_add_test(tc, schaefer_atlas);
    tcase_add_test(tc, mask_of_varying_voxels);
    suite_add_tcase(s, tc);
    tc = tcase_create("nonfinite");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, nonfinite_floats_kept);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    bract_init();
    return tu_run(volume_suite());
}
