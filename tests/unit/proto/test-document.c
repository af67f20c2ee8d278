/* test-document.c - the configuration document parser: every rule has a
 * document that breaks it and the message that must name where, and an
 * accepted document comes out as the values the agent applies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "xenchannel/proto.h"

static const char *full_doc =
    "{\"generation\": 3, \"hostname\": \"web1\", \"fqdn\": \"web1.example.org\","
    " \"network\": {\"version\": 2, \"ethernets\": {"
    "   \"eth0\": {\"match\": {\"macaddress\": \"52:54:00:12:34:56\"},"
    "     \"addresses\": [\"10.0.0.5/24\", \"fd00::5/64\"], \"gateway4\": \"10.0.0.1\","
    "     \"gateway6\": \"fd00::1\", \"mtu\": 1400, \"dhcp4\": false,"
    "     \"routes\": [{\"to\": \"192.168.0.0/16\", \"via\": \"10.0.0.254\", \"metric\": 10}],"
    "     \"nameservers\": {\"addresses\": [\"10.0.0.53\"], \"search\": [\"example.org\"]}},"
    "   \"lan1\": {\"addresses\": [\"192.0.2.1/28\"]}}},"
    " \"users\": [{\"name\": \"ops\", \"ssh_authorized_keys\": [\"ssh-ed25519 AAAA ops@x\"]}],"
    " \"write_files\": [{\"path\": \"/etc/motd\", \"content\": \"hi\\n\","
    "   \"permissions\": \"0644\", \"owner\": \"root:root\"},"
    "   {\"path\": \"/srv/b\", \"content\": \"aGk=\", \"encoding\": \"b64\"}]}";

static void check(const char *text, const char *want)
{
	json_error_t je;
	json_t *o = json_loads(text, 0, &je);
	if (!o)
		fail_msg("test document does not parse: %s: %s", je.text, text);
	char err[512] = "";
	int rc = proto_config_validate(o, err, sizeof(err));
	json_decref(o);
	if (!want) {
		if (rc != 0)
			fail_msg("valid document refused: %s", err);
		return;
	}
	if (rc == 0)
		fail_msg("invalid document accepted (want \"%s\"): %s", want, text);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void full_document_is_valid(void **state)
{
	check(full_doc, NULL);
	check("{\"generation\": 1}", NULL);
}

/* Every independent part that is wrong is reported, one line each. */
static void every_problem_reported(void **state)
{
	json_t *o = json_loads("{\"generation\": 0, \"hostname\": \"-x\", \"colour\": 1,"
	                       " \"users\": [{\"name\": \"ok\"}, {\"name\": \"a b\"}, {\"x\": 1}],"
	                       " \"write_files\": [{\"path\": \"rel\"}]}",
	                       0, NULL);
	assert_non_null(o);
	char err[1024];
	assert_int_equal(proto_config_validate(o, err, sizeof(err)), -1);
	json_decref(o);
	assert_string_equal(err, "colour: unknown key\n"
	                         "generation: missing or not an integer >= 1\n"
	                         "hostname: not a host name (letters, digits, '-', max 63)\n"
	                         "users[1].name: missing or not a valid user name\n"
	                         "users[2].x: unknown key\n"
	                         "write_files[0].path: want an absolute path without '.', '..' "
	                         "or empty parts");
	/* a small buffer keeps what fits, from the first line on */
	char small[60];
	o = json_loads("{\"generation\": 0, \"hostname\": \"-x\"}", 0, NULL);
	assert_int_equal(proto_config_validate(o, small, sizeof(small)), -1);
	json_decref(o);
	assert_string_equal(small, "generation: missing or not an integer >= 1\nhostname: not a ");
}

static void top_level_rules(void **state)
{
	check("[]", "document: not a mapping");
	check("{}", "generation: missing");
	check("{\"generation\": 0}", "generation: missing or not an integer >= 1");
	check("{\"generation\": \"1\"}", "generation");
	check("{\"generation\": 1, \"hostnme\": \"x\"}", "hostnme: unknown key");
	check("{\"generation\": 1, \"hostname\": \"-bad\"}", "hostname: not a host name");
	check("{\"generation\": 1, \"hostname\": \"a.b\"}", "hostname: not a host name");
	check("{\"generation\": 1, \"hostname\": \"a\", \"fqdn\": \"a..b\"}", "fqdn: not a domain");
	check("{\"generation\": 1, \"fqdn\": \"a.b\"}", "fqdn: given without hostname");
}

