// A harness that opens a TUN link, starts a server in it, prints the namespaces and the
// server's pid, then waits to be killed (tun.test.mjs checks what is left behind).
import { openTunLink } from "./tun.mjs";

const link = await openTunLink();
const server = link.spawn("b", process.execPath, [new URL("./_probe.mjs", import.meta.url).pathname, "server", link.b.address, "7002"]);
await new Promise((r) => server.stdout.once("data", r));
process.stdout.write(`${JSON.stringify({ a: link.a.ns, b: link.b.ns, server: server.pid })}\n`);
setInterval(() => {}, 1000);
