import UDP from "embedded:io/socket/udp";
import Timer from "timer";
export default function () {
	let received = 0;
	const a = new UDP({
		address: "127.0.0.1",
		onReadable() {
			let packet;
			while ((packet = this.read())) {
				received++;
				const bytes = new Uint8Array(packet);
				trace(`got ${bytes.length} [${bytes.slice(0, 4).join(",")}] from ${packet.address}\n`);
				if (received === 3) { a.close(); b.close(); a.close(); Timer.clear(guard); trace("closed\n"); return; }
			}
		},
	});
	const b = new UDP({ address: "127.0.0.1" });
	b.write(new Uint8Array([1, 2, 3]).buffer, "127.0.0.1", a.port);
	b.write(new Uint8Array([4, 5]), "127.0.0.1", a.port);
	b.write(new Uint8Array(1400).fill(7).buffer, "127.0.0.1", a.port);
	try { b.write(new ArrayBuffer(1), "not-an-ip", 1); } catch (e) { trace(`${e.name}: ${e.message}\n`); }
	try { new UDP({ port: 70000 }); } catch (e) { trace(`${e.name}: ${e.message}\n`); }
	const guard = Timer.set(() => { if (received < 3) { trace("timeout\n"); a.close(); b.close(); } }, 5000);
}
