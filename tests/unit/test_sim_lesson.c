/* test_sim_lesson.c -- lesson scripts: the example from lesson.h parses to what it says; every
 * kind of error is reported with its exact FILE:LINE message, all of them in one pass; hostile
 * bytes (NULs, huge lines, random data) never crash; the environment and the cues. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lesson.h"

/* The example of lesson.h, as a teacher would write it. */
static const char example[] =
    "# lessons/hello/lesson.txt -- a line starting with # is a comment.\n"
    "title:    Hello, remote procedure call\n"
    "summary:  The client calls HelloProc(\"hello, world\") as if it were a local function;\n"
    "          the procedure runs in another process.\n"
    "order:    1\n"
    "idl:      hello.idl\n"
    "\n"
    "server:   server {listen}\n"
    "client:   client {binding} \"hello, world\"\n"
    "clients:  1\n"
    "\n"
    "transport:    ncacn_ip_tcp\n"
    "endian:       little\n"
    "max-frag:     4280\n"
    "call-timeout: 30000\n"
    "fault:        kill-server on HelloProc\n"
    "\n"
    "when client call HelloProc:\n"
    "    The application calls HelloProc. It looks like a local call, but the function it\n"
    "    calls is the client stub, which rpcidl generated from hello.idl.\n"
    "\n"
    "    A blank line inside the text starts a new paragraph.\n"
    "\n"
    "when client marshal pszString max_count:\n"
    "    The stub writes how many characters the string has room for: 13.\n"
    "\n"
    "when any send every:\n"
    "    A PDU goes out on the connection.\n"
    "\n"
    "ask before server enter HelloProc:\n"
    "    What has the server stub done before HelloProc runs?\n"
    "    - Nothing yet: the procedure runs first\n"
    "    * It unmarshalled pszString into the server's own memory\n"
    "    - It sent the response\n";

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test-sim-lesson-%d", (int)getpid());
    mkdir(dir, 0755);
    char idl[128];
    snprintf(idl, sizeof idl, "%s/hello.idl", dir);
    FILE *f = fopen(idl, "w");
    assert_non_null(f);
    fputs("interface hello {}\n", f);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[128];
    snprintf(p, sizeof p, "%s/hello.idl", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/%s", dir, SIM_LESSON_FILE);
    unlink(p);
    rmdir(dir);
    return 0;
}

static void test_example_parses(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, SIM_LESSON_FILE);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(example, f);
    fclose(f);
    sim_lesson *l;
    sim_diag d = {0};
    rs_status st = sim_lesson_load(path, &l, &d);
    for (size_t i = 0; i < d.count; i++)
        print_message("%s\n", d.lines[i]);
    assert_int_equal(st, RS_OK);
    assert_int_equal(d.count, 0);
    assert_string_equal(l->title, "Hello, remote procedure call");
    assert_string_equal(l->summary, "The client calls HelloProc(\"hello, world\") as if it were a "
                                    "local function; the procedure runs in another process.");
    assert_int_equal(l->order, 1);
    assert_string_equal(l->idl, "hello.idl");
    assert_string_equal(l->server_argv[0], "server");
    assert_string_equal(l->server_argv[1], "{listen}");
    assert_null(l->server_argv[2]);
    assert_string_equal(l->client_argv[2], "hello, world");
    assert_int_equal(l->clients, 1);
    assert_int_equal(l->transport, SIM_TRANSPORT_TCP);
    assert_false(l->big_endian);
    assert_int_equal(l->max_frag, 4280);
    assert_int_equal(l->call_timeout_ms, 30000);
    assert_int_equal(l->fault_count, 1);
    assert_int_equal(l->faults[0].kind, SIM_FAULT_KILL_SERVER);
    assert_string_equal(l->faults[0].procedure, "HelloProc");
    assert_int_equal(l->narration_count, 3);
    assert_string_equal(l->narrations[0].text,
                        "The application calls HelloProc. It looks like a local call, but the "
                        "function it calls is the client stub, which rpcidl generated from "
                        "hello.idl.\nA blank line inside the text starts a new paragraph.");
    assert_int_equal(l->narrations[0].line, 18);
    assert_int_equal(l->narrations[1].when.kind, RS_TRACE_NDR_PUT);
    assert_int_equal(l->narrations[1].when.ndr_role, 2 /* RS_NDR_ROLE_MAX_COUNT */);
    assert_true(l->narrations[2].when.every);
    assert_int_equal(l->narrations[2].when.role, 0);
    assert_int_equal(l->question_count, 1);
    assert_int_equal(l->questions[0].answer_count, 3);
    assert_int_equal(l->questions[0].right, 1);
    assert_string_equal(l->questions[0].answers[1],
                        "It unmarshalled pszString into the server's own memory");
    /* the lesson's name is its folder's */
    assert_string_equal(l->name, strrchr(dir, '/') + 1);

    char env[SIM_LESSON_ENV_MAX][SIM_ENV_MAX];
    size_t n = sim_lesson_env(l, true, env, SIM_LESSON_ENV_MAX);
    assert_int_equal(n, 5);
    assert_string_equal(env[1], "RPCSCOPE_TRANSPORT=ncacn_ip_tcp");
    assert_string_equal(env[2], "RPCSCOPE_MAX_FRAG=4280");
    assert_string_equal(env[3], "RPCSCOPE_CALL_TIMEOUT_MS=30000");
    assert_string_equal(env[4], "RPCSCOPE_FAULT=kill-server on HelloProc");
    assert_int_equal(sim_lesson_env(l, false, env, SIM_LESSON_ENV_MAX), 4);
    char binding[128];
    sim_lesson_listen_binding(l, binding, sizeof binding);
    assert_string_equal(binding, "ncacn_ip_tcp:127.0.0.1[0]");
    sim_lesson_free(l);
}

