// A listener that echoes, and a client that sends 200 KiB and checks the echo.
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import Timer from "timer";
export default function () {
	const total = 200 * 1024;
	const payload = new Uint8Array(total);
	for (let i = 0; i < total; i++) payload[i] = (i * 7) & 0xff;
	let server;
	const listener = new Listener({
		address: "127.0.0.1",
		onReadable(count) {
			for (let i = 0; i < count; i++) {
				// Echo with back-pressure: read only what can be written.
				let readable = 0, room = 0;
				const pump = (socket) => {
					while (readable > 0 && room > 0) {
						const data = socket.read(Math.min(readable, room));
						if (!data) break;
						readable -= data.byteLength;
						room = socket.write(data);
					}
				};
				server = new TCP({
					from: this.read(),
					onReadable(n) { readable = n; pump(this); },
					onWritable(r) { room = r; pump(this); },
					onError() { server.close(); },
				});
			}
		},
	});
	let sent = 0, got = 0, ok = true;
	const client = new TCP({
		address: "127.0.0.1",
		port: listener.port,
		nodelay: true,
		onWritable(room) {
			while (sent < total && room > 0) {
				const n = Math.min(room, 8192, total - sent);
				room = this.write(payload.subarray(sent, sent + n));
				sent += n;
			}
		},
		onReadable(n) {
			const data = new Uint8Array(this.read(n));
			for (let i = 0; i < data.length; i++) if (data[i] !== payload[got + i]) ok = false;
			got += data.length;
			if (got === total) {
				trace(`echoed ${got} bytes ${ok ? "intact" : "CORRUPT"}\n`);
				client.close(); client.close();
				server.close(); listener.close();
				timeout && Timer.clear(timeout);
			}
		},
		onError(e) { trace(`client error ${e.message}\n`); },
	});
	try { client.write(new Uint8Array(100 * 1024)); } catch (e) { trace(`${e.name}: ${e.message}\n`); }
	const timeout = Timer.set(() => { trace(`timeout sent ${sent} got ${got}\n`); client.close(); listener.close(); server?.close(); }, 10000);
}
