/* parse.c -- recursive descent over IDL and ACF tokens into the model, one function per rule. */
#include "idl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct item_list {
    idl_item **tail;
} item_list;

typedef struct parser {
    idl_ctx *c;
    idl_file *file;
    idl_source *src;
    idl_token *toks;
    size_t ntoks, pos;
    size_t stop;          /* tokens at or past this index read as the end (a #define's line) */
    idl_token eol;        /* what they read as */
    unsigned depth;       /* nesting of rules that recurse */
    unsigned expr_nodes;  /* nodes of the expression being read */
    bool fatal;           /* nesting too deep: give up on this file quietly */
    idl_interface *iface; /* the interface being read, NULL at file level */
    idl_operation **ops_tail; /* where its next operation goes */
    const char *dir;      /* imports are looked for here */
} parser;

/* Windows SDK IDL files that MIDL finds on its include path and rpcidl does not ship. */
static const char *const system_imports[] = {
    "oaidl.idl", "objidl.idl", "ocidl.idl", "oleidl.idl", "unknwn.idl", "wtypes.idl",
    "wtypesbase.idl", "ms-dtyp.idl", "propidl.idl", "servprov.idl", "urlmon.idl", "docobj.idl",
};

static void file_body(parser *p, item_list *items);
static idl_type *type_spec(parser *p, idl_type **body, bool *c_const, idl_attr *type_attrs);
static idl_expr *expr(parser *p);
static bool attrs(parser *p, idl_attr **out);

/* ---- tokens -------------------------------------------------------------------------------- */

static idl_token *tok(parser *p)
{
    return p->pos < p->stop ? &p->toks[p->pos] : &p->eol;
}

static idl_token *tok_at(parser *p, size_t k)
{
    return p->pos + k < p->stop ? &p->toks[p->pos + k] : &p->eol;
}

static const char *tok_text(const idl_token *t)
{
    return t->loc.src != NULL ? t->loc.src->text + t->loc.offset : "";
}

/* Does `t` read `s`? Only names, keywords and punctuators read as text. */
static bool tok_is(const idl_token *t, const char *s)
{
    if (t->kind != IDL_TK_IDENT && t->kind != IDL_TK_KEYWORD && t->kind != IDL_TK_PUNCT)
        return false;
    return strlen(s) == t->loc.len && memcmp(tok_text(t), s, t->loc.len) == 0;
}

static bool is(parser *p, const char *s)
{
    return tok_is(tok(p), s);
}

static bool at_end(parser *p)
{
    return tok(p)->kind == IDL_TK_EOF;
}

static void next(parser *p)
{
    if (p->pos < p->stop && p->toks[p->pos].kind != IDL_TK_EOF)
        p->pos++;
}

static bool consume(parser *p, const char *s)
{
    if (!is(p, s))
        return false;
    next(p);
    return true;
}

static char *text_of(parser *p, const idl_token *t)
{
    return idl_strndup(p->c->arena, tok_text(t), t->loc.len);
}

/* Reports at the current token, unless this file already gave up. */
static void error_here(parser *p, const char *fmt, const char *what)
{
    if (p->fatal)
        return;
    idl_token *t = tok(p);
    if (t->kind == IDL_TK_EOF)
        idl_error(p->c->diags, t->loc, fmt, what, "end of file");
    else if (t == &p->eol)
        idl_error(p->c->diags, t->loc, fmt, what, "end of line");
    else if (t->loc.len > 40)
        idl_error(p->c->diags, t->loc, fmt, what, "this");
    else {
        char buf[48];
        snprintf(buf, sizeof buf, "'%.*s'", (int)t->loc.len, tok_text(t));
        idl_error(p->c->diags, t->loc, fmt, what, buf);
    }
}

static bool expect(parser *p, const char *s)
{
    if (consume(p, s))
        return true;
    char want[16];
    snprintf(want, sizeof want, "'%s'", s);
    error_here(p, "expected %s before %s", want);
    return false;
}

/* name = ident */
static const char *name(parser *p, const char *what)
{
    idl_token *t = tok(p);
    if (t->kind != IDL_TK_IDENT) {
        error_here(p, "expected %s before %s", what);
        return NULL;
    }
    next(p);
    return text_of(p, t);
}

static bool enter(parser *p)
{
    if (p->depth >= IDL_MAX_DEPTH) {
        if (!p->fatal)
            idl_error(p->c->diags, tok(p)->loc, "nesting is too deep (more than %d levels)",
                      IDL_MAX_DEPTH);
        p->fatal = true;
        return false;
    }
    p->depth++;
    return true;
}

static void leave(parser *p)
{
    p->depth--;
}

/* For loops that build nesting without recursing (long ***p, a[1][1]...): the same limit. */
static bool too_deep(parser *p, unsigned levels)
{
    if (levels <= IDL_MAX_DEPTH)
        return false;
    if (!p->fatal)
        idl_error(p->c->diags, tok(p)->loc, "nesting is too deep (more than %d levels)",
                  IDL_MAX_DEPTH);
    p->fatal = true;
    return true;
}

static bool give_up(parser *p)
{
    return p->fatal || p->c->diags->stopped;
}

/* Skips to just after the next ";" at this level, or to just before a "}" that closes it,
 * stepping over balanced (), [] and {}. Always moves unless already at "}" or the end. */
static void sync(parser *p)
{
    int level = 0;
    while (!at_end(p)) {
        if (level == 0 && is(p, "}"))
            return;
        if (is(p, "(") || is(p, "[") || is(p, "{"))
            level++;
        else if ((is(p, ")") || is(p, "]") || is(p, "}")) && level > 0)
            level--;
        else if (level == 0 && is(p, ";")) {
            next(p);
            return;
        }
        next(p);
    }
}

/* Skips a balanced parenthesized group, the "(" being current. */
static void skip_group(parser *p)
{
    int level = 0;
    do {
        if (is(p, "("))
            level++;
        else if (is(p, ")"))
            level--;
        next(p);
    } while (level > 0 && !at_end(p));
}

static idl_loc span(idl_loc from, idl_loc to)
{
    if (from.src == to.src && to.offset + to.len >= from.offset)
        from.len = to.offset + to.len - from.offset;
    return from;
}

static idl_loc prev_loc(parser *p)
{
    return p->pos > 0 ? p->toks[p->pos - 1].loc : tok(p)->loc;
}

static idl_item *add_item(parser *p, item_list *items, idl_item_kind kind, idl_loc loc)
{
    idl_item *it = idl_alloc(p->c->arena, sizeof *it);
    it->kind = kind;
    it->loc = loc;
    it->file = p->file;
    *items->tail = it;
    items->tail = &it->next;
    return it;
}

/* ---- expressions ------------------------------------------------------------------------------- */

static idl_expr *new_expr(parser *p, idl_expr_kind kind, idl_loc loc)
{
    if (++p->expr_nodes > IDL_MAX_EXPR_NODES) {
        if (p->expr_nodes == IDL_MAX_EXPR_NODES + 1)
            idl_error(p->c->diags, loc, "expression is too long (more than %d terms)",
                      IDL_MAX_EXPR_NODES);
        return NULL;
    }
    idl_expr *e = idl_alloc(p->c->arena, sizeof *e);
    e->kind = kind;
    e->loc = loc;
    return e;
}

static idl_expr *new_binary(parser *p, idl_op op, idl_expr *lhs, idl_expr *rhs)
{
    if (lhs == NULL || rhs == NULL)
        return NULL;
    idl_expr *e = new_expr(p, IDL_EX_BINARY, span(lhs->loc, rhs->loc));
    if (e == NULL)
        return NULL;
    e->op = op;
    e->lhs = lhs;
    e->rhs = rhs;
    return e;
}

/* primary = "(" expr ")" | number | char | string | ident | "TRUE" | "FALSE" | "NULL" */
static idl_expr *primary(parser *p)
{
    idl_token *t = tok(p);
    if (consume(p, "(")) {
        if (tok(p)->kind == IDL_TK_KEYWORD && !is(p, "TRUE") && !is(p, "FALSE") && !is(p, "NULL")) {
            idl_error(p->c->diags, tok(p)->loc, "rpcidl does not support casts in expressions");
            return NULL;
        }
        idl_expr *e = expr(p);
        if (e == NULL || !expect(p, ")"))
            return NULL;
        return e;
    }
    if (t->kind == IDL_TK_NUM || t->kind == IDL_TK_CHAR) {
        idl_expr *e = new_expr(p, t->kind == IDL_TK_NUM ? IDL_EX_NUM : IDL_EX_CHAR, t->loc);
        if (e == NULL)
            return NULL;
        if (t->value > (uint64_t)INT64_MAX)
            idl_error(p->c->diags, t->loc, "integer constant is too large for 64 bits");
        e->value = (int64_t)(t->value & (uint64_t)INT64_MAX);
        e->is_constant = true;
        e->text = text_of(p, t);
        e->wide = t->wide;
        next(p);
        return e;
    }
    if (t->kind == IDL_TK_STR) {
        idl_expr *e = new_expr(p, IDL_EX_STRING, t->loc);
        if (e == NULL)
            return NULL;
        e->text = text_of(p, t);
        e->str = t->str;
        e->str_len = t->str_len;
        e->wide = t->wide;
        next(p);
        return e;
    }
    if (tok_is(t, "TRUE") || tok_is(t, "FALSE") || tok_is(t, "NULL")) {
        idl_expr *e = new_expr(p, IDL_EX_NUM, t->loc);
        if (e == NULL)
            return NULL;
        e->value = tok_is(t, "TRUE") ? 1 : 0;
        e->is_constant = true;
        e->text = e->value ? "1" : "0";
        next(p);
        return e;
    }
    if (t->kind == IDL_TK_IDENT) {
        idl_expr *e = new_expr(p, IDL_EX_NAME, t->loc);
        if (e == NULL)
            return NULL;
        e->name = text_of(p, t);
        next(p);
        if (is(p, ".") || (is(p, "-") && tok_is(tok_at(p, 1), ">") &&
                           tok_at(p, 1)->loc.offset == tok(p)->loc.offset + 1)) {
            idl_error(p->c->diags, tok(p)->loc,
                      "rpcidl does not support member access in expressions");
            return NULL;
        }
        return e;
    }
    if (tok_is(t, "sizeof")) {
        idl_error(p->c->diags, t->loc, "rpcidl does not support sizeof");
        return NULL;
    }
    if (t->kind == IDL_TK_DOTTED) {
        error_here(p, "expected %s, not %s", "an integer");
        return NULL;
    }
    error_here(p, "expected %s before %s", "an expression");
    return NULL;
}

