declare module "annexb" {
	/** Triples [startCodeOffset, nalStart, nalEnd) of every NAL unit, or a negative error code. */
	export function scan(bytes: Uint8Array): number[] | number;
	/** Triples [start, end, info] of every access unit (info: IVXS_AU_INFO_* bits), or a negative error code. */
	export function accessUnits(bytes: Uint8Array, codec: "h264" | "h265"): number[] | number;
	/** The `code` of this module's errors, by short name: e.g. codes.EBUSY is its IVXS_<MODULE>_EBUSY (native/common/README.md). */
	export const codes: Readonly<Record<string, string>>;
}
