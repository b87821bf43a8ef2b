/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bpf-asm.h - write a classic BPF program with named forward targets
 * (private to the core; the program is for bpf.h).
 *
 * Every jump goes forward: to the next instruction (NJ_BPF_NEXT), to the
 * program's shared ending (NJ_BPF_KEEP, NJ_BPF_DROP, emitted by
 * nj_bpf_finish) or to a label placed later (1..NJ_BPF_LABELS).
 */
#ifndef NJ_CORE_BPF_ASM_H
#define NJ_CORE_BPF_ASM_H

#include <stdbool.h>
#include <stddef.h>

#include <libnetproto/bpf.h>

#define NJ_BPF_LABELS 8

enum {
	NJ_BPF_NEXT = 0,
	NJ_BPF_KEEP = NJ_BPF_LABELS + 1,
	NJ_BPF_DROP = NJ_BPF_LABELS + 2,
};

struct nj_bpf_asm {
	struct nj_bpf_insn *prog;
	unsigned cap, n;
	bool bad; /* too long, or a target that cannot be reached */
	unsigned char tt[NJ_BPF_MAX], tf[NJ_BPF_MAX]; /* symbolic targets */
	int at[NJ_BPF_LABELS + 3];                    /* where each label is, -1: not yet */
};

/*
 * Start a program for the exchange filters' contract (exchange.h): datagrams
 * longer than @max payload bytes are dropped; then A and X hold the payload
 * length (the datagram seen from @base bytes before its payload).
 */
void nj_bpf_begin(struct nj_bpf_asm *a, struct nj_bpf_insn *prog, unsigned cap, unsigned base,
		  size_t max);
/* A statement (load, ALU, return). */
void nj_bpf_stmt(struct nj_bpf_asm *a, uint16_t code, uint32_t k);
/* A conditional jump: to @yes when true, @no otherwise. */
void nj_bpf_jump(struct nj_bpf_asm *a, uint16_t code, uint32_t k, unsigned yes, unsigned no);
/* Place @label (1..NJ_BPF_LABELS) at the next instruction. */
void nj_bpf_label(struct nj_bpf_asm *a, unsigned label);
/* Emit KEEP (return all) and DROP (return 0), resolve the jumps: the count, or 0. */
unsigned nj_bpf_finish(struct nj_bpf_asm *a);

#endif
