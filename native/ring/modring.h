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
/* For a native module that reads a JS RingReader's frames in C (fmp4's pump): its C reader, or
 * NULL while it waits for its first key frame (opened then, as read() does); *ring gets its JS
 * ring. Throws if `reader` is not an open reader (ring.js's nativeReader gives it). A frame read
 * from it goes through ivxs_ring_reader_took (its lost frames), and reaches JS only as
 * ivxs_ring_frame_object makes it. */
ivxs_ring_reader *ivxs_ring_reader_native(xsMachine *the, xsSlot *reader, xsSlot *ring);
void ivxs_ring_reader_took(xsMachine *the, xsSlot *reader, const ivxs_ring_view *view);
/* The frame read() returns for `view` (read from `reader` in C), its `data` the host buffer, into
 * *out; the scratch slots are the caller's. */
void ivxs_ring_frame_object(xsMachine *the, xsSlot *reader, const ivxs_ring_view *view, xsSlot *out,
		xsSlot *scratch1, xsSlot *scratch2, xsSlot *scratch3);
/* A ring frame's bytes and position from its `data` (a view of a frame's host buffer, as read()
 * gives it): 1, or 0 when it is no ring frame's; *ring gets the frame's JS ring. `data` is
 * overwritten. */
int ivxs_ring_frame_place(xsMachine *the, xsSlot *data, const uint8_t **bytes, size_t *size, uint64_t *pos, xsSlot *ring);
/* A host buffer over the ring's whole arena that intact() takes for the frame at `pos`: a view of
 * it is intact while that frame is, and so is every newer frame (the ring overwrites the oldest
 * first). One buffer for the views of many frames: `pos` must be the oldest's. */
void ivxs_ring_arena_buffer(xsMachine *the, xsSlot *ring, uint64_t pos, xsSlot *out, xsSlot *scratch);
#endif
