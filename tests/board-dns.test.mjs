// The DNS server the emulated camera of `npm run board -- test` asks (scripts/board-world.mjs
// nameServer), checked with Node's own resolver: the test of the board's name resolution rests on it.
import test from "ava";
import { Resolver } from "node:dns/promises";
import { createSocket } from "node:dgram";
import { nameServer } from "../scripts/board-world.mjs";

test("nameServer: A records for its names (any case), NXDOMAIN for others, no answer for other types; junk dropped", async (t) => {
	const server = await nameServer({ "cloud.board.test": "10.0.2.2" }, { port: 0 });
	t.teardown(() => server.close());
	const resolver = new Resolver({ timeout: 2000, tries: 1 });
	resolver.setServers([`127.0.0.1:${server.port}`]);
	// junk first: too short, a response, two questions — dropped, and the server answers on
	const junk = createSocket("udp4");
	for (const bytes of [[1, 2, 3], [0, 1, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 97, 0, 0, 1, 0, 1], [0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 97, 0, 0, 1, 0, 1]])
		await new Promise((resolve) => junk.send(Buffer.from(bytes), server.port, "127.0.0.1", resolve));
	junk.close();
	t.deepEqual(await resolver.resolve4("cloud.board.test"), ["10.0.2.2"]);
	t.deepEqual(await resolver.resolve4("Cloud.Board.TEST"), ["10.0.2.2"]);
	await t.throwsAsync(resolver.resolve4("other.board.test"), { code: "ENOTFOUND" });
	await t.throwsAsync(resolver.resolve6("cloud.board.test"), { code: "ENODATA" });
	t.deepEqual(server.queries, ["cloud.board.test", "cloud.board.test", "other.board.test", "cloud.board.test"]);
});
