/* SPDX-License-Identifier: GPL-2.0-or-later */
/* options.c - table-driven command line and config file parsing. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define MAX_OPTS 64

static const char *const flag_words[] = {"true", "yes", "on", "1", "false", "no", "off", "0",
					 NULL};

/* Where a value came from, for error messages. */
struct origin {
	const char *file; /* NULL: command line */
	unsigned line;
};

static int fail(const struct nj_opt_program *p, const struct origin *o, const struct nj_opt *opt,
		const char *value, const char *why)
{
	if (o->file != NULL) {
		fprintf(stderr, "%s: %s:%u: --%s: \"%s\" %s\n", p->name, o->file, o->line, opt->name,
			value, why);
	} else {
		fprintf(stderr, "%s: --%s: \"%s\" %s\n", p->name, opt->name, value, why);
	}
	return -1;
}

static int parse_long(const char *s, long *ret)
{
	char *end;

	errno = 0;
	*ret = strtol(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' ? 0 : -1;
}

/* "2s", "1.5s", "500ms", "250us", or a plain number of seconds. */
static int parse_duration(const char *s, uint64_t *ret_us)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || v < 0 || v > 1e9) {
		return -1;
	}
	if (*end == '\0' || strcmp(end, "s") == 0) {
		v *= 1e6;
	} else if (strcmp(end, "ms") == 0) {
		v *= 1e3;
	} else if (strcmp(end, "us") != 0) {
		return -1;
	}
	*ret_us = (uint64_t)(v + 0.5);
	return 0;
}

static int set_value(const struct nj_opt_program *p, const struct nj_opt *opt, void *cfg,
		     const char *value, const struct origin *o)
{
	char *field = (char *)cfg + opt->offset;
	char why[96];
	long v;

	switch (opt->type) {
	case NJ_OPT_FLAG:
		for (unsigned i = 0; flag_words[i] != NULL; i++) {
			if (strcmp(value, flag_words[i]) == 0) {
				*(bool *)field = i < 4;
				return 0;
			}
		}
		return fail(p, o, opt, value, "is not a yes/no value");
	case NJ_OPT_ON_INT:
		if (value == NULL) {
			*(int *)field = (int)(long)opt->size;
			return 0;
		}
		for (unsigned i = 0; flag_words[i] != NULL; i++) {
			if (strcmp(value, flag_words[i]) == 0) {
				*(int *)field = i < 4 ? (int)(long)opt->size : 0;
				return 0;
			}
		}
		if (parse_long(value, &v) < 0 || (v != 0 && (v < opt->min || v > opt->max))) {
			snprintf(why, sizeof(why), "is not yes, no or a number in %ld..%ld", opt->min,
				 opt->max);
			return fail(p, o, opt, value, why);
		}
		*(int *)field = (int)v;
		return 0;
	case NJ_OPT_INT:
		if (parse_long(value, &v) < 0 || v < opt->min || v > opt->max) {
			snprintf(why, sizeof(why), "is not a number in %ld..%ld", opt->min, opt->max);
			return fail(p, o, opt, value, why);
		}
		*(int *)field = (int)v;
		return 0;
	case NJ_OPT_DURATION: {
		uint64_t us;

		if (parse_duration(value, &us) < 0 || us < (uint64_t)opt->min * 1000 ||
		    us > (uint64_t)opt->max * 1000) {
			/* the range in ms, or in s where it is whole seconds */
			if (opt->max % 1000 == 0) {
				snprintf(why, sizeof(why),
					 "is not a duration in %ldms..%lds (e.g. 2s, 500ms)", opt->min,
					 opt->max / 1000);
			} else {
				snprintf(why, sizeof(why),
					 "is not a duration in %ldms..%ldms (a plain number is seconds)",
					 opt->min, opt->max);
			}
			return fail(p, o, opt, value, why);
		}
		*(uint64_t *)field = us;
		return 0;
	}
	case NJ_OPT_STRING:
		if (strlen(value) >= opt->size) {
			snprintf(why, sizeof(why), "is longer than %zu characters", opt->size - 1);
			return fail(p, o, opt, value, why);
		}
		strcpy(field, value);
		return 0;
	case NJ_OPT_LIST: {
		size_t have = strlen(field);

		if (value[0] == '\0' || strchr(value, '\n') != NULL) {
			return fail(p, o, opt, value, "is empty or has a line break");
		}
		if (have + (have ? 1 : 0) + strlen(value) >= opt->size) {
			snprintf(why, sizeof(why), "makes the list longer than %zu characters",
				 opt->size - 1);
			return fail(p, o, opt, value, why);
		}
		if (have) {
			field[have++] = '\n';
		}
		strcpy(field + have, value);
		return 0;
	}
	case NJ_OPT_ENUM:
		for (int i = 0; opt->words[i] != NULL; i++) {
			if (strcmp(value, opt->words[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		}
		snprintf(why, sizeof(why), "is not one of:");
		for (int i = 0; opt->words[i] != NULL; i++) {
			size_t l = strlen(why);

			snprintf(why + l, sizeof(why) - l, " %s", opt->words[i]);
		}
		return fail(p, o, opt, value, why);
	}
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s)) {
		s++;
	}
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1])) {
		*--e = '\0';
	}
	return s;
}