/* Parses `text` as "t/lesson.txt" and checks that exactly the `want` lines come out. */
static void expect_errors(const char *text, size_t len, const char *const *want, size_t n)
{
    sim_lesson *l = (sim_lesson *)1;
    sim_diag d = {0};
    rs_status st = sim_lesson_parse("t/lesson.txt", text, len, &l, &d);
    bool same = d.count == n;
    for (size_t i = 0; same && i < n; i++)
        same = strcmp(d.lines[i], want[i]) == 0;
    for (size_t i = 0; !same && i < d.count; i++)
        print_message("got: %s\n", d.lines[i]);
    assert_int_equal(st, RS_ERR_INVALID_ARG);
    assert_null(l);
    assert_int_equal(d.count, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(d.lines[i], want[i]);
    sim_diag_free(&d);
}

#define HEAD "title: T\nsummary: S\nserver: server {listen}\nclient: client {binding}\n"

static void test_every_error_with_its_line(void **state)
{
    (void)state;
    static const char text[] =
        HEAD                                  /* lines 1-4 */
        "colour: blue\n"                      /* 5 unknown key */
        "title: Again\n"                      /* 6 duplicate */
        "transport: ncacn_np\n"               /* 7 bad value */
        "endian: middle\n"                    /* 8 */
        "max-frag: 12\n"                      /* 9 */
        "clients: 0\n"                        /* 10 */
        "call-timeout: soon\n"                /* 11 */
        "order: -1\n"                         /* 12 */
        "fault: explode\n"                    /* 13 */
        "fault: delay request\n"              /* 14 */
        "fault: raise nca_s_nonsense\n"       /* 15 */
        "fault: kill-server on\n"             /* 16 */
        "fault: unknown-opnum now\n"          /* 17 */
        "when client marshall pszString:\n"   /* 18 unknown step */
        "    text\n"                          /* 19 (skipped with its header) */
        "when teacher call:\n"                /* 20 unknown role */
        "    text\n"                          /* 21 */
        "when client send request data:\n"    /* 22 a field on a PDU step */
        "    text\n"                          /* 23 */
        "when client marshal x size:\n"       /* 24 unknown field */
        "    text\n"                          /* 25 */
        "when client call\n"                  /* 26 no colon */
        "when client call:\n"                 /* 27 no text */
        "ask before server enter:\n"          /* 28 no right answer */
        "    Which?\n"                        /* 29 */
        "    - a\n"                           /* 30 */
        "    - b\n"                           /* 31 */
        "ask before server exit:\n"           /* 32 two right answers */
        "    Which?\n"                        /* 33 */
        "    * a\n"                           /* 34 */
        "    * b\n"                           /* 35 */
        "ask before server dispatch:\n"       /* 36 one answer */
        "    Which?\n"                        /* 37 */
        "    * a\n"                           /* 38 */
        "ask server enter:\n"                 /* 39 no `before` */
        "  stray\n"                           /* 40 (after a bad header: skipped quietly) */
        "when server enter HelloProc:\n"      /* 41 */
        "    ok\n"                            /* 42 */
        "when server enter HelloProc:\n"      /* 43 duplicate narration */
        "    again\n"                         /* 44 */
        "client: other {listen}\n"            /* 45 duplicate key */
        "this line is not a key\n";           /* 46 */
    static const char *const want[] = {
        "t/lesson.txt:5: unknown key 'colour' (title, summary, order, idl, server, client, "
        "clients, transport, endian, max-frag, call-timeout, endpoint-mapper, fault)",
        "t/lesson.txt:6: duplicate key 'title' (first at line 1)",
        "t/lesson.txt:7: transport: 'ncacn_np' is not ncacn_ip_tcp or ncalrpc",
        "t/lesson.txt:8: endian: 'middle' is not little or big",
        "t/lesson.txt:9: max-frag: '12' is not a number 48..65535",
        "t/lesson.txt:10: clients: '0' is not a number 1..8",
        "t/lesson.txt:11: call-timeout: 'soon' is not a number of milliseconds 1..600000",
        "t/lesson.txt:12: order: '-1' is not a number 1..999",
        "t/lesson.txt:13: fault: unknown fault 'explode' (one of: delay, close-before-execute, "
        "close-after-execute, kill-server, raise, unknown-opnum, unknown-interface)",
        "t/lesson.txt:14: fault: delay needs a PDU type and milliseconds 1..60000, e.g. `fault: "
        "delay response 1500`",
        "t/lesson.txt:15: fault: raise needs a DCE fault name, e.g. `fault: raise "
        "nca_s_fault_int_div_by_zero` ('nca_s_nonsense' is not one)",
        "t/lesson.txt:16: fault: `on` needs the name of a procedure",
        "t/lesson.txt:17: fault: unexpected 'now' after 'unknown-opnum'",
        "t/lesson.txt:18: narration: unknown step 'marshall' (call, return, read, write, marshal, "
        "unmarshal, convert, build, send, receive, reassemble, dispatch, enter, exit, fault, "
        "error, timeout, connect, accept, listen, bind, bind_ack, bind_nak, close)",
        "t/lesson.txt:20: narration: unknown role 'teacher' (client, server or any)",
        "t/lesson.txt:22: narration: a field ('data') can follow only marshal, unmarshal or "
        "convert",
        "t/lesson.txt:24: narration: unknown field 'size' (data, padding, max_count, offset, "
        "actual_count, referent_id or discriminant)",
        "t/lesson.txt:26: `when ...` line must end with ':'",
        "t/lesson.txt:27: narration `when client call:` has no text (indent it below the line)",
        "t/lesson.txt:28: question `ask before server enter:` has no right answer (mark it with "
        "`* `)",
        "t/lesson.txt:32: question `ask before server exit:` has 2 right answers; mark exactly one",
        "t/lesson.txt:36: question `ask before server dispatch:` needs at least 2 answers (`- "
        "wrong`, `* right`)",
        "t/lesson.txt:39: question: expected `ask before ROLE STEP [NAME [FIELD]]:`",
        "t/lesson.txt:43: duplicate narration `when server enter HelloProc:` (first at line 41)",
        "t/lesson.txt:45: duplicate key 'client' (first at line 4)",
        "t/lesson.txt:46: expected `key: value`, `when ...:` or `ask before ...:`",
    };
    expect_errors(text, sizeof text - 1, want, sizeof want / sizeof want[0]);
}

static void test_missing_keys_and_programs(void **state)
{
    (void)state;
    static const char text[] = "title: T\n"
                               "server: ../bin/server {binding}\n"
                               "client: client {listen} {nope}\n"
                               "client-extra:\n"
                               "idl: missing.idl\n"
                               "  indented continues idl\n"
                               "summary:\n";
    static const char *const want[] = {
        "t/lesson.txt:2: server: program '../bin/server' must be a plain file name (letters, "
        "digits, _ - .), found in the lesson's build folder or the lesson folder",
        "t/lesson.txt:2: server: unknown placeholder '{binding}' (the server's arguments may use "
        "{listen}, the client's {binding})",
        "t/lesson.txt:3: client: unknown placeholder '{listen}' (the server's arguments may use "
        "{listen}, the client's {binding})",
        "t/lesson.txt:3: client: unknown placeholder '{nope}' (the server's arguments may use "
        "{listen}, the client's {binding})",
        "t/lesson.txt:4: unknown key 'client-extra' (title, summary, order, idl, server, client, "
        "clients, transport, endian, max-frag, call-timeout, endpoint-mapper, fault)",
        "t/lesson.txt:5: idl: 'missing.idl indented continues idl' must be a file name in the "
        "lesson folder",
        "t/lesson.txt:7: summary: no value",
    };
    static const char *const want_missing[] = {
        "t/lesson.txt:1: missing key 'summary:'",
    };
    expect_errors(text, sizeof text - 1, want, sizeof want / sizeof want[0]);
    /* A key given with no value still counts as given; one never written is missing. */
    static const char only[] = "title: T\nserver: s\nclient: c\n";
    (void)want_missing;
    sim_lesson *l;
    sim_diag d = {0};
    assert_int_equal(sim_lesson_parse("t/lesson.txt", only, sizeof only - 1, &l, &d),
                     RS_ERR_INVALID_ARG);
    assert_int_equal(d.count, 1);
    assert_string_equal(d.lines[0], "t/lesson.txt:3: missing key 'summary:'");
    sim_diag_free(&d);
    /* An empty file lacks everything. */
    assert_int_equal(sim_lesson_parse("t/lesson.txt", "", 0, &l, &d), RS_ERR_INVALID_ARG);
    assert_int_equal(d.count, 4);
    assert_string_equal(d.lines[0], "t/lesson.txt:1: missing key 'title:'");
    sim_diag_free(&d);
}

static void test_bytes_errors(void **state)
{
    (void)state;
    char text[1024];
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof text - n, HEAD);
    memcpy(text + n, "order: 1\0x\n", 11); /* line 5: a NUL */
    n += 11;
    memcpy(text + n, "idl: caf\xc3\xa9\xff.idl\n", 16); /* line 6: bad UTF-8 */
    n += 16;
    memcpy(text + n, "idl: \xe0\x80\x80.idl\n", 13); /* line 7: an overlong form */
    n += 13;
    n += (size_t)snprintf(text + n, sizeof text - n, "when client call:\n    ");
    memset(text + n, 'x', 250); /* line 9: 254 bytes of narration */
    n += 250;
    text[n++] = '\n';
    n += (size_t)snprintf(text + n, sizeof text - n, "title: \xc3\xa9t\xc3\xa9\r\n"); /* CRLF */
    static const char *const want[] = {
        "t/lesson.txt:5: contains a NUL byte at column 9",
        "t/lesson.txt:6: is not UTF-8 (byte 0xff at column 11)",
        "t/lesson.txt:7: is not UTF-8 (byte 0xe0 at column 6)",
        "t/lesson.txt:9: line is 254 bytes long; at most 200 (continue on an indented line)",
        "t/lesson.txt:10: duplicate key 'title' (first at line 1)",
    };
    expect_errors(text, n, want, sizeof want / sizeof want[0]);
}

