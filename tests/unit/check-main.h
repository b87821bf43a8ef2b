/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check-main.h - the one main() every Check test executable shares. */
#ifndef NJ_CHECK_MAIN_H
#define NJ_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

/* NJ_CHECK_MAIN(make_suite): run the suite, exit non-zero on any failure. */
#define NJ_CHECK_MAIN(make_suite)                                                  \
	int main(void)                                                             \
	{                                                                          \
		SRunner *sr = srunner_create(make_suite());                        \
		int failed;                                                        \
                                                                                   \
		srunner_run_all(sr, CK_NORMAL);                                    \
		failed = srunner_ntests_failed(sr);                                \
		srunner_free(sr);                                                  \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                       \
	}

#endif