/* unary = ("-" | "+" | "!" | "~" | "*") unary | primary */
static idl_expr *unary(parser *p)
{
    static const struct {
        const char *s;
        idl_op op;
    } ops[] = {{"-", IDL_OP_NEG}, {"+", IDL_OP_PLUS}, {"!", IDL_OP_NOT}, {"~", IDL_OP_BITNOT},
               {"*", IDL_OP_DEREF}};
    if (!enter(p))
        return NULL;
    idl_expr *e = NULL;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (is(p, ops[i].s)) {
            idl_loc at = tok(p)->loc;
            next(p);
            idl_expr *operand = unary(p);
            if (operand != NULL && (e = new_expr(p, IDL_EX_UNARY, span(at, operand->loc)))) {
                e->op = ops[i].op;
                e->lhs = operand;
            }
            leave(p);
            return e;
        }
    }
    e = primary(p);
    leave(p);
    return e;
}

/* mul = unary (("*" | "/" | "%") unary)* */
static idl_expr *mul(parser *p)
{
    idl_expr *e = unary(p);
    for (;;) {
        idl_op op = is(p, "*") ? IDL_OP_MUL : is(p, "/") ? IDL_OP_DIV : is(p, "%") ? IDL_OP_MOD
                                                                                 : IDL_OP_NONE;
        if (op == IDL_OP_NONE || e == NULL)
            return e;
        next(p);
        e = new_binary(p, op, e, unary(p));
    }
}

/* add = mul (("+" | "-") mul)* */
static idl_expr *add(parser *p)
{
    idl_expr *e = mul(p);
    for (;;) {
        idl_op op = is(p, "+") ? IDL_OP_ADD : is(p, "-") ? IDL_OP_SUB : IDL_OP_NONE;
        if (op == IDL_OP_NONE || e == NULL)
            return e;
        next(p);
        e = new_binary(p, op, e, mul(p));
    }
}

/* shift = add (("<<" | ">>") add)* */
static idl_expr *shift(parser *p)
{
    idl_expr *e = add(p);
    for (;;) {
        idl_op op = is(p, "<<") ? IDL_OP_SHL : is(p, ">>") ? IDL_OP_SHR : IDL_OP_NONE;
        if (op == IDL_OP_NONE || e == NULL)
            return e;
        next(p);
        e = new_binary(p, op, e, add(p));
    }
}

/* relational = shift (("<" | ">" | "<=" | ">=") shift)* */
static idl_expr *relational(parser *p)
{
    idl_expr *e = shift(p);
    for (;;) {
        idl_op op = is(p, "<") ? IDL_OP_LT : is(p, ">") ? IDL_OP_GT : is(p, "<=") ? IDL_OP_LE
                  : is(p, ">=") ? IDL_OP_GE : IDL_OP_NONE;
        if (op == IDL_OP_NONE || e == NULL)
            return e;
        next(p);
        e = new_binary(p, op, e, shift(p));
    }
}

/* equality = relational (("==" | "!=") relational)* */
static idl_expr *equality(parser *p)
{
    idl_expr *e = relational(p);
    for (;;) {
        idl_op op = is(p, "==") ? IDL_OP_EQ : is(p, "!=") ? IDL_OP_NE : IDL_OP_NONE;
        if (op == IDL_OP_NONE || e == NULL)
            return e;
        next(p);
        e = new_binary(p, op, e, relational(p));
    }
}

/* bitand = equality ("&" equality)* */
static idl_expr *bitand_(parser *p)
{
    idl_expr *e = equality(p);
    while (e != NULL && consume(p, "&"))
        e = new_binary(p, IDL_OP_BITAND, e, equality(p));
    return e;
}

/* bitxor = bitand ("^" bitand)* */
static idl_expr *bitxor_(parser *p)
{
    idl_expr *e = bitand_(p);
    while (e != NULL && consume(p, "^"))
        e = new_binary(p, IDL_OP_BITXOR, e, bitand_(p));
    return e;
}

/* bitor = bitxor ("|" bitxor)* */
static idl_expr *bitor_(parser *p)
{
    idl_expr *e = bitxor_(p);
    while (e != NULL && consume(p, "|"))
        e = new_binary(p, IDL_OP_BITOR, e, bitxor_(p));
    return e;
}

/* logand = bitor ("&&" bitor)* */
static idl_expr *logand(parser *p)
{
    idl_expr *e = bitor_(p);
    while (e != NULL && consume(p, "&&"))
        e = new_binary(p, IDL_OP_AND, e, bitor_(p));
    return e;
}

/* logor = logand ("||" logand)* */
static idl_expr *logor(parser *p)
{
    idl_expr *e = logand(p);
    while (e != NULL && consume(p, "||"))
        e = new_binary(p, IDL_OP_OR, e, logand(p));
    return e;
}

/* expr = logor ("?" expr ":" expr)? */
static idl_expr *expr(parser *p)
{
    if (!enter(p))
        return NULL;
    idl_expr *e = logor(p);
    if (e != NULL && consume(p, "?")) {
        idl_expr *then = expr(p);
        idl_expr *otherwise = then != NULL && expect(p, ":") ? expr(p) : NULL;
        idl_expr *cond = otherwise != NULL ? new_expr(p, IDL_EX_COND, span(e->loc, otherwise->loc))
                                           : NULL;
        if (cond != NULL) {
            cond->cond = e;
            cond->lhs = then;
            cond->rhs = otherwise;
        }
        e = cond;
    }
    leave(p);
    return e;
}

/* A top-level expression: resets the node count. */
static idl_expr *full_expr(parser *p)
{
    p->expr_nodes = 0;
    return expr(p);
}

/* ---- attributes -------------------------------------------------------------------------------- */

typedef enum { ARG_NONE, ARG_EXPRS, ARG_UUID, ARG_VERSION, ARG_IDENT, ARG_STRINGS, ARG_TYPE,
               ARG_HANDLE } arg_shape;

static const struct {
    const char *name;
    idl_attr_kind kind;
    arg_shape args;
} known_attrs[] = {
    {"uuid", IDL_ATTR_UUID, ARG_UUID},
    {"version", IDL_ATTR_VERSION, ARG_VERSION},
    {"pointer_default", IDL_ATTR_POINTER_DEFAULT, ARG_IDENT},
    {"endpoint", IDL_ATTR_ENDPOINT, ARG_STRINGS},
    {"implicit_handle", IDL_ATTR_IMPLICIT_HANDLE, ARG_HANDLE},
    {"explicit_handle", IDL_ATTR_EXPLICIT_HANDLE, ARG_NONE},
    {"auto_handle", IDL_ATTR_AUTO_HANDLE, ARG_NONE},
    {"in", IDL_ATTR_IN, ARG_NONE},
    {"out", IDL_ATTR_OUT, ARG_NONE},
    {"retval", IDL_ATTR_RETVAL, ARG_NONE},
    {"ref", IDL_ATTR_REF, ARG_NONE},
    {"unique", IDL_ATTR_UNIQUE, ARG_NONE},
    {"ptr", IDL_ATTR_PTR, ARG_NONE},
    {"context_handle", IDL_ATTR_CONTEXT_HANDLE, ARG_NONE},
    {"size_is", IDL_ATTR_SIZE_IS, ARG_EXPRS},
    {"max_is", IDL_ATTR_MAX_IS, ARG_EXPRS},
    {"length_is", IDL_ATTR_LENGTH_IS, ARG_EXPRS},
    {"first_is", IDL_ATTR_FIRST_IS, ARG_EXPRS},
    {"last_is", IDL_ATTR_LAST_IS, ARG_EXPRS},
    {"string", IDL_ATTR_STRING, ARG_NONE},
    {"switch_is", IDL_ATTR_SWITCH_IS, ARG_EXPRS},
    {"switch_type", IDL_ATTR_SWITCH_TYPE, ARG_TYPE},
    {"case", IDL_ATTR_CASE, ARG_EXPRS},
    {"default", IDL_ATTR_DEFAULT, ARG_NONE},
    {"v1_enum", IDL_ATTR_V1_ENUM, ARG_NONE},
    {"range", IDL_ATTR_RANGE, ARG_EXPRS},
};

/* MIDL attributes rpcidl refuses by name, with why where a reason helps. */
static const struct {
    const char *name;
    const char *why;
} unsupported_attrs[] = {
    {"iid_is", "it marshals COM interface pointers"},
    {"transmit_as", NULL},
    {"wire_marshal", NULL},
    {"user_marshal", NULL},
    {"represent_as", NULL},
    {"call_as", NULL},
    {"callback", NULL},
    {"object", "it declares a COM interface"},
    {"local", "it declares an interface that is never remote"},
    {"async", NULL},
    {"async_uuid", NULL},
    {"ignore", NULL},
    {"ms_union", NULL},
    {"partial_ignore", NULL},
    {"min_is", NULL},
    {"byte_count", NULL},
    {"handle", "generic handles need user bind routines"},
    {"idempotent", NULL},
    {"broadcast", NULL},
    {"maybe", NULL},
    {"message", NULL},
    {"nocode", NULL},
    {"code", NULL},
    {"encode", NULL},
    {"decode", NULL},
    {"optimize", NULL},
    {"comm_status", NULL},
    {"fault_status", NULL},
    {"allocate", NULL},
    {"enable_allocate", NULL},
    {"notify", NULL},
    {"notify_flag", NULL},
    {"strict_context_handle", NULL},
    {"type_strict_context_handle", NULL},
    {"context_handle_noserialize", NULL},
    {"context_handle_serialize", NULL},
    {"force_allocate", NULL},
    {"cs_char", NULL},
    {"cs_drtag", NULL},
    {"cs_rtag", NULL},
    {"cs_stag", NULL},
    {"cs_tag_rtn", NULL},
    {"disable_consistency_check", NULL},
    {"annotation", NULL},
    {"helpstring", NULL},
    {"helpcontext", NULL},
    {"helpfile", NULL},
    {"dual", NULL},
    {"oleautomation", NULL},
    {"odl", NULL},
    {"propget", NULL},
    {"propput", NULL},
    {"propputref", NULL},
    {"id", NULL},
    {"hidden", NULL},
    {"restricted", NULL},
    {"source", NULL},
    {"defaultvalue", NULL},
    {"optional", NULL},
    {"lcid", NULL},
    {"vararg", NULL},
    {"bstring", NULL},
    {"public", NULL},
    {"usesgetlasterror", NULL},
    {"switch", NULL},
};