static void test_long_texts(void **state)
{
    (void)state;
    char text[4096];
    size_t n = (size_t)snprintf(text, sizeof text, HEAD "when client call:\n");
    for (int i = 0; i < 7; i++) /* 7 lines of 99 characters and a space: 700 characters */
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "    %099d\n", i);
    n += (size_t)snprintf(text + n, sizeof text - n, "title2: x\n");
    static const char *const want[] = {
        "t/lesson.txt:5: narration `when client call:` is 699 characters long; at most 600 fit the "
        "window's narration area",
        "t/lesson.txt:13: unknown key 'title2' (title, summary, order, idl, server, client, "
        "clients, transport, endian, max-frag, call-timeout, endpoint-mapper, fault)",
    };
    expect_errors(text, n, want, sizeof want / sizeof want[0]);
}

/* Hostile input: every error is reported once per line and nothing crashes or leaks, whatever
 * the bytes; errors past the cap are counted in one last line. */
static void test_hostile_input(void **state)
{
    (void)state;
    srand(12345);
    size_t len = 200000;
    char *junk = malloc(len);
    assert_non_null(junk);
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < len; i++)
            junk[i] = (char)(rand() % (round % 2 ? 256 : 96) + (round % 2 ? 0 : 32));
        if (round % 3 == 0)
            for (size_t i = 0; i < len; i += 37)
                junk[i] = '\n';
        sim_lesson *l;
        sim_diag d = {0};
        rs_status st = sim_lesson_parse("junk", junk, len - round * 1000, &l, &d);
        assert_int_equal(st, RS_ERR_INVALID_ARG);
        assert_true(d.count >= 1 && d.count <= SIM_LESSON_ERRORS_MAX);
        sim_diag_free(&d);
    }
    /* one huge line */
    memset(junk, 'a', len);
    sim_lesson *l;
    sim_diag d = {0};
    assert_int_equal(sim_lesson_parse("big", junk, len, &l, &d), RS_ERR_INVALID_ARG);
    assert_string_equal(d.lines[0], "big:1: line is 200000 bytes long; at most 200 (continue on an "
                                    "indented line)");
    sim_diag_free(&d);
    /* more than a megabyte */
    char *huge = calloc(SIM_LESSON_FILE_MAX + 2, 1);
    assert_non_null(huge);
    assert_int_equal(sim_lesson_parse("huge", huge, SIM_LESSON_FILE_MAX + 1, &l, &d),
                     RS_ERR_INVALID_ARG);
    assert_int_equal(d.count, 1);
    assert_string_equal(d.lines[0], "huge: the script is 1048577 bytes; at most 1048576");
    sim_diag_free(&d);
    /* many errors: capped, the rest counted */
    size_t n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(junk + n, len - n, "bad%d: x\n", i);
    assert_int_equal(sim_lesson_parse("many", junk, n, &l, &d), RS_ERR_INVALID_ARG);
    assert_int_equal(d.count, SIM_LESSON_ERRORS_MAX);
    assert_string_equal(d.lines[SIM_LESSON_ERRORS_MAX - 1], "many: ... and 205 more errors");
    sim_diag_free(&d);
    free(huge);
    free(junk);
}

