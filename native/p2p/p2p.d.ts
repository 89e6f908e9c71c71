declare module "p2p" {
	export const VERSION: 1;
	export const MTU: 1200;
	export const TICKET_BYTES: 76;
	export const PSK_BYTES: 32;
	export const MAX_COMMAND: 16384;
	export const TICKET_LABEL: string;
	export const PSK_LABEL: string;
	export const Rights: Readonly<{ live: 1; playback: 2; talk: 4; command: 8 }>;
	export const Channel: Readonly<{ command: 0; media: 1; voice: 2 }>;
	export const Event: Readonly<{ connected: 1; closed: 2; addrChanged: 3; watermarkLow: 4; watermarkWarn: 5; watermarkHigh: 6 }>;
	export const Status: Readonly<Record<string, number>>;
}
