// A minimal HTTP/1.1 server on the ECMA-419 listener: answers every request
// with its method and path, then closes. Exits after `count` requests (argv).
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import { argv } from "ivxs/host";

export default function () {
	let remaining = Number(argv()[0] ?? 1);
	const listener = new Listener({
		address: "127.0.0.1",
		onReadable(count) {
			for (let i = 0; i < count; i++) {
				let request = "";
				const socket = new TCP({
					from: this.read(),
					onReadable(n) {
						request += String.fromCharCode(...new Uint8Array(this.read(n)));
						if (!request.includes("\r\n\r\n")) return;
						const [method, path] = request.split(" ");
						const body = `${method} ${path} from ivxs\n`;
						const head = `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`;
						this.write(Uint8Array.from(head + body, (c) => c.charCodeAt(0)));
						this.close();
						if (--remaining === 0) listener.close();
					},
					onError() { socket.close(); },
				});
			}
		},
	});
	trace(`listening ${listener.port}\n`);
}
