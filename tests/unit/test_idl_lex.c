/* test_idl_lex.c -- rpcidl's lexer: every token kind, numbers, strings, comments, positions, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "idl.h"

typedef struct lexed {
    idl_diags d;
    idl_lexed *lx;
    rs_status st;
} lexed;

static void lex_n(lexed *l, const char *text, size_t len)
{
    idl_diags_init(&l->d);
    l->st = idl_lex_string("t.idl", text, len, &l->d, &l->lx);
}

static void lex(lexed *l, const char *text)
{
    lex_n(l, text, strlen(text));
}

static void done(lexed *l)
{
    idl_lexed_free(l->lx);
    idl_diags_free(&l->d);
}

/* The text of token i, as written. */
static const char *text_of(const lexed *l, size_t i, char *buf, size_t cap)
{
    const idl_token *t = &l->lx->tokens[i];
    snprintf(buf, cap, "%.*s", (int)t->loc.len, l->lx->src->text + t->loc.offset);
    return buf;
}

static void assert_token(const lexed *l, size_t i, idl_token_kind kind, const char *text)
{
    char buf[256];
    assert_true(i < l->lx->count);
    assert_string_equal(idl_token_kind_name(l->lx->tokens[i].kind), idl_token_kind_name(kind));
    assert_string_equal(text_of(l, i, buf, sizeof buf), text);
}

static void assert_at(const lexed *l, size_t i, unsigned line, unsigned col)
{
    assert_int_equal(l->lx->tokens[i].loc.line, line);
    assert_int_equal(l->lx->tokens[i].loc.col, col);
}

static void test_every_token_kind(void **state)
{
    (void)state;
    lexed l;
    lex(&l, "[uuid(6d5a3b1c-8f2e-4c7a-9b0d-1e2f3a4b5c6d), version(1.0)]\n"
            "#define N 0x10\n"
            "long name = 'c' \"s\";\n");
    assert_int_equal(l.st, RS_OK);
    assert_int_equal(l.d.errors, 0);
    size_t i = 0;
    assert_token(&l, i++, IDL_TK_PUNCT, "[");
    assert_token(&l, i++, IDL_TK_IDENT, "uuid");
    assert_token(&l, i++, IDL_TK_PUNCT, "(");
    assert_token(&l, i++, IDL_TK_UUID, "6d5a3b1c-8f2e-4c7a-9b0d-1e2f3a4b5c6d");
    assert_string_equal(l.lx->tokens[i - 1].str, "6d5a3b1c-8f2e-4c7a-9b0d-1e2f3a4b5c6d");
    assert_token(&l, i++, IDL_TK_PUNCT, ")");
    assert_token(&l, i++, IDL_TK_PUNCT, ",");
    assert_token(&l, i++, IDL_TK_IDENT, "version");
    assert_token(&l, i++, IDL_TK_PUNCT, "(");
    assert_token(&l, i++, IDL_TK_DOTTED, "1.0");
    assert_token(&l, i++, IDL_TK_PUNCT, ")");
    assert_token(&l, i++, IDL_TK_PUNCT, "]");
    assert_token(&l, i++, IDL_TK_DIRECTIVE, "#define");
    assert_string_equal(l.lx->tokens[i - 1].str, "define");
    assert_token(&l, i++, IDL_TK_IDENT, "N");
    assert_token(&l, i++, IDL_TK_NUM, "0x10");
    assert_int_equal(l.lx->tokens[i - 1].value, 16);
    assert_token(&l, i++, IDL_TK_KEYWORD, "long");
    assert_true(l.lx->tokens[i - 1].at_bol);
    assert_token(&l, i++, IDL_TK_IDENT, "name");
    assert_false(l.lx->tokens[i - 1].at_bol);
    assert_token(&l, i++, IDL_TK_PUNCT, "=");
    assert_token(&l, i++, IDL_TK_CHAR, "'c'");
    assert_int_equal(l.lx->tokens[i - 1].value, 'c');
    assert_token(&l, i++, IDL_TK_STR, "\"s\"");
    assert_token(&l, i++, IDL_TK_PUNCT, ";");
    assert_token(&l, i++, IDL_TK_EOF, "");
    assert_int_equal(l.lx->count, i);
    done(&l);
}

