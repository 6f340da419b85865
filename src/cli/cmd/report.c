/* bract report: one self-contained HTML page of everything an output root
 * holds. */
#include "cli/cli.h"
#include "cli/opts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bract/figures.h"

typedef struct {
    const char *out;
    cli_strlist dirs;
    bract_report_opts o;
} args;

static const cli_opt options[] = {
    CLI_GROUP("Options:"),
    CLI_STRING('o', "output", args, out, "FILE",
               "the HTML page (a JSON sidecar is written next to it)", .flags = CLI_REQUIRED),
    CLI_STRING(0, "title", args, o.title, "TEXT", "page title [bract report: DIR's name]"),
    CLI_STRING(0, "background", args, o.background, "FILE",
               "NIfTI under the maps, on their grid (a T1 or a mask)\n"
               "[the mask a group run records]"),
    CLI_DOUBLE(0, "alpha", args, o.alpha, 1e-12, 0.999999, "A",
               "significance level of the summary, the highlighted\n"
               "rows and the thresholded maps [0.05]"),
    CLI_DOUBLE(0, "dpi", args, o.dpi, 10, 1200, "N", "figure resolution in pixels per inch [144]"),
    CLI_SIZE(0, "max-rdms", args, o.max_rdms, 0, 10000, "N", "neural RDM heatmaps per RSA run [12]"),
    CLI_SIZE(0, "max-rows", args, o.max_rows, 1, 1000000, "N",
             "table rows shown before the rest is folded [40]"),
    CLI_ARGS(args, dirs, "DIR", "the output root to report on", .flags = CLI_REQUIRED),
    CLI_END};

const cli_spec cli_spec_report = {
    "report", "Usage: bract report DIR -o REPORT.html [options]",
    "Summarise the bract outputs under DIR (a pipeline's output root, or any\n"
    "directory where bract commands wrote) in one self-contained HTML page:\n"
    "what was run and what came out significant, RSA tables and figures, RDMs,\n"
    "group maps and clusters, dFC states, the timescale hierarchy, and every\n"
    "command's parameters, inputs and exclusions.  Outputs are found by their\n"
    "JSON sidecars.  Figures are embedded; the page needs no network.",
    options, NULL};

int main_report(int argc, char **argv)
{
    cli_ctx c;
    cli_ctx_init(&c, "report", NULL);
    args a = {0};
    bract_report_opts_defaults(&a.o);
    int st = cli_parse(&c, &cli_spec_report, &a, argc, argv);
    const char *dir = a.dirs.n ? a.dirs.v[0] : NULL;
    size_t ndirs = a.dirs.n;
    cli_args_free(&cli_spec_report, &a);
    if (st != CLI_CONTINUE)
        return st;
    if (ndirs > 1)
        return cli_usage_error(&c, "one DIR only (got %zu)", ndirs);
    const char *output = a.out;
    const bract_report_opts o = a.o;
    if (strcmp(output, "-") == 0)
        return cli_usage_error(&c, "the report is a file: give -o REPORT.html");
    cli_apply(&c);
    const char *inputs[1] = {o.background};
    if (bract_output_check(output, c.force) ||
        (o.background && bract_output_not_input(output, inputs, 1)))
        return cli_fail(&c);

    cli_log(&c, "reading the outputs under %s", dir);
    char *html = NULL;
    size_t len = 0;
    bract_report_info info;
    int rc = bract_report_build(dir, &o, &html, &len, &info);
    bract_plot_release_fonts();
    if (rc || (rc = bract_output_write_atomic(output, html, len, c.force))) {
        free(html);
        return cli_fail(&c);
    }
    free(html);
    size_t nwarn = cli_warnings(&c);
    if (!c.quiet)
        printf("%s: %zu section%s, %zu figure%s from %zu run%s (%zu sidecars)%s\n", output,
               info.sections, info.sections == 1 ? "" : "s", info.figures,
               info.figures == 1 ? "" : "s", info.runs, info.runs == 1 ? "" : "s",
               info.sidecars, info.notes ? "; some parts not shown (see the warnings)" : "");
    bract_sidecar *sc = cli_sidecar(&c);
    if (sc) {
        if (o.title)
            bract_sidecar_param_str(sc, "title", o.title);
        bract_sidecar_param_num(sc, "alpha", o.alpha);
        bract_sidecar_param_num(sc, "dpi", o.dpi);
        bract_sidecar_param_int(sc, "max_rdms", (int64_t)o.max_rdms);
        bract_sidecar_param_int(sc, "max_rows", (int64_t)o.max_rows);
        bract_sidecar_input(sc, "root", dir);
        if (o.background)
            bract_sidecar_input(sc, "background", o.background);
        bract_sidecar_count(sc, "sidecars", (int64_t)info.sidecars);
        bract_sidecar_count(sc, "runs", (int64_t)info.runs);
        bract_sidecar_count(sc, "sections", (int64_t)info.sections);
        bract_sidecar_count(sc, "figures", (int64_t)info.figures);
        bract_sidecar_count(sc, "notes", (int64_t)info.notes);
        bract_sidecar_count(sc, "warnings", (int64_t)nwarn);
        bract_sidecar_count(sc, "bytes", (int64_t)len);
    }
    rc = cli_sidecar_finish(&c, sc, output);
    bract_sidecar_free(sc);
    return rc;
}
