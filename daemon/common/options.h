/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * options.h - one option table drives getopt_long, the config file and --help.
 *
 * The config file holds `key = value` lines whose keys are the long option
 * names; `#` starts a comment. The command line wins over the file. A bad
 * value stops startup with a message naming the option (and the file and
 * line for the config file).
 */
#ifndef NJ_OPTIONS_H
#define NJ_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nj_opt_type {
	NJ_OPT_FLAG,     /* bool; "true/false/yes/no/1/0" in the file */
	NJ_OPT_INT,      /* int within min..max */
	NJ_OPT_DURATION, /* uint64 microseconds; "2s", "500ms", "2000us", plain = seconds */
	NJ_OPT_STRING,   /* char[size] */
	NJ_OPT_ENUM,     /* int index into words */
	NJ_OPT_ON_INT,   /* int, 0 = off; alone it is `size`, or --name=N within min..max;
			    "yes"/"no" or a number in the file */
	NJ_OPT_LIST,     /* char[size]: repeatable, every value (the file's and the
			    command line's) kept, one per line */
};

struct nj_opt {
	const char *name;     /* long name and config key */
	int letter;           /* short option letter, or 0 */
	enum nj_opt_type type;
	size_t offset;        /* into the caller's config struct */
	size_t size;          /* NJ_OPT_STRING: buffer size; NJ_OPT_ON_INT: the value alone */
	long min, max;        /* NJ_OPT_INT: range; NJ_OPT_DURATION: range in ms */
	const char *const *words; /* NJ_OPT_ENUM: NULL-terminated */
	const char *arg;      /* argument name in --help */
	const char *help;
};

struct nj_opt_program {
	const char *name;           /* program name */
	const char *summary;        /* one line for --help */
	const char *default_config; /* path, or NULL */
	const struct nj_opt *opts;
	size_t nopts;
	bool *verbose;              /* set by -v/--verbose */
};

/**
 * nj_options_parse - config file (--config or the default, which may be
 * absent), then the command line, into @cfg (already holding defaults).
 * Returns 0 to run, 1 when --help or --version was printed, -1 on an error
 * (printed to stderr, naming the option).
 */
int nj_options_parse(const struct nj_opt_program *prog, void *cfg, int argc, char **argv);

/** nj_options_usage - print the --help text, generated from the table, to @out (a FILE *). */
void nj_options_usage(const struct nj_opt_program *prog, const void *defaults, void *out);

/** nj_options_example - a config file with every option, commented, at its default. */
void nj_options_example(const struct nj_opt_program *prog, const void *defaults, void *out);

#endif
