/* bract report: one self-contained HTML page of everything an output root
 * holds. */
#include "cli/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bract/figures.h"

static const char usage_text[] =
    "Usage: bract report DIR -o REPORT.html [options]\n"
    "\n"
    "Summarise the bract outputs under DIR (a pipeline's output root, or any\n"
    "directory where bract commands wrote) in one self-contained HTML page:\n"
    "what was run and what came out significant, RSA tables and figures, RDMs,\n"
    "group maps and clusters, dFC states, the timescale hierarchy, and every\n"
    "command's parameters, inputs and exclusions.  Outputs are found by their\n"
    "JSON sidecars.  Figures are embedded; the page needs no network.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE       the HTML page (a JSON sidecar is written next to it)\n"
    "      --title TEXT        page title [bract report: DIR's name]\n"
    "      --background FILE   NIfTI under the maps, on their grid (a T1 or a mask)\n"
    "                          [the mask a group run records]\n"
    "      --alpha A           significance level of the summary, the highlighted\n"
    "                          rows and the thresholded maps [0.05]\n"
    "      --dpi N             figure resolution in pixels per inch [144]\n"
    "      --max-rdms N        neural RDM heatmaps per RSA run [12]\n"
    "      --max-rows N        table rows shown before the rest is folded [40]\n"
    "\n" CLI_COMMON_HELP;

enum { OPT_TITLE = OPT_FIRST_CMD, OPT_BACKGROUND, OPT_ALPHA, OPT_DPI, OPT_MAX_RDMS, OPT_MAX_ROWS };

int main_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"title", required_argument, NULL, OPT_TITLE},
        {"background", required_argument, NULL, OPT_BACKGROUND},
        {"alpha", required_argument, NULL, OPT_ALPHA},
        {"dpi", required_argument, NULL, OPT_DPI},
        {"max-rdms", required_argument, NULL, OPT_MAX_RDMS},
        {"max-rows", required_argument, NULL, OPT_MAX_ROWS},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0}};
    cli_ctx c;
    cli_ctx_init(&c, "report", usage_text);
    bract_report_opts o;
    bract_report_opts_init(&o);
    const char *output = NULL;
    long lv;
    int opt;
    while ((opt = getopt_long(argc, argv, ":o:h@:", longopts, NULL)) != -1) {
        int cm = cli_common_option(&c, opt, optarg);
        if (cm == 2)
            return CLI_OK;
        if (cm < 0)
            return CLI_USAGE;
        if (cm)
            continue;
        switch (opt) {
        case 'o': output = optarg; break;
        case OPT_TITLE: o.title = optarg; break;
        case OPT_BACKGROUND: o.background = optarg; break;
        case OPT_ALPHA:
            if (cli_parse_double(&c, "--alpha", optarg, 1e-12, 0.999999, &o.alpha))
                return CLI_USAGE;
            break;
        case OPT_DPI:
            if (cli_parse_double(&c, "--dpi", optarg, 10, 1200, &o.dpi))
                return CLI_USAGE;
            break;
        case OPT_MAX_RDMS:
            if (cli_parse_long(&c, "--max-rdms", optarg, 0, 10000, &lv))
                return CLI_USAGE;
            o.max_rdms = (size_t)lv;
            break;
        case OPT_MAX_ROWS:
            if (cli_parse_long(&c, "--max-rows", optarg, 1, 1000000, &lv))
                return CLI_USAGE;
            o.max_rows = (size_t)lv;
            break;
        case ':': return cli_usage_error(&c, "option %s needs a value", argv[optind - 1]);
        default: return cli_usage_error(&c, "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        if (argc == 1) {
            fputs(usage_text, stdout);
            return CLI_USAGE;
        }
        return cli_usage_error(&c, "no DIR given (the output root to report on)");
    }
    if (argc - optind > 1)
        return cli_usage_error(&c, "one DIR only (got %d)", argc - optind);
    const char *dir = argv[optind];
    if (!output)
        return cli_usage_error(&c, "no output given (-o REPORT.html)");
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
    if (rc || (rc = bract_write_file_atomic(output, html, len, c.force))) {
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
