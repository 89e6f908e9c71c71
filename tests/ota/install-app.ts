// An app for tests/ota/*.test.mjs on the XS host: installs one bundle with the real modules/ota
// (platform `ota`, HttpClient with Range) and prints "@@ota {json}": the manifest or the refusal.
//   ivxs --data DIR tests/ota/install-app -- '{"port":N,"path":"/b.ivxs","keys":{…},"deadline":S}'
import { argv, exit, ota } from "ivxs/platform";
import { HttpClient } from "../../modules/net/http-client.js";
import { OtaUpdater } from "../../modules/ota/updater.js";
import { rangeFetch } from "../../modules/ota/fetch.js";

interface Config { port: number; path: string; keys: Record<string, string>; deadline?: number; maxBytes?: number }

export default async function main(): Promise<void> {
	const config = JSON.parse(argv()[0]) as Config;
	const http = new HttpClient({ address: "127.0.0.1", port: config.port, host: "127.0.0.1", connectTimeout: 5000, idleTimeout: 15_000 });
	const updater = new OtaUpdater({ host: ota!, app: "ivxs-camera", keys: config.keys, deadline: config.deadline, maxBytes: config.maxBytes });
	try {
		const manifest = await updater.install(rangeFetch((o) => http.request(o), config.path));
		trace(`@@ota ${JSON.stringify({ ok: true, version: manifest.version, record: ota!.status() })}\n`);
	}
	catch (error) {
		const e = error as Error & { code?: string };
		trace(`@@ota ${JSON.stringify({ ok: false, code: e.code, name: e.name, message: e.message, record: ota!.status() })}\n`);
	}
	http.close();
	exit(0);
}
