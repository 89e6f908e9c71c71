// The control part, installed first: connects the control bus (the embedded
// broker on the service's own port, or an external broker) and sets
// `ctx.bus`, follows device presence, keeps plans published.
import type { CloudContext } from "../context.js";
import { startEmbeddedBroker } from "./embedded.js";
import { connectExternalBroker } from "./external.js";
import { installGoAuth } from "./go-auth.js";
import { allOffline as markAllOffline, followPresence, onlineCount } from "./presence.js";
import { plannedDevices, publishPlan, readPlan } from "./plans.js";

/** Publishes every stored plan again, each read just before it is sent. */
async function republishPlans(ctx: CloudContext): Promise<void> {
	for (const device of await plannedDevices(ctx.sql)) {
		const plan = await readPlan(ctx.sql, device);
		if (plan) await publishPlan(ctx, device, plan);
	}
}

export async function install(ctx: CloudContext): Promise<void> {
	let connections: () => number;
	if (ctx.config.mqtt === "embedded") {
		const broker = startEmbeddedBroker(ctx);
		ctx.bus = broker.bus;
		ctx.mqttSocket = broker.take;
		connections = broker.connections;
		// This instance is the broker: nobody is connected before it starts or after it stops.
		const allOffline = () => markAllOffline(ctx.sql, Date.now());
		await allOffline();
		ctx.onStop(async () => {
			await broker.close();
			await allOffline();
		});
		// The embedded broker keeps retained messages in memory: give it back every plan.
		await republishPlans(ctx);
	}
	else {
		const broker = await connectExternalBroker(ctx, () => republishPlans(ctx));
		ctx.bus = broker.bus;
		connections = () => (broker.bus.connected() ? 1 : 0);
		ctx.onStop(() => broker.close());
		installGoAuth(ctx);
	}
	await followPresence(ctx);
	ctx.metrics.gaugeAsync("ivxs_devices_online", "Devices whose last presence says online", () => onlineCount(ctx.sql));
	ctx.metrics.gauge("ivxs_mqtt_connections", "MQTT connections to this instance's broker (embedded) or to the external broker (0/1)", () => connections());
}
