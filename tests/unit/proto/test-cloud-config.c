/* test-cloud-config.c - cloud-init's inputs: the checks follow cloud-init's
 * schema for the keys known here and name the key path; the conversion
 * gives our appliers what they can do, derived as cloud-init derives it,
 * and lists every other item with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xenchannel/proto.h"

static json_t *js(const char *text)
{
	json_error_t je;
	json_t *o = json_loads(text, 0, &je);
	if (!o)
		fail_msg("test JSON does not parse: %s: %s", je.text, text);
	return o;
}

/* want NULL: accepted; else the problems must contain want. */
static void check_cc(const char *text, const char *want)
{
	json_t *o = js(text);
	char err[2048] = "";
	int rc = proto_cloud_config_check(o, err, sizeof(err));
	json_decref(o);
	if (!want && rc != 0)
		fail_msg("valid cloud-config refused: %s\n%s", err, text);
	if (want && (rc == 0 || !strstr(err, want)))
		fail_msg("want \"%s\", got \"%s\" for %s", want, err, text);
}

static void check_nc(const char *text, const char *want)
{
	json_t *o = js(text);
	char err[2048] = "";
	int rc = proto_network_config_check(o, err, sizeof(err));
	json_decref(o);
	if (!want && rc != 0)
		fail_msg("valid network-config refused: %s\n%s", err, text);
	if (want && (rc == 0 || !strstr(err, want)))
		fail_msg("want \"%s\", got \"%s\" for %s", want, err, text);
}

static void cloud_config_schema(void **state)
{
	check_cc("{}", NULL);
	check_cc("{\"hostname\": \"h\", \"fqdn\": \"h.example\", \"preserve_hostname\": false,"
	         " \"users\": [\"default\", {\"name\": \"ops\", \"ssh_authorized_keys\": [\"k\"],"
	         " \"sudo\": null, \"uid\": 1000, \"groups\": [\"adm\"]}],"
	         " \"ssh_authorized_keys\": [\"k2\"], \"write_files\": [{\"path\": \"/x\","
	         " \"encoding\": \"gz+b64\", \"permissions\": \"0600\", \"defer\": true}],"
	         " \"packages\": [\"a\", [\"b\", \"1.0\"]], \"runcmd\": [\"ls\", [\"echo\", "
	         "\"x\"], null],"
	         " \"manage_etc_hosts\": \"localhost\", \"some_module\": {\"anything\": 1}}",
	         NULL);
	check_cc("[]", "the cloud-config must be a mapping");
	check_cc("{\"hostname\": 5}", "hostname: want a string, not an integer");
	check_cc("{\"preserve_hostname\": \"yes\"}",
	         "preserve_hostname: want a boolean, not a string");
	check_cc("{\"users\": []}", "users: an empty list");
	check_cc("{\"users\": [{\"ssh_authorized_keys\": [\"k\"]}]}", "users[0]: no name");
	check_cc("{\"users\": [{\"name\": \"a\", \"colour\": 1}]}", "users[0].colour: unknown key");
	check_cc("{\"users\": [{\"name\": \"a\", \"ssh_authorized_keys\": \"k\"}]}",
	         "users[0].ssh_authorized_keys: want a list, not a string");
	check_cc("{\"users\": [{\"name\": \"a\", \"ssh_authorized_keys\": [1]}]}",
	         "users[0].ssh_authorized_keys[0]: want a string, not an integer");
	check_cc("{\"ssh_authorized_keys\": []}", "ssh_authorized_keys: an empty list");
	check_cc("{\"write_files\": [{\"content\": \"x\"}]}",
	         "write_files[0]: no path (it is required)");
	check_cc(
	    "{\"write_files\": [{\"path\": \"/x\", \"permissions\": 420}]}",
	    "write_files[0].permissions: want a string like '0644' (quoted: YAML reads 0644 as "
	    "the number 420)");
	check_cc("{\"write_files\": [{\"path\": \"/x\", \"encoding\": \"zip\"}]}",
	         "write_files[0].encoding: want one of");
	check_cc("{\"write_files\": [{\"path\": \"/x\", \"mode\": \"0644\"}]}",
	         "write_files[0].mode: unknown key");
	check_cc("{\"packages\": [[\"a\"]]}", "packages[0]: want a name or [name, version]");
	check_cc("{\"runcmd\": [1]}", "runcmd[0]: want a string or null or a list, not an integer");
	check_cc("{\"bootcmd\": [null]}", "bootcmd[0]: want a string or a list, not null");
	check_cc("{\"manage_etc_hosts\": \"yes\"}", "manage_etc_hosts: want true, false or");
	check_cc("{\"generation\": 0}", "generation: want an integer >= 1");
	/* every problem, one line each */
	json_t *o = js("{\"hostname\": 1, \"fqdn\": 2, \"users\": [{}]}");
	char err[512] = "";
	assert_int_equal(proto_cloud_config_check(o, err, sizeof(err)), -1);
	assert_string_equal(err, "hostname: want a string, not an integer\n"
	                         "fqdn: want a string, not an integer\n"
	                         "users[0]: no name");
	json_decref(o);
}

