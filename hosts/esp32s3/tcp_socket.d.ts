// embedded:io/socket/tcp on ESP32 boards (tcp_socket.js): ECMA-419's TCP client socket.
export interface TCPOptions {
	address: string;
	port: number;
	nodelay?: boolean;
	format?: "buffer" | "number";
	target?: unknown;
	onReadable?(this: TCP, count: number): void;
	onWritable?(this: TCP, count: number): void;
	/** Once, after every byte received before the failure was read; the socket is closed. */
	onError?(this: TCP, error: Error & { code?: string }): void;
}
export default class TCP {
	constructor(options: TCPOptions);
	format: "buffer" | "number";
	target?: unknown;
	/** Every waiting byte, count of them (more than wait: RangeError), or into a buffer (how many
	 * were read); undefined when none wait. A byte in "number" format. */
	read(): ArrayBuffer | number | undefined;
	read(count: number): ArrayBuffer | undefined;
	read(buffer: ArrayBuffer | ArrayBufferView): number;
	/** The room left to write; past the room it throws (wait for onWritable). */
	write(buffer: ArrayBuffer | ArrayBufferView | number): number;
	close(): void;
}
