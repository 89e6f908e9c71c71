// Writers and sockets nobody holds any more are closed by garbage collection.
import { FileWriter } from "ivxs/file";
import UDP from "embedded:io/socket/udp";
import Timer from "timer";
import { argv, collectGarbage } from "ivxs/host";

export default function () {
	const [dir] = argv();
	const kept = [new FileWriter(`${dir}/kept.bin`), new UDP({})];
	for (let i = 0; i < 20; i++) {
		new FileWriter(`${dir}/dropped-${i}.bin`);
		new UDP({});
	}
	collectGarbage();
	trace("collected\n");
	Timer.set(() => { kept[0].close(); kept[1].close(); }, 500);
}