/* attr_args for ARG_EXPRS = "(" expr? ("," expr?)* ")"   -- an empty position is NULL */
static bool attr_exprs(parser *p, idl_attr *a)
{
    idl_expr *list[64];
    uint32_t n = 0;
    if (!expect(p, "("))
        return false;
    for (;;) {
        if (n == sizeof list / sizeof list[0]) {
            idl_error(p->c->diags, a->loc, "[%s] has too many arguments", a->name);
            return false;
        }
        idl_expr *e = NULL;
        if (!is(p, ",") && !is(p, ")") && (e = full_expr(p)) == NULL)
            return false;
        list[n++] = e;
        if (consume(p, ")"))
            break;
        if (!expect(p, ","))
            return false;
    }
    if (n == 1 && list[0] == NULL) {
        idl_error(p->c->diags, a->loc, "[%s] needs an argument", a->name);
        return false;
    }
    a->args = idl_alloc(p->c->arena, n * sizeof *a->args);
    memcpy(a->args, list, n * sizeof *a->args);
    a->nargs = n;
    return true;
}

/* uuid_arg = "(" (uuid | string) ")" */
static bool attr_uuid(parser *p, idl_attr *a)
{
    if (!expect(p, "("))
        return false;
    idl_token *t = tok(p);
    if (t->kind != IDL_TK_UUID && t->kind != IDL_TK_STR) {
        error_here(p, "expected %s before %s", "a uuid");
        return false;
    }
    a->text = t->str;
    a->loc = span(a->loc, t->loc);
    next(p);
    return expect(p, ")");
}

/* version_arg = "(" (number | dotted) ")" */
static bool attr_version(parser *p, idl_attr *a)
{
    if (!expect(p, "("))
        return false;
    idl_token *t = tok(p);
    if (t->kind != IDL_TK_NUM && t->kind != IDL_TK_DOTTED) {
        error_here(p, "expected %s before %s", "a version such as 1.0");
        return false;
    }
    a->text = text_of(p, t);
    next(p);
    return expect(p, ")");
}

/* ident_arg = "(" ident ")" */
static bool attr_ident(parser *p, idl_attr *a)
{
    if (!expect(p, "("))
        return false;
    a->text = name(p, "ref, unique or ptr");
    return a->text != NULL && expect(p, ")");
}

/* strings_arg = "(" string ("," string)* ")" */
static bool attr_strings(parser *p, idl_attr *a)
{
    idl_expr *list[64];
    uint32_t n = 0;
    if (!expect(p, "("))
        return false;
    do {
        idl_token *t = tok(p);
        if (t->kind != IDL_TK_STR) {
            error_here(p, "expected %s before %s", "a string");
            return false;
        }
        if (n == sizeof list / sizeof list[0]) {
            idl_error(p->c->diags, a->loc, "[%s] has too many strings", a->name);
            return false;
        }
        list[n++] = primary(p);
        if (list[n - 1] == NULL)
            return false;
    } while (consume(p, ","));
    a->args = idl_alloc(p->c->arena, n * sizeof *a->args);
    memcpy(a->args, list, n * sizeof *a->args);
    a->nargs = n;
    return expect(p, ")");
}

/* type_arg = "(" type_spec ")"    handle_arg = "(" type_spec ident ")" */
static bool attr_type(parser *p, idl_attr *a, bool with_name)
{
    if (!expect(p, "("))
        return false;
    idl_type *body = NULL;
    bool c_const = false;
    a->type_arg = type_spec(p, &body, &c_const, NULL);
    if (a->type_arg == NULL)
        return false;
    if (with_name && (a->text = name(p, "a handle name")) == NULL)
        return false;
    return expect(p, ")");
}

/* attr = name ("(" args ")")?   the arguments' shape depends on the name */
static idl_attr *attr(parser *p)
{
    idl_token *t = tok(p);
    if (t->kind != IDL_TK_IDENT && t->kind != IDL_TK_KEYWORD) {
        error_here(p, "expected %s before %s", "an attribute");
        return NULL;
    }
    idl_attr *a = idl_alloc(p->c->arena, sizeof *a);
    a->name = text_of(p, t);
    a->loc = t->loc;
    next(p);
    for (size_t i = 0; i < sizeof unsupported_attrs / sizeof unsupported_attrs[0]; i++) {
        if (strcmp(a->name, unsupported_attrs[i].name) == 0) {
            if (is(p, "("))
                skip_group(p);
            a->loc = span(a->loc, prev_loc(p));
            if (unsupported_attrs[i].why != NULL)
                idl_error(p->c->diags, a->loc, "rpcidl does not support [%s]: %s", a->name,
                          unsupported_attrs[i].why);
            else
                idl_error(p->c->diags, a->loc, "rpcidl does not support [%s]", a->name);
            a->kind = IDL_ATTR_UNSUPPORTED;
            return a;
        }
    }
    arg_shape shape = ARG_NONE;
    for (size_t i = 0; i < sizeof known_attrs / sizeof known_attrs[0]; i++)
        if (strcmp(a->name, known_attrs[i].name) == 0) {
            a->kind = known_attrs[i].kind;
            shape = known_attrs[i].args;
        }
    if (a->kind == IDL_ATTR_UNKNOWN) {
        if (is(p, "("))
            skip_group(p);
        idl_error(p->c->diags, span(a->loc, prev_loc(p)), "unknown attribute [%s]", a->name);
        return a;
    }
    bool ok = true;
    switch (shape) {
    case ARG_NONE:
        if (is(p, "(")) {
            idl_loc at = tok(p)->loc;
            skip_group(p);
            idl_error(p->c->diags, span(at, prev_loc(p)), "[%s] takes no arguments", a->name);
            ok = false;
        }
        break;
    case ARG_EXPRS:
        ok = attr_exprs(p, a);
        break;
    case ARG_UUID:
        ok = attr_uuid(p, a);
        break;
    case ARG_VERSION:
        ok = attr_version(p, a);
        break;
    case ARG_IDENT:
        ok = attr_ident(p, a);
        break;
    case ARG_STRINGS:
        ok = attr_strings(p, a);
        break;
    case ARG_TYPE:
    case ARG_HANDLE:
        ok = attr_type(p, a, shape == ARG_HANDLE);
        break;
    }
    a->loc = span(a->loc, prev_loc(p));
    return ok ? a : NULL;
}

/* attrs = "[" attr ("," attr)* "]"
 * Unknown and unsupported attributes are reported and left out of the list. Returns NULL for
 * no attributes; *ok says whether the list was well formed. */
static idl_attr *attr_list(parser *p, bool *ok)
{
    idl_attr *head = NULL, **tail = &head;
    *ok = true;
    if (!consume(p, "["))
        return NULL;
    do {
        idl_attr *a = attr(p);
        if (a == NULL) {
            *ok = false;
            return head;
        }
        if (a->kind != IDL_ATTR_UNKNOWN && a->kind != IDL_ATTR_UNSUPPORTED) {
            *tail = a;
            tail = &a->next;
        }
    } while (consume(p, ","));
    *ok = expect(p, "]");
    return head;
}

/* The attribute list; false after a syntax error in it, and then the whole declaration it
 * belongs to is skipped (one error, not a cascade). */
static bool attrs(parser *p, idl_attr **out)
{
    bool ok;
    *out = attr_list(p, &ok);
    return ok;
}

/* ---- types --------------------------------------------------------------------------------------- */

static idl_type *error_type(parser *p, const char *nm, idl_loc loc)
{
    idl_type *t = idl_new_type(p->c, IDL_TYPEDEF, loc);
    t->name = nm;
    t->c_name = nm;
    t->is_error = true;
    t->complete = true;
    t->target = idl_builtin(p->c, IDL_B_LONG);
    t->size = t->align = t->wire_size = t->wire_align = 4;
    t->fixed_size = true;
    return t;
}

/* base_type = ("signed" | "unsigned")? ("small" | "short" | "long" | "hyper" | "char" | "int"
 *                                       | "__int8" | "__int16" | "__int32" | "__int64") "int"?
 *           | "signed" | "unsigned"
 *           | "boolean" | "byte" | "float" | "double" | "void" | "wchar_t" | "handle_t"
 *           | "error_status_t" */
static idl_type *base_type(parser *p)
{
    static const struct {
        const char *name;
        int which;
    } alone[] = {{"boolean", IDL_B_BOOLEAN}, {"byte", IDL_B_BYTE}, {"float", IDL_B_FLOAT},
                 {"double", IDL_B_DOUBLE}, {"void", IDL_B_VOID}, {"wchar_t", IDL_B_WCHAR},
                 {"handle_t", IDL_B_HANDLE}, {"error_status_t", IDL_B_ERROR_STATUS}};
    /* signed and unsigned forms of each integer word */
    static const struct {
        const char *name;
        int plain, sign, unsign;
    } ints[] = {{"small", IDL_B_SMALL, IDL_B_SMALL, IDL_B_USMALL},
                {"short", IDL_B_SHORT, IDL_B_SHORT, IDL_B_USHORT},
                {"long", IDL_B_LONG, IDL_B_LONG, IDL_B_ULONG},
                {"hyper", IDL_B_HYPER, IDL_B_HYPER, IDL_B_UHYPER},
                {"char", IDL_B_CHAR, IDL_B_SCHAR, IDL_B_UCHAR},
                {"int", IDL_B_INT, IDL_B_INT, IDL_B_UINT},
                {"__int8", IDL_B_SMALL, IDL_B_SMALL, IDL_B_USMALL},
                {"__int16", IDL_B_SHORT, IDL_B_SHORT, IDL_B_USHORT},
                {"__int32", IDL_B_LONG, IDL_B_LONG, IDL_B_ULONG},
                {"__int64", IDL_B_HYPER, IDL_B_HYPER, IDL_B_UHYPER}};
    idl_loc start = tok(p)->loc;
    for (size_t i = 0; i < sizeof alone / sizeof alone[0]; i++)
        if (consume(p, alone[i].name))
            return idl_builtin(p->c, alone[i].which);
    if (is(p, "__int3264")) {
        idl_error(p->c->diags, start, "rpcidl does not support __int3264: its size differs "
                                      "between 32- and 64-bit Windows");
        next(p);
        return error_type(p, "__int3264", start);
    }
    int sign = 0; /* 1 signed, 2 unsigned */
    if (consume(p, "signed"))
        sign = 1;
    else if (consume(p, "unsigned"))
        sign = 2;
    int word = -1;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0] && word < 0; i++)
        if (consume(p, ints[i].name))
            word = (int)i;
    if (word < 0 && sign == 0)
        return NULL;
    /* "short int", "long int", "unsigned long int" */
    if (word >= 0 && (strcmp(ints[word].name, "short") == 0 || strcmp(ints[word].name, "long") == 0))
        consume(p, "int");
    if (tok(p)->kind == IDL_TK_KEYWORD && (is(p, "long") || is(p, "short") || is(p, "signed") ||
        is(p, "unsigned") || is(p, "char") || is(p, "hyper") || is(p, "small") || is(p, "int") ||
        is(p, "double") || is(p, "float") || is(p, "byte") || is(p, "boolean"))) {
        bool long_long = word >= 0 && strcmp(ints[word].name, "long") == 0 && is(p, "long");
        idl_loc at = span(start, tok(p)->loc);
        idl_error(p->c->diags, at, "'%.*s' is not an IDL type%s", (int)at.len,
                  p->src->text + start.offset, long_long ? " (a 64-bit integer is hyper)" : "");
        next(p);
        return error_type(p, "?", at);
    }
    if (word < 0)
        return idl_builtin(p->c, sign == 2 ? IDL_B_UINT : IDL_B_INT);
    return idl_builtin(p->c, sign == 0 ? ints[word].plain : sign == 1 ? ints[word].sign
                                                                      : ints[word].unsign);
}