static void network_config_v2(void **state)
{
	check_nc("{\"version\": 2, \"ethernets\": {\"eth0\": {\"match\": {\"macaddress\": "
	         "\"52:54:00:12:34:56\"}, \"set-name\": \"lan\", \"addresses\": [\"10.0.0.5/24\","
	         " {\"fd00::5/64\": {\"lifetime\": 0}}], \"gateway4\": \"10.0.0.1\", \"mtu\": 9000,"
	         " \"dhcp6\": true, \"routes\": [{\"to\": \"default\", \"via\": \"10.0.0.1\"},"
	         " {\"to\": \"192.0.2.0/24\", \"via\": \"10.0.0.2\", \"on-link\": true}],"
	         " \"nameservers\": {\"addresses\": [\"10.0.0.53\"], \"search\": [\"example\"]}}},"
	         " \"bonds\": {\"bond0\": {}}}",
	         NULL);
	check_nc("{\"network\": {\"version\": 2}}", NULL);
	check_nc("{\"ethernets\": {}}", "version: missing (want 2)");
	check_nc("{\"version\": 1, \"config\": []}",
	         "version: only network-config version 2 is accepted");
	check_nc("{\"network\": {\"version\": 1}}",
	         "network.version: only network-config version 2");
	check_nc("{\"version\": 2, \"tunnels\": {}}", "tunnels: unknown key");
	check_nc("{\"version\": 2, \"ethernets\": {\"e\": {\"addresses\": [\"10.0.0.300/24\"]}}}",
	         "ethernets.e.addresses[0]: \"10.0.0.300/24\" is not an address/prefix");
	check_nc("{\"version\": 2, \"ethernets\": {\"e\": {\"gateway4\": \"fd00::1\"}}}",
	         "ethernets.e.gateway4: \"fd00::1\" is not an IPv4 address");
	check_nc("{\"version\": 2, \"ethernets\": {\"e\": {\"match\": {\"macaddress\": \"x\"}}}}",
	         "ethernets.e.match.macaddress: want xx:xx:xx:xx:xx:xx");
	check_nc("{\"version\": 2, \"ethernets\": {\"e\": {\"dhcp4\": \"yes\"}}}",
	         "ethernets.e.dhcp4: want a boolean, not a string");
	check_nc("{\"version\": 2, \"ethernets\": {\"e\": {\"mtu\": 20}}}",
	         "ethernets.e.mtu: want 68..65535");
	check_nc(
	    "{\"version\": 2, \"ethernets\": {\"e\": {\"routes\": [{\"via\": \"10.0.0.1\"}]}}}",
	    "ethernets.e.routes[0].to: missing");
	check_nc(
	    "{\"version\": 2, \"ethernets\": {\"e\": {\"nameservers\": {\"addresses\": [\"x\"]}}}}",
	    "ethernets.e.nameservers.addresses[0]: \"x\" is not an IP address");
}

