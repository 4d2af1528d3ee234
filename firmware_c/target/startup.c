/* Bare-metal Cortex-M startup for QEMU's mps2-an385/an386/an500 and microbit boards.
 *
 * The vector table holds the initial stack pointer and the reset handler; reset copies .data
 * from flash, zeroes .bss, paints the stack (so the bench can measure its high-water mark),
 * enables the FPU when the build uses one, calls main() and exits through semihosting.
 */
#include <stdint.h>

#include "semihost.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];

int main(void);
void reset_handler(void);

#define STACK_PAINT 0xDEADBEEFu

static void fault_handler(void) { sh_exit(99); }

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)__stack_top,
    reset_handler,
    fault_handler, /* NMI */
    fault_handler, /* HardFault */
    fault_handler, /* MemManage */
    fault_handler, /* BusFault */
    fault_handler, /* UsageFault */
};

/* Bytes of stack never written since reset (the paint is still there). */
uint32_t stack_unused_bytes(void) {
  const uint32_t *p = __stack_limit;
  while (p < __stack_top && *p == STACK_PAINT) {
    p++;
  }
  return (uint32_t)((uintptr_t)p - (uintptr_t)__stack_limit);
}

__attribute__((noreturn)) void reset_handler(void) {
  uint32_t *src = __data_load;
  uint32_t *dst = __data_start;
  while (dst < __data_end) {
    *dst++ = *src++;
  }
  for (dst = __bss_start; dst < __bss_end; dst++) {
    *dst = 0u;
  }
  {
    /* Paint the stack below the current frame (leave 64 bytes for this function). */
    volatile uint32_t *p = __stack_limit;
    uint32_t here = (uint32_t)(uintptr_t)&src;
    while ((uint32_t)(uintptr_t)p < here - 64u) {
      *p++ = STACK_PAINT;
    }
  }
#if defined(__ARM_FP)
  /* CPACR: full access to CP10 and CP11 (the FPU). */
  *(volatile uint32_t *)0xE000ED88u |= (0xFu << 20);
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  sh_exit(main());
}
