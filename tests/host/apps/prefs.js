import Preference from "preference";
import { argv } from "ivxs/host";
export default function () {
	const [mode] = argv();
	if (mode === "write") {
		Preference.set("camera", "name", "porch");
		Preference.set("camera", "fps", 25);
		Preference.set("camera", "enabled", true);
		Preference.set("camera", "blob", new Uint8Array([1, 2, 3]).buffer);
		Preference.set("camera", "gone", 1);
		Preference.delete("camera", "gone");
		Preference.delete("camera", "gone");
		try { Preference.set("camera", "../evil", 1); } catch (e) { trace(`${e.name}: ${e.message}\n`); }
		try { Preference.set("camera", "x", {}); } catch (e) { trace(`${e.name}: ${e.message}\n`); }
		trace("written\n");
	}
	else {
		const blob = Preference.get("camera", "blob");
		trace(`${Preference.get("camera", "name")} ${Preference.get("camera", "fps")} ${Preference.get("camera", "enabled")} [${new Uint8Array(blob)}] ${Preference.get("camera", "gone")}\n`);
		trace(Preference.keys("camera").sort().join(",") + "\n");
	}
}
