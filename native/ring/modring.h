/* The ring's XS binding, for other native modules (e.g. capture) that take a
 * JS Ring object and need its C ring to push from their own thread. */
#ifndef IVXS_MODRING_H
#define IVXS_MODRING_H
#include "xsmc.h"
#include "ring.h"
/* The C ring behind a JS Ring; throws if it is not an open Ring. */
ivxs_ring *ivxs_ring_from_js(xsMachine *the, xsSlot *ring);
#endif
