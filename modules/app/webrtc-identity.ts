/**
 * The camera's DTLS identity for WebRTC (a P-256 key and its self-signed certificate): made once,
 * as P2P first starts (camera.ts), and kept in the device's persistent storage beside its provisioned
 * device file (provisioning.ts) — a viewer's browser sees the same fingerprint every time, and a
 * board pays the key generation once, not per session. Stored as one value (so a key and a
 * certificate from two different runs can never be paired): a 16-bit key length, the key (DER),
 * the certificate (DER).
 */
import { Preference } from "ivxs/platform";
import { DtlsIdentity } from "webrtc";

export type { DtlsIdentity };

const DOMAIN = "ivxs", KEY = "dtls";

function stored(): DtlsIdentity | undefined {
	const value = Preference.get(DOMAIN, KEY);
	if (!(value instanceof ArrayBuffer) || value.byteLength < 3) return undefined;
	const keyBytes = new DataView(value).getUint16(0);
	if (2 + keyBytes >= value.byteLength) return undefined;
	return new DtlsIdentity(value.slice(2, 2 + keyBytes), value.slice(2 + keyBytes));
}

/** The kept identity, or a new one made and kept now (a damaged stored one is replaced, and said so). */
export function dtlsIdentity(log: (message: string) => void): DtlsIdentity {
	try {
		const identity = stored();
		if (identity) return identity;
	}
	catch (error) {
		log(`webrtc: the stored DTLS identity does not open (${(error as Error).message}): making a new one`);
	}
	const { key, certificate } = DtlsIdentity.create();
	const value = new Uint8Array(2 + key.byteLength + certificate.byteLength);
	new DataView(value.buffer).setUint16(0, key.byteLength);
	value.set(new Uint8Array(key), 2);
	value.set(new Uint8Array(certificate), 2 + key.byteLength);
	Preference.set(DOMAIN, KEY, value.buffer);
	log("webrtc: made this camera's DTLS identity (P-256) and kept it");
	return new DtlsIdentity(key, certificate);
}
