// A device file's "firmware" channel (modules/app/device-file.ts): the channel a C firmware feeds
// through libivxs's iv_cs_push_stream, and the mistakes a newcomer gets one clear line for.
import test from "ava";
import { DeviceFileError, g711Of, hasAudio, hasVideo, parseDeviceFile } from "../../modules/app/device-file.js";

const file = (channels: unknown[]) => JSON.stringify({ id: "cam1", secret: "s".repeat(32), cloud: "http://127.0.0.1:8080", channels });
const parse = (channels: unknown[]) => parseDeviceFile(file(channels), () => "");

test("a firmware channel needs no files: video in its codec, audio when the firmware says so", (t) => {
	const [pushed] = parse([{ codec: "h265", firmware: { audio: true } }]).channels;
	t.deepEqual(pushed.firmware, { audio: "aac" });
	t.true(hasVideo(pushed) && hasAudio(pushed));
	t.is(g711Of(pushed), undefined);
	// G.711 from a board's microphone: heard by WebRTC viewers, not cloud storage's (AAC only)
	const [law] = parse([{ firmware: { audio: "pcma" } }]).channels;
	t.deepEqual(law.firmware, { audio: "pcma" });
	t.false(hasAudio(law));
	t.is(g711Of(law), "pcma");
	t.is(g711Of(parse([{ video: "v.h264", g711: "p.s16" }]).channels[0]), "pcmu");
	const [silent] = parse([{ firmware: {} }]).channels;
	t.true(hasVideo(silent));
	t.false(hasAudio(silent));
	t.is(silent.codec, "h264");
	const [plain] = parse([{ video: "v.h264" }]).channels;
	t.is(plain.firmware, undefined);
	t.true(hasVideo(plain));
	t.false(hasAudio(plain));
});

test("a firmware channel with files, or a malformed firmware field, is refused with the field named", (t) => {
	const refused = (channels: unknown[], text: RegExp) => t.throws(() => parse(channels), { instanceOf: DeviceFileError, message: text });
	refused([{ firmware: true }], /channels\[0\]\.firmware must be an object/);
	refused([{ firmware: { audio: "yes" } }], /firmware\.audio must be true, false, "aac", "pcmu" or "pcma"/);
	refused([{ firmware: { video: true } }], /firmware: unknown field "video"/);
	refused([{ firmware: {}, video: "v.h264" }], /"video" does not go with "firmware"/);
	refused([{ firmware: {}, fps: 25 }], /"fps" does not go with "firmware"/);
	refused([{ codec: "h264" }], /neither "video" nor "audio" \(nor "device", nor "firmware"\)/);
});

const EYE = { pwdn: -1, reset: -1, xclk: 15, sda: 4, scl: 5, d0: 11, d1: 9, d2: 8, d3: 10, d4: 12, d5: 18, d6: 17, d7: 16, vsync: 6, href: 7, pclk: 13 };

test("a camera channel: a device instead of files, with its size, encoder and pins", (t) => {
	const [camera] = parse([{ device: "camera", width: 320, height: 240, fps: 10, gop: 20, bitrate: 250_000, pins: EYE }]).channels;
	t.like(camera, { device: "camera", width: 320, height: 240, fps: 10, gop: 20, bitrate: 250_000, codec: "h264" });
	t.deepEqual(camera.pins, EYE);
	t.true(hasVideo(camera));
	t.false(hasAudio(camera));
	const [pattern] = parse([{ device: "pattern" }]).channels;
	t.deepEqual(Object.keys(pattern).filter((k) => ["width", "height", "gop", "bitrate", "pins"].includes(k)), []);
	t.is(parse([{ device: "/dev/video0" }]).channels[0].device, "/dev/video0");
});

test("a camera channel's mistakes are refused with the field named", (t) => {
	const refused = (channels: unknown[], message: RegExp) => t.throws(() => parse(channels), { instanceOf: DeviceFileError, message });
	refused([{ device: "" }], /channels\[0\]\.device must be a camera/);
	refused([{ device: "camera", video: "v.h264" }], /"video" does not go with "device"/);
	refused([{ device: "camera", stills: "s" }], /"stills" does not go with "device"/);
	refused([{ device: "camera", codec: "h265" }], /a camera channel is H\.264/);
	refused([{ device: "camera", firmware: {} }], /does not go with "firmware"/);
	refused([{ video: "v.h264", gop: 10 }], /"gop" needs "device"/);
	refused([{ device: "camera", gop: 0 }], /gop must be an integer in 1\.\.255/);
	refused([{ device: "camera", pins: { ...EYE, xclk: undefined } }], /pins\.xclk must be a GPIO number 0\.\.48$/);
	refused([{ device: "camera", pins: { ...EYE, sda: -1 } }], /pins\.sda must be a GPIO number/);
	refused([{ device: "camera", pins: { ...EYE, pwdn: 4 } }], /GPIO 4 is both pwdn and sda/);
	refused([{ device: "camera", pins: { ...EYE, led: 3 } }], /unknown pin "led"/);
});

