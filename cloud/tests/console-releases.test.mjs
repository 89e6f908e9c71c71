// The console's Releases page (Chromium, admins): upload a signed bundle and see its manifest,
// start a staged rollout, watch a progress bar per stage and each device's state, see the rollout
// pause itself when its first stage fails, then cancel it after a confirmation.
import test from "ava";
import { join } from "node:path";
import { cloudFor, session } from "./_cloud.mjs";
import { browserFor, signIn, until } from "./_browser.mjs";
import { connectDevice, eventually, mqttUrlOf } from "./_mqtt.mjs";
import { password } from "./_owner.mjs";
import { appLayer, makeBundle, makeKey, tempDir } from "../../tests/ota/_ota.mjs";

test.serial("an admin uploads a release, rolls it out in stages, sees a failing stage pause it, and cancels it", async (t) => {
	const dir = tempDir();
	const key = makeKey(dir, "key");
	const cloud = await cloudFor(t, { adminPassword: password, otaKeys: [key.pub] });
	const { call: api } = await session(cloud, "admin", password);
	const devices = [];
	for (const id of ["cam1", "cam2", "cam3", "cam4"]) {
		const device = await (await api("/v1/devices", { method: "POST", body: { id } })).json();
		const mqtt = await connectDevice(mqttUrlOf(cloud), device);
		t.teardown(() => mqtt.end(true));
		await mqtt.subscribeAsync(`ivxs/${id}/ota`, { qos: 1 });
		devices.push({ ...device, mqtt });
	}
	const bundle = makeBundle({ key, version: "2.1.0", abi: "0123456789abcdef", modules: appLayer(join(dir, "layer"), { "modules/app/x.js": "export default 1;\n" }), out: join(dir, "b.ivxs") });

	const { page } = await browserFor(t);
	await signIn(page, cloud.url, "admin", password);
	await page.click('#sections a[data-section="releases"]');
	await page.waitForSelector("#upload-release");
	await page.setInputFiles("#release-file", bundle);
	await page.click('#upload-release button[type=submit]');
	await page.waitForSelector('.release[data-version="2.1.0"]');
	t.regex(await page.textContent('.release[data-version="2.1.0"]'), /ivxs-modules, \d+ bytes, host ABI 0123456789abcdef/);

	await page.fill("#rollout-stages", "25, 100");
	await page.fill("#rollout-threshold", "10");
	await page.click('#start-rollout button[type=submit]');
	await page.waitForSelector(".rollout");
	t.is(await page.$$eval(".rollout .rollout-stage", (stages) => stages.length), 2);
	// a stage is a one-line bar (its class once collided with the player's 16:9 black `.stage`)
	t.true(await page.$$eval(".rollout .rollout-stage", (stages) => stages.every((stage) => stage.getBoundingClientRect().height < 60)), "each stage is a thin bar");
	// The first stage's one device fails: the page shows the pause and its reason.
	const offered = await eventually(() => devices.find((d) => d.mqtt.messages.some((m) => m.topic === `ivxs/${d.id}/ota` && m.payload)));
	await offered.mqtt.publishAsync(`ivxs/${offered.id}/status`, JSON.stringify({ time: Date.now(), ota: { version: "", slot: "", state: "rolled-back", reason: "no confirmation", target: "2.1.0" } }), { qos: 1, retain: true });
	await until(page, "the pause", () => document.querySelector(".rollout")?.dataset.state === "paused");
	t.regex(await page.textContent(".rollout-reason"), /1 of 1 devices failed/);
	t.is(await page.$$eval('.rollout .rollout-stage[data-stage="0"] .seg.bad', (segs) => segs.length), 1);
	await page.click(".rollout details summary");
	t.deepEqual(await page.$$eval(".rollout-devices tr", (rows) => rows.map((r) => r.dataset.state).sort()), ["failed", "waiting", "waiting", "waiting"]);
	await page.shot("releases-paused-rollout");

	await page.click(".rollout-cancel");
	await page.click("#confirm-ok");
	await until(page, "the cancel", () => document.querySelector(".rollout")?.dataset.state === "cancelled");
	t.is((await (await api("/v1/rollouts")).json()).rollouts[0].state, "cancelled");
});
