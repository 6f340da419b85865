/* Kinds of `bract simulate`: BRACT_SIM(kind, function, summary).  Each kind
 * lives in src/cli/cmd/simulate_<kind>.c as int fn(int argc, char **argv)
 * with argv[0] = "<kind>"; add one line here per kind. */
BRACT_SIM("rsa", main_simulate_rsa, "word-RSA dataset: embedding, atlas, pattern volumes with planted regions or a sphere")
BRACT_SIM("timescales", main_simulate_timescales, "regions and voxels with OU timescales on a planted gradient")
BRACT_SIM("dfc", main_simulate_dfc, "region series switching among known connectivity states, a static null, a 4-D volume")
