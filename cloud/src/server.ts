// One service instance: opens the metadata and the object store, installs the
// parts (each adds its routes, tables and periodic work), and listens on one
// port. In the embedded mode the same port also carries MQTT: the first byte
// of a connection tells them apart (0x10 is an MQTT CONNECT; HTTP starts with
// a method name), so a newcomer has one address to open and to configure.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createSecureContext, TLSSocket } from "node:tls";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { constants as cryptoConstants, randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { pino, type Logger } from "pino";
import { trustedOrigins, type Config } from "./config.js";
import type { CloudCallers, CloudContext, SegmentEventMap } from "./context.js";
import { metadataOf, openSql } from "./meta/open-sql.js";
import { Router } from "./http/router.js";
import { answerTimer } from "./http/answer-time.js";
import { Metrics } from "./ops/metrics.js";
import { openObjectStore } from "./storage/open.js";
import { parts } from "./parts.js";
import { checkAccess } from "./access.js";
import { ClientAddresses } from "./net/client-address.js";
import { ConnectionGuard } from "./net/connection-guard.js";

export interface Cloud {
	readonly ctx: CloudContext;
	/** The bound address, e.g. http://127.0.0.1:8080 */
	readonly url: string;
	readonly port: number;
	stop(): Promise<void>;
}

export async function startCloud(config: Config, log: Logger = pino({ level: config.logLevel })): Promise<Cloud> {
	const stopTasks: (() => Promise<void> | void)[] = [];
	const timers: NodeJS.Timeout[] = [];
	const sql = await openSql(metadataOf(config), { durable: config.durableWrites });
	stopTasks.push(() => sql.close());
	const store = await openObjectStore(config);
	stopTasks.push(() => store.close());
	// Every route's access rule is checked before its handler (access.ts).
	const router = new Router<CloudCallers>((req, url, params, access) => checkAccess(ctx, req, url, params, access), { allowedOrigins: trustedOrigins(config) });
	// Every blocked live playlist listens: no cap on listeners.
	const segmentEvents = new EventEmitter<SegmentEventMap>().setMaxListeners(0);
	const addresses = new ClientAddresses(config.trustedProxies);
	const ctx: CloudContext = {
		config, log, sql, store, router, metrics: new Metrics(), segmentEvents, instanceId: randomBytes(6).toString("hex"), addresses,
		onStop: (task) => void stopTasks.push(task),
		every: (ms, task) => {
			let running = false;
			const timer = setInterval(async () => {
				if (running) return;
				running = true;
				try {
					await task();
				}
				catch (error) {
					log.error({ err: error }, "periodic task failed");
				}
				finally {
					running = false;
				}
			}, ms);
			timer.unref();
			timers.push(timer);
		},
	};
	const requests = new InFlight();
	const guard = new ConnectionGuard({
		maxConnections: config.maxConnections, maxConnectionsPerAddress: config.maxConnectionsPerAddress,
		firstByteMs: config.firstByteTimeoutS * 1000, headMs: config.headTimeoutS * 1000,
		minBytesPerS: config.minBytesPerS, rateWindowMs: config.rateWindowS * 1000,
	}, addresses, ctx.metrics, log);
	stopTasks.push(() => guard.close());
	// Node's header and request timeouts do not run here (see net/connection-guard.ts).
	const http = createHttpServer({ keepAliveTimeout: 65_000 }, (req, res) => {
		guard.request(req, res);
		requests.add(res);
		// Draining: no keep-alive, so each connection ends with its last answer.
		if (requests.draining) res.setHeader("connection", "close");
		serve(ctx, req, res);
	});
	// The HTTP server never listens itself (the front socket hands it connections), so
	// it does not track them: closeIdle/AllConnections would miss keep-alive sockets.
	const connections = new HttpConnections();
	const front = listenFront(ctx, http, connections, guard);
	try {
		for (const part of parts) await part.install(ctx);
		await new Promise<void>((resolve, reject) => {
			front.once("error", reject);
			front.listen(config.port, config.host, () => resolve());
		});
	}
	catch (error) {
		await runStop(stopTasks, log);
		throw error;
	}
	const address = front.address();
	const port = typeof address === "object" && address ? address.port : config.port;
	const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
	const url = `${config.tlsCert ? "https" : "http"}://${shownHost}:${port}`;
	log.info({ url, instance: ctx.instanceId, storage: store.kind, mqtt: config.mqtt }, "cloud listening");
	let stopping: Promise<void> | undefined;
	return {
		ctx, url, port,
		stop: () => stopping ??= (async () => {
			for (const timer of timers) clearInterval(timer);
			// Stop taking new connections; requests in flight (uploads) get up to
			// shutdownGraceS to finish, then the parts stop (the broker closes, work
			// is abandoned cleanly) and whatever connection is left is cut.
			// Keep-alive sockets stay open meanwhile: one may carry a request whose
			// headers are not parsed yet; requests during the drain are answered with
			// `connection: close`.
			front.close();
			const left = await requests.drain(config.shutdownGraceS * 1000);
			if (left) log.warn({ requests: left, graceS: config.shutdownGraceS }, "shutdown: cutting requests still in flight");
			await runStop(stopTasks, log);
			connections.closeAll();
			log.info({ instance: ctx.instanceId }, "cloud stopped");
		})(),
	};
}