struct conv {
	struct proto_cc_result r;
	char doc[2048];
	char skipped[2048];
};

static void convert(struct conv *c, const char *cc, const char *nc, const char *md)
{
	json_t *a = cc ? js(cc) : NULL, *b = nc ? js(nc) : NULL, *m = md ? js(md) : NULL;
	char err[256];
	assert_int_equal(proto_cloud_config_convert(a, b, m, &c->r, err, sizeof(err)), 0);
	char *d = json_dumps(c->r.doc, JSON_COMPACT | JSON_SORT_KEYS);
	char *s = json_dumps(c->r.skipped, JSON_COMPACT);
	snprintf(c->doc, sizeof(c->doc), "%s", d);
	snprintf(c->skipped, sizeof(c->skipped), "%s", s);
	free(d);
	free(s);
	json_decref(a);
	json_decref(b);
	json_decref(m);
}

static void expect(const char *cc, const char *nc, const char *md, const char *doc,
                   const char *skipped)
{
	struct conv c;
	convert(&c, cc, nc, md);
	if (strcmp(c.doc, doc) != 0)
		fail_msg("document\n  got  %s\n  want %s", c.doc, doc);
	if (strcmp(c.skipped, skipped) != 0)
		fail_msg("skipped\n  got  %s\n  want %s", c.skipped, skipped);
	proto_cc_result_free(&c.r);
}

/* cloud-init's util.get_hostname_fqdn, and meta-data's local-hostname. */
static void host_names_as_cloud_init_derives_them(void **state)
{
	expect("{\"hostname\": \"web\"}", NULL, NULL, "{\"hostname\":\"web\"}", "[]");
	expect("{\"hostname\": \"web.example.org\"}", NULL, NULL,
	       "{\"fqdn\":\"web.example.org\",\"hostname\":\"web\"}", "[]");
	expect("{\"fqdn\": \"db.example.org\"}", NULL, NULL,
	       "{\"fqdn\":\"db.example.org\",\"hostname\":\"db\"}", "[]");
	expect("{\"hostname\": \"h\", \"fqdn\": \"x.example\"}", NULL, NULL,
	       "{\"fqdn\":\"x.example\",\"hostname\":\"h\"}", "[]");
	expect("{}", NULL, "{\"instance-id\": \"i\", \"local-hostname\": \"md.example\"}",
	       "{\"fqdn\":\"md.example\",\"hostname\":\"md\"}", "[]");
	expect("{\"hostname\": \"cc\"}", NULL, "{\"local-hostname\": \"md\"}",
	       "{\"hostname\":\"cc\"}", "[]");
	expect("{\"hostname\": \"h\", \"preserve_hostname\": true}", NULL, NULL, "{}",
	       "[{\"item\":\"hostname\",\"reason\":\"not applied: preserve_hostname is true\"}]");
	expect("{\"generation\": 4, \"hostname\": \"h\"}", NULL, NULL,
	       "{\"generation\":4,\"hostname\":\"h\"}", "[]");
	expect(
	    NULL, NULL, "{\"public-keys\": [\"k\"]}", "{}",
	    "[{\"item\":\"meta-data.public-keys\",\"reason\":\"not applied: needs cloud-init\"}]");
}

