// Prometheus metrics without a dependency: counters and gauges with labels,
// rendered in the text exposition format (version 0.0.4) at GET /metrics.
type Labels = Record<string, string | number>;

interface Family {
	name: string;
	help: string;
	type: "counter" | "gauge";
	values: Map<string, number>;
	collect?: () => number;
	read?: () => Promise<number>;
}

const labelText = (labels: Labels) => {
	const keys = Object.keys(labels).sort();
	return keys.length ? `{${keys.map((k) => `${k}="${String(labels[k]).replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`))}"`).join(",")}}` : "";
};

export class Metrics {
	#families = new Map<string, Family>();

	#family(name: string, help: string, type: Family["type"]): Family {
		let family = this.#families.get(name);
		if (!family) this.#families.set(name, family = { name, help, type, values: new Map() });
		return family;
	}

	/** Adds `by` (default 1) to a counter. */
	inc(name: string, help: string, labels: Labels = {}, by = 1): void {
		const family = this.#family(name, help, "counter");
		const key = labelText(labels);
		family.values.set(key, (family.values.get(key) ?? 0) + by);
	}

	set(name: string, help: string, value: number, labels: Labels = {}): void {
		this.#family(name, help, "gauge").values.set(labelText(labels), value);
	}

	/** A gauge read when scraped. */
	gauge(name: string, help: string, collect: () => number): void {
		this.#family(name, help, "gauge").collect = collect;
	}

	/**
	 * A gauge read by a query (the async data layer): `readGauges` reads it, and
	 * GET /metrics awaits that before `render`, which shows the last reading.
	 */
	gaugeAsync(name: string, help: string, read: () => Promise<number>): void {
		this.#family(name, help, "gauge").read = read;
	}

	async readGauges(): Promise<void> {
		await Promise.all([...this.#families.values()].map(async (family) => {
			if (family.read) family.values.set("", await family.read());
		}));
	}

	render(): string {
		let text = "";
		for (const family of this.#families.values()) {
			text += `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n`;
			if (family.collect) text += `${family.name} ${family.collect()}\n`;
			for (const [labels, value] of family.values) text += `${family.name}${labels} ${value}\n`;
		}
		return text;
	}
}
