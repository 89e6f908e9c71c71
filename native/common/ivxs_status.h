/*
 * Status codes of the native modules: one namespace, one range per module,
 * each module's codes in one table of name + message (plain C, no XS: the
 * cores include it, and so do their tests and the microcontroller build).
 *
 *   -1 … -99     the kit (native/common: arguments, handles, options)
 *   -100 … -199  capture   (IVXS_CAPTURE_E*)
 *   -200 … -299  ring      (IVXS_RING_E*)
 *   -300 … -399  annexb    (IVXS_ANNEXB_E*)
 *   -400 … -499  p2p       (IVXS_P2P_E*)
 *   -500 … -599  the hosts' own modules (IVXS_HOST_E*: files, sockets, TLS, …)
 *   -600 … -699  webrtc    (IVXS_WEBRTC_E*)
 *   -700 … -799  fmp4      (IVXS_FMP4_E*)
 *
 * A code's stable name is its C enumerator, e.g. "IVXS_RING_EREADERS": it is
 * the `code` of the Error a binding throws (ivxs_kit.h), and each module's
 * .js exports the names in a frozen `codes` object. README.md has the table.
 */
#ifndef IVXS_STATUS_H
#define IVXS_STATUS_H

#include <stddef.h>

enum {
	IVXS_STATUS_KIT = 0,          /* each range's base: its codes are base … base - 99 */
	IVXS_STATUS_CAPTURE = -100,
	IVXS_STATUS_RING = -200,
	IVXS_STATUS_ANNEXB = -300,
	IVXS_STATUS_P2P = -400,
	IVXS_STATUS_HOST = -500,
	IVXS_STATUS_WEBRTC = -600,
	IVXS_STATUS_FMP4 = -700
};

/* The kit's own codes: what any binding may say of its arguments. */
enum {
	IVXS_EARG = -1,        /* bad argument or option: wrong type or out of range */
	IVXS_EHANDLE = -2,     /* not a host object of the expected kind */
	IVXS_ECLOSED = -3,     /* the handle is closed */
	IVXS_ENOMEM = -4,      /* out of memory */
	IVXS_EUNKNOWN = -99    /* a status no table knows (a bug) */
};

/* The hosts' own modules (hosts/linux/src/mod_*.c, hosts/moddable): what
 * their files, sockets, TLS, crypto and preferences report. */
enum {
	IVXS_HOST_ESYSTEM = -501,   /* a system call failed (the message has strerror's text) */
	IVXS_HOST_EREFUSED = -502,  /* connection refused */
	IVXS_HOST_ERESET = -503,    /* connection reset or closed by the peer */
	IVXS_HOST_ETLS = -504,      /* TLS handshake or record failed */
	IVXS_HOST_EVERIFY = -505,   /* the peer's certificate did not verify */
	IVXS_HOST_ECRYPTO = -506,   /* the crypto library failed */
	IVXS_HOST_ECORRUPT = -507,  /* a stored value is corrupt */
	IVXS_HOST_ELIMIT = -508     /* over a limit of the host (watched sockets, file size) */
};

typedef struct {
	int status;
	const char *name;      /* the enumerator's name: the stable code */
	const char *message;   /* short, fixed, English */
} ivxs_status_entry;

/* One table row from the enumerator itself, so name and value cannot drift. */
#define IVXS_STATUS(code, message) { code, #code, message }
/* A table ends with this row. */
#define IVXS_STATUS_END { 0, NULL, NULL }

/* The row of `status` in a table, or NULL. */
static inline const ivxs_status_entry *ivxs_status_find(const ivxs_status_entry *table, int status)
{
	for (; table->name; table++)
		if (table->status == status)
			return table;
	return NULL;
}

/* A module's strerror: its table's message, "ok" for 0 and positive counts. */
static inline const char *ivxs_status_message(const ivxs_status_entry *table, int status)
{
	const ivxs_status_entry *entry = ivxs_status_find(table, status);
	if (entry)
		return entry->message;
	return status >= 0 ? "ok" : "unknown error";
}

#endif
