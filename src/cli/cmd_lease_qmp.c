// SPDX-License-Identifier: MIT
/*
 * The QEMU wrapper's readiness test (contrib/qemu/tdxup-qemu-wrapper): QMP
 * answers that can only come once QEMU's machine is built, read, not merely
 * received.
 *
 * QMP's greeting can come from the monitor thread before the machine
 * exists, and a non-OOB command is dispatched by the main loop. Without
 * -preconfig the main loop is entered only after machine-init-done, where
 * QEMU's TDX code runs KVM_TDX_FINALIZE_VM; with -preconfig it runs *before*
 * the machine is created. Two answers together prove the machine built:
 *
 * 1. query-status's "status" (QEMU's RunState, qapi/run-state.json) is one
 *    of a built machine:
 *      built     prelaunch (-S), running, paused, suspended, debug,
 *                watchdog, guest-panicked, io-error, internal-error,
 *                shutdown (-no-shutdown), postmigrate, finish-migrate,
 *                save-vm: the guest can run or has run
 *      not yet   preconfig (QEMU before 6.0 in -preconfig); inmigrate,
 *                restore-vm, colo (the machine's state is being loaded: a TD
 *                arriving that way is finalized when its import completes,
 *                not at machine init); any name not in this list (a newer
 *                QEMU: waiting is safe, ending early is the bug)
 * 2. query-kvm succeeds. QEMU 6.0 and later answer "prelaunch" during
 *    -preconfig too (measured with Debian's QEMU 7.2), but refuse every
 *    command not marked allow-preconfig ("permitted only after machine
 *    initialization has completed") until x-exit-preconfig has built the
 *    machine and run the machine-init-done notifiers. query-kvm is such a
 *    command, harmless, and present in every QEMU.
 *
 * Until both hold, both are asked again every QMP_POLL_MS: QEMU sends no
 * event when x-exit-preconfig builds the machine.
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd_lease.h"

#define QMP_POLL_MS	20
#define QMP_LINE_MAX	65536	/* a reply or event line; QEMU's are far shorter */

static const char *const built_states[] = {
	"prelaunch", "running", "paused", "suspended", "debug", "watchdog", "guest-panicked",
	"io-error", "internal-error", "shutdown", "postmigrate", "finish-migrate", "save-vm",
	NULL,
};

bool qmp_status_built(const char *status)
{
	for (size_t i = 0; built_states[i]; i++)
		if (!strcmp(status, built_states[i]))
			return true;
	return false;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* 1 if the process behind pidfd has exited. */
static int exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return pidfd >= 0 && poll(&p, 1, 0) == 1;
}

static int qmp_connect(const char *sock)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(sock) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -errno;
	}
	return fd;
}

struct qmp_conn {
	int fd;
	int pidfd;
	uint64_t deadline;
	size_t len;
	char buf[QMP_LINE_MAX];
};

/*
 * The next complete line into *line (a NUL-terminated string in c->buf,
 * valid until the next call). 1: QEMU exited; -ETIMEDOUT; -ECONNRESET;
 * -EMSGSIZE for a line longer than the buffer.
 */
static int read_line(struct qmp_conn *c, char **line, size_t *consumed)
{
	memmove(c->buf, c->buf + *consumed, c->len - *consumed);
	c->len -= *consumed;
	*consumed = 0;
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t n;

		if (nl) {
			*nl = '\0';
			*line = c->buf;
			*consumed = (size_t)(nl - c->buf) + 1;
			return 0;
		}
		if (c->len == sizeof(c->buf))
			return -EMSGSIZE;
		if (exited(c->pidfd))
			return 1;
		if (now_us() >= c->deadline)
			return -ETIMEDOUT;
		if (poll(&p, 1, QMP_POLL_MS) <= 0)
			continue;
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n <= 0)
			return -ECONNRESET;
		c->len += (size_t)n;
	}
}

/*
 * The reply to the command just sent: its "return" value (a new
 * reference) into *ret. The greeting and events (objects with "QMP" or
 * "event") are skipped; an "error" reply is -EPROTO, a line that is not a
 * JSON object -EBADMSG.
 */
