/*
 * embedded:io/socket/udp on Moddable builds: the binding (udp_socket.c, every platform) over a platform's
 * datagram socket (udp_lin.c: POSIX, mcsim; hosts/esp32s3/udp_lwip.c: lwIP). IPv4 only, as the
 * SDK's. Addresses and ports cross this interface in network order.
 */
#ifndef IVXS_UDP_H
#define IVXS_UDP_H

#include <stddef.h>
#include <stdint.h>

typedef struct ivxs_udp_socket ivxs_udp_socket;   /* the binding's record */
typedef struct ivxs_udp_platform ivxs_udp_platform; /* the platform's */

/* ---- the platform's, all on the VM thread ---- */
/* A bound socket (address 0: every address; port 0: any), or NULL with *why set. Readiness is
 * reported with ivxs_udp_ready(socket, …) on the VM thread, never from inside these calls. */
ivxs_udp_platform *ivxs_udp_platform_open(ivxs_udp_socket *owner, uint32_t address, uint16_t port, const char **why);
/* No ivxs_udp_ready after this; the platform frees what it holds (now, or once a wake-up under
 * way has arrived). */
void ivxs_udp_platform_close(ivxs_udp_platform *platform);
uint16_t ivxs_udp_platform_port(ivxs_udp_platform *platform);
/* The next datagram into data (at most capacity bytes), its source in *address and *port: its
 * whole length (past capacity: cut), or -1 when none waits. */
int ivxs_udp_platform_take(ivxs_udp_platform *platform, void *data, size_t capacity, uint32_t *address, uint16_t *port);
/* 0, or -1 when the system refused the datagram (the binding throws: ECMA-419's write). */
int ivxs_udp_platform_send(ivxs_udp_platform *platform, const void *data, size_t size, uint32_t address, uint16_t port);
/* The socket's pending error as text, or NULL (and clears it). */
const char *ivxs_udp_platform_error(ivxs_udp_platform *platform);

/* ---- the binding's, for the platform ---- */
#define IVXS_UDP_READABLE 1
#define IVXS_UDP_ERROR 4
/* On the VM thread: calls the socket's JS callback with mask (readable, error). */
void ivxs_udp_ready(ivxs_udp_socket *socket, int mask);

#endif
