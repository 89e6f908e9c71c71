/**
 * Wrong use of modules/p2p is a P2pError whose `code` is a name of the native status namespace
 * (native/common/ivxs_status.h): p2p's own (`codes` of "p2p", e.g. IVXS_P2P_ESTATE) or the kit's
 * (ivxs/codes, e.g. IVXS_EHANDLE). Match by code, never by message.
 */
import { codes } from "p2p";
import { codes as kitCodes } from "ivxs/codes";

export class P2pError extends Error {
	readonly code: string;
	override name = "P2pError";
	constructor(code: string, message: string) {
		super(`p2p: ${message}`);
		this.code = code;
	}
}

/** The codes modules/p2p throws, by short name. */
export const P2pCodes = Object.freeze({
	/** a bad argument (a params string, a watermark, an option) */
	EARG: codes.EARG,
	/** not now: before init, after exit, init twice, a channel already open */
	ESTATE: codes.ESTATE,
	/** a command or reply over 16 KiB */
	ETOOBIG: codes.ETOOBIG,
	/** more sessions than the limit (32 on Linux, 4 on a board) */
	EFULL: codes.EFULL,
	/** the ticket does not grant this (live, playback, talk, command) */
	ERIGHTS: codes.ERIGHTS,
	/** not a handle of an open channel */
	EHANDLE: kitCodes.EHANDLE,
	/** the channel or session is closed */
	ECLOSED: kitCodes.ECLOSED,
});
