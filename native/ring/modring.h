/* The ring's XS binding, for other native modules (e.g. capture) that take a
 * JS Ring object and need its C ring to push from their own thread. */
#ifndef IVXS_MODRING_H
#define IVXS_MODRING_H
#include "xsmc.h"
#include "ring.h"
/* The C ring behind a JS Ring; throws if it is not an open Ring. */
ivxs_ring *ivxs_ring_from_js(xsMachine *the, xsSlot *ring);
/* For a C writer (another thread): keeps the C ring alive even if the JS
 * Ring is collected first. Stop the writer, then release (VM thread). */
ivxs_ring *ivxs_ring_retain(xsMachine *the, xsSlot *ring, void **token);
void ivxs_ring_release(void **token);
/* For a C reader in another native module (p2p): keeps the C ring alive, not
 * claiming the writer, until ivxs_ring_unhold (VM thread, or a destructor). */
ivxs_ring *ivxs_ring_hold(xsMachine *the, xsSlot *ring, void **token);
void ivxs_ring_unhold(void **token);
#endif
