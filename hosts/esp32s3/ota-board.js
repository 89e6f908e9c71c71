// ivxs/ota-board — the ESP32-S3's slot record (C in ota_slots.c, NVS): what the boot decided and
// the steps after it, each written to NVS before it returns; and the board's restart.
export function map() @ "xs_ivxs_ota_map";
export function status() @ "xs_ivxs_ota_status";
export function stage(slot, version, deadline) @ "xs_ivxs_ota_stage";
export function confirm() @ "xs_ivxs_ota_confirm";
export function fail(reason) @ "xs_ivxs_ota_fail";
export function restart() @ "xs_ivxs_ota_restart";