/** Requests being answered; at shutdown, waits until none is left or the grace period is over. */
class InFlight {
	#answering = new Set<ServerResponse>();
	#wake?: () => void;
	draining = false;

	add(res: ServerResponse) {
		this.#answering.add(res);
		res.once("close", () => {
			this.#answering.delete(res);
			this.#wake?.();
		});
	}

	/** Resolves with the number of requests still in flight (0 when all finished in time). */
	async drain(graceMs: number): Promise<number> {
		this.draining = true;
		for (const res of this.#answering) if (!res.headersSent) res.setHeader("connection", "close");
		const until = Date.now() + graceMs;
		while (this.#answering.size > 0 && Date.now() < until) {
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, until - Date.now());
				this.#wake = () => {
					clearTimeout(timer);
					resolve();
				};
			});
			this.#wake = undefined;
		}
		return this.#answering.size;
	}
}

async function runStop(tasks: (() => Promise<void> | void)[], log: Logger) {
	for (const task of tasks.reverse()) {
		try {
			await task();
		}
		catch (error) {
			log.error({ err: error }, "shutdown task failed");
		}
	}
	tasks.length = 0;
}

function serve(ctx: CloudContext, req: IncomingMessage, res: ServerResponse) {
	const answerMs = answerTimer(req, res);
	res.on("finish", () => {
		const ms = Math.round(answerMs());
		ctx.metrics.inc("ivxs_http_requests_total", "HTTP requests answered, by status class", { status: `${Math.floor(res.statusCode / 100)}xx` });
		// 503 (shutting down, storage full at /healthz) and 507 (storage full) are logged once where their condition starts.
		const failed = res.statusCode >= 500 && res.statusCode !== 503 && res.statusCode !== 507;
		if (failed || ms > 1000) ctx.log.warn({ method: req.method, url: req.url?.split("?")[0], status: res.statusCode, ms }, "slow or failed request");
		else ctx.log.debug({ method: req.method, url: req.url?.split("?")[0], status: res.statusCode, ms }, "request");
	});
	void ctx.router.handle(req, res, ctx.log);
}

/** The sockets handed to the HTTP server, cut at the end of a shutdown. */
class HttpConnections {
	#open = new Set<Socket>();

	add(socket: Socket) {
		this.#open.add(socket);
		socket.once("close", () => this.#open.delete(socket));
	}

	closeAll() {
		for (const socket of this.#open) socket.destroy();
	}
}

/**
 * The listening socket: every connection is admitted (or closed at once) by the guard, wrapped in
 * TLS when the service has a certificate, and sniffed: MQTT to the embedded broker, the rest to HTTP.
 */
function listenFront(ctx: CloudContext, http: Server, connections: HttpConnections, guard: ConnectionGuard): NetServer {
	const dispatch = (raw: Socket, socket: Socket) => {
		socket.once("readable", () => {
			const first: Buffer | null = socket.read(1);
			if (!first) {
				if (!socket.readableEnded) dispatch(raw, socket);
				return;
			}
			socket.unshift(first);
			const mqtt = first[0] === 0x10 && ctx.mqttSocket;
			guard.sniffed(raw, socket, mqtt ? "mqtt" : "http");
			if (mqtt) ctx.mqttSocket!(socket);
			else {
				connections.add(socket);
				http.emit("connection", socket);
			}
		});
	};
	const { tlsCert, tlsKey } = ctx.config;
	// ChaCha20-Poly1305 for the clients that list it first (cameras without AES and GHASH in hardware:
	// an ESP32-S3 pays several times more a byte for AES-GCM), the server's order for the rest
	const secureContext = tlsCert && tlsKey ? createSecureContext({ cert: readFileSync(tlsCert), key: readFileSync(tlsKey), secureOptions: cryptoConstants.SSL_OP_PRIORITIZE_CHACHA }) : undefined;
	return createNetServer({ pauseOnConnect: false }, (raw) => {
		raw.on("error", () => raw.destroy());
		if (!guard.admit(raw)) return;
		if (!secureContext) return dispatch(raw, raw);
		const tls = new TLSSocket(raw, { isServer: true, secureContext });
		tls.on("error", (error) => {
			ctx.log.debug({ err: error }, "TLS connection failed");
			tls.destroy();
		});
		tls.once("secure", () => dispatch(raw, tls));
	});
}
