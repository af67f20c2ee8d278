/* The channel state machine, as a table of situations and expected moves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "xenchanneld.h"

static struct fsm_input in(int be, int fe, int online, int keys)
{
	return (struct fsm_input){
	    .be_state = be, .fe_state = fe, .online = online, .ring_keys = keys};
}

static void expect(enum ch_state cur, struct fsm_input i, enum ch_state next, unsigned actions,
                   int write_be)
{
	struct fsm_step s = fsm_next(cur, &i);
	assert_int_equal(s.next, next);
	assert_int_equal(s.actions, actions);
	assert_int_equal(s.write_be, write_be);
}

static void new_device_goes_to_initwait_with_endpoint(void **st)
{
	expect(CH_NEW, in(1, 1, 1, 0), CH_INITWAIT, FA_OPEN, XB_INITWAIT);
}

static void offline_device_is_left_alone(void **st)
{
	expect(CH_NEW, in(1, 1, 0, 0), CH_NEW, FA_NONE, -1);
	expect(CH_NEW, in(1, 1, -1, 0), CH_NEW, FA_NONE, -1);
}

static void initwait_connects_only_when_frontend_initialised_with_keys(void **st)
{
	/* keys present but frontend still Initialising: may be stale */
	expect(CH_INITWAIT, in(2, 1, 1, 1), CH_INITWAIT, FA_NONE, -1);
	/* Initialised but keys not there yet (non-atomic frontend) */
	expect(CH_INITWAIT, in(2, 3, 1, 0), CH_INITWAIT, FA_NONE, -1);
	expect(CH_INITWAIT, in(2, 3, 1, 1), CH_CONNECTED, FA_CONNECT, XB_CONNECTED);
	/* a frontend that jumped to Connected is accepted too */
	expect(CH_INITWAIT, in(2, 4, 1, 1), CH_CONNECTED, FA_CONNECT, XB_CONNECTED);
}

static void restart_adopts_connected_channels(void **st)
{
	expect(CH_NEW, in(4, 4, 1, 1), CH_CONNECTED, FA_OPEN | FA_ADOPT, -1);
	expect(CH_NEW, in(4, 3, 1, 1), CH_CONNECTED, FA_OPEN | FA_ADOPT, -1);
	/* the guest closed while we were away */
	expect(CH_NEW, in(4, 5, 1, 1), CH_CLOSING, FA_NONE, XB_CLOSING);
	expect(CH_NEW, in(4, 6, 1, 0), CH_CLOSED, FA_NONE, XB_CLOSED);
	expect(CH_NEW, in(4, 0, 1, 0), CH_CLOSED, FA_NONE, XB_CLOSED);
	/* a previous instance was still waiting */
	expect(CH_NEW, in(2, 1, 1, 0), CH_INITWAIT, FA_OPEN, -1);
}

static void frontend_close_dance(void **st)
{
	expect(CH_CONNECTED, in(4, 5, 1, 1), CH_CLOSING, FA_RELEASE, XB_CLOSING);
	expect(CH_CLOSING, in(5, 6, 1, 0), CH_CLOSED, FA_NONE, XB_CLOSED);
	expect(CH_CONNECTED, in(4, 6, 1, 0), CH_CLOSED, FA_RELEASE, XB_CLOSED);
	/* frontend directory removed */
	expect(CH_CONNECTED, in(4, 0, 1, 0), CH_CLOSED, FA_RELEASE, XB_CLOSED);
}

static void toolstack_close_dance(void **st)
{
	/* toolstack writes backend Closing; frontend active: wait for it */
	expect(CH_CONNECTED, in(5, 4, 1, 1), CH_CLOSING, FA_RELEASE, -1);
	expect(CH_CLOSING, in(5, 6, 1, 0), CH_CLOSED, FA_NONE, XB_CLOSED);
	/* frontend never connected: straight to Closed */
	expect(CH_INITWAIT, in(5, 1, 1, 0), CH_CLOSED, FA_RELEASE, XB_CLOSED);
	/* and an idle device closed by the toolstack is not reopened */
	struct fsm_input i = in(6, 1, 1, 0);
	expect(CH_CLOSED, i, CH_CLOSED, FA_NONE, -1);
}

static void reconnect_after_close(void **st)
{
	struct fsm_input i = in(6, 1, 1, 0);
	i.fe_was_closed = 1;
	expect(CH_CLOSED, i, CH_INITWAIT, FA_OPEN, XB_INITWAIT);
	i.online = 0;
	expect(CH_CLOSED, i, CH_CLOSED, FA_NONE, -1);
}

static void device_removed(void **st)
{
	expect(CH_CONNECTED, in(-1, 4, -1, 1), CH_CLOSED, FA_RELEASE, -1);
	expect(CH_NEW, in(-1, 0, -1, 0), CH_CLOSED, FA_NONE, -1);
}

static void error_state_waits_for_frontend(void **st)
{
	struct fsm_step s = fsm_connect_failed();
	assert_int_equal(s.next, CH_ERROR);
	assert_int_equal(s.write_be, XB_CLOSING);
	assert_true(s.actions & FA_RELEASE);
	/* corrupt guest keeps writing Connected: stay in error */
	expect(CH_ERROR, in(5, 4, 1, 1), CH_ERROR, FA_NONE, -1);
	expect(CH_ERROR, in(5, 6, 1, 0), CH_CLOSED, FA_NONE, XB_CLOSED);
}

static void garbage_states_change_nothing(void **st)
{
	expect(CH_CONNECTED, in(4, 7, 1, 1), CH_CONNECTED, FA_NONE, -1);
	expect(CH_CONNECTED, in(4, 2, 1, 1), CH_CONNECTED, FA_NONE, -1);
	expect(CH_NEW, in(8, 1, 1, 0), CH_NEW, FA_NONE, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(new_device_goes_to_initwait_with_endpoint),
	    cmocka_unit_test(offline_device_is_left_alone),
	    cmocka_unit_test(initwait_connects_only_when_frontend_initialised_with_keys),
	    cmocka_unit_test(restart_adopts_connected_channels),
	    cmocka_unit_test(frontend_close_dance),
	    cmocka_unit_test(toolstack_close_dance),
	    cmocka_unit_test(reconnect_after_close),
	    cmocka_unit_test(device_removed),
	    cmocka_unit_test(error_state_waits_for_frontend),
	    cmocka_unit_test(garbage_states_change_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