static idl_decl *new_decl(parser *p, const char *nm, idl_loc loc, idl_type *type, idl_attr *al)
{
    idl_decl *d = idl_alloc(p->c->arena, sizeof *d);
    d->name = nm;
    d->loc = loc;
    d->type = type;
    d->attrs = al;
    return d;
}

/* declarator = ("*" "const"?)* ident? ("[" (expr | "*")? "]")*
 * Builds the declarator's own pointer and array nodes over `base`, outermost first:
 * long *a[10] is an array of 10 pointers. *nm is NULL when there is no name. */
static idl_type *declarator(parser *p, idl_type *base, const char **nm, idl_loc *loc)
{
    idl_type *t = base;
    unsigned levels = 0;
    while (is(p, "*")) {
        if (too_deep(p, ++levels))
            return NULL;
        idl_type *ptr = idl_new_type(p->c, IDL_POINTER, tok(p)->loc);
        ptr->target = t;
        t = ptr;
        next(p);
        consume(p, "const");
    }
    *loc = tok(p)->loc;
    *nm = NULL;
    if (is(p, "(")) {
        idl_error(p->c->diags, tok(p)->loc, "rpcidl does not support parenthesized declarators");
        return NULL;
    }
    if (tok(p)->kind == IDL_TK_IDENT) {
        *nm = text_of(p, tok(p));
        next(p);
    }
    /* a[2][3]: the first bracket is the outermost array */
    idl_type *dims[IDL_MAX_DEPTH];
    unsigned ndims = 0;
    while (is(p, "[")) {
        if (too_deep(p, ndims + levels + 1))
            return NULL;
        idl_type *arr = idl_new_type(p->c, IDL_ARRAY, tok(p)->loc);
        next(p);
        if (!consume(p, "*") && !is(p, "]") && (arr->bound = full_expr(p)) == NULL)
            return NULL;
        if (!expect(p, "]"))
            return NULL;
        arr->loc = span(arr->loc, prev_loc(p));
        dims[ndims++] = arr;
    }
    while (ndims > 0) {
        idl_type *arr = dims[--ndims];
        arr->target = t;
        t = arr;
    }
    return t;
}

/* Finds or makes the tag `nm` of `kind`; reports a tag used for another kind. */
static idl_type *tag(parser *p, idl_type_kind kind, const char *nm, idl_loc loc)
{
    idl_symbol *s = idl_sym_find(p->c, IDL_SYM_TAG, nm);
    if (s != NULL) {
        if (s->type->kind != kind) {
            idl_error(p->c->diags, loc, "'%s' is a %s tag, not a %s tag", nm,
                      idl_type_kind_name(s->type->kind), idl_type_kind_name(kind));
            idl_note(p->c->diags, s->loc, "'%s' is declared here", nm);
            return error_type(p, nm, loc);
        }
        return s->type;
    }
    idl_type *t = idl_new_type(p->c, kind, loc);
    t->name = nm;
    t->imported = p->file->imported;
    const char *word = kind == IDL_STRUCT ? "struct " : kind == IDL_UNION ? "union " : "enum ";
    size_t n = strlen(word) + strlen(nm) + 1;
    char *c_name = idl_alloc(p->c->arena, n);
    snprintf(c_name, n, "%s%s", word, nm);
    t->c_name = c_name;
    s = idl_sym_define(p->c, IDL_SYM_TAG, nm, loc);
    if (s != NULL)
        s->type = t;
    return t;
}

/* A body for a tagged type: a second body for the same tag is a redefinition. */
static bool claim_body(parser *p, idl_type *t, idl_loc loc)
{
    if (t->is_error)
        return true;
    if (t->complete) {
        idl_error(p->c->diags, loc, "redefinition of '%s'", t->c_name);
        idl_note(p->c->diags, t->loc, "previous definition is here");
        return false;
    }
    t->loc = loc;
    return true;
}

/* member = attrs? type_spec declarator ("," declarator)* ";" */
static bool member(parser *p, idl_decl ***tail, uint32_t *count)
{
    idl_attr *al;
    if (!attrs(p, &al))
        return false;
    idl_type *body = NULL;
    bool c_const = false;
    idl_type *base = type_spec(p, &body, &c_const, NULL);
    if (base == NULL) {
        if (!give_up(p) && is(p, ";"))
            error_here(p, "expected %s before %s", "a member type");
        return false;
    }
    do {
        const char *nm;
        idl_loc loc;
        idl_type *t = declarator(p, base, &nm, &loc);
        if (t == NULL)
            return false;
        if (nm == NULL) {
            error_here(p, "expected %s before %s", "a member name");
            return false;
        }
        idl_decl *d = new_decl(p, nm, loc, t, al);
        d->body = body;
        d->c_const = c_const;
        body = NULL;
        d->index = (*count)++;
        **tail = d;
        *tail = &d->next;
    } while (consume(p, ","));
    return expect(p, ";");
}

/* struct_body = "{" member* "}" */
static bool struct_body(parser *p, idl_type *s)
{
    idl_decl **tail = &s->members;
    next(p); /* "{" */
    while (!is(p, "}") && !at_end(p) && !give_up(p)) {
        if (consume(p, ";")) {
            idl_warning(p->c->diags, prev_loc(p), "empty declaration in a struct");
            continue;
        }
        if (!member(p, &tail, &s->nmembers))
            sync(p);
    }
    return expect(p, "}");
}

/* struct_spec = "struct" ident? ("{" member* "}")? */
static idl_type *struct_spec(parser *p, idl_type **body)
{
    idl_loc at = tok(p)->loc;
    next(p);
    idl_type *s;
    if (tok(p)->kind == IDL_TK_IDENT) {
        const char *nm = text_of(p, tok(p));
        idl_loc nloc = tok(p)->loc;
        next(p);
        s = tag(p, IDL_STRUCT, nm, nloc);
        if (!is(p, "{"))
            return s;
        if (!claim_body(p, s, nloc))
            s = idl_new_type(p->c, IDL_STRUCT, nloc); /* read the body, then forget it */
    } else if (is(p, "{")) {
        s = idl_new_type(p->c, IDL_STRUCT, at);
        s->imported = p->file->imported;
    } else {
        error_here(p, "expected %s before %s", "a struct tag or '{'");
        return NULL;
    }
    if (s->is_error)
        s = idl_new_type(p->c, IDL_STRUCT, at);
    if (!enter(p))
        return NULL;
    bool ok = struct_body(p, s);
    leave(p);
    if (!ok)
        return NULL;
    idl_check_struct(p->c, s, p->iface);
    *body = s;
    return s;
}

/* case_label = "case" expr ":" | "default" ":" */
static bool case_label(parser *p, idl_decl *arm, idl_expr ***cases)
{
    if (consume(p, "default")) {
        arm->is_default = true;
        return expect(p, ":");
    }
    next(p); /* "case" */
    idl_expr *e = full_expr(p);
    if (e == NULL)
        return false;
    **cases = e;
    *cases = &e->next;
    arm->ncases++;
    return expect(p, ":");
}

/* encap_arm = case_label+ (attrs? type_spec declarator)? ";" */
static idl_decl *encap_arm(parser *p)
{
    idl_decl *arm = new_decl(p, NULL, tok(p)->loc, NULL, NULL);
    idl_expr **cases = &arm->cases;
    while (is(p, "case") || is(p, "default"))
        if (!case_label(p, arm, &cases))
            return NULL;
    if (consume(p, ";"))
        return arm;
    if (!attrs(p, &arm->attrs))
        return NULL;
    idl_type *body = NULL;
    bool c_const = false;
    idl_type *base = type_spec(p, &body, &c_const, NULL);
    if (base == NULL) {
        if (!give_up(p))
            error_here(p, "expected %s before %s", "an arm type or ';'");
        return NULL;
    }
    const char *nm;
    idl_loc loc;
    arm->type = declarator(p, base, &nm, &loc);
    if (arm->type == NULL)
        return NULL;
    arm->name = nm;
    arm->loc = loc;
    arm->body = body;
    arm->c_const = c_const;
    if (nm == NULL) {
        error_here(p, "expected %s before %s", "an arm name");
        return NULL;
    }
    return expect(p, ";") ? arm : NULL;
}

/* arm = attrs (type_spec declarator)? ";"     [case(1)] long l;   [default] ; */
static idl_decl *arm(parser *p)
{
    idl_loc at = tok(p)->loc;
    idl_attr *al;
    if (!attrs(p, &al))
        return NULL;
    idl_decl *a = new_decl(p, NULL, at, NULL, al);
    if (consume(p, ";"))
        return a;
    idl_type *body = NULL;
    bool c_const = false;
    idl_type *base = type_spec(p, &body, &c_const, NULL);
    if (base == NULL) {
        if (!give_up(p))
            error_here(p, "expected %s before %s", "an arm type or ';'");
        return NULL;
    }
    const char *nm;
    idl_loc loc;
    a->type = declarator(p, base, &nm, &loc);
    if (a->type == NULL)
        return NULL;
    if (nm == NULL) {
        error_here(p, "expected %s before %s", "an arm name");
        return NULL;
    }
    a->name = nm;
    a->loc = loc;
    a->body = body;
    a->c_const = c_const;
    return expect(p, ";") ? a : NULL;
}

