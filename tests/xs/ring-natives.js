// XS-only test hook: the ring binding's native functions, unwrapped, so tests
// can hand them objects of the wrong kind (ring.js never would). Registered
// for the Linux host's test runs only (hosts/linux/modules.txt).
function push(ring, type, codec, key, timestamp, data, info) @ "xs_ring_push";
function stats(ring) @ "xs_ring_stats";
function close(ring) @ "xs_ring_close";
function createReader(ring, options, owner) @ "xs_ring_reader_create";
function read(reader) @ "xs_ring_reader_read";
function valid(reader, frame) @ "xs_ring_reader_valid";
function closeReader(reader) @ "xs_ring_reader_close";

export default Object.freeze({ push, stats, close, createReader, read, valid, closeReader });
