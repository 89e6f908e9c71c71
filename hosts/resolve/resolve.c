/*
 * Name resolution for every host's embedded:network/dns/resolver (resolver.js): the platform's
 * getaddrinfo, IPv4 only (the hosts' sockets are IPv4).
 *   - Linux host and mcsim: glibc's — /etc/hosts, DNS and whatever else nsswitch.conf names, as
 *     for every program on the machine;
 *   - ESP32: lwIP's (its netconn call runs the lookup on lwIP's own thread, which owns the DNS
 *     table), with its cache; from the servers DHCP gave, or those the device file names
 *     (servers(): set again before each lookup, as a DHCP renewal replaces the first two).
 * getaddrinfo blocks for as long as the resolver's timeouts allow, so each lookup runs on a
 * detached thread of its own (POSIX threads: ESP-IDF has them over FreeRTOS) and posts its
 * answer to the VM thread (ivxs_loop_post); the loop is held while one is out. At most
 * IVXS_RESOLVE_LOOKUPS at once: the app makes one per connection it opens.
 */
#include "xsmc.h"
#include "ivxs_host.h"
#include "ivxs_kit.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef ESP_PLATFORM
/* lwIP's functions by their own names: ESP-IDF's POSIX names are inline wrappers in headers the
 * Moddable build's include order does not reach first (the toolchain's <netdb.h> is found instead) */
#include "lwip/netdb.h"
#include "lwip/sockets.h"
#include "esp_netif.h"
#define GETADDRINFO lwip_getaddrinfo
#define FREEADDRINFO lwip_freeaddrinfo
#define INET_NTOP lwip_inet_ntop
#define INET_PTON lwip_inet_pton
#else
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#define GETADDRINFO getaddrinfo
#define FREEADDRINFO freeaddrinfo
#define INET_NTOP inet_ntop
#define INET_PTON inet_pton
#endif

#define IVXS_RESOLVE_LOOKUPS 4
#define IVXS_RESOLVE_NAME 253   /* RFC 1035: a name's text */
#define IVXS_RESOLVE_SERVERS 3  /* ESP-IDF's main, backup and fallback */
#ifdef ESP_PLATFORM
#define IVXS_RESOLVE_STACK 4096   /* lwIP's getaddrinfo only waits on its thread's answer */
#else
#define IVXS_RESOLVE_STACK (64 * 1024)   /* glibc's NSS modules */
#endif

typedef struct {
	xsSlot callback;   /* remembered until the answer is delivered */
	int status;        /* getaddrinfo's */
	int error;         /* errno after it (EAI_SYSTEM) */
	char address[INET_ADDRSTRLEN];
	char host[IVXS_RESOLVE_NAME + 1];
	struct in_addr servers[IVXS_RESOLVE_SERVERS];   /* the device file's, copied per lookup */
	int serverCount;
} Lookup;

/* VM thread only */
static int gLookups;
static struct in_addr gServers[IVXS_RESOLVE_SERVERS];
static int gServerCount;

/* Why a lookup failed, in words (lwIP has no gai_strerror). */
static const char *why(const Lookup *lookup)
{
	switch (lookup->status) {
	case EAI_NONAME: return "no such name";
	case EAI_FAIL: return "the name server failed";
	case EAI_MEMORY: return "no memory";
#ifdef EAI_AGAIN
	case EAI_AGAIN: return "no answer from the name server";
#endif
#ifdef EAI_NODATA
	case EAI_NODATA: return "the name has no IPv4 address";
#endif
#ifdef EAI_SYSTEM
	case EAI_SYSTEM: return strerror(lookup->error);
#endif
	default: return "the lookup failed";
	}
}

/* VM thread: callback(address) or callback(undefined, why). */
static void deliver(void *ctx)
{
	Lookup *lookup = ctx;
	xsMachine *the = ivxs_the();
	gLookups--;
	ivxs_loop_hold(-1);
	xsBeginHost(the);
	{
		xsTry {
			xsmcVars(3);
			xsVar(2) = lookup->callback;   /* held by the frame from here */
			xsForget(lookup->callback);
			if (lookup->status == 0)
				xsmcSetString(xsVar(0), lookup->address);
			else
				xsmcSetString(xsVar(1), (char *)why(lookup));
			xsCallFunction2(xsVar(2), xsGlobal, xsVar(0), xsVar(1));
		}
		xsCatch {
			ivxs_uncaught(the);
		}
	}
	xsEndHost(the);
	free(lookup);
}

