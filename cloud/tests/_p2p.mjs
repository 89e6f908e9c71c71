// Test helpers for P2P signalling: a camera on the control channel that answers offers, and a
// viewer account made through the API. Import from tests as "./_p2p.mjs".
import { session } from "./_cloud.mjs";
import { connectDevice, mqttUrlOf } from "./_mqtt.mjs";

export const adminPassword = "admin-secret-1";
export const viewerCandidates = [{ type: "host", address: "192.0.2.7", port: 40000 }];
export const cameraCandidates = [{ type: "host", address: "192.0.2.9", port: 7000 }, { type: "srflx", address: "198.51.100.3", port: 61000 }];

/** A camera on the control channel that answers every offer with `answer(offer)`. */
export async function answeringCamera(t, cloud, device, answer = () => ({ candidates: cameraCandidates })) {
	const camera = await connectDevice(mqttUrlOf(cloud), device);
	t.teardown(() => camera.end(true));
	const offers = [];
	camera.on("message", (topic, payload) => {
		const command = JSON.parse(payload.toString());
		if (command.type !== "p2p") return;
		offers.push(command);
		const reply = answer(command);
		if (reply) camera.publish(`ivxs/${device.id}/p2p`, JSON.stringify({ session: command.session, ...reply }), { qos: 1 });
	});
	await camera.subscribeAsync(`ivxs/${device.id}/cmd`, { qos: 1 });
	return { camera, offers };
}

export async function withViewer(cloud, name) {
	const admin = await session(cloud, "admin", adminPassword);
	await admin.call("/v1/users", { method: "POST", body: { name, password: `${name}-password` } });
	return { admin, viewer: await session(cloud, name, `${name}-password`) };
}
