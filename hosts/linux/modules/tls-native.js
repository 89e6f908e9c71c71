// TLS client sessions on mbedTLS (module "ivxs/tls-native", hosts/linux/src/mod_tls.c) under
// the ECMA-419 TLS socket (embedded/io/socket/tls.js). Internal to the host, like
// ivxs/socket-native: the loader refuses it to apps.
export function session(ca, hostName) @ "xs_tls_session";
export function handshake(session, socket) @ "xs_tls_handshake";
export function read(session, socket, count) @ "xs_tls_read";
export function write(session, socket, buffer) @ "xs_tls_write";
export function pending(session) @ "xs_tls_pending";
export function close(session, socket) @ "xs_tls_close";