static const struct nj_opt *find_opt(const struct nj_opt_program *p, const char *name)
{
	for (size_t i = 0; i < p->nopts; i++) {
		if (strcmp(p->opts[i].name, name) == 0) {
			return &p->opts[i];
		}
	}
	return NULL;
}

static int parse_file(const struct nj_opt_program *p, void *cfg, const char *path, bool must)
{
	struct origin o = {.file = path};
	char line[1024];
	int rc = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		if (!must && errno == ENOENT) {
			return 0;
		}
		fprintf(stderr, "%s: --config: %s: %s\n", p->name, path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *s, *eq, *key, *value;
		const struct nj_opt *opt;

		o.line++;
		s = line;
		s[strcspn(s, "#\n")] = '\0';
		s = trim(s);
		if (*s == '\0') {
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			fprintf(stderr, "%s: %s:%u: expected \"key = value\"\n", p->name, path, o.line);
			rc = -1;
			break;
		}
		*eq = '\0';
		key = trim(s);
		value = trim(eq + 1);
		opt = find_opt(p, key);
		if (opt == NULL && strcmp(key, "verbose") == 0 && p->verbose != NULL) {
			/* the built-in -v, as a flag at its place in @cfg */
			static struct nj_opt verbose_opt = {.name = "verbose", .type = NJ_OPT_FLAG};

			verbose_opt.offset = (size_t)((char *)p->verbose - (char *)cfg);
			opt = &verbose_opt;
		}
		if (opt == NULL || strcmp(key, "config") == 0) {
			fprintf(stderr, "%s: %s:%u: unknown option \"%s\"\n", p->name, path, o.line,
				key);
			rc = -1;
			break;
		}
		if ((opt->type == NJ_OPT_FLAG || opt->type == NJ_OPT_ON_INT) && *value == '\0') {
			value = "yes";
		}
		rc = set_value(p, opt, cfg, value, &o);
	}
	fclose(f);
	return rc;
}

static void default_text(const struct nj_opt *o, const void *defaults, char *buf, size_t len)
{
	const char *field = (const char *)defaults + o->offset;

	buf[0] = '\0';
	switch (o->type) {
	case NJ_OPT_FLAG:
		break;
	case NJ_OPT_INT:
		/* below its range: unset, the program works it out (its help says how) */
		if (*(const int *)field >= o->min) {
			snprintf(buf, len, " (default %d)", *(const int *)field);
		}
		break;
	case NJ_OPT_ON_INT:
		if (*(const int *)field == 0) {
			snprintf(buf, len, " (default off; alone: %ld)", (long)o->size);
		} else {
			snprintf(buf, len, " (default %d)", *(const int *)field);
		}
		break;
	case NJ_OPT_DURATION:
		snprintf(buf, len, " (default %gs)", (double)*(const uint64_t *)field / 1e6);
		break;
	case NJ_OPT_STRING:
		if (field[0] != '\0') {
			snprintf(buf, len, " (default %s)", field);
		}
		break;
	case NJ_OPT_LIST:
		snprintf(buf, len, " (repeatable)");
		break;
	case NJ_OPT_ENUM:
		snprintf(buf, len, " (default %s)", o->words[*(const int *)field]);
		break;
	}
}

