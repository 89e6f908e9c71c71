/**
 * What a socket's onError reported (or a socket call threw), as one NetError. Decided by the
 * error's `code` — the binding kit's names (native/common/README.md), which the Linux host's
 * sockets give every error they report — with one fallback for errors that carry none.
 * Apart from errors.ts because `ivxs/codes` exists on the XS hosts only, and errors.ts is also
 * imported by the parsers' Node tests.
 */
import { codes } from "ivxs/codes";
import { ConnectionRefusedError, ConnectionResetError, NetError, SocketError, TlsError } from "./errors.js";

export function socketFailure(what: string, error: unknown, connected: boolean): NetError {
	const text = error instanceof Error ? error.message : error === undefined ? "" : String(error);
	const given = (error as { code?: unknown } | undefined)?.code;
	switch (typeof given === "string" ? given : codeOfUncoded(text, connected)) {
	case codes.HOST_EREFUSED: return new ConnectionRefusedError(`${what}: connection refused`, error);
	case codes.HOST_ERESET: return new ConnectionResetError(`${what}: ${text || "connection closed by the peer"}`, error);
	case codes.HOST_ETLS:
	case codes.HOST_EVERIFY: return new TlsError(`${what}: ${text}`, error);
	default: return new SocketError(`${what}: ${text || "socket error"}`, error);
	}
}

/**
 * The code of an error that has none. It exists for the Moddable SDK's sockets, which report a
 * failure to onError with a message or with nothing (ECMA-419 leaves the argument open): the one
 * place where the text of an error is read. Nothing at all after the connection opened is the
 * peer closing it.
 */
function codeOfUncoded(text: string, connected: boolean): string | undefined {
	if (/^TLS /.test(text) && !/reset by peer/.test(text)) return codes.HOST_ETLS;
	if (/refused/i.test(text)) return codes.HOST_EREFUSED;
	if (/reset|disconnected|broken pipe|closed|EOF/i.test(text) || (!text && connected)) return codes.HOST_ERESET;
	return undefined;
}
