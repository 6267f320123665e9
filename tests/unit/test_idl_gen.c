/* test_idl_gen.c -- rpcidl's C generator: its output for small interfaces, compared with golden
 * files, and what it refuses.
 *
 * The golden files are tests/unit/golden/NAME/NAME.h, NAME_c.c and NAME_s.c, made from NAME.idl
 * (and NAME.acf) in the same directory; conform's come from tests/interop/conform.idl. They are
 * test expectations, committed on purpose: a change to the generator shows up in review as a diff
 * of the code students read. After a deliberate change, rewrite them with
 *
 *     make golden          (this program with RPCIDL_GOLDEN_UPDATE=1 in its environment)
 *
 * and read the diff before committing it. The build also compiles every golden interface's stubs
 * with -std=c11 and every warning an error (make stubs). Run from the top of the tree, as make
 * does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "gen.h"
#include "idl.h"

#define GOLDEN_DIR "tests/unit/golden"

/* ---- helpers --------------------------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t got;
    while ((got = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            s = realloc(s, cap);
            assert_non_null(s);
        }
    }
    fclose(f);
    s[n] = '\0';
    *len = n;
    return s;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Generates the stubs of `idl` (and `acf`, which may be NULL); fails the test on any error. */
static void generate(const char *idl, const char *acf, idl_gen_output *out)
{
    idl_diags d;
    idl_diags_init(&d);
    idl_file *f = NULL;
    if (idl_parse_file(idl, acf, &d, &f) != RS_OK)
        fail_msg("%s does not parse:\n%s", idl, idl_diags_text(&d));
    if (idl_gen_c(f, &d, out) != RS_OK)
        fail_msg("%s does not generate:\n%s", idl, idl_diags_text(&d));
    idl_free(f);
    idl_diags_free(&d);
}

/* Generates from text in memory; returns the status and leaves the messages in *d. */
static rs_status generate_text(const char *idl, const char *acf, idl_diags *d, idl_gen_output *out)
{
    idl_file *f = NULL;
    idl_diags_init(d);
    memset(out, 0, sizeof *out);
    rs_status st =
        idl_parse_string("t.idl", idl, strlen(idl), acf != NULL ? "t.acf" : NULL, acf, d, &f);
    if (st == RS_OK)
        st = idl_gen_c(f, d, out);
    idl_free(f);
    return st;
}

/* Reports where `got` first differs from the golden text, line by line. */
static void report_difference(const char *path, const char *want, const char *got)
{
    unsigned line = 1;
    const char *w = want, *g = got;
    while (*w && *g && *w == *g) {
        if (*w == '\n')
            line++;
        w++;
        g++;
    }
    while (w > want && w[-1] != '\n')
        w--;
    while (g > got && g[-1] != '\n')
        g--;
    fail_msg("%s differs from the generated text at line %u:\n  golden:    %.*s\n  generated: "
             "%.*s\n(if the change is deliberate: make golden, then read the diff)",
             path, line, (int)strcspn(w, "\n"), w, (int)strcspn(g, "\n"), g);
}

/* Compares (or, with RPCIDL_GOLDEN_UPDATE=1, rewrites) one interface's three golden files. */
static void check_golden(const char *name, const char *idl)
{
    const char *update = getenv("RPCIDL_GOLDEN_UPDATE");
    char acf[256], path[256];
    snprintf(acf, sizeof acf, "%.*s.acf", (int)(strlen(idl) - 4), idl);
    if (!exists(idl))
        fail_msg("%s is missing: run this test from the top of the tree", idl);
    idl_gen_output out;
    generate(idl, exists(acf) ? acf : NULL, &out);
    for (int i = 0; i < IDL_GEN_FILES; i++) {
        snprintf(path, sizeof path, GOLDEN_DIR "/%s/%s", name, out.files[i].name);
        if (update != NULL && strcmp(update, "1") == 0) {
            FILE *f = fopen(path, "wb");
            assert_non_null(f);
            assert_int_equal(fwrite(out.files[i].text, 1, out.files[i].len, f), out.files[i].len);
            assert_int_equal(fclose(f), 0);
            printf("rewrote %s\n", path);
            continue;
        }
        size_t len = 0;
        char *want = read_file(path, &len);
        if (want == NULL)
            fail_msg("%s is missing (make golden writes it)", path);
        if (len != out.files[i].len || memcmp(want, out.files[i].text, len) != 0)
            report_difference(path, want, out.files[i].text);
        free(want);
    }
    idl_gen_output_free(&out);
}

/* ---- the golden interfaces ------------------------------------------------------------------- */

static void test_golden_hello(void **state)
{
    (void)state;
    check_golden("hello", GOLDEN_DIR "/hello/hello.idl");
}

static void test_golden_conform(void **state)
{
    (void)state;
    check_golden("conform", "tests/interop/conform.idl");
}

