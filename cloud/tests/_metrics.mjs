// Reading a /metrics text (Prometheus exposition): for the cluster tests and the
// cloud_multi benchmark (which cannot import the ava-bound helpers). Import as "./_metrics.mjs".

/** The sum in a /metrics text of the counter `name` over its label sets (those containing `labels`, e.g. 'kind="segments"'). */
export function counterIn(text, name, labels = "") {
	let sum = 0;
	for (const match of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? ([\\d.e+]+)$`, "gm"))) if ((match[1] ?? "").includes(labels)) sum += Number(match[2]);
	return sum;
}
