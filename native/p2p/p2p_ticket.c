/*
 * P2P transport — tickets (PROTOCOL.md "Tickets"). The cloud mints them; the
 * camera checks them offline with a key derived from its device secret:
 *
 *   K_ticket = HMAC-SHA256(key = device_secret, "ivxs p2p ticket v1")
 *   ticket   = version 1 | rights | 0x0000 | expiry u64 | device id[16] | viewer id[16]
 *              | HMAC-SHA256(K_ticket, the 44 bytes before)
 *   psk      = HMAC-SHA256(K_ticket, "ivxs p2p psk v1" | the ticket's MAC)
 *
 * The cloud hands the viewer the ticket and the psk (over its TLS API); the
 * camera recomputes the psk from the ticket. The psk salts the handshake's
 * key derivation, so only a viewer the cloud gave the ticket to, and only the
 * camera that holds the device secret, end up with the session keys.
 */
#include "p2p_internal.h"

#include <string.h>

#define kBody 44
static const char kTicketLabel[] = "ivxs p2p ticket v1";
static const char kPskLabel[] = "ivxs p2p psk v1";
#define kRightsMask (IVXS_P2P_RIGHT_LIVE | IVXS_P2P_RIGHT_PLAYBACK | IVXS_P2P_RIGHT_TALK | IVXS_P2P_RIGHT_COMMAND)

static int ticketKey(const uint8_t *secret, size_t secret_len, uint8_t key[32])
{
	return p2p_hmac_sha256(secret, secret_len, (const uint8_t *)kTicketLabel, sizeof(kTicketLabel) - 1, NULL, 0, key);
}

static int pskOf(const uint8_t key[32], const uint8_t *mac, uint8_t psk[IVXS_P2P_PSK_BYTES])
{
	return p2p_hmac_sha256(key, 32, (const uint8_t *)kPskLabel, sizeof(kPskLabel) - 1, mac, 32, psk);
}

int ivxs_p2p_ticket_mint(const uint8_t *device_secret, size_t secret_len, const ivxs_p2p_ticket *t,
		uint8_t out[IVXS_P2P_TICKET_BYTES], uint8_t psk[IVXS_P2P_PSK_BYTES])
{
	uint8_t key[32];
	int status = IVXS_P2P_EARG;
	if (!device_secret || !secret_len || !t || !out || !psk || (t->rights & ~(uint32_t)kRightsMask))
		goto done;
	out[0] = 1;
	out[1] = (uint8_t)t->rights;
	out[2] = out[3] = 0;
	ivxs_put64(out + 4, t->expiry_s);
	memcpy(out + 12, t->device_id, IVXS_P2P_ID_BYTES);
	memcpy(out + 28, t->viewer_id, IVXS_P2P_ID_BYTES);
	status = ticketKey(device_secret, secret_len, key);
	if (!status)
		status = p2p_hmac_sha256(key, sizeof(key), out, kBody, NULL, 0, out + kBody);
	if (!status)
		status = pskOf(key, out + kBody, psk);
done:
	p2p_wipe(key, sizeof(key));
	return status;
}

int ivxs_p2p_ticket_verify(const uint8_t *device_secret, size_t secret_len, const uint8_t device_id[IVXS_P2P_ID_BYTES],
		uint64_t now_s, const uint8_t *ticket, size_t len, ivxs_p2p_ticket *t, uint8_t psk[IVXS_P2P_PSK_BYTES])
{
	uint8_t key[32], mac[32];
	int status = IVXS_P2P_EARG;
	memset(key, 0, sizeof(key));
	if (!device_secret || !secret_len || !device_id || (!ticket && len) || !t || !psk)
		goto done;
	status = IVXS_P2P_ETICKET_FORMAT;
	if (len != IVXS_P2P_TICKET_BYTES || ticket[0] != 1 || ticket[2] || ticket[3] || (ticket[1] & ~kRightsMask))
		goto done;
	status = ticketKey(device_secret, secret_len, key);
	if (!status)
		status = p2p_hmac_sha256(key, sizeof(key), ticket, kBody, NULL, 0, mac);
	if (status)
		goto done;
	status = IVXS_P2P_ETICKET_FORGED;
	if (!p2p_equal(mac, ticket + kBody, 32))
		goto done;
	status = IVXS_P2P_ETICKET_DEVICE;
	if (!p2p_equal(device_id, ticket + 12, IVXS_P2P_ID_BYTES))
		goto done;
	status = IVXS_P2P_ETICKET_EXPIRED;
	if (now_s >= ivxs_get64(ticket + 4))
		goto done;
	status = pskOf(key, mac, psk);
	if (status)
		goto done;
	memcpy(t->device_id, ticket + 12, IVXS_P2P_ID_BYTES);
	memcpy(t->viewer_id, ticket + 28, IVXS_P2P_ID_BYTES);
	t->rights = ticket[1];
	t->expiry_s = ivxs_get64(ticket + 4);
done:
	p2p_wipe(key, sizeof(key));
	return status;
}
