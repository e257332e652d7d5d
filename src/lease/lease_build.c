// SPDX-License-Identifier: MIT
/*
 * The builder's side of the lease: wait while an updater holds, register
 * under the gate, end. docs/lease.md argues why this is safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lease/lease_internal.h"
#include "tdxup/fsafe.h"
#include "tdxup/plant.h"

/* Temporary names unique in this process (threads included). */
static atomic_uint tmp_counter;

/* Wait until no live updater holds dir. */
static int wait_unheld(int dfd, const char *dir, uint64_t deadline, struct lease_err *e)
{
	long pid;
	int ret;

	for (;;) {
		lease_point(LEASE_PT_HOLD_PROBE);
		ret = lease_hold_held(dfd, dir, &pid, e);
		if (ret != 1)
			break;
		if (lease_now_us() >= deadline) {
			lease_seterr(e, "%s: builds are held by an updater (pid %ld)", dir, pid);
			return -ETIMEDOUT;
		}
		lease_pause();
	}
	return ret;
}

/*
 * Take the gate shared with no hold in place. The hold is looked at twice:
 * before the gate, so that builders arriving after an updater asked never
 * touch the gate (they cannot starve the updater's LOCK_EX), and under it,
 * so that registration never overlaps a hold whatever the interleaving.
 * Returns the gate's descriptor, locked LOCK_SH.
 */
static int enter_gate(int dfd, const char *dir, uint64_t deadline, struct lease_err *e)
{
	int gate, ret;

	for (;;) {
		ret = wait_unheld(dfd, dir, deadline, e);
		if (ret)
			return ret;
		/* Read-only suffices for LOCK_SH: members need not write root's file. */
		gate = lease_open_root(dfd, dir, LEASE_GATE, e);
		if (gate == -ENOENT)
			gate = lease_open_own(dfd, dir, LEASE_GATE, LEASE_SHARED_MODE, e);
		if (gate < 0)
			return gate;
		ret = lease_lock_gate(gate, LOCK_SH, deadline);
		if (ret == -ETIMEDOUT)
			lease_seterr(e, "%s: builds are held by an updater", dir);
		else if (ret)
			lease_seterr(e, "%s/%s: flock: %s", dir, LEASE_GATE, strerror(-ret));
		if (!ret && !tdxup_planted(PLANT_NO_RECHECK)) {
			lease_point(LEASE_PT_HOLD_PROBE);
			ret = lease_hold_held(dfd, dir, NULL, e);
		}
		if (!ret)
			return gate;
		lease_point(LEASE_PT_GATE_UNSH);
		close(gate);
		if (ret < 0)
			return ret;
	}
}

