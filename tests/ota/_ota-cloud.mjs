// An OTA test's world: a cloud that trusts a fresh signing key, an admin session, and camera
// "cam1" with a device file that trusts the same key (trials of 30 s).
import { readFileSync } from "node:fs";
import { cloudFor, session } from "../../cloud/tests/_cloud.mjs";
import { deviceFile } from "../_camera.mjs";
import { makeKey, tempDir } from "./_ota.mjs";

const adminPassword = "admin-secret-1";

export async function otaWorld(t) {
	const dir = tempDir();
	const key = makeKey(dir, "key");
	const cloud = await cloudFor(t, { adminPassword, otaKeys: [key.pub] });
	const { call: api, cookie } = await session(cloud, "admin", adminPassword);
	const device = await (await api("/v1/devices", { method: "POST", body: { id: "cam1" } })).json();
	const file = deviceFile(t, device, cloud.url, { ota: { keys: { [key.keyId]: key.point }, deadline: 30 } });
	/** POSTs a bundle file as a release; the status. */
	const upload = async (path) => (await fetch(`${cloud.url}/v1/releases`, { method: "POST", headers: { cookie, "content-type": "application/octet-stream" }, body: readFileSync(path) })).status;
	const rolloutOf = async (id) => (await api(`/v1/rollouts/${id}`)).json();
	return { dir, key, cloud, api, file, upload, rolloutOf };
}
