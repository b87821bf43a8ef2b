/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bpf-asm.c - classic BPF programs with named forward targets (bpf-asm.h). */
#include <string.h>

#include "bpf-asm.h"


static void emit(struct nj_bpf_asm *a, uint16_t code, uint32_t k, unsigned yes, unsigned no)
{
	if (a->n >= a->cap || yes > NJ_BPF_DROP || no > NJ_BPF_DROP) {
		a->bad = true;
		return;
	}
	a->prog[a->n] = (struct nj_bpf_insn){.code = code, .k = k};
	a->tt[a->n] = (unsigned char)yes;
	a->tf[a->n] = (unsigned char)no;
	a->n++;
}

void nj_bpf_stmt(struct nj_bpf_asm *a, uint16_t code, uint32_t k)
{
	emit(a, code, k, NJ_BPF_NEXT, NJ_BPF_NEXT);
}

void nj_bpf_jump(struct nj_bpf_asm *a, uint16_t code, uint32_t k, unsigned yes, unsigned no)
{
	emit(a, code, k, yes, no);
}

void nj_bpf_label(struct nj_bpf_asm *a, unsigned label)
{
	if (label == NJ_BPF_NEXT || label > NJ_BPF_LABELS || a->at[label] >= 0) {
		a->bad = true;
		return;
	}
	a->at[label] = (int)a->n;
}

/* The offset of @target from instruction @i (a jump is relative to i + 1). */
static bool resolve(struct nj_bpf_asm *a, unsigned i, unsigned target, uint8_t *ret)
{
	int to = target == NJ_BPF_NEXT ? (int)i + 1 : a->at[target];

	if (to <= (int)i || to - (int)i - 1 > 255) {
		return false;
	}
	*ret = (uint8_t)(to - (int)i - 1);
	return true;
}

void nj_bpf_begin(struct nj_bpf_asm *a, struct nj_bpf_insn *prog, unsigned cap, unsigned base,
		  size_t max)
{
	memset(a, 0, sizeof(*a));
	a->prog = prog;
	a->cap = cap < NJ_BPF_MAX ? cap : NJ_BPF_MAX;
	for (unsigned i = 0; i < NJ_BPF_LABELS + 3; i++) {
		a->at[i] = -1;
	}
	nj_bpf_stmt(a, NJ_BPF_LD_LEN, 0);
	nj_bpf_stmt(a, NJ_BPF_ALU_SUB_K, base);
	nj_bpf_jump(a, NJ_BPF_JGT_K, max > UINT32_MAX ? UINT32_MAX : (uint32_t)max, NJ_BPF_DROP,
		    NJ_BPF_NEXT);
	nj_bpf_stmt(a, NJ_BPF_TAX, 0);
}

unsigned nj_bpf_finish(struct nj_bpf_asm *a)
{
	a->at[NJ_BPF_KEEP] = (int)a->n;
	nj_bpf_stmt(a, NJ_BPF_RET_K, UINT32_MAX);
	a->at[NJ_BPF_DROP] = (int)a->n;
	nj_bpf_stmt(a, NJ_BPF_RET_K, 0);
	for (unsigned i = 0; i < a->n && !a->bad; i++) {
		bool jump = (a->prog[i].code & 0x07) == 0x05;

		if (jump && (!resolve(a, i, a->tt[i], &a->prog[i].jt) ||
			     !resolve(a, i, a->tf[i], &a->prog[i].jf))) {
			a->bad = true;
		}
	}
	return a->bad ? 0 : a->n;
}
