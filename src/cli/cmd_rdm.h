/* bract rdm: the two kinds of RDM (neural patterns, model vectors). */
#ifndef BRACT_CMD_RDM_H
#define BRACT_CMD_RDM_H

extern const char rdm_neural_usage[];
extern const char rdm_model_usage[];

/* argv[0] is "neural" or "model". */
int rdm_neural(int argc, char **argv);
int rdm_model(int argc, char **argv);

#endif