/* union_body = "{" (encap_arm* | arm*) "}" */
static bool union_body(parser *p, idl_type *u)
{
    idl_decl **tail = &u->members;
    next(p); /* "{" */
    while (!is(p, "}") && !at_end(p) && !give_up(p)) {
        idl_decl *a;
        if (u->encapsulated && !is(p, "case") && !is(p, "default")) {
            error_here(p, "expected %s before %s", "'case' or 'default' in a union with switch");
            sync(p);
            continue;
        }
        a = u->encapsulated ? encap_arm(p) : arm(p);
        if (a == NULL) {
            sync(p);
            continue;
        }
        a->index = u->nmembers++;
        *tail = a;
        tail = &a->next;
    }
    return expect(p, "}");
}

/* switch_head = "switch" "(" type_spec ident ")" ident? */
static bool switch_head(parser *p, idl_type *u)
{
    next(p); /* "switch" */
    if (!expect(p, "("))
        return false;
    idl_type *body = NULL;
    bool c_const = false;
    idl_type *t = type_spec(p, &body, &c_const, NULL);
    if (t == NULL) {
        if (!give_up(p))
            error_here(p, "expected %s before %s", "a discriminant type");
        return false;
    }
    const char *nm = name(p, "a discriminant name");
    if (nm == NULL)
        return false;
    u->discriminant = new_decl(p, nm, prev_loc(p), t, NULL);
    u->discriminant->body = body;
    if (!expect(p, ")"))
        return false;
    u->arm_name = "tagged_union";
    if (tok(p)->kind == IDL_TK_IDENT) {
        u->arm_name = text_of(p, tok(p));
        next(p);
    }
    u->encapsulated = true;
    return true;
}

/* union_spec = "union" ident? switch_head? ("{" union_body "}")? */
static idl_type *union_spec(parser *p, idl_type **body, idl_attr *switch_type)
{
    idl_loc at = tok(p)->loc;
    next(p);
    idl_type *u = NULL;
    if (tok(p)->kind == IDL_TK_IDENT) {
        const char *nm = text_of(p, tok(p));
        idl_loc nloc = tok(p)->loc;
        next(p);
        u = tag(p, IDL_UNION, nm, nloc);
        if (!is(p, "{") && !is(p, "switch"))
            return u;
        if (u->is_error || !claim_body(p, u, nloc))
            u = idl_new_type(p->c, IDL_UNION, nloc);
    } else if (is(p, "{") || is(p, "switch")) {
        u = idl_new_type(p->c, IDL_UNION, at);
        u->imported = p->file->imported;
    } else {
        error_here(p, "expected %s before %s", "a union tag, 'switch' or '{'");
        return NULL;
    }
    if (switch_type != NULL)
        u->switch_type = switch_type->type_arg;
    if (!enter(p))
        return NULL;
    bool ok = !is(p, "switch") || switch_head(p, u);
    if (ok && !is(p, "{")) {
        expect(p, "{");
        ok = false;
    }
    ok = ok && union_body(p, u);
    leave(p);
    if (!ok)
        return NULL;
    if (u->encapsulated && u->name != NULL) {
        /* MIDL writes an encapsulated union as a C struct */
        size_t n = strlen(u->name) + 8;
        char *c_name = idl_alloc(p->c->arena, n);
        snprintf(c_name, n, "struct %s", u->name);
        u->c_name = c_name;
    }
    idl_check_union(p->c, u, p->iface);
    *body = u;
    return u;
}

/* enumerator = ident ("=" expr)? */
static idl_const *enumerator(parser *p, idl_type *e)
{
    const char *nm = name(p, "an enumerator name");
    if (nm == NULL)
        return NULL;
    idl_const *k = idl_alloc(p->c->arena, sizeof *k);
    k->kind = IDL_CONST_ENUMERATOR;
    k->name = nm;
    k->loc = prev_loc(p);
    k->type = e;
    if (consume(p, "=") && (k->expr = full_expr(p)) == NULL)
        return NULL;
    idl_symbol *s = idl_sym_define(p->c, IDL_SYM_CONST, nm, k->loc);
    if (s != NULL)
        s->constant = k;
    return k;
}

/* enum_spec = "enum" ident? ("{" enumerator ("," enumerator)* ","? "}")? */
static idl_type *enum_spec(parser *p, idl_type **body, bool v1_enum)
{
    idl_loc at = tok(p)->loc;
    next(p);
    idl_type *e;
    if (tok(p)->kind == IDL_TK_IDENT) {
        const char *nm = text_of(p, tok(p));
        idl_loc nloc = tok(p)->loc;
        next(p);
        e = tag(p, IDL_ENUM, nm, nloc);
        if (!is(p, "{"))
            return e;
        if (e->is_error || !claim_body(p, e, nloc))
            e = idl_new_type(p->c, IDL_ENUM, nloc);
    } else if (is(p, "{")) {
        e = idl_new_type(p->c, IDL_ENUM, at);
        e->imported = p->file->imported;
    } else {
        error_here(p, "expected %s before %s", "an enum tag or '{'");
        return NULL;
    }
    next(p); /* "{" */
    e->v1_enum = v1_enum;
    idl_const **tail = &e->enumerators;
    while (!is(p, "}")) {
        idl_const *k = enumerator(p, e);
        if (k == NULL)
            return NULL;
        *tail = k;
        tail = &k->next;
        if (!consume(p, ","))
            break;
    }
    if (!expect(p, "}"))
        return NULL;
    idl_check_enum(p->c, e);
    *body = e;
    return e;
}

static idl_attr *find_attr(idl_attr *list, idl_attr_kind kind)
{
    for (; list != NULL; list = list->next)
        if (list->kind == kind)
            return list;
    return NULL;
}

/* type_spec = "const"? (base_type | struct_spec | union_spec | enum_spec | ident) "const"?
 * *body is set when the spec writes a struct, union or enum body. NULL (and no message) when
 * there is no type here at all, so callers can say what they expected. A typedef passes its
 * attributes: [switch_type] and [v1_enum] shape the body they precede. */
static idl_type *type_spec(parser *p, idl_type **body, bool *c_const, idl_attr *type_attrs)
{
    *body = NULL;
    if (consume(p, "const"))
        *c_const = true;
    idl_token *t = tok(p);
    idl_type *ty = NULL;
    if (!enter(p))
        return NULL;
    if (tok_is(t, "struct"))
        ty = struct_spec(p, body);
    else if (tok_is(t, "union"))
        ty = union_spec(p, body, find_attr(type_attrs, IDL_ATTR_SWITCH_TYPE));
    else if (tok_is(t, "enum"))
        ty = enum_spec(p, body, find_attr(type_attrs, IDL_ATTR_V1_ENUM) != NULL);
    else if (tok_is(t, "pipe")) {
        idl_error(p->c->diags, t->loc, "rpcidl does not support pipe");
        next(p);
        type_spec(p, body, c_const, NULL);
        ty = error_type(p, "pipe", t->loc);
    } else if (t->kind == IDL_TK_KEYWORD) {
        ty = base_type(p);
    } else if (t->kind == IDL_TK_IDENT) {
        const char *nm = text_of(p, t);
        idl_symbol *s = idl_sym_find(p->c, IDL_SYM_TYPE, nm);
        next(p);
        if (s != NULL) {
            ty = s->type;
        } else {
            idl_error(p->c->diags, t->loc, "unknown type '%s'", nm);
            for (unsigned i = 0; i < p->c->nskipped; i++)
                idl_note(p->c->diags, t->loc,
                         "it may be declared in \"%s\", which rpcidl skipped: declare it yourself",
                         p->c->skipped_imports[i]);
            ty = error_type(p, nm, t->loc);
        }
    }
    leave(p);
    if (ty != NULL && consume(p, "const"))
        *c_const = true;
    return ty;
}

/* ---- declarations ------------------------------------------------------------------------------- */

/* typedef_decl = "typedef" attrs? type_spec declarator ("," declarator)* ";" */
static bool typedef_decl(parser *p, item_list *items)
{
    idl_loc at = tok(p)->loc;
    next(p);
    idl_attr *al;
    if (!attrs(p, &al))
        return false;
    idl_type *body = NULL;
    bool c_const = false;
    idl_type *base = type_spec(p, &body, &c_const, al);
    if (base == NULL) {
        if (!give_up(p))
            error_here(p, "expected %s before %s", "a type");
        return false;
    }
    do {
        const char *nm;
        idl_loc loc;
        idl_type *t = declarator(p, base, &nm, &loc);
        if (t == NULL)
            return false;
        if (nm == NULL) {
            error_here(p, "expected %s before %s", "a name for the typedef");
            return false;
        }
        idl_type *td = idl_new_type(p->c, IDL_TYPEDEF, loc);
        td->name = nm;
        td->c_name = nm;
        td->target = t;
        td->body = body;
        td->imported = p->file->imported;
        if (body != NULL && body->c_name == NULL)
            body->c_name = nm; /* typedef struct {...} mixed: C calls the struct "mixed" */
        body = NULL;
        idl_symbol *s = idl_sym_define(p->c, IDL_SYM_TYPE, nm, loc);
        if (s != NULL)
            s->type = td;
        idl_check_typedef(p->c, td, al, p->iface);
        idl_item *it = add_item(p, items, IDL_ITEM_TYPEDEF, span(at, loc));
        it->type = td;
    } while (consume(p, ","));
    return expect(p, ";");
}

/* tagged_decl = (struct_spec | union_spec | enum_spec) ";"     a definition without typedef */
static bool tagged_decl(parser *p, item_list *items)
{
    idl_loc at = tok(p)->loc;
    idl_type *body = NULL;
    bool c_const = false;
    idl_type *t = type_spec(p, &body, &c_const, NULL);
    if (t == NULL)
        return false;
    if (body != NULL) {
        if (body->name == NULL)
            idl_warning(p->c->diags, at, "an anonymous %s declares nothing",
                        idl_type_kind_name(body->kind));
        idl_item *it = add_item(p, items, IDL_ITEM_TYPE, at);
        it->type = body;
    }
    if (!is(p, ";")) {
        error_here(p, "expected %s before %s", "';' after the type");
        return false;
    }
    next(p);
    return true;
}

