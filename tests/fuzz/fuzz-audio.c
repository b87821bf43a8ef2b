/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-audio.c - float and byte-stream payload decoders. The first 8 bytes
 * choose period, port count, active count, sub-cycle and MTU; the rest is the
 * payload. Every written buffer is exactly as large as the contract says, so
 * the sanitizers catch any write past it.
 */
#include <stdlib.h>
#include <string.h>

#include <libnetproto/audio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned period, nports, active, sub, mtu, stream_len;
	float *ports[NJ_MAX_CHANNELS];
	uint8_t *streams[NJ_MAX_CHANNELS];
	int r;

	if (size < 8) {
		return 0;
	}
	period = NJ_PERIOD_MIN << (data[0] % 10);          /* 16 .. 8192 */
	nports = 1 + data[1] % 16;
	active = data[2] % 20;
	sub = data[3] | (unsigned)(data[4] & 3) << 8;
	mtu = NJ_MTU_MIN + ((unsigned)data[5] << 8 | data[6]) % (NJ_MTU_MAX - NJ_MTU_MIN + 1);
	stream_len = 1 + data[7] * 8u;
	data += 8;
	size -= 8;
	for (unsigned i = 0; i < nports; i++) {
		ports[i] = malloc(sizeof(float) * period);
		streams[i] = malloc(stream_len);
	}
	r = nj2_float_decode(data, size, active, sub, period, ports, nports, NULL);
	if (r > 0 && (unsigned)r * (sub + 1) > period) {
		abort();
	}
	nj2_stream_decode(data, size, mtu, nports, stream_len, sub, streams);
	for (unsigned i = 0; i < nports; i++) {
		free(ports[i]);
		free(streams[i]);
	}
	return 0;
}
