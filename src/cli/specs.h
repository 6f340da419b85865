/* Every option table of the CLI, one CLI_SPEC(symbol) per command or
 * action (opts.h expands the list into declarations and cli_all_specs[];
 * the man-page and pipeline checks walk it).  A new command adds its line. */
CLI_SPEC(cli_spec_extract)
CLI_SPEC(cli_spec_events)
CLI_SPEC(cli_spec_rdm_neural)
CLI_SPEC(cli_spec_rdm_model)
CLI_SPEC(cli_spec_lsa)
CLI_SPEC(cli_spec_rsa)
CLI_SPEC(cli_spec_searchlight)
CLI_SPEC(cli_spec_simulate_timescales)
CLI_SPEC(cli_spec_simulate_dfc)
CLI_SPEC(cli_spec_simulate_rsa)
CLI_SPEC(cli_spec_clean)
CLI_SPEC(cli_spec_timescale)
CLI_SPEC(cli_spec_timescale_hierarchy)
CLI_SPEC(cli_spec_dfc)
CLI_SPEC(cli_spec_glm)