static void sanitize(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < len; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

static int entry_content(char *buf, size_t len, const char *id, const char *desc, bool cli)
{
	char d[LEASE_DESC_MAX + 1];
	int n;

	sanitize(d, sizeof(d), desc);
	n = snprintf(buf, len, "%s\nid=%s\npid=%ld\nsince=%lld\nholder=%s\ndesc=%s\n",
		     LEASE_ENTRY_MAGIC, id, (long)getpid(), (long long)time(NULL),
		     cli ? "cli" : "api", d);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

#define TMP_LOCK_US	(1000ULL * 1000)	/* readers probe for microseconds */

/*
 * The entry is written and locked under a temporary name, then linked to
 * builds/ID: the name never shows a partial entry or an unlocked one, and
 * link() never replaces a live build with the same id.
 */
static int make_entry(int bdfd, const char *dir, const char *id, const char *desc, bool cli,
		      struct lease_err *e)
{
	char tmp[LEASE_ID_MAX + 48], buf[512];
	int fd, n, ret, tries;

	n = entry_content(buf, sizeof(buf), id, desc, cli);
	if (n < 0)
		return n;
	snprintf(tmp, sizeof(tmp), ".tmp-%s-%ld-%u", id, (long)getpid(),
		 atomic_fetch_add(&tmp_counter, 1));
	fd = openat(bdfd, tmp, O_RDWR | O_CREAT | O_EXCL | LEASE_OFLAGS, LEASE_ENTRY_MODE);
	if (fd < 0 || fchmod(fd, LEASE_ENTRY_MODE)) {
		ret = -errno;
		lease_seterr(e, "%s/%s/%s: %s", dir, LEASE_BUILDS, tmp, strerror(errno));
		if (fd >= 0) {
			unlinkat(bdfd, tmp, 0);
			close(fd);
		}
		return ret;
	}
	/*
	 * Nobody reclaims under the gate we hold shared, but any reader's
	 * liveness probe (lease list, status) takes the lock for an instant:
	 * wait that out (bounded), so a reader in a loop cannot fail builds.
	 */
	ret = lease_lock_until(fd, LOCK_EX, lease_deadline(TMP_LOCK_US));
	if (!ret)
		ret = lease_write_all(fd, buf, (size_t)n);
	for (tries = 0; !ret && tries < 8; tries++) {
		lease_point(LEASE_PT_ENTRY_LINK);
		if (!linkat(bdfd, tmp, bdfd, id, 0))
			break;
		ret = -errno;
		if (ret != -EEXIST)
			break;
		/* The same id: a dead build's entry gives way, a live one does not. */
		ret = lease_reclaim(bdfd, id);
		if (ret == 0) {
			lease_seterr(e, "%s/%s/%s: a build with this id is in flight", dir,
				     LEASE_BUILDS, id);
			ret = -EEXIST;
		} else if (ret == 1) {
			ret = 0;
			continue;
		} else if (ret == -ELOOP) {
			lease_seterr(e, "%s/%s/%s: is a symlink, refused", dir, LEASE_BUILDS, id);
		}
	}
	unlinkat(bdfd, tmp, 0);
	if (!ret && !lease_same_file(bdfd, id, fd))
		ret = -EAGAIN;
	if (ret) {
		if (ret != -EEXIST && ret != -ELOOP)
			lease_seterr(e, "%s/%s/%s: cannot register: %s", dir, LEASE_BUILDS, id,
				     strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

/* One registration: wait while held, then the entry under the gate. */
static int register_once(struct lease_build *b, int dfd, const char *dir, const char *desc,
			 bool cli, uint64_t deadline, struct lease_err *e)
{
	int gate, ret;

	gate = enter_gate(dfd, dir, deadline, e);
	if (gate < 0)
		return gate;
	ret = make_entry(b->bdfd, dir, b->id, desc, cli, e);
	lease_point(LEASE_PT_GATE_UNSH);
	close(gate);
	if (ret < 0)
		return ret;
	b->fd = ret;
	return 0;
}

/* Remove our entry again (lease_reclaim's rule: unlink under our lock). */
static void unregister(struct lease_build *b)
{
	lease_point(LEASE_PT_ENTRY_UNLINK);
	if (lease_same_file(b->bdfd, b->id, b->fd))
		unlinkat(b->bdfd, b->id, 0);
	close(b->fd);
	b->fd = -1;
}

static int probe_busy(const struct lease_upload_probe *p, char *why, size_t len)
{
	int ret;

	why[0] = '\0';
	lease_point(LEASE_PT_UPLOAD_PROBE);
	ret = p->busy(p->ctx, why, len);
	if (ret < 0 && !why[0])
		snprintf(why, len, "cannot tell whether an update is running: %s",
			 strerror(-ret));
	return ret != 0;
}

/*
 * The entry is registered: an updater that scans from now on waits for us.
 * An upload already open or running can only be one an updater began before
 * (its hold was gone, so it died); let it finish first (docs/lease.md).
 * 0 registered and nothing running; 1 try again; -ETIMEDOUT.
 */
static int settle_upload(struct lease_build *b, const char *dir,
			 const struct lease_upload_probe *p, uint64_t deadline,
			 struct lease_err *e)
{
	char why[192];

	if (!p || !probe_busy(p, why, sizeof(why)))
		return 0;
	unregister(b);
	while (probe_busy(p, why, sizeof(why))) {
		if (lease_now_us() >= deadline) {
			lease_seterr(e, "%s: a module update is in progress (%s): builds wait "
				     "until the kernel is done; an upload left open by a killed "
				     "updater is cancelled with `tdxup update --cancel-stale`",
				     dir, why);
			return -ETIMEDOUT;
		}
		lease_pause();
	}
	return 1;
}

int lease_build_begin_probe(struct lease_build *b, const char *dir, const char *id,
			    const char *desc, uint64_t timeout_us, bool cli,
			    const struct lease_upload_probe *probe, struct lease_err *e)
{
	uint64_t deadline = lease_deadline(timeout_us);
	int dfd, ret;

	b->fd = b->bdfd = -1;
	if (!lease_id_valid(id)) {
		lease_seterr(e, "'%s': not a build id ([A-Za-z0-9._-], 1 to %d, no leading '.')",
			     id ? id : "", LEASE_ID_MAX);
		return -EINVAL;
	}
	snprintf(b->id, sizeof(b->id), "%s", id);
	dfd = lease_open_dir(dir, true, e);
	if (dfd < 0)
		return dfd;
	b->bdfd = lease_open_builds(dfd, dir, true, e);
	if (b->bdfd < 0) {
		ret = b->bdfd;
		goto out;
	}
	do {
		ret = register_once(b, dfd, dir, desc, cli, deadline, e);
		if (!ret)
			ret = settle_upload(b, dir, probe, deadline, e);
	} while (ret == 1);
out:
	close(dfd);
	if (ret && b->bdfd >= 0) {
		close(b->bdfd);
		b->bdfd = -1;
	}
	return ret;
}

int lease_build_begin(struct lease_build *b, const char *dir, const char *id, const char *desc,
		      uint64_t timeout_us, bool cli, struct lease_err *e)
{
	return lease_build_begin_probe(b, dir, id, desc, timeout_us, cli, NULL, e);
}

/* Unlink while still holding the lock (lease_reclaim's rule), then drop it. */
int lease_build_end(struct lease_build *b)
{
	int ret = 0;

	if (b->fd < 0)
		return 0;
	lease_point(LEASE_PT_ENTRY_UNLINK);
	if (lease_same_file(b->bdfd, b->id, b->fd) && unlinkat(b->bdfd, b->id, 0))
		ret = -errno;
	close(b->fd);
	close(b->bdfd);
	b->fd = b->bdfd = -1;
	return ret;
}

int lease_wait_gate(const char *dir, uint64_t timeout_us, struct lease_err *e)
{
	int dfd = lease_open_dir(dir, true, e), gate;

	if (dfd < 0)
		return dfd;
	gate = enter_gate(dfd, dir, lease_deadline(timeout_us), e);
	close(dfd);
	if (gate < 0)
		return gate;
	lease_point(LEASE_PT_GATE_UNSH);
	close(gate);
	return 0;
}

static int pidfd_open_(long pid)
{
	return (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
}

static int pidfd_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/*
 * Signal the holder of the entry fd has open. The pidfd is taken first and
 * the lock checked after: if that pid holds the entry's lock then, it was
 * alive, the pid could not have been reused, and the pidfd names the
 * holder. -ESRCH if another process keeps the entry (nobody is signalled).
 */
static int signal_holder(int bdfd, const char *id, int fd, const struct lease_entry *ent)
{
	int pidfd = pidfd_open_(ent->pid), ret;

	if (pidfd < 0) {
		if (errno != ESRCH)
			return -errno;
		/* The recorded holder is gone: whoever keeps the lock is not it. */
		return flock(fd, LOCK_EX | LOCK_NB) ? -ESRCH : 0;
	}
	if (!flock(fd, LOCK_EX | LOCK_NB)) {
		ret = 0;			/* died meanwhile: reclaim below */
		flock(fd, LOCK_UN);
	} else if (fsafe_flock_held(fd, ent->pid) != 1) {
		/* An entry's pid= is only what its writer, any member, claims. */
		ret = -ESRCH;
	} else {
		ret = pidfd_signal(pidfd, SIGTERM) && errno != ESRCH ? -errno : 0;
	}
	close(pidfd);
	return ret;
}

int lease_end_id(const char *dir, const char *id, uint64_t timeout_us, struct lease_err *e)
{
	uint64_t deadline = lease_deadline(timeout_us);
	struct lease_entry ent;
	int dfd, bdfd = -1, fd = -1, ret;

	if (!lease_id_valid(id)) {
		lease_seterr(e, "'%s': not a build id", id);
		return -EINVAL;
	}
	dfd = lease_open_dir(dir, false, e);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	bdfd = lease_open_builds(dfd, dir, false, e);
	ret = bdfd == -ENOENT ? 0 : bdfd;
	if (bdfd < 0)
		goto out;
	fd = lease_open_reg(bdfd, dir, id, O_RDONLY, e);
	ret = fd == -ENOENT ? 0 : fd;
	if (fd < 0)
		goto out;
	lease_entry_read(fd, id, &ent);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		if (!ent.valid || !ent.cli) {
			lease_seterr(e, "%s/%s/%s: kept by process %ld, not a `lease begin` holder: "
				     "it ends its own build", dir, LEASE_BUILDS, id, ent.pid);
			ret = -EPERM;
			goto out;
		}
		ret = signal_holder(bdfd, id, fd, &ent);
		if (ret == -ESRCH) {
			lease_seterr(e, "%s/%s/%s: kept by a process other than its recorded holder "
				     "(pid %ld): nobody signalled", dir, LEASE_BUILDS, id, ent.pid);
			ret = -EPERM;
			goto out;
		}
		if (!ret)
			ret = lease_lock_until(fd, LOCK_EX, deadline);
		if (ret) {
			lease_seterr(e, "%s/%s/%s: holder pid %ld did not end the build: %s", dir,
				     LEASE_BUILDS, id, ent.pid, strerror(-ret));
			goto out;
		}
	}
	/* We hold the lock: a holder gone without unlinking leaves it to us. */
	flock(fd, LOCK_UN);
	ret = lease_reclaim(bdfd, id);
	ret = ret < 0 ? ret : 0;
out:
	if (fd >= 0)
		close(fd);
	if (bdfd >= 0)
		close(bdfd);
	close(dfd);
	return ret;
}
