// The assembled recording files of a range (one per `fileMinutes` window,
// 90 min by default, API.md), each under its own name for download.
import { api } from "../lib/api.js";
import { clock, fill, h } from "../lib/dom.js";

const megabytes = (bytes) => `${(bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0)} MB`;

/** Fills `list` with the files overlapping [from, to). */
export async function showFiles(list, id, channel, from, to) {
	let files;
	try {
		files = await api.files(id, channel, from, to);
	}
	catch (error) {
		if (error.status !== 401) fill(list, h("li.empty-row", `Files unavailable: ${error.message}`));
		return;
	}
	fill(list, files.length ? [...files].reverse().map((file) => h("li.row.file-row", { dataset: { name: file.name } },
		h("a.file-name", { href: file.url, download: `${file.name}.mp4`, title: `Download ${clock(file.start, false)} – ${clock(file.end, false)} (MP4)` }, `${file.name}.mp4`),
		h("span.muted", megabytes(file.bytes))))
		: h("li.empty-row", "No finished files in this range (a file is assembled when its window ends)."));
}
