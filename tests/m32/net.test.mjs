// net.test.mjs again, on the 32-bit host (tests/m32/_host32.mjs): modules/net's memory figures
// with a board's pointer width.
import "./_host32.mjs";
import "../net.test.mjs";
