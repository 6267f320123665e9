/* lex.c -- turns IDL source text into tokens, reporting every bad character, comment and string. */
#include "idl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lexer {
    idl_arena *arena;
    idl_source *src;
    idl_diags *d;
    const char *p, *end;
    uint32_t line;
    const char *line_start;
    bool at_bol;
    idl_token *toks;
    size_t n, cap;
} lexer;

/* Reserved words: they are never names. Attribute names (in, out, string, ref...) are not here:
 * they mean something only inside [...], so `in` and `out` can name parameters. */
static const char *const keywords[] = {
    "boolean", "byte", "char", "small", "short", "long", "hyper", "int", "float", "double",
    "void", "signed", "unsigned", "wchar_t", "handle_t", "error_status_t", "__int8", "__int16",
    "__int32", "__int64", "__int3264", "struct", "union", "enum", "typedef", "const", "switch",
    "case", "default", "interface", "import", "importlib", "cpp_quote", "midl_pragma", "pipe",
    "library", "coclass", "dispinterface", "module", "TRUE", "FALSE", "NULL", "sizeof",
};

static const char *const puncts[] = {
    "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "[", "]", "(", ")", "{", "}", ";", ",", ":",
    "*", "=", "+", "-", "/", "%", "<", ">", "!", "~", "&", "|", "^", "?", ".",
};

