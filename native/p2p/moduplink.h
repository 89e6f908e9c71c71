/* The viewers' uplink's XS binding (native/p2p/p2p.js Uplink), for the native modules whose viewers
 * take their part of it (p2p's endpoint, webrtc's feeds). */
#ifndef IVXS_MODUPLINK_H
#define IVXS_MODUPLINK_H
#include "xsmc.h"
#include "uplink.h"
/* The C uplink behind a JS Uplink's host object (a TypeError if it is not one), kept alive until
 * ivxs_uplink_unhold (VM thread, or a destructor) whenever the JS object is collected: a holder
 * detaches its shares, then lets go. */
ivxs_uplink *ivxs_uplink_hold(xsMachine *the, xsSlot *uplink, void **token);
void ivxs_uplink_unhold(void **token);
#endif
