// A cloud-storage segment's signed HTTP request on XS, as the camera's uploader makes one
// (modules/cs/stream-client.ts over modules/net's signer and HTTP client), run by bench/cs/run.mjs
// under callgrind against a server it starts on loopback:
//   build/bin/ivxs-m32 -m bench/xs -m build/ts -m build/mods segment-request-bench -- <port> <requests> <fragments> <bytes>
// Each request: the segment's PUT with its Authorization (a fresh nonce and signature), `fragments`
// fragments written one after the other, each a moof-sized view and an mdat of `bytes` (hashed on
// the way), the trailers signed, the answer read — on one kept-alive connection, one request after
// the other. Prints one JSON line: { requests, allocated } — the XS bytes the app's machine
// allocated from the second request's start to the last answer (memory().allocated: what the
// collector will have to take back).
import { argv, exit, memory } from "ivxs/host";
import { Digest, hmacSha256 } from "ivxs/platform";
import { HttpClient } from "modules/net/http-client";
import { DeviceSigner } from "modules/net/signing";
import { StreamClient } from "modules/cs/stream-client";

export default function main() {
	const [port, count, fragments, bytes] = argv().map(Number);
	const fragment = [new Uint8Array(200).fill(1), new Uint8Array(bytes).fill(7)];
	const http = new HttpClient({ address: "127.0.0.1", port, host: "cloud.example", connectTimeout: 5000 });
	const signer = new DeviceSigner("cam-bench-0001", "0123456789abcdef0123456789abcdef", { Digest, hmacSha256 });
	const client = new StreamClient(http, signer, 0);
	run(client, count, fragment, fragments).then((allocated) => {
		trace(`${JSON.stringify({ requests: count, allocated })}\n`);
		http.close();
		exit(0);
	}, (error) => {
		trace(`segment-request-bench: ${error?.message ?? error}\n`);
		exit(1);
	});
}

async function run(client, count, fragment, fragments) {
	await request(client, 0, fragment, fragments);   // the connection opened and the first answer read outside the count
	const before = memory().allocated;
	for (let seq = 1; seq <= count; seq++) await request(client, seq, fragment, fragments);
	return memory().allocated - before;
}

async function request(client, seq, fragment, fragments) {
	const upload = client.segment("s0000000000000001", seq);
	for (let i = 0; i < fragments; i++) await upload.write(fragment);
	const response = await client.answer(upload);
	if (response.status !== 201) throw new Error(`segment ${seq}: status ${response.status}`);
}
