/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bpf.h - classic BPF programs, as a protocol writes them for the kernel.
 *
 * An exchange can describe the datagrams it accepts as a classic BPF
 * program (nj_exchange_filter); the UDP layer attaches it to the session's
 * socket (nj_udp_attach_filter), so that the kernel drops everything else
 * before any thread of ours wakes. The layout of struct nj_bpf_insn and the
 * opcodes are the kernel's ABI (struct sock_filter, linux/filter.h): the
 * pure core needs no kernel header to write one.
 *
 * A program sees the datagram from @base bytes before its payload (the
 * kernel runs socket filters of UDP sockets on the UDP header: base 8), and
 * returns 0 to drop it, anything else to keep it whole.
 */
#ifndef LIBNETPROTO_BPF_H
#define LIBNETPROTO_BPF_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nj_bpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

/** The longest program an exchange writes. */
#define NJ_BPF_MAX 64

/* Opcodes (the kernel's values). */
enum {
	NJ_BPF_LD_W_ABS = 0x20,  /* A = be32 at k */
	NJ_BPF_LD_H_ABS = 0x28,  /* A = be16 at k */
	NJ_BPF_LD_B_ABS = 0x30,  /* A = byte at k */
	NJ_BPF_LD_LEN = 0x80,    /* A = length */
	NJ_BPF_ALU_SUB_K = 0x14, /* A -= k */
	NJ_BPF_TAX = 0x07,       /* X = A */
	NJ_BPF_TXA = 0x87,       /* A = X */
	NJ_BPF_JEQ_K = 0x15,
	NJ_BPF_JGT_K = 0x25,
	NJ_BPF_JGE_K = 0x35,
	NJ_BPF_JGT_X = 0x2d,     /* A > X */
	NJ_BPF_JGE_X = 0x3d,     /* A >= X */
	NJ_BPF_RET_K = 0x06,
};

#ifdef __cplusplus
}
#endif

#endif