test("\"ca\" is a PEM file's path or the PEM text itself; https without one, or without a certificate in it, is refused", (t) => {
	const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	const secure = (ca: unknown, readText = (path: string): string => { throw new Error(`no file ${path}`); }) =>
		parseDeviceFile(JSON.stringify({ id: "cam1", secret: "s".repeat(32), cloud: "https://10.0.2.2:8443", ca, channels: [{ video: "v.h264" }] }), readText);
	t.is(secure(pem).ca, pem, "the text itself: nothing read");
	t.is(secure("ca.pem", (path) => (path === "ca.pem" ? pem : "")).ca, pem, "a path: the file's text");
	t.throws(() => secure("ca.pem"), { instanceOf: DeviceFileError, message: /"ca": cannot read ca\.pem \(no file ca\.pem\)/ });
	t.throws(() => secure("-----BEGIN PRIVATE KEY-----\n"), { instanceOf: DeviceFileError, message: /"ca": the text holds no PEM certificate/ });
	t.throws(() => secure(undefined), { instanceOf: DeviceFileError, message: /"ca" is required with https/ });
});

test("a URL's host is an IPv4 address or a DNS name, resolved at each connection; \"dns\" names a board's servers", (t) => {
	const device = (fields: Record<string, unknown>) => parseDeviceFile(JSON.stringify({ id: "cam1", secret: "s".repeat(32), channels: [{ video: "v.h264" }], ...fields }), () => "");
	t.deepEqual(device({ cloud: "http://cloud.example.com:8080" }).cloud, { secure: false, host: "cloud.example.com", port: 8080 });
	t.deepEqual(device({ cloud: "http://localhost:8080/" }).cloud, { secure: false, host: "localhost", port: 8080 });
	t.deepEqual(device({ cloud: "http://10.0.2.2" }).mqtt, { secure: false, host: "10.0.2.2", port: 80 }, "mqtt defaults to the cloud's");
	t.is(device({ cloud: `http://${"a".repeat(63)}.b-c.example` }).cloud.host.length, 75);
	t.deepEqual(device({ cloud: "http://127.0.0.1:8080", dns: ["10.0.2.2", "1.1.1.1"] }).dns, ["10.0.2.2", "1.1.1.1"]);
	t.is(device({ cloud: "http://127.0.0.1:8080" }).dns, undefined);
	const refused = (fields: Record<string, unknown>, message: RegExp) => t.throws(() => device({ cloud: "http://127.0.0.1:8080", ...fields }), { instanceOf: DeviceFileError, message });
	refused({ cloud: "http://10.0.2.256:8080" }, /"cloud": 10\.0\.2\.256 is not an IPv4 address/);
	refused({ cloud: "http://010.0.2.2:8080" }, /is not an IPv4 address/);
	refused({ cloud: "http://cloud_1.example:8080" }, /cloud_1\.example is not a DNS name/);
	refused({ cloud: "http://-cloud.example" }, /is not a DNS name/);
	refused({ cloud: "http://cloud..example" }, /is not a DNS name/);
	refused({ cloud: `http://${"a".repeat(64)}.example` }, /is not a DNS name/);
	refused({ cloud: `http://${Array(64).fill("abc").join(".")}` }, /longer than a DNS name may be/);
	refused({ mqtt: "mqtt://br oker:1883" }, /"mqtt": br oker is not a DNS name/);
	refused({ mqtt: "http://broker:1883" }, /"mqtt" must look like mqtt:\/\/host:port or mqtts:\/\/host:port/);
	refused({ dns: [] }, /"dns" must be a list of 1 to 3 IPv4 addresses/);
	refused({ dns: "10.0.2.2" }, /"dns" must be a list/);
	refused({ dns: ["10.0.2.2", "a", "b", "c"] }, /"dns" must be a list/);
	refused({ dns: ["dns.example"] }, /"dns" must be a list of 1 to 3 IPv4 addresses, got \["dns\.example"\]/);
});
