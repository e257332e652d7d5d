/* SPDX-License-Identifier: MIT */
/*
 * `tdxup serve` internals shared by cmd_serve.c (options, mount, lifetime)
 * and serve_log.c (log lines, JSON log, the update monitor, the summary).
 */
#ifndef TDXUP_CLI_SERVE_H
#define TDXUP_CLI_SERVE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "emu/host.h"
#include "emu/sysfs_fuse.h"
#include "emu/workload.h"

struct serve {
	struct tdx_host *h;
	struct workload *wl;
	struct test_firmware *tf;	/* --test-firmware, or NULL */
	FILE *json;			/* --json-log, or NULL */
	pthread_mutex_t lock;		/* one log line at a time */
	struct timespec t0;
	uint64_t stw_begin_us;
	uint64_t stw_delay_us;		/* --stw-delay: every CPU stays stopped this long */
	uint64_t stw_enter_delay_us;	/* --stw-enter-delay: the CPUs run on this long first */
	/* the update monitor */
	pthread_t monitor;
	bool monitor_started;
	atomic_bool stop;
	struct tdx_host_stats seen;
	/* the sysroot's procfs files (serve_proc.c) */
	char *cpuinfo;
	char osrelease[64];
	char trust[160];
	/*
	 * The sysroot's writable part: DIR/run is a link to a real directory
	 * of ours (state/run), where the build lease lives, since flock needs
	 * a real file system; DIR/etc/tdxup/lease.d/tdxup-emu declares that the
	 * workload's VMM takes leases (unless lease=off).
	 */
	char state[64];
	char run_link[96];
	char lease_dir[128];
	struct sysfs_fuse_file proc_files[5];
	size_t nr_files;
};

int serve_init(struct serve *s, const char *json_path);
void serve_fini(struct serve *s);

/* "[  12.345] text" on stderr, and a "log" record in the JSON log. */
void serve_log(struct serve *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void serve_log_host(struct serve *s);
const char *serve_fault_name(enum host_fault f);

/* struct tdx_host_hooks.event and the workload's log callback. */
void serve_host_event(void *ctx, const struct host_event *ev);
void serve_workload_log(void *ctx, bool loud, const char *line);

/* Watches tdx_host_get_stats() and logs each update attempt's outcome. */
int serve_monitor_start(struct serve *s);
void serve_monitor_stop(struct serve *s);

/* The exit summary on stdout (and a "summary" record). */
void serve_summary(struct serve *s);

/*
 * serve_proc.c: DIR/proc/cpuinfo and osrelease for the host c describes,
 * the test key's declaration, DIR/run and, when the VMM takes leases, its
 * lease.d declaration. serve_state_remove() cleans the state up.
 */
int serve_proc_files(struct serve *s, const struct tdx_host_config *c, bool leases);
void serve_state_remove(struct serve *s);

/* ---- serve_detach.c: --log, --detach, --stop ---- */

/* --log FILE: the server's stdout and stderr go there. 0 or -errno (said). */
int serve_log_to(const char *path);
/*
 * --detach: fork. In the parent, wait (bounded) until the child says the
 * mount answers, print its PID and return the exit code; in the child
 * (detached into its own session, stdout on stderr) return -1 with
 * *ready_fd the pipe to pass to serve_ready_watch().
 */
int serve_detach(const char *log_path, int *ready_fd);
/*
 * In the child, once mounted: a thread that reads DIR/sys/.../version
 * through the mount, then tells the parent and closes fd; if the mount
 * never answers (bounded), stops the server instead.
 */
int serve_ready_watch(const char *mount, int fd);
/* --stop DIR: SIGTERM the server of DIR and wait (bounded) until DIR is unmounted. */
int serve_stop(const char *dir);
/* real (a resolved path) is in this process's mount table. */
bool serve_is_mount_point(const char *real);
/* The PID of a `tdxup serve` whose --mount is real, or 0. */
pid_t serve_find_server(const char *real);

#endif /* TDXUP_CLI_SERVE_H */
