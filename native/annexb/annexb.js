// Annex-B rules in C for XS (native/annexb). The media layer installs them with
// useNativeAnnexB({ scan, accessUnits }) from modules/media/annexb.ts.
export function scan(bytes) @ "xs_annexb_scan";
export function accessUnits(bytes, codec) @ "xs_annexb_accessUnits";
