/* Stand-in (README.md): the ESP32 declarations of the Moddable SDK's modLwipSafe.h (8.2.3) that
 * udp_lwip.c calls — lwIP's calls made on lwIP's own thread. */
#include "lwip/pbuf.h"
#include "lwip/udp.h"
u8_t pbuf_free_safe(struct pbuf *p);
struct udp_pcb *udp_new_safe(void);
err_t udp_bind_safe(struct udp_pcb *udpPCB, const ip_addr_t *ipaddr, u16_t port);
void udp_remove_safe(struct udp_pcb *udpPCB);
void udp_sendto_safe(struct udp_pcb *udpPCB, const void *data, uint16_t len, ip_addr_t *dst, uint16_t port, err_t *err);
