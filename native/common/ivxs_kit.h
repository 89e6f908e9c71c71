/*
 * The binding kit: what every XS binding (native/<module>/mod*.c, the hosts'
 * own modules) needs around its C, written once for the Linux host and
 * Moddable builds alike (xsmc forms only; include xsmc.h first).
 *
 *   - host data validated against the object's own hooks (a forged or
 *     foreign object is a TypeError, never reinterpreted);
 *   - integer, boolean and string arguments and options with range checks;
 *   - errors with a stable `code`: the name of a status (ivxs_status.h),
 *     e.g. err.code === "IVXS_RING_EREADERS". README.md lists the codes.
 *
 * Messages keep the binding's prefix ("ring: invalid timestamp"): `prefix`
 * arguments may be NULL for none.
 */
#ifndef IVXS_KIT_H
#define IVXS_KIT_H

#include "ivxs_status.h"

#include <stddef.h>
#include <stdint.h>

#ifndef __XSMC_H__
#error "include xsmc.h before ivxs_kit.h"
#endif

/* A host object's hooks (the validation key), in xsmc form. */
#ifndef xsmcSetHostHooks
#define xsmcSetHostHooks(_SLOT, _HOOKS) fxSetHostHooks(the, &_SLOT, _HOOKS)
#endif

/* ---- errors with a code ---- */
/* Throws an Error of class `type` (XS_TYPE_ERROR, XS_RANGE_ERROR,
 * XS_UNKNOWN_ERROR for a plain Error) whose `code` is `code`. */
void ivxs_throw(xsMachine *the, int type, const char *code, const char *format, ...)
	__attribute__((format(printf, 4, 5), noreturn));
/* Throws a module's status: "<prefix>: <its message>", code its name (the
 * first table that knows it, else IVXS_EUNKNOWN). `tables` ends with NULL. */
void ivxs_throw_status(xsMachine *the, int type, const char *prefix, int status,
		const ivxs_status_entry *const *tables) __attribute__((noreturn));

/* The name of a status in the first table that knows it, else "IVXS_EUNKNOWN". */
const char *ivxs_status_name(const ivxs_status_entry *const *tables, int status);

/* With a code written as its enumerator, checked by the compiler:
 * ivxs_type_error(IVXS_EARG, "ring: invalid %s", name). */
#define ivxs_code_of(code) ((void)sizeof(code), #code)
#define ivxs_type_error(code, ...) ivxs_throw(the, XS_TYPE_ERROR, ivxs_code_of(code), __VA_ARGS__)
#define ivxs_range_error(code, ...) ivxs_throw(the, XS_RANGE_ERROR, ivxs_code_of(code), __VA_ARGS__)
#define ivxs_error(code, ...) ivxs_throw(the, XS_UNKNOWN_ERROR, ivxs_code_of(code), __VA_ARGS__)

/* ---- host objects as handles ---- */
/* The record behind `slot` if it is a host object made with `hooks`, else
 * NULL (never throws): the object's own hook table is the proof of kind. */
void *ivxs_host_data(xsMachine *the, xsSlot *slot, const xsHostHooks *hooks);
/* Same, but anything else is a TypeError "<prefix>: not a <kind>"
 * (IVXS_EHANDLE). A closed object (its data cleared) gives NULL. */
void *ivxs_handle_get(xsMachine *the, xsSlot *slot, const xsHostHooks *hooks, const char *prefix, const char *kind);
/* Same, but a closed object is an Error "<prefix>: closed" (IVXS_ECLOSED). */
void *ivxs_handle_open(xsMachine *the, xsSlot *slot, const xsHostHooks *hooks, const char *prefix, const char *kind);

/* ---- arguments and options ---- */
#define IVXS_MAX_SAFE_INTEGER 9007199254740991.0   /* 2^53 - 1: every integer below is exact */
/* An integer in [min, max] (|bounds| <= 2^53 - 1), checked before any cast —
 * never a value wrapped modulo 2^32 — or RangeError "<prefix>: invalid <what>"
 * (IVXS_EARG). */
