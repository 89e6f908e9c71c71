/* Stand-in (README.md): udp_lwip.c includes xsmc.h only for ivxs_host.h's xsMachine and xsSlot. */
#define __XSMC_H__
typedef struct xsMachineRecord xsMachine;
typedef struct xsSlotRecord xsSlot;