static void test_unreadable_file(void **state)
{
    (void)state;
    sim_lesson *l;
    sim_diag d = {0};
    assert_int_equal(sim_lesson_load("/nonexistent/lesson.txt", &l, &d), RS_ERR_IO);
    assert_int_equal(d.count, 1);
    assert_string_equal(d.lines[0], "/nonexistent/lesson.txt: cannot read the lesson script: No "
                                    "such file or directory");
    sim_diag_free(&d);
}

static void test_faults_and_env(void **state)
{
    (void)state;
    static const char text[] = HEAD "transport: ncalrpc\nendian: big\n"
                                    "fault: delay response 1500 on HelloProc\n"
                                    "fault: raise   nca_s_fault_int_div_by_zero\n"
                                    "fault: unknown-interface\n";
    sim_lesson *l;
    sim_diag d = {0};
    assert_int_equal(sim_lesson_parse("x/lesson.txt", text, sizeof text - 1, &l, &d), RS_OK);
    assert_int_equal(l->fault_count, 3);
    assert_int_equal(l->faults[0].kind, SIM_FAULT_DELAY);
    assert_int_equal(l->faults[0].ptype, 2);
    assert_int_equal(l->faults[0].value, 1500);
    assert_int_equal(l->faults[1].value, 0x1C000001);
    assert_string_equal(l->faults[1].text, "raise nca_s_fault_int_div_by_zero");
    char env[SIM_LESSON_ENV_MAX][SIM_ENV_MAX];
    size_t n = sim_lesson_env(l, true, env, SIM_LESSON_ENV_MAX);
    assert_int_equal(n, 4);
    assert_string_equal(env[0], "RPCSCOPE_LESSON=x");
    assert_string_equal(env[1], "RPCSCOPE_TRANSPORT=ncalrpc");
    assert_string_equal(env[2], "RPCSCOPE_ENDIAN=big");
    assert_string_equal(env[3], "RPCSCOPE_FAULT=delay response 1500 on HelloProc; raise "
                                "nca_s_fault_int_div_by_zero; unknown-interface");
    n = sim_lesson_env(l, false, env, SIM_LESSON_ENV_MAX); /* the server is not big-endian */
    assert_int_equal(n, 3);
    char binding[128], want[128];
    sim_lesson_listen_binding(l, binding, sizeof binding);
    snprintf(want, sizeof want, "ncalrpc:[rpcscope-%d-x]", (int)getpid());
    assert_string_equal(binding, want);
    sim_lesson_free(l);
}

