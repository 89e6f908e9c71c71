// GET /healthz (liveness + the metadata store answering + storage not full;
// whether the control channel is connected is reported, not fatal: playback
// works without it) and GET /metrics. Installed first, it also turns a write
// that found the disk full into a 507 on every route (storage/space.ts).
import type { CloudContext } from "../context.js";
import { sendJson } from "../http/router.js";
import { isNoSpace, noteNoSpace, noteWritten, storageFull } from "../storage/space.js";

export function install(ctx: CloudContext): void {
	const started = Date.now();
	ctx.metrics.gauge("ivxs_process_resident_bytes", "Resident memory of this instance", () => process.memoryUsage().rss);
	ctx.router.translate((error, route) => (isNoSpace(error) ? noteNoSpace(ctx, error, route) : undefined));
	// A committed segment is the write that proves the condition over.
	ctx.segmentEvents.on("segment", () => noteWritten(ctx));
	ctx.metrics.gauge("ivxs_storage_full", "1 while writes are refused for lack of space (507)", () => (storageFull(ctx) ? 1 : 0));
	// 503 while the storage is full: the instance cannot do its main job (keep what cameras send).
	ctx.router.add("GET", "/healthz", { auth: "none" }, async (_req, res) => {
		// The metadata store answers (through the layer every instance shares).
		await ctx.sql.get("SELECT 1");
		const full = storageFull(ctx);
		sendJson(res, full ? 503 : 200, {
			ok: !full, instance: ctx.instanceId, uptimeS: Math.round((Date.now() - started) / 1000), storage: ctx.store.kind,
			...(full ? { storageFull: { since: new Date(full.since).toISOString(), refused: full.refused } } : {}),
			mqtt: ctx.config.mqtt === "embedded" ? "embedded" : "external", mqttConnected: ctx.bus?.connected() ?? false,
		});
	});
	ctx.router.add("GET", "/metrics", { auth: "none" }, async (_req, res) => {
		await ctx.metrics.readGauges();
		const text = ctx.metrics.render();
		res.writeHead(200, { "content-type": "text/plain; version=0.0.4", "content-length": Buffer.byteLength(text) });
		res.end(text);
	});
}
