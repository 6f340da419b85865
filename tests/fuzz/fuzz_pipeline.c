/* Fuzz pipeline files (bract-pipeline(5)) through the planner of the CLI
 * (cli_plan_load in src/cli/pipeline/plan.c, linked from libbract-cli.a):
 * load, then the status and record of every step.  Nothing is run or
 * cleaned.  The scratch tree holds the files the ready pipelines' [dataset]
 * patterns name, so a mutated pipeline gets as far as planning steps. */
#include "fuzz.h"

#include <sys/stat.h>

#include "cli/pipeline/plan.h"

static char data_root[700], out_root[700];

static void touch(const char *rel)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", data_root, rel);
    FILE *f = fopen(p, "w");
    if (!f)
        abort();
    fclose(f);
}

static void fz_setup(void)
{
    snprintf(data_root, sizeof data_root, "%s/data", fz_dir);
    snprintf(out_root, sizeof out_root, "%s/out", fz_dir);
    static const char *dirs[] = {"", "/rsa", "/dfc", "/timescales"};
    for (size_t i = 0; i < 4; i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s%s", data_root, dirs[i]);
        if (mkdir(p, 0700))
            abort();
    }
    static const char *files[] = {
        "rsa/sub-01_patterns.nii.gz", "rsa/sub-02_patterns.nii.gz", "rsa/conditions.tsv",
        "rsa/atlas.nii.gz", "rsa/labels.tsv", "rsa/embedding.tsv", "rsa/corpus.txt",
        "rsa/mask.nii.gz", "rsa/model_rdm.tsv", "dfc/sub-01_bold.nii.gz", "dfc/sub-02_bold.nii.gz",
        "dfc/atlas.nii.gz", "dfc/labels.tsv", "timescales/sub-01_bold.nii.gz",
        "timescales/sub-02_bold.nii.gz", "timescales/atlas.nii.gz", "timescales/labels.tsv",
        "timescales/truth.tsv"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        touch(files[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_reset();
    const char *p = fz_write("p.ini", data, size);
    pl_pipeline *pl = NULL;
    if (cli_plan_load(p, data_root, out_root, &pl) != 0)
        return 0;
    unsigned char *will = calloc(pl->nsteps ? pl->nsteps : 1, 1);
    if (!will)
        abort();
    for (size_t i = 0; i < pl->nsteps; i++) {
        char why[256];
        int st = cli_plan_status(pl, i, will, why, sizeof why);
        will[i] = st != PL_UPTODATE;
        free(cli_plan_step_record(&pl->steps[i]));
    }
    free(will);
    cli_plan_free(pl);
    return 0;
}
