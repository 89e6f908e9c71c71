// Annex-B rules in C for XS (native/annexb). The media layer installs them with
// useNativeAnnexB({ scan, accessUnits }) from modules/media/annexb.ts.
export function scan(bytes) @ "xs_annexb_scan";
export function accessUnits(bytes, codec) @ "xs_annexb_accessUnits";

// The `code` of the errors this module throws (native/common/README.md): match
// errors by code, never by message. The kit's own (IVXS_EARG, …) are in ivxs/codes.
export const codes = Object.freeze({
	EEMPTY: "IVXS_ANNEXB_EEMPTY",
	ENOSTART: "IVXS_ANNEXB_ENOSTART",
	EGARBAGE: "IVXS_ANNEXB_EGARBAGE",
	EEMPTYNAL: "IVXS_ANNEXB_EEMPTYNAL",
	ETRUNC: "IVXS_ANNEXB_ETRUNC",
	EFORBIDDEN: "IVXS_ANNEXB_EFORBIDDEN",
	EFULL: "IVXS_ANNEXB_EFULL",
	EHEADER: "IVXS_ANNEXB_EHEADER",
	ECODEC: "IVXS_ANNEXB_ECODEC",
});
