// Signed playback URLs: bound to path, query, expiry and user; the service key
// is made once and shared through the data folder.
import test from "ava";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { cloudFor } from "./_cloud.mjs";
import { signUrl, verifySignedUrl, serviceKey } from "../../build/node/cloud/src/auth/signed-url.js";

const verify = (ctx, path, now) => verifySignedUrl(ctx, "GET", new URL(path, "http://local"), now);

test("a signed URL verifies for its user until it expires", async (t) => {
	const { ctx } = await cloudFor(t);
	const now = Date.now();
	const url = signUrl(ctx, "/v1/recordings/cam1/0/get?start=1000&duration=10", { user: "ann", admin: false }, 60, now);
	t.regex(url, /^\/v1\/recordings\/cam1\/0\/get\?start=1000&duration=10&exp=\d+&user=ann&sig=[A-Za-z0-9_-]{43}$/);
	t.deepEqual(verify(ctx, url, now), { user: "ann", admin: false, linkEpoch: 0 });
	// The player's LL-HLS directives do not break the signature.
	t.deepEqual(verify(ctx, `${url}&_HLS_msn=12&_HLS_part=0`, now), { user: "ann", admin: false, linkEpoch: 0 });
	t.deepEqual(verify(ctx, signUrl(ctx, "/v1/hls/cam1/0/live.m3u8", { user: "root", admin: true }, 60, now), now), { user: "root", admin: true, linkEpoch: 0 });
	t.is(verify(ctx, "/v1/recordings/cam1/0/get?start=1000&duration=10", now), undefined, "no signature: not a signed URL, the caller tries other credentials");
	const expired = t.throws(() => verify(ctx, url, now + 61_000));
	t.is(expired.status, 403);
	t.regex(expired.message, /signed URL expired at \d{4}-/);
});

const url = "/v1/recordings/cam1/0/get?start=1000&duration=10";
const tampered = [
	["another path", (u) => u.replace("cam1", "cam2")],
	["another channel", (u) => u.replace("/0/", "/1/")],
	["a widened range", (u) => u.replace("duration=10", "duration=86400")],
	["an added parameter", (u) => `${u}&limit=5`],
	["a later expiry", (u) => u.replace(/exp=(\d+)/, (_, e) => `exp=${Number(e) + 3600}`)],
	["another user", (u) => u.replace("user=ann", "user=bob")],
	["admin added", (u) => `${u}&admin=1`],
	["a flipped signature", (u) => u.replace(/sig=(.)/, (_, c) => `sig=${c === "A" ? "B" : "A"}`)],
	["a short signature", (u) => u.replace(/sig=.*/, "sig=AAAA")],
	["a repeated user", (u) => `${u}&user=bob`],
	["no expiry", (u) => u.replace(/exp=\d+&/, "")],
	["a non-numeric expiry", (u) => u.replace(/exp=\d+/, "exp=soon")],
];
for (const [name, change] of tampered) {
	test(`a signed URL with ${name} is refused with a 403`, async (t) => {
		const { ctx } = await cloudFor(t);
		const good = signUrl(ctx, url, { user: "ann", admin: false });
		const error = t.throws(() => verify(ctx, change(good)));
		t.is(error.status, 403);
		t.regex(error.message, /signed URL (does not match|is incomplete)/);
	});
}

test("the service key is 32 random bytes made on first start, kept across restarts, shared by instances on the same data folder", async (t) => {
	const first = await cloudFor(t);
	const file = join(first.dataDir, "service.key");
	const key = readFileSync(file);
	t.is(key.length, 32);
	t.is(statSync(file).mode & 0o777, 0o600);
	const second = await cloudFor(t, { dataDir: first.dataDir });
	t.deepEqual(serviceKey(second.ctx), key);
	const signed = signUrl(first.ctx, "/v1/snapshots/cam1/0/latest", { user: "ann", admin: false });
	t.deepEqual(verify(second.ctx, signed), { user: "ann", admin: false, linkEpoch: 0 }, "a URL signed by one instance is good on the other");
	const other = await cloudFor(t);
	t.throws(() => verify(other.ctx, signed), { message: /does not match/ }, "another deployment's key does not verify it");
});