static void test_every_punctuator(void **state)
{
    (void)state;
    static const char *const puncts[] = {"<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "[", "]",
                                         "(", ")", "{", "}", ";", ",", ":", "*", "=", "+", "-",
                                         "/", "%", "<", ">", "!", "~", "&", "|", "^", "?", "."};
    char text[256] = "";
    for (size_t i = 0; i < sizeof puncts / sizeof puncts[0]; i++) {
        strcat(text, puncts[i]);
        strcat(text, " ");
    }
    lexed l;
    lex(&l, text);
    assert_int_equal(l.st, RS_OK);
    for (size_t i = 0; i < sizeof puncts / sizeof puncts[0]; i++)
        assert_token(&l, i, IDL_TK_PUNCT, puncts[i]);
    done(&l);
    /* longest match: "<<=" is "<<" then "=" */
    lex(&l, "a<<=b");
    assert_token(&l, 1, IDL_TK_PUNCT, "<<");
    assert_token(&l, 2, IDL_TK_PUNCT, "=");
    done(&l);
}

static void test_keywords_and_contextual_names(void **state)
{
    (void)state;
    lexed l;
    /* attribute words are names: `in` and `out` can name parameters */
    lex(&l, "in out string ref unique long unsigned struct typedef interface wchar_t handle_t");
    assert_token(&l, 0, IDL_TK_IDENT, "in");
    assert_token(&l, 1, IDL_TK_IDENT, "out");
    assert_token(&l, 2, IDL_TK_IDENT, "string");
    assert_token(&l, 3, IDL_TK_IDENT, "ref");
    assert_token(&l, 4, IDL_TK_IDENT, "unique");
    for (size_t i = 5; i < 12; i++)
        assert_int_equal(l.lx->tokens[i].kind, IDL_TK_KEYWORD);
    done(&l);
    /* "uuid" opens a uuid token only as an attribute: here it names an operation */
    lex(&l, "long uuid(long x);");
    assert_token(&l, 1, IDL_TK_IDENT, "uuid");
    assert_token(&l, 2, IDL_TK_PUNCT, "(");
    assert_token(&l, 3, IDL_TK_KEYWORD, "long");
    done(&l);
    /* a quoted uuid is an ordinary string */
    lex(&l, "[ uuid ( \"7a98c250-6808-11cf-b73b-00aa00b677a7\" ) ]");
    assert_token(&l, 3, IDL_TK_STR, "\"7a98c250-6808-11cf-b73b-00aa00b677a7\"");
    done(&l);
}

static void test_numbers(void **state)
{
    (void)state;
    lexed l;
    lex(&l, "0 42 0x1F 0X10 017 10UL 4294967295 18446744073709551615 -5 1.0 1.10 2.3");
    assert_int_equal(l.st, RS_OK);
    static const uint64_t values[] = {0, 42, 31, 16, 15, 10, 4294967295u, UINT64_MAX};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        assert_int_equal(l.lx->tokens[i].kind, IDL_TK_NUM);
        assert_true(l.lx->tokens[i].value == values[i]);
    }
    /* the sign is the parser's unary minus */
    assert_token(&l, 8, IDL_TK_PUNCT, "-");
    assert_token(&l, 9, IDL_TK_NUM, "5");
    /* version numbers keep their text: 1.10 is minor 10, not 1.1 */
    assert_token(&l, 10, IDL_TK_DOTTED, "1.0");
    assert_token(&l, 11, IDL_TK_DOTTED, "1.10");
    assert_token(&l, 12, IDL_TK_DOTTED, "2.3");
    done(&l);
}

static void test_bad_numbers(void **state)
{
    (void)state;
    lexed l;
    lex(&l, "12abc 0x 08 18446744073709551616 1.2.3");
    assert_int_equal(l.st, RS_ERR_INVALID_ARG);
    assert_int_equal(l.d.errors, 5);
    assert_string_equal(l.d.items[0].message, "invalid number '12abc'");
    assert_string_equal(l.d.items[1].message, "invalid number '0x'");
    assert_string_equal(l.d.items[2].message, "invalid digit '8' in octal constant");
    assert_string_equal(l.d.items[3].message, "integer constant is too large");
    assert_string_equal(l.d.items[4].message, "invalid number '1.2.3'");
    assert_int_equal(l.d.items[1].col, 7);
    done(&l);
}

