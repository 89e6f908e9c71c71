// embedded:io/socket/tcp/tls on ESP32 boards: the board's TCP socket (tcp_socket.js) with a TLS 1.2
// session on ESP-IDF's Mbed TLS in the connection (tls_lwip.c), in place of the SDK's JS TLS
// socket, whose options it takes: host (the name the server's certificate must carry; also
// secure.serverName), secure.certificate (the trusted certificates, DER: one buffer or an array),
// and the TCP socket's (address, port, nodelay, onReadable, onWritable, onError, target, format).
// The server is always verified; onWritable first comes once the handshake is done; a failed
// verification is an onError whose error's code is the kit's EVERIFY (ivxs/codes). What is read and
// written is the session's plaintext. The SDK's `TCP` option (the socket to carry it) is ignored:
// the session is carried by this board's TCP socket.
import TCP from "embedded:io/socket/tcp";

export default class TLSSocket extends TCP {
	constructor(options = {}) {
		const secure = options.secure ?? {};
		const host = secure.serverName ?? options.host;
		if (typeof host !== "string" || !host) throw new TypeError("tls: host must be the name the server's certificate carries");
		const trusted = secure.certificate;
		const certificates = Array.isArray(trusted) ? trusted : trusted === undefined ? [] : [trusted];
		if (!certificates.length) throw new TypeError("tls: secure.certificate must give the trusted certificates (DER): the server is always verified");
		super(options, { host, certificates });
	}
}
Object.freeze(TLSSocket.prototype);
