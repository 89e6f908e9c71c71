// ivxs/host — services of the headless Linux host (memory accounting, log,
// exit, argv). The ESP32-S3 build maps the same names onto Moddable modules.
export function memory() @ "xs_host_memory";
export function report(why) @ "xs_host_report";
export function exit(code) @ "xs_host_exit";
export function argv() @ "xs_host_argv";
export function nowMicroseconds() @ "xs_host_now_us";
export function collectGarbage() @ "xs_host_gc";
// abi(): the host ABI, 16 hex digits (OTA bundles name it: modules/ota/FORMAT.md)
export function abi() @ "xs_host_abi";
export function addresses() @ "xs_host_addresses";
function write(level, message) @ "xs_host_log";
function currentLevel() @ "xs_host_log_level";
export const log = Object.freeze({
	error(message) { write(0, String(message)); },
	warn(message) { write(1, String(message)); },
	info(message) { write(2, String(message)); },
	debug(message) { if (currentLevel() >= 3) write(3, String(message)); },
});
