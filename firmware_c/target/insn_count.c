/* QEMU TCG plugin: exact counts of executed guest instructions.
 *
 * Debian's QEMU 7.2 is built with plugin support but ships no <qemu-plugin.h>, so the few
 * API declarations used here are written out below (plugin API version 1, QEMU 7.x).
 *
 * Every translated instruction gets an inline "add 1 to the counter" op, so the total is exact
 * (a block that stops early counts only what ran). Optional arguments begin=ADDR,end=ADDR
 * (hex, Thumb bit ignored) name two marker functions: the plugin prints the instructions
 * executed from each call of `begin` to the next call of `end`, one "region N" line each,
 * then "total N" at exit. Build:
 *   cc -shared -fPIC -O2 -o insn_count.so insn_count.c
 *   qemu-system-arm ... -plugin ./insn_count.so,begin=0x...,end=0x... -d plugin
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct {
  const char *target_name;
  struct {
    int min;
    int cur;
  } version;
  bool system_emulation;
  union {
    struct {
      int smp_vcpus;
      int max_vcpus;
    } system;
  };
} qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

static uint64_t insn_count;
static uint64_t region_start;
static uint64_t begin_addr = UINT64_MAX, end_addr = UINT64_MAX;

static void on_begin(unsigned int vcpu, void *udata) {
  (void)vcpu;
  (void)udata;
  region_start = insn_count;
}

static void on_end(unsigned int vcpu, void *udata) {
  char line[64];
  (void)vcpu;
  (void)udata;
  snprintf(line, sizeof line, "region %" PRIu64 "\n", insn_count - region_start);
  qemu_plugin_outs(line);
}

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  size_t n = qemu_plugin_tb_n_insns(tb);
  (void)id;
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    uint64_t pc = qemu_plugin_insn_vaddr(insn);
    /* The marker callbacks are registered before the counting op of the same instruction,
     * so both markers see the count before their own first instruction. */
    if (pc == begin_addr) {
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
    } else if (pc == end_addr) {
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
    }
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &insn_count, 1);
  }
}

static void on_atexit(qemu_plugin_id_t id, void *udata) {
  char line[64];
  (void)id;
  (void)udata;
  snprintf(line, sizeof line, "total %" PRIu64 "\n", insn_count);
  qemu_plugin_outs(line);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv) {
  (void)info;
  for (int i = 0; i < argc; i++) {
    if (strncmp(argv[i], "begin=", 6) == 0) {
      begin_addr = strtoull(argv[i] + 6, NULL, 0) & ~1ull;
    } else if (strncmp(argv[i], "end=", 4) == 0) {
      end_addr = strtoull(argv[i] + 4, NULL, 0) & ~1ull;
    } else {
      fprintf(stderr, "insn_count: unknown argument %s (supported: begin=ADDR, end=ADDR)\n", argv[i]);
      return -1;
    }
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
  qemu_plugin_register_atexit_cb(id, on_atexit, NULL);
  return 0;
}
