/* A program of the compute library alone (tests/cli/test_install.sh links
 * it against the installed static libbract.a through pkg-config): the
 * correlation RDM of three conditions' patterns, written as a TSV. */
#include <bract/rdm.h>
#include <bract/rdmset.h>
#include <bract/version.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    const char *cond[] = {"cat", "dog", "car"};
    /* three conditions x four voxels, row-major */
    const double x[] = {1, 2, 3, 4, 2, 1, 4, 3, 4, 3, 2, 1};
    bract_rdm_opts o = {.method = BRACT_RDM_CORRELATION};
    bract_rdm_design *d = NULL;
    bract_rdm_plan *plan = NULL;
    bract_rdm_ws *ws = NULL;
    bract_rdmset *set = NULL;
    bract_rdmset_new(1, &set);
    int rc = !set || bract_rdm_design_from_labels(cond, NULL, 3, NULL, &d) ||
             bract_rdmset_init_rdm(set, 0, "demo", 3, cond) || bract_rdm_plan_new(d, &o, 4, 0, &plan) ||
             bract_rdm_ws_new(plan, &ws) ||
             bract_rdm_compute(plan, ws, x, 4, 4, NULL, set->rdm[0].d, NULL) ||
             bract_rdmset_set_measure(set, bract_rdm_measure_name(&o)) ||
             bract_rdmset_write(set, argv[1], 1);
    if (rc)
        fprintf(stderr, "rdm_prog: %s\n", bract_last_error());
    else
        printf("bract %s: %.6f %.6f %.6f\n", BRACT_VERSION, set->rdm[0].d[0], set->rdm[0].d[1],
               set->rdm[0].d[2]);
    bract_rdm_ws_free(ws);
    bract_rdm_plan_free(plan);
    bract_rdm_design_free(d);
    bract_rdmset_free(set);
    return rc != 0;
}
