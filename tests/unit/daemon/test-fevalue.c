/* The frontend values a guest writes, as the daemon judges them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "xenchanneld.h"

static int parse(enum fev_key k, const char *v, size_t len, uint32_t *out)
{
	const char *why = NULL;
	int r = fev_parse(k, v, len, out, &why);
	if (r < 0)
		assert_true(why && why[0]);
	return r;
}

static void accept(enum fev_key k, const char *v, uint32_t want)
{
	uint32_t n = 0;
	assert_int_equal(parse(k, v, strlen(v), &n), 0);
	assert_int_equal(n, want);
}

static void refuse(enum fev_key k, const char *v, size_t len)
{
	uint32_t n = 77;
	assert_int_equal(parse(k, v, len, &n), -1);
	assert_int_equal(n, 77); /* nothing handed out */
}

#define REFUSE(k, s) refuse(k, s, sizeof(s) - 1)

static void values_linux_writes_are_accepted(void **st)
{
	for (uint32_t s = XB_UNKNOWN; s <= XB_RECONFIGURED; s++) {
		char v[4] = {(char)('0' + s), 0};
		accept(FEV_STATE, v, s);
	}
	accept(FEV_RING_REF, "8", 8);
	accept(FEV_RING_REF, "767", 767);
	accept(FEV_RING_REF, "4294967295", UINT32_MAX);
	accept(FEV_PORT, "1", 1);
	accept(FEV_PORT, "17", 17);
	accept(FEV_PORT, "131071", 131071);
}

static void state_outside_xenbus_states_is_refused(void **st)
{
	/* these used to pass as states (anything up to 1000000) */
	REFUSE(FEV_STATE, "9");
	REFUSE(FEV_STATE, "1000000");
	REFUSE(FEV_STATE, "4294967295");
	REFUSE(FEV_STATE, "-1");
}

static void reserved_grefs_and_impossible_ports_are_refused(void **st)
{
	REFUSE(FEV_RING_REF, "0"); /* the primary console's page */
	REFUSE(FEV_RING_REF, "1"); /* the xenstore page */
	REFUSE(FEV_RING_REF, "7");
	REFUSE(FEV_PORT, "0");
	REFUSE(FEV_PORT, "131072");
	REFUSE(FEV_PORT, "4294967295");
}

static void garbage_is_refused(void **st)
{
	for (int k = FEV_STATE; k <= FEV_PORT; k++) {
		REFUSE(k, "");
		REFUSE(k, " 4");
		REFUSE(k, "4 ");
		REFUSE(k, "4\n");
		REFUSE(k, "+9");
		REFUSE(k, "0x10");
		REFUSE(k, "9a");
		REFUSE(k, "4294967296");
		REFUSE(k, "99999999999");
		REFUSE(k, "00000000009"); /* 11 characters */
	}
}

static void embedded_nul_is_refused(void **st)
{
	/* xenstore values carry a length; the C string would read "4" */
	REFUSE(FEV_STATE, "4\0");
	REFUSE(FEV_STATE, "4\0004");
	REFUSE(FEV_PORT, "9\0garbage");
	REFUSE(FEV_RING_REF, "\0");
}

static void only_len_bytes_are_read(void **st)
{
	/* the byte after the value is not part of it */
	uint32_t n = 0;
	assert_int_equal(parse(FEV_PORT, "123", 2, &n), 0);
	assert_int_equal(n, 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(values_linux_writes_are_accepted),
	    cmocka_unit_test(state_outside_xenbus_states_is_refused),
	    cmocka_unit_test(reserved_grefs_and_impossible_ports_are_refused),
	    cmocka_unit_test(garbage_is_refused),
	    cmocka_unit_test(embedded_nul_is_refused),
	    cmocka_unit_test(only_len_bytes_are_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
