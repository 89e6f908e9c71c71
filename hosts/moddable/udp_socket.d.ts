// embedded:io/socket/udp on Moddable builds (udp_socket.js): ECMA-419's UDP socket with ivxs's additions.
export interface UDPOptions {
	address?: string;
	port?: number;
	format?: "buffer";
	onReadable?(this: UDP, count: number): void;
	onError?(this: UDP, error: Error): void;
}
export default class UDP {
	constructor(options?: UDPOptions);
	get format(): "buffer";
	set format(value: "buffer");
	readonly port: number;
	/** The next datagram, with its source, or undefined. */
	read(): (ArrayBuffer & { address: string; port: number }) | undefined;
	/** The next datagram into buffer, its source into from (6 bytes: IPv4 address and port, network
	 * order): its length (past buffer's: cut), or -1 when none waits. */
	readInto(buffer: ArrayBuffer, from: Uint8Array): number;
	/** Sends buffer (with byteLength: its first byteLength bytes). */
	write(buffer: ArrayBuffer | ArrayBufferView, address: string, port: number, byteLength?: number): void;
	close(): void;
	/** The host object behind the socket (undefined once closed), for C that sends datagrams
	 * itself: native/common/ivxs_host.h's ivxs_udp_send (native/p2p's handler.socket). */
	readonly native: object | undefined;
}