/* endpoint-mapper: server points the client's runtime at the server's binding, filled in by the
 * launcher; the server asks nobody. */
static void test_endpoint_mapper(void **state)
{
    (void)state;
    static const char text[] = HEAD "endpoint-mapper: server\n";
    sim_lesson *l;
    sim_diag d = {0};
    assert_int_equal(sim_lesson_parse("x/lesson.txt", text, sizeof text - 1, &l, &d), RS_OK);
    assert_true(l->epm_server);
    char env[SIM_LESSON_ENV_MAX][SIM_ENV_MAX];
    assert_int_equal(sim_lesson_env(l, true, env, SIM_LESSON_ENV_MAX), 3);
    assert_string_equal(env[2], "RPCSCOPE_EPM={binding}");
    assert_int_equal(sim_lesson_env(l, false, env, SIM_LESSON_ENV_MAX), 2);
    sim_lesson_free(l);

    static const char none[] = HEAD "endpoint-mapper: none\n";
    assert_int_equal(sim_lesson_parse("x/lesson.txt", none, sizeof none - 1, &l, &d), RS_OK);
    assert_false(l->epm_server);
    assert_int_equal(sim_lesson_env(l, true, env, SIM_LESSON_ENV_MAX), 2);
    sim_lesson_free(l);

    static const char bad[] = HEAD "endpoint-mapper: epmd\nendpoint-mapper: server\n";
    static const char *const want[] = {
        "t/lesson.txt:5: endpoint-mapper: 'epmd' is not server (the server program serves the "
        "mapper too) or none",
        "t/lesson.txt:6: duplicate key 'endpoint-mapper' (first at line 5)",
    };
    expect_errors(bad, sizeof bad - 1, want, sizeof want / sizeof want[0]);
}

