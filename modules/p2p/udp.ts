/**
 * The UDP socket modules/p2p uses: ECMA-419's embedded:io/socket/udp as every ivxs host makes it
 * (the Linux host's own; on Moddable builds hosts/moddable/udp_socket.js in place of the SDK's),
 * read into one buffer and written from one, with nothing allocated per datagram.
 */
import UDP from "embedded:io/socket/udp";

export type Datagram = ArrayBuffer & { address: string; port: number };

/** Where datagrams came from: one object per peer, the same for each of its datagrams (kept, never changed). */
export interface Source {
	readonly address: string;
	readonly port: number;
}

/** The largest datagram receive() takes whole: past an Ethernet MTU with room to spare (the
 * transport's packets are ≤ 1,200 bytes, a browser's DTLS and RTP ≤ ~1,300). A longer one is
 * dropped and counted: no peer makes the camera hold more than this per datagram. */
export const RECEIVE_BYTES = 2048;

export interface UdpSocket {
	readonly port: number;
	/** The next datagram as an ArrayBuffer of its own (a new object each: the viewer's way). */
	read(): Datagram | undefined;
	/**
	 * The next datagram into `received`, its source in `from`: its length, or -1 when none waits.
	 * Nothing is allocated per datagram (issue 29: the ArrayBuffer, address string and properties
	 * read() makes were 40 % of the camera's garbage with 4 viewers); the bytes are overwritten by
	 * the next call. One longer than RECEIVE_BYTES is skipped (counted in `oversized`).
	 * With `read`, datagrams are read through it rather than the socket's readInto (native/p2p's
	 * receive: its own packets taken in C, the rest handed back here).
	 */
	receive(read?: ReadInto): number;
	readonly received: ArrayBuffer;
	/** `received` as bytes (one view, kept: its datagram's kind is read without making one). */
	readonly receivedBytes: Uint8Array;
	readonly from: Source;
	/** The datagram receive() returned, as a Datagram of its own (for code that keeps it or parses it whole). */
	datagram(length: number): Datagram;
	/** Sends a datagram (with length: the first length bytes of buffer); one the system refuses (no
	 * route, no buffer, not permitted) is lost, not thrown. */
	write(buffer: ArrayBuffer | Uint8Array, address: string, port: number, length?: number): void;
	close(): void;
	/** Datagrams the system refused to send. */
	readonly sendErrors: number;
	/** Datagrams longer than RECEIVE_BYTES, dropped unread. */
	readonly oversized: number;
	/** The host's socket object, for native code that sends datagrams from C (native/p2p's
	 * handler.socket: native/common/ivxs_host.h's ivxs_udp_send); undefined once closed. */
	readonly native: object | undefined;
}

/** Reads the next datagram this caller should see into `into`, its source into `from` (6 bytes:
 * IPv4 address, port; network order): its length (past into's: cut), or -1 when none waits. */
export type ReadInto = (into: ArrayBuffer, from: Uint8Array) => number;

/** The host's socket: ECMA-419's, with the additions every ivxs host makes (the Linux host's
 * hosts/linux/modules/embedded/io/socket/udp.js; Moddable builds' hosts/moddable/udp_socket.js):
 * readInto, and write's byteLength. */
type HostUdp = {
	readonly port: number;
	read(): Datagram | undefined;
	readInto(buffer: ArrayBuffer, from: Uint8Array): number;
	write(buffer: ArrayBuffer | Uint8Array, address: string, port: number, byteLength?: number): void;
	close(): void;
	readonly native: object | undefined;
};

/** Sources kept by address and port; past this many the table starts again (a sender spraying ports costs time, not memory). */
const MAX_SOURCES = 64;

/**
 * The socket, its sends made loss-tolerant: a `sendto` the system refuses — ENETUNREACH while a
 * phone changes networks or a board's Wi-Fi drops, EACCES, ENOBUFS — is a lost datagram, which the
 * transport's retransmission and keep-alive already handle. Thrown, it ended the process (a viewer
 * whose address changed crashed with "Network is unreachable").
 */
export function openUdp(options: { address?: string; port?: number; onReadable(): void; onError?(): void }): UdpSocket {
	const socket = new (UDP as unknown as new (o: object) => HostUdp)(options);
	const received = new ArrayBuffer(RECEIVE_BYTES), receivedBytes = new Uint8Array(received);
	const fromBytes = new Uint8Array(6);
	// by IPv4 address × 65536 + port: a number key, looked up without making a string
	const sources = new Map<number, Source>();
	let from: Source = { address: "0.0.0.0", port: 0 };
	let sendErrors = 0, oversized = 0;

	function sourceOf(bytes: Uint8Array): Source {
		const port = (bytes[4] << 8) | bytes[5];
		const key = (((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0) * 65536 + port;
		let source = sources.get(key);
		if (!source) {
			if (sources.size >= MAX_SOURCES) sources.clear();
			sources.set(key, source = { address: `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`, port });
		}
		return source;
	}

	return {
		get port() { return socket.port; },
		read: () => socket.read(),
		receive(read) {
			for (;;) {
				const length = read ? read(received, fromBytes) : socket.readInto(received, fromBytes);
				if (length <= RECEIVE_BYTES) {
					if (length >= 0) from = sourceOf(fromBytes);
					return length;
				}
				oversized++;
			}
		},
		received,
		receivedBytes,
		get from() { return from; },
		datagram(length) {
			const packet = received.slice(0, length) as Datagram;
			packet.address = from.address;
			packet.port = from.port;
			return packet;
		},
		write(buffer, address, port, length) {
			try {
				socket.write(buffer, address, port, length);
			}
			catch {
				sendErrors++;
			}
		},
		close: () => socket.close(),
		get sendErrors() { return sendErrors; },
		get oversized() { return oversized; },
		get native() { return socket.native; },
	};
}
