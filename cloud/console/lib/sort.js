// Camera names in the order people expect: "hd2" before "hd10" (numeric
// collation), case and accents ignored; the id breaks ties.
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

export const compareNames = (a, b) => collator.compare(a, b);

/** Devices ({ id, name }) sorted by their shown name. */
export const byName = (devices) => [...devices].sort((a, b) => compareNames(a.name || a.id, b.name || b.id) || compareNames(a.id, b.id));

/** Devices whose name or id contains `text` (case-insensitive). */
export function matching(devices, text) {
	const needle = text.trim().toLowerCase();
	return needle ? devices.filter((d) => (d.name || "").toLowerCase().includes(needle) || d.id.toLowerCase().includes(needle)) : devices;
}