static void users_and_keys(void **state)
{
	/* a user's keys, merged when the user comes twice; the rest reported */
	expect(
	    "{\"users\": [{\"name\": \"ops\", \"ssh_authorized_keys\": [\"k1\"], \"shell\": "
	    "\"/bin/sh\"},"
	    " \"dev\", {\"name\": \"ops\", \"ssh_authorized_keys\": [\"k1\", \"k2\"]}, "
	    "\"default\"]}",
	    NULL, NULL, "{\"users\":[{\"name\":\"ops\",\"ssh_authorized_keys\":[\"k1\",\"k2\"]}]}",
	    "[{\"item\":\"users[0].shell\",\"reason\":\"not applied: needs cloud-init\"},"
	    "{\"item\":\"users[1]\",\"reason\":\"not applied: needs cloud-init (creates the "
	    "account)\"},"
	    "{\"item\":\"users[3]\",\"reason\":\"not applied: needs cloud-init (the distribution's "
	    "default user)\"}]");
	/* the default user's keys: named in system_info, or root when allowed */
	expect("{\"ssh_authorized_keys\": [\"k\"], \"system_info\": {\"default_user\": {\"name\": "
	       "\"debian\"}}, \"users\": [\"default\"]}",
	       NULL, NULL, "{\"users\":[{\"name\":\"debian\",\"ssh_authorized_keys\":[\"k\"]}]}",
	       "[]");
	expect("{\"ssh_authorized_keys\": [\"k\"], \"disable_root\": false}", NULL, NULL,
	       "{\"users\":[{\"name\":\"root\",\"ssh_authorized_keys\":[\"k\"]}]}", "[]");
	struct conv c;
	convert(&c, "{\"ssh_authorized_keys\": [\"k\"]}", NULL, NULL);
	assert_string_equal(c.doc, "{}");
	assert_non_null(strstr(c.skipped,
	                       "\"item\":\"ssh_authorized_keys\",\"reason\":\"not applied: "
	                       "needs cloud-init: these keys are the default user's"));
	proto_cc_result_free(&c.r);
	/* a user without keys is an account to create */
	expect(
	    "{\"users\": [{\"name\": \"svc\", \"system\": true}]}", NULL, NULL, "{}",
	    "[{\"item\":\"users[0]\",\"reason\":\"not applied: needs cloud-init (creates account "
	    "svc)\"},{\"item\":\"users[0].system\",\"reason\":\"not applied: needs cloud-init\"}]");
}

static void files_and_other_keys(void **state)
{
	expect("{\"write_files\": [{\"path\": \"/o\", \"permissions\": \"0o640\"}]}", NULL, NULL,
	       "{\"write_files\":[{\"path\":\"/o\",\"permissions\":\"0640\"}]}", "[]");
	expect(
	    "{\"write_files\": [{\"path\": \"/a\", \"content\": \"x\", \"defer\": true},"
	    " {\"path\": \"/b\", \"encoding\": \"gzip\"}, {\"path\": \"/c\", \"append\": true}],"
	    " \"packages\": [\"p\"], \"runcmd\": [\"a\", \"b\"], \"timezone\": \"UTC\"}",
	    NULL, NULL, "{\"write_files\":[{\"content\":\"x\",\"defer\":true,\"path\":\"/a\"}]}",
	    "[{\"item\":\"write_files[1] (/b)\",\"reason\":\"not applied: needs cloud-init "
	    "(encoding gzip)\"},{\"item\":\"write_files[2] (/c)\",\"reason\":\"not applied: needs "
	    "cloud-init (append: true; the agent writes whole files)\"},{\"item\":\"packages\","
	    "\"reason\":\"not applied: needs cloud-init (1 "
	    "entry)\"},{\"item\":\"runcmd\",\"reason\":"
	    "\"not applied: needs cloud-init (2 "
	    "entries)\"},{\"item\":\"timezone\",\"reason\":\"not "
	    "applied: needs cloud-init\"}]");
}

