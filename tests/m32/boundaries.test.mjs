// host/boundaries.test.mjs again, on the 32-bit host (tests/m32/_host32.mjs).
import "./_host32.mjs";
import "../host/boundaries.test.mjs";
