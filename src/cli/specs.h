/* Every option table of the CLI, one CLI_SPEC(symbol) per command or
 * action (opts.h expands the list into declarations and cli_all_specs[];
 * the man-page and pipeline checks walk it).  A new command adds its line. */
CLI_SPEC(cli_spec_extract)
CLI_SPEC(cli_spec_info)
CLI_SPEC(cli_spec_report)
CLI_SPEC(cli_spec_group)
CLI_SPEC(cli_spec_plot_rdm)
CLI_SPEC(cli_spec_plot_mds)
CLI_SPEC(cli_spec_plot_bars)
CLI_SPEC(cli_spec_plot_map)
CLI_SPEC(cli_spec_plot_states)
CLI_SPEC(cli_spec_plot_scatter)
CLI_SPEC(cli_spec_pipeline_run)
CLI_SPEC(cli_spec_pipeline_plan)
