/** Viewers at once: the seed's SDK serves 32 (Linux); a board keeps 4 (its memory). */
export const MAX_SESSIONS = Object.freeze({ linux: 32, board: 4 });