static void test_golden_structs(void **state)
{
    (void)state;
    check_golden("structs", GOLDEN_DIR "/structs/structs.idl");
}

static void test_golden_unions(void **state)
{
    (void)state;
    check_golden("unions", GOLDEN_DIR "/unions/unions.idl");
}

static void test_golden_arrays(void **state)
{
    (void)state;
    check_golden("arrays", GOLDEN_DIR "/arrays/arrays.idl");
}

static void test_golden_pointers(void **state)
{
    (void)state;
    check_golden("pointers", GOLDEN_DIR "/pointers/pointers.idl");
}

static void test_golden_handles(void **state)
{
    (void)state;
    check_golden("handles", GOLDEN_DIR "/handles/handles.idl");
}

/* ---- properties of the output ---------------------------------------------------------------- */

static void assert_has(const char *text, const char *what)
{
    if (strstr(text, what) == NULL)
        fail_msg("\"%s\" is not in the generated text", what);
}

static void assert_lacks(const char *text, const char *what)
{
    if (strstr(text, what) != NULL)
        fail_msg("\"%s\" should not be in the generated text", what);
}

/* The tutorial's interface gives the tutorial's program its names; the header checks the
 * runtime's version; the stubs name each parameter for the trace. */
static void test_hello_shape(void **state)
{
    (void)state;
    idl_gen_output out;
    generate(GOLDEN_DIR "/hello/hello.idl", GOLDEN_DIR "/hello/hello.acf", &out);
    const char *h = out.files[IDL_GEN_HEADER].text;
    const char *c = out.files[IDL_GEN_CLIENT].text;
    const char *s = out.files[IDL_GEN_SERVER].text;
    assert_string_equal(out.files[IDL_GEN_HEADER].name, "hello.h");
    assert_string_equal(out.files[IDL_GEN_CLIENT].name, "hello_c.c");
    assert_string_equal(out.files[IDL_GEN_SERVER].name, "hello_s.c");
    assert_has(h, "#include <rpcscope/stub.h>");
    assert_has(h, "#if RS_STUB_VERSION != 1\n#error");
    assert_has(h, "extern rs_client *hello_IfHandle;");
    assert_has(h, "void HelloProc(unsigned char *pszString);");
    assert_has(h, "#define hello_v1_0_s_ifspec (&hello_server_interface)");
    assert_has(c, "rs_client *hello_IfHandle;");
    assert_has(c, "rs_ndr_put_string(&call.ndr, \"pszString\", (const char *)pszString)");
    assert_has(c, "rs_client_call_begin(&call, hello_IfHandle, &hello_client_interface, 0)");
    assert_has(s, "call->executed = true;");
    assert_has(s, "HelloProc(pszString);");
    assert_has(s, "{\"Shutdown\", hello_Shutdown_stub},");
    for (int i = 0; i < IDL_GEN_FILES; i++)
        assert_lacks(out.files[i].text, "$"); /* every internal name was resolved */
    idl_gen_output_free(&out);
}

/* Each file holds only the functions it uses: the client puts [in] data and gets [out] data, the
 * server the reverse. */
static void test_only_used_functions(void **state)
{
    (void)state;
    idl_gen_output out;
    generate("tests/interop/conform.idl", NULL, &out);
    const char *c = out.files[IDL_GEN_CLIENT].text;
    const char *s = out.files[IDL_GEN_SERVER].text;
    assert_has(c, "static rs_status conform_put_with_ptrs(");
    assert_lacks(c, "conform_get_with_ptrs");
    assert_has(s, "static rs_status conform_get_with_ptrs(");
    assert_lacks(s, "conform_put_with_ptrs");
    assert_has(c, "void conform_free_ustring(ustring *v)"); /* the caller's, always there */
    assert_has(s, "static void conform_release_ustring(ustring *v)");
    idl_gen_output_free(&out);
}

/* The same input gives the same bytes, run after run. */
static void test_deterministic(void **state)
{
    (void)state;
    idl_gen_output a, b;
    generate("tests/interop/conform.idl", NULL, &a);
    generate("tests/interop/conform.idl", NULL, &b);
    for (int i = 0; i < IDL_GEN_FILES; i++) {
        assert_int_equal(a.files[i].len, b.files[i].len);
        assert_memory_equal(a.files[i].text, b.files[i].text, a.files[i].len);
    }
    idl_gen_output_free(&a);
    idl_gen_output_free(&b);
}