double ivxs_integer(xsMachine *the, xsSlot *slot, double min, double max, const char *prefix, const char *what);
/* A clock argument: milliseconds of any origin (an integer in [0, 2^53 - 1], as ivxs_integer
 * checks it: a clock since boot does not wrap) reduced modulo 2^32 — the cores' u32 clock, whose
 * differences wrap (P2P_SINCE). */
uint32_t ivxs_clock_ms(xsMachine *the, xsSlot *slot, const char *prefix, const char *what);
/* The same for a 32-bit integer, with no prefix (the hosts' own modules). */
static inline int32_t ivxs_to_int(xsMachine *the, xsSlot *slot, int32_t min, int32_t max, const char *what)
{
	return (int32_t)ivxs_integer(the, slot, min, max, NULL, what);
}
/* options[name] into `value` when the property is there and not undefined:
 * 1, else 0. */
int ivxs_option(xsMachine *the, xsSlot *options, const char *name, xsSlot *value);
/* A number option in [min, max], or `fallback` when absent. */
double ivxs_option_number(xsMachine *the, xsSlot *options, const char *name, xsSlot *value,
		double min, double max, double fallback, const char *prefix);
/* An integer option in [min, max], or `fallback` when absent. */
double ivxs_option_integer(xsMachine *the, xsSlot *options, const char *name, xsSlot *value,
		double min, double max, double fallback, const char *prefix);
/* A boolean option (any value, as JS truthiness), or `fallback` when absent. */
int ivxs_option_bool(xsMachine *the, xsSlot *options, const char *name, xsSlot *value, int fallback);
/* A string option copied into buffer (NUL-terminated), or NULL when absent;
 * not a string, or longer than size - 1 bytes: TypeError / RangeError
 * "<prefix>: invalid <name>" (IVXS_EARG). */
const char *ivxs_option_string(xsMachine *the, xsSlot *options, const char *name, xsSlot *value,
		char *buffer, size_t size, const char *prefix);

/* ---- addresses ---- */
/* `length` bytes of dotted-quad IPv4 text ("192.0.2.7": four decimal parts 0 … 255, no leading
 * zeros — what inet_pton takes and what modules/p2p/address.ts writes) into out (network order):
 * 1, or 0 for anything else (out is then unspecified). One parser for every host and module: the
 * platforms' differ on what else they take (octal, short forms). */
int ivxs_parse_ipv4(const char *text, size_t length, uint8_t out[4]);

/* ---- the other wires' peers, taken in C as the link's socket is read ----
 * The native transport reads the camera's UDP socket in C (native/p2p's receive); a datagram that is
 * not its own is offered to the peers another wire takes in C (WebRTC's feeds: their viewer's
 * SRTCP) before it goes back to JS. `takers`: an Array of Arrays (a wire's peers each), a peer an
 * Array whose first element is a host object made with a registered taker's hooks — the proof of
 * kind: nothing else is called. */
/* xsVar slots a take may use, from the `var` it is given on (the caller declares them). */
#define IVXS_LINK_TAKE_VARS 12
typedef struct {
	const xsHostHooks *hooks;   /* its peers' first elements are host objects made with these */
	/* 1 when the datagram (`length` bytes at `data`, read from `socket`; `from`: IPv4 address and
	 * port, network order) is the peer's own and was handled (what it provoked contained, never
	 * thrown); 0 when it is not, having allocated nothing. Runs no JS; `data` lies in a JS buffer:
	 * copied before anything allocates. */
	int (*take)(xsMachine *the, xsSlot *peer, xsSlot *socket, const uint8_t from[6], const uint8_t *data, size_t length,
		uint32_t now, int var);
} ivxs_link_taker;
/* A kind of peer ivxs_link_take may call (static storage; again: nothing more). At most 4 kinds. */
void ivxs_link_taker_add(const ivxs_link_taker *taker);
/* Offers the datagram to every peer of `takers` until one takes it: 1 taken, 0 not (then it is
 * the caller's). Uses xsVar(var) and IVXS_LINK_TAKE_VARS + 2 slots after. */
int ivxs_link_take(xsMachine *the, xsSlot *takers, xsSlot *socket, const uint8_t from[6], const uint8_t *data, size_t length,
	uint32_t now, int var);

/* The kit's and the hosts' codes (IVXS_E*, IVXS_HOST_E*). */
extern const ivxs_status_entry ivxs_kit_statuses[];

#endif
