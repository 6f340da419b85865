/* The table of subcommands: BRACT_CMD(name, function, section, summary).
 * cli.c expands it into cli_commands[] (the dispatcher in main.c and the
 * listing of bract --help read it); a new subcommand adds one line here
 * and one src/cli/cmd/<name>.c with its option table (opts.h, specs.h) and
 * man page man/man1/bract-<name>.1.  Keep the lines of a section together:
 * the listing prints a heading per section. */
BRACT_CMD("info", main_info, "Files", "describe NIfTI volumes, tables and RDM sets")
BRACT_CMD("events", main_events, "Representational similarity", "BIDS events files to a per-volume conditions table")
BRACT_CMD("glm", main_glm, "Representational similarity", "first-level GLM (nilearn): betas per condition or trial, residuals, contrasts")
BRACT_CMD("rdm", main_rdm, "Representational similarity", "RDMs of response patterns (neural) and word vectors (model)")
BRACT_CMD("lsa", main_lsa, "Representational similarity", "word vectors by latent semantic analysis of a text corpus")
BRACT_CMD("rsa", main_rsa, "Representational similarity", "neural vs model RDMs: permutation, bootstrap, group tests")
BRACT_CMD("searchlight", main_searchlight, "Representational similarity", "a sphere's RDM against the models at every voxel")
BRACT_CMD("group", main_group, "Representational similarity", "group maps: one-sample, paired, two-sample t; FWE by permutation")
BRACT_CMD("extract", main_extract, "Time series", "region time series from a 4-D series and a label atlas")
BRACT_CMD("clean", main_clean, "Time series", "detrend, filter, regress confounds, standardise (nilearn)")
BRACT_CMD("dfc", main_dfc, "Dynamic connectivity", "sliding-window connectivity, states, flexibility, null tests")
BRACT_CMD("timescale", main_timescale, "Timescales", "intrinsic timescales from autocorrelation, and their hierarchy")
BRACT_CMD("simulate", main_simulate, "Simulation", "write synthetic datasets with known truth")
BRACT_CMD("pipeline", main_pipeline, "Studies", "run a whole study from a pipeline file")
BRACT_CMD("bids", main_bids, "Studies", "a BIDS App: a study on a BIDS dataset and fMRIPrep's outputs")
BRACT_CMD("plot", main_plot, "Figures", "RDMs, MDS, RSA bars, maps, dFC states, hierarchies, GLM designs")
BRACT_CMD("report", main_report, "Figures", "one self-contained HTML report of an output root")
