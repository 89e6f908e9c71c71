// Share links are bound to the account that signed them, not only to its name (issue 27 item 5):
// removing the account or setting its password ends them, on every instance (the link epoch is in
// the metadata), and a new account given the same name does not bring them back.
import test from "ava";
import { cloudFor, deviceIn, engines, json, onEngine } from "./_cloud.mjs";
import { addToken, addUser, grantDevice, removeUser, setPassword } from "../../build/node/cloud/src/users/store.js";

/** A link bob signs through POST /v1/sign (as the console's share button does), with his token. */
async function shareLink(cloud, token, path = `/v1/recordings/cam1/0/list?start=${Date.now() - 3600e3}&end=${Date.now()}`) {
	const res = await fetch(`${cloud.url}/v1/sign`, json({ path, lifetimeS: 7 * 24 * 3600 }, { method: "POST", headers: { authorization: `Bearer ${token}` } }));
	if (res.status !== 200) throw new Error(`POST /v1/sign: ${res.status} ${await res.text()}`);
	return (await res.json()).url;
}

async function bob(cloud) {
	await addUser(cloud.ctx.sql, "bob", "bob-password-1");
	await grantDevice(cloud.ctx.sql, "bob", "cam1");
	return addToken(cloud.ctx.sql, "bob");
}

const open = async (cloud, link) => {
	const res = await fetch(`${cloud.url}${link}`);
	return { status: res.status, error: res.status === 200 ? undefined : (await res.json()).error };
};

for (const engine of engines) {
	test(onEngine(engine, "a removed user's links stay dead when the name is given to a new account"), async (t) => {
		const cloud = await cloudFor(t, { metadata: engine });
		await deviceIn(cloud, "cam1");
		const link = await shareLink(cloud, await bob(cloud));
		t.is((await open(cloud, link)).status, 200);
		await removeUser(cloud.ctx.sql, "bob");
		t.regex((await open(cloud, link)).error, /unknown user bob/);
		const token = await bob(cloud);   // the name reused, granted the same device
		const refused = await open(cloud, link);
		t.is(refused.status, 403, "the old account's link is refused");
		t.regex(refused.error, /signed URL ended: bob's account was removed or its password set/);
		t.is((await open(cloud, await shareLink(cloud, token))).status, 200, "the new account's own links work");
	});
}

test("a new password ends the links signed before it, on every instance; links signed after it work", async (t) => {
	const first = await cloudFor(t);
	const second = await cloudFor(t, { dataDir: first.dataDir });
	await deviceIn(first, "cam1");
	const token = await bob(first);
	const before = await shareLink(first, token);
	t.is((await open(second, before)).status, 200, "a link is good on the other instance");
	await setPassword(first.ctx.sql, "bob", "bob-password-2");
	for (const cloud of [first, second]) {
		const refused = await open(cloud, before);
		t.is(refused.status, 403);
		t.regex(refused.error, /signed URL ended/);
	}
	const after = await shareLink(first, token);
	t.regex(after, /&user_epoch=1&/);
	t.is((await open(second, after)).status, 200);
	// The user's own change of password (PUT /v1/me/password) ends them too.
	const session = await fetch(`${first.url}/v1/session`, json({ user: "bob", password: "bob-password-2" }, { method: "POST" }));
	const cookie = session.headers.get("set-cookie").split(";")[0];
	t.is((await fetch(`${first.url}/v1/me/password`, json({ current: "bob-password-2", password: "bob-password-3" }, { method: "PUT", headers: { cookie } }))).status, 204);
	t.is((await open(first, after)).status, 403);
	t.deepEqual(await (await fetch(`${first.url}/v1/me`, { headers: { cookie } })).json(), { user: "bob", admin: false }, "/v1/me shows no epoch");
});

test("the epoch in a link is signed: raising or dropping it breaks the signature", async (t) => {
	const cloud = await cloudFor(t);
	await deviceIn(cloud, "cam1");
	const token = await bob(cloud);
	await setPassword(cloud.ctx.sql, "bob", "bob-password-2");
	const link = await shareLink(cloud, token);
	for (const forged of [link.replace("user_epoch=1", "user_epoch=2"), link.replace("&user_epoch=1", ""), link.replace("user_epoch=1", "user_epoch=01"), `${link}&user_epoch=1`]) {
		const refused = await open(cloud, forged);
		t.is(refused.status, 403, forged);
		t.regex(refused.error, /signed URL (does not match|is incomplete)/, forged);
	}
});
