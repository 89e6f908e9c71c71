/* The platform's random source (ivxs_random.h). */
#include "ivxs_random.h"

#if defined(ESP_PLATFORM)
#include "esp_random.h"
#elif defined(__linux__)
#include <sys/random.h>
#endif

int ivxs_random_bytes(void *ctx, unsigned char *out, size_t size)
{
	(void)ctx;
#if defined(ESP_PLATFORM)
	esp_fill_random(out, size);
	return 0;
#elif defined(__linux__)
	while (size) {
		ssize_t n = getrandom(out, size, 0);
		if (n <= 0)
			return -1;
		out += n;
		size -= (size_t)n;
	}
	return 0;
#else
#error "ivxs_random: no random source for this platform"
#endif
}
