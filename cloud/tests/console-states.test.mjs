// What the console tells a person when there is nothing to show or something
// is wrong, in Chromium: a camera that never connected, a user who may see
// no camera or only one, a device that is not theirs, a session that ended.
import test from "ava";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { browserFor, signIn, until } from "./_browser.mjs";
import { addUser, grantDevice, deleteSession } from "../../build/node/cloud/src/users/store.js";

test.serial("a camera that never connected is shown offline, without a picture, and its live view says why", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "states-admin-password" });
	await deviceIn(cloud, "garage", { name: "Garage" });
	const { page } = await browserFor(t);
	await signIn(page, cloud.url, "admin", "states-admin-password");
	const card = '.device-card[data-device="garage"]';
	t.is(await page.getAttribute(card, "data-online"), "false");
	t.is(await page.textContent(`${card} .state`), "Offline");
	t.is(await page.textContent(`${card} .thumb-empty`), "Offline · no snapshot yet");
	t.regex(await page.textContent(card), /Never connected/);
	await page.click(card);
	await until(page, "the offline message", () => /offline/.test(document.querySelector("#live-overlay")?.textContent ?? ""));
	t.is(await page.textContent("#live-overlay"), "The camera is offline. The live view starts when it reconnects.");
	t.is(await page.textContent("#live-latency"), "–");
	await page.shot("console-states-offline-live");
});

test.serial("a user sees only the cameras granted to them; another device's page says it is not theirs", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "states-admin-password" });
	await deviceIn(cloud, "garage", { name: "Garage" });
	await deviceIn(cloud, "office", { name: "Office" });
	await addUser(cloud.ctx.sql, "nobody", "nobody-password");
	await addUser(cloud.ctx.sql, "alice", "alice-password");
	await grantDevice(cloud.ctx.sql, "alice", "office");
	const { page } = await browserFor(t);

	await signIn(page, cloud.url, "nobody", "nobody-password");
	t.is(await page.textContent("#devices .empty h2"), "No cameras yet");
	await page.shot("console-states-no-cameras");
	await page.click("#sign-out");
	await page.waitForSelector("#user");

	await signIn(page, cloud.url, "alice", "alice-password");
	t.deepEqual(await page.$$eval(".device-card", (cards) => cards.map((card) => card.dataset.device)), ["office"]);
	t.is(await page.textContent("#device-count"), "1 camera");
	await page.goto(`${cloud.url}/#/devices/garage/live`);
	await until(page, "the refusal", () => document.querySelector("#tab-body .empty h2")?.textContent);
	t.is(await page.textContent("#tab-body .empty h2"), "Not allowed");
	await page.shot("console-states-not-allowed");
});

test.serial("when the session ends, the next request brings back the sign-in form with a message, then the page the person was on", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "states-admin-password" });
	await deviceIn(cloud, "garage", { name: "Garage" });
	const { page, context } = await browserFor(t);
	await signIn(page, cloud.url, "admin", "states-admin-password");
	await page.click('.device-card[data-device="garage"]');
	await page.click('a[data-tab="settings"]');
	await page.waitForSelector("#plan-form");
	// The session ends on the server (expired, or signed out elsewhere).
	const [cookie] = (await context.cookies()).filter((c) => c.name === "ivxs_session");
	t.truthy(cookie, "the session cookie is set (HttpOnly: the page cannot read it)");
	t.true(cookie.httpOnly);
	await deleteSession(cloud.ctx.sql, cookie.value);
	await page.click("#plan-save");
	await until(page, "the sign-in form", () => !!document.querySelector("#user"));
	t.is(await page.textContent("#sign-in-error"), "Your session ended. Please sign in again.");
	await page.fill("#user", "admin");
	await page.fill("#password", "states-admin-password");
	await page.click("#sign-in");
	await page.waitForSelector("#plan-form");
	t.regex(page.url(), /#\/devices\/garage\/settings$/);
});
