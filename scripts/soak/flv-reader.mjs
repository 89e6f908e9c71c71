// The soak's HTTP-FLV viewer: a Node client reading /v1/live/<device>/0.flv, connecting again
// when the answer ends or goes quiet for 15 s. `stall(ms)` stops reading (the socket fills, the
// cloud must hold back) and then reads on.
const QUIET_MS = 15_000;

export class FlvReader {
	#o;
	#stopping = false;
	#stalledUntil = 0;
	#abort;
	bytes = 0;
	connects = 0;

	constructor({ cloudUrl, device, session }) {
		this.#o = { cloudUrl, device, session };
	}

	start() {
		this.#loop();
	}

	/** A player that stops reading for `ms`. */
	stall(ms) {
		this.#stalledUntil = Date.now() + ms;
	}

	async #loop() {
		while (!this.#stopping) {
			try {
				await this.#once();
			}
			catch {}
			if (!this.#stopping) await new Promise((resolve) => setTimeout(resolve, 1000));
		}
	}

	async #once() {
		const { cloudUrl, device, session } = this.#o;
		this.#abort = new AbortController();
		let last = Date.now();
		const quiet = setInterval(() => {
			if (Date.now() - last > QUIET_MS && Date.now() > this.#stalledUntil) this.#abort.abort();
		}, 1000);
		try {
			const res = await fetch(`${cloudUrl}/v1/live/${device}/0.flv`, { headers: { cookie: await session.cookie() }, signal: this.#abort.signal });
			if (res.status === 401) await session.cookie(true);
			if (res.status !== 200) return;
			this.connects++;
			const reader = res.body.getReader();
			for (;;) {
				while (Date.now() < this.#stalledUntil && !this.#stopping) {
					await new Promise((resolve) => setTimeout(resolve, 200));
					last = Date.now();   // a stall of ours is not the cloud going quiet
				}
				const { done, value } = await reader.read();
				if (done) return;
				this.bytes += value.length;
				last = Date.now();
			}
		}
		finally {
			clearInterval(quiet);
		}
	}

	stop() {
		this.#stopping = true;
		this.#abort?.abort();
	}
}