static int read_reply(struct qmp_conn *c, json_t **ret)
{
	size_t consumed = 0;
	char *line;
	int err;

	for (;;) {
		json_t *o, *r;

		err = read_line(c, &line, &consumed);
		if (err)
			break;
		if (!line[strspn(line, " \t\r")])
			continue;
		o = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
		if (!json_is_object(o)) {
			json_decref(o);
			err = -EBADMSG;
			break;
		}
		r = json_object_get(o, "return");
		if (r) {
			*ret = json_incref(r);
			json_decref(o);
			break;
		}
		err = json_object_get(o, "error") ? -EPROTO : 0;
		json_decref(o);
		if (err)
			break;
	}
	/* What follows the reply stays for the next read. */
	memmove(c->buf, c->buf + consumed, c->len - consumed);
	c->len -= consumed;
	return err;
}

static int send_cmd(struct qmp_conn *c, const char *cmd)
{
	size_t n = strlen(cmd);

	/*
	 * MSG_NOSIGNAL: QEMU exiting mid-session must not kill the watcher
	 * with SIGPIPE (it would never end the lease); -EPIPE, and the caller
	 * then finds QEMU gone.
	 */
	return send(c->fd, cmd, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -EPIPE;
}

/* 0: the machine is built; 2: not yet (ask again); 1: QEMU exited; -errno. */
static int ask_status(struct qmp_conn *c)
{
	json_t *r = NULL;
	const char *st;
	int ret;

	ret = send_cmd(c, "{\"execute\": \"query-status\"}\n");
	if (!ret)
		ret = read_reply(c, &r);
	if (ret)
		return ret;
	st = json_string_value(json_object_get(r, "status"));
	ret = !st ? -EBADMSG : qmp_status_built(st) ? 0 : 2;
	json_decref(r);
	if (ret)
		return ret;
	/* Refused before machine initialization has completed (-preconfig). */
	ret = send_cmd(c, "{\"execute\": \"query-kvm\"}\n");
	if (!ret)
		ret = read_reply(c, &r);
	if (ret == -EPROTO)
		return 2;
	if (!ret)
		json_decref(r);
	return ret;
}

static int session(const char *sock, int pidfd, uint64_t deadline)
{
	static struct qmp_conn c;	/* 64 KiB: not on the stack */
	json_t *r = NULL;
	int ret;

	c.fd = qmp_connect(sock);
	if (c.fd < 0)
		return c.fd;
	c.pidfd = pidfd;
	c.deadline = deadline;
	c.len = 0;
	ret = send_cmd(&c, "{\"execute\": \"qmp_capabilities\"}\n");
	if (!ret)
		ret = read_reply(&c, &r);
	json_decref(r);
	while (!ret) {
		ret = ask_status(&c);
		if (ret != 2)
			break;
		ret = exited(pidfd) ? 1 : now_us() >= deadline ? -ETIMEDOUT : 0;
		if (!ret)
			poll(NULL, 0, QMP_POLL_MS);
	}
	close(c.fd);
	return ret;
}

int lease_wait_qmp(const char *sock, pid_t pid, uint64_t timeout_us)
{
	uint64_t deadline = timeout_us == UINT64_MAX ? UINT64_MAX : now_us() + timeout_us;
	int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	int ret;

	if (pid > 0 && pidfd < 0)
		return errno == ESRCH ? 1 : -errno;
	for (;;) {
		ret = session(sock, pidfd, deadline);
		/* A reply we cannot read as QMP is an error, never "built". */
		if (ret >= 0 || ret == -ETIMEDOUT || ret == -ENAMETOOLONG || ret == -EPROTO ||
		    ret == -EBADMSG || ret == -EMSGSIZE)
			break;
		/* Not listening yet, or gone mid-way: look again. */
		if (exited(pidfd)) {
			ret = 1;
			break;
		}
		if (now_us() >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		poll(NULL, 0, QMP_POLL_MS);
	}
	if (pidfd >= 0)
		close(pidfd);
	return ret;
}
