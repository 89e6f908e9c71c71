// The cloud's side of bench/xs/segment-request-bench.js, in its own process (the bench waits on
// the XS run synchronously): a loopback HTTP server that reads each streamed segment PUT to its
// end, checks it carried its trailers and the bytes the run sends, and answers as the cloud's
// ingest answers a stored segment (cloud/src/http/router.ts sendJson: a 201 with the segment's
// row as JSON, content-length, no-store). Prints its port, then serves until killed.
//   node bench/cs/segment-answerer.mjs <body bytes per request>
import http from "node:http";

const expected = Number(process.argv[2]);
let seq = 0;
const server = http.createServer((req, res) => {
	let bytes = 0;
	req.on("data", (data) => { bytes += data.length; });
	req.on("end", () => {
		const ok = req.method === "PUT" && bytes === expected && /^IVXS-HMAC-SHA256 /.test(req.headers.authorization ?? "")
			&& typeof req.trailers["x-ivxs-trailer-signature"] === "string";
		const at = 1_700_000_000_000 + 2000 * seq;
		const text = JSON.stringify(ok ? { seq: seq++, start_ms: at, end_ms: at + 2000, bytes } : { error: `a PUT of ${expected} bytes with its signature's trailers expected; got ${req.method} of ${bytes} bytes, trailers ${JSON.stringify(req.trailers)}` });
		res.writeHead(ok ? 201 : 400, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
		res.end(text);
	});
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
