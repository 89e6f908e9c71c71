// ivxs/moddable — host services of Moddable builds (C in modhost.c).
export function collectGarbage() @ "xs_ivxs_gc";
export function memory() @ "xs_ivxs_memory";
