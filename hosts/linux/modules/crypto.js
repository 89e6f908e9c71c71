// ivxs/crypto — SHA-256 and HMAC-SHA256 (and TURN's HMAC-SHA1 and MD5) in C (mbedTLS; hosts/linux/src/mod_crypto.c).
// update() takes a string (UTF-8), a buffer or a scatter list (an array of them, hashed view
// by view: ring frames are never copied); digest() returns the 32 bytes as an ArrayBuffer and
// starts over. On Moddable builds use the SDK's crypt module instead (modules/net/README.md).
function create(algorithm, key) @ "xs_crypto_create";
function update(context, data) @ "xs_crypto_update";
function finish(context) @ "xs_crypto_finish";
function close(context) @ "xs_crypto_close";
// ecdsaP256Verify(publicKey 65 bytes, sha256 digest 32 bytes, signature r || s 64 bytes) -> boolean
export function ecdsaP256Verify(publicKey, digest, signature) @ "xs_crypto_ecdsa_p256_verify";

function feed(context, data) {
	if (Array.isArray(data)) {
		for (let i = 0; i < data.length; i++) update(context, data[i]);   // (indexed: an iterator is an object per call on XS)
	}
	else
		update(context, data);
}

// A native context: update() any number of times, digest() (which starts over), close().
class Context {
	#context;
	constructor(context) {
		this.#context = context;
	}
	update(data) {
		feed(this.#context, data);
		return this;
	}
	digest() {
		return finish(this.#context);
	}
	close() {
		close(this.#context);
	}
}
Object.freeze(Context.prototype);

export class Digest extends Context {
	constructor(algorithm = "SHA256") {
		super(create(algorithm));
	}
}
Object.freeze(Digest.prototype);

export class HMAC extends Context {
	constructor(key, algorithm = "SHA256") {
		if (key === undefined) throw new TypeError("HMAC needs a key");
		super(create(algorithm, key));
	}
}
Object.freeze(HMAC.prototype);

export function sha256(data) {
	const digest = new Digest();
	try {
		return digest.update(data).digest();
	}
	finally {
		digest.close();
	}
}

export function hmacSha256(key, data) {
	return hmacWith("SHA256", key, data);
}

// TURN's long-term credentials (RFC 8489 §9.2) fix these two.
export function hmacSha1(key, data) {
	return hmacWith("SHA1", key, data);
}

export function md5(data) {
	const digest = new Digest("MD5");
	try {
		return digest.update(data).digest();
	}
	finally {
		digest.close();
	}
}

function hmacWith(algorithm, key, data) {
	const hmac = new HMAC(key, algorithm);
	try {
		return hmac.update(data).digest();
	}
	finally {
		hmac.close();
	}
}
