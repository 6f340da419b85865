/* The table of subcommands: BRACT_CMD(name, function, section, summary).
 * main.c expands it into the dispatcher and the usage listing; a new
 * subcommand adds one line here and one src/cli/cmd_<name>.c. */
BRACT_CMD("info", main_info, "Files", "describe NIfTI volumes, tables and RDM sets")
BRACT_CMD("rdm", main_rdm, "Representational similarity", "RDMs of response patterns (neural) and word vectors (model)")
BRACT_CMD("lsa", main_lsa, "Representational similarity", "word vectors by latent semantic analysis of a text corpus")
BRACT_CMD("simulate", main_simulate, "Simulation", "write synthetic datasets with known truth")
