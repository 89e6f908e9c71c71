// ivxs/sha256 on ESP32-S3 boards: SHA-256 in the chip's accelerator (sha256_engine.c), in the shape
// of the SDK's crypt Digest that modules/app/platform/moddable.ts uses: write(data) (a string as
// UTF-8, an ArrayBuffer or a view), close() → the 32-byte digest as an ArrayBuffer, reset().

function open() @ "xs_ivxs_sha256_open";
function update(digest, data) @ "xs_ivxs_sha256_update";
function finish(digest) @ "xs_ivxs_sha256_finish";
function reset(digest) @ "xs_ivxs_sha256_reset";

export default class Sha256 {
	#digest = open();
	write(data) {
		update(this.#digest, data);
	}
	close() {
		return finish(this.#digest);
	}
	reset() {
		reset(this.#digest);
	}
}
Object.freeze(Sha256.prototype);
