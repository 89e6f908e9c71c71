/* The capture binding, for other bindings that hold a capture of their own (the Linux host's
 * firmware feed, hosts/linux/src/mod_firmware.c). */
#ifndef IVXS_MODCAPTURE_H
#define IVXS_MODCAPTURE_H
#include "xsmc.h"
#include "capture.h"
/* A capture's stats as the JS object Capture.stats() returns (capture.d.ts CaptureStats),
 * into *out; *tmp is scratch. */
void ivxs_capture_stats_to_js(xsMachine *the, const ivxs_capture_stats *s, xsSlot *out, xsSlot *tmp);
#endif
