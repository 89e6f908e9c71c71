/* mbedTLS as a microcontroller's SDK builds it, over Debian's configuration (the portable-C check,
 * tests/portable-c.test.mjs): no POSIX threads — ESP-IDF brings its own threading layer
 * (MBEDTLS_THREADING_ALT), and a board without an OS has none. Read through
 * MBEDTLS_USER_CONFIG_FILE at the end of Debian's mbedtls/config.h. */
#undef MBEDTLS_THREADING_C
#undef MBEDTLS_THREADING_PTHREAD
