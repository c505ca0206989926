/*
 * fuzz_request.c
 *		libFuzzer target over what a client controls before any I/O: the
 *		request line (method and target) is parsed, routed and its list
 *		arguments checked, as the gateway does for every request.
 *
 * Input: "METHOD /path?query" (the first space separates them; without a
 * space the whole input is the target of a GET). Run:
 *   make -C gateway fuzz && gateway/build/fuzz/fuzz_request -max_total_time=60 gateway/tests/corpus
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *in = malloc(size + 1);
	char	   *sp;
	const char *method = "GET";
	const char *uri;
	Target		t;
	const char *err;
	const char *caps[GW_MAX_CAPS] = {NULL, NULL};
	char		allow[64];
	bool		known;
	const Route *r;
	long long	v;
	Buf			b = {0};

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	uri = in;
	if ((sp = strchr(in, ' ')) != NULL)
	{
		*sp = '\0';
		method = in;
		uri = sp + 1;
	}
	if (target_parse(uri, &t, &err))
	{
		r = route_find(method, &t, caps, allow, sizeof(allow), &known);
		if (r == NULL && known && allow[0] == '\0')
			abort();			/* a known path always names its methods */
		for (int i = 0; i < t.nargs; i++)
		{
			buf_json_string(&b, t.keys[i]);
			buf_json_string(&b, t.vals[i]);
			(void) parse_int(t.vals[i], 0, 1000000000000LL, &v);
			(void) glob_match(t.vals[i], t.path);
		}
		for (int i = 0; i < GW_MAX_CAPS; i++)
			if (caps[i])
				buf_json_string(&b, caps[i]);
		(void) target_arg(&t, "limit");
		(void) token_ok(t.path, 64);
	}
	else if (err == NULL)
		abort();				/* a refusal always says why */
	target_free(&t);
	buf_free(&b);
	free(in);
	return 0;
}