static void network_rules(void **state)
{
	check("{\"generation\": 1, \"network\": {\"version\": 1}}", "network.version");
	check("{\"generation\": 1, \"network\": {\"bonds\": {}}}", "network.bonds: unknown key");
	check("{\"generation\": 1, \"network\": {\"ethernets\": {\"e\": {\"match\": "
	      "{\"macaddress\": \"52:54:00:12:34\"}}}}}",
	      "network.ethernets.e.match.macaddress");
	check("{\"generation\": 1, \"network\": {\"ethernets\": "
	      "{\"this-name-is-too-long-for-linux\": "
	      "{}}}}",
	      "without match.macaddress the id must be an interface name");
	check("{\"generation\": 1, \"network\": {\"ethernets\": {\"e0\": {\"addresses\": "
	      "[\"10.0.0.1/24\", \"10.0.0.300/24\"]}}}}",
	      "network.ethernets.e0.addresses[1]: \"10.0.0.300/24\" is not an address/prefix");
	check("{\"generation\": 1, \"network\": {\"ethernets\": {\"e0\": {\"addresses\": "
	      "[\"10.0.0.1/33\"]}}}}",
	      "addresses[0]");
	check("{\"generation\": 1, \"network\": {\"ethernets\": {\"e0\": {\"gateway4\": "
	      "\"fd00::1\"}}}}",
	      "network.ethernets.e0.gateway4: not an IPv4 address");
	check("{\"generation\": 1, \"network\": {\"ethernets\": {\"e0\": {\"mtu\": 20}}}}",
	      "network.ethernets.e0.mtu");
	check("{\"generation\": 1, \"network\": {\"ethernets\": {\"e0\": {\"dhcp4\": true}}}}",
	      "only static addressing");
	check("{\"generation\": 1, \"network\": {\"ethernets\": {\"e0\": {\"routes\": "
	      "[{\"to\": \"10.1.0.0/16\", \"via\": \"fd00::1\"}]}}}}",
	      "routes[0]: to and via are of different families");
	check("{\"generation\": 1, \"network\": {\"ethernets\": {\"e0\": {\"routes\": "
	      "[{\"to\": \"default\"}]}}}}",
	      "routes[0].via: not an IP address");
	check("{\"generation\": 1, \"network\": {\"ethernets\": {\"e0\": {\"nameservers\": "
	      "{\"addresses\": [\"dns.example\"]}}}}}",
	      "nameservers.addresses[0]: not an IP address");
}

static void users_rules(void **state)
{
	check("{\"generation\": 1, \"users\": {}}", "users: not a list");
	check("{\"generation\": 1, \"users\": [\"default\"]}", "users[0]: not a mapping");
	check("{\"generation\": 1, \"users\": [{\"name\": \"Root\"}]}", "users[0].name");
	check("{\"generation\": 1, \"users\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}",
	      "users[1].name: user \"a\" listed twice");
	check("{\"generation\": 1, \"users\": [{\"name\": \"a\", \"ssh_authorized_keys\": "
	      "[\"ssh-rsa A\\nssh-rsa B\"]}]}",
	      "users[0].ssh_authorized_keys[0]: a key must be one line");
	check("{\"generation\": 1, \"users\": [{\"name\": \"a\", \"sudo\": \"ALL\"}]}",
	      "users[0].sudo: unknown key");
}

static void files_rules(void **state)
{
	check("{\"generation\": 1, \"write_files\": [{\"path\": \"etc/x\"}]}",
	      "write_files[0].path");
	check("{\"generation\": 1, \"write_files\": [{\"path\": \"/etc/../x\"}]}",
	      "write_files[0].path");
	check("{\"generation\": 1, \"write_files\": [{\"path\": \"/etc//x\"}]}",
	      "write_files[0].path");
	check("{\"generation\": 1, \"write_files\": [{\"path\": \"/a\"}, {\"path\": \"/a\"}]}",
	      "write_files[1].path: \"/a\" listed twice");
	check(
	    "{\"generation\": 1, \"write_files\": [{\"path\": \"/a\", \"permissions\": \"0999\"}]}",
	    "write_files[0].permissions");
	check("{\"generation\": 1, \"write_files\": [{\"path\": \"/a\", \"permissions\": 420}]}",
	      "write_files[0].permissions");
	check("{\"generation\": 1, \"write_files\": [{\"path\": \"/a\", \"owner\": \"x:Y\"}]}",
	      "write_files[0].owner");
	check("{\"generation\": 1, \"write_files\": [{\"path\": \"/a\", \"encoding\": \"gz\"}]}",
	      "write_files[0].encoding");
	check("{\"generation\": 1, \"write_files\": [{\"path\": \"/a\", \"encoding\": \"b64\", "
	      "\"content\": \"abc\"}]}",
	      "base64 length");
	/* Found by tests/fuzz/agent-apply: '=' before the last character was taken
	 * for padding, and the agent wrote a byte from "AB=C". */
	check("{\"generation\": 1, \"write_files\": [{\"path\": \"/a\", \"encoding\": \"b64\", "
	      "\"content\": \"AB=C\"}]}",
	      "write_files[0].content: not base64 at byte 2");
	check("{\"generation\": 1, \"write_files\": [{\"path\": \"/a\", \"encoding\": \"b64\", "
	      "\"content\": \"AB==\"}]}",
	      NULL);
	check("{\"generation\": 1, \"write_files\": [{\"path\": \"/a\", \"append\": true}]}",
	      "write_files[0].append");
}