static void *lookupThread(void *ctx)
{
	Lookup *lookup = ctx;
	struct addrinfo hints, *list = NULL;
#ifdef ESP_PLATFORM
	esp_netif_t *netif = esp_netif_get_default_netif();
	for (int i = 0; i < lookup->serverCount && netif; i++) {
		esp_netif_dns_info_t dns;
		memset(&dns, 0, sizeof(dns));
		dns.ip.type = ESP_IPADDR_TYPE_V4;
		dns.ip.u_addr.ip4.addr = lookup->servers[i].s_addr;
		esp_netif_set_dns_info(netif, (esp_netif_dns_type_t)i, &dns);   /* (esp_netif's call runs on lwIP's thread) */
	}
#endif
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	lookup->status = GETADDRINFO(lookup->host, NULL, &hints, &list);
	lookup->error = errno;
	if (lookup->status == 0) {
		if (!list || list->ai_family != AF_INET
				|| !INET_NTOP(AF_INET, &((const struct sockaddr_in *)list->ai_addr)->sin_addr, lookup->address, sizeof(lookup->address)))
			lookup->status = EAI_FAIL;
		if (list)
			FREEADDRINFO(list);
	}
	while (ivxs_loop_post(deliver, lookup) < 0)
		usleep(1000);   /* every post slot taken: they drain on the VM thread */
	return NULL;
}

/* resolve(host, callback(address | undefined, why)) */
void xs_ivxs_resolve(xsMachine *the)
{
	Lookup *lookup;
	pthread_t thread;
	pthread_attr_t attr;
	xsStringValue host;
	size_t length;
	int failed;
	ivxs_host_attach(the);
	if (xsmcTypeOf(xsArg(0)) != xsStringType)
		ivxs_type_error(IVXS_EARG, "resolve: host must be a string");
	if (!xsmcIsInstanceOf(xsArg(1), xsFunctionPrototype))
		ivxs_type_error(IVXS_EARG, "resolve: callback must be a function");
	host = xsmcToString(xsArg(0));
	length = strlen(host);
	if (length == 0 || length > IVXS_RESOLVE_NAME)
		ivxs_range_error(IVXS_EARG, "resolve: a name is 1 to %d characters", IVXS_RESOLVE_NAME);
	if (gLookups >= IVXS_RESOLVE_LOOKUPS)
		ivxs_range_error(IVXS_HOST_ELIMIT, "resolve: %d lookups already under way", IVXS_RESOLVE_LOOKUPS);
	lookup = calloc(1, sizeof(Lookup));
	if (!lookup)
		ivxs_error(IVXS_ENOMEM, "resolve: no memory");
	memcpy(lookup->host, host, length + 1);   /* (read before anything can run JS) */
	memcpy(lookup->servers, gServers, sizeof(gServers));
	lookup->serverCount = gServerCount;
	lookup->callback = xsArg(1);
	xsRemember(lookup->callback);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, IVXS_RESOLVE_STACK);
	failed = pthread_create(&thread, &attr, lookupThread, lookup);
	pthread_attr_destroy(&attr);
	if (failed) {
		xsForget(lookup->callback);
		free(lookup);
		ivxs_error(IVXS_HOST_ESYSTEM, "resolve: no thread (%s)", strerror(failed));
	}
	gLookups++;
	ivxs_loop_hold(1);
}

/* servers(list of 1 to 3 IPv4 addresses as text): the DNS servers lookups ask from now on, in
 * place of DHCP's; true where the host's resolver is the app's to configure (a board), false
 * where it is the system's (Linux, mcsim: nothing changes there). */
void xs_ivxs_resolve_servers(xsMachine *the)
{
	struct in_addr servers[IVXS_RESOLVE_SERVERS];
	int count, i;
	xsmcVars(1);
	if (!xsmcIsInstanceOf(xsArg(0), xsArrayPrototype))
		ivxs_type_error(IVXS_EARG, "resolve: servers must be a list of IPv4 addresses");
	xsmcGet(xsVar(0), xsArg(0), xsID("length"));
	count = xsmcToInteger(xsVar(0));
	if (count < 1 || count > IVXS_RESOLVE_SERVERS)
		ivxs_range_error(IVXS_EARG, "resolve: 1 to %d servers", IVXS_RESOLVE_SERVERS);
	for (i = 0; i < count; i++) {
		xsmcGetIndex(xsVar(0), xsArg(0), i);
		if (xsmcTypeOf(xsVar(0)) != xsStringType || INET_PTON(AF_INET, xsmcToString(xsVar(0)), &servers[i]) != 1)
			ivxs_type_error(IVXS_EARG, "resolve: server %d is not an IPv4 address", i);
	}
#ifdef ESP_PLATFORM
	memcpy(gServers, servers, sizeof(servers[0]) * count);
	gServerCount = count;
	xsmcSetTrue(xsResult);
#else
	xsmcSetFalse(xsResult);
#endif
}
