/*
 * main.c
 *		leadgen-gateway: start (settings.c reads the options), readiness for
 *		a service manager (sd_notify), the access log reopened on SIGHUP
 *		(accesslog.c), and the drain on SIGTERM.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "gateway.h"

/*
 * Tell a service manager how the gateway is (sd_notify's protocol, without
 * libsystemd): one datagram to $NOTIFY_SOCKET, a path or an abstract
 * socket ('@'). Nothing without it.
 */
static void
notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr;
	size_t		len;
	int			fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') || (len = strlen(path)) >= sizeof(addr.sun_path))
		return;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, len);
	if (path[0] == '@')
		addr.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *) &addr,
			   (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		fprintf(stderr, "leadgen-gateway: could not notify the service manager: %s\n", strerror(errno));
	close(fd);
}

int
main(int argc, char **argv)
{
	sigset_t	sigs;
	int			sig = 0;
	struct MHD_Daemon *d;
	double		deadline;
	MHD_socket	listen_fd;
	bool		listening;

	/* the route table, one "METHOD /path/{}" a line: the API this binary serves */
	if (argc == 2 && strcmp(argv[1], "--routes") == 0)
	{
		for (int i = 0; i < gw_nroutes; i++)
			printf("%s %s\n", gw_routes[i].method, gw_routes[i].pattern);
		return 0;
	}
	settings_load(argc, argv);
	if (!access_log_open())
		return 2;

	/* the signals are taken by sigwait below, not by the HTTP threads */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * The cache is correct only while the listener hears every change;
	 * LISTEN does not work through a pooler in transaction mode, so there
	 * it needs a direct connection.
	 */
	listening = !(gw_settings.pooler && gw_settings.listen_db == NULL);
	if (!listening && gw_settings.cache_mb > 0)
	{
		fprintf(stderr, "leadgen-gateway: --pooler without --listen-db: no change notifications, so the "
				"response cache is off\n");
		gw_settings.cache_mb = 0;
	}
	db_config(gw_settings.db, gw_settings.replica);
	cache_init((size_t) gw_settings.cache_mb * 1024 * 1024);
	if (listening)
		listener_start();
	submit_start();
	d = http_start();
	if (d == NULL)
	{
		fprintf(stderr, "leadgen-gateway: could not listen on %s port %d%s\n", gw_settings.bind, gw_settings.port,
				gw_settings.reuse_port ? "" : " (a port in use is refused unless every process on it has --reuse-port)");
		/* the threads already started may be inside libpq: stop them before exit runs the libraries' destructors */
		workers_stop();
		submit_stop();
		if (listening)
			listener_stop();
		return 1;
	}
	fprintf(stderr, "leadgen-gateway %s: listening on %s port %d, %d threads, cache %ld MiB%s%s\n", GW_VERSION,
			gw_settings.bind, gw_settings.port, gw_settings.threads, gw_settings.cache_mb,
			gw_settings.replica ? ", with a replica" : "", gw_settings.pooler ? ", through a pooler" : "");
	notify("READY=1\nSTATUS=listening");

	for (;;)
	{
		sigwait(&sigs, &sig);
		if (sig != SIGHUP)
			break;
		access_log_reopen();
	}

	/* drain: no new connections, requests in flight finish, then stop */
	notify("STOPPING=1");
	fprintf(stderr, "leadgen-gateway: signal %d, draining %d requests\n", sig, metrics_inflight());
	listen_fd = MHD_quiesce_daemon(d);
	if (listen_fd != MHD_INVALID_SOCKET)
		shutdown(listen_fd, SHUT_RDWR);	/* refuse new connections now; closed after the stop */
	deadline = now_seconds() + gw_settings.drain_seconds;
	while (metrics_inflight() > 0 && now_seconds() < deadline)
		usleep(20 * 1000);
	if (metrics_inflight() > 0)
	{
		/*
		 * Requests still wait on the database (a lock, a hung server):
		 * those not started yet are answered 503 without running, the
		 * statements in progress are cancelled so that each gets its error
		 * answer, and suspended connections are resumed before the daemon
		 * stops.
		 */
		workers_drain();
		fprintf(stderr, "leadgen-gateway: %d requests still in flight after %d s; cancel sent on %d connections\n",
				metrics_inflight(), gw_settings.drain_seconds, db_cancel_all());
		deadline = now_seconds() + 5;
		while (metrics_inflight() > 0 && now_seconds() < deadline)
			usleep(20 * 1000);
	}
	MHD_stop_daemon(d);
	if (listen_fd != MHD_INVALID_SOCKET)
		close(listen_fd);
	workers_stop();
	submit_stop();
	if (listening)
		listener_stop();
	fprintf(stderr, "leadgen-gateway: stopped\n");
	access_log_close();
	return 0;
}
