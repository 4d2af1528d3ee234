/* ARM semihosting calls (BKPT 0xAB on M-profile): see semihost.h. */
#include "semihost.h"

enum {
  SYS_OPEN = 0x01,
  SYS_CLOSE = 0x02,
  SYS_WRITE0 = 0x04,
  SYS_WRITE = 0x05,
  SYS_READ = 0x06,
  SYS_EXIT_EXTENDED = 0x20
};

static int32_t sh_call(uint32_t op, const void *arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return (int32_t)r0;
}

static size_t sh_strlen(const char *s) {
  size_t n = 0;
  while (s[n] != '\0') {
    n++;
  }
  return n;
}

int32_t sh_open(const char *path, uint32_t mode) {
  uint32_t args[3];
  args[0] = (uint32_t)(uintptr_t)path;
  args[1] = mode;
  args[2] = (uint32_t)sh_strlen(path);
  return sh_call(SYS_OPEN, args);
}

size_t sh_read(int32_t handle, void *buf, size_t n) {
  uint32_t args[3];
  args[0] = (uint32_t)handle;
  args[1] = (uint32_t)(uintptr_t)buf;
  args[2] = (uint32_t)n;
  /* SYS_READ returns the number of bytes NOT read. */
  return n - (size_t)sh_call(SYS_READ, args);
}

int32_t sh_write(int32_t handle, const void *buf, size_t n) {
  uint32_t args[3];
  args[0] = (uint32_t)handle;
  args[1] = (uint32_t)(uintptr_t)buf;
  args[2] = (uint32_t)n;
  return sh_call(SYS_WRITE, args);
}

void sh_close(int32_t handle) {
  uint32_t args[1];
  args[0] = (uint32_t)handle;
  (void)sh_call(SYS_CLOSE, args);
}

void sh_puts(const char *s) { (void)sh_call(SYS_WRITE0, s); }

void sh_putu(uint32_t v) {
  char buf[11];
  int i = 10;
  buf[10] = '\0';
  do {
    buf[--i] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v != 0u && i > 0);
  sh_puts(&buf[i]);
}

void sh_exit(int32_t status) {
  uint32_t args[2];
  args[0] = 0x20026u; /* ADP_Stopped_ApplicationExit */
  args[1] = (uint32_t)status;
  (void)sh_call(SYS_EXIT_EXTENDED, args);
  for (;;) {
  }
}

__attribute__((noinline)) void bench_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void bench_end(void) { __asm__ volatile("" ::: "memory"); }
