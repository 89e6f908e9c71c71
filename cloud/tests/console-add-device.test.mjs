// "Add camera" in the console, in Chromium: an admin adds a device through the
// dialog (the service's validation message shown for a bad id), sees the secret
// once with the simulated-camera command line, and that secret signs a real
// upload; a user who is not an admin has no such button.
import test from "ava";
import { readFileSync } from "node:fs";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { browserFor, signIn, until, uploadSnapshot } from "./_browser.mjs";
import { addUser, grantDevice } from "../../build/node/cloud/src/users/store.js";

const still = readFileSync("fixtures/media/stills/0001.jpg");

test.serial("an admin adds a camera from the console; a bad id shows the service's message; the secret shown once authenticates the camera", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "add-admin-password" });
	await deviceIn(cloud, "garage", { name: "Garage" });
	const { page, context } = await browserFor(t);
	await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: cloud.url });
	await signIn(page, cloud.url, "admin", "add-admin-password");
	t.is(await page.textContent("#device-count"), "1 camera");

	await page.click("#add-camera");
	await page.waitForSelector("#add-device[open] #add-form");
	// A bad id: the service refuses it and the dialog shows its message, nothing is added.
	await page.fill("#add-id", "Front Door!");
	await page.click("#add-submit");
	await until(page, "the validation message", () => !document.querySelector("#add-error").hidden);
	t.is(await page.textContent("#add-error"), "device id must match ^[a-z0-9][a-z0-9_-]{0,63}$");
	// An id that exists already: the 409's message.
	await page.fill("#add-id", "garage");
	await page.click("#add-submit");
	await until(page, "the conflict message", () => /already exists/.test(document.querySelector("#add-error").textContent));
	t.is(await page.textContent("#add-error"), "device garage already exists");
	await page.shot("console-add-device-error");

	await page.fill("#add-id", "front-door");
	await page.fill("#add-name", "Front door");
	await page.fill("#add-channels", "2");
	await page.click("#add-submit");
	await page.waitForSelector("#add-result");
	t.is(await page.textContent("#new-id"), "front-door");
	t.regex(await page.textContent("#secret-warning"), /shown only now/);
	const secret = await page.inputValue("#new-secret");
	t.true(secret.length >= 32, "a long random secret");
	t.is(await page.inputValue("#sim-command"), `node build/node/cloud/sim/camera.js --cloud ${cloud.url} --device front-door --secret ${secret} --mqtt`);
	await page.click("#copy-secret");
	await until(page, "the copy confirmation", () => document.querySelector("#add-result .copy-status")?.textContent === "Copied");
	t.is(await page.evaluate(() => navigator.clipboard.readText()), secret);
	// The new device is in the list behind the dialog already.
	await until(page, "the new card", () => !!document.querySelector('.device-card[data-device="front-door"]'));
	t.is(await page.textContent("#device-count"), "2 cameras");
	await page.shot("console-add-device-secret");

	// The secret shown is the device's: a signed upload with it is accepted, one with another secret is not.
	t.is(await uploadSnapshot(cloud.url, { id: "front-door", secret: "x".repeat(secret.length) }, still), 401);
	t.is(await uploadSnapshot(cloud.url, { id: "front-door", secret }, still), 201);

	// Closing the dialog drops the secret from the page; the card shows the uploaded snapshot.
	await page.click("#add-done");
	t.is(await page.$("#add-device[open]"), null);
	t.false((await page.content()).includes(secret), "the secret is no longer in the page");
	t.is(await page.textContent('.device-card[data-device="front-door"] h2'), "Front door");
	t.regex(await page.textContent('.device-card[data-device="front-door"]'), /2 channels/);
	// 401: /v1/me before signing in; 400 and 409: the refused ids above.
	t.deepEqual(page.problems.filter((problem) => !/status of 40[019] /.test(problem)), []);
});

test.serial("a user who is not an admin sees no Add camera button", async (t) => {
	const cloud = await cloudFor(t, { adminPassword: "add-admin-password" });
	await deviceIn(cloud, "office", { name: "Office" });
	// One user with a camera, one without: neither may add one.
	for (const [user, granted] of [["alice", "office"], ["nobody"]]) {
		await addUser(cloud.ctx.sql, user, `${user}-password`);
		if (granted) await grantDevice(cloud.ctx.sql, user, granted);
	}
	const { page } = await browserFor(t);
	await signIn(page, cloud.url, "alice", "alice-password");
	t.is(await page.$("#add-camera"), null);
	t.is(await page.$("#add-device"), null);
	await page.click("#sign-out");
	await page.waitForSelector("#user");
	await signIn(page, cloud.url, "nobody", "nobody-password");
	t.is(await page.textContent("#devices .empty h2"), "No cameras yet");
	t.is(await page.$("#add-camera"), null);
	t.regex(await page.textContent("#devices .empty p"), /Ask an administrator/);
});
