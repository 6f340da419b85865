/* RDM sets as HDF5 files in rsatoolbox's layout, so that
 * rsatoolbox.rdm.load_rdm() reads what bract writes and bract reads what
 * rsatoolbox's RDMs.save() writes (layout: ../shared/notes/rsa.md 2.8):
 *
 *   /                          attribute dissimilarity_measure (string), or a
 *                              dataset with a null dataspace when unknown
 * (h5py's None) /dissimilarities           float64 (n_rdm, n_pairs), condensed
 * rows /descriptors/              group (empty) /rdm_descriptors/name strings
 * (n_rdm,): the RDM names /rdm_descriptors/index     int64 (n_rdm,)
 *   /pattern_descriptors/conds strings (n_cond,): the condition labels
 *   /pattern_descriptors/index int64 (n_cond,)
 *
 * Strings are fixed-length, null-padded ASCII as h5py writes numpy "S"
 * arrays -- exactly rsatoolbox's encoding -- when every label is ASCII.
 * rsatoolbox cannot encode other labels (its writer converts to "S" and
 * fails); bract then writes variable-length UTF-8 strings, which
 * rsatoolbox loads as bytes objects (decode them with .decode()).
 *
 * One HDF5 RDMs object has one list of conditions, so every RDM of a set
 * written as HDF5 must have the same conditions in the same order.
 *
 * Debian's libhdf5 is built thread-safe (H5_HAVE_THREADSAFE); HDF5's own
 * error printing is switched off for the duration of each call (a
 * per-thread setting there) and its failures become bract errors. */
#include "base/internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <hdf5.h>

#include "bract/output.h"
#include "bract/tsv.h"


/* Silence HDF5's automatic error stack printing for one call. */
typedef struct {
    H5E_auto2_t func;
    void *data;
} h5_quiet;

static void quiet_begin(h5_quiet *q)
{
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_end(const h5_quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->func, q->data); }

static void close_id(hid_t *id, herr_t (*fn)(hid_t))
{
    if (*id >= 0)
        fn(*id);
    *id = -1;
}

/* ---- writing ---- */

static int all_ascii(const char *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (const unsigned char *p = (const unsigned char *)s[i]; *p; p++)
            if (*p >= 0x80)
                return 0;
    return 1;
}

/* A 1-D string dataset `name` in `loc` holding s[0..n-1]. */
static int write_strings(hid_t loc, const char *name, const char *const *s, size_t n)
{
    hsize_t dim = n;
    hid_t space = H5Screate_simple(1, &dim, NULL), type = H5Tcopy(H5T_C_S1), ds = -1;
    char *fixed = NULL;
    const void *buf = s; /* variable length: the pointers themselves */
    int ok = space >= 0 && type >= 0;
    if (ok && all_ascii(s, n)) {
        size_t w = 1;
        for (size_t i = 0; i < n; i++)
            if (strlen(s[i]) > w)
                w = strlen(s[i]);
        fixed = bract_xcalloc(n ? n : 1, w, "HDF5 strings");
        ok = fixed != NULL && H5Tset_size(type, w) >= 0 &&
             H5Tset_strpad(type, H5T_STR_NULLPAD) >= 0 && H5Tset_cset(type, H5T_CSET_ASCII) >= 0;
        for (size_t i = 0; ok && i < n; i++)
            memcpy(fixed + i * w, s[i], strlen(s[i]));
        buf = fixed;
    } else if (ok) {
        ok = H5Tset_size(type, H5T_VARIABLE) >= 0 && H5Tset_cset(type, H5T_CSET_UTF8) >= 0;
    }
    if (ok) {
        ds = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        ok = ds >= 0 && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
    }
    free(fixed);
    close_id(&ds, H5Dclose);
    close_id(&type, H5Tclose);
    close_id(&space, H5Sclose);
    return ok ? BRACT_OK : BRACT_EIO;
}

