// For an external mosquitto with the mosquitto-go-auth plugin (HTTP backend):
// the broker asks the cloud whether a device may connect, publish or
// subscribe, so devices sign in exactly as on the embedded broker (§5).
//   POST /v1/mqtt/auth/user       { username, password, clientid }         (getuser_uri)
//   POST /v1/mqtt/auth/superuser  { username }                             (superuser_uri)
//   POST /v1/mqtt/auth/acl        { username, clientid, topic, acc }       (aclcheck_uri)
// Parameters as JSON or as a form (go-auth's http_params_mode); the answer is
// 200 {"Ok":true} or 403 {"Ok":false,"Error":…}, which suits both its "status"
// and "json" response modes. The service's own client (the credentials in
// config.mqtt) is the superuser. The routes' access rule is "none": the
// credentials they check are in the body (the broker asks on a device's behalf).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CloudContext } from "../context.js";
import { parseJsonObject, readBody, sendJson } from "../http/router.js";
import { findDevice } from "../devices/registry.js";
import { checkMqttPassword, DeviceAuthError } from "./auth.js";
import { devicePublishAllowed, deviceSubscribeAllowed } from "./topics.js";

// go-auth's access codes (mosquitto's MOSQ_ACL_*).
const read = 1, write = 2, subscribe = 4;

async function params(req: IncomingMessage): Promise<Record<string, string>> {
	const form = /application\/x-www-form-urlencoded/.test(req.headers["content-type"] ?? "");
	// Not readJson: the plugin's JSON is taken as sent, typed or not (the broker
	// asks here, never a browser with a cookie).
	const body = await readBody(req, 8192);
	const raw = form ? Object.fromEntries(new URLSearchParams(body.toString("utf8"))) : parseJsonObject(body);
	const out: Record<string, string> = {};
	for (const [key, value] of Object.entries(raw)) if (typeof value === "string" || typeof value === "number") out[key] = String(value);
	return out;
}

export function installGoAuth(ctx: CloudContext): void {
	const service = new URL(ctx.config.mqtt);
	const serviceUser = decodeURIComponent(service.username), servicePassword = decodeURIComponent(service.password);
	const isService = (username?: string, password?: string) =>
		!!serviceUser && username === serviceUser && (password === undefined || (!!servicePassword && password === servicePassword));
	const answer = (res: ServerResponse, ok: boolean, error = "not authorized") =>
		sendJson(res, ok ? 200 : 403, ok ? { Ok: true, Error: "" } : { Ok: false, Error: error });

	ctx.router.add("POST", "/v1/mqtt/auth/user", { auth: "none" }, async (req, res) => {
		const { username, password = "", clientid } = await params(req);
		if (isService(username, password)) return answer(res, true);
		try {
			await checkMqttPassword(ctx, clientid ?? username, username, password);
			answer(res, true);
		}
		catch (error) {
			if (!(error instanceof DeviceAuthError)) throw error;
			ctx.metrics.inc("ivxs_auth_failures_total", "Refused credentials, by kind", { kind: "mqtt" });
			ctx.log.warn({ device: String(username).slice(0, 64), reason: error.message }, "MQTT sign-in refused (go-auth)");
			answer(res, false);
		}
	});

	ctx.router.add("POST", "/v1/mqtt/auth/superuser", { auth: "none" }, async (req, res) => {
		const { username } = await params(req);
		answer(res, isService(username));
	});

	ctx.router.add("POST", "/v1/mqtt/auth/acl", { auth: "none" }, async (req, res) => {
		const { username, clientid, topic = "", acc } = await params(req);
		if (isService(username)) return answer(res, true);
		const device = username ? await findDevice(ctx.sql, username) : undefined;
		const access = Number(acc);
		const ok = !!device && !device.disabled && (clientid === undefined || clientid === username)
			&& (access === write ? devicePublishAllowed(device.id, topic) : (access === read || access === subscribe) && deviceSubscribeAllowed(device.id, topic));
		if (!ok) ctx.log.warn({ device: String(username).slice(0, 64), topic: topic.slice(0, 200), acc }, "MQTT access refused (go-auth)");
		answer(res, ok);
	});
}
