// What makes a body a JPEG we will keep: SOI, a run of well-formed marker
// segments with a frame header (SOF) before the first scan (SOS), and EOI as
// the last two bytes. The entropy-coded data after SOS is not decoded.
export class JpegError extends Error {
	override name = "JpegError";
}

export function checkJpeg(bytes: Uint8Array): void {
	if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new JpegError("not a JPEG: it must start with FF D8 (SOI)");
	if (bytes[bytes.length - 2] !== 0xff || bytes[bytes.length - 1] !== 0xd9) throw new JpegError("JPEG is truncated: it must end with FF D9 (EOI)");
	let at = 2, frame = false;
	for (;;) {
		if (at + 4 > bytes.length) throw new JpegError(`JPEG ends inside its headers at byte ${at}`);
		if (bytes[at] !== 0xff) throw new JpegError(`JPEG marker expected at byte ${at}`);
		let marker = bytes[at + 1];
		while (marker === 0xff && at + 2 < bytes.length) marker = bytes[++at + 1]; // fill bytes
		if (marker === 0xd8 || marker === 0xd9 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x00 || marker === 0x01)
			throw new JpegError(`JPEG has marker FF ${marker.toString(16).toUpperCase()} where a header segment belongs (byte ${at})`);
		const length = (bytes[at + 2] << 8) | bytes[at + 3];
		if (length < 2 || at + 2 + length > bytes.length) throw new JpegError(`JPEG segment FF ${marker.toString(16).toUpperCase()} at byte ${at} runs past the end`);
		if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) frame = true;
		if (marker === 0xda) {
			if (!frame) throw new JpegError("JPEG scan (SOS) before any frame header (SOF)");
			if (at + 2 + length > bytes.length - 2) throw new JpegError("JPEG has no scan data");
			return;
		}
		at += 2 + length;
	}
}