static void test_strings_and_chars(void **state)
{
    (void)state;
    lexed l;
    lex(&l, "\"a\\tb\\n\\\\\\\"\\x41\\101\\0z\" L\"w\" 'a' '\\n' L'x' '\\x7f' \"\"");
    assert_int_equal(l.st, RS_OK);
    const idl_token *t = &l.lx->tokens[0];
    assert_int_equal(t->kind, IDL_TK_STR);
    assert_int_equal(t->str_len, 10);
    assert_memory_equal(t->str, "a\tb\n\\\"AA\0z", 10);
    assert_false(t->wide);
    assert_true(l.lx->tokens[1].wide);
    assert_string_equal(l.lx->tokens[1].str, "w");
    assert_int_equal(l.lx->tokens[2].value, 'a');
    assert_int_equal(l.lx->tokens[3].value, '\n');
    assert_true(l.lx->tokens[4].wide);
    assert_int_equal(l.lx->tokens[4].value, 'x');
    assert_int_equal(l.lx->tokens[5].value, 0x7f);
    assert_int_equal(l.lx->tokens[6].str_len, 0);
    done(&l);
}

static void test_bad_strings_and_chars(void **state)
{
    (void)state;
    lexed l;
    lex(&l, "\"\\q\" '' 'ab' \"\\x100\"");
    assert_int_equal(l.d.errors, 4);
    assert_string_equal(l.d.items[0].message, "unknown escape sequence '\\q'");
    assert_string_equal(l.d.items[1].message, "empty character constant");
    assert_string_equal(l.d.items[2].message, "character constant holds more than one character");
    assert_string_equal(l.d.items[3].message, "hex escape sequence out of range");
    done(&l);
}

static void test_comments(void **state)
{
    (void)state;
    lexed l;
    lex(&l, "a /* one\n two */ b // rest of line ] [\nc/**/d /* * / */ e");
    assert_int_equal(l.st, RS_OK);
    assert_int_equal(l.lx->count, 6);
    assert_token(&l, 0, IDL_TK_IDENT, "a");
    assert_token(&l, 1, IDL_TK_IDENT, "b");
    assert_at(&l, 1, 2, 9);
    assert_token(&l, 2, IDL_TK_IDENT, "c");
    assert_at(&l, 2, 3, 1);
    assert_true(l.lx->tokens[2].at_bol);
    assert_token(&l, 3, IDL_TK_IDENT, "d");
    assert_at(&l, 3, 3, 6);
    assert_token(&l, 4, IDL_TK_IDENT, "e");
    done(&l);
}

static void test_line_and_column(void **state)
{
    (void)state;
    lexed l;
    lex(&l, "interface x\r\n{\n\tlong  y;\n\n   }");
    assert_at(&l, 0, 1, 1);   /* interface */
    assert_at(&l, 1, 1, 11);  /* x */
    assert_at(&l, 2, 2, 1);   /* { after \r\n */
    assert_at(&l, 3, 3, 2);   /* long after a tab: columns count bytes */
    assert_at(&l, 4, 3, 8);   /* y */
    assert_at(&l, 5, 3, 9);   /* ; */
    assert_at(&l, 6, 5, 4);   /* } */
    assert_int_equal(l.lx->tokens[4].loc.offset, 22);
    assert_int_equal(l.lx->tokens[0].loc.len, 9);
    done(&l);
}

static void test_unterminated_comment(void **state)
{
    (void)state;
    lexed l;
    lex(&l, "long a;\n  x /* never\nclosed");
    assert_int_equal(l.st, RS_ERR_INVALID_ARG);
    assert_int_equal(l.d.errors, 1);
    assert_int_equal(l.d.items[0].line, 2);
    assert_int_equal(l.d.items[0].col, 5);
    assert_string_equal(idl_diags_text(&l.d), "t.idl:2:5: error: unterminated comment\n"
                                              "  x /* never\n"
                                              "    ^~\n");
    /* the tokens before it are kept */
    assert_token(&l, 3, IDL_TK_IDENT, "x");
    assert_int_equal(l.lx->tokens[l.lx->count - 1].kind, IDL_TK_EOF);
    done(&l);
}

static void test_unterminated_string(void **state)
{
    (void)state;
    lexed l;
    lex(&l, "cpp_quote(\"abc\n);\n'x");
    assert_int_equal(l.d.errors, 2);
    assert_string_equal(idl_diags_text(&l.d), "t.idl:1:11: error: unterminated string\n"
                                              "cpp_quote(\"abc\n"
                                              "          ^\n"
                                              "t.idl:3:1: error: unterminated character constant\n"
                                              "'x\n"
                                              "^\n");
    /* lexing goes on on the next line */
    assert_token(&l, 2, IDL_TK_PUNCT, ")");
    assert_at(&l, 2, 2, 1);
    done(&l);
}