static void parsers(void **state)
{
	uint8_t a[16], mac[6];
	int fam;
	unsigned plen;
	assert_int_equal(proto_parse_prefix("10.1.2.3/8", &fam, a, &plen), 0);
	assert_int_equal(fam, AF_INET);
	assert_int_equal(plen, 8);
	assert_int_equal(proto_parse_prefix("fd00::1/128", &fam, a, &plen), 0);
	assert_int_equal(fam, AF_INET6);
	assert_int_equal(proto_parse_prefix("fd00::1/129", &fam, a, &plen), -1);
	assert_int_equal(proto_parse_prefix("10.1.2.3", &fam, a, &plen), -1);
	assert_int_equal(proto_parse_prefix("10.1.2.3/", &fam, a, &plen), -1);
	assert_int_equal(proto_parse_prefix("10.1.2.3/1x", &fam, a, &plen), -1);
	assert_int_equal(proto_parse_mac("52:54:00:AB:cd:ef", mac), 0);
	assert_int_equal(mac[3], 0xab);
	assert_int_equal(proto_parse_mac("52-54-00-ab-cd-ef", mac), -1);
}

/* What the agent applies: the full document parsed into plain values. */
static void parsed_values(void **state)
{
	json_t *o = json_loads(full_doc, 0, NULL);
	assert_non_null(o);
	struct proto_config c;
	char err[512] = "";
	assert_int_equal(proto_config_parse(o, &c, err, sizeof(err)), 0);
	json_decref(o);
	assert_int_equal(c.generation, 3);
	assert_string_equal(c.hostname, "web1");
	assert_string_equal(c.fqdn, "web1.example.org");
	assert_true(c.has_ethernets);
	assert_int_equal(c.nethernets, 2);
	const struct proto_ethernet *e = &c.ethernets[0];
	assert_string_equal(e->id, "eth0"); /* document order */
	assert_true(e->has_mac);
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	assert_memory_equal(e->mac, mac, 6);
	assert_string_equal(e->mac_text, "52:54:00:12:34:56");
	assert_int_equal(e->mtu, 1400);
	assert_int_equal(e->naddrs, 2);
	assert_int_equal(e->addrs[0].family, AF_INET);
	assert_int_equal(e->addrs[0].plen, 24);
	static const uint8_t a5[4] = {10, 0, 0, 5};
	assert_memory_equal(e->addrs[0].addr, a5, 4);
	assert_string_equal(e->addrs[1].text, "fd00::5/64");
	assert_int_equal(e->addrs[1].family, AF_INET6);
	assert_int_equal(e->gateway4.family, AF_INET);
	assert_int_equal(e->gateway6.family, AF_INET6);
	assert_int_equal(e->nroutes, 1);
	assert_int_equal(e->routes[0].to.plen, 16);
	assert_int_equal(e->routes[0].via.family, AF_INET);
	assert_int_equal(e->routes[0].metric, 10);
	assert_int_equal(e->ndns, 1);
	assert_string_equal(e->dns[0].text, "10.0.0.53");
	assert_int_equal(e->nsearch, 1);
	assert_string_equal(e->search[0], "example.org");
	e = &c.ethernets[1];
	assert_string_equal(e->id, "lan1");
	assert_false(e->has_mac);
	assert_int_equal(e->mtu, 0);
	assert_int_equal(e->gateway4.family, 0);
	assert_int_equal(c.nusers, 1);
	assert_string_equal(c.users[0].name, "ops");
	assert_true(c.users[0].has_keys);
	assert_int_equal(c.users[0].nkeys, 1);
	assert_string_equal(c.users[0].keys[0], "ssh-ed25519 AAAA ops@x");
	assert_int_equal(c.nfiles, 2);
	assert_string_equal(c.files[0].path, "/etc/motd");
	assert_int_equal(c.files[0].len, 3);
	assert_memory_equal(c.files[0].data, "hi\n", 3);
	assert_int_equal(c.files[0].mode, 0644);
	assert_string_equal(c.files[0].owner, "root:root");
	/* base64 decoded once, here; defaults filled in */
	assert_int_equal(c.files[1].len, 2);
	assert_memory_equal(c.files[1].data, "hi", 2);
	assert_string_equal(c.files[1].owner, "root:root");
	assert_int_equal(c.files[1].mode, 0644);
	proto_config_free(&c);
}

