/*
 * What the WebRTC module's bindings share (modwebrtc.c, modsrtp.c, modcc.c, moddtls.c, modrtpwire.c): the host objects one
 * binding makes and another takes as an argument (validated against these hooks at every call),
 * the module's memory counter and its status tables.
 */
#ifndef IVXS_MODWEBRTC_H
#define IVXS_MODWEBRTC_H

#include "xsmc.h"
#include "ivxs_kit.h"
#include "ivxs_host.h"
#include "twcc.h"

/* A viewer session's transport-wide congestion control: its wires number their packets for it
 * and the viewer's feedback drives it (the calls that use it take it as an argument: no host
 * object keeps a pointer to another). */
typedef struct {
	ivxs_twcc twcc;
	uint8_t id;                  /* the header extension's id the SDP agreed */
} CcRecord;

extern const xsHostHooks kWebrtcSrtpHooks;   /* an Srtp's: its data an ivxs_srtp */
extern const xsHostHooks kWebrtcCcHooks;     /* a TransportCc's: its data a CcRecord */
extern ivxs_mem_counter gWebrtcMemory;
extern const ivxs_status_entry *const kWebrtcTables[];

/* The bytes of an ArrayBuffer argument (at most `cap`), copied out: their length (1 to cap, else a
 * RangeError naming `what`); exactly `size` of them. */
size_t ivxs_webrtc_copy_arg(xsMachine *the, xsSlot *slot, uint8_t *out, size_t cap, const char *what);
void ivxs_webrtc_bytes_arg(xsMachine *the, xsSlot *slot, uint8_t *out, size_t size, const char *what);
/* Argument `i`: a TransportCc's host object, or undefined (NULL). */
CcRecord *ivxs_webrtc_cc_arg(xsMachine *the, int i);

#endif
