/* A program of the figures library (tests/cli/test_install.sh links it
 * against the installed static libbract-figures.a and libbract.a through
 * pkg-config): an RDM heatmap as PNG. */
#include <bract/plot.h>
#include <bract/rdmset.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    const char *cond[] = {"cat", "dog", "car"};
    bract_rdmset *set = NULL;
    bract_rdmset_new(1, &set);
    bract_plot_figure f = {0};
    bract_plot_opts o;
    bract_plot_opts_defaults(&o);
    int rc = !set || bract_rdmset_init_rdm(set, 0, "demo", 3, cond);
    if (!rc) {
        set->rdm[0].d[0] = 0.2;
        set->rdm[0].d[1] = 1.1;
        set->rdm[0].d[2] = 0.9;
        rc = bract_plot_rdm(set, &o, &f) || bract_plot_figure_write(&f, argv[1], 1);
    }
    if (rc)
        fprintf(stderr, "plot_prog: %s\n", bract_last_error());
    else
        printf("%d x %d pixels, %zu cells\n", f.width, f.height, f.ncells);
    bract_plot_figure_free(&f);
    bract_rdmset_free(set);
    return rc != 0;
}
