/* SPDX-License-Identifier: MIT */
/*
 * Error messages of the src/updater parsers that explain what is wrong with a
 * file (images, catalogues, TDVF firmware): the message goes into the
 * caller's buffer, which may be absent (err NULL or errlen 0). Internal to
 * src/updater; the short names keep the many call sites on one line.
 */
#ifndef TDXUP_USER_ERRMSG_H
#define TDXUP_USER_ERRMSG_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline void __attribute__((format(printf, 3, 0)))
vset_err(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
}

static inline void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_err(err, errlen, fmt, ap);
	va_end(ap);
}

/* set_err, then -EINVAL: `return fail(err, errlen, "why", ...);` */
static inline int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_err(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#endif /* TDXUP_USER_ERRMSG_H */
