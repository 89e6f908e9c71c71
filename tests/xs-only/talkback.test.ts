// Talkback on the camera app (modules/app/talkback.ts): the codec parameter, the file it goes to,
// frames in order, the end; its bounds (issue 27 §4: modules/protocol/talkback.ts) against a
// hostile viewer — implausible AAC, audio faster than real time, a session's bytes and seconds,
// the folder's bytes and files across sessions; the same bounds before a C firmware's
// recv_voice_cb (p2p-viewers.ts viewerVoice, a fake firmware). A fake clock and in-memory files.
// XS only (its params parser is modules/p2p's, over the native codes; viewerVoice's platform).
import test from "ava";
import { TalkFolder, type TalkFiles } from "../../modules/app/talkback.js";
import { viewerVoice, type FirmwareTalk } from "../../modules/app/p2p-viewers.js";
import { FirmwareP2P, type Firmware } from "../../modules/app/firmware.js";
import { TALK_BOUNDS } from "../../modules/protocol/talkback.js";
import { adts } from "../unit/_media-helpers.js";

/** A folder in memory (path → bytes written), a clock the test moves. */
function folder() {
	const sizes = new Map<string, number>();
	const written: number[][] = [];
	let closed = 0;
	const clock = { ms: 1000 };
	const files: TalkFiles = {
		listDirectory: (dir) => [...sizes].filter(([p]) => p.startsWith(`${dir}/`)).map(([p, size]) => ({ name: p.slice(dir.length + 1), size })),
		removeFile: (path) => { sizes.delete(path); },
		createWriter: (path) => {
			sizes.set(path, 0);
			return {
				write: (chunks) => chunks.forEach((c) => {
					if (c.byteLength < 16) written.push([...new Uint8Array(c)]);   // (what the order test checks; the rest is counted)
					sizes.set(path, sizes.get(path)! + c.byteLength);
				}),
				close: () => { closed++; },
			};
		},
	};
	const total = () => [...sizes.values()].reduce((a, b) => a + b, 0);
	return { talks: new TalkFolder("/talk", files, () => clock.ms), sizes, written, clock, total, closed: () => closed };
}

const buffer = (bytes: Uint8Array) => bytes.slice().buffer;
const G711_200MS = new ArrayBuffer(1600), G711_100MS = new ArrayBuffer(800);
// ADTS sampling_frequency_index: 0 = 96 kHz, 3 = 48 kHz, 8 = 16 kHz
const AAC_96K = 0, AAC_48K = 3;

test("talkback: codec → file, frames in order, the end closes the file", (t) => {
	const { talks, written, closed } = folder();
	const talk = talks.openTalk("", "viewer/../7", 1234);
	t.is(talk.codec, "pcmu");
	t.is(talk.path, "/talk/1234-viewer____7.ulaw", "the peer cannot leave the folder");
	t.is(talks.openTalk("codec=aac", "v", 1235).path, "/talk/1235-v.aac");
	t.is(talks.openTalk("codec=pcma&rate=16000", "v", 1236).path, "/talk/1236-v.alaw");
	for (const bad of ["codec=opus", "codec=pcmu&rate=8k", "rate=0", "codec=constructor", "codec=toString"]) t.throws(() => talks.openTalk(bad, "v", 1), undefined, bad);
	t.false(talks.frame(talk, new Uint8Array([1, 2]).buffer));
	t.false(talks.frame(talk, new Uint8Array([3]).buffer));
	t.true(talks.frame(talk, new ArrayBuffer(0)));
	t.deepEqual(written, [[1, 2], [3]]);
	t.is(closed(), 1);
	t.deepEqual([talk.frames, talk.bytes, talk.dropped], [2, 3, 0]);
});

test("talkback: only plausible rates open — G.711 8 or 16 kHz, AAC 8–48 kHz", (t) => {
	const { talks } = folder();
	for (const bad of ["rate=44100", "codec=pcma&rate=96000", "codec=aac&rate=96000", "codec=aac&rate=88200", "codec=aac&rate=7350", "rate=08000"])
		t.throws(() => talks.openTalk(bad, "v", 1), { instanceOf: RangeError }, bad);
	for (const good of ["rate=8000", "codec=pcmu&rate=16000", "codec=aac&rate=48000", "codec=aac&rate=8000", "codec=aac"]) t.notThrows(() => talks.openTalk(good, "v", 1), good);
});