/* const_decl = "const" type_spec "*"? ident "=" expr ";" */
static bool const_decl(parser *p, item_list *items)
{
    idl_loc at = tok(p)->loc;
    next(p);
    idl_type *body = NULL;
    bool c_const = false;
    idl_type *t = type_spec(p, &body, &c_const, NULL);
    if (t == NULL) {
        if (!give_up(p))
            error_here(p, "expected %s before %s", "a constant's type");
        return false;
    }
    if (is(p, "*")) {
        idl_type *ptr = idl_new_type(p->c, IDL_POINTER, tok(p)->loc);
        ptr->target = t;
        ptr->ptr_kind = IDL_PTR_UNIQUE;
        t = ptr;
        next(p);
        consume(p, "const");
    }
    const char *nm = name(p, "a constant name");
    if (nm == NULL)
        return false;
    idl_const *k = idl_alloc(p->c->arena, sizeof *k);
    k->kind = IDL_CONST_INT;
    k->name = nm;
    k->loc = prev_loc(p);
    k->type = t;
    if (!expect(p, "=") || (k->expr = full_expr(p)) == NULL || !expect(p, ";"))
        return false;
    idl_symbol *s = idl_sym_define(p->c, IDL_SYM_CONST, nm, k->loc);
    if (s != NULL)
        s->constant = k;
    idl_check_const(p->c, k);
    idl_item *it = add_item(p, items, IDL_ITEM_CONST, span(at, prev_loc(p)));
    it->constant = k;
    return true;
}

/* define = "#define" ident expr <end of line> */
static bool define_directive(parser *p, item_list *items)
{
    idl_token *d = tok(p);
    next(p);
    size_t end = p->pos;
    while (end < p->ntoks && !p->toks[end].at_bol)
        end++;
    idl_token *nt = tok(p);
    if (nt->at_bol || nt->kind != IDL_TK_IDENT) {
        idl_error(p->c->diags, d->loc, "#define needs a name and a value");
        p->pos = end;
        return true;
    }
    idl_token *after = tok_at(p, 1);
    if (tok_is(after, "(") && after->loc.offset == nt->loc.offset + nt->loc.len) {
        idl_error(p->c->diags, span(nt->loc, after->loc),
                  "rpcidl does not support macros with parameters");
        p->pos = end;
        return true;
    }
    if (after->at_bol) {
        idl_error(p->c->diags, span(d->loc, nt->loc),
                  "#define %.*s has no value: rpcidl reads #define only as NAME <constant>",
                  (int)nt->loc.len, tok_text(nt));
        p->pos = end;
        return true;
    }
    const char *nm = text_of(p, nt);
    idl_loc nloc = nt->loc;
    next(p);
    p->stop = end;
    p->eol = p->toks[end - 1];
    p->eol.kind = IDL_TK_EOF;
    p->eol.loc.offset += p->eol.loc.len;
    p->eol.loc.col += p->eol.loc.len;
    p->eol.loc.len = 0;
    idl_expr *e = full_expr(p);
    bool ok = e != NULL;
    if (ok && p->pos != end) {
        error_here(p, "expected %s, not %s", "the end of the #define line");
        ok = false;
    }
    p->stop = p->ntoks;
    p->pos = end;
    if (!ok)
        return true;
    idl_const *k = idl_alloc(p->c->arena, sizeof *k);
    k->kind = IDL_CONST_DEFINE;
    k->name = nm;
    k->loc = nloc;
    k->expr = e;
    idl_symbol *s = idl_sym_define(p->c, IDL_SYM_CONST, nm, nloc);
    if (s != NULL)
        s->constant = k;
    idl_check_const(p->c, k);
    idl_item *it = add_item(p, items, IDL_ITEM_CONST, span(d->loc, prev_loc(p)));
    it->constant = k;
    return true;
}

/* directive = define | "#pragma" ... | "#" other ...   (the lexer skipped the rest of the line) */
static bool directive(parser *p, item_list *items)
{
    static const char *const preprocessor[] = {"include", "if", "ifdef", "ifndef", "elif",
                                               "else", "endif", "undef", "line", "error"};
    idl_token *d = tok(p);
    if (strcmp(d->str, "define") == 0)
        return define_directive(p, items);
    next(p);
    if (d->str_len == 0)
        return true;
    if (strcmp(d->str, "pragma") == 0) {
        idl_warning(p->c->diags, d->loc, "ignoring #pragma: rpcidl has no pragmas");
        return true;
    }
    for (size_t i = 0; i < sizeof preprocessor / sizeof preprocessor[0]; i++) {
        if (strcmp(d->str, preprocessor[i]) == 0) {
            idl_error(p->c->diags, d->loc,
                      "rpcidl does not run the C preprocessor: #%s is not supported%s", d->str,
                      strcmp(d->str, "include") == 0 ? " (use import \"file.idl\")" : "");
            return true;
        }
    }
    idl_error(p->c->diags, d->loc, "unknown directive #%s", d->str);
    return true;
}

/* cpp_quote = "cpp_quote" "(" string ")" ";"? */
static bool cpp_quote(parser *p, item_list *items)
{
    idl_loc at = tok(p)->loc;
    next(p);
    if (!expect(p, "("))
        return false;
    if (tok(p)->kind != IDL_TK_STR) {
        error_here(p, "expected %s before %s", "a string");
        return false;
    }
    idl_item *it = add_item(p, items, IDL_ITEM_CPP_QUOTE, at);
    it->text = tok(p)->str;
    next(p);
    if (!expect(p, ")"))
        return false;
    it->loc = span(at, prev_loc(p));
    consume(p, ";");
    return true;
}

static bool is_system_import(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    for (size_t i = 0; i < sizeof system_imports / sizeof system_imports[0]; i++)
        if (strcmp(base, system_imports[i]) == 0)
            return true;
    return false;
}

static idl_file *read_and_parse(idl_ctx *c, const char *path, const char *shown, bool imported,
                                idl_loc from, bool *missing);

/* Finds or reads the file `shown` names, relative to the importing file's directory. */
static idl_file *import_one(parser *p, const char *shown, idl_loc at)
{
    size_t n = strlen(p->dir) + strlen(shown) + 2;
    char *path = idl_alloc(p->c->arena, n);
    if (shown[0] == '/' || strcmp(p->dir, ".") == 0)
        snprintf(path, n, "%s", shown);
    else
        snprintf(path, n, "%s/%s", p->dir, shown);
    bool missing = false;
    idl_file *f = read_and_parse(p->c, path, shown, true, at, &missing);
    if (f == NULL && missing) {
        if (is_system_import(shown)) {
            idl_warning(p->c->diags, at,
                        "skipping import \"%s\": rpcidl has no Windows system IDL files", shown);
            if (p->c->nskipped < sizeof p->c->skipped_imports / sizeof p->c->skipped_imports[0])
                p->c->skipped_imports[p->c->nskipped++] = idl_strdup(p->c->arena, shown);
        } else {
            idl_error(p->c->diags, at, "cannot open import \"%s\": %s", shown, strerror(ENOENT));
        }
    }
    return f;
}

/* import = "import" string ("," string)* ";" */
static bool import_decl(parser *p, item_list *items)
{
    next(p);
    do {
        idl_token *t = tok(p);
        if (t->kind != IDL_TK_STR) {
            error_here(p, "expected %s before %s", "a file name in quotes");
            return false;
        }
        next(p);
        if (t->str_len == 0 || memchr(t->str, '\0', t->str_len) != NULL) {
            idl_error(p->c->diags, t->loc, "import needs a file name");
            continue;
        }
        idl_file *f = import_one(p, t->str, t->loc);
        if (f != NULL) {
            idl_item *it = add_item(p, items, IDL_ITEM_IMPORT, t->loc);
            it->import = f;
        }
    } while (consume(p, ","));
    return expect(p, ";");
}

/* param = attrs? type_spec declarator */
static idl_decl *param(parser *p)
{
    idl_loc at = tok(p)->loc;
    idl_attr *al;
    if (!attrs(p, &al))
        return NULL;
    idl_type *body = NULL;
    bool c_const = false;
    idl_type *base = type_spec(p, &body, &c_const, NULL);
    if (base == NULL) {
        if (!give_up(p))
            error_here(p, "expected %s before %s", "a parameter type");
        return NULL;
    }
    if (body != NULL)
        idl_error(p->c->diags, body->loc, "declare the %s before the operation, not in a parameter",
                  idl_type_kind_name(body->kind));
    const char *nm;
    idl_loc loc;
    idl_type *t = declarator(p, base, &nm, &loc);
    if (t == NULL)
        return NULL;
    if (nm == NULL) {
        idl_error(p->c->diags, span(at, prev_loc(p)), "a parameter needs a name");
        nm = "?";
    }
    idl_decl *d = new_decl(p, nm, loc, t, al);
    d->c_const = c_const;
    return d;
}

/* params = "(" ("void" | param ("," param)*)? ")" */
static bool params(parser *p, idl_operation *op)
{
    if (!expect(p, "("))
        return false;
    if (is(p, "void") && tok_is(tok_at(p, 1), ")")) {
        next(p);
        next(p);
        return true;
    }
    if (consume(p, ")"))
        return true;
    idl_decl **tail = &op->params;
    do {
        idl_decl *d = param(p);
        if (d == NULL)
            return false;
        d->index = op->nparams++;
        *tail = d;
        tail = &d->next;
    } while (consume(p, ","));
    return expect(p, ")");
}

