/* Reading GLM runs: voxel series within a mask, the repetition time and its
 * BIDS sidecar, the residual dof recorded in residual sidecars (bract/glm.h). */
#include "glm/glm_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include "bract/mask.h"
#include "bract/sidecar.h"

int bract_glm_load_data(const char *path, const bract_mask *mask, const bract_volume *geom,
                        float **y, size_t *nvol, bract_volume **hdr)
{
    *y = NULL;
    *nvol = 0;
    if (hdr)
        *hdr = NULL;
    bract_volume *h;
    bract_volume_stream *s;
    int rc = bract_volume_stream_open(path, &h, &s);
    if (rc)
        return rc;
    if (h->ndim != 4 || h->nt < 2) {
        rc = bract_error(BRACT_EDATA, "%s: a run is a 4-D series of at least 2 volumes (this "
                         "file has %lld)", path, (long long)h->nt);
        goto fail;
    }
    if (geom && (rc = bract_volume_same_grid(geom, h, 1e-3)))
        goto fail;
    if (mask->nx != h->nx || mask->ny != h->ny || mask->nz != h->nz) {
        rc = bract_error(BRACT_EDATA, "%s: %lldx%lldx%lld voxels, the mask %lldx%lldx%lld", path,
                         (long long)h->nx, (long long)h->ny, (long long)h->nz,
                         (long long)mask->nx, (long long)mask->ny, (long long)mask->nz);
        goto fail;
    }
    const size_t nt = (size_t)h->nt, nv = mask->n, chunk = 16;
    float *data = bract_glmi_big_alloc(nv * nt, sizeof *data, "voxel series");
    float *buf = bract_xmalloc(chunk * h->nvox, sizeof *buf, "volumes");
    if (!data || !buf) {
        free(data);
        free(buf);
        rc = BRACT_ENOMEM;
        goto fail;
    }
    for (size_t t0 = 0; t0 < nt && !rc; t0 += chunk) {
        size_t k = nt - t0 < chunk ? nt - t0 : chunk;
        if ((rc = bract_volume_stream_read(s, k, BRACT_F32, buf)))
            break;
        for (size_t v = 0; v < nv; v++) {
            size_t idx = mask->index[v];
            float *dst = data + v * nt + t0;
            for (size_t t = 0; t < k; t++)
                dst[t] = buf[t * h->nvox + idx];
        }
    }
    free(buf);
    if (rc) {
        free(data);
        goto fail;
    }
    bract_volume_stream_close(s);
    *y = data;
    *nvol = nt;
    if (hdr)
        *hdr = h;
    else
        bract_volume_free(h);
    return BRACT_OK;
fail:
    bract_volume_stream_close(s);
    bract_volume_free(h);
    return rc;
}

/* The BIDS sidecar of a data file: .nii/.nii.gz replaced by .json. */
static char *bids_json(const char *path)
{
    size_t n = strlen(path), cut = n;
    if (bract_ends_with(path, ".nii.gz"))
        cut = n - 7;
    else if (bract_ends_with(path, ".nii"))
        cut = n - 4;
    else
        return NULL;
    char *j = bract_xmalloc(cut + 6, 1, "a file name");
    if (j) {
        memcpy(j, path, cut);
        memcpy(j + cut, ".json", 6);
    }
    return j;
}

/* A number under `key` in the JSON object of file `path`: 1 found, 0 absent
 * (or no file), negative on error. */
static int json_number(const char *path, const char *key, double *val)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    char *text;
    size_t len;
    int rc = bract_read_file(path, &text, &len);
    if (rc)
        return rc;
    json_object *root = json_tokener_parse(text);
    free(text);
    if (!root || !json_object_is_type(root, json_type_object)) {
        if (root)
            json_object_put(root);
        return bract_error(BRACT_EFORMAT, "%s: not a JSON object", path);
    }
    json_object *v;
    int found = 0;
    if (json_object_object_get_ex(root, key, &v)) {
        if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)) {
            json_object_put(root);
            return bract_error(BRACT_EFORMAT, "%s: \"%s\" is not a number", path, key);
        }
        *val = json_object_get_double(v);
        found = 1;
    }
    json_object_put(root);
    return found;
}

int bract_glm_run_tr(const char *bold_path, double header_tr, double given, double *tr)
{
    *tr = 0;
    char *jp = bids_json(bold_path);
    double side = 0;
    int found = 0;
    if (jp) {
        found = json_number(jp, "RepetitionTime", &side);
        if (found < 0) {
            free(jp);
            return found;
        }
        if (found && !(side > 0 && isfinite(side))) {
            int rc = bract_error(BRACT_EDATA, "%s: RepetitionTime %g is not a time > 0 s", jp,
                                 side);
            free(jp);
            return rc;
        }
    }
    const double tol = 1e-4;
    int rc = BRACT_OK;
    if (found && header_tr > 0 && fabs(side - header_tr) > tol)
        rc = bract_error(BRACT_EDATA, "%s: the header's TR (%g s) and the sidecar %s "
                         "(RepetitionTime %g s) disagree", bold_path, header_tr, jp, side);
    else if (given > 0 && found && fabs(side - given) > tol)
        rc = bract_error(BRACT_EDATA, "%s: --tr %g s but the sidecar %s says RepetitionTime %g s",
                         bold_path, given, jp, side);
    else if (given > 0 && !found && header_tr > 0 && fabs(header_tr - given) > tol)
        rc = bract_error(BRACT_EDATA, "%s: --tr %g s but the header says %g s", bold_path, given,
                         header_tr);
    else if (given > 0)
        *tr = given;
    else if (found)
        *tr = side;
    else if (header_tr > 0)
        *tr = header_tr;
    else
        rc = bract_error(BRACT_EDATA, "%s: no repetition time in the header or a JSON sidecar: "
                         "give it (--tr)", bold_path);
    free(jp);
    return rc;
}

int bract_glm_residual_dof(const char *const *paths, size_t n, double *dof)
{
    *dof = 0;
    size_t have = 0;
    double sum = 0;
    const char *first_missing = NULL, *first_have = NULL;
    for (size_t i = 0; i < n; i++) {
        char *sp = bract_sidecar_path(paths[i]);
        if (!sp)
            return BRACT_ENOMEM;
        double v = 0;
        int found = json_number(sp, "ResidualDegreesOfFreedom", &v);
        free(sp);
        if (found < 0)
            return found;
        if (found) {
            if (!(v > 0) || !isfinite(v))
                return bract_error(BRACT_EFORMAT, "%s: ResidualDegreesOfFreedom %g is not > 0",
                                   paths[i], v);
            sum += v;
            have++;
            if (!first_have)
                first_have = paths[i];
        } else if (!first_missing) {
            first_missing = paths[i];
        }
    }
    if (have && have < n)
        return bract_error(BRACT_EDATA, "%s has a sidecar with ResidualDegreesOfFreedom but %s "
                           "does not: give all GLM residuals or --noise-dof", first_have,
                           first_missing);
    *dof = sum;
    return BRACT_OK;
}
