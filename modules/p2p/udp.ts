/**
 * The UDP socket modules/p2p uses: ECMA-419's embedded:io/socket/udp (both hosts), with the
 * datagram's source as the host gives it (`address`, `port` on the ArrayBuffer read()).
 */
import UDP from "embedded:io/socket/udp";

export type Datagram = ArrayBuffer & { address: string; port: number };

export interface UdpSocket {
	readonly port: number;
	read(): Datagram | undefined;
	/** Sends a datagram; one the system refuses (no route, no buffer, not permitted) is lost, not thrown. */
	write(buffer: ArrayBuffer | ArrayBufferView, address: string, port: number): void;
	close(): void;
	/** Datagrams the system refused to send. */
	readonly sendErrors: number;
}

/**
 * The socket, its sends made loss-tolerant: a `sendto` the system refuses — ENETUNREACH while a
 * phone changes networks or a board's Wi-Fi drops, EACCES, ENOBUFS — is a lost datagram, which the
 * transport's retransmission and keep-alive already handle. Thrown, it ended the process (a viewer
 * whose address changed crashed with "Network is unreachable").
 */
export function openUdp(options: { address?: string; port?: number; onReadable(): void; onError?(): void }): UdpSocket {
	const socket = new (UDP as unknown as new (o: object) => Omit<UdpSocket, "sendErrors">)(options);
	let sendErrors = 0;
	return {
		get port() { return socket.port; },
		read: () => socket.read(),
		write(buffer, address, port) {
			try {
				socket.write(buffer, address, port);
			}
			catch {
				sendErrors++;
			}
		},
		close: () => socket.close(),
		get sendErrors() { return sendErrors; },
	};
}
