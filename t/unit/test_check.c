/* Unit tests of north_check.c: UTF-8, e-mail, UUID, request id, depth. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "north_check.h"


#define S(s)  (const unsigned char *) (s), strlen(s)


static void
test_traceparent(void **state)
{
    assert_true(north_check_traceparent(S(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")));
    assert_true(north_check_traceparent(S(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")));
    /* a later version, with more after its fields */
    assert_true(north_check_traceparent(S(
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz")));
    assert_false(north_check_traceparent(S(
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01xyz")));
    /* version 00 is exactly 55 bytes; ff is forbidden */
    assert_false(north_check_traceparent(S(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-")));
    assert_false(north_check_traceparent(S(
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")));
    /* ids of zeros, upper case, cut, other separators */
    assert_false(north_check_traceparent(S(
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01")));
    assert_false(north_check_traceparent(S(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")));
    assert_false(north_check_traceparent(S(
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")));
    assert_false(north_check_traceparent(S(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0")));
    assert_false(north_check_traceparent(S(
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01")));
    assert_false(north_check_traceparent(S(
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01")));
    assert_false(north_check_traceparent(S("")));
}


static void
test_utf8_counts_code_points(void **state)
{
    assert_int_equal(north_utf8_length(S("")), 0);
    assert_int_equal(north_utf8_length(S("abc")), 3);
    assert_int_equal(north_utf8_length(S("Qu\xc3\xa9" "bec")), 6);
    assert_int_equal(north_utf8_length(S("\xe2\x82\xac")), 1);
    assert_int_equal(north_utf8_length(S("\xf0\x9f\x8d\x81")), 1);
}


static void
test_utf8_rejects_invalid(void **state)
{
    assert_int_equal(north_utf8_length(S("\xc3")), -1);          /* cut */
    assert_int_equal(north_utf8_length(S("\xc0\xaf")), -1);      /* overlong */
    assert_int_equal(north_utf8_length(S("\xed\xa0\x80")), -1);  /* surrogate */
    assert_int_equal(north_utf8_length(S("\xf4\x90\x80\x80")), -1);
    assert_int_equal(north_utf8_length(S("\xff")), -1);
    assert_int_equal(north_utf8_length(S("a\x80")), -1);
}


static void
test_email(void **state)
{
    assert_true(north_check_email(S("a@b.ca")));
    assert_true(north_check_email(S("first.last+tag@mail.example.com")));
    assert_false(north_check_email(S("a@b")));
    assert_false(north_check_email(S("@b.ca")));
    assert_false(north_check_email(S("a@@b.ca")));
    assert_false(north_check_email(S("a b@c.ca")));
    assert_false(north_check_email(S("a..b@c.ca")));
    assert_false(north_check_email(S("a@-b.ca")));
    assert_false(north_check_email(S("a@b..ca")));
    assert_false(north_check_email(S("a@b.c")));
}


static void
test_uuid(void **state)
{
    assert_true(north_check_uuid(S("123e4567-e89b-12d3-a456-426614174000")));
    assert_false(north_check_uuid(S("123e4567e89b12d3a456426614174000")));
    assert_false(north_check_uuid(S("123e4567-e89b-12d3-a456-42661417400g")));
    assert_false(north_check_uuid(S("")));
}


static void
test_request_id(void **state)
{
    assert_true(north_check_request_id(S("abc-123_X.y:z")));
    assert_false(north_check_request_id(S("")));
    assert_false(north_check_request_id(S("has space")));
    assert_false(north_check_request_id(S("a\r\nInjected: 1")));
    assert_false(north_check_request_id(S(
        "0123456789012345678901234567890123456789012345678901234567890123X")));
}


static void
test_json_depth(void **state)
{
    assert_int_equal(north_json_depth(S("{}"), 32), 1);
    assert_int_equal(north_json_depth(S("{\"a\":[1,{\"b\":[]}]}"), 32), 4);
    assert_int_equal(north_json_depth(S("\"[[[[\""), 32), 0);
    assert_int_equal(north_json_depth(S("[\"\\\"[[\"]"), 32), 1);
    /* stops counting once past the limit */
    assert_int_equal(north_json_depth(S("[[[[[[[[[["), 3), 4);
}


static void
test_time_zone(void **state)
{
    assert_true(north_check_time_zone(S("America/St_Johns")));
    assert_true(north_check_time_zone(S("America/Argentina/Salta")));
    assert_true(north_check_time_zone(S("Etc/GMT+5")));
    assert_true(north_check_time_zone(S("UTC")));
    assert_false(north_check_time_zone(S("")));
    assert_false(north_check_time_zone(S("EST")));
    assert_false(north_check_time_zone(S("America")));
    assert_false(north_check_time_zone(S("America/")));
    assert_false(north_check_time_zone(S("America//Toronto")));
    assert_false(north_check_time_zone(S("posix/America/Toronto")));
    assert_false(north_check_time_zone(S("America/../etc/passwd")));
    assert_false(north_check_time_zone(S("Mars/Olympus_Mons")));
    assert_false(north_check_time_zone(S("America/Toronto ")));
}


static void
test_purpose(void **state)
{
    assert_int_equal(north_check_purpose("terms"), 0);
    assert_int_equal(north_check_purpose("privacy_policy"), 1);
    assert_true(north_check_purpose("ai_assistant") > 1);
    assert_int_equal(north_check_purpose("Terms"), -1);
    assert_int_equal(north_check_purpose(""), -1);
}


static void
test_idempotency_key(void **state)
{
    char  key[257];

    assert_true(north_check_idempotency_key(S("8e0f7a4c-1d2b-4c1e-9f00-abcdef012345")));
    assert_false(north_check_idempotency_key(S("")));
    assert_false(north_check_idempotency_key(S("has space")));
    assert_false(north_check_idempotency_key(S("caf\xc3\xa9")));
    memset(key, 'k', sizeof(key));
    assert_true(north_check_idempotency_key((unsigned char *) key, 255));
    assert_false(north_check_idempotency_key((unsigned char *) key, 256));
}


static void
test_json_member(void **state)
{
    size_t                n;
    const unsigned char  *v;
    const char           *doc = "{\"added\":[{\"next_cursor\":\"inner\","
                                "\"name\":\"a \\\"next_cursor\\\":\\\"x\"}],"
                                " \"next_cursor\" : \"djE6NTAw\", "
                                "\"has_more\":true}";

    assert_int_equal(north_json_member(S(doc), "next_cursor", &v, &n), 0);
    assert_int_equal(n, 8);
    assert_memory_equal(v, "djE6NTAw", 8);
    assert_int_equal(north_json_member(S(doc), "has_more", &v, &n), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(v, "true", 4);
    assert_int_equal(north_json_member(S(doc), "name", &v, &n), -1);
    assert_int_equal(north_json_member(S(doc), "added", &v, &n), -1);
    assert_int_equal(north_json_member(S("[\"has_more\",1]"), "has_more",
                                       &v, &n), -1);
    assert_int_equal(north_json_member(S("{\"has_more\":false}"), "has_more",
                                       &v, &n), 0);
    assert_int_equal(n, 5);
    assert_int_equal(north_json_member(S("{\"next_cursor\":\"\"}"),
                                       "next_cursor", &v, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(north_json_member(S("{\"next_cursor\":\"abc"),
                                       "next_cursor", &v, &n), -1);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_counts_code_points),
        cmocka_unit_test(test_utf8_rejects_invalid),
        cmocka_unit_test(test_email),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_request_id),
        cmocka_unit_test(test_json_depth),
        cmocka_unit_test(test_traceparent),
        cmocka_unit_test(test_time_zone),
        cmocka_unit_test(test_purpose),
        cmocka_unit_test(test_idempotency_key),
        cmocka_unit_test(test_json_member),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