test("talkback: AAC frames claiming 96 kHz, sent at 10× real time, write nothing and end the talkback", (t) => {
	const { talks, sizes, clock } = folder();
	const talk = talks.openTalk("codec=aac", "v", 1);
	// 10.7 s of wall clock, a 96 kHz frame (10.7 ms) every 1.07 ms: the 1,000,000 bytes
	const frame = buffer(adts(350, AAC_96K, 2));
	for (let i = 0; i < 2_700; i++, clock.ms += 10.7 / 2.7) talks.frame(talk, frame);
	t.is(sizes.get(talk.path), 0, "nothing written");
	t.is(talk.dropped, 2_700);
	t.regex(talk.cut, /50 frames dropped \(the last: AAC at 96000 Hz\)/);
	t.is(talks.open, 0);
});

test("talkback: plausible AAC at 10× real time is capped at real time (+1 s); at real time every frame is written", (t) => {
	const { talks, sizes, clock } = folder();
	const fast = talks.openTalk("codec=aac&rate=48000", "v", 1);
	const frame = buffer(adts(300, AAC_48K, 1));   // 1024 samples: 21.3 ms
	const perFrame = 1024 * 1000 / 48000;
	for (let i = 0; i < 500; i++, clock.ms += perFrame / 10) talks.frame(fast, frame);
	// written until the drops ended it: no more than real time allows, at least its 1 s ahead
	const allowed = (ms: number) => Math.floor((ms + TALK_BOUNDS.aheadMs) / perFrame);
	t.true(fast.frames <= allowed(500 * perFrame / 10) && fast.frames >= allowed(0), `${fast.frames} frames written`);
	t.is(sizes.get(fast.path), fast.frames * frame.byteLength);
	t.regex(fast.cut, /frames dropped \(the last: faster than real time\)/);

	const paced = talks.openTalk("codec=aac", "w", 2);
	for (let i = 0; i < 500; i++, clock.ms += perFrame) talks.frame(paced, frame);
	t.deepEqual([paced.frames, paced.dropped, paced.rate], [500, 0, 48000], "the rate is the first frame's");
	// another rate than the session's, a frame longer than AAC allows, not ADTS: dropped
	for (const bad of [adts(300, AAC_96K, 1), adts(300, 8, 1), adts(800, AAC_48K, 1), new Uint8Array(300)]) t.false(talks.frame(paced, buffer(bad)));
	t.is(paced.dropped, 4);
	t.is(paced.frames, 500);
});

test("talkback: G.711 faster than real time is capped; a session ends at its bytes and at its seconds", (t) => {
	const { talks, sizes, clock } = folder();
	const fast = talks.openTalk("codec=pcmu", "v", 1);
	for (let i = 0; i < 40; i++, clock.ms += 10) talks.frame(fast, G711_200MS);   // 200 ms of audio every 10 ms
	t.true(fast.bytes <= (400 + TALK_BOUNDS.aheadMs) * 8 && fast.bytes >= TALK_BOUNDS.aheadMs * 8, `${fast.bytes} bytes: 8 a ms, 1 s ahead at most`);
	t.is(fast.dropped, 40 - fast.frames);

	const long = talks.openTalk("codec=pcmu&rate=16000", "w", 2);
	for (let i = 0; i < 2_000 && !long.cut; i++, clock.ms += 100) talks.frame(long, G711_200MS);
	t.is(long.cut, `more than ${TALK_BOUNDS.sessionBytes} bytes`);
	t.true(sizes.get(long.path)! <= TALK_BOUNDS.sessionBytes);
	t.false(talks.frame(long, G711_200MS), "after the cut: dropped");

	const slow = talks.openTalk("codec=pcmu", "x", 3);
	for (let i = 0; i < 400 && !slow.cut; i++, clock.ms += 1000) talks.frame(slow, G711_100MS);
	t.is(slow.cut, `longer than ${TALK_BOUNDS.sessionS} s`);
	t.is(slow.bytes, (TALK_BOUNDS.sessionS + 1) * 800, "a frame a second from 0 s to 300 s");
});