void nj_options_usage(const struct nj_opt_program *p, const void *defaults, void *out)
{
	FILE *f = out;

	fprintf(f, "Usage: %s [OPTIONS]\n%s\n\n", p->name, p->summary);
	for (size_t i = 0; i < p->nopts; i++) {
		const struct nj_opt *o = &p->opts[i];
		char head[64], def[96];

		snprintf(head, sizeof(head), "%c%c%s--%s%s%s%s", o->letter ? '-' : ' ',
			 o->letter ? o->letter : ' ', o->letter ? ", " : "  ", o->name,
			 o->type == NJ_OPT_FLAG ? "" : o->type == NJ_OPT_ON_INT ? "[=" : " ",
			 o->type == NJ_OPT_FLAG ? "" : o->arg, o->type == NJ_OPT_ON_INT ? "]" : "");
		default_text(o, defaults, def, sizeof(def));
		fprintf(f, "  %-28s %s%s\n", head, o->help, def);
	}
	fprintf(f, "      --config FILE            config file of key = value lines%s%s%s\n"
		   "  -v, --verbose                debug messages\n"
		   "      --print-config           print a config file with every option and its default\n"
		   "  -h, --help                   this text\n"
		   "  -V, --version                print the version\n",
		p->default_config ? " (default " : "", p->default_config ? p->default_config : "",
		p->default_config ? ")" : "");
}

/* One option's default as a config file value. */
static void default_value(const struct nj_opt *o, const void *defaults, char *buf, size_t len)
{
	const char *field = (const char *)defaults + o->offset;
	uint64_t us;

	switch (o->type) {
	case NJ_OPT_FLAG:
		snprintf(buf, len, "%s", *(const bool *)field ? "true" : "false");
		break;
	case NJ_OPT_INT:
	case NJ_OPT_ON_INT:
		snprintf(buf, len, "%d", *(const int *)field);
		break;
	case NJ_OPT_DURATION:
		us = *(const uint64_t *)field;
		if (us % 1000000 == 0) {
			snprintf(buf, len, "%llus", (unsigned long long)(us / 1000000));
		} else {
			snprintf(buf, len, "%llums", (unsigned long long)(us / 1000));
		}
		break;
	case NJ_OPT_STRING:
		snprintf(buf, len, "%s", field);
		break;
	case NJ_OPT_LIST:
		snprintf(buf, len, "%s", field[0] ? field : "VALUE (one line each)");
		break;
	case NJ_OPT_ENUM:
		snprintf(buf, len, "%s", o->words[*(const int *)field]);
		break;
	}
}

void nj_options_example(const struct nj_opt_program *p, const void *defaults, void *out)
{
	FILE *f = out;

	fprintf(f, "# %s configuration%s%s\n# %s\n#\n", p->name, p->default_config ? ": " : "",
		p->default_config ? p->default_config : "", p->summary);
	fprintf(f, "# key = value lines; keys are the long options of %s --help, which\n"
		   "# win over this file. Every option is shown with its default, commented.\n\n",
		p->name);
	for (size_t i = 0; i < p->nopts; i++) {
		const struct nj_opt *o = &p->opts[i];
		char val[160];

		default_value(o, defaults, val, sizeof(val));
		fprintf(f, "# %s\n#%s = %s\n\n", o->help, o->name, val);
	}
	fprintf(f, "# debug messages\n#verbose = false\n");
}

/* Built-in options every daemon has (--config has no letter: -c is jack2's
 * auto-connect letter). Table options use codes from 256 up. */
enum { OPT_CONFIG = 1000, OPT_EXAMPLE, OPT_VERBOSE = 'v', OPT_HELP = 'h', OPT_VERSION = 'V' };

