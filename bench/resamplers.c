/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * resamplers.c - the clock bridge's drift converter, library against
 * library: libsamplerate, zita-resampler's VResampler, libsoxr's
 * variable-rate mode and SpeexDSP's resampler, each at several settings,
 * driven as the bridge drives its converter (bench/resamplers.sh).
 *
 * Each output period of P frames the converter gets exactly the input the
 * ratio calls for (a fractional accumulator), at a ratio 1 + offset that
 * wanders +-5 ppm around the offset over 8 s, as the clock tracker's trim
 * moves it. Measured:
 *   - CPU per channel-second: thread CPU time over the run / (channels x
 *     seconds of audio), P 128 and 256, 2, 8 and 32 channels of noise; half
 *     the run at +300 ppm, half at -300;
 *   - SNR of a 997 Hz sine at half scale at +300 and -300 ppm (6 s, the
 *     first 0.5 s skipped): the output against the ideal resampled sine,
 *     whose phase follows the driven ratio sample by sample, fitted in 0.1 s
 *     windows (amplitude and phase free, each allowed to drift linearly
 *     within a window, so a converter that applies a new ratio a little
 *     later is not charged for it);
 *   - latency: input frames between a frame going in and its coming out
 *     (what is buffered plus the filter's delay), at ratio 1;
 *   - jitter: how far one period's output strays from P frames.
 * Every measurement is repeated and the median taken (the machine is shared).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_SAMPLERATE
#include <samplerate.h>
#endif
#ifdef HAVE_SOXR
#include <soxr.h>
#endif
#ifdef HAVE_SPEEXDSP
#include <speex/speex_resampler.h>
#endif
#ifdef HAVE_ZITA
#include "zita-shim.h"
#endif

#define RATE 48000
#define MAX_CH 32
#define NOISE_FRAMES 8192
#define WANDER_PPM 5.0
#define WANDER_S 8.0

struct backend {
	const char *lib, *setting;
	int arg;
	void *(*create)(int arg, unsigned ch);
	void (*destroy)(void *s);
	/* @n_in frames at @ratio (output per input) into room for @cap: frames out, or -1 */
	long (*run)(void *s, double ratio, const float *in, unsigned n_in, float *out, unsigned cap);
};

/* ------------------------------------------------------------ backends */

#ifdef HAVE_SAMPLERATE
static void *lsr_create(int arg, unsigned ch)
{
	int err;

	return src_new(arg, (int)ch, &err);
}

static void lsr_destroy(void *s)
{
	src_delete(s);
}

static long lsr_run(void *s, double ratio, const float *in, unsigned n_in, float *out, unsigned cap)
{
	SRC_DATA d = {.data_in = in, .data_out = out, .input_frames = (long)n_in,
		      .output_frames = (long)cap, .src_ratio = ratio};

	return src_process(s, &d) == 0 ? d.output_frames_gen : -1;
}
#endif

#ifdef HAVE_ZITA
static void *zita_create(int arg, unsigned ch)
{
	return nj_zita_new(ch, (unsigned)arg, 1.0);
}

static void zita_destroy(void *s)
{
	nj_zita_free(s);
}

static long zita_run(void *s, double ratio, const float *in, unsigned n_in, float *out, unsigned cap)
{
	return (long)nj_zita_run(s, ratio, in, n_in, out, cap);
}
#endif

#ifdef HAVE_SOXR
static void *soxr_create_vr(int arg, unsigned ch)
{
	soxr_error_t err = NULL;
	soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
	soxr_quality_spec_t q = soxr_quality_spec((unsigned long)arg, SOXR_VR);
	/* variable rate: the first rate is the largest input/output ratio */
	soxr_t s = soxr_create(1.1, 1.0, ch, &err, &io, &q, NULL);

	return err == NULL ? s : NULL;
}

static void soxr_destroy_vr(void *s)
{
	soxr_delete(s);
}

static long soxr_run_vr(void *s, double ratio, const float *in, unsigned n_in, float *out,
			unsigned cap)
{
	size_t idone = 0, odone = 0;

	if (soxr_set_io_ratio(s, 1.0 / ratio, 0) != NULL ||
	    soxr_process(s, in, n_in, &idone, out, cap, &odone) != NULL || idone != n_in) {
		return -1;
	}
	return (long)odone;
}
#endif

#ifdef HAVE_SPEEXDSP
/* the ratio as in/out = num / SPX_DEN: steps of 5 ppm. A denominator of
 * 400000 or more crashes libspeexdsp 1.2.1 within a few calls (here, with the
 * ratio set every period): its fraction arithmetic is 32-bit. */
#define SPX_DEN 200000u

static void *spx_create(int arg, unsigned ch)
{
	int err;

	return speex_resampler_init_frac(ch, SPX_DEN, SPX_DEN, RATE, RATE, arg, &err);
}

static void spx_destroy(void *s)
{
	speex_resampler_destroy(s);
}

static long spx_run(void *s, double ratio, const float *in, unsigned n_in, float *out, unsigned cap)
{
	spx_uint32_t num, den, il = n_in, ol = cap;
	spx_uint32_t want = (spx_uint32_t)lround(SPX_DEN / ratio);

	speex_resampler_get_ratio(s, &num, &den);
	/* only on a change: a new ratio recomputes the filter table */
	if ((unsigned long long)num * SPX_DEN != (unsigned long long)want * den) {
		speex_resampler_set_rate_frac(s, want, SPX_DEN, RATE, RATE);
	}
	if (speex_resampler_process_interleaved_float(s, in, &il, out, &ol) != 0 || il != n_in) {
		return -1;
	}
	return (long)ol;
}
#endif

/* one library's row for setting @arg, named @name */
#define LSR(name, arg) {"libsamplerate", name, arg, lsr_create, lsr_destroy, lsr_run}
#define ZITA(hlen) {"zita VResampler", "hlen " #hlen, hlen, zita_create, zita_destroy, zita_run}
#define SOXR(q) {"soxr VR", #q, SOXR_##q, soxr_create_vr, soxr_destroy_vr, soxr_run_vr}
#define SPX(q) {"SpeexDSP", "quality " #q, q, spx_create, spx_destroy, spx_run}

static const struct backend backends[] = {
#ifdef HAVE_SAMPLERATE
	LSR("fastest", SRC_SINC_FASTEST), LSR("medium", SRC_SINC_MEDIUM_QUALITY),
	LSR("best", SRC_SINC_BEST_QUALITY),
#endif
#ifdef HAVE_ZITA
	ZITA(16), ZITA(24), ZITA(32), ZITA(48), ZITA(64), ZITA(96),
#endif
#ifdef HAVE_SOXR
	SOXR(LQ), SOXR(MQ), SOXR(HQ), SOXR(VHQ),
#endif
#ifdef HAVE_SPEEXDSP
	SPX(3), SPX(5), SPX(7), SPX(10),
#endif
};
#define N_BACKENDS (sizeof(backends) / sizeof(backends[0]))

/* -------------------------------------------------------------- driving */

static double wander(double offset_ppm, double wander_ppm, double t)
{
	return 1.0 + (offset_ppm + wander_ppm * sin(2 * M_PI * t / WANDER_S)) * 1e-6;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU seconds per channel-second of audio (@secs of output, @ch of noise). */
static double cpu_per_channel(const struct backend *be, unsigned ch, unsigned period, double secs,
			      const float *noise)
{
	unsigned cap = period * 2 + 64, total = (unsigned)(secs * RATE), got = 0, pos = 0;
	float *out = malloc(sizeof(float) * cap * ch);
	void *s = be->create(be->arg, ch);
	double acc = 0, t0;

	if (s == NULL || out == NULL) {
		fprintf(stderr, "%s %s: cannot create\n", be->lib, be->setting);
		exit(1);
	}
	t0 = cpu_now();
	while (got < total) {
		double r = wander(got < total / 2 ? 300 : -300, WANDER_PPM, (double)got / RATE);
		unsigned k;
		long n;

		acc += period / r;
		k = (unsigned)acc;
		acc -= k;
		if (pos + k > NOISE_FRAMES) {
			pos = 0;
		}
		n = be->run(s, r, noise + (size_t)pos * ch, k, out, cap);
		if (n < 0) {
			fprintf(stderr, "%s %s: failed\n", be->lib, be->setting);
			exit(1);
		}
		pos += k;
		got += (unsigned)n;
	}
	t0 = cpu_now() - t0;
	be->destroy(s);
	free(out);
	return t0 / (ch * secs);
}

/* Solve the 4x4 system @a x = @b in place (Gaussian elimination, partial pivoting). */
static void solve4(double a[4][4], double b[4])
{
	for (int i = 0; i < 4; i++) {
		int p = i;

		for (int r = i + 1; r < 4; r++) {
			if (fabs(a[r][i]) > fabs(a[p][i])) {
				p = r;
			}
		}
		for (int c = 0; c < 4; c++) {
			double t = a[i][c];

			a[i][c] = a[p][c];
			a[p][c] = t;
		}
		{
			double t = b[i];

			b[i] = b[p];
			b[p] = t;
		}
		for (int r = i + 1; r < 4; r++) {
			double f = a[r][i] / a[i][i];

			for (int c = i; c < 4; c++) {
				a[r][c] -= f * a[i][c];
			}
			b[r] -= f * b[i];
		}
	}
	for (int i = 3; i >= 0; i--) {
		for (int c = i + 1; c < 4; c++) {
			b[i] -= a[i][c] * b[c];
		}
		b[i] /= a[i][i];
	}
}

/* SNR (dB) of @y against a sine of phase @ph (radians per sample index),
 * fitted window by window of @w samples: sin, cos and both times a ramp. */
static double windowed_snr(const float *y, const double *ph, unsigned n, unsigned w)
{
	double sig = 0, err = 0;

	for (unsigned s0 = 0; s0 + w <= n; s0 += w) {
		double a[4][4] = {{0}}, b[4] = {0};

		for (unsigned j = s0; j < s0 + w; j++) {
			double u = ((double)(j - s0) - w / 2.0) / w;
			double f[4] = {sin(ph[j]), cos(ph[j]), u * sin(ph[j]), u * cos(ph[j])};

			for (int p = 0; p < 4; p++) {
				for (int q = 0; q < 4; q++) {
					a[p][q] += f[p] * f[q];
				}
				b[p] += f[p] * y[j];
			}
		}
		solve4(a, b);
		for (unsigned j = s0; j < s0 + w; j++) {
			double u = ((double)(j - s0) - w / 2.0) / w;
			double fit = b[0] * sin(ph[j]) + b[1] * cos(ph[j]) + u * b[2] * sin(ph[j]) +
				     u * b[3] * cos(ph[j]);

			sig += fit * fit;
			err += (y[j] - fit) * (y[j] - fit);
		}
	}
	return 10 * log10(sig / err);
}

/* SNR (dB) of a sine of @hz at half scale through @be at @offset_ppm,
 * wandering @wander_ppm; *@jitter: the most one period's output strayed
 * from the period. */
static double sine_snr(const struct backend *be, double hz, double offset_ppm, double wander_ppm,
		       unsigned period, unsigned *jitter)
{
	const double secs = 6, skip = 0.5, w = 2 * M_PI * hz / RATE;
	unsigned total = (unsigned)(secs * RATE), cap = total + 4096, got = 0, fed = 0, calls = 0;
	float *in = malloc(sizeof(float) * (total + 4096));
	float *out = malloc(sizeof(float) * cap);
	double *ph = malloc(sizeof(double) * cap), *rb = malloc(sizeof(double) * (cap / period + 2));
	void *s = be->create(be->arg, 1);
	double acc = 0, t = 0, db;

	if (s == NULL || !in || !out || !ph || !rb) {
		fprintf(stderr, "%s %s: cannot create\n", be->lib, be->setting);
		exit(1);
	}
	for (unsigned i = 0; i < total + 4096; i++) {
		in[i] = (float)(0.5 * sin(w * i));
	}
	*jitter = 0;
	while (got + period * 2 < total) {
		double r = wander(offset_ppm, wander_ppm, (double)calls * period / RATE);
		unsigned k;
		long n;

		rb[calls] = r;
		acc += period / r;
		k = (unsigned)acc;
		acc -= k;
		/* room as the bridge gives (libsamplerate spreads a change of
		 * ratio over the room it is given) */
		n = be->run(s, r, in + fed, k, out + got, cap - got < period * 2 + 64 ? cap - got : period * 2 + 64);
		if (n < 0) {
			fprintf(stderr, "%s %s: failed\n", be->lib, be->setting);
			exit(1);
		}
		if (calls > 50) {
			unsigned d = (unsigned)labs(n - (long)period);

			*jitter = d > *jitter ? d : *jitter;
		}
		fed += k;
		got += (unsigned)n;
		calls++;
	}
	/* the ideal output's phase: input time advances 1/r a sample, r the
	 * ratio of the period the output sample falls in */
	for (unsigned j = 0; j < got; j++) {
		ph[j] = w * t;
		t += 1.0 / rb[j / period < calls ? j / period : calls - 1];
	}
	{
		unsigned s0 = (unsigned)(skip * RATE);

		db = windowed_snr(out + s0, ph + s0, got - s0, RATE / 10);
	}
	be->destroy(s);
	free(in);
	free(out);
	free(ph);
	free(rb);
	return db;
}

/* Input frames from a frame going in to its coming out, at ratio 1. */
static long latency(const struct backend *be)
{
	enum { N = 8192, AT = 2048, B = 64 };
	float *in = calloc(N, sizeof(float)), *out = calloc(N * 2, sizeof(float));
	void *s = be->create(be->arg, 1);
	unsigned got = 0, peak = 0;

	in[AT] = 1.0f;
	for (unsigned f = 0; f < N; f += B) {
		long n = be->run(s, 1.0, in + f, B, out + got, N * 2 - got);

		got += n > 0 ? (unsigned)n : 0;
	}
	for (unsigned j = 0; j < got; j++) {
		if (fabsf(out[j]) > fabsf(out[peak])) {
			peak = j;
		}
	}
	be->destroy(s);
	free(in);
	free(out);
	/* what is held back, plus how late the impulse came out of what was */
	return (long)(N - got) + (long)peak - AT;
}

/* ---------------------------------------------------------------- main */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const unsigned periods[] = {128, 256};
static const unsigned chans[] = {2, 8, 32};
#define N_CONF (sizeof(periods) / sizeof(periods[0]) * sizeof(chans) / sizeof(chans[0]))

int main(int argc, char **argv)
{
	unsigned reps = argc > 1 ? (unsigned)atoi(argv[1]) : 5;
	double secs = argc > 2 ? atof(argv[2]) : 2.0;
	static double cpu[N_BACKENDS][N_CONF][64], med[N_BACKENDS][N_CONF];
	double snr[N_BACKENDS][5];
	unsigned jit[N_BACKENDS][5];
	long lat[N_BACKENDS];
	float *noise = malloc(sizeof(float) * NOISE_FRAMES * MAX_CH);
	int ref = -1;

	if (reps < 1 || reps > 64 || secs <= 0 || noise == NULL) {
		fprintf(stderr, "usage: resamplers [REPEATS (1-64)] [SECONDS]\n");
		return 2;
	}
	srand(1);
	for (unsigned i = 0; i < NOISE_FRAMES * MAX_CH; i++) {
		noise[i] = (float)(0.5 * ((double)rand() / RAND_MAX * 2 - 1));
	}
	for (unsigned b = 0; b < N_BACKENDS; b++) {
		if (strcmp(backends[b].lib, "libsamplerate") == 0 &&
		    strcmp(backends[b].setting, "medium") == 0) {
			ref = (int)b;
		}
		snr[b][0] = sine_snr(&backends[b], 997, 300, WANDER_PPM, 256, &jit[b][0]);
		snr[b][1] = sine_snr(&backends[b], 997, -300, WANDER_PPM, 256, &jit[b][1]);
		snr[b][2] = sine_snr(&backends[b], 997, 300, 0, 256, &jit[b][2]);
		snr[b][3] = sine_snr(&backends[b], 997, -300, 0, 256, &jit[b][3]);
		snr[b][4] = sine_snr(&backends[b], 15000, 300, WANDER_PPM, 256, &jit[b][4]);
		lat[b] = latency(&backends[b]);
	}
	/* repeats outermost, so that a busy spell of the machine spreads over
	 * every converter instead of spoiling one */
	for (unsigned r = 0; r < reps; r++) {
		for (unsigned b = 0; b < N_BACKENDS; b++) {
			unsigned c = 0;

			for (unsigned p = 0; p < 2; p++) {
				for (unsigned k = 0; k < 3; k++, c++) {
					cpu[b][c][r] = cpu_per_channel(&backends[b], chans[k], periods[p],
								       secs, noise);
				}
			}
		}
		fprintf(stderr, "round %u of %u done\n", r + 1, reps);
	}
	for (unsigned b = 0; b < N_BACKENDS; b++) {
		for (unsigned c = 0; c < N_CONF; c++) {
			med[b][c] = median(cpu[b][c], reps);
		}
	}
	printf("48 kHz, ratio 1 +-300 ppm wandering +-%.0f ppm over %.0f s; median of %u runs of %.1f s\n",
	       WANDER_PPM, WANDER_S, reps, secs);
	printf("CPU: microseconds of CPU per channel-second of audio (100 = 0.01 %% of a core per channel)\n");
	printf("SNR: 997 Hz at half scale, dB, ratio wandering (+-300) and steady (st); 15k: 15 kHz, +300, wandering\n");
	printf("latency: input frames; jitter: most frames one period's output strays from P\n\n");
	printf("%-16s %-10s %6s %6s %6s %6s %6s %4s %3s |", "library", "setting", "+300", "-300",
	       "st+300", "st-300", "15k", "lat", "jit");
	for (unsigned p = 0; p < 2; p++) {
		for (unsigned k = 0; k < 3; k++) {
			printf(" P%u/%2uch", periods[p], chans[k]);
		}
	}
	printf(" | vs medium\n");
	for (unsigned b = 0; b < N_BACKENDS; b++) {
		double lr = 0;

		unsigned jm = 0;

		for (unsigned i = 0; i < 5; i++) {
			jm = jit[b][i] > jm ? jit[b][i] : jm;
		}
		printf("%-16s %-10s %6.1f %6.1f %6.1f %6.1f %6.1f %4ld %3u |", backends[b].lib,
		       backends[b].setting, snr[b][0], snr[b][1], snr[b][2], snr[b][3], snr[b][4],
		       lat[b], jm);
		for (unsigned c = 0; c < N_CONF; c++) {
			printf(" %8.1f", med[b][c] * 1e6);
			if (ref >= 0) {
				lr += log(med[b][c] / med[ref][c]);
			}
		}
		if (ref >= 0) {
			printf(" | %5.2f", exp(lr / N_CONF));
		}
		printf("\n");
	}
	if (ref >= 0) {
		printf("\nCPU ratio to libsamplerate medium, per setup (below 1: cheaper)\n");
		printf("%-16s %-10s |", "library", "setting");
		for (unsigned p = 0; p < 2; p++) {
			for (unsigned k = 0; k < 3; k++) {
				printf(" P%u/%2uch", periods[p], chans[k]);
			}
		}
		printf("\n");
		for (unsigned b = 0; b < N_BACKENDS; b++) {
			printf("%-16s %-10s |", backends[b].lib, backends[b].setting);
			for (unsigned c = 0; c < N_CONF; c++) {
				printf(" %8.2f", med[b][c] / med[ref][c]);
			}
			printf("\n");
		}
	}
	free(noise);
	return 0;
}
