/**
 * Errors of the network layer: one base class with `name`, `code` and `cause`, one subclass per
 * kind of failure, so callers decide on the class (retry a reset, not a refused signature) and
 * logs say what happened in one line.
 */

export class NetError extends Error {
	/** A short stable word for logs and metrics: "refused", "reset", "timeout", … */
	readonly code: string;
	// Names are fields, not assignments (here and in every error class): Moddable builds
	// freeze Error.prototype, and assigning over its read-only `name` throws there.
	override name = "NetError";
	constructor(code: string, message: string, cause?: unknown) {
		super(message);
		this.code = code;
		if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
	}
}

/** Nobody listens at the address (TCP RST to the SYN). */
export class ConnectionRefusedError extends NetError {
	override name = "ConnectionRefusedError";
	constructor(message: string, cause?: unknown) {
		super("refused", message, cause);
	}
}

/** The peer reset or closed the connection before the exchange was complete. */
export class ConnectionResetError extends NetError {
	override name = "ConnectionResetError";
	constructor(message: string, cause?: unknown) {
		super("reset", message, cause);
	}
}

/** A DNS name did not resolve to an IPv4 address (no such name, no answer, no resolver). */
export class ResolveError extends NetError {
	override name = "ResolveError";
	constructor(message: string, cause?: unknown) {
		super("dns", message, cause);
	}
}

/** Connecting, or waiting for the peer, took longer than allowed. */
export class TimeoutError extends NetError {
	/** "connect" | "idle" | "keepalive" — which timer fired. */
	readonly phase: string;
	override name = "TimeoutError";
	constructor(phase: string, message: string) {
		super("timeout", message);
		this.phase = phase;
	}
}

/** The peer sent bytes that break the protocol (a malformed status line, a bad chunk size, …). */
export class ProtocolError extends NetError {
	override name = "ProtocolError";
	constructor(message: string) {
		super("protocol", message);
	}
}

/** Something exceeded a configured limit (header bytes, body bytes, packet size). */
export class LimitError extends NetError {
	override name = "LimitError";
	constructor(message: string) {
		super("limit", message);
	}
}

/** The operation was cancelled by the caller (close(), abort(), a failed check of the data). */
export class AbortedError extends NetError {
	override name = "AbortedError";
	constructor(message: string) {
		super("aborted", message);
	}
}

/** A send's views changed while the socket read them (its `sent` check failed): the connection is
 * dropped so the peer never takes the bytes for whole. For views of a ring a writer may overwrite. */
export class ChangedError extends AbortedError {
	override name = "ChangedError";
}

/** The TLS handshake or session failed: above all, a server certificate that does not verify. */
export class TlsError extends NetError {
	override name = "TlsError";
	constructor(message: string, cause?: unknown) {
		super("tls", message, cause);
	}
}

/** Another socket-level failure (unreachable network, …): the socket's own message is kept. */
export class SocketError extends NetError {
	override name = "SocketError";
	constructor(message: string, cause?: unknown) {
		super("socket", message, cause);
	}
}