/* operation = attrs? type_spec "*"* ident params ";" */
static bool operation(parser *p, item_list *items)
{
    idl_loc at = tok(p)->loc;
    idl_attr *al;
    if (!attrs(p, &al))
        return false;
    if (is(p, "typedef") || is(p, "const")) {
        idl_error(p->c->diags, tok(p)->loc, "attributes of a typedef go after the word typedef");
        return false;
    }
    idl_type *body = NULL;
    bool c_const = false;
    idl_type *ret = type_spec(p, &body, &c_const, NULL);
    if (ret == NULL) {
        if (!give_up(p))
            error_here(p, "expected %s before %s", "a declaration");
        return false;
    }
    if (body != NULL && is(p, ";")) {
        if (al != NULL)
            idl_error(p->c->diags, al->loc, "attributes of a type go in a typedef");
        idl_item *it = add_item(p, items, IDL_ITEM_TYPE, at);
        it->type = body;
        next(p);
        return true;
    }
    for (unsigned levels = 1; is(p, "*"); levels++) {
        if (too_deep(p, levels))
            return false;
        idl_type *ptr = idl_new_type(p->c, IDL_POINTER, tok(p)->loc);
        ptr->target = ret;
        ret = ptr;
        next(p);
    }
    const char *nm = name(p, "an operation name");
    if (nm == NULL)
        return false;
    idl_operation *op = idl_alloc(p->c->arena, sizeof *op);
    op->name = nm;
    op->loc = prev_loc(p);
    op->ret = ret;
    op->attrs = al;
    op->iface = p->iface;
    if (!is(p, "(")) {
        error_here(p, "expected %s before %s", "'(' after the operation name: an interface "
                                                "holds only operations, types and constants");
        return false;
    }
    if (!params(p, op) || !expect(p, ";"))
        return false;
    idl_symbol *s = idl_sym_define(p->c, IDL_SYM_OPERATION, nm, op->loc);
    if (s != NULL)
        s->op = op;
    op->opnum = p->iface->nops++;
    *p->ops_tail = op;
    p->ops_tail = &op->next;
    idl_check_operation(p->c, op);
    idl_item *it = add_item(p, items, IDL_ITEM_OPERATION, span(at, prev_loc(p)));
    it->op = op;
    return true;
}

/* body_item = import | cpp_quote | directive | const_decl | typedef_decl | tagged_decl
 *           | operation (inside an interface) | ";" */
static bool body_item(parser *p, item_list *items)
{
    idl_token *t = tok(p);
    if (t->kind == IDL_TK_DIRECTIVE)
        return directive(p, items);
    if (tok_is(t, "import"))
        return import_decl(p, items);
    if (tok_is(t, "cpp_quote"))
        return cpp_quote(p, items);
    if (tok_is(t, "typedef"))
        return typedef_decl(p, items);
    if (tok_is(t, "const"))
        return const_decl(p, items);
    if (tok_is(t, "importlib") || tok_is(t, "midl_pragma")) {
        idl_error(p->c->diags, t->loc, "rpcidl does not support %.*s", (int)t->loc.len,
                  tok_text(t));
        return false;
    }
    if (consume(p, ";"))
        return true;
    if (p->iface != NULL)
        return operation(p, items);
    if (tok_is(t, "struct") || tok_is(t, "union") || tok_is(t, "enum"))
        return tagged_decl(p, items);
    error_here(p, "expected %s before %s", "an interface, a type or a constant");
    return false;
}

/* The uuid's 32 hex digits in groups 8-4-4-4-12; false for anything else. */
static bool parse_uuid(const char *text, rs_uuid *u)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    uint8_t raw[16];
    size_t k = 0, pos = 0;
    for (int g = 0; g < 5; g++) {
        if (g > 0 && text[pos++] != '-')
            return false;
        for (int i = 0; i < groups[g]; i += 2) {
            int v = 0;
            for (int j = 0; j < 2; j++) {
                char ch = text[pos++];
                int dgt = ch >= '0' && ch <= '9' ? ch - '0'
                        : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                        : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
                if (dgt < 0)
                    return false;
                v = v * 16 + dgt;
            }
            raw[k++] = (uint8_t)v;
        }
    }
    if (text[pos] != '\0')
        return false;
    u->time_low = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
    u->time_mid = (uint16_t)(raw[4] << 8 | raw[5]);
    u->time_hi_and_version = (uint16_t)(raw[6] << 8 | raw[7]);
    memcpy(u->clock_seq, raw + 8, 2);
    memcpy(u->node, raw + 10, 6);
    return true;
}

/* Interface header attributes the parser reads itself: they shape what follows. */
static void header_attrs(parser *p, idl_interface *iface)
{
    for (idl_attr *a = iface->attrs; a != NULL; a = a->next) {
        if (a->kind == IDL_ATTR_UUID) {
            if (a->text == NULL || strlen(a->text) != 36 || !parse_uuid(a->text, &iface->uuid)) {
                idl_error(p->c->diags, a->loc,
                          "bad uuid '%s': expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                          a->text != NULL ? a->text : "");
                continue;
            }
            for (int i = 0; i < 36; i++) {
                char ch = a->text[i];
                iface->uuid_text[i] = ch >= 'A' && ch <= 'F' ? (char)(ch - 'A' + 'a') : ch;
            }
            iface->uuid_text[36] = '\0';
        }
    }
    idl_check_interface_attrs(p->c, iface);
}

/* interface = attrs? "interface" ident (":" ident)? "{" body_item* "}" ";"? */
static bool interface_decl(parser *p, item_list *items, idl_attr *al, idl_loc at)
{
    next(p); /* "interface" */
    const char *nm = name(p, "an interface name");
    if (nm == NULL)
        return false;
    idl_interface *iface = idl_alloc(p->c->arena, sizeof *iface);
    iface->name = nm;
    iface->loc = prev_loc(p);
    iface->attrs = al;
    iface->file = p->file;
    iface->imported = p->file->imported;
    item_list body = {&iface->items};
    if (is(p, ":")) {
        idl_error(p->c->diags, span(iface->loc, tok_at(p, 1)->loc),
                  "rpcidl does not support interface inheritance: '%s' is a COM interface", nm);
        next(p);
        next(p);
    }
    if (is(p, ";")) {
        idl_error(p->c->diags, iface->loc, "rpcidl does not support forward interface declarations");
        next(p);
        return true;
    }
    for (idl_file *f = p->c->files; f != NULL; f = f->next)
        for (idl_interface *o = f->interfaces; o != NULL; o = o->next)
            if (strcmp(o->name, nm) == 0) {
                idl_error(p->c->diags, iface->loc, "redefinition of interface '%s'", nm);
                idl_note(p->c->diags, o->loc, "previous definition is here");
            }
    for (idl_interface *o = p->file->interfaces; o != NULL; o = o->next)
        if (strcmp(o->name, nm) == 0) {
            idl_error(p->c->diags, iface->loc, "redefinition of interface '%s'", nm);
            idl_note(p->c->diags, o->loc, "previous definition is here");
        }
    if (!expect(p, "{"))
        return false;
    header_attrs(p, iface);
    idl_interface **tail = &p->file->interfaces;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = iface;
    idl_item *it = add_item(p, items, IDL_ITEM_INTERFACE, span(at, iface->loc));
    it->iface = iface;

    p->iface = iface;
    p->ops_tail = &iface->ops;
    while (!is(p, "}") && !at_end(p) && !give_up(p))
        if (!body_item(p, &body))
            sync(p);
    p->iface = NULL;
    if (!expect(p, "}"))
        return false;
    consume(p, ";");
    return true;
}

/* file_item = attrs? (interface | "library" | "coclass" | "module" | "dispinterface") | body_item */
static bool file_item(parser *p, item_list *items)
{
    static const char *const com[] = {"library", "coclass", "module", "dispinterface"};
    idl_loc at = tok(p)->loc;
    bool had_attrs = is(p, "[");
    idl_attr *al = NULL;
    if (!attrs(p, &al))
        return false;
    for (size_t i = 0; i < sizeof com / sizeof com[0]; i++) {
        if (is(p, com[i])) {
            idl_error(p->c->diags, tok(p)->loc,
                      "rpcidl does not support %s: it belongs to type libraries and COM", com[i]);
            next(p);
            if (tok(p)->kind == IDL_TK_IDENT)
                next(p);
            if (is(p, "{")) {
                int level = 0;
                do {
                    level += is(p, "{") ? 1 : is(p, "}") ? -1 : 0;
                    next(p);
                } while (level > 0 && !at_end(p));
            }
            consume(p, ";");
            return true;
        }
    }
    if (is(p, "interface"))
        return interface_decl(p, items, al, at);
    if (had_attrs) {
        error_here(p, "expected %s before %s", "'interface' after the attributes");
        return false;
    }
    return body_item(p, items);
}

/* file = file_item* EOF */
static void file_body(parser *p, item_list *items)
{
    while (!at_end(p) && !give_up(p)) {
        if (is(p, "}")) {
            idl_error(p->c->diags, tok(p)->loc, "unexpected '}'");
            next(p);
            continue;
        }
        if (!file_item(p, items))
            sync(p);
    }
}

/* ---- ACF ------------------------------------------------------------------------------------------ */

/* acf_item = attrs? ident ("(" (attrs? ident ("," attrs? ident)*)? ")")? ";"
 *          | "typedef" attrs? ident ";"
 * Any attribute here would change an operation's stubs, and none is supported yet: the parser
 * has named each one already. What remains is checking the names. */
static bool acf_item(parser *p, idl_interface *iface)
{
    idl_attr *al;
    if (consume(p, "typedef")) {
        if (!attrs(p, &al))
            return false;
        if (tok(p)->kind != IDL_TK_IDENT && tok(p)->kind != IDL_TK_KEYWORD) {
            error_here(p, "expected %s before %s", "a type name");
            return false;
        }
        next(p);
        return expect(p, ";");
    }
    if (!attrs(p, &al))
        return false;
    for (idl_attr *a = al; a != NULL; a = a->next)
        idl_error(p->c->diags, a->loc, "rpcidl does not support [%s] on an operation in an ACF",
                  a->name);
    const char *nm = name(p, "an operation name");
    if (nm == NULL)
        return false;
    idl_loc nloc = prev_loc(p);
    idl_operation *op = iface != NULL ? idl_find_operation(iface, nm) : NULL;
    if (iface != NULL && op == NULL)
        idl_error(p->c->diags, nloc, "the ACF names operation '%s', which interface '%s' does not "
                                     "declare", nm, iface->name);
    if (consume(p, "(") && !consume(p, ")")) {
        do {
            idl_attr *pa;
            if (!attrs(p, &pa))
                return false;
            for (idl_attr *a = pa; a != NULL; a = a->next)
                idl_error(p->c->diags, a->loc,
                          "rpcidl does not support [%s] on a parameter in an ACF", a->name);
            const char *pn = name(p, "a parameter name");
            if (pn == NULL)
                return false;
            if (op != NULL && idl_find_param(op, pn) == NULL)
                idl_error(p->c->diags, prev_loc(p), "operation '%s' has no parameter '%s'", nm, pn);
        } while (consume(p, ","));
        if (!expect(p, ")"))
            return false;
    }
    return expect(p, ";");
}

/* acf_interface = attrs? "interface" ident "{" acf_item* "}" ";"? */
static bool acf_interface(parser *p, idl_file *root, idl_attr *al)
{
    next(p); /* "interface" */
    const char *nm = name(p, "an interface name");
    if (nm == NULL)
        return false;
    idl_loc nloc = prev_loc(p);
    idl_interface *iface = idl_find_interface(root, nm);
    if (iface == NULL) {
        idl_error(p->c->diags, nloc, "the ACF describes interface '%s', which %s does not declare",
                  nm, root->path);
    } else {
        idl_apply_acf_interface(p->c, iface, al);
    }
    if (!expect(p, "{"))
        return false;
    while (!is(p, "}") && !at_end(p) && !give_up(p))
        if (!acf_item(p, iface))
            sync(p);
    if (!expect(p, "}"))
        return false;
    consume(p, ";");
    return true;
}

/* acf_file = (attrs? acf_interface | "include" string ("," string)* ";" | import)* EOF */
static void acf_body(parser *p, idl_file *root)
{
    while (!at_end(p) && !give_up(p)) {
        idl_loc at = tok(p)->loc;
        bool ok;
        if (tok_is(tok(p), "include") || tok_is(tok(p), "import")) {
            idl_error(p->c->diags, at, "rpcidl does not support %.*s in an ACF",
                      (int)tok(p)->loc.len, tok_text(tok(p)));
            ok = false;
        } else if (tok(p)->kind == IDL_TK_DIRECTIVE) {
            item_list ignored = {&root->items};
            idl_item *saved = *ignored.tail;
            ok = directive(p, &ignored);
            *ignored.tail = saved;
        } else {
            idl_attr *al;
            ok = attrs(p, &al);
            if (!ok) {
                /* already reported */
            } else if (is(p, "interface")) {
                ok = acf_interface(p, root, al);
            } else {
                error_here(p, "expected %s before %s", "'interface' in the ACF");
                ok = false;
            }
        }
        if (!ok) {
            sync(p);
            if (is(p, "}"))
                next(p);
        }
    }
}

/* ---- files ------------------------------------------------------------------------------------------ */

static const char *dir_of(idl_arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return ".";
    if (slash == path)
        return "/";
    return idl_strndup(a, path, (size_t)(slash - path));
}

static const char *base_of(idl_arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    return idl_strndup(a, base, dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base));
}

