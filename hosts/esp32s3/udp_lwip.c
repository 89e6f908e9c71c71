/*
 * hosts/moddable/udp_socket.h on ESP32 boards: lwIP's raw UDP API. lwIP hands each datagram to
 * udpReceive on its own thread as a pbuf; up to kHeld of them wait here, in a fixed queue, for the
 * VM thread (past that a datagram is dropped and counted, as a full socket buffer drops it: the
 * transport's retransmission covers it). Nothing is allocated per datagram on this side: no
 * record per packet (the SDK's lwip socket mallocs one, and queues without a bound), and the
 * wake-up is ivxs_loop_post's fixed slots.
 *
 * Written against lwIP 2.1's raw API and the SDK's modLwipSafe.h (the same calls the SDK's socket
 * makes from the VM thread); run in the emulated S3 (`npm run board -- test`, `bench board_s3`).
 */
#include "xsmc.h"
#include "xsHost.h"
#include "ivxs_host.h"
#include "udp_socket.h"

#include "lwip/pbuf.h"
#include "lwip/udp.h"
#include "modLwipSafe.h"
#include "freertos/FreeRTOS.h"

#include <stdlib.h>
#include <string.h>

#define kHeld 16   /* a power of 2: at 4 viewers' ~440 datagrams a second, ~36 ms of them */

typedef struct {
	struct pbuf *p;
	uint32_t address;   /* network order */
	uint16_t port;      /* network order */
} Held;

struct ivxs_udp_platform {
	struct udp_pcb *pcb;
	ivxs_udp_socket *socket;
	Held held[kHeld];
	uint32_t head, tail;   /* taken, queued: counts (the queue is [head, tail) mod kHeld) */
	uint32_t dropped;
	uint8_t posted;        /* a wake-up is under way (VM thread clears it before reading) */
	uint8_t closed;        /* the platform is freed when the wake-up under way arrives */
};

static portMUX_TYPE gLock = portMUX_INITIALIZER_UNLOCKED;

static void deliver(void *ctx)
{
	ivxs_udp_platform *platform = ctx;
	portENTER_CRITICAL(&gLock);
	platform->posted = 0;
	portEXIT_CRITICAL(&gLock);
	if (platform->closed) {
		free(platform);
		return;
	}
	ivxs_udp_ready(platform->socket, IVXS_UDP_READABLE);
}

/* lwIP's thread. */
static void udpReceive(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *address, u16_t port)
{
	ivxs_udp_platform *platform = arg;
	int post = 0;
	(void)pcb;
	if (!p)
		return;
	portENTER_CRITICAL(&gLock);
	if (platform->tail - platform->head < kHeld && IP_IS_V4(address)) {
		Held *h = &platform->held[platform->tail % kHeld];
		h->p = p;
		h->address = ip_2_ip4(address)->addr;
		h->port = lwip_htons(port);
		platform->tail++;
		p = NULL;
		if (!platform->posted)
			post = platform->posted = 1;
	}
	else
		platform->dropped++;
	portEXIT_CRITICAL(&gLock);
	if (p)
		pbuf_free(p);   /* lwIP's own thread: the plain call */
	if (post && ivxs_loop_post(deliver, platform) < 0) {
		portENTER_CRITICAL(&gLock);
		platform->posted = 0;   /* the post slots are full: the next datagram tries again */
		portEXIT_CRITICAL(&gLock);
	}
}

ivxs_udp_platform *ivxs_udp_platform_open(ivxs_udp_socket *owner, uint32_t address, uint16_t port, const char **why)
{
	ip_addr_t at;
	ivxs_udp_platform *platform = calloc(1, sizeof(*platform));
	if (!platform) {
		*why = "no memory";
		return NULL;
	}
	platform->socket = owner;
	platform->pcb = udp_new_safe();
	if (!platform->pcb) {
		*why = "no socket";
		free(platform);
		return NULL;
	}
	ip_addr_set_ip4_u32_val(at, address);
	if (udp_bind_safe(platform->pcb, &at, lwip_ntohs(port)) != ERR_OK) {
		*why = "bind failed";
		udp_remove_safe(platform->pcb);
		free(platform);
		return NULL;
	}
	udp_recv(platform->pcb, udpReceive, platform);
	return platform;
}

void ivxs_udp_platform_close(ivxs_udp_platform *platform)
{
	int later;
	udp_remove_safe(platform->pcb);   /* on lwIP's thread: no udpReceive after it returns */
	while (platform->head != platform->tail)
		pbuf_free_safe(platform->held[platform->head++ % kHeld].p);
	portENTER_CRITICAL(&gLock);
	later = platform->posted;
	platform->closed = 1;
	portEXIT_CRITICAL(&gLock);
	if (!later)
		free(platform);
}

uint16_t ivxs_udp_platform_port(ivxs_udp_platform *platform)
{
	return lwip_htons(platform->pcb->local_port);
}

int ivxs_udp_platform_take(ivxs_udp_platform *platform, void *data, size_t capacity, uint32_t *address, uint16_t *port)
{
	Held h;
	portENTER_CRITICAL(&gLock);
	if (platform->head == platform->tail) {
		portEXIT_CRITICAL(&gLock);
		return -1;
	}
	h = platform->held[platform->head % kHeld];
	platform->head++;
	portEXIT_CRITICAL(&gLock);
	pbuf_copy_partial(h.p, data, (u16_t)(capacity < h.p->tot_len ? capacity : h.p->tot_len), 0);
	*address = h.address;
	*port = h.port;
	{
		int length = h.p->tot_len;
		pbuf_free_safe(h.p);
		return length;
	}
}

int ivxs_udp_platform_send(ivxs_udp_platform *platform, const void *data, size_t size, uint32_t address, uint16_t port)
{
	ip_addr_t to;
	err_t err;
	ip_addr_set_ip4_u32_val(to, address);
	udp_sendto_safe(platform->pcb, (void *)data, size, &to, lwip_ntohs(port), &err);
	/* ERR_MEM (no pbuf now) is a lost datagram, as a full socket buffer is on the other hosts */
	return err == ERR_OK || err == ERR_MEM ? 0 : -1;
}

const char *ivxs_udp_platform_error(ivxs_udp_platform *platform)
{
	(void)platform;
	return NULL;   /* lwIP's raw UDP reports no asynchronous errors */
}
