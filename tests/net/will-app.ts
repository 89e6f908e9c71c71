// An XS app for tests/net.test.mjs: connects to the broker with a last will, says so on stdout,
// then idles until the test kills the process (SIGKILL: the socket dies, no DISCONNECT).
import { argv } from "ivxs/host";
import Timer from "timer";
import { MqttClient } from "../../modules/net/mqtt-client.js";
import { presence, topicOf, willOf } from "../../modules/protocol/topics.js";

export default async function main() {
	const { port, clientId } = JSON.parse(argv()[0]) as { port: number; clientId: string };
	const client = new MqttClient({
		address: "127.0.0.1", port, clientId, reconnect: false,
		will: willOf(clientId),
	});
	await client.connect();
	await client.publish(topicOf(clientId, "presence"), presence(true), { qos: 1, retain: true });
	trace("@@connected\n");
	Timer.repeat(() => {}, 60_000);
}
