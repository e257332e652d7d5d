/* SPDX-License-Identifier: MIT */
/*
 * Activity inside a serving host (tdxup serve --workload), so that clients
 * of the mount meet real contention: TD builders that build, finalize, run
 * and tear down TDs through KVM over and over, and running TDs that keep
 * stepping. Every finished build's MRTD is checked against the offline
 * measurement (tdxup/measure.h); every running TD's memory against a replay
 * of its guest. The actors are real threads.
 */
#ifndef TDXUP_WORKLOAD_H
#define TDXUP_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/host.h"
#include "tdxup/duration.h"

#define WORKLOAD_MAX_ACTORS	64
#define WORKLOAD_MAX_PAGES	4096

struct workload_config {
	unsigned int builders;	/* threads building TDs back to back */
	unsigned int running;	/* TDs built up front that keep stepping */
	unsigned int pages;	/* pages each build measures */
	uint64_t gap_us;	/* pause between two builds, and between two steps */
	uint64_t hold_us;	/* each build window stays open this long (a slow VMM) */
	/*
	 * The first builder keeps its first build window open until the host has
	 * refused an update with -EBUSY (at most a minute), so that the first
	 * update attempt of a client is sure to meet a build in flight.
	 */
	bool hold_until_busy;
	uint64_t seed;		/* contents of the TDs' memory */
	/*
	 * The VMM follows the build lease (docs/lease.md): each build takes a
	 * lease in lease_dir from before INIT_VM until FINALIZE_VM returned.
	 * lease=off in the spec turns it off, to show the race.
	 */
	bool leases;
	const char *lease_dir;
};

/* No actors, 256 pages, 10 ms gap, seed 1. */
void workload_config_init(struct workload_config *cfg);
/*
 * "builders=4,pages=256,running=2,gap=10ms[,hold=50ms|busy][,seed=N][,lease=on|off]".
 * Durations as everywhere (tdxup/duration.h: a bare number is seconds). 0 or -EINVAL with the
 * reason in err.
 */
int workload_parse(const char *spec, struct workload_config *cfg, char *err, size_t errlen);


struct workload_stats {
	uint64_t builds;		/* builds that reached FINALIZE_VM */
	uint64_t failed_builds;
	uint64_t wrong_mrtds;		/* finished builds whose MRTD differs */
	uint64_t steps;			/* KVM_RUNs of running TDs */
	unsigned int lost_tds;		/* TDs whose KVM_RUN failed: dead */
	unsigned int bad_memory;	/* running TDs whose memory differs from the replay */
	unsigned int running_alive;
};

/*
 * Logging: every line goes through fn; loud lines (a wrong MRTD, a lost TD,
 * corrupted memory) are the ones an operator must not miss.
 */
typedef void (*workload_log_fn)(void *ctx, bool loud, const char *line);

struct workload;

/*
 * Builds the running TDs, then starts every actor. NULL with *err set (a
 * running TD that could not be built, a thread that could not start).
 */
struct workload *workload_start(struct tdx_host *h, const struct workload_config *cfg,
				workload_log_fn fn, void *ctx, int *err);
/* Stops and joins every actor, then tears the TDs down. Stats stay readable. */
void workload_stop(struct workload *w);
void workload_get_stats(struct workload *w, struct workload_stats *st);
/* Stops if needed, and frees. */
void workload_free(struct workload *w);

#endif /* TDXUP_WORKLOAD_H */
