/*
 * fakeclock.c
 *		A wall clock moved by a shared offset, for the time-travel suite.
 *
 * Preloaded (LD_PRELOAD) into the server, its workers and its clients, it
 * adds an offset to what clock_gettime(CLOCK_REALTIME...), gettimeofday()
 * and time() return. The offset, in microseconds, is the first 8 bytes of
 * the file named by LEADGEN_FAKECLOCK, mapped shared into every process:
 * a test writes a new offset there to move the clock of every process at
 * once (forward, as an NTP step would), and the clock ticks at the real
 * rate in between. Monotonic clocks are left alone, so waits, timers and
 * timeouts keep their real durations.
 *
 * Why not libfaketime: 0.9.10 marks itself "not faking" while it runs the
 * real select() and the like; PostgreSQL 15's postmaster forks processes
 * from its signal handlers while it waits in select(), and those children
 * inherit the mark: the walwriter and the autovacuum launcher ran on the
 * real date, and a 300 ms statement_timeout had not fired after 5 s. Here
 * there is no such state: every call reads the one mapped offset.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *	  test/timetravel/fakeclock.c
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_gettime_fn) (clockid_t, struct timespec *);

static clock_gettime_fn real_clock_gettime;
static const volatile int64_t *offset_us;

__attribute__((constructor))
static void
fakeclock_init(void)
{
	const char *path = getenv("LEADGEN_FAKECLOCK");
	int			fd;
	void	   *p;

	real_clock_gettime = (clock_gettime_fn) dlsym(RTLD_NEXT, "clock_gettime");
	if (path == NULL || (fd = open(path, O_RDONLY)) < 0)
		return;
	p = mmap(NULL, sizeof(int64_t), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED)
		offset_us = p;
}

static int64_t
offset_now(void)
{
	return offset_us ? __atomic_load_n(offset_us, __ATOMIC_RELAXED) : 0;
}

/* The real realtime clock, plus the offset. */
static int
fake_realtime(clockid_t clk, struct timespec *ts)
{
	int64_t		off = offset_now();
	int64_t		ns;
	int			rc;

	if (real_clock_gettime == NULL)
		real_clock_gettime = (clock_gettime_fn) dlsym(RTLD_NEXT, "clock_gettime");
	rc = real_clock_gettime(clk, ts);
	if (rc != 0 || off == 0)
		return rc;
	ns = (int64_t) ts->tv_nsec + (off % 1000000) * 1000;
	ts->tv_sec += off / 1000000 + ns / 1000000000;
	ns %= 1000000000;
	if (ns < 0)
	{
		ns += 1000000000;
		ts->tv_sec -= 1;
	}
	ts->tv_nsec = ns;
	return 0;
}

int
clock_gettime(clockid_t clk, struct timespec *ts)
{
	if (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE || clk == CLOCK_TAI)
		return fake_realtime(clk, ts);
	if (real_clock_gettime == NULL)
		real_clock_gettime = (clock_gettime_fn) dlsym(RTLD_NEXT, "clock_gettime");
	return real_clock_gettime(clk, ts);
}

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void) tz;
	if (fake_realtime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t
time(time_t *t)
{
	struct timespec ts;

	if (fake_realtime(CLOCK_REALTIME, &ts) != 0)
		return (time_t) -1;
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
