// Descriptor-level socket primitives (module "ivxs/socket-native"), used by the
// ECMA-419 classes in embedded/io/socket/*.js. Not for application code.
export function udp(address, port) @ "xs_socket_udp";
export function connect(address, port, nodelay) @ "xs_socket_connect";
export function listen(address, port, backlog) @ "xs_socket_listen";
export function accept(fd) @ "xs_socket_accept";
export function available(fd) @ "xs_socket_available";
export function recvfrom(fd) @ "xs_socket_recvfrom";
export function sendto(fd, buffer, address, port) @ "xs_socket_sendto";
export function read(fd, count) @ "xs_socket_read";
export function write(fd, buffer, offset) @ "xs_socket_write";
export function error(fd) @ "xs_socket_error";
export function localPort(fd) @ "xs_socket_local_port";
export function watch(fd, mask, callback) @ "xs_socket_watch";
export function close(fd) @ "xs_socket_close";
