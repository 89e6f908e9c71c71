// The ESP32's preference limits hold on Linux too: what a board refuses fails here.
import Preference from "preference";
import { attempt } from "./attempt.js";

export default function () {
	const set = (domain, key, value) => () => Preference.set(domain, key, value);
	attempt("key of 15", set("camera", "k".repeat(15), 1));
	attempt("key of 16", set("camera", "k".repeat(16), 1));
	attempt("domain of 15", set("d".repeat(15), "key", 1));
	attempt("domain of 16", set("d".repeat(16), "key", 1));
	attempt("empty key", set("camera", "", 1));
	attempt("string of 3999 bytes", set("camera", "s3999", "x".repeat(3999)));
	attempt("string of 4000 bytes", set("camera", "s4000", "x".repeat(4000)));
	attempt("2000 two-byte characters", set("camera", "utf8", "é".repeat(2000)));
	attempt("ArrayBuffer of 19986", set("camera", "b19986", new ArrayBuffer(19986)));
	attempt("ArrayBuffer of 19987", set("camera", "b19987", new ArrayBuffer(19987)));
	attempt("Uint8Array", set("camera", "view", new Uint8Array(4)));
	attempt("DataView", set("camera", "view", new DataView(new ArrayBuffer(4))));
	attempt("float", set("camera", "float", 1.5));
	attempt("2 ** 31", set("camera", "big", 2 ** 31));
	attempt("-(2 ** 31)", set("camera", "small", -(2 ** 31)));
	attempt("NaN", set("camera", "nan", NaN));
	attempt("null", set("camera", "null", null));
	trace(`read back: ${Preference.get("camera", "s3999").length} ${new Uint8Array(Preference.get("camera", "b19986")).length} ${Preference.get("camera", "small")}\n`);
	trace(`${Preference.keys("camera").sort().join(",")}\n`);
	trace(`${Preference.keys("d".repeat(15)).join(",")}\n`);
}