/* A route to "default", an empty ethernets map and a user without keys keep
 * the difference between "not given" and "empty". */
static void parsed_absent_and_empty(void **state)
{
	json_t *o = json_loads("{\"generation\": 9, \"network\": {\"ethernets\": {\"e0\": "
	                       "{\"routes\": [{\"to\": \"default\", \"via\": \"fd00::1\"}]}}},"
	                       " \"users\": [{\"name\": \"a\"}, {\"name\": \"b\", "
	                       "\"ssh_authorized_keys\": []}],"
	                       " \"write_files\": [{\"path\": \"/x\", \"permissions\": \"600\"}]}",
	                       0, NULL);
	assert_non_null(o);
	struct proto_config c;
	char err[512] = "";
	assert_int_equal(proto_config_parse(o, &c, err, sizeof(err)), 0);
	json_decref(o);
	assert_null(c.hostname);
	assert_int_equal(c.ethernets[0].routes[0].to.family, 0);
	assert_int_equal(c.ethernets[0].routes[0].to.plen, 0);
	assert_int_equal(c.ethernets[0].routes[0].via.family, AF_INET6);
	assert_false(c.users[0].has_keys);
	assert_true(c.users[1].has_keys);
	assert_int_equal(c.users[1].nkeys, 0);
	assert_int_equal(c.files[0].len, 0);
	assert_int_equal(c.files[0].mode, 0600);
	proto_config_free(&c);

	o = json_loads("{\"generation\": 1, \"network\": {\"ethernets\": {}}}", 0, NULL);
	assert_int_equal(proto_config_parse(o, &c, err, sizeof(err)), 0);
	json_decref(o);
	assert_true(c.has_ethernets);
	assert_int_equal(c.nethernets, 0);
	proto_config_free(&c);

	/* a refused document leaves nothing to free */
	o = json_loads("{\"generation\": 1, \"users\": [{\"name\": \"a\"}, {\"name\": 1}]}", 0,
	               NULL);
	assert_int_equal(proto_config_parse(o, &c, err, sizeof(err)), -1);
	json_decref(o);
	assert_null(c.users);
	assert_int_equal(c.nusers, 0);
}

/* The NoCloud seed: meta-data and user-data required, four known files,
 * text without NUL; the parsed seed holds the bytes. */
static void nocloud_rules(void **state)
{
	check("{\"generation\": 1, \"nocloud\": {\"meta-data\": \"\", \"user-data\": \"\"}}", NULL);
	check("{\"generation\": 1, \"nocloud\": {\"user-data\": \"#cloud-config\\n\"}}",
	      "nocloud.meta-data: missing (cloud-init needs it)");
	check("{\"generation\": 1, \"nocloud\": {\"meta-data\": \"\"}}",
	      "nocloud.user-data: missing");
	check("{\"generation\": 1, \"nocloud\": {\"meta-data\": \"\", \"user-data\": \"\","
	      " \"userdata\": \"\"}}",
	      "nocloud.userdata: unknown key");
	check("{\"generation\": 1, \"nocloud\": {\"meta-data\": 1, \"user-data\": \"\"}}",
	      "nocloud.meta-data: want a string of at most 98304 bytes");
	check("{\"generation\": 1, \"nocloud\": []}", "nocloud: not a mapping");
	json_t *o =
	    json_loads("{\"generation\": 2, \"nocloud\": {\"meta-data\": \"instance-id: i\","
	               " \"user-data\": \"#cloud-config\\n\", \"vendor-data\": \"\"}}",
	               0, NULL);
	struct proto_config c;
	char err[256];
	assert_int_equal(proto_config_parse(o, &c, err, sizeof(err)), 0);
	assert_true(c.has_seed);
	assert_string_equal(c.seed[PROTO_SEED_META_DATA], "instance-id: i");
	assert_int_equal(c.seed_len[PROTO_SEED_USER_DATA], 14);
	assert_null(c.seed[PROTO_SEED_NETWORK_CONFIG]);
	assert_non_null(c.seed[PROTO_SEED_VENDOR_DATA]);
	assert_int_equal(c.seed_len[PROTO_SEED_VENDOR_DATA], 0);
	proto_config_free(&c);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(nocloud_rules),   cmocka_unit_test(full_document_is_valid),
	    cmocka_unit_test(top_level_rules), cmocka_unit_test(network_rules),
	    cmocka_unit_test(users_rules),     cmocka_unit_test(files_rules),
	    cmocka_unit_test(parsers),         cmocka_unit_test(every_problem_reported),
	    cmocka_unit_test(parsed_values),   cmocka_unit_test(parsed_absent_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
