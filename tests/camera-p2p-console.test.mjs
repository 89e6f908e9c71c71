// The console's P2P tab with real sessions (issue 14 §4): the real cloud, the camera app on the XS
// host and two of `npm run view`'s viewers (an admin and a plain user). The camera's page lists both
// with the camera's figures (path, round trip, rate, backlog, memory, since when) and keeps refreshing
// while it is open: a viewer that stops turns "Not connected" without a reload. Screenshots at
// desktop size, on a 390×844 phone (nothing wider than the screen) and in dark.
import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloudFor, deviceIn, session } from "../cloud/tests/_cloud.mjs";
import { browserFor, signIn, until } from "../cloud/tests/_browser.mjs";
import { fitsWidth } from "../cloud/tests/_owner.mjs";
import { cameraConnected, deviceFile } from "./_camera.mjs";
import { view } from "../scripts/view.mjs";

const adminPassword = "admin-secret-1";

test("the camera's page lists its P2P viewers with the camera's figures, refreshed while open", async (t) => {
	const cloud = await cloudFor(t, { adminPassword });
	const device = await deviceIn(cloud, "p2p-cam", { name: "Porch" });
	const admin = await session(cloud, "admin", adminPassword);
	t.is((await admin.call("/v1/users", { method: "POST", body: { name: "eve", password: "eve-password" } })).status, 201);
	t.is((await admin.call("/v1/users/eve/devices/p2p-cam", { method: "PUT" })).status, 204);
	const { done: camera } = await cameraConnected(deviceFile(t, device, cloud.url), { seconds: 45, args: ["--p2p-loopback"] });
	const dir = mkdtempSync(join(tmpdir(), "ivxs-console-p2p-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const base = { device: "p2p-cam", cloud: cloud.url, format: "fmp4", quiet: true };
	// The admin watches for a while and stops; eve watches until the test ends her session.
	const watching = view({ ...base, user: "admin", password: adminPassword, out: join(dir, "admin.mp4"), seconds: 16 }, {});
	const eve = view({ ...base, user: "eve", password: "eve-password", out: join(dir, "eve.mp4"), seconds: 60 }, {});

	const { page } = await browserFor(t, { width: 1366, height: 900 });
	await signIn(page, cloud.url, "admin", adminPassword);
	await page.goto(`${cloud.url}/#/devices/p2p-cam/p2p`);
	await page.waitForSelector("#p2p-sessions");
	t.is(await page.getAttribute('.tab[data-tab="p2p"]', "aria-selected"), "true");
	// Both sessions turn up connected, with figures, without reloading the page (the camera reports every 5 s).
	const rows = await until(page, "two connected sessions", () => {
		const live = [...document.querySelectorAll('.p2p-session[data-connected="true"]')];
		return live.length === 2 && live.map((row) => ({
			user: row.querySelector(".p2p-user").textContent,
			action: row.querySelector(".p2p-action").textContent,
			path: row.querySelector(".p2p-path").textContent,
			rtt: row.querySelector(".p2p-rtt").textContent,
			rate: row.querySelector(".p2p-rate").textContent,
			bandwidth: row.querySelector(".p2p-bandwidth").textContent,
			backlog: row.querySelector(".p2p-buffered").textContent,
			memory: row.querySelector(".p2p-memory").textContent,
			watermarks: row.querySelector(".p2p-watermarks").textContent,
		}));
	}, undefined, 25000);
	t.log(rows);
	t.deepEqual(rows.map((r) => r.user).sort(), ["admin", "eve"]);
	for (const row of rows) {
		t.is(row.action, "live");
		t.is(row.path, "direct (host)", "the camera's judgement of the path: both on this machine");
		t.regex(row.rtt, /^\d+ ms$/);
		t.regex(row.rate, /^\d+(\.\d+)? (kbit|Mbit)\/s$/);
		t.regex(row.bandwidth, /^\d+(\.\d+)? (kbit|Mbit)\/s$/, "what the path takes, as the congestion control measured it");
		t.regex(row.backlog, /^\d+(\.\d)? (B|KiB|MiB)$/);
		t.regex(row.memory, /^\d+(\.\d)? KiB$/, "a session holds kilobytes");
		t.is(row.watermarks, "64.0 KiB / 128.0 KiB / 192.0 KiB · below warn", "the camera app's watermarks, live well below them");
	}
	await page.waitForTimeout(500);
	await page.shot("p2p-light-1366");

	// Phone size and dark, on the same page.
	await page.setViewportSize({ width: 390, height: 844 });
	await page.waitForTimeout(300);
	await fitsWidth(t, page, "P2P tab");
	await page.shot("p2p-light-390");
	await page.emulateMedia({ colorScheme: "dark" });
	await page.waitForTimeout(300);
	await page.shot("p2p-dark-390");
	await page.setViewportSize({ width: 1366, height: 900 });

	// The admin's viewer stops: its row turns "Not connected" while the page stays open.
	t.is(await watching, 0);
	await until(page, "the admin's session no longer connected", () => {
		const row = [...document.querySelectorAll(".p2p-session")].find((r) => r.querySelector(".p2p-user").textContent === "admin");
		return row?.dataset.connected === "false";
	}, undefined, 25000);
	t.is(await page.locator('.p2p-session[data-connected="true"] .p2p-user').textContent(), "eve");
	await page.shot("p2p-dark-1366");

	// Ending eve's session (her grant revoked) lets the camera and her viewer finish.
	t.is((await admin.call("/v1/users/eve/devices/p2p-cam", { method: "DELETE" })).status, 204);
	t.is(await eve, 3, "the camera closed eve's session");
	t.deepEqual(page.problems.filter((p) => !/status of 401/.test(p)), [], "nothing failed but the sign-in page's first look");
	await camera;
});
