// ivxs/platform on the Linux host (modules/app/platform/linux.js) through XS: what the camera
// app takes from it — hashing as the signer needs it, the clocks, the TLS constructor.
import test from "ava";
import { Digest, FileWriter, Preference, TLSSocket, argv, collectGarbage, exit, hmacSha256, listDirectory, log, makeDirectory, memory, monotonic, now, readFile, removeFile, renameFile, sha256 } from "ivxs/platform";
import { toHex } from "../../modules/net/bytes.js";

test("hashing: SHA-256 and HMAC-SHA256 vectors, a Digest that starts over after digest(), scatter lists", (t) => {
	t.is(toHex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	// RFC 4231 test case 2: a string key and data, as the signer passes them.
	t.is(toHex(hmacSha256("Jefe", "what do ya want for nothing?")), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	const digest = new Digest();
	t.is(toHex(digest.update(["a", new Uint8Array([0x62, 0x63])]).digest()), toHex(sha256("abc")));
	t.is(toHex(digest.update("abc").digest()), toHex(sha256("abc")), "digest() starts over");
	digest.close();
});

test("clocks: now() is the wall clock, monotonic() never goes back", (t) => {
	t.true(Math.abs(now() - Date.now()) < 1000);
	const a = monotonic();
	let b = a;
	for (let i = 0; i < 1000; i++) b = monotonic();
	t.true(b >= a && a > 0);
});

test("the rest of the contract is there", (t) => {
	for (const f of [TLSSocket, argv, collectGarbage, exit, memory, readFile, Preference.get, Preference.set, log.info]) t.is(typeof f, "function");
	t.true(memory().chunks > 0);
});

test("files: a range of a file, a folder's listing, remove and rename (the local recording store's needs)", (t) => {
	const dir = `build/test-out/platform-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
	makeDirectory("build/test-out");
	makeDirectory(dir);
	const writer = new FileWriter(`${dir}/a.part`);
	writer.write(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
	writer.close();
	t.deepEqual([...new Uint8Array(readFile(`${dir}/a.part`, { offset: 5, maxBytes: 2 }))], [6, 7]);
	t.deepEqual([...new Uint8Array(readFile(`${dir}/a.part`, { offset: 6 }))], [7, 8]);
	t.is(readFile(`${dir}/a.part`, { offset: 100 }).byteLength, 0, "past the end: nothing");
	t.throws(() => readFile(`${dir}/a.part`, { offset: -1 }), { instanceOf: RangeError });
	makeDirectory(`${dir}/sub`);
	t.deepEqual(listDirectory(dir), [{ name: "a.part", size: 8 }], "regular files only");
	renameFile(`${dir}/a.part`, `${dir}/1-2.mp4`);
	t.deepEqual(listDirectory(dir).map((f) => f.name), ["1-2.mp4"]);
	removeFile(`${dir}/1-2.mp4`);
	removeFile(`${dir}/1-2.mp4`);   // gone either way
	t.deepEqual(listDirectory(dir), []);
	t.throws(() => renameFile(`${dir}/missing`, `${dir}/x`));
	t.throws(() => listDirectory(`${dir}/missing`));
});
