// ivxs/board-figures — what the S3 pays, counted on it (C in counters.c): its cores' instructions,
// its internal RAM and PSRAM free, its tasks' run times, on the console. start() once; in a release
// build only (it answers false in an instrumented or debug one).
export function start() @ "xs_board_figures_start";
