// GET /healthz (liveness + the metadata store answering; whether the control
// channel is connected is reported, not fatal: playback works without it) and
// GET /metrics.
import type { CloudContext } from "../context.js";
import { sendJson } from "../http/router.js";

export function install(ctx: CloudContext): void {
	const started = Date.now();
	ctx.metrics.gauge("ivxs_process_resident_bytes", "Resident memory of this instance", () => process.memoryUsage().rss);
	ctx.router.add("GET", "/healthz", { auth: "none" }, (_req, res) => {
		ctx.db.prepare("SELECT 1").get();
		sendJson(res, 200, { ok: true, instance: ctx.instanceId, uptimeS: Math.round((Date.now() - started) / 1000), storage: ctx.store.kind, mqtt: ctx.config.mqtt === "embedded" ? "embedded" : "external", mqttConnected: ctx.bus?.connected() ?? false });
	});
	ctx.router.add("GET", "/metrics", { auth: "none" }, (_req, res) => {
		const text = ctx.metrics.render();
		res.writeHead(200, { "content-type": "text/plain; version=0.0.4", "content-length": Buffer.byteLength(text) });
		res.end(text);
	});
}
