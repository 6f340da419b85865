/* bract: dispatch to the subcommands listed in commands.h. */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef BRACT_HAVE_MPI
#include <mpi.h>
#endif

static void usage(FILE *fp)
{
    fprintf(fp,
            "bract %s: representational similarity, dynamic connectivity and intrinsic\n"
            "timescales for fMRI data in NIfTI.\n\n"
            "Usage: bract <command> [options]\n\n"
            "Commands:\n",
            bract_version());
    const char *section = "";
    for (const cli_command *c = cli_commands; c->name; c++) {
        if (strcmp(section, c->section) != 0) {
            section = c->section;
            fprintf(fp, "  -- %s\n", section);
        }
        fprintf(fp, "     %-12s %s\n", c->name, c->summary);
    }
    fprintf(fp, "\n"
                "  help COMMAND      the manual page of a command\n"
                "  --version         version, licence and libraries\n\n"
                "'bract COMMAND --help' lists a command's options; 'man bract' has the rest.\n");
}

static void version(void)
{
    printf("bract %s\n"
           "Copyright (C) 2026 the bract authors.\n"
           "License GPL-3.0-or-later <https://gnu.org/licenses/gpl.html>.\n"
           "This is free software: you are free to change and redistribute it.\n"
           "There is NO WARRANTY, to the extent permitted by law.\n\n"
           "Built with:\n%s",
           bract_version(), bract_build_info());
}

/* The man page of `cmd` next to the binary (in-tree or installed), else "". */
static int find_manpage(const char *cmd, char *out, size_t n)
{
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return 0;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    const char *rel[] = {"man/man1", "../man/man1", "../share/man/man1"};
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
        snprintf(out, n, "%s/%s/bract%s%s.1", exe, rel[i], *cmd ? "-" : "", cmd);
        struct stat st;
        if (stat(out, &st) == 0)
            return 1;
    }
    return 0;
}

static int help(const char *name)
{
    const cli_command *c = *name ? cli_find_command(name) : NULL;
    if (*name && !c) {
        fprintf(stderr, "bract help: unknown command '%s'\n", name);
        usage(stderr);
        return CLI_USAGE;
    }
    char page[4200];
    if (find_manpage(name, page, sizeof page)) {
        fflush(stdout);
        execlp("man", "man", "-l", page, (char *)NULL);
        /* no man(1): fall through to the usage text */
    }
    if (!c) {
        usage(stdout);
        return CLI_OK;
    }
    char *argv[] = {(char *)c->name, "--help", NULL};
    return c->fn(2, argv);
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0 ||
        strcmp(name, "version") == 0) {
        version();
        return CLI_OK;
    }
    if (strcmp(name, "help") == 0)
        return help(argc > 2 ? argv[2] : "");
    const cli_command *c = cli_find_command(name);
    if (!c) {
        fprintf(stderr, "bract: unknown command '%s'\n", name);
        fprintf(stderr, "Usage: bract <command> [options]\n"
                        "Try 'bract --help' for the list of commands.\n");
        return CLI_USAGE;
    }
    return c->fn(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
#ifdef BRACT_HAVE_MPI
    int provided;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "bract: MPI_Init_thread failed\n");
        return CLI_DATA_ERROR;
    }
#endif
    bract_init();
    /* the sidecars record the command line as typed (the option parser
     * never reorders argv) */
    cli_set_cmdline(argc, argv);
    int rc = dispatch(argc, argv);
    /* A full disk on "> out.tsv" shows up only when stdout is closed. */
    if (fclose(stdout) != 0 && errno != EBADF) {
        fprintf(stderr, "bract: closing standard output failed: %s\n", strerror(errno));
        rc = CLI_DATA_ERROR;
    }
#ifdef BRACT_HAVE_MPI
    MPI_Finalize();
#endif
    return rc;
}
