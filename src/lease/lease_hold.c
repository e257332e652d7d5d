// SPDX-License-Identifier: MIT
/*
 * The updater's side of the lease: hold new builds, wait for those in
 * flight, release; and the read-only listing. docs/lease.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "lease/lease_internal.h"

/*
 * Look at every entry of builds/, whatever its name: each live one (its
 * lock held) goes to fn and is counted, so renaming an entry, even to a
 * dot-name, never hides a build in flight. With reclaim, dead ones and
 * leftover temporaries are removed by the reclaim rule. Anything that is
 * not a regular file cannot hold a lock that we could see, and is skipped.
 * Returns the number of live entries.
 */
static int scan(int bdfd, bool reclaim, lease_entry_fn fn, void *ctx)
{
	struct lease_entry ent;
	struct dirent *d;
	int dup_fd, nr = 0;
	DIR *dir;

	dup_fd = openat(bdfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dup_fd < 0)
		return -errno;
	dir = fdopendir(dup_fd);
	if (!dir) {
		close(dup_fd);
		return -ENOMEM;
	}
	for (errno = 0; (d = readdir(dir)); errno = 0) {
		int fd;

		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		fd = lease_open_reg(bdfd, "", d->d_name, O_RDONLY, NULL);
		/*
		 * Gone since readdir, a symlink or not a regular file: no
		 * build's lock. Any other failure leaves an entry we cannot
		 * see into, and an entry not seen could be a build in flight.
		 */
		if (fd == -ENOENT || fd == -ELOOP || fd == -EINVAL)
			continue;
		if (fd < 0) {
			nr = fd;
			break;
		}
		if (!flock(fd, LOCK_EX | LOCK_NB)) {
			/* Dead holder (or one that just ended): not in flight. */
			close(fd);
			if (reclaim)
				lease_reclaim(bdfd, d->d_name);
			continue;
		}
		/* Live: counted even if its name or content is not an entry's (safety first). */
		nr++;
		if (fn) {
			lease_entry_read(fd, d->d_name, &ent);
			fn(&ent, ctx);
		}
		close(fd);
	}
	if (!d && errno)
		nr = -errno;
	closedir(dir);
	return nr;
}

/*
 * The hold file appears already locked: it is written and locked under a
 * temporary name and renamed into place, so a builder's probe can never
 * take the lock ahead of the updater. Any hold file found is stale: only
 * the holder of the updater lock (us) makes one.
 */
static int make_hold(int dfd, const char *dir, struct lease_err *e)
{
	char tmp[64], buf[128];
	struct stat st;
	int fd, n, ret;

	if (!fstatat(dfd, LEASE_HOLD, &st, AT_SYMLINK_NOFOLLOW) && !S_ISREG(st.st_mode)) {
		lease_seterr(e, "%s/%s: %s, refused", dir, LEASE_HOLD,
			     S_ISLNK(st.st_mode) ? "is a symlink" : "not a regular file");
		return S_ISLNK(st.st_mode) ? -ELOOP : -EINVAL;
	}
	snprintf(tmp, sizeof(tmp), ".hold-%ld", (long)getpid());
	unlinkat(dfd, tmp, 0);
	fd = lease_open_own(dfd, dir, tmp, LEASE_SHARED_MODE, e);
	if (fd < 0)
		return fd;
	n = snprintf(buf, sizeof(buf), "%s\npid=%ld\nsince=%lld\n", LEASE_HOLD_MAGIC,
		     (long)getpid(), (long long)time(NULL));
	ret = flock(fd, LOCK_EX | LOCK_NB) ? -errno : lease_write_all(fd, buf, (size_t)n);
	if (!ret)
		lease_point(LEASE_PT_HOLD_MAKE);
	if (!ret && renameat(dfd, tmp, dfd, LEASE_HOLD))
		ret = -errno;
	if (ret) {
		lease_seterr(e, "%s/%s: cannot create: %s", dir, LEASE_HOLD, strerror(-ret));
		unlinkat(dfd, tmp, 0);
		close(fd);
		return ret;
	}
	return fd;
}

static void hold_init(struct lease_hold *h)
{
	h->dfd = h->updater_fd = h->hold_fd = h->gate_fd = -1;
}

static int take_updater_lock(struct lease_hold *h, const char *dir, uint64_t deadline,
			     struct lease_err *e)
{
	int ret;

