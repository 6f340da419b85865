/* bract rdm: the two kinds of RDM (neural patterns, model vectors), and the
 * options they share with bract searchlight, declared once. */
#ifndef BRACT_CMD_RDM_H
#define BRACT_CMD_RDM_H

#include "cli/cli.h"
#include "cli/opts.h"

/* argv[0] is "neural" or "model". */
int main_rdm_neural(int argc, char **argv);
int main_rdm_model(int argc, char **argv);

/* ---- which conditions, in which order (rdm neural, rdm model, searchlight) ---- */

typedef struct {
    cli_strlist exclude; /* --exclude LABEL... */
    int sorted;          /* --sort-conditions */
} cli_cond_args;

#define CLI_COND_OPTIONS(T, F)                                                                     \
    CLI_LIST(0, "exclude", T, F.exclude, "LABEL...",                                               \
             "leave out the volumes of these conditions (e.g.\nrest)"),                            \
        CLI_FLAG(0, "sort-conditions", T, F.sorted,                                                \
                 "order conditions by label (as rsatoolbox), not by\nfirst appearance")

/* -o of rdm neural and rdm model: an RDM set. */
#define CLI_RDMSET_OUTPUT(T, F)                                                                    \
    CLI_STRING('o', "output", T, F, "FILE",                                                        \
               "RDM set, long-form TSV, or HDF5 that rsatoolbox's\n"                               \
               "load_rdm reads when FILE ends in .h5 or .hdf5\n"                                   \
               "(a JSON sidecar next to it)",                                                      \
               .flags = CLI_REQUIRED)

/* The design options they ask for (pointing into a). */
bract_rdm_design_opts cli_cond_design_opts(const cli_cond_args *a);
/* The order in words, for sidecars. */
const char *cli_cond_order(const cli_cond_args *a);

/* ---- the RDM method (rdm neural, searchlight) ---- */

typedef struct {
    bract_rdm_opts o;   /* method, plain, noise, noise_dof */
    int rsatoolbox_dof; /* --rsatoolbox-dof: o.dof_rule = BRACT_DOF_RSATOOLBOX */
    int dof_sidecar;    /* o.noise_dof came from the residuals' sidecars (bract glm) */
} cli_rdm_args;

/* Defaults: correlation, shrinkage_diag. */
void cli_rdm_args_init(cli_rdm_args *a);

/* The rows (a file using them defines the enum parsers: CLI_RDM_PARSERS). */
#define CLI_RDM_OPTIONS(T, F)                                                                      \
    CLI_ENUM(0, "method", T, F.o.method, bract_rdm_method, "NAME",                                 \
             "euclidean, correlation, cosine, mahalanobis or\ncrossnobis [correlation]"),          \
        CLI_FLAG(0, "plain", T, F.o.plain,                                                         \
                 "euclidean: |b_i - b_j| (scipy, CoSMoMVPA), not\n"                                \
                 "|b_i - b_j|^2 / voxels (rsatoolbox)"),                                           \
        CLI_ENUM(0, "noise-method", T, F.o.noise, bract_rdm_noise_method, "NAME",                      \
                 "shrinkage_diag, shrinkage_eye, diag, full or\nidentity [shrinkage_diag]"),       \
        CLI_DOUBLE(0, "noise-dof", T, F.o.noise_dof, 1e-300, 1e15, "N",                            \
                   "degrees of freedom of --noise residuals [rows - 1]"),                          \
        CLI_FLAG(0, "rsatoolbox-dof", T, F.rsatoolbox_dof,                                         \
                 "residual dof from the patterns as rsatoolbox's\n"                                \
                 "*_from_measurements: (conditions - 1) x runs")
#define CLI_RDM_PARSERS                                                                            \
    CLI_ENUM_PARSER(bract_rdm_method, bract_rdm_method_parse)                                      \
    CLI_ENUM_PARSER(bract_rdm_noise_method, bract_rdm_noise_method_parse)

/* Usage errors among the RDM options given nnoise --noise inputs (printed;
 * -1), else 0; sets a->o.dof_rule. */
int cli_rdm_check_options(const cli_ctx *c, cli_rdm_args *a, size_t nnoise);
/* The method's convention in words, for sidecars. */
const char *cli_rdm_convention(const bract_rdm_opts *ro);
/* The noise parameters of a sidecar (mahalanobis, crossnobis); `where` is
 * appended to the noise source ("" or ", within each sphere"). */
void cli_rdm_sidecar_noise(bract_sidecar *sc, const cli_rdm_args *a, size_t nnoise,
                           const char *where);
/* Residual volumes from bract glm record their degrees of freedom in their
 * sidecars: without --noise-dof, their sum becomes a->o.noise_dof (and
 * a->dof_sidecar = 1).  CLI_OK, or the error printed and CLI_DATA_ERROR. */
int cli_rdm_noise_dof_from_sidecars(const cli_ctx *c, cli_rdm_args *a,
                                    const char *const *noise, size_t n);

/* ---- model and control RDMs (rsa, searchlight) ---- */

/* Every RDM of the model files is a model, named by its own name, or
 * "<file stem>:<name>" when that is not unique among the models; every RDM
 * of the control files a control. */
typedef struct {
    size_t nsets, ncsets;
    bract_rdmset **sets, **csets;
    size_t K, nc;          /* models, controls */
    const bract_rdm **rdm; /* K */
    const char **file;     /* K: the file of each */
    char **name;           /* K */
    const bract_rdm **ctl; /* nc */
    const char **cfile;    /* nc */
} cli_models;

/* Read the files (logging each with --verbose); a BRACT status with a
 * message (two models with one name, say).  m is freed with
 * cli_models_free also after an error. */
int cli_models_read(cli_models *m, const cli_ctx *c, const cli_strlist *models,
                    const cli_strlist *controls);
void cli_models_free(cli_models *m);

/* What a partial setting regresses out, in words for sidecars. */
const char *cli_partial_words(bract_partial p);

#endif
