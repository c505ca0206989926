/*
 * bare.c - the HTTP ceiling of the pg_leadgen gateway benchmark.
 *
 * A libmicrohttpd server with the same threading as leadgen-gateway
 * (internal polling thread, epoll, a pool of 2 threads) that answers every
 * request with the same 2 KiB JSON body and does nothing else: no routing,
 * no database, no logging. Whatever rate it reaches on this machine is the
 * most any libmicrohttpd server can reach here, so the gateway's cached
 * answers are measured against it.
 *
 *   bare PORT        listens on 127.0.0.1:PORT until SIGINT or SIGTERM
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>

#define BODY_SIZE 2048

static char body[BODY_SIZE];
static struct MHD_Response *response;

/*
 * Fill the body with a JSON document of exactly BODY_SIZE bytes, so that
 * the answer weighs about what a page of 20 leads weighs.
 */
static void
fill_body(void)
{
	static const char head[] = "{\"data\":\"";
	static const char tail[] = "\"}";
	size_t		pos = 0;

	memcpy(body, head, sizeof(head) - 1);
	pos = sizeof(head) - 1;
	while (pos < BODY_SIZE - (sizeof(tail) - 1))
		body[pos++] = 'x';
	memcpy(body + pos, tail, sizeof(tail) - 1);
}

/*
 * Called by libmicrohttpd several times per request. libmicrohttpd 0.9.75
 * closes the connection after the answer (no keep-alive) when a response
 * is queued on the very first call, before it has looked at the whole
 * request. So the first call only marks the request as seen, and the
 * answer goes out on the second call.
 */
static enum MHD_Result
answer(void *cls, struct MHD_Connection *connection, const char *url,
	   const char *method, const char *version, const char *upload_data,
	   size_t *upload_data_size, void **req_cls)
{
	static int	seen;

	(void) cls;
	(void) url;
	(void) method;
	(void) version;
	(void) upload_data;

	if (*req_cls == NULL)
	{
		*req_cls = &seen;
		return MHD_YES;
	}
	/* A request body, if any, is read and dropped. */
	if (*upload_data_size != 0)
	{
		*upload_data_size = 0;
		return MHD_YES;
	}
	return MHD_queue_response(connection, MHD_HTTP_OK, response);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in addr;
	struct MHD_Daemon *daemon;
	sigset_t	signals;
	int			sig;
	long		port;
	char	   *end;

	if (argc != 2)
	{
		fprintf(stderr, "usage: %s PORT\n", argv[0]);
		return 2;
	}
	errno = 0;
	port = strtol(argv[1], &end, 10);
	if (errno != 0 || *end != '\0' || port < 1 || port > 65535)
	{
		fprintf(stderr, "bare: not a port: %s\n", argv[1]);
		return 2;
	}

	fill_body();
	/* One response object, shared by every request; the body is static. */
	response = MHD_create_response_from_buffer(BODY_SIZE, body, MHD_RESPMEM_PERSISTENT);
	if (response == NULL ||
		MHD_add_response_header(response, "Content-Type", "application/json") != MHD_YES)
	{
		fprintf(stderr, "bare: cannot build the response\n");
		return 1;
	}

	/* Block the stop signals before the threads start: only main waits for them. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short) port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
							  (unsigned short) port, NULL, NULL, answer, NULL,
							  MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
							  MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) 2,
							  MHD_OPTION_END);
	if (daemon == NULL)
	{
		fprintf(stderr, "bare: cannot listen on 127.0.0.1:%ld\n", port);
		return 1;
	}
	fprintf(stderr, "bare: listening on 127.0.0.1:%ld\n", port);

	sigwait(&signals, &sig);
	MHD_stop_daemon(daemon);
	MHD_destroy_response(response);
	return 0;
}
