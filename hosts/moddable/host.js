// ivxs/moddable — host services of Moddable builds (C in modhost.c).
export function memory() @ "xs_ivxs_memory";
