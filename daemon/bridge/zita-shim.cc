// SPDX-License-Identifier: GPL-2.0-or-later
// zita-shim.cc - zita-resampler's VResampler behind zita-shim.h.
#include <new>
#include <zita-resampler/vresampler.h>

#include "zita-shim.h"

struct nj_zita {
	VResampler vr;
	double ratio; // nominal
};

extern "C" struct nj_zita *nj_zita_new(unsigned ch, unsigned hlen, double ratio)
{
	nj_zita *z = new (std::nothrow) nj_zita;

	if (z == nullptr) {
		return nullptr;
	}
	// the caller's ratio goes in relative to the nominal one
	if (z->vr.setup(ratio, ch, hlen) != 0) {
		delete z;
		return nullptr;
	}
	z->ratio = ratio;
	z->vr.set_rrfilt(0); // take a new ratio at once: the caller smooths it
	nj_zita_reset(z);
	return z;
}

extern "C" void nj_zita_free(struct nj_zita *z)
{
	delete z;
}

extern "C" void nj_zita_reset(struct nj_zita *z)
{
	z->vr.reset();
	// A fresh VResampler takes its first inpsize() - 1 input frames before
	// its first output, and the first half of them (less one) only as the
	// filter's history: feed that half as zeros, so that output frame j is
	// input time j / ratio (libsamplerate's alignment) and what it takes
	// before its first output is the filter's delay.
	z->vr.inp_count = (unsigned)z->vr.inpsize() / 2 - 1;
	z->vr.inp_data = nullptr; // zeros
	z->vr.out_count = 1;
	z->vr.out_data = nullptr; // (nothing comes out yet)
	z->vr.process();
}

extern "C" unsigned nj_zita_run(struct nj_zita *z, double ratio, const float *in, unsigned n_in,
				float *out, unsigned cap)
{
	z->vr.set_rratio(ratio / z->ratio);
	z->vr.inp_count = n_in;
	z->vr.inp_data = const_cast<float *>(in);
	z->vr.out_count = cap;
	z->vr.out_data = out;
	z->vr.process();
	return cap - z->vr.out_count;
}
