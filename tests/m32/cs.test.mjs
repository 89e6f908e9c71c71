// cs.test.mjs again, on the 32-bit host (tests/m32/_host32.mjs): the push API and cloud
// storage's XS heap figure with a board's pointer width.
import "./_host32.mjs";
import "../cs.test.mjs";