static int write_index(hid_t loc, const char *name, size_t n)
{
    hsize_t dim = n;
    int64_t *v = bract_xmalloc(n ? n : 1, sizeof *v, "an HDF5 index");
    if (!v)
        return BRACT_ENOMEM;
    for (size_t i = 0; i < n; i++)
        v[i] = (int64_t)i;
    hid_t space = H5Screate_simple(1, &dim, NULL), ds = -1;
    int ok = space >= 0;
    if (ok) {
        ds = H5Dcreate2(loc, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        ok = ds >= 0 && H5Dwrite(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
    }
    free(v);
    close_id(&ds, H5Dclose);
    close_id(&space, H5Sclose);
    return ok ? BRACT_OK : BRACT_EIO;
}

/* A scalar variable-length UTF-8 string attribute (what h5py makes of a
 * Python str). */
static int write_str_attr(hid_t loc, const char *name, const char *value)
{
    hid_t space = H5Screate(H5S_SCALAR), type = H5Tcopy(H5T_C_S1), a = -1;
    int ok = space >= 0 && type >= 0 && H5Tset_size(type, H5T_VARIABLE) >= 0 &&
             H5Tset_cset(type, H5T_CSET_UTF8) >= 0;
    if (ok) {
        a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
        ok = a >= 0 && H5Awrite(a, type, &value) >= 0;
    }
    close_id(&a, H5Aclose);
    close_id(&type, H5Tclose);
    close_id(&space, H5Sclose);
    return ok ? BRACT_OK : BRACT_EIO;
}

/* h5py's Empty("f"): a float32 dataset with a null dataspace, read as None. */
static int write_none(hid_t loc, const char *name)
{
    hid_t space = H5Screate(H5S_NULL), ds = -1;
    int ok = space >= 0;
    if (ok) {
        ds = H5Dcreate2(loc, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        ok = ds >= 0;
    }
    close_id(&ds, H5Dclose);
    close_id(&space, H5Sclose);
    return ok ? BRACT_OK : BRACT_EIO;
}

static int check_same_conditions(const bract_rdmset *s, const char *path)
{
    const bract_rdm *r0 = &s->rdm[0];
    for (size_t k = 1; k < s->nrdm; k++) {
        const bract_rdm *r = &s->rdm[k];
        if (r->n != r0->n)
            return bract_error(BRACT_EDATA,
                               "%s: an HDF5 RDM set (rsatoolbox's layout) has one list of "
                               "conditions, but RDM '%s' has %zu and RDM '%s' %zu; write a "
                               ".tsv instead",
                               path, r0->name, r0->n, r->name, r->n);
        for (size_t i = 0; i < r->n; i++)
            if (strcmp(r->cond[i], r0->cond[i]) != 0)
                return bract_error(BRACT_EDATA,
                                   "%s: an HDF5 RDM set (rsatoolbox's layout) has one list of "
                                   "conditions, but condition %zu is '%s' in RDM '%s' and '%s' "
                                   "in RDM '%s'; write a .tsv instead",
                                   path, i + 1, r0->cond[i], r0->name, r->cond[i], r->name);
    }
    return BRACT_OK;
}

static int write_layout(hid_t f, const bract_rdmset *s)
{
    const size_t nrdm = s->nrdm, n = s->rdm[0].n, np = bract_npairs(n);
    int rc = s->measure ? write_str_attr(f, "dissimilarity_measure", s->measure)
                        : write_none(f, "dissimilarity_measure");
    if (!rc)
        rc = write_str_attr(f, "bract_version", bract_version());
    if (rc)
        return rc;
    hsize_t dims[2] = {nrdm, np};
    hid_t space = H5Screate_simple(2, dims, NULL), ds = -1, g = -1;
    int ok = space >= 0;
    if (ok) {
        ds = H5Dcreate2(f, "dissimilarities", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT);
        ok = ds >= 0;
    }
    /* one row per RDM, written through a hyperslab so no n_rdm x n_pairs copy is
     * made */
    for (size_t k = 0; ok && k < nrdm; k++) {
        hsize_t start[2] = {k, 0}, count[2] = {1, np}, one = np;
        hid_t mem = H5Screate_simple(1, &one, NULL);
        ok = mem >= 0 &&
             H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
             H5Dwrite(ds, H5T_NATIVE_DOUBLE, mem, space, H5P_DEFAULT, s->rdm[k].d) >= 0;
        close_id(&mem, H5Sclose);
    }
    close_id(&ds, H5Dclose);
    close_id(&space, H5Sclose);
    if (!ok)
        return BRACT_EIO;

    if ((g = H5Gcreate2(f, "descriptors", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
        return BRACT_EIO;
    close_id(&g, H5Gclose);

    const char **names = bract_xmalloc(nrdm, sizeof *names, "RDM names");
    if (!names)
        return BRACT_ENOMEM;
    for (size_t k = 0; k < nrdm; k++)
        names[k] = s->rdm[k].name;
    rc = BRACT_EIO;
    if ((g = H5Gcreate2(f, "rdm_descriptors", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) >= 0)
        rc = write_index(g, "index", nrdm);
    if (!rc)
        rc = write_strings(g, "name", names, nrdm);
    close_id(&g, H5Gclose);
    free(names);
    if (rc)
        return rc;
    rc = BRACT_EIO;
    if ((g = H5Gcreate2(f, "pattern_descriptors", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) >= 0)
        rc = write_strings(g, "conds", (const char *const *)s->rdm[0].cond, n);
    if (!rc)
        rc = write_index(g, "index", n);
    close_id(&g, H5Gclose);
    return rc;
}

int bract_rdmset_write_hdf5(const bract_rdmset *s, const char *path, int force)
{
    if (strcmp(path, "-") == 0)
        return bract_error(BRACT_EINVAL, "an HDF5 RDM set cannot go to standard output");
    if (s->nrdm == 0)
        return bract_error(BRACT_EINVAL, "%s: an RDM set with no RDMs", path);
    int rc = check_same_conditions(s, path);
    if (rc)
        return rc;
    bract_output *o;
    if ((rc = bract_output_open(path, force, &o)))
        return rc;
    h5_quiet q;
    quiet_begin(&q);
    /* the temporary file exists (created exclusively); HDF5 truncates it */
    hid_t f = H5Fcreate(bract_output_tmppath(o), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        rc = BRACT_EIO;
    else {
        rc = write_layout(f, s);
        if (H5Fclose(f) < 0 && !rc)
            rc = BRACT_EIO;
    }
    quiet_end(&q);
    if (rc) {
        bract_output_abort(o);
        return rc == BRACT_EIO ? bract_error(BRACT_EIO, "%s: writing the HDF5 file failed", path)
                               : rc;
    }
    return bract_output_commit(o);
}

/* ---- reading ---- */

/* Declared sizes are checked against the file before anything is read or
 * allocated (F3, F4): a dataset stored without filters cannot hold more
 * bytes than the file; with filters (compression) not more than 1032 times
 * the file (deflate's limit).  `fsize` is the file's size in bytes. */
static int check_declared(hid_t ds, const char *path, const char *what, hsize_t nelem,
                          int64_t fsize)
{
    hid_t type = H5Dget_type(ds), dcpl = H5Dget_create_plist(ds);
    size_t esz = type >= 0 ? H5Tget_size(type) : 0;
    int nfilt = dcpl >= 0 ? H5Pget_nfilters(dcpl) : 0;
    close_id(&type, H5Tclose);
    close_id(&dcpl, H5Pclose);
    if (esz == 0)
        return bract_error(BRACT_EFORMAT, "%s: %s has a datatype of no size (damaged file?)",
                           path, what);
    uint64_t bytes, limit = (uint64_t)(fsize > 0 ? fsize : 0);
    if (nfilt > 0)
        limit = limit > UINT64_MAX / 1032 ? UINT64_MAX : limit * 1032;
    int wraps = __builtin_mul_overflow((uint64_t)nelem, (uint64_t)esz, &bytes);
    if (wraps || bytes > limit || nelem > SIZE_MAX / 16) {
        char total[40];
        if (wraps)
            snprintf(total, sizeof total, "more than 2^64");
        else
            snprintf(total, sizeof total, "%llu", (unsigned long long)bytes);
        return bract_error(BRACT_EFORMAT,
                           "%s: %s declares %llu values of %zu bytes (%s bytes) but the file has "
                           "%lld bytes%s: a damaged or crafted file",
                           path, what, (unsigned long long)nelem, esz, total, (long long)fsize,
                           nfilt > 0 ? " (compressed: it can hold at most 1032 times that)" : "");
    }
    return BRACT_OK;
}

/* The strings of a 1-D dataset, whatever it holds: strings (fixed or
 * variable length), integers or floating-point numbers (formatted).  NULL
 * on failure, with the error recorded. */
static char **read_labels(hid_t ds, const char *path, const char *what, size_t *n,
                          int64_t fsize)
{
    hid_t space = H5Dget_space(ds), type = H5Dget_type(ds), mem = -1;
    char **out = NULL;
    int nd = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    hsize_t dim = 0;
    if (nd != 1 || H5Sget_simple_extent_dims(space, &dim, NULL) != 1 || type < 0) {
        bract_error(BRACT_EFORMAT, "%s: %s is not a 1-D dataset", path, what);
        goto done;
    }
    if (check_declared(ds, path, what, dim, fsize))
        goto done;
    *n = (size_t)dim;
    out = bract_xcalloc(dim ? dim : 1, sizeof *out, "HDF5 labels");
    if (!out)
        goto done;
    H5T_class_t cls = H5Tget_class(type);
    int ok = 0;
    if (cls == H5T_STRING && H5Tis_variable_str(type) > 0) {
        char **v = bract_xcalloc(dim ? dim : 1, sizeof *v, "HDF5 strings");
        mem = H5Tcopy(H5T_C_S1);
        if (v && mem >= 0 && H5Tset_size(mem, H5T_VARIABLE) >= 0 &&
            H5Tset_cset(mem, H5Tget_cset(type)) >= 0 &&
            H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
            ok = 1;
            for (size_t i = 0; i < dim && ok; i++)
                ok = (out[i] = bract_xstrdup(v[i] ? v[i] : "")) != NULL;
            H5Dvlen_reclaim(mem, space, H5P_DEFAULT, v);
        }
        free(v);
    } else if (cls == H5T_STRING) {
        size_t w = H5Tget_size(type);
        char *buf = bract_xcalloc(dim ? dim : 1, w ? w : 1, "HDF5 strings");
        mem = H5Tcopy(H5T_C_S1);
        if (buf && w && mem >= 0 && H5Tset_size(mem, w) >= 0 &&
            H5Tset_strpad(mem, H5T_STR_NULLPAD) >= 0 && H5Tset_cset(mem, H5Tget_cset(type)) >= 0 &&
            H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) {
            ok = 1;
            for (size_t i = 0; i < dim && ok; i++) {
                const char *p = buf + i * w;
                size_t len = strnlen(p, w);
                if ((out[i] = bract_xmalloc(len + 1, 1, "a label"))) {
                    memcpy(out[i], p, len);
                    out[i][len] = '\0';
                } else
                    ok = 0;
            }
        }
        free(buf);
    } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
        double *v = bract_xmalloc(dim ? dim : 1, sizeof *v, "HDF5 numbers");
        if (v && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
            ok = 1;
            for (size_t i = 0; i < dim && ok; i++) {
                char b[40];
                if (cls == H5T_INTEGER)
                    snprintf(b, sizeof b, "%.0f", v[i]);
                else
                    bract_tsv_format_double(b, v[i]);
                ok = (out[i] = bract_xstrdup(b)) != NULL;
            }
        }
        free(v);
    } else {
        bract_error(BRACT_EFORMAT, "%s: %s holds neither strings nor numbers", path, what);
        ok = -1;
    }
    if (ok == 0 && !strstr(bract_last_error(), "out of memory"))
        bract_error(BRACT_EFORMAT, "%s: cannot read %s (damaged file?)", path, what);
    if (ok != 1) {
        for (size_t i = 0; i < dim; i++)
            free(out[i]);
        free(out);
        out = NULL;
    }
done:
    close_id(&mem, H5Tclose);
    close_id(&type, H5Tclose);
    close_id(&space, H5Sclose);
    return out;
}

static void free_labels(char **l, size_t n)
{
    if (!l)
        return;
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

/* The labels descriptor of a descriptor group: the dataset `prefer` if
 * present, else the first dataset (in name order) other than `index`
 * holding strings, else `index`.  Returns NULL with *found = 0 when the
 * group has none of them. */
static char **read_descriptor(hid_t file, const char *group, const char *prefer, const char *path,
                              size_t *n, int *found, char *which, size_t whichsz, int64_t fsize)
{
    *found = 0;
    if (H5Lexists(file, group, H5P_DEFAULT) <= 0)
        return NULL;
    hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
    if (g < 0)
        return NULL;
    char pick[256] = "";
    if (H5Lexists(g, prefer, H5P_DEFAULT) > 0)
        snprintf(pick, sizeof pick, "%s", prefer);
    else {
        H5G_info_t gi;
        if (H5Gget_info(g, &gi) >= 0)
            for (hsize_t i = 0; i < gi.nlinks && !pick[0]; i++) {
                char nm[256];
                if (H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nm, sizeof nm,
                                       H5P_DEFAULT) < 0 ||
                    strcmp(nm, "index") == 0)
                    continue;
                hid_t ds = H5Dopen2(g, nm, H5P_DEFAULT);
                if (ds < 0)
                    continue;
                hid_t t = H5Dget_type(ds);
                if (t >= 0 && H5Tget_class(t) == H5T_STRING)
                    snprintf(pick, sizeof pick, "%s", nm);
                close_id(&t, H5Tclose);
                close_id(&ds, H5Dclose);
            }
        if (!pick[0] && H5Lexists(g, "index", H5P_DEFAULT) > 0)
            snprintf(pick, sizeof pick, "index");
    }
    char **labels = NULL;
    if (pick[0]) {
        hid_t ds = H5Dopen2(g, pick, H5P_DEFAULT);
        char what[300];
        snprintf(what, sizeof what, "/%s/%s", group, pick);
        snprintf(which, whichsz, "%s", what);
        if (ds >= 0) {
            *found = 1;
            labels = read_labels(ds, path, what, n, fsize);
            close_id(&ds, H5Dclose);
        } else
            bract_error(BRACT_EFORMAT, "%s: cannot open %s", path, what);
    }
    close_id(&g, H5Gclose);
    return labels;
}

/* The dissimilarity_measure: a string attribute of the root, or NULL. */
static char *read_measure(hid_t f, int64_t fsize)
{
    if (H5Aexists(f, "dissimilarity_measure") <= 0)
        return NULL;
    hid_t a = H5Aopen(f, "dissimilarity_measure", H5P_DEFAULT), t = -1, mem = -1, sp = -1;
    char *out = NULL;
    if (a < 0)
        return NULL;
    t = H5Aget_type(a);
    sp = H5Aget_space(a);
    if (t >= 0 && sp >= 0 && H5Tget_class(t) == H5T_STRING &&
        H5Sget_simple_extent_type(sp) == H5S_SCALAR) {
        mem = H5Tcopy(H5T_C_S1);
        if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            if (H5Tset_size(mem, H5T_VARIABLE) >= 0 && H5Tset_cset(mem, H5Tget_cset(t)) >= 0 &&
                H5Aread(a, mem, &v) >= 0 && v) {
                out = bract_xstrdup(v);
                H5Dvlen_reclaim(mem, sp, H5P_DEFAULT, &v);
            }
        } else {
            size_t w = H5Tget_size(t);
            /* a string attribute longer than the file is a damaged header */
            char *v = w && (int64_t)w <= fsize ? bract_xcalloc(w + 1, 1, "a string") : NULL;
            if (v && H5Tset_size(mem, w) >= 0 && H5Tset_strpad(mem, H5T_STR_NULLPAD) >= 0 &&
                H5Aread(a, mem, v) >= 0)
                out = v;
            else
                free(v);
        }
    }
    close_id(&mem, H5Tclose);
    close_id(&sp, H5Sclose);
    close_id(&t, H5Tclose);
    close_id(&a, H5Aclose);
    return out;
}

static int read_layout(hid_t f, const char *path, int64_t fsize, bract_rdmset **out)
{
    if (H5Lexists(f, "dissimilarities", H5P_DEFAULT) <= 0)
        return bract_error(BRACT_EFORMAT,
                           "%s: an HDF5 file without a 'dissimilarities' dataset: not an RDM set "
                           "(rsatoolbox RDMs.save layout)",
                           path);
    hid_t ds = H5Dopen2(f, "dissimilarities", H5P_DEFAULT), sp = -1, t = -1;
    int rc = BRACT_OK;
    hsize_t dims[2] = {0, 0};
    int nd = -1;
    if (ds >= 0 && (sp = H5Dget_space(ds)) >= 0 && (t = H5Dget_type(ds)) >= 0)
        nd = H5Sget_simple_extent_ndims(sp);
    if (nd == 1 || nd == 2)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    if (nd == 1) {
        dims[1] = dims[0];
        dims[0] = 1;
    }
    if ((nd != 1 && nd != 2) || H5Tget_class(t) != H5T_FLOAT) {
        rc = bract_error(BRACT_EFORMAT,
                         "%s: /dissimilarities must be floating-point numbers, one row of "
                         "condensed dissimilarities per RDM (n_rdm x n_pairs)",
                         path);
        goto done0;
    }
    hsize_t nall;
    if (__builtin_mul_overflow(dims[0], dims[1], &nall))
        nall = ~(hsize_t)0;
    if ((rc = check_declared(ds, path, "/dissimilarities", nall, fsize)))
        goto done0;
    /* n from n(n-1)/2 = np, by the root and then exactly */
    size_t nrdm = (size_t)dims[0], np = (size_t)dims[1];
    size_t n = (size_t)((1.0 + sqrt(1.0 + 8.0 * (double)np)) / 2.0);
    while (n > 2 && bract_npairs(n) > np)
        n--;
    while (bract_npairs(n) < np)
        n++;
    if (n < 2)
        n = 2;
    if (nrdm == 0 || np == 0 || bract_npairs(n) != np) {
        rc = bract_error(BRACT_EFORMAT,
                         "%s: /dissimilarities is %zu x %zu, but each row must hold n(n-1)/2 "
                         "dissimilarities of n >= 2 conditions",
                         path, nrdm, np);
        goto done0;
    }
    double *d = bract_xmalloc(nrdm * np, sizeof *d, "HDF5 dissimilarities");
    if (!d) {
        rc = BRACT_ENOMEM;
        goto done0;
    }
    if (H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, d) < 0) {
        free(d);
        rc = bract_error(BRACT_EIO, "%s: cannot read /dissimilarities", path);
        goto done0;
    }
    size_t nc = 0, nn = 0;
    int found_c = 0, found_n = 0;
    char which_c[300] = "", which_n[300] = "";
    char **cond = read_descriptor(f, "pattern_descriptors", "conds", path, &nc, &found_c, which_c,
                                  sizeof which_c, fsize);
    char **names = NULL;
    bract_rdmset *s = NULL;
    if (found_c && !cond) {
        rc = BRACT_EFORMAT;
        goto done1;
    }
    if (cond && nc != n) {
        rc = bract_error(BRACT_EFORMAT,
                         "%s: %s names %zu conditions, but /dissimilarities has RDMs of %zu", path,
                         which_c, nc, n);
        goto done1;
    }
    names =
        read_descriptor(f, "rdm_descriptors", "name", path, &nn, &found_n, which_n, sizeof which_n,
                        fsize);
    if (found_n && !names) {
        rc = BRACT_EFORMAT;
        goto done1;
    }
    if (names && nn != nrdm) {
        rc = bract_error(BRACT_EFORMAT, "%s: %s names %zu RDMs, but /dissimilarities has %zu", path,
                         which_n, nn, nrdm);
        goto done1;
    }
    if (!cond) { /* no pattern descriptors: conditions 1..n */
        nc = n;
        cond = bract_xcalloc(n, sizeof *cond, "condition labels");
        for (size_t i = 0; cond && i < n; i++) {
            char b[32];
            snprintf(b, sizeof b, "%zu", i + 1);
            if (!(cond[i] = bract_xstrdup(b))) {
                rc = BRACT_ENOMEM;
                goto done1;
            }
        }
        if (!cond) {
            rc = BRACT_ENOMEM;
            goto done1;
        }
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(cond[i], cond[j]) == 0) {
                rc = bract_error(BRACT_EFORMAT, "%s: %s names condition '%s' twice", path,
                                 which_c[0] ? which_c : "/pattern_descriptors", cond[i]);
                goto done1;
            }
    if (bract_rdmset_new(nrdm, &s)) {
        rc = BRACT_ENOMEM;
        goto done1;
    }
    for (size_t k = 0; k < nrdm && !rc; k++) {
        char b[32];
        snprintf(b, sizeof b, "%zu", k + 1);
        rc = bract_rdmset_init_rdm(s, k, names ? names[k] : b, n, (const char *const *)cond);
        if (!rc)
            memcpy(s->rdm[k].d, d + k * np, np * sizeof *d);
    }
    if (!rc) {
        char *m = read_measure(f, fsize);
        if (m)
            rc = bract_rdmset_set_measure(s, m);
        free(m);
    }
    if (!rc) {
        *out = s;
        s = NULL;
    }
done1:
    bract_rdmset_free(s);
    free_labels(cond, nc);
    free_labels(names, nn);
    free(d);
done0:
    close_id(&t, H5Tclose);
    close_id(&sp, H5Sclose);
    close_id(&ds, H5Dclose);
    return rc;
}

int bract_rdmset_read_hdf5(const char *path, bract_rdmset **out)
{
    *out = NULL;
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return bract_error(BRACT_EIO, "%s: cannot open: %s", path, strerror(errno));
    int64_t fsize = -1;
    if (fseek(probe, 0, SEEK_END) == 0)
        fsize = (int64_t)ftell(probe);
    fclose(probe);
    if (fsize < 0)
        return bract_error(BRACT_EIO, "%s: not a regular file (HDF5 files are read by position)",
                           path);
    h5_quiet q;
    quiet_begin(&q);
    int rc;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        rc = bract_error(BRACT_EFORMAT, "%s: not a readable HDF5 file (truncated or damaged?)",
                         path);
    else {
        rc = read_layout(f, path, fsize, out);
        H5Fclose(f);
    }
    quiet_end(&q);
    return rc;
}
