/* SPDX-License-Identifier: MIT */
/*
 * The host's update state for fleet tools (docs/fleet.md): the Prometheus
 * text format for node_exporter's textfile collector, and a Node Feature
 * Discovery local-source feature file. Both are built as text here and
 * written atomically by the caller (fsafe_write_output, tdxup/fsafe.h).
 */
#ifndef TDXUP_METRICS_H
#define TDXUP_METRICS_H

#include <stdbool.h>
#include <time.h>

#include "tdxup/last_update.h"
#include "tdxup/status.h"

#define METRICS_TEXTFILE_NAME	"tdxup.prom"

/*
 * The NFD labels' namespace: the project's own. NFD's
 * feature.node.kubernetes.io/ is NFD's (its own sources label TDX there),
 * intel.com is Intel's; docs/fleet.md says why.
 */
#define METRICS_NFD_PREFIX	"tdxup.io/"
/* The labels' lifetime: three periods of the five-minute metrics timer. */
#define METRICS_NFD_EXPIRY_S	(15 * 60)

struct metrics_input {
	const struct tdx_sysfs_state *st;	/* NULL: no tdx_host device */
	/* From a catalogue (status --catalog): its choice is newer than running. */
	bool catalog_checked;
	bool update_available;
	const struct last_update *last;		/* NULL: no run recorded */
};

/*
 * The textfile, malloc'ed (NULL: out of memory). Every metric has HELP
 * and TYPE lines; a value that cannot be read is left out, except
 * tdxup_tdx_module_up, which is 0 then (ENXIO: the module is lost).
 */
char *metrics_textfile(const struct metrics_input *in);

/*
 * The NFD feature file, malloc'ed: the running module's version as labels
 * after the kernel-version pattern (METRICS_NFD_PREFIX
 * tdx-module-version.full, .major, .minor, .revision), after a
 * `# +expiry-time=` line that makes NFD drop them at `expiry` (UTC) if
 * nothing has rewritten the file by then. Nothing else: NFD leaves the slow
 * P-SEAMLDR files alone, and so do these labels. No version readable (st
 * NULL: no tdx_host device): an empty file, so NFD removes the labels.
 */
char *metrics_nfd_features(const struct tdx_sysfs_state *st, time_t expiry);

/*
 * A version as one number that orders as the versions do: five decimal
 * digits for each uint16_t part, so 1.5.25 is 10000500025. At most
 * 655356553565535, below 2^53: exact as a Prometheus float64.
 */
unsigned long long metrics_version_number(const struct tdx_version *v);

#endif /* TDXUP_METRICS_H */
