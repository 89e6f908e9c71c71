/*
 * The emulated S3's network: the OpenCores Ethernet MAC that Espressif's QEMU gives the esp32s3
 * machine (`-nic user,model=open_eth`), a generic PHY, and ESP-IDF's default Ethernet netif, which
 * takes its address by DHCP. Natives of module `openeth` (openeth.js): `start()` once, then
 * `address()` until it gives the IPv4 address (undefined while DHCP has not answered).
 *
 * Boards keep the SDK's Wi-Fi (its setup/network); only the emulator build links this file
 * (hosts/esp32s3/emulator/manifest.json).
 */
#include "esp_eth.h"
#include "esp_eth_mac_openeth.h"
#include "esp_event.h"
#include "esp_netif.h"
#include "xsmc.h"

#include <stdio.h>

static esp_netif_t *gNetif;

void xs_openeth_start(xsMachine *the)
{
	if (gNetif)
		return;
	esp_err_t err = esp_netif_init();
	if (err == ESP_OK) {
		err = esp_event_loop_create_default();
		if (err == ESP_ERR_INVALID_STATE)   /* made already (by the SDK or an earlier call) */
			err = ESP_OK;
	}
	if (err != ESP_OK)
		xsUnknownError("openeth: netif or event loop: %s", esp_err_to_name(err));

	esp_netif_config_t netifConfig = ESP_NETIF_DEFAULT_ETH();
	esp_netif_t *netif = esp_netif_new(&netifConfig);
	eth_mac_config_t macConfig = ETH_MAC_DEFAULT_CONFIG();
	eth_phy_config_t phyConfig = ETH_PHY_DEFAULT_CONFIG();
	phyConfig.autonego_timeout_ms = 100;   /* the emulated PHY's link is up at once */
	esp_eth_mac_t *mac = esp_eth_mac_new_openeth(&macConfig);
	esp_eth_phy_t *phy = esp_eth_phy_new_generic(&phyConfig);
	if (!netif || !mac || !phy)
		xsUnknownError("openeth: no memory for the netif, MAC or PHY");
	esp_eth_config_t ethConfig = ETH_DEFAULT_CONFIG(mac, phy);
	esp_eth_handle_t eth = NULL;
	err = esp_eth_driver_install(&ethConfig, &eth);
	if (err == ESP_OK)
		err = esp_netif_attach(netif, esp_eth_new_netif_glue(eth));
	if (err == ESP_OK)
		err = esp_eth_start(eth);
	if (err != ESP_OK)
		xsUnknownError("openeth: %s (is QEMU run with -nic user,model=open_eth?)", esp_err_to_name(err));
	gNetif = netif;
}

void xs_openeth_address(xsMachine *the)
{
	esp_netif_ip_info_t info = {0};
	if (!gNetif || esp_netif_get_ip_info(gNetif, &info) != ESP_OK || info.ip.addr == 0)
		return;
	char text[16];
	snprintf(text, sizeof(text), IPSTR, IP2STR(&info.ip));
	xsmcSetString(xsResult, text);
}