/* Narrations fire at the first match (or every one); a question at the first. */
static void test_cues(void **state)
{
    (void)state;
    static const char text[] = HEAD "when client marshal pszString:\n    first\n"
                                    "when any send every:\n    each\n"
                                    "when server enter HelloProc:\n    runs\n"
                                    "ask before server enter:\n    Q\n    - a\n    * b\n";
    sim_lesson *l;
    sim_diag d = {0};
    assert_int_equal(sim_lesson_parse("x/lesson.txt", text, sizeof text - 1, &l, &d), RS_OK);
    sim_timeline *tl;
    assert_int_equal(sim_timeline_create(NULL, &tl), RS_OK);
    sim_cues *c;
    assert_int_equal(sim_cues_create(l, &c), RS_OK);
    rs_trace_event evs[] = {
        {.kind = RS_TRACE_NDR_PUT, .role = RS_TRACE_ROLE_CLIENT, .pid = 1, .seq = 1,
         .name = "pszString"},
        {.kind = RS_TRACE_NDR_PUT, .role = RS_TRACE_ROLE_CLIENT, .pid = 1, .seq = 2,
         .name = "pszString"},
        {.kind = RS_TRACE_PDU_SENT, .role = RS_TRACE_ROLE_CLIENT, .pid = 1, .seq = 3},
        {.kind = RS_TRACE_PDU_SENT, .role = RS_TRACE_ROLE_SERVER, .pid = 2, .seq = 1},
        {.kind = RS_TRACE_PROCEDURE_ENTER, .role = 0, .pid = 2, .seq = 2, .procedure = "HelloProc"},
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        rs_error err = {0};
        assert_int_equal(sim_timeline_add(tl, &evs[i], 0, &err), RS_OK);
        if (i == 2)
            assert_int_equal(sim_cues_update(c, tl), RS_OK); /* updates may come in pieces */
    }
    assert_int_equal(sim_cues_update(c, tl), RS_OK);
    const sim_narration *say[4];
    assert_int_equal(sim_cues_narrations(c, 0, say, 4), 1);
    assert_string_equal(say[0]->text, "first");
    assert_int_equal(sim_cues_narrations(c, 1, say, 4), 0);
    assert_int_equal(sim_cues_narrations(c, 2, say, 4), 1);
    assert_int_equal(sim_cues_narrations(c, 3, say, 4), 1);
    assert_string_equal(say[0]->text, "each");
    assert_int_equal(sim_cues_narrations(c, 4, say, 4), 1); /* role 0: the process's (server) */
    assert_string_equal(say[0]->text, "runs");
    assert_null(sim_cues_question(c, 3));
    const sim_question *q = sim_cues_question(c, 4);
    assert_non_null(q);
    assert_string_equal(q->answers[q->right], "b");
    char trig[128];
    sim_trigger_format(&l->narrations[1].when, trig, sizeof trig);
    assert_string_equal(trig, "any send every");
    sim_cues_destroy(c);
    sim_timeline_destroy(tl);
    sim_lesson_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_parses),
        cmocka_unit_test(test_every_error_with_its_line),
        cmocka_unit_test(test_missing_keys_and_programs),
        cmocka_unit_test(test_bytes_errors),
        cmocka_unit_test(test_long_texts),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_faults_and_env),
        cmocka_unit_test(test_endpoint_mapper),
        cmocka_unit_test(test_cues),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
