// ivxs/ota-host — the OTA slot record of the Linux host (hosts/linux/src/ota.c owns its rules;
// modules/ota drives it). status() → the record; stage(slot, version, deadlineSeconds) makes a
// written and verified slot the next boot's trial (stage("") takes it back); confirm() keeps
// this trial boot's slot; fail(reason) rolls the record back at once.
export function status() @ "xs_ota_status";
export function stage(slot, version, deadline) @ "xs_ota_stage";
export function confirm() @ "xs_ota_confirm";
export function fail(reason) @ "xs_ota_fail";
