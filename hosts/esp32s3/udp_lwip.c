/*
 * hosts/moddable/udp_socket.h on ESP32 boards: lwIP's raw UDP API. lwIP hands each datagram to
 * udpReceive on its own thread as a pbuf, which is copied into a byte ring of kRingBytes and freed
 * at once; the VM thread takes the datagrams from the ring. Past the ring's room a datagram is
 * dropped and counted, as a full socket buffer drops it (the transport's retransmission covers
 * it). Nothing is allocated per datagram on this side: no record per packet (the SDK's lwip socket
 * mallocs one, and queues without a bound), and the wake-up is ivxs_loop_post's fixed slots.
 *
 * Why copies, not the pbufs: a pbuf held for the VM thread pins the network driver's receive
 * buffer (~1 KB of internal RAM each in the emulator's Ethernet; a Wi-Fi RX buffer on a board), so
 * only a few could wait. 16 did, and with 4 viewers at 1 Mbit/s (~400–800 datagrams a second in,
 * nearly all the viewers' ACKs of ~40 bytes) the VM thread's busy spells of 20 ms and more
 * dropped two thirds of them in the emulated S3: the camera took the packets they acknowledged
 * for lost and sent them again (issue 54). The ring holds ~600 such ACKs; the most seen waiting
 * there in that load was ~20 KB.
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

/* The ring's bytes (a power of 2; the platform record is malloc'd: PSRAM where the board has it). */
#define kRingBytes (32 * 1024)
/* A datagram's bytes kept: the receiver (modules/p2p/udp.ts's RECEIVE_BYTES) skips a longer one
 * after learning its length, so only its length is kept. */
#define kMaxKept 2048

/* A datagram in the ring: this header, then its bytes (`kept` of them), padded to 4 bytes; a
 * record never wraps: the room left at the ring's end is skipped (a header with kSkip). */
typedef struct {
	uint16_t length;    /* the datagram's whole length */
	uint16_t kept;      /* bytes that follow (0 for one past kMaxKept), or kSkip */
	uint32_t address;   /* network order */
	uint16_t port;      /* network order */
	uint16_t unused;
} Record;

#define kSkip 0xFFFF

struct ivxs_udp_platform {
	struct udp_pcb *pcb;
	ivxs_udp_socket *socket;
	uint32_t head, tail;   /* bytes taken, bytes written: counts (the ring holds [head, tail) mod kRingBytes) */
	uint32_t dropped;
	uint8_t posted;        /* a wake-up is under way (VM thread clears it before reading) */
	uint8_t closed;        /* the platform is freed when the wake-up under way arrives */
	uint8_t ring[kRingBytes] __attribute__((aligned(4)));   /* Records are read in place: 4-aligned */
};

static portMUX_TYPE gLock = portMUX_INITIALIZER_UNLOCKED;

static uint32_t padded(uint32_t n)
{
	return (n + 3) & ~3u;
}

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

/* lwIP's thread: the one writer of the ring (tail); the VM thread is its one reader (head). */
static void udpReceive(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *address, u16_t port)
{
	ivxs_udp_platform *platform = arg;
	int post = 0;
	(void)pcb;
	if (!p)
		return;
	if (IP_IS_V4(address)) {
		uint32_t kept = p->tot_len <= kMaxKept ? p->tot_len : 0;
		uint32_t need = sizeof(Record) + padded(kept);
		uint32_t head, tail = platform->tail, at = tail % kRingBytes, skip = 0;
		portENTER_CRITICAL(&gLock);
		head = platform->head;
		portEXIT_CRITICAL(&gLock);
		if (kRingBytes - at < need)
			skip = kRingBytes - at;   /* the record starts again at the ring's start */
		if (kRingBytes - (tail - head) >= skip + need) {
			Record *r;
			if (skip) {
				((Record *)&platform->ring[at])->kept = kSkip;   /* ≥ 4 bytes of room: records are 4-aligned */
				tail += skip;
				at = 0;
			}
			r = (Record *)&platform->ring[at];
			r->length = p->tot_len;
			r->kept = (uint16_t)kept;
			r->address = ip_2_ip4(address)->addr;
			r->port = lwip_htons(port);
			if (kept)
				pbuf_copy_partial(p, r + 1, (u16_t)kept, 0);
			portENTER_CRITICAL(&gLock);   /* publishes the record (the lock orders the writes before it) */
			platform->tail = tail + need;
			if (!platform->posted)
				post = platform->posted = 1;
			portEXIT_CRITICAL(&gLock);
		}
		else
			platform->dropped++;
	}
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
	const Record *r;
	uint32_t head, tail;
	portENTER_CRITICAL(&gLock);
	head = platform->head;
	tail = platform->tail;
	portEXIT_CRITICAL(&gLock);
	if (head == tail)
		return -1;
	r = (const Record *)&platform->ring[head % kRingBytes];
	if (r->kept == kSkip) {
		head += kRingBytes - head % kRingBytes;
		r = (const Record *)platform->ring;
	}
	memcpy(data, r + 1, capacity < r->kept ? capacity : r->kept);
	*address = r->address;
	*port = r->port;
	{
		int length = r->length;
		portENTER_CRITICAL(&gLock);   /* the record's room goes back to the writer */
		platform->head = head + sizeof(Record) + padded(r->kept);
		portEXIT_CRITICAL(&gLock);
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