static void test_stray_bytes_and_nul(void **state)
{
    (void)state;
    lexed l;
    static const char text[] = "a @ b\0c \x01\x02\x03 d $";
    lex_n(&l, text, sizeof text - 1);
    assert_int_equal(l.d.errors, 4);
    assert_string_equal(l.d.items[0].message, "stray '@' in the input");
    assert_string_equal(l.d.items[1].message, "stray byte 0x00 in the input");
    assert_int_equal(l.d.items[1].col, 6);
    assert_string_equal(l.d.items[2].message, "3 stray bytes in the input, starting with 0x01");
    assert_string_equal(l.d.items[3].message, "stray '$' in the input");
    assert_token(&l, 0, IDL_TK_IDENT, "a");
    assert_token(&l, 1, IDL_TK_IDENT, "b");
    assert_token(&l, 2, IDL_TK_IDENT, "c");
    assert_token(&l, 3, IDL_TK_IDENT, "d");
    /* the source line is shown with control bytes as '?' */
    assert_non_null(strstr(idl_diags_text(&l.d), "a @ b?c ??? d $\n     ^\n"));
    done(&l);
}

static void test_directives(void **state)
{
    (void)state;
    lexed l;
    lex(&l, "#include <windows.h>\n  # define MAX 4\nx # y\n#\n");
    assert_token(&l, 0, IDL_TK_DIRECTIVE, "#include");
    assert_string_equal(l.lx->tokens[0].str, "include");
    /* the rest of an #include line is skipped, not lexed */
    assert_token(&l, 1, IDL_TK_DIRECTIVE, "# define");
    assert_string_equal(l.lx->tokens[1].str, "define");
    assert_token(&l, 2, IDL_TK_IDENT, "MAX");
    assert_false(l.lx->tokens[2].at_bol);
    assert_token(&l, 3, IDL_TK_NUM, "4");
    assert_token(&l, 4, IDL_TK_IDENT, "x");
    assert_true(l.lx->tokens[4].at_bol);
    assert_token(&l, 5, IDL_TK_IDENT, "y");
    assert_token(&l, 6, IDL_TK_DIRECTIVE, "#");
    assert_int_equal(l.d.errors, 1);
    assert_string_equal(l.d.items[0].message, "'#' begins a directive only at the start of a line");
    done(&l);
}

static void test_uuid_token_errors(void **state)
{
    (void)state;
    lexed l;
    lex(&l, "[uuid(1234\n)]");
    assert_int_equal(l.d.errors, 1);
    assert_string_equal(l.d.items[0].message,
                        "unterminated uuid( ... ): expected ')' on the same line");
    assert_int_equal(l.d.items[0].col, 6);
    done(&l);
    /* the uuid token holds whatever is there; the parser checks it */
    lex(&l, "[ version(1), uuid( not-a-uuid ) ]");
    assert_int_equal(l.st, RS_OK);
    assert_token(&l, 8, IDL_TK_UUID, "not-a-uuid");
    done(&l);
}

static void test_long_identifier(void **state)
{
    (void)state;
    char text[600];
    memset(text, 'a', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    lexed l;
    lex(&l, text);
    assert_int_equal(l.d.errors, 1);
    assert_string_equal(l.d.items[0].message,
                        "identifier is too long (599 characters; the limit is 255)");
    assert_int_equal(l.lx->tokens[0].loc.len, 599);
    /* the shown line is a window around the column, not 600 bytes */
    assert_true(strlen(idl_diags_text(&l.d)) < 600);
    done(&l);
}

static void test_empty_input(void **state)
{
    (void)state;
    lexed l;
    lex(&l, "");
    assert_int_equal(l.st, RS_OK);
    assert_int_equal(l.lx->count, 1);
    assert_int_equal(l.lx->tokens[0].kind, IDL_TK_EOF);
    done(&l);
    lex(&l, "  \n\t// only a comment");
    assert_int_equal(l.lx->count, 1);
    done(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_token_kind),
        cmocka_unit_test(test_every_punctuator),
        cmocka_unit_test(test_keywords_and_contextual_names),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_strings_and_chars),
        cmocka_unit_test(test_bad_strings_and_chars),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_line_and_column),
        cmocka_unit_test(test_unterminated_comment),
        cmocka_unit_test(test_unterminated_string),
        cmocka_unit_test(test_stray_bytes_and_nul),
        cmocka_unit_test(test_directives),
        cmocka_unit_test(test_uuid_token_errors),
        cmocka_unit_test(test_long_identifier),
        cmocka_unit_test(test_empty_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
