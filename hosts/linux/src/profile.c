/*
 * --cpu-profile FILE: XS's own sampling profiler (xs/sources/xsProfile.c) over the app's machine,
 * written at exit as a Chrome DevTools .cpuprofile (open it in DevTools' Performance panel, or
 * `node scripts/cpu-profile.mjs FILE` for the functions that take the most). Only the `profile`
 * host variant has it (`node scripts/build.mjs --variant profile`: XS built with mxProfile, which
 * checks the clock at every call — the other variants stay free of that).
 *
 * XS samples the JS stack at calls and collections, once per 1.25 ms of wall time, each sample
 * weighted by the time since the last: the time the loop waits in poll() is taken out
 * (ivxs_profile_wait), or the first function after each wait would get it.
 */
#include "xsAll.h"
#include "host.h"

#include <stdio.h>

#ifdef mxProfile
static FILE *gProfile;
#endif

int ivxs_profile_available(void)
{
#ifdef mxProfile
	return 1;
#else
	return 0;
#endif
}

int ivxs_profile_start(const char *path)
{
#ifdef mxProfile
	if (!(gProfile = fopen(path, "w")))
		return -1;
	fxStartProfiling(ivxs_machine_instance);
	return 0;
#else
	(void)path;
	return -1;
#endif
}

void ivxs_profile_wait(int waiting)
{
#ifdef mxProfile
	if (!gProfile)
		return;
	if (waiting)
		fxSuspendProfiler(ivxs_machine_instance);
	else
		fxResumeProfiler(ivxs_machine_instance);
#else
	(void)waiting;
#endif
}

void ivxs_profile_stop(void)
{
#ifdef mxProfile
	if (!gProfile)
		return;
	fxStopProfiling(ivxs_machine_instance, gProfile);   /* (which writes the file and closes it) */
	gProfile = NULL;
#endif
}
