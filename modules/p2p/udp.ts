/**
 * The UDP socket modules/p2p uses: ECMA-419's embedded:io/socket/udp (both hosts), with the
 * datagram's source as the host gives it (`address`, `port` on the ArrayBuffer read()).
 */
import UDP from "embedded:io/socket/udp";

export type Datagram = ArrayBuffer & { address: string; port: number };

export interface UdpSocket {
	readonly port: number;
	read(): Datagram | undefined;
	write(buffer: ArrayBuffer | ArrayBufferView, address: string, port: number): void;
	close(): void;
}

export function openUdp(options: { address?: string; port?: number; onReadable(): void; onError?(): void }): UdpSocket {
	return new (UDP as unknown as new (o: object) => UdpSocket)(options);
}
