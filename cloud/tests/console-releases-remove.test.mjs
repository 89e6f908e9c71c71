// The console's Releases page (Chromium, admins): removing a release. Each row has a Remove button
// that asks first; a release a live rollout offers is refused by the service (409) and the page
// says why; a removed one leaves the list and the rollout form's choices. All of it by keyboard:
// the question starts on Cancel, Escape closes it, and the focus stays on its button across the
// page's reloads.
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cloudFor, session } from "./_cloud.mjs";
import { browserFor, signIn, until } from "./_browser.mjs";
import { password } from "./_owner.mjs";
import { appLayer, makeBundle, makeKey, tempDir } from "../../tests/ota/_ota.mjs";

const row = (version) => `.release[data-version="${version}"]`;
const focused = (page) => page.evaluate(() => document.activeElement?.id || document.activeElement?.className);

test.serial("an admin removes releases after a question, by keyboard too; one a rollout offers is refused with the reason until the rollout is cancelled", async (t) => {
	const dir = tempDir();
	const key = makeKey(dir, "key");
	const cloud = await cloudFor(t, { adminPassword: password, otaKeys: [key.pub] });
	const { call: api, cookie } = await session(cloud, "admin", password);
	t.is((await api("/v1/devices", { method: "POST", body: { id: "cam1" } })).status, 201);
	const layer = appLayer(join(dir, "layer"), { "modules/app/x.js": "export default 1;\n" });
	for (const version of ["2.0.0", "2.1.0"]) {
		const bundle = makeBundle({ key, version, abi: "0123456789abcdef", modules: layer, out: join(dir, `${version}.ivxs`) });
		const added = await fetch(`${cloud.url}/v1/releases`, { method: "POST", headers: { cookie, "content-type": "application/octet-stream" }, body: readFileSync(bundle) });
		t.is(added.status, 201, await added.text());
	}
	const rollout = await (await api("/v1/rollouts", { method: "POST", body: { version: "2.1.0", stages: [100] } })).json();
	const versions = async () => (await (await api("/v1/releases")).json()).releases.map((r) => r.version).sort();

	const { page } = await browserFor(t);
	await signIn(page, cloud.url, "admin", password);
	await page.click('#sections a[data-section="releases"]');
	await page.waitForSelector(`${row("2.1.0")} .remove-release`);
	t.is(await page.getAttribute(`${row("2.1.0")} .remove-release`, "aria-label"), "Remove release 2.1.0");

	// By keyboard: Enter on the button asks; the question starts on Cancel; Escape keeps the release.
	await page.focus(`${row("2.1.0")} .remove-release`);
	await page.keyboard.press("Enter");
	await page.waitForSelector("dialog[open] #confirm-ok");
	t.regex(await page.textContent("dialog[open] h2"), /Remove release 2\.1\.0\?/);
	t.is(await focused(page), "confirm-cancel");
	await page.keyboard.press("Escape");
	await until(page, "the question to close", () => !document.querySelector("dialog[open]"));
	t.is(await focused(page), "remove-release-2.1.0", "Escape: back on the button");
	t.deepEqual(await versions(), ["2.0.0", "2.1.0"]);

	// Confirmed (Tab to the danger button, Enter): the rollout offers it, so the service refuses, and the page says why.
	await page.keyboard.press("Enter");
	await page.waitForSelector("dialog[open] #confirm-ok");
	await page.keyboard.press("Tab");
	t.is(await focused(page), "confirm-ok");
	await page.keyboard.press("Enter");
	const refusal = await until(page, "the refusal", () => document.querySelector(".page.admin > p.notice.error:not([hidden])")?.textContent);
	t.is(refusal, `Release 2.1.0 was not removed: release 2.1.0 is offered by rollout ${rollout.id}: cancel it first.`);
	t.regex(await page.textContent(`.rollout[data-rollout="${rollout.id}"]`), new RegExp(`rollout ${rollout.id}`), "the rollout the reason names is shown by its id");
	t.deepEqual(await versions(), ["2.0.0", "2.1.0"]);
	await until(page, "the focus back on the button", () => document.activeElement?.id === "remove-release-2.1.0");
	// The page reloads every 3 s: the row is drawn again, and the focus stays where it was.
	await page.$eval(row("2.1.0"), (node) => { node.dataset.old = "yes"; });
	await until(page, "a reload", (selector) => document.querySelector(selector)?.dataset.old === undefined, row("2.1.0"));
	t.is(await focused(page), "remove-release-2.1.0");
	await page.shot("releases-remove-refused");

	// With the mouse: 2.0.0 goes, from the list and from the rollout form's choices; the focus lands on the outcome.
	await page.click(`${row("2.0.0")} .remove-release`);
	await page.click("#confirm-ok");
	await until(page, "2.0.0 to leave the list", (selector) => !document.querySelector(selector), row("2.0.0"));
	t.is(await page.textContent(".page.admin > p.notice"), "Release 2.0.0 removed.");
	t.deepEqual(await page.$$eval("#rollout-version option", (options) => options.map((o) => o.value)), ["2.1.0"]);
	t.deepEqual(await versions(), ["2.1.0"]);
	t.true(await page.evaluate(() => document.activeElement?.matches(".page.admin > p.notice")), "the focus is on the outcome, not lost");

	// Once its rollout is cancelled, 2.1.0 can go too.
	await page.click(".rollout-cancel");
	await page.click("#confirm-ok");
	await until(page, "the cancel", () => document.querySelector(".rollout")?.dataset.state === "cancelled");
	t.is(await page.textContent(".rollout-reason"), "cancelled by an operator");
	await page.focus(`${row("2.1.0")} .remove-release`);
	await page.keyboard.press("Enter");
	await page.waitForSelector("dialog[open] #confirm-ok");
	await page.keyboard.press("Tab");
	await page.keyboard.press("Enter");
	await until(page, "the empty list", () => document.querySelector("#releases .muted")?.textContent === "No releases yet.");
	t.is(await page.textContent(".page.admin > p.notice"), "Release 2.1.0 removed.");
	t.deepEqual(await versions(), []);
	t.is(await page.$("#start-rollout"), null, "no release: no rollout form");
	await page.shot("releases-removed");
	t.deepEqual(page.problems.filter((p) => p.startsWith("page error")), []);
});
