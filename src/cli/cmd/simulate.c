/* bract simulate: synthetic datasets with known truth, one kind per file
 * (simulate_<kind>.c), listed in simulate_kinds.h. */
#include "cli/cli.h"

#include <string.h>

#define BRACT_SIM(kind, fn, summary) int fn(int argc, char **argv);
#include "cli/cmd/simulate_kinds.h"
#undef BRACT_SIM

typedef struct {
    const char *kind;
    int (*fn)(int, char **);
    const char *summary;
} sim_kind;

static const sim_kind kinds[] = {
#define BRACT_SIM(kind, fn, summary) {kind, fn, summary},
#include "cli/cmd/simulate_kinds.h"
#undef BRACT_SIM
    {NULL, NULL, NULL}};

static void usage(FILE *fp)
{
    fprintf(fp, "Usage: bract simulate KIND -o DIR [options]\n\n"
                "Write a synthetic dataset with known truth.  Kinds:\n");
    for (const sim_kind *k = kinds; k->kind; k++)
        fprintf(fp, "  %-12s %s\n", k->kind, k->summary);
    fprintf(fp, "\n'bract simulate KIND --help' lists the options of a kind.\n");
}

int main_simulate(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return CLI_OK;
    }
    for (const sim_kind *k = kinds; k->kind; k++)
        if (!strcmp(argv[1], k->kind))
            return k->fn(argc - 1, argv + 1);
    if (argv[1][0] == '-')
        fprintf(stderr, "bract simulate: unknown option %s (give the KIND first)\n", argv[1]);
    else
        fprintf(stderr, "bract simulate: unknown kind '%s'\n", argv[1]);
    fprintf(stderr, "Usage: bract simulate KIND -o DIR [options]\n");
    return CLI_USAGE;
}