test("talkback: the folder stays within its bytes and files across sessions, the oldest deleted first; too many at once are refused", (t) => {
	const { talks, sizes, clock, total } = folder();
	const names: string[] = [];
	for (let session = 0; session < 12; session++) {
		const talk = talks.openTalk("codec=pcmu&rate=16000", "v", 10_000 + session);
		names.push(talk.path);
		for (let i = 0; i < 1_200; i++, clock.ms += 100) talks.frame(talk, G711_200MS);   // 1600 B: 100 ms at 16 kHz; 2 MB a session
		t.true(total() <= TALK_BOUNDS.folderBytes, `after session ${session}: ${total()} bytes`);
		talks.frame(talk, new ArrayBuffer(0));
	}
	const kept = [...sizes.keys()];
	t.deepEqual(kept, names.slice(names.length - kept.length), "the newest kept, the oldest deleted");
	t.true(kept.length >= 6);

	for (let session = 0; session < 150; session++) talks.frame(talks.openTalk("", "e", 20_000 + session), new ArrayBuffer(0));
	t.true(sizes.size <= TALK_BOUNDS.folderFiles, `${sizes.size} files`);

	const open = [];
	const most = Math.floor(TALK_BOUNDS.folderBytes / TALK_BOUNDS.sessionBytes);
	for (let i = 0; i < most; i++) open.push(talks.openTalk("", `o${i}`, 30_000 + i));
	t.throws(() => talks.openTalk("", "one-more", 40_000), { instanceOf: RangeError });
	talks.frame(open[0], new ArrayBuffer(0));
	t.notThrows(() => talks.openTalk("", "one-more", 40_001));
});

test("talkback: a write that fails (the card full) ends that talkback, never throws; the next one writes", (t) => {
	const { talks, sizes, clock } = folder();
	const talk = talks.openTalk("", "v", 1);
	const writer = talk.writer!;
	talk.writer = { write: () => { throw new Error("no space left on device"); }, close: () => writer.close() };
	t.notThrows(() => talks.frame(talk, G711_100MS));
	t.is(talk.cut, "write failed: no space left on device");
	t.deepEqual([talk.frames, talk.dropped, talks.open], [0, 1, 0]);
	clock.ms += 1000;
	const next = talks.openTalk("", "v", 2);
	talks.frame(next, G711_100MS);
	t.is(sizes.get(next.path), 800);
});

test("talkback to a C firmware: a flood 13 times real time is cut as the folder cuts it — recv_voice_cb hears the same bytes, then one end, nothing after", (t) => {
	const heard = { frames: 0, bytes: 0, ends: 0, afterEnd: 0 };
	const firmware = {
		p2p: () => FirmwareP2P.talk,
		recvInit: () => 7,
		recvVoice: (id: number, data: ArrayBuffer) => {
			t.is(id, 7);
			if (heard.ends) heard.afterEnd++;
			if (data.byteLength) heard.frames++, heard.bytes += data.byteLength;
			else heard.ends++;
			return !heard.ends;
		},
	} as unknown as Firmware;
	const { talks, clock } = folder();
	const logs: string[] = [];
	const voice = viewerVoice({ firmware, log: (line) => logs.push(line), clock: () => clock.ms });
	const toFirmware = voice.open("codec=pcmu&rate=8000", "v") as FirmwareTalk;
	const toFolder = talks.openTalk("codec=pcmu&rate=8000", "v", 1);
	// the measured flood: 20-ms frames (160 B) every 1.5 ms for 10 s, 1,065,600 bytes
	const frame = new ArrayBuffer(160);
	for (let i = 0; i < 6_660; i++, clock.ms += 1.5) {
		voice.voice(toFirmware, frame);
		talks.frame(toFolder, frame);
	}
	voice.voice(toFirmware, new ArrayBuffer(0));   // the viewer's end, after the cut
	t.log(`the folder took ${toFolder.bytes} bytes (${toFolder.cut}); the firmware heard ${heard.bytes}`);
	t.true(toFolder.bytes < 20_000 && toFolder.cut !== "", "the folder cuts the flood");
	t.deepEqual([heard.frames, heard.bytes], [toFolder.frames, toFolder.bytes], "recv_voice_cb heard what the folder wrote, no more");
	t.is(toFirmware.cut, toFolder.cut);
	t.is(toFirmware.dropped, toFolder.dropped);
	t.is(heard.ends, 1, "its end once, at the cut");
	t.is(heard.afterEnd, 0, "nothing after it");
	t.true(logs.some((line) => /talkback to the firmware cut short: 50 frames dropped \(the last: faster than real time\)/.test(line)), logs.join("\n"));
	t.throws(() => voice.open("codec=opus", "w"), { instanceOf: RangeError }, "params the bounds cannot read: refused before recv_init_cb");
});
