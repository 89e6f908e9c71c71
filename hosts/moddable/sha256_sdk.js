// ivxs/sha256 on mcsim (lin): the SDK's crypt Digest, in the shape hosts/esp32s3/engines/sha256_engine.js
// gives boards (the S3's SHA accelerator).
import { Digest } from "crypt";

export default class Sha256 {
	#digest = new Digest("SHA256");
	write(data) {
		this.#digest.write(data);
	}
	close() {
		const out = this.#digest.close();
		this.#digest.reset();
		return out;
	}
	reset() {
		this.#digest.reset();
	}
}
Object.freeze(Sha256.prototype);
