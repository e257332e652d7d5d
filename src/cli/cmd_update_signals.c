// SPDX-License-Identifier: MIT
/*
 * `tdxup update` and termination signals (issue: safety rule 3 on a host
 * with service managers). systemd, timeout(1) and Ansible stop a run with
 * SIGTERM; dying at the wrong moment would release the build hold while
 * the kernel is still updating the module, and builds started then end
 * with wrong MRTDs. So, from just before loading=1 until the attempt's
 * outcome is known, the termination signals are blocked (no handler: a
 * blocked signal interrupts no system call, and the library stays free of
 * signal state; the lab's in-process operator passes no guard):
 *
 *  - before loading=0, at every data write and just before loading=0, a
 *    pending one stops the attempt and the open upload is cancelled
 *    (loading=-1): nothing reaches the module, nothing is left open;
 *  - from loading=0 until status is idle and version is re-read, none is
 *    looked at: the run waits for the kernel's outcome, releases the hold,
 *    prints the result, says which signal arrived and that it was
 *    deferred, then unblocks it and ends by it (143 for SIGTERM in a
 *    shell, as if undeferred);
 *  - between attempts (device-busy back-off) and before the first, they
 *    act at once, as always: nothing is open then, and dying releases the
 *    host lock and the hold with the process.
 *
 * A signal ignored when tdxup started stays ignored (it is never pending).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_update_signals.h"

/*
 * Every signal whose default action ends the process and that another
 * process (or a limit) can send; the faults (SIGSEGV, SIGBUS, ...) are the
 * updater's own and cannot be deferred. SIGXFSZ blocked makes the write
 * fail with EFBIG instead. Realtime signals are not named: a service
 * manager does not send them to stop a unit.
 */
static const int term_sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2,
				 SIGALRM, SIGPWR, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,
				 SIGSTKFLT };
static const char *const term_names[] = { "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGPIPE",
					  "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGPWR", "SIGXCPU",
					  "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGIO",
					  "SIGSTKFLT" };
_Static_assert(sizeof(term_sigs) / sizeof(term_sigs[0]) ==
	       sizeof(term_names) / sizeof(term_names[0]), "one name per signal");
#define NR_TERM	(sizeof(term_sigs) / sizeof(term_sigs[0]))

void term_guard_init(struct term_guard *g)
{
	memset(g, 0, sizeof(*g));
	sigemptyset(&g->set);
	for (size_t i = 0; i < NR_TERM; i++)
		sigaddset(&g->set, term_sigs[i]);
}

static const char *name_of(int sig)
{
	for (size_t i = 0; i < NR_TERM; i++)
		if (term_sigs[i] == sig)
			return term_names[i];
	return "a signal";
}

/* The first termination signal pending, remembered with where it was seen. */
static const char *pending(struct term_guard *g, enum update_guard at)
{
	sigset_t p;

	if (!g->sig && !sigpending(&p)) {
		for (size_t i = 0; i < NR_TERM && !g->sig; i++)
			if (sigismember(&p, term_sigs[i])) {
				g->sig = term_sigs[i];
				g->at = at;
			}
	}
	return g->sig ? name_of(g->sig) : NULL;
}

static void unblock(struct term_guard *g)
{
	if (!g->blocked)
		return;
	sigprocmask(SIG_SETMASK, &g->old, NULL);
	g->blocked = false;
}

const char *term_guard_cb(void *ctx, enum update_guard at)
{
	struct term_guard *g = ctx;

	switch (at) {
	case UPDATE_GUARD_OPEN:
		if (!g->blocked && !sigprocmask(SIG_BLOCK, &g->set, &g->old))
			g->blocked = true;
		return pending(g, at);
	case UPDATE_GUARD_POLL:
		return pending(g, at);
	case UPDATE_GUARD_SETTLED:
		/* Held back while the kernel had it: stop here, act once printed. */
		if (pending(g, at))
			return name_of(g->sig);
		unblock(g);
		return NULL;
	}
	return NULL;
}

int term_guard_finish(struct term_guard *g, int ret)
{
	const char *name;

	if (g->blocked)
		pending(g, UPDATE_GUARD_SETTLED);
	if (!g->sig) {
		unblock(g);
		return ret;
	}
	name = name_of(g->sig);
	if (g->at == UPDATE_GUARD_POLL || g->at == UPDATE_GUARD_OPEN)
		fprintf(stderr, "%s: update: %s arrived before loading=0: the upload was "
			"cancelled, nothing reached the module; acting on it now\n", cli_prog,
			name);
	else
		fprintf(stderr, "%s: update: %s arrived while the kernel was updating the "
			"module; it was deferred until the kernel's outcome was known and TD "
			"builds were released; acting on it now\n", cli_prog, name);
	fflush(NULL);
	unblock(g);
	/* Still here (the signal was caught elsewhere): end as it would have. */
	signal(g->sig, SIG_DFL);
	raise(g->sig);
	return 128 + g->sig;
}
