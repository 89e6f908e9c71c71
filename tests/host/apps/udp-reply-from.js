// A UDP socket bound to every address answers a peer from the address the peer wrote to (ICE's
// rule for a check's response): the peer on 127.0.0.1 writes to 127.0.0.2 and hears 127.0.0.2,
// then to 127.0.0.1 and hears 127.0.0.1. A socket bound to one address answers from it, as before.
import UDP from "embedded:io/socket/udp";
import Timer from "timer";
export default function () {
	const any = new UDP({
		onReadable() {
			let packet;
			while ((packet = this.read())) any.write(new Uint8Array(packet), packet.address, packet.port);
		},
	});
	const heard = [];
	const peer = new UDP({
		address: "127.0.0.1",
		onReadable() {
			let packet;
			while ((packet = this.read())) {
				heard.push(`${new Uint8Array(packet)[0]} from ${packet.address}`);
				if (heard.length === 1) peer.write(Uint8Array.of(2), "127.0.0.1", any.port);
				else return finish();
			}
		},
	});
	peer.write(Uint8Array.of(1), "127.0.0.2", any.port);
	const guard = Timer.set(() => { heard.push("timeout"); finish(); }, 5000);
	function finish() {
		trace(`heard ${heard.join(", ")}\n`);
		Timer.clear(guard);
		any.close();
		peer.close();
	}
}
