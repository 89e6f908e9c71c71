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

/* readRtcp's answer (webrtc.js RtcpGot): what the viewer's RTCP held. */
enum {
	IVXS_RTCP_GOT_KEY_FRAME = 1,
	IVXS_RTCP_GOT_REPORT = 2
};
/* feedsFed's answer (webrtc.js FeedsFed): what the socket's read in C did for the feeds. */
enum {
	IVXS_FEEDS_FED_FEEDBACK = 1,   /* a feed read its viewer's feedback: the feeds' turn */
	IVXS_FEEDS_FED_FAILED = 2      /* a feed's read failed: its error in its entry */
};
/* The viewer's SRTCP packets read in any second at most (each costs an HMAC), a burst of as many:
 * a browser sends a few a second (its receiver reports, TWCC feedback, NACKs, PLIs); past this they
 * are dropped unread and counted. */
#define IVXS_WEBRTC_RTCP_PER_SECOND 50

/* A feed's entry as tickFeeds and readRtcp take it (RtpFeed.entry()): [feed, srtp, cc, path,
 * sendUntil, error, fromViewer]. */
#define IVXS_WEBRTC_FEED_ENTRY_FEED 0
#define IVXS_WEBRTC_FEED_ENTRY_SRTP 1
#define IVXS_WEBRTC_FEED_ENTRY_CC 2
#define IVXS_WEBRTC_FEED_ENTRY_PATH 3
#define IVXS_WEBRTC_FEED_SEND_UNTIL 4
#define IVXS_WEBRTC_FEED_ERROR 5
#define IVXS_WEBRTC_FEED_ENTRY_FROM 6

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