static idl_source *new_source(idl_ctx *c, const char *path, char *text, size_t len)
{
    idl_source *s = idl_alloc(c->arena, sizeof *s);
    s->path = idl_strdup(c->arena, path);
    s->text = text;
    s->len = len;
    *c->sources_tail = s;
    c->sources_tail = &s->next;
    return s;
}

/* Reads a whole file into the arena; false with errno set (EFBIG past IDL_MAX_FILE_SIZE). */
static bool read_file(idl_ctx *c, const char *path, char **text, size_t *len)
{
    /* acf_source() passes a NULL path only with acf_text set, and then reads no file. */
    /* cppcheck-suppress ctunullpointer */
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return false;
    char *buf = idl_alloc(c->arena, IDL_MAX_FILE_SIZE + 2);
    size_t n = fread(buf, 1, IDL_MAX_FILE_SIZE + 1, fp);
    int failed = ferror(fp);
    fclose(fp);
    if (failed) {
        errno = EIO;
        return false;
    }
    if (n > IDL_MAX_FILE_SIZE) {
        errno = EFBIG;
        return false;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return true;
}

/* Lexes and parses one file (not an ACF) into a new idl_file. */
static idl_file *parse_source(idl_ctx *c, idl_source *src, const char *real, bool imported)
{
    idl_file *f = idl_alloc(c->arena, sizeof *f);
    f->path = src->path;
    f->real_path = real;
    f->basename = base_of(c->arena, src->path);
    f->imported = imported;
    parser p = {.c = c, .file = f, .src = src, .dir = dir_of(c->arena, src->path)};
    idl_lex(c->arena, src, c->diags, &p.toks, &p.ntoks);
    p.stop = p.ntoks;
    p.eol = p.toks[p.ntoks - 1];
    item_list items = {&f->items};
    c->import_stack[c->import_depth] = real;
    c->import_names[c->import_depth++] = src->path;
    file_body(&p, &items);
    c->import_depth--;
    free(p.toks);
    *c->files_tail = f;
    c->files_tail = &f->next;
    return f;
}

/* The parse of `path`, reading it unless it was read before. NULL with *missing when it does
 * not exist (the caller words that error); NULL after any other error. */
static idl_file *read_and_parse(idl_ctx *c, const char *path, const char *shown, bool imported,
                                idl_loc from, bool *missing)
{
    char *real = realpath(path, NULL);
    *missing = false;
    if (real == NULL) {
        *missing = errno == ENOENT || errno == ENOTDIR;
        if (!*missing)
            idl_error(c->diags, from, "cannot open \"%s\": %s", shown, strerror(errno));
        return NULL;
    }
    const char *key = idl_strdup(c->arena, real);
    free(real);
    for (unsigned i = 0; i < c->import_depth; i++) {
        if (strcmp(c->import_stack[i], key) == 0) {
            char chain[400] = "";
            for (unsigned j = i; j < c->import_depth; j++) {
                size_t used = strlen(chain);
                snprintf(chain + used, sizeof chain - used, "%s -> ", c->import_names[j]);
            }
            idl_error(c->diags, from, "import cycle: %s%s", chain, path);
            return NULL;
        }
    }
    for (idl_file *f = c->files; f != NULL; f = f->next)
        if (strcmp(f->real_path, key) == 0)
            return f;
    if (c->import_depth >= IDL_MAX_IMPORT_DEPTH) {
        idl_error(c->diags, from, "imports nest too deep (more than %d files)",
                  IDL_MAX_IMPORT_DEPTH);
        return NULL;
    }
    char *text;
    size_t len;
    if (!read_file(c, path, &text, &len)) {
        if (errno == EFBIG)
            idl_error(c->diags, from, "\"%s\" is larger than %u bytes", shown,
                      (unsigned)IDL_MAX_FILE_SIZE);
        else
            idl_error(c->diags, from, "cannot read \"%s\": %s", shown, strerror(errno));
        return NULL;
    }
    idl_source *src = new_source(c, path, text, len);
    return parse_source(c, src, key, imported);
}

static void parse_acf(idl_ctx *c, idl_file *root, idl_source *src)
{
    parser p = {.c = c, .file = root, .src = src, .dir = dir_of(c->arena, src->path)};
    idl_lex(c->arena, src, c->diags, &p.toks, &p.ntoks);
    p.stop = p.ntoks;
    p.eol = p.toks[p.ntoks - 1];
    root->acf = src;
    acf_body(&p, root);
    free(p.toks);
}

static void ctx_init(idl_ctx *c, idl_diags *d)
{
    memset(c, 0, sizeof *c);
    c->arena = calloc(1, sizeof *c->arena);
    if (c->arena == NULL)
        abort();
    c->diags = d;
    c->sources_tail = &c->sources;
    c->files_tail = &c->files;
    c->pending_tail = &c->pending;
}

/* Hands the arena to the root file, or frees everything when there were errors. */
static rs_status ctx_finish(idl_ctx *c, idl_file *root, unsigned errors_before, idl_file **out)
{
    if (root != NULL)
        idl_check_finish(c);
    if (root == NULL || c->diags->errors != errors_before) {
        idl_arena_free(c->arena);
        free(c->arena);
        *out = NULL;
        return RS_ERR_INVALID_ARG;
    }
    root->arena = c->arena;
    root->sources = c->sources;
    root->all_files = c->files;
    *out = root;
    return RS_OK;
}

static idl_source *acf_source(idl_ctx *c, const char *acf_path, const char *acf_name,
                              const char *acf_text)
{
    if (acf_text != NULL)
        return new_source(c, acf_name != NULL ? acf_name : "<acf>",
                          idl_strndup(c->arena, acf_text, strlen(acf_text)), strlen(acf_text));
    char *text;
    size_t len;
    if (!read_file(c, acf_path, &text, &len)) {
        idl_loc none = {0};
        if (errno == EFBIG)
            idl_error(c->diags, none, "\"%s\" is larger than %u bytes", acf_path,
                      (unsigned)IDL_MAX_FILE_SIZE);
        else
            idl_error(c->diags, none, "cannot read \"%s\": %s", acf_path, strerror(errno));
        return NULL;
    }
    return new_source(c, acf_path, text, len);
}

rs_status idl_parse_file(const char *path, const char *acf_path, idl_diags *d, idl_file **out)
{
    idl_ctx c;
    ctx_init(&c, d);
    unsigned before = d->errors;
    idl_loc none = {0};
    bool missing = false;
    idl_file *root = read_and_parse(&c, path, path, false, none, &missing);
    if (root == NULL && missing)
        idl_error(d, none, "cannot open \"%s\": %s", path, strerror(ENOENT));
    if (root != NULL && acf_path != NULL) {
        idl_source *acf = acf_source(&c, acf_path, NULL, NULL);
        if (acf != NULL)
            parse_acf(&c, root, acf);
    }
    return ctx_finish(&c, root, before, out);
}

rs_status idl_parse_string(const char *name, const char *text, size_t len, const char *acf_name,
                           const char *acf_text, idl_diags *d, idl_file **out)
{
    idl_ctx c;
    ctx_init(&c, d);
    unsigned before = d->errors;
    if (len > IDL_MAX_FILE_SIZE) {
        idl_loc none = {0};
        idl_error(d, none, "\"%s\" is larger than %u bytes", name, (unsigned)IDL_MAX_FILE_SIZE);
        return ctx_finish(&c, NULL, before, out);
    }
    idl_source *src = new_source(&c, name, idl_strndup(c.arena, text, len), len);
    char *real = realpath(name, NULL);
    const char *key = idl_strdup(c.arena, real != NULL ? real : name);
    free(real);
    idl_file *root = parse_source(&c, src, key, false);
    if (acf_text != NULL) {
        idl_source *acf = acf_source(&c, NULL, acf_name, acf_text);
        parse_acf(&c, root, acf);
    }
    return ctx_finish(&c, root, before, out);
}
