declare module "annexb" {
	/** Triples [startCodeOffset, nalStart, nalEnd) of every NAL unit, or a negative error code. */
	export function scan(bytes: Uint8Array): number[] | number;
}
