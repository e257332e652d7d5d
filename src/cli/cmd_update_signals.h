/* SPDX-License-Identifier: MIT */
/*
 * `tdxup update`'s termination signals (update_opts.guard): held back from
 * just before loading=1 until the kernel's outcome is known, acted on once
 * the result is printed (cmd_update_signals.c).
 */
#ifndef TDXUP_CLI_CMD_UPDATE_SIGNALS_H
#define TDXUP_CLI_CMD_UPDATE_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

#include "tdxup/update.h"

struct term_guard {
	sigset_t set;			/* the termination signals */
	sigset_t old;			/* the mask before they were blocked */
	bool blocked;
	int sig;			/* one found pending, or 0 */
	enum update_guard at;		/* where it was found */
};

void term_guard_init(struct term_guard *g);
/* update_opts.guard, with g as its ctx. */
const char *term_guard_cb(void *g, enum update_guard at);
/*
 * Once update_run has returned (the hold released) and the result is
 * printed: a signal held back is named on stderr and acted on (the process
 * ends by it, as it would have); otherwise the mask is restored and ret
 * returned.
 */
int term_guard_finish(struct term_guard *g, int ret);

#endif /* TDXUP_CLI_CMD_UPDATE_SIGNALS_H */
