// Socket primitives (module "ivxs/socket-native") under the ECMA-419 classes
// in embedded/io/socket/*.js. Internal to the host: the loader refuses it to
// apps. A socket is a host object, never a descriptor number; close() is
// idempotent and garbage collection closes a socket nobody holds. What the
// sockets hand to onError carries the kit's `code` (ivxs/codes), as thrown
// errors do: error() for the socket's own failure, closedByPeer() for an end of stream.
import { codes } from "ivxs/codes";

export function udp(address, port) @ "xs_socket_udp";
export function connect(address, port, nodelay) @ "xs_socket_connect";
export function listen(address, port, backlog) @ "xs_socket_listen";
export function accept(socket) @ "xs_socket_accept";
export function adopt(socket) @ "xs_socket_adopt";
export function available(socket) @ "xs_socket_available";
export function recvfrom(socket) @ "xs_socket_recvfrom";
export function recvinto(socket, buffer, from) @ "xs_socket_recvinto";
export function sendto(socket, buffer, address, port, length) @ "xs_socket_sendto";
export function read(socket, count) @ "xs_socket_read";
export function write(socket, buffer, offset) @ "xs_socket_write";
export function error(socket) @ "xs_socket_error";
export function localPort(socket) @ "xs_socket_local_port";
export function watch(socket, mask, callback) @ "xs_socket_watch";
export function close(socket) @ "xs_socket_close";

export function closedByPeer() {
	const error = new Error("connection closed by the peer");
	error.code = codes.HOST_ERESET;
	return error;
}
