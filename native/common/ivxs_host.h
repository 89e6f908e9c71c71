/*
 * What native modules may ask of the host they run in. Two implementations:
 * hosts/linux/src (the headless Linux host) and hosts/moddable (Moddable SDK
 * builds: ESP32-S3, mcsim).
 *
 * Only the VM thread calls into XS: other threads hand work over with
 * ivxs_loop_post(), which never blocks.
 */
#ifndef IVXS_HOST_API_H
#define IVXS_HOST_API_H

#include <stddef.h>
#include <stdint.h>

/* ---- memory accounting: bytes each native module holds ---- */
/* A module registers a counter once (static storage) and adds/subtracts. */
typedef struct ivxs_mem_counter {
	const char *name;
	int64_t bytes;
	int64_t peak;
	struct ivxs_mem_counter *next;
} ivxs_mem_counter;
void ivxs_mem_register(ivxs_mem_counter *counter);
void ivxs_mem_add(ivxs_mem_counter *counter, int64_t delta);
/* Walks the registered counters (for reports). */
ivxs_mem_counter *ivxs_mem_first(void);

/* From any thread: run callback(ctx) on the VM thread soon. Never blocks;
 * returns -1 if it could not be queued (the caller coalesces and retries). */
typedef void (*ivxs_post_callback)(void *ctx);
int ivxs_loop_post(ivxs_post_callback callback, void *ctx);
/* Keeps the loop alive while something outside JS may still post. */
void ivxs_loop_hold(int delta);

#if defined(__XSMC_H__) || defined(__XS__)
/* The VM's machine (VM thread only). A binding calls ivxs_host_attach(the)
 * in its constructor so hosts that can't know the machine learn it. */
xsMachine *ivxs_the(void);
void ivxs_host_attach(xsMachine *the);
/* Inside xsCatch: prints the exception with file:line and stops the app
 * with exit code 1 (an uncaught exception in a callback is fatal). */
void ivxs_uncaught(xsMachine *the);
#endif

#ifdef __XSMC_H__
/* ---- a datagram from C to the host's UDP socket ----
 * For a native module that sends many datagrams itself (native/p2p: each packet to a viewer):
 * `socket` is the host object of an embedded:io/socket/udp socket (its `native`: each host's
 * udp.js). Validated against the socket's hooks at every call (nothing is kept between calls);
 * address: IPv4, 4 bytes in network order; port: host order. 0 sent, -1 refused by the system (a
 * lost datagram, as the socket's write counts one), IVXS_UDP_NO_SOCKET when `socket` is not an
 * open socket of this host. Runs no JS. */
#define IVXS_UDP_NO_SOCKET (-2)
int ivxs_udp_send(xsMachine *the, xsSlot *socket, const uint8_t address[4], uint16_t port, const void *data, size_t size);
/* The next datagram the socket holds, into data (at most capacity bytes; a longer one is cut and
 * its whole length returned), its source into from (IPv4 address, then port: 6 bytes, network
 * order), for a native module that reads what it can take itself (native/p2p: the packets of the
 * viewers it sends to straight). Its length, -1 when none waits, IVXS_UDP_NO_SOCKET as above; a
 * system error is thrown as the socket's own read throws it. Runs no JS. */
int ivxs_udp_receive(xsMachine *the, xsSlot *socket, void *data, size_t capacity, uint8_t from[6]);

/* object[name] = value (a number), with scratch as the temporary slot. */
#define ivxs_set_number(object, name, value, scratch) \
	(xsmcSetNumber(scratch, (double)(value)), xsmcSet(object, xsID(name), scratch))
#endif

#endif
