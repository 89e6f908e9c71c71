/* Stand-in (README.md). */
#define ESP32 1
