// Connects to a Node server (port in argv), sends a line, prints the reply.
import TCP from "embedded:io/socket/tcp";
import { argv } from "ivxs/host";
export default function () {
	const port = Number(argv()[0]);
	const socket = new TCP({
		address: "127.0.0.1", port,
		onWritable() {
			if (this.sent) return;
			this.sent = true;
			this.write(new Uint8Array([104, 105, 10]));   // "hi\n"
		},
		onReadable(n) {
			trace("reply: " + String.fromCharCode(...new Uint8Array(this.read(n))));
		},
		onError(e) { trace(`error: ${e.message} [${e.code}]\n`); },
	});
	const refused = new TCP({ address: "127.0.0.1", port: 1, onError(e) { trace(`refused: ${e.message} [${e.code}]\n`); } });
}
