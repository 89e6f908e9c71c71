// Annex-B NAL scanning in C for XS (native/annexb). The media layer installs
// it with useNativeScanner(scan) from modules/media/annexb.ts.
export function scan(bytes) @ "xs_annexb_scan";