int nj_options_parse(const struct nj_opt_program *p, void *cfg, int argc, char **argv)
{
	struct option lo[MAX_OPTS + 6];
	char shorts[4 * MAX_OPTS + 16] = "+vhV";
	const char *config = p->default_config;
	bool config_given = false;
	struct origin cmdline = {0};
	size_t defaults_len = 0;
	void *defaults;
	int c, idx, rc;

	if (p->nopts > MAX_OPTS) {
		return -1;
	}
	for (size_t i = 0; i < p->nopts; i++) {
		const struct nj_opt *o = &p->opts[i];
		size_t end = o->offset + (o->type == NJ_OPT_STRING || o->type == NJ_OPT_LIST
						  ? o->size
						  : sizeof(uint64_t));

		lo[i].name = o->name;
		lo[i].has_arg = o->type == NJ_OPT_FLAG      ? no_argument
				: o->type == NJ_OPT_ON_INT ? optional_argument
							   : required_argument;
		lo[i].flag = NULL;
		lo[i].val = 256 + (int)i;
		if (o->letter) {
			size_t l = strlen(shorts);

			shorts[l] = (char)o->letter;
			shorts[l + 1] = o->type == NJ_OPT_FLAG ? '\0' : ':';
			shorts[l + 2] = o->type == NJ_OPT_ON_INT ? ':' : '\0';
			shorts[l + 3] = '\0';
		}
		if (end > defaults_len) {
			defaults_len = end;
		}
	}
	lo[p->nopts] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
	lo[p->nopts + 1] = (struct option){"verbose", no_argument, NULL, OPT_VERBOSE};
	lo[p->nopts + 2] = (struct option){"help", no_argument, NULL, OPT_HELP};
	lo[p->nopts + 3] = (struct option){"version", no_argument, NULL, OPT_VERSION};
	lo[p->nopts + 4] = (struct option){"print-config", no_argument, NULL, OPT_EXAMPLE};
	lo[p->nopts + 5] = (struct option){NULL, 0, NULL, 0};

	/* A copy of the defaults for --help, taken before anything is parsed. */
	defaults = malloc(defaults_len ? defaults_len : 1);
	if (defaults == NULL) {
		return -1;
	}
	memcpy(defaults, cfg, defaults_len);

	/* First pass: --config, --help, --version only. */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shorts, lo, &idx)) != -1) {
		if (c == OPT_CONFIG) {
			config = optarg;
			config_given = true;
		} else if (c == OPT_VERBOSE && p->verbose != NULL) {
			*p->verbose = true;
		} else if (c == OPT_HELP) {
			nj_options_usage(p, defaults, stdout);
			free(defaults);
			return 1;
		} else if (c == OPT_EXAMPLE) {
			nj_options_example(p, defaults, stdout);
			free(defaults);
			return 1;
		} else if (c == OPT_VERSION) {
			printf("%s %s\n", p->name, NETJACK_VERSION);
			free(defaults);
			return 1;
		}
	}
	free(defaults);
	if (config != NULL && parse_file(p, cfg, config, config_given) < 0) {
		return -1;
	}
	/* Second pass: the command line wins over the file. */
	opterr = 0;
	optind = 1;
	rc = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, shorts, lo, &idx)) != -1) {
		const struct nj_opt *o = NULL;

		if (c == OPT_CONFIG || c == OPT_VERBOSE || c == OPT_EXAMPLE) {
			continue; /* built-ins: taken in the first pass */
		}
		if (c >= 256 && (size_t)(c - 256) < p->nopts) {
			o = &p->opts[c - 256];
		} else if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];

			if (optopt != 0 && optopt < 256) {
				fprintf(stderr, "%s: -%c: %s\n", p->name, optopt,
					c == ':' || strchr(shorts, optopt) ? "needs a value"
									   : "unknown option");
			} else {
				fprintf(stderr, "%s: %s: unknown option or missing value\n", p->name,
					bad);
			}
			return -1;
		} else {
			for (size_t i = 0; i < p->nopts; i++) {
				if (p->opts[i].letter == c) {
					o = &p->opts[i];
				}
			}
		}
		if (o == NULL) {
			continue;
		}
		rc = o->type == NJ_OPT_FLAG ? (*(bool *)((char *)cfg + o->offset) = true, 0)
					    : set_value(p, o, cfg, optarg, &cmdline);
	}
	if (rc == 0 && optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", p->name, argv[optind]);
		return -1;
	}
	return rc;
}