	h->updater_fd = lease_open_own(h->dfd, dir, LEASE_UPDATER, LEASE_UPDATER_MODE, e);
	if (h->updater_fd < 0)
		return h->updater_fd;
	ret = lease_lock_until(h->updater_fd, LOCK_EX, deadline);
	if (ret == -ETIMEDOUT) {
		long pid;

		lease_hold_held(h->dfd, dir, &pid, NULL);
		lease_seterr(e, "%s: another updater holds the lease (pid %ld)", dir, pid);
		return -EBUSY;
	}
	if (ret)
		lease_seterr(e, "%s/%s: flock: %s", dir, LEASE_UPDATER, strerror(-ret));
	return ret;
}

/* Wait until no build is in flight; the entries frozen by the gate. */
static int wait_builds(int bdfd, const char *dir, uint64_t deadline, lease_entry_fn report,
		       void *ctx, struct lease_err *e)
{
	int nr;

	for (;;) {
		bool last = lease_now_us() >= deadline;

		lease_point(LEASE_PT_SCAN);
		nr = scan(bdfd, true, last ? report : NULL, ctx);
		if (nr <= 0)
			break;
		if (last) {
			lease_seterr(e, "%s: %d build%s still in flight", dir, nr,
				     nr == 1 ? "" : "s");
			return -ETIMEDOUT;
		}
		lease_pause();
	}
	if (nr < 0)
		lease_seterr(e, "%s/%s: %s", dir, LEASE_BUILDS, strerror(-nr));
	return nr;
}

int lease_hold(struct lease_hold *h, const char *dir, uint64_t timeout_us, lease_entry_fn report,
	       void *ctx, struct lease_err *e)
{
	uint64_t deadline = lease_deadline(timeout_us);
	int bdfd = -1, ret;

	hold_init(h);
	h->dfd = lease_open_dir(dir, true, e);
	if (h->dfd < 0)
		return h->dfd;
	ret = take_updater_lock(h, dir, deadline, e);
	if (ret)
		goto fail;
	/* From here new builders wait (they see the hold before the gate). */
	h->hold_fd = make_hold(h->dfd, dir, e);
	if (h->hold_fd < 0) {
		ret = h->hold_fd;
		goto fail;
	}
	bdfd = lease_open_builds(h->dfd, dir, true, e);
	if (bdfd < 0) {
		ret = bdfd;
		goto fail;
	}
	h->gate_fd = lease_open_own(h->dfd, dir, LEASE_GATE, LEASE_SHARED_MODE, e);
	if (h->gate_fd < 0) {
		ret = h->gate_fd;
		goto fail;
	}
	/* Builders mid-registration finish first; none start until release. */
	ret = lease_lock_gate(h->gate_fd, LOCK_EX, deadline);
	if (ret) {
		lease_seterr(e, "%s/%s: a builder did not finish registering: %s", dir,
			     LEASE_GATE, strerror(-ret));
		goto fail;
	}
	ret = wait_builds(bdfd, dir, deadline, report, ctx, e);
	if (ret)
		goto fail;
	close(bdfd);
	return 0;
fail:
	if (bdfd >= 0)
		close(bdfd);
	lease_release(h);
	return ret;
}

/*
 * The hold goes first (waiting builders see it gone), then the gate. We
 * still hold the updater lock, so the hold file unlinked is ours.
 */
void lease_release(struct lease_hold *h)
{
	if (h->hold_fd >= 0) {
		lease_point(LEASE_PT_HOLD_DROP);
		if (lease_same_file(h->dfd, LEASE_HOLD, h->hold_fd))
			unlinkat(h->dfd, LEASE_HOLD, 0);
		close(h->hold_fd);
	}
	if (h->gate_fd >= 0) {
		lease_point(LEASE_PT_GATE_UNEX);
		close(h->gate_fd);
	}
	if (h->updater_fd >= 0)
		close(h->updater_fd);
	if (h->dfd >= 0)
		close(h->dfd);
	hold_init(h);
}

int lease_list(const char *dir, lease_entry_fn fn, void *ctx, long *holder_pid,
	       struct lease_err *e)
{
	int dfd, bdfd, ret;

	if (holder_pid)
		*holder_pid = 0;
	dfd = lease_open_dir(dir, false, e);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	ret = lease_hold_held(dfd, dir, holder_pid, e);
	if (ret < 0)
		goto out;
	bdfd = lease_open_builds(dfd, dir, false, e);
	if (bdfd < 0) {
		ret = bdfd == -ENOENT ? 0 : bdfd;
		goto out;
	}
	lease_point(LEASE_PT_SCAN);
	ret = scan(bdfd, false, fn, ctx);
	close(bdfd);
	if (ret < 0)
		lease_seterr(e, "%s/%s: %s", dir, LEASE_BUILDS, strerror(-ret));
out:
	close(dfd);
	return ret;
}
