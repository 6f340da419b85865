/* bract rdm: the two kinds of RDM (neural patterns, model vectors). */
#ifndef BRACT_CMD_RDM_H
#define BRACT_CMD_RDM_H

extern const char cli_rdm_neural_usage[];
extern const char cli_rdm_model_usage[];

/* argv[0] is "neural" or "model". */
int main_rdm_neural(int argc, char **argv);
int main_rdm_model(int argc, char **argv);

/* The RDM options of bract rdm neural, shared with bract searchlight. */
#include "cli/cli.h"

/* Usage errors among the RDM options (printed; -1), else 0; sets
 * ro->plain. */
int cli_rdm_check_options(const cli_ctx *c, bract_rdm_opts *ro, int plain, size_t nnoise,
                      int noise_method_set);
/* The method's convention in words, for sidecars. */
const char *cli_rdm_convention(const bract_rdm_opts *ro);
/* The noise parameters of a sidecar (mahalanobis, crossnobis); `where` is
 * appended to the noise source ("" or ", within each sphere"). */
void cli_rdm_sidecar_noise(bract_sidecar *sc, const bract_rdm_opts *ro, size_t nnoise,
                       const char *where);
/* Residual volumes from bract glm record their degrees of freedom in their
 * sidecars: without --noise-dof, their sum becomes ro->noise_dof (and
 * *used = 1).  0, or the error printed and CLI_DATA_ERROR. */
int cli_rdm_noise_dof_from_sidecars(const cli_ctx *c, bract_rdm_opts *ro,
                                    const char *const *noise, size_t n, int *used);

#endif
