// ivxs/instructions — the S3's cores count their own instructions (C in icount.c): start()
// once; the totals and the tasks' run times go to the console. In a release build only: start()
// answers false in an instrumented or debug one.
export function start() @ "xs_instructions_start";
