# 32-bit builds (gcc -m32): XS slots and pointers have a board's size, so memory
# figures match a device and pointer-width bugs show on this machine. Needs
# Debian's gcc-multilib; `m32-check` says so in one line instead of a wall of
# missing-header errors (order-only prerequisite of every 32-bit object).
# -Wno-psabi: GCC's note that _Atomic 64-bit fields are aligned differently
# since GCC 11.1 only matters when mixing objects from older compilers.
M32_FLAGS := -m32 -Wno-psabi

.PHONY: m32-check
m32-check:
	@printf '#include <pthread.h>\n#include <stdio.h>\nint main(void) { return 0; }\n' \
		| $(CC) -m32 -pthread -x c - -o /dev/null 2>/dev/null \
		|| { echo "32-bit build: '$(CC) -m32' cannot build a program; install Debian's gcc-multilib (apt-get install gcc-multilib)" >&2; exit 1; }
