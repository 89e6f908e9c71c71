/* Stand-in (README.md): ESP-IDF's spinlock critical section, as udp_lwip.c uses it. */
typedef struct { unsigned owner, count; } portMUX_TYPE;
#define portMUX_INITIALIZER_UNLOCKED { 0, 0 }
void portENTER_CRITICAL(portMUX_TYPE *mux);
void portEXIT_CRITICAL(portMUX_TYPE *mux);
