// Talkback on the camera app (modules/app/talkback.ts): the codec parameter, the file it goes to,
// frames in order, the end. XS only (its params parser is modules/p2p's, over the native codes).
import test from "ava";
import { openTalk, talkFrame } from "../../modules/app/talkback.js";

test("talkback: codec → file, frames in order, the end closes the file", (t) => {
	const written: number[][] = [];
	let closed = 0;
	const writer = { write: (chunks: ArrayBuffer[]) => written.push(...chunks.map((c) => [...new Uint8Array(c)])), close: () => { closed++; } };
	const paths: string[] = [];
	const open = (params: string) => openTalk("/talk", params, "viewer/../7", 1234, (path) => { paths.push(path); return writer; });
	const talk = open("");
	t.is(talk.codec, "pcmu");
	t.is(open("codec=aac").path, "/talk/1234-viewer____7.aac", "the peer cannot leave the folder");
	t.is(open("codec=pcma&rate=16000").path, "/talk/1234-viewer____7.alaw");
	for (const bad of ["codec=opus", "codec=pcmu&rate=8k", "rate=0", "codec=constructor", "codec=toString"]) t.throws(() => open(bad), undefined, bad);
	t.false(talkFrame(talk, new Uint8Array([1, 2]).buffer));
	t.false(talkFrame(talk, new Uint8Array([3]).buffer));
	t.true(talkFrame(talk, new ArrayBuffer(0)));
	t.deepEqual(written, [[1, 2], [3]]);
	t.is(closed, 1);
	t.deepEqual([talk.frames, talk.bytes], [2, 3]);
});
