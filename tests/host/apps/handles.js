// Handles are owned objects: close() is idempotent and final, truncate()
// rolls a writer back, and no public API takes a descriptor number or another
// kind of host object.
import { FileWriter, readFile } from "ivxs/file";
import UDP from "embedded:io/socket/udp";
import TCP from "embedded:io/socket/tcp";
import Listener from "embedded:io/socket/listener";
import Timer from "timer";
import { argv } from "ivxs/host";
import { attempt } from "./attempt.js";

const bytes = (path) => `[${new Uint8Array(readFile(path))}]`;

export default function () {
	const [dir] = argv();
	const file = `${dir}/a.bin`;
	const writer = new FileWriter(file);
	writer.write(new Uint8Array([1, 2, 3]), new Uint8Array([4, 5]));
	writer.truncate(3);
	writer.write([new Uint8Array([9])]);
	trace(`written ${writer.written}: ${bytes(file)}\n`);
	writer.close();
	writer.close();
	attempt("write after close", () => writer.write(new Uint8Array(1)));
	attempt("truncate after close", () => writer.truncate(0));
	const appender = new FileWriter(file, { truncate: false });
	appender.write(new Uint8Array([7, 7]));
	attempt("truncate beyond written", () => appender.truncate(3));
	attempt("truncate to a fraction", () => appender.truncate(0.5));
	appender.truncate(1);
	trace(`appended: ${bytes(file)}\n`);
	appender.close();

	attempt("TCP from stdout's number", () => new TCP({ from: 1 }));
	const timer = Timer.set(() => {}, 60_000);
	attempt("TCP from a timer", () => new TCP({ from: timer }));
	Timer.clear(timer);
	const udp = new UDP({});
	attempt("TCP from a UDP socket's object", () => new TCP({ from: udp }));
	attempt("Timer.clear of a plain object", () => Timer.clear({}));
	attempt("Timer.schedule of a number", () => Timer.schedule(3, 10));
	udp.close();
	udp.close();
	attempt("UDP read after close", () => udp.read());
	attempt("UDP on port 2 ** 32 + 80", () => new UDP({ port: 2 ** 32 + 80 }));
	attempt("Listener with a backlog of 2 ** 32 + 1", () => new Listener({ port: 0, backlog: 2 ** 32 + 1 }));

	// An accepted connection is taken once; closing cancels its callbacks.
	const listener = new Listener({ port: 0, address: "127.0.0.1", onReadable() {
		const accepted = this.read();
		const server = new TCP({ from: accepted, onReadable() { trace("server readable after close!\n"); } });
		attempt("the same connection taken twice", () => new TCP({ from: accepted }));
		server.close();
		Timer.set(() => { client.close(); listener.close(); trace("done\n"); }, 50);
	} });
	const client = new TCP({ address: "127.0.0.1", port: listener.port, onWritable() { this.write(new Uint8Array([1]).buffer); } });
	trace("stdout still open\n");
}
