/* Minimal ARM semihosting for bare-metal Cortex-M test and bench firmware under QEMU.
 *
 * Only what the harness needs: open/read/write/close host files, print a string, exit with
 * a status. No newlib stdio (it would not fit the micro:bit's 16 KB of RAM and would blur
 * instruction counts). Run QEMU with `-semihosting-config enable=on,target=native`.
 */
#ifndef TINYFLASH_SEMIHOST_H
#define TINYFLASH_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

/* Open `path` on the host; mode "rb" = 1, "wb" = 5 (ISO C fopen modes, semihosting numbering).
 * Returns a handle >= 0 or -1. */
int32_t sh_open(const char *path, uint32_t mode);
/* Read up to `n` bytes; returns the number of bytes read. */
size_t sh_read(int32_t handle, void *buf, size_t n);
/* Write `n` bytes; returns 0 on success. */
int32_t sh_write(int32_t handle, const void *buf, size_t n);
void sh_close(int32_t handle);
/* Print a NUL-terminated string on QEMU's stdout. */
void sh_puts(const char *s);
/* Print an unsigned decimal number. */
void sh_putu(uint32_t v);
/* Stop the emulator with exit status `status` (SYS_EXIT_EXTENDED). */
void sh_exit(int32_t status) __attribute__((noreturn));

/* Empty, never-inlined functions the instruction-count plugin watches: the plugin reports the
 * instructions executed between each bench_begin() and the next bench_end(). */
void bench_begin(void);
void bench_end(void);

#endif
