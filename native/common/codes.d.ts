declare module "ivxs/codes" {
	/** The kit's and the hosts' error codes: `error.code === codes.ECLOSED` ("IVXS_ECLOSED"). */
	export const codes: Readonly<Record<string, string>>;
}
