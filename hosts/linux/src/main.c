/*
 * ivxs — the headless XS host for Linux. Runs an app from compiled modules
 * (development) or boots it from a heap snapshot (production): start.c.
 */
#include "host.h"

int main(int argc, char **argv)
{
	return ivxs_main(argc, argv);
}