const char *idl_token_kind_name(idl_token_kind k)
{
    switch (k) {
    case IDL_TK_IDENT:
        return "identifier";
    case IDL_TK_KEYWORD:
        return "keyword";
    case IDL_TK_PUNCT:
        return "punctuator";
    case IDL_TK_NUM:
        return "number";
    case IDL_TK_DOTTED:
        return "dotted number";
    case IDL_TK_CHAR:
        return "character constant";
    case IDL_TK_STR:
        return "string";
    case IDL_TK_UUID:
        return "uuid";
    case IDL_TK_DIRECTIVE:
        return "directive";
    case IDL_TK_EOF:
        return "end of file";
    }
    return "token";
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

static int hex_digit(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The byte k places ahead, or NUL past the end. */
static char peek(const lexer *lx, size_t k)
{
    return (size_t)(lx->end - lx->p) > k ? lx->p[k] : '\0';
}

static bool starts_with(const lexer *lx, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(lx->end - lx->p) >= n && memcmp(lx->p, s, n) == 0;
}

/* A location for `len` bytes at `at`, which lies on the current line. */
static idl_loc loc_at(const lexer *lx, const char *at, size_t len)
{
    idl_loc l;
    l.src = lx->src;
    l.offset = (uint32_t)(at - lx->src->text);
    l.len = (uint32_t)len;
    l.line = lx->line;
    l.col = (uint32_t)(at - lx->line_start) + 1;
    return l;
}

static idl_token *add_token(lexer *lx, idl_token_kind kind, const char *start, size_t len)
{
    if (lx->n == lx->cap) {
        lx->cap = lx->cap ? lx->cap * 2 : 256;
        lx->toks = realloc(lx->toks, lx->cap * sizeof *lx->toks);
        if (lx->toks == NULL) {
            fputs("rpcidl: out of memory\n", stderr);
            abort();
        }
    }
    idl_token *t = &lx->toks[lx->n++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->loc = loc_at(lx, start, len);
    t->at_bol = lx->at_bol;
    lx->at_bol = false;
    return t;
}

static void newline(lexer *lx)
{
    lx->line++;
    lx->line_start = lx->p;
    lx->at_bol = true;
}

/* block-comment = "/" "*" any* "*" "/" */
static void block_comment(lexer *lx)
{
    const char *start = lx->p;
    idl_loc at = loc_at(lx, start, 2);
    lx->p += 2;
    while (lx->p < lx->end) {
        if (starts_with(lx, "*/")) {
            lx->p += 2;
            return;
        }
        lx->p++;
        if (lx->p[-1] == '\n')
            newline(lx);
    }
    idl_error(lx->d, at, "unterminated comment");
}

static void line_comment(lexer *lx)
{
    while (lx->p < lx->end && *lx->p != '\n')
        lx->p++;
}

/* ident = [A-Za-z_] [A-Za-z0-9_]* */
static void identifier(lexer *lx)
{
    const char *start = lx->p;
    while (lx->p < lx->end && is_alnum(*lx->p))
        lx->p++;
    size_t len = (size_t)(lx->p - start);
    idl_token *t = add_token(lx, IDL_TK_IDENT, start, len);
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (strlen(keywords[i]) == len && memcmp(keywords[i], start, len) == 0)
            t->kind = IDL_TK_KEYWORD;
    if (len > IDL_MAX_IDENT)
        idl_error(lx->d, t->loc, "identifier is too long (%zu characters; the limit is %d)", len,
                  IDL_MAX_IDENT);
}

static void bad_number(lexer *lx, const char *start)
{
    while (lx->p < lx->end && (is_alnum(*lx->p) || *lx->p == '.'))
        lx->p++;
    idl_token *t = add_token(lx, IDL_TK_NUM, start, (size_t)(lx->p - start));
    idl_error(lx->d, t->loc, "invalid number '%.*s'", (int)t->loc.len, start);
}

/* Accumulates digits of `base` from [from, to); false on overflow. */
static bool digits_value(const char *from, const char *to, unsigned base, uint64_t *v)
{
    *v = 0;
    for (const char *q = from; q < to; q++) {
        uint64_t dgt = (uint64_t)hex_digit(*q);
        if (*v > (UINT64_MAX - dgt) / base)
            return false;
        *v = *v * base + dgt;
    }
    return true;
}

/* number = "0" [xX] hex+ suffix | digit+ suffix | digit+ "." digit+
 * suffix = [uUlL]*    A leading 0 means octal. The sign is the parser's unary minus. */
static void number(lexer *lx)
{
    const char *start = lx->p;
    unsigned base = 10;
    if (*lx->p == '0' && (peek(lx, 1) == 'x' || peek(lx, 1) == 'X')) {
        base = 16;
        lx->p += 2;
    }
    const char *digits = lx->p;
    while (lx->p < lx->end && (base == 16 ? hex_digit(*lx->p) >= 0 : is_digit(*lx->p)))
        lx->p++;
    const char *digits_end = lx->p;
    if (digits == digits_end) {
        bad_number(lx, start);
        return;
    }
    if (base == 10 && *lx->p == '.' && is_digit(peek(lx, 1))) {
        lx->p++;
        while (lx->p < lx->end && is_digit(*lx->p))
            lx->p++;
        if (lx->p < lx->end && (is_alnum(*lx->p) || *lx->p == '.')) {
            bad_number(lx, start);
            return;
        }
        add_token(lx, IDL_TK_DOTTED, start, (size_t)(lx->p - start));
        return;
    }
    while (lx->p < lx->end && (*lx->p == 'u' || *lx->p == 'U' || *lx->p == 'l' || *lx->p == 'L'))
        lx->p++;
    if (lx->p < lx->end && (is_alnum(*lx->p) || *lx->p == '.')) {
        bad_number(lx, start);
        return;
    }
    if (base == 10 && *start == '0' && digits_end - digits > 1)
        base = 8;
    idl_token *t = add_token(lx, IDL_TK_NUM, start, (size_t)(lx->p - start));
    for (const char *q = digits; base == 8 && q < digits_end; q++)
        if (*q > '7') {
            idl_error(lx->d, t->loc, "invalid digit '%c' in octal constant", *q);
            return;
        }
    if (!digits_value(digits, digits_end, base, &t->value))
        idl_error(lx->d, t->loc, "integer constant is too large");
}

/* Appends code point `v` to out as UTF-8 (wide strings keep characters beyond one byte). */
static size_t put_utf8(char *out, uint32_t v)
{
    if (v < 0x80) {
        out[0] = (char)v;
        return 1;
    }
    if (v < 0x800) {
        out[0] = (char)(0xC0 | v >> 6);
        out[1] = (char)(0x80 | (v & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | v >> 12);
    out[1] = (char)(0x80 | ((v >> 6) & 0x3F));
    out[2] = (char)(0x80 | (v & 0x3F));
    return 3;
}

/* escape = "\" ( [ntrabfv\\'"?] | [0-7]{1,3} | "x" hex+ ); *q is just past the backslash.
 * Returns the value, or -1 after reporting a bad escape. */
static long escape(lexer *lx, const char **q, bool wide)
{
    const char *at = *q - 1;
    char c = **q;
    (*q)++;
    switch (c) {
    case 'n':
        return '\n';
    case 't':
        return '\t';
    case 'r':
        return '\r';
    case 'a':
        return '\a';
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'v':
        return '\v';
    case '\\':
    case '\'':
    case '"':
    case '?':
        return c;
    default:
        break;
    }
    if (c >= '0' && c <= '7') {
        long v = c - '0';
        for (int i = 0; i < 2 && **q >= '0' && **q <= '7'; i++, (*q)++)
            v = v * 8 + (**q - '0');
        return v;
    }
    long limit = wide ? 0xFFFF : 0xFF;
    if (c == 'x' && hex_digit(**q) >= 0) {
        long v = 0;
        for (; hex_digit(**q) >= 0; (*q)++) {
            v = v * 16 + hex_digit(**q);
            if (v > limit) {
                idl_error(lx->d, loc_at(lx, at, (size_t)(*q - at) + 1),
                          "hex escape sequence out of range");
                while (hex_digit(**q) >= 0)
                    (*q)++;
                return -1;
            }
        }
        return v;
    }
    idl_error(lx->d, loc_at(lx, at, 2), "unknown escape sequence '\\%c'",
              c >= 0x20 && c < 0x7F ? c : '?');
    return -1;
}

/* Finds the closing `quote` on this line, skipping escapes; NULL when the line ends first. */
static const char *find_close(const lexer *lx, const char *q, char quote)
{
    while (q < lx->end && *q != '\n') {
        if (*q == quote)
            return q;
        if (*q == '\\' && q + 1 < lx->end && q[1] != '\n')
            q++;
        q++;
    }
    return NULL;
}

/* Decodes the body between the quotes into the arena; bad escapes are reported and dropped. */
static char *decode(lexer *lx, const char *from, const char *to, bool wide, size_t *out_len)
{
    char *out = idl_alloc(lx->arena, (size_t)(to - from) * 3 + 1);
    size_t n = 0;
    for (const char *q = from; q < to;) {
        if (*q != '\\') {
            out[n++] = *q++;
            continue;
        }
        q++;
        long v = escape(lx, &q, wide);
        if (v >= 0x80 && wide)
            n += put_utf8(out + n, (uint32_t)v);
        else if (v >= 0)
            out[n++] = (char)v;
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

/* string = "L"? '"' (char | escape)* '"'   on one line */
static void string_literal(lexer *lx, bool wide)
{
    const char *start = lx->p;
    const char *open = start + (wide ? 1 : 0);
    const char *close = find_close(lx, open + 1, '"');
    if (close == NULL) {
        idl_error(lx->d, loc_at(lx, start, (size_t)(open - start) + 1), "unterminated string");
        while (lx->p < lx->end && *lx->p != '\n')
            lx->p++;
        return;
    }
    lx->p = close + 1;
    idl_token *t = add_token(lx, IDL_TK_STR, start, (size_t)(lx->p - start));
    t->wide = wide;
    t->str = decode(lx, open + 1, close, wide, &t->str_len);
}

/* char = "L"? "'" (char | escape) "'" */
static void char_literal(lexer *lx, bool wide)
{
    const char *start = lx->p;
    const char *open = start + (wide ? 1 : 0);
    const char *close = find_close(lx, open + 1, '\'');
    if (close == NULL) {
        idl_error(lx->d, loc_at(lx, start, (size_t)(open - start) + 1),
                  "unterminated character constant");
        while (lx->p < lx->end && *lx->p != '\n')
            lx->p++;
        return;
    }
    lx->p = close + 1;
    idl_token *t = add_token(lx, IDL_TK_CHAR, start, (size_t)(lx->p - start));
    t->wide = wide;
    const char *q = open + 1;
    if (q == close) {
        idl_error(lx->d, t->loc, "empty character constant");
        return;
    }
    long v;
    if (*q == '\\') {
        q++;
        v = escape(lx, &q, wide);
    } else {
        v = (unsigned char)*q++;
    }
    if (q != close)
        idl_error(lx->d, t->loc, "character constant holds more than one character");
    t->value = v >= 0 ? (uint64_t)v : 0;
}

/* uuid-body = the raw text of uuid( ... ) up to ")" on the same line.
 * A uuid's digit groups (6d5a3b1c, 1e2f3a4b5c6d) are not C tokens, so right after "uuid" opens an
 * attribute ("[uuid(" or ", uuid(") its parenthesized text is one token, checked by the parser. */
static void uuid_body(lexer *lx)
{
    while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
        lx->p++;
    if (lx->p >= lx->end || *lx->p != '(')
        return;
    add_token(lx, IDL_TK_PUNCT, lx->p, 1);
    idl_loc open = loc_at(lx, lx->p, 1);
    lx->p++;
    while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
        lx->p++;
    if (lx->p < lx->end && *lx->p == '"')
        return; /* uuid("...") is an ordinary string */
    const char *start = lx->p;
    while (lx->p < lx->end && *lx->p != ')' && *lx->p != '\n')
        lx->p++;
    if (lx->p >= lx->end || *lx->p != ')') {
        idl_error(lx->d, open, "unterminated uuid( ... ): expected ')' on the same line");
        return;
    }
    const char *stop = lx->p;
    while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t'))
        stop--;
    idl_token *t = add_token(lx, IDL_TK_UUID, start, (size_t)(stop - start));
    t->str = idl_strndup(lx->arena, start, (size_t)(stop - start));
    t->str_len = (size_t)(stop - start);
}

/* True when the last token is "[" or "," and the one before that ends in "uuid". */
static bool opens_uuid(const lexer *lx)
{
    if (lx->n < 2)
        return false;
    const idl_token *name = &lx->toks[lx->n - 1], *before = &lx->toks[lx->n - 2];
    if (name->kind != IDL_TK_IDENT || name->loc.len != 4 ||
        memcmp(lx->src->text + name->loc.offset, "uuid", 4) != 0)
        return false;
    if (before->kind != IDL_TK_PUNCT || before->loc.len != 1)
        return false;
    char c = lx->src->text[before->loc.offset];
    return c == '[' || c == ',';
}

/* directive = "#" name ...   at the start of a line. For #define the rest of the line is
 * tokens (the parser reads them up to the next line); for any other directive it is skipped. */
static void directive(lexer *lx)
{
    const char *start = lx->p;
    lx->p++;
    while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
        lx->p++;
    const char *name = lx->p;
    while (lx->p < lx->end && is_alnum(*lx->p))
        lx->p++;
    idl_token *t = add_token(lx, IDL_TK_DIRECTIVE, start, (size_t)(lx->p - start));
    t->str_len = (size_t)(lx->p - name);
    t->str = idl_strndup(lx->arena, name, t->str_len);
    if (strcmp(t->str, "define") == 0)
        return;
    while (lx->p < lx->end && *lx->p != '\n')
        lx->p++;
}

static bool punct(lexer *lx)
{
    for (size_t i = 0; i < sizeof puncts / sizeof puncts[0]; i++) {
        if (starts_with(lx, puncts[i])) {
            size_t n = strlen(puncts[i]);
            add_token(lx, IDL_TK_PUNCT, lx->p, n);
            lx->p += n;
            return true;
        }
    }
    return false;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Could this byte begin a token or whitespace? Everything else is stray. */
static bool is_token_start(char c)
{
    return is_alnum(c) || is_space(c) || c == '\n' || c == '"' || c == '\'' || c == '#' ||
           (c != '\0' && c != '@' && c != '$' && c != '`' && c != '\\' &&
            strchr("[](){};,:*=+-/%<>!~&|^?.", c) != NULL);
}

/* A run of bytes that begin nothing: one error for the whole run. */
static void stray(lexer *lx)
{
    const char *start = lx->p;
    lx->p++;
    while (lx->p < lx->end && !is_token_start(*lx->p))
        lx->p++;
    size_t n = (size_t)(lx->p - start);
    idl_loc at = loc_at(lx, start, n);
    unsigned char c = (unsigned char)*start;
    if (n == 1 && c == '#')
        idl_error(lx->d, at, "'#' begins a directive only at the start of a line");
    else if (n == 1 && c > 0x20 && c < 0x7F)
        idl_error(lx->d, at, "stray '%c' in the input", c);
    else if (n == 1)
        idl_error(lx->d, at, "stray byte 0x%02x in the input", c);
    else
        idl_error(lx->d, at, "%zu stray bytes in the input, starting with 0x%02x", n, c);
}

/* tokens = (whitespace | comment | directive | token)* EOF */
void idl_lex(idl_arena *a, idl_source *src, idl_diags *d, idl_token **tokens, size_t *count)
{
    lexer lx = {.arena = a, .src = src, .d = d, .p = src->text, .end = src->text + src->len,
                .line = 1, .line_start = src->text, .at_bol = true};
    while (lx.p < lx.end && !d->stopped) {
        char c = *lx.p;
        if (c == '\n') {
            lx.p++;
            newline(&lx);
        } else if (is_space(c)) {
            lx.p++;
        } else if (starts_with(&lx, "//")) {
            line_comment(&lx);
        } else if (starts_with(&lx, "/*")) {
            block_comment(&lx);
        } else if (c == '#' && lx.at_bol) {
            directive(&lx);
        } else if (c == 'L' && (peek(&lx, 1) == '"' || peek(&lx, 1) == '\'')) {
            if (peek(&lx, 1) == '"')
                string_literal(&lx, true);
            else
                char_literal(&lx, true);
        } else if (is_alpha(c)) {
            identifier(&lx);
            if (opens_uuid(&lx))
                uuid_body(&lx);
        } else if (is_digit(c)) {
            number(&lx);
        } else if (c == '"') {
            string_literal(&lx, false);
        } else if (c == '\'') {
            char_literal(&lx, false);
        } else if (c == '#' || !punct(&lx)) {
            stray(&lx);
        }
    }
    lx.p = lx.end;
    idl_token *eof = add_token(&lx, IDL_TK_EOF, lx.end, 0);
    eof->at_bol = true;
    *tokens = lx.toks;
    *count = lx.n;
}

rs_status idl_lex_string(const char *name, const char *text, size_t len, idl_diags *d,
                         idl_lexed **out)
{
    idl_arena *arena = calloc(1, sizeof *arena);
    if (arena == NULL)
        abort();
    idl_lexed *lx = idl_alloc(arena, sizeof *lx);
    lx->arena = arena;
    lx->src = idl_alloc(arena, sizeof *lx->src);
    lx->src->path = idl_strdup(arena, name);
    lx->src->text = idl_strndup(arena, text, len);
    lx->src->len = len;
    unsigned before = d->errors;
    idl_lex(arena, lx->src, d, &lx->tokens, &lx->count);
    *out = lx;
    return d->errors == before ? RS_OK : RS_ERR_INVALID_ARG;
}

void idl_lexed_free(idl_lexed *lx)
{
    if (lx == NULL)
        return;
    idl_arena *arena = lx->arena;
    free(lx->tokens);
    idl_arena_free(arena);
    free(arena);
}