static void static_network_only(void **state)
{
	expect(
	    NULL,
	    "{\"network\": {\"version\": 2, \"renderer\": \"networkd\", \"ethernets\": {"
	    " \"eth0\": {\"match\": {\"macaddress\": \"52:54:00:12:34:56\"}, \"set-name\": \"lan\","
	    "  \"addresses\": [\"10.0.0.5/24\", {\"fd00::5/64\": {\"lifetime\": 0}}], \"mtu\": "
	    "1400,"
	    "  \"dhcp4\": false, \"routes\": [{\"to\": \"192.0.2.0/24\", \"via\": \"10.0.0.2\","
	    "  \"on-link\": true}, {\"to\": \"default\", \"via\": \"10.0.0.1\", \"metric\": 5}]},"
	    " \"eth1\": {\"dhcp4\": true},"
	    " \"eth2\": {\"match\": {\"name\": \"en*\"}, \"addresses\": [\"10.1.0.5/24\"]}},"
	    " \"vlans\": {}}}",
	    NULL,
	    "{\"network\":{\"ethernets\":{\"eth0\":{\"addresses\":[\"10.0.0.5/24\",\"fd00::5/64\"],"
	    "\"dhcp4\":false,\"match\":{\"macaddress\":\"52:54:00:12:34:56\"},\"mtu\":1400,"
	    "\"routes\":[{\"metric\":5,\"to\":\"default\",\"via\":\"10.0.0.1\"}]}},\"version\":2}}",
	    "[{\"item\":\"network.renderer\",\"reason\":\"not applied: needs cloud-init\"},"
	    "{\"item\":\"network.ethernets.eth0.set-name\",\"reason\":\"not applied: needs "
	    "cloud-init\"},{\"item\":\"network.ethernets.eth0.routes[0]\",\"reason\":\"not "
	    "applied: "
	    "needs cloud-init (route option on-link)\"},{\"item\":\"network.ethernets.eth0."
	    "addresses[1]\",\"reason\":\"not applied: needs cloud-init (address options)\"},"
	    "{\"item\":\"network.ethernets.eth1\",\"reason\":\"unsupported: dhcp4: true (the agent "
	    "configures static addresses only; DHCP needs cloud-init or the guest's own DHCP "
	    "client)\"},{\"item\":\"network.ethernets.eth2\",\"reason\":\"unsupported: match.name "
	    "(the agent matches an interface by macaddress or by its id); not applied: needs "
	    "cloud-init\"},{\"item\":\"network.vlans\",\"reason\":\"not applied: needs "
	    "cloud-init\"}]");
}

/* Messages about the converted document find their way back. */
static void origin_of_each_part(void **state)
{
	struct conv c;
	convert(
	    &c,
	    "{\"fqdn\": \"a.example\", \"users\": [\"x\", {\"name\": \"u\", "
	    "\"ssh_authorized_keys\":"
	    " [\"k\"]}], \"write_files\": [{\"path\": \"/g\", \"encoding\": \"gz\"}, {\"path\": "
	    "\"/p\"}]}",
	    "{\"version\": 2, \"ethernets\": {\"e\": {\"routes\": [{\"to\": \"default\", \"via\":"
	    " \"10.0.0.1\", \"table\": 5}, {\"to\": \"default\", \"via\": \"10.0.0.2\"}]}}}",
	    NULL);
	char *o = json_dumps(c.r.origin, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(
	    o, "{\"fqdn\":[0,\"fqdn\"],\"hostname\":[0,\"fqdn\"],"
	       "\"network.ethernets.e\":[1,\"ethernets.e\"],"
	       "\"network.ethernets.e.routes[0]\":[1,\"ethernets.e.routes[1]\"],"
	       "\"users[0]\":[0,\"users[1]\"],\"write_files[0]\":[0,\"write_files[1]\"]}");
	free(o);
	proto_cc_result_free(&c.r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(cloud_config_schema),
	    cmocka_unit_test(network_config_v2),
	    cmocka_unit_test(host_names_as_cloud_init_derives_them),
	    cmocka_unit_test(users_and_keys),
	    cmocka_unit_test(files_and_other_keys),
	    cmocka_unit_test(static_network_only),
	    cmocka_unit_test(origin_of_each_part),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