/* A parameter may have a name the stub itself would use: the stub's own names give way. */
static void test_stub_names_give_way(void **state)
{
    (void)state;
    idl_diags d;
    idl_gen_output out;
    assert_int_equal(
        generate_text("[uuid(11111111-2222-3333-4444-555555555555)] interface t {"
                      "  typedef enum { A, B } value;"
                      "  long F([in] long call, [in] long st, [in, out] value *result);"
                      "}",
                      NULL, &d, &out),
        RS_OK);
    const char *c = out.files[IDL_GEN_CLIENT].text;
    const char *s = out.files[IDL_GEN_SERVER].text;
    assert_has(c, "rs_client_call call_;");
    assert_has(c,
               "rs_status st_ = rs_client_call_begin(&call_, t_IfHandle, &t_client_interface, 0)");
    assert_has(c, "int32_t result_ = 0;");
    assert_has(s, "static rs_status t_F_stub(rs_server_call *call_)");
    assert_has(s, "result_ = F(call, st, result);");
    assert_has(s, "    int value_ = 0;"); /* the enum function's local, beside the type `value` */
    assert_lacks(s, "    int value = 0;");
    idl_gen_output_free(&out);
    idl_diags_free(&d);
}

/* Context handles: the header declares each type's rundown for the server program; the client
 * binds a call through its [in] handle (an [in, out] one that may be NULL falls back to the
 * implicit handle); the server keeps each type in an rs_context_type. */
static void test_context_shape(void **state)
{
    (void)state;
    idl_gen_output out;
    generate(GOLDEN_DIR "/handles/handles.idl", NULL, &out);
    const char *h = out.files[IDL_GEN_HEADER].text;
    const char *c = out.files[IDL_GEN_CLIENT].text;
    const char *s = out.files[IDL_GEN_SERVER].text;
    assert_has(h, "typedef void *FILE_HANDLE;");
    assert_has(h, "typedef struct session *SESSION;");
    assert_has(h, "void FILE_HANDLE_rundown(FILE_HANDLE);");
    assert_has(h, "void SESSION_rundown(SESSION);");
    assert_has(h, "extern rs_client *handles_IfHandle;");
    assert_has(c, "rs_client_call_begin_context(&call, f, NULL, &handles_client_interface, 2)");
    assert_has(c, "rs_client_call_begin_context(&call, f != NULL ? *f : NULL, handles_IfHandle,");
    assert_has(c, "rs_client_put_context_handle(&call, \"f\", f, false)");
    assert_has(c, "*f = rs_client_context_apply(*f, &f_reply);");
    assert_has(s, "    \"handles.FILE_HANDLE\",\n    FILE_HANDLE_rundown,\n};");
    assert_has(s, "static void handles_rundown_SESSION(void *context)");
    assert_has(s, "    \"[context_handle] void *\",\n    NULL,\n};");
    assert_has(s, "rs_server_get_context_handle(call, \"f\", &handles_FILE_HANDLE_context, false,");
    assert_lacks(s, "rundown_FILE_HANDLE"); /* a void * handle's rundown needs no wrapper */
    idl_gen_output_free(&out);
}

/* What the generator cannot write yet is an error with its place, and nothing is written. */
static void expect_unsupported(const char *body, const char *want)
{
    char idl[2048];
    snprintf(idl, sizeof idl,
             "[uuid(11111111-2222-3333-4444-555555555555), pointer_default(unique)]\n"
             "interface t {\n%s\n}\n",
             body);
    idl_diags d;
    idl_gen_output out;
    rs_status st = generate_text(idl, NULL, &d, &out);
    if (st == RS_OK || strstr(idl_diags_text(&d), want) == NULL)
        fail_msg("wanted \"%s\" for:\n%s\ngot %s:\n%s", want, body, rs_status_name(st),
                 idl_diags_text(&d));
    assert_int_equal(st, RS_ERR_UNSUPPORTED);
    assert_non_null(strstr(idl_diags_text(&d), "t.idl:3:"));
    for (int i = 0; i < IDL_GEN_FILES; i++)
        assert_null(out.files[i].text);
    idl_diags_free(&d);
}

static void test_unsupported(void **state)
{
    (void)state;
    expect_unsupported("typedef [context_handle] void *CTX; void F([in, out, unique] CTX *h);",
                       "a pointer to a context handle must be [ref]");
    expect_unsupported("void F([in] long n, [in, unique, size_is(n)] long *v);",
                       "top-level [unique] sized pointer");
    expect_unsupported("void F([in, out, string] char *s);", "[out] [string] needs [size_is]");
    expect_unsupported("typedef struct { [ptr, string] char *s; } S;\nvoid F([in] S *s);",
                       "[ptr] pointer to a string");
    expect_unsupported("void F([out] long *n, [out, size_is(*n)] long *v);",
                       "its size must come from [in] parameters");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_hello),   cmocka_unit_test(test_golden_conform),
        cmocka_unit_test(test_golden_structs), cmocka_unit_test(test_golden_unions),
        cmocka_unit_test(test_golden_arrays),  cmocka_unit_test(test_golden_pointers),
        cmocka_unit_test(test_golden_handles), cmocka_unit_test(test_context_shape),
        cmocka_unit_test(test_hello_shape),    cmocka_unit_test(test_only_used_functions),
        cmocka_unit_test(test_deterministic),  cmocka_unit_test(test_stub_names_give_way),
        cmocka_unit_test(test_unsupported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
