/*
 * cmd-agent-command.c - `xenchannel agent-command DOMAIN|SOCKET JSON`: one
 * request to a guest's agent, its reply printed as JSON (what
 * `virsh qemu-agent-command` is to qemu-guest-agent). Exit 0 for a
 * successful reply, 1 for the agent's error reply, 2 for a usage error or no
 * answer (no such domain or channel, nothing listening, no agent, timeout).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "xenchannel/host.h"
#include "xenchannel/loop.h"
#include "xenchannel/proto.h"

#define USAGE                                                                                      \
	"usage: xenchannel agent-command [--timeout SECONDS] [--name NAME] DOMAIN|SOCKET JSON\n"   \
	"JSON is a request object such as '{\"op\": \"status\"}', or a bare op: ping, status\n"

/* The request: a JSON object, or a bare op such as "ping". */
static json_t *parse_request(const char *text)
{
	if (*text != '{' && *text != '[' && *text)
		return json_pack("{s:s}", "op", text);
	json_error_t je;
	json_t *req = json_loads(text, 0, &je);
	if (!req)
		fprintf(stderr, "xenchannel: agent-command: JSON:%d:%d: %s\n", je.line, je.column,
		        je.text);
	else if (!json_is_object(req)) {
		fprintf(stderr, "xenchannel: agent-command: the request must be a JSON object\n");
		json_decref(req);
		req = NULL;
	}
	return req;
}

int cmd_agent_command(int argc, char **argv)
{
	static const struct option opts[] = {{"timeout", required_argument, NULL, 't'},
	                                     {"name", required_argument, NULL, 'n'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	double timeout = 10;
	const char *name = HOST_DEFAULT_NAME;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+t:n:h", opts, NULL)) != -1) {
		int ms;
		switch (c) {
		case 't':
			if (cli_parse_seconds("agent-command", "--timeout", optarg, 1, &ms))
				return 2;
			timeout = ms / 1000.0;
			break;
		case 'n':
			name = optarg;
			break;
		case 'h':
			printf(USAGE);
			return 0;
		default:
			fprintf(stderr, USAGE);
			return 2;
		}
	}
	if (optind + 2 != argc) {
		fprintf(stderr, USAGE);
		return 2;
	}
	json_t *req = parse_request(argv[optind + 1]);
	if (!req)
		return 2;
	char sock[256], err[600];
	int rc = 2;
	struct host_chan *h = NULL;
	if (cli_agent_socket(argv[optind], name, sock, sizeof(sock), err, sizeof(err)) < 0 ||
	    !(h = host_chan_new(sock, err, sizeof(err)))) {
		fprintf(stderr, "xenchannel: agent-command: %s\n", err);
		goto out;
	}
	int64_t id = host_chan_request(h, req);
	json_t *rep =
	    id < 0 ? NULL : host_chan_wait(h, id, (int)(timeout * 1000), err, sizeof(err));
	if (!rep) {
		if (id < 0)
			snprintf(err, sizeof(err), "cannot queue the request: %s",
			         host_chan_error(h));
		if (host_chan_is_ready(h))
			fprintf(stderr, "xenchannel: agent-command: %s: no reply (%s)\n", sock,
			        err);
		else
			fprintf(
			    stderr,
			    "xenchannel: agent-command: %s: no agent answered (%s after %g s); is "
			    "xenchannel-agent running in the guest?\n",
			    sock, err, timeout);
		goto out;
	}
	json_dumpf(rep, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("\n");
	rc = json_is_true(json_object_get(rep, "ok")) ? 0 : 1;
	json_decref(rep);
out:
	host_chan_free(h);
	json_decref(req);
	return rc;
}
