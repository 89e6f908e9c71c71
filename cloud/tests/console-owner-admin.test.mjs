// Administration in the console (Chromium): add a user, grant and revoke a
// camera, reset a password, remove a user; rename a camera and give it a time
// zone, then show a camera page in that zone and in UTC; remove a camera after
// a confirmation that says its recordings are deleted. And the API beneath:
// PATCH /v1/devices/:id validates the zone with Intl; PUT /v1/users/:name/password.
import test from "ava";
import { cloudFor, deviceIn, session } from "./_cloud.mjs";
import { browserFor, signIn, until } from "./_browser.mjs";
import { password } from "./_owner.mjs";

test.serial("an admin manages users, grants and cameras from the console", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: password });
	await deviceIn(cloud, "hd10", { name: "hd10" });
	await deviceIn(cloud, "hd2", { name: "hd2" });
	const { page } = await browserFor(t);
	const requests = [];
	page.on("request", (request) => request.method() !== "GET" && requests.push({ method: request.method(), type: request.headers()["content-type"] }));
	await signIn(page, cloud.url, "admin", password);
	await page.click('#sections a[data-section="admin"]');
	await page.waitForSelector("#add-user");
	t.deepEqual(await page.$$eval("#admin-cameras .admin-row", (rows) => rows.map((row) => row.dataset.device)), ["hd2", "hd10"]);

	// A user, then a grant through its checkbox.
	await page.fill("#new-user", "alice");
	await page.fill("#new-user-password", "alice-password-1");
	await page.click('#add-user button[type=submit]');
	await page.waitForSelector('.admin-row[data-user="alice"]');
	await page.check('.admin-row[data-user="alice"] input[data-device="hd2"]');
	await until(page, "the grant", () => /granted to alice/.test(document.querySelector("#main .notice")?.textContent ?? ""));
	t.deepEqual(cloud.ctx.sql.db.prepare("SELECT device FROM grants WHERE user = 'alice'").all().map((row) => row.device), ["hd2"]);
	t.true(await page.isChecked('.admin-row[data-user="alice"] input[data-device="hd2"]'));

	// A new password: the old one no longer signs in.
	await page.click('.admin-row[data-user="alice"] .reset-password');
	await page.fill("#ask-value", "alice-password-2");
	await page.click("#ask-ok");
	await until(page, "the password changed", () => /Password of alice changed/.test(document.querySelector("#main .notice")?.textContent ?? ""));
	t.is((await session(cloud, "alice", "alice-password-1")).status, 401);
	t.is((await session(cloud, "alice", "alice-password-2")).status, 200);

	// Rename a camera and give it a zone.
	await page.fill("#cam-hd2-name", "Porch");
	await page.fill("#cam-hd2-zone", "Asia/Tokyo");
	await page.click('.admin-row[data-device="hd2"] .save-camera');
	await until(page, "saved", () => /Porch saved/.test(document.querySelector("#main .notice")?.textContent ?? ""));
	await page.shot("owner-admin");

	// The camera's page offers its zone; times then read in Tokyo's (JST), or UTC.
	await page.goto(`${cloud.url}/#/devices/hd2/recordings`);
	await until(page, "the camera's zone offered", () => [...document.querySelectorAll("#zone option")].some((o) => o.value === "camera"));
	t.is(await page.textContent('#zone option[value="camera"]'), "Camera (Asia/Tokyo)");
	await page.selectOption("#zone", "camera");
	await until(page, "the range in the camera's zone", () => /GMT\+9$/.test(document.querySelector(".range-title")?.textContent ?? ""));
	await page.selectOption("#zone", "UTC");
	await until(page, "the range in UTC", () => / UTC$/.test(document.querySelector(".range-title")?.textContent ?? ""));
	const tick = await page.textContent(".tl-tick");
	t.regex(tick, /^\d\d:\d\d$/);

	// Removing a camera asks first and says the recordings go; cancel keeps it.
	await page.click('#sections a[data-section="admin"]');
	await page.click('.admin-row[data-device="hd10"] .remove-camera');
	t.regex(await page.textContent(".confirm-dialog"), /recordings, snapshots and events: they are deleted/);
	await page.click("#confirm-cancel");
	t.truthy(cloud.ctx.sql.db.prepare("SELECT id FROM devices WHERE id = 'hd10'").get());
	await page.click('.admin-row[data-device="hd10"] .remove-camera');
	await page.click("#confirm-ok");
	await until(page, "the camera gone", () => !document.querySelector('.admin-row[data-device="hd10"]'));
	t.falsy(cloud.ctx.sql.db.prepare("SELECT id FROM devices WHERE id = 'hd10'").get());

	// And the user.
	await page.click('.admin-row[data-user="alice"] .remove-user');
	await page.click("#confirm-ok");
	await until(page, "the user gone", () => !document.querySelector('.admin-row[data-user="alice"]'));
	t.is((await session(cloud, "alice", "alice-password-2")).status, 401);
	t.true(requests.length >= 6);
	t.deepEqual(requests.filter((request) => request.type !== "application/json"), [], "every change says JSON");
});

test.serial("PATCH /v1/devices/:id renames and sets an IANA time zone (Intl-checked); PUT /v1/users/:name/password resets", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: password });
	await deviceIn(cloud, "cam1");
	const admin = await session(cloud, "admin", password);
	let res = await admin.call("/v1/devices/cam1", { method: "PATCH", body: { name: "Porch", timeZone: "Europe/Paris" } });
	t.is(res.status, 200);
	t.like(await res.json(), { id: "cam1", name: "Porch", timeZone: "Europe/Paris" });
	t.like(await (await admin.call("/v1/devices/cam1")).json(), { timeZone: "Europe/Paris" });
	res = await admin.call("/v1/devices/cam1", { method: "PATCH", body: { timeZone: "Mars/Olympus" } });
	t.is(res.status, 400);
	t.regex((await res.json()).error, /IANA time zone/);
	t.is((await admin.call("/v1/devices/cam1", { method: "PATCH", body: { channels: 3 } })).status, 400);
	t.is((await admin.call("/v1/devices/cam1", { method: "PATCH", body: { name: "" } })).status, 400);
	res = await admin.call("/v1/devices/cam1", { method: "PATCH", body: { timeZone: null } });
	t.like(await res.json(), { name: "Porch", timeZone: null });
	// Not JSON: refused (cross-site forms).
	t.is((await fetch(`${cloud.url}/v1/devices/cam1`, { method: "PATCH", headers: { cookie: admin.cookie, "content-type": "text/plain" }, body: "{\"name\":\"x\"}" })).status, 415);

	t.is((await admin.call("/v1/users", { method: "POST", body: { name: "bob", password: "bob-password-1" } })).status, 201);
	const bob = await session(cloud, "bob", "bob-password-1");
	t.is((await bob.call("/v1/devices/cam1", { method: "PATCH", body: { name: "mine" } })).status, 403, "admins only");
	t.is((await bob.call("/v1/users/bob/password", { method: "PUT", body: { password: "bob-password-9" } })).status, 403, "admins only");
	t.is((await admin.call("/v1/users/bob/password", { method: "PUT", body: { password: "short" } })).status, 400);
	t.is((await admin.call("/v1/users/nobody/password", { method: "PUT", body: { password: "long-enough-1" } })).status, 404);
	t.is((await admin.call("/v1/users/bob/password", { method: "PUT", body: { password: "bob-password-2" } })).status, 204);
	t.is((await bob.call("/v1/devices")).status, 401, "bob's sessions ended");
	t.is((await session(cloud, "bob", "bob-password-2")).status, 200);
});
