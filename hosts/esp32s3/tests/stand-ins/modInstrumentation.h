/* Stand-in (README.md): the SDK's instrumentation counters, off as in a release build. */
#define modInstrumentationAdjust(what, value)
