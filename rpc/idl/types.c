/* types.c -- the model's memory and names, and the checks that resolve and lay out every type. */
#include "idl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== the arena ================================================================================ */

#define ARENA_BLOCK (64 * 1024)

typedef struct idl_arena_block {
    struct idl_arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} idl_arena_block;

void *idl_alloc(idl_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    idl_arena_block *b = a->blocks;
    if (b == NULL || b->cap - b->used < size) {
        size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        b = malloc(sizeof *b + cap);
        if (b == NULL) {
            fputs("rpcidl: out of memory\n", stderr);
            abort();
        }
        b->cap = cap;
        b->used = 0;
        b->next = a->blocks;
        a->blocks = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    return memset(p, 0, size);
}

char *idl_strndup(idl_arena *a, const char *s, size_t n)
{
    char *p = idl_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *idl_strdup(idl_arena *a, const char *s)
{
    return idl_strndup(a, s, strlen(s));
}

void idl_arena_free(idl_arena *a)
{
    idl_arena_block *b = a->blocks;
    while (b != NULL) {
        idl_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->blocks = NULL;
}

void idl_free(idl_file *f)
{
    if (f == NULL || f->arena == NULL)
        return;
    idl_arena *a = f->arena;
    idl_arena_free(a);
    free(a);
}

/* ==== names ===================================================================================== */

const char *idl_type_kind_name(idl_type_kind k)
{
    static const char *const names[] = {
        [IDL_VOID] = "void",       [IDL_BOOLEAN] = "boolean",   [IDL_BYTE] = "byte",
        [IDL_CHAR] = "char",       [IDL_WCHAR] = "wchar_t",     [IDL_SMALL] = "small",
        [IDL_SHORT] = "short",     [IDL_LONG] = "long",         [IDL_HYPER] = "hyper",
        [IDL_FLOAT] = "float",     [IDL_DOUBLE] = "double",     [IDL_ERROR_STATUS] = "error_status_t",
        [IDL_HANDLE] = "handle_t", [IDL_ENUM] = "enum",         [IDL_STRUCT] = "struct",
        [IDL_UNION] = "union",     [IDL_POINTER] = "pointer",   [IDL_ARRAY] = "array",
        [IDL_CONTEXT_HANDLE] = "context handle", [IDL_TYPEDEF] = "typedef",
    };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "type";
}

const char *idl_ptr_kind_name(idl_ptr_kind k)
{
    switch (k) {
    case IDL_PTR_REF:
        return "ref";
    case IDL_PTR_UNIQUE:
        return "unique";
    case IDL_PTR_FULL:
        return "ptr";
    case IDL_PTR_NONE:
        break;
    }
    return "none";
}

const char *idl_op_spelling(idl_op op)
{
    static const char *const s[] = {
        [IDL_OP_NONE] = "",    [IDL_OP_NEG] = "-",     [IDL_OP_PLUS] = "+",   [IDL_OP_NOT] = "!",
        [IDL_OP_BITNOT] = "~", [IDL_OP_DEREF] = "*",   [IDL_OP_MUL] = "*",    [IDL_OP_DIV] = "/",
        [IDL_OP_MOD] = "%",    [IDL_OP_ADD] = "+",     [IDL_OP_SUB] = "-",    [IDL_OP_SHL] = "<<",
        [IDL_OP_SHR] = ">>",   [IDL_OP_LT] = "<",      [IDL_OP_GT] = ">",     [IDL_OP_LE] = "<=",
        [IDL_OP_GE] = ">=",    [IDL_OP_EQ] = "==",     [IDL_OP_NE] = "!=",    [IDL_OP_BITAND] = "&",
        [IDL_OP_BITXOR] = "^", [IDL_OP_BITOR] = "|",   [IDL_OP_AND] = "&&",   [IDL_OP_OR] = "||",
    };
    return (unsigned)op < sizeof s / sizeof s[0] ? s[op] : "?";
}

/* ==== base types ================================================================================ */

idl_type *idl_new_type(idl_ctx *c, idl_type_kind kind, idl_loc loc)
{
    idl_type *t = idl_alloc(c->arena, sizeof *t);
    t->kind = kind;
    t->loc = loc;
    t->align = t->wire_align = 1;
    return t;
}

typedef struct base_desc {
    idl_type_kind kind;
    bool is_unsigned;
    const char *name, *c_name;
    uint32_t size, align, wire_size;
} base_desc;

#define BASE(kind, uns, name, ctype, wire) {kind, uns, name, #ctype, sizeof(ctype), _Alignof(ctype), wire}

static const base_desc bases[IDL_B_COUNT] = {
    [IDL_B_VOID] = {IDL_VOID, false, "void", "void", 0, 1, 0},
    [IDL_B_BOOLEAN] = BASE(IDL_BOOLEAN, true, "boolean", uint8_t, 1),
    [IDL_B_BYTE] = BASE(IDL_BYTE, true, "byte", uint8_t, 1),
    [IDL_B_CHAR] = BASE(IDL_CHAR, false, "char", char, 1),
    [IDL_B_SCHAR] = BASE(IDL_CHAR, false, "signed char", signed char, 1),
    [IDL_B_UCHAR] = BASE(IDL_CHAR, true, "unsigned char", unsigned char, 1),
    [IDL_B_WCHAR] = BASE(IDL_WCHAR, true, "wchar_t", uint16_t, 2),
    [IDL_B_SMALL] = BASE(IDL_SMALL, false, "small", int8_t, 1),
    [IDL_B_USMALL] = BASE(IDL_SMALL, true, "unsigned small", uint8_t, 1),
    [IDL_B_SHORT] = BASE(IDL_SHORT, false, "short", int16_t, 2),
    [IDL_B_USHORT] = BASE(IDL_SHORT, true, "unsigned short", uint16_t, 2),
    [IDL_B_LONG] = BASE(IDL_LONG, false, "long", int32_t, 4),
    [IDL_B_ULONG] = BASE(IDL_LONG, true, "unsigned long", uint32_t, 4),
    [IDL_B_INT] = BASE(IDL_LONG, false, "int", int32_t, 4),
    [IDL_B_UINT] = BASE(IDL_LONG, true, "unsigned int", uint32_t, 4),
    [IDL_B_HYPER] = BASE(IDL_HYPER, false, "hyper", int64_t, 8),
    [IDL_B_UHYPER] = BASE(IDL_HYPER, true, "unsigned hyper", uint64_t, 8),
    [IDL_B_FLOAT] = BASE(IDL_FLOAT, false, "float", float, 4),
    [IDL_B_DOUBLE] = BASE(IDL_DOUBLE, false, "double", double, 8),
    [IDL_B_ERROR_STATUS] = BASE(IDL_ERROR_STATUS, true, "error_status_t", uint32_t, 4),
    [IDL_B_HANDLE] = {IDL_HANDLE, false, "handle_t", IDL_C_HANDLE_TYPE, sizeof(void *),
                      _Alignof(void *), 0},
};

idl_type *idl_builtin(idl_ctx *c, int which)
{
    if (c->builtins[which] != NULL)
        return c->builtins[which];
    const base_desc *b = &bases[which];
    idl_type *t = idl_new_type(c, b->kind, (idl_loc){0});
    t->name = b->name;
    t->c_name = b->c_name;
    t->is_unsigned = b->is_unsigned;
    t->size = b->size;
    t->align = b->align;
    t->wire_size = b->wire_size;
    t->wire_align = b->wire_size > 0 ? b->wire_size : 1;
    t->fixed_size = true;
    t->complete = true;
    /* block-copyable when memory and wire agree; handle_t and void never travel */
    t->simple = b->wire_size > 0 && b->wire_size == b->size && b->align == b->wire_size;
    c->builtins[which] = t;
    return t;
}

/* ==== the symbol table =========================================================================== */

static size_t hash(const char *s)
{
    size_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Doubles the table when it holds as many names as chains, so a chain stays short. The old
 * table stays in the arena: all the tables together are at most twice the last. */
static void grow_symbols(idl_ctx *c)
{
    size_t n = c->nbuckets ? c->nbuckets * 2 : 256;
    idl_symbol **table = idl_alloc(c->arena, n * sizeof *table);
    for (size_t i = 0; i < c->nbuckets; i++) {
        idl_symbol *s = c->symbols[i];
        while (s != NULL) {
            idl_symbol *next = s->next;
            size_t h = hash(s->name) & (n - 1);
            s->next = table[h];
            table[h] = s;
            s = next;
        }
    }
    c->symbols = table;
    c->nbuckets = n;
}

/* Tags have their own namespace; typedefs, constants and operations share one, as in C. */
static bool same_namespace(idl_sym_kind a, idl_sym_kind b)
{
    return (a == IDL_SYM_TAG) == (b == IDL_SYM_TAG);
}

static idl_symbol *lookup(idl_ctx *c, idl_sym_kind kind, const char *name)
{
    if (c->nbuckets == 0)
        return NULL;
    for (idl_symbol *s = c->symbols[hash(name) & (c->nbuckets - 1)]; s != NULL; s = s->next)
        if (same_namespace(s->kind, kind) && strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

idl_symbol *idl_sym_find(idl_ctx *c, idl_sym_kind kind, const char *name)
{
    idl_symbol *s = lookup(c, kind, name);
    return s != NULL && s->kind == kind ? s : NULL;
}

idl_symbol *idl_sym_define(idl_ctx *c, idl_sym_kind kind, const char *name, idl_loc loc)
{
    idl_symbol *old = lookup(c, kind, name);
    if (old != NULL) {
        idl_error(c->diags, loc, "redefinition of '%s'", name);
        idl_note(c->diags, old->loc, "previous declaration of '%s' is here", name);
        return NULL;
    }
    if (c->nsymbols >= c->nbuckets)
        grow_symbols(c);
    idl_symbol *s = idl_alloc(c->arena, sizeof *s);
    s->kind = kind;
    s->name = name;
    s->loc = loc;
    size_t h = hash(name) & (c->nbuckets - 1);
    s->next = c->symbols[h];
    c->symbols[h] = s;
    c->nsymbols++;
    return s;
}

/* ==== type questions ============================================================================= */

const idl_type *idl_type_resolve(const idl_type *t)
{
    if (t != NULL && t->kind == IDL_TYPEDEF && t->resolved != NULL)
        return t->resolved;
    while (t != NULL && t->kind == IDL_TYPEDEF)
        t = t->target;
    return t;
}

bool idl_type_is_integral(const idl_type *t)
{
    t = idl_type_resolve(t);
    if (t == NULL)
        return false;
    switch (t->kind) {
    case IDL_BOOLEAN:
    case IDL_BYTE:
    case IDL_CHAR:
    case IDL_WCHAR:
    case IDL_SMALL:
    case IDL_SHORT:
    case IDL_LONG:
    case IDL_HYPER:
    case IDL_ERROR_STATUS:
    case IDL_ENUM:
        return true;
    default:
        return false;
    }
}

static bool is_char_type(const idl_type *t)
{
    t = idl_type_resolve(t);
    return t != NULL && (t->kind == IDL_CHAR || t->kind == IDL_WCHAR || t->kind == IDL_BYTE);
}

static bool is_level(const idl_type *t)
{
    return t != NULL && (t->kind == IDL_POINTER || t->kind == IDL_ARRAY ||
                         t->kind == IDL_CONTEXT_HANDLE);
}

/* Does t stand on a placeholder left by an earlier error? (A typedef carries the flag of what
 * it names, so this walks only a declarator's own levels.) */
static bool is_error(const idl_type *t)
{
    while (is_level(t))
        t = t->target;
    return t != NULL && t->is_error;
}

/* What a union can switch on (C706 14.3.8): small, short, long, char, boolean, enum. */
static bool is_switch_type(const idl_type *t)
{
    t = idl_type_resolve(t);
    return t != NULL && (t->kind == IDL_SMALL || t->kind == IDL_SHORT || t->kind == IDL_LONG ||
                         t->kind == IDL_CHAR || t->kind == IDL_BOOLEAN || t->kind == IDL_ENUM);
}

/* Does v fit an integral type? Enums: 0..32767 unless v1_enum (C706 14.2.5, MS-RPCE). */
static bool fits(int64_t v, const idl_type *t)
{
    t = idl_type_resolve(t);
    bool u = t->is_unsigned;
    switch (t->kind) {
    case IDL_BOOLEAN:
        return v == 0 || v == 1;
    case IDL_BYTE:
        return v >= 0 && v <= 255;
    case IDL_CHAR:
        return v >= -128 && v <= 255;
    case IDL_WCHAR:
        return v >= 0 && v <= 65535;
    case IDL_SMALL:
        return u ? v >= 0 && v <= 255 : v >= -128 && v <= 127;
    case IDL_SHORT:
        return u ? v >= 0 && v <= 65535 : v >= -32768 && v <= 32767;
    case IDL_LONG:
    case IDL_ERROR_STATUS:
        return u || t->kind == IDL_ERROR_STATUS ? v >= 0 && v <= 4294967295LL
                                                : v >= INT32_MIN && v <= INT32_MAX;
    case IDL_HYPER:
        return !u || v >= 0;
    case IDL_ENUM:
        return t->v1_enum ? v >= INT32_MIN && v <= INT32_MAX : v >= 0 && v <= 32767;
    default:
        return false;
    }
}

static const char *type_name(const idl_type *t)
{
    if (t == NULL)
        return "nothing";
    if (t->name != NULL && t->kind != IDL_STRUCT && t->kind != IDL_UNION && t->kind != IDL_ENUM)
        return t->name;
    if (t->c_name != NULL)
        return t->c_name;
    return idl_type_kind_name(t->kind);
}

/* ==== C spelling ================================================================================== */

typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->s = realloc(b->s, cap);
        if (b->s == NULL)
            abort();
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_prepend(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    sb_put(b, s, n);
    memmove(b->s + n, b->s, b->len - n);
    memcpy(b->s, s, n);
}

static size_t sb_finish(sbuf *b, char *out, size_t cap)
{
    size_t len = b->len;
    if (cap > 0) {
        size_t n = len < cap - 1 ? len : cap - 1;
        if (n > 0)
            memcpy(out, b->s, n);
        out[n] = '\0';
    }
    free(b->s);
    return len;
}

static void expr_c(sbuf *b, const idl_expr *e, const char *prefix)
{
    switch (e->kind) {
    case IDL_EX_NUM:
    case IDL_EX_CHAR:
    case IDL_EX_STRING:
        sb_str(b, e->text);
        return;
    case IDL_EX_NAME:
        if (e->decl != NULL)
            sb_str(b, prefix);
        sb_str(b, e->name);
        return;
    case IDL_EX_UNARY:
        sb_str(b, idl_op_spelling(e->op));
        if (e->lhs->kind == IDL_EX_UNARY) {
            sb_str(b, "(");
            expr_c(b, e->lhs, prefix);
            sb_str(b, ")");
        } else {
            expr_c(b, e->lhs, prefix);
        }
        return;
    case IDL_EX_BINARY:
        sb_str(b, "(");
        expr_c(b, e->lhs, prefix);
        sb_str(b, " ");
        sb_str(b, idl_op_spelling(e->op));
        sb_str(b, " ");
        expr_c(b, e->rhs, prefix);
        sb_str(b, ")");
        return;
    case IDL_EX_COND:
        sb_str(b, "(");
        expr_c(b, e->cond, prefix);
        sb_str(b, " ? ");
        expr_c(b, e->lhs, prefix);
        sb_str(b, " : ");
        expr_c(b, e->rhs, prefix);
        sb_str(b, ")");
        return;
    }
}

size_t idl_expr_to_c(const idl_expr *e, const char *prefix, char *out, size_t cap)
{
    sbuf b = {0};
    sb_str(&b, "");
    expr_c(&b, e, prefix != NULL ? prefix : "");
    return sb_finish(&b, out, cap);
}

/* Wraps the declarator `inner` (in b) by the type t, C's inside-out way; with IDL's names
 * for base types and typedefs when `idl` is set. */
static void c_decl(sbuf *b, const idl_type *t, bool idl)
{
    for (;;) {
        if (t->kind == IDL_POINTER || t->kind == IDL_CONTEXT_HANDLE) {
            const idl_type *to = t->target;
            if (to->kind == IDL_ARRAY && to->from_pointer)
                to = to->target; /* a sized pointer is a plain C pointer */
            sb_prepend(b, "*");
            if (to->kind == IDL_ARRAY) {
                sb_prepend(b, "(");
                sb_str(b, ")");
            }
            t = to;
        } else if (t->kind == IDL_ARRAY) {
            char n[24];
            sb_str(b, "[");
            if (t->bound != NULL)
                expr_c(b, t->bound, "");
            else if (t->length > 0) {
                snprintf(n, sizeof n, "%u", (unsigned)t->length);
                sb_str(b, n);
            }
            sb_str(b, "]");
            t = t->target;
        } else {
            const char *name = idl && t->name != NULL && t->kind != IDL_STRUCT &&
                                       t->kind != IDL_UNION && t->kind != IDL_ENUM
                                   ? t->name
                               : t->c_name != NULL ? t->c_name
                               : t->kind == IDL_STRUCT ? "struct"
                               : t->kind == IDL_UNION  ? "union" : "enum";
            if (b->len > 0 && name[strlen(name) - 1] != '*')
                sb_prepend(b, " ");
            sb_prepend(b, name);
            return;
        }
    }
}

size_t idl_c_declaration(const idl_type *t, const char *name, char *out, size_t cap)
{
    sbuf b = {0};
    sb_str(&b, name != NULL ? name : "");
    c_decl(&b, t, false);
    return sb_finish(&b, out, cap);
}

size_t idl_idl_declaration(const idl_type *t, const char *name, char *out, size_t cap)
{
    sbuf b = {0};
    sb_str(&b, name != NULL ? name : "");
    c_decl(&b, t, true);
    return sb_finish(&b, out, cap);
}

/* ==== constant expressions ======================================================================== */

static idl_decl *find_decl(idl_decl *list, const char *name)
{
    for (idl_decl *d = list; d != NULL; d = d->next)
        if (d->name != NULL && strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

/* The names of one list of siblings (members, arms or parameters), hashed: a struct with
 * 100000 members costs 100000 steps to check, not 100000 squared. */
typedef struct name_index {
    idl_decl **slots;
    size_t cap; /* a power of two, at least twice the names */
} name_index;

static size_t name_hash(const char *s)
{
    size_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static idl_decl **index_slot(const name_index *ix, const char *name)
{
    size_t i = name_hash(name) & (ix->cap - 1);
    while (ix->slots[i] != NULL && strcmp(ix->slots[i]->name, name) != 0)
        i = (i + 1) & (ix->cap - 1);
    return &ix->slots[i];
}

/* Indexes the named declarations of `list`, reporting each duplicate as a `what`. */
static void index_build(idl_ctx *c, name_index *ix, idl_decl *list, const char *what)
{
    size_t n = 0;
    for (idl_decl *d = list; d != NULL; d = d->next)
        n++;
    ix->cap = 16;
    while (ix->cap < 2 * n)
        ix->cap *= 2;
    ix->slots = calloc(ix->cap, sizeof *ix->slots);
    if (ix->slots == NULL)
        abort();
    for (idl_decl *d = list; d != NULL; d = d->next) {
        if (d->name == NULL)
            continue;
        idl_decl **slot = index_slot(ix, d->name);
        if (*slot != NULL) {
            idl_error(c->diags, d->loc, "duplicate %s '%s'", what, d->name);
            idl_note(c->diags, (*slot)->loc, "previous declaration of '%s' is here", d->name);
            continue;
        }
        *slot = d;
    }
}

static idl_decl *index_find(const name_index *ix, const char *name)
{
    return *index_slot(ix, name);
}

static void index_free(name_index *ix)
{
    free(ix->slots);
    ix->slots = NULL;
}

typedef struct scope {
    const name_index *names; /* the siblings a name can refer to */
    idl_decl *extra;         /* an encapsulated union's discriminant */
    const char *what;        /* "parameter of 'Echo'", "member of 'ustring'" */
} scope;

/* Resolves every name in e: first among the scope's declarations, then the constants.
 * `attr` names the attribute for messages. */
static bool resolve_names(idl_ctx *c, idl_expr *e, const scope *sc, const char *attr)
{
    if (e == NULL)
        return true;
    if (e->kind == IDL_EX_NAME) {
        if (sc != NULL) {
            e->decl = index_find(sc->names, e->name);
            if (e->decl == NULL && sc->extra != NULL && strcmp(sc->extra->name, e->name) == 0)
                e->decl = sc->extra;
            if (e->decl != NULL)
                return true;
        }
        idl_symbol *s = idl_sym_find(c, IDL_SYM_CONST, e->name);
        if (s != NULL) {
            e->constant = s->constant;
            return true;
        }
        if (sc != NULL)
            idl_error(c->diags, e->loc, "[%s] names '%s', which is neither a %s nor a constant",
                      attr, e->name, sc->what);
        else
            idl_error(c->diags, e->loc, "'%s' is not a constant", e->name);
        return false;
    }
    bool ok = resolve_names(c, e->lhs, sc, attr);
    ok = resolve_names(c, e->rhs, sc, attr) && ok;
    return resolve_names(c, e->cond, sc, attr) && ok;
}

static bool overflow(idl_ctx *c, idl_expr *e)
{
    idl_error(c->diags, e->loc, "integer overflow in a constant expression");
    return false;
}

/* Folds the constant parts of e into e->value. False after an error (division by zero,
 * overflow, a string where a number belongs). */
static bool fold(idl_ctx *c, idl_expr *e)
{
    int64_t a, b, r = 0;
    switch (e->kind) {
    case IDL_EX_NUM:
    case IDL_EX_CHAR:
        e->is_constant = true;
        return true;
    case IDL_EX_STRING:
        e->is_constant = false;
        return true;
    case IDL_EX_NAME:
        if (e->constant != NULL && e->constant->evaluated && e->constant->str == NULL) {
            e->is_constant = true;
            e->value = e->constant->value;
        } else if (e->constant != NULL && e->constant->str == NULL) {
            idl_error(c->diags, e->loc, "'%s' is used before its value is known", e->name);
            return false;
        }
        return true;
    case IDL_EX_UNARY:
        if (!fold(c, e->lhs))
            return false;
        if (!e->lhs->is_constant || e->op == IDL_OP_DEREF)
            return true;
        a = e->lhs->value;
        if (e->op == IDL_OP_NEG && __builtin_sub_overflow((int64_t)0, a, &r))
            return overflow(c, e);
        r = e->op == IDL_OP_NEG ? r : e->op == IDL_OP_PLUS ? a : e->op == IDL_OP_NOT ? !a : ~a;
        break;
    case IDL_EX_COND:
        if (!fold(c, e->cond) || !fold(c, e->lhs) || !fold(c, e->rhs))
            return false;
        if (!e->cond->is_constant || !e->lhs->is_constant || !e->rhs->is_constant)
            return true;
        r = e->cond->value ? e->lhs->value : e->rhs->value;
        break;
    case IDL_EX_BINARY:
        if (!fold(c, e->lhs) || !fold(c, e->rhs))
            return false;
        if (e->rhs->is_constant && e->rhs->value == 0 && (e->op == IDL_OP_DIV || e->op == IDL_OP_MOD)) {
            idl_error(c->diags, e->rhs->loc, "division by zero");
            return false;
        }
        if (!e->lhs->is_constant || !e->rhs->is_constant)
            return true;
        a = e->lhs->value;
        b = e->rhs->value;
        switch (e->op) {
        case IDL_OP_ADD:
            if (__builtin_add_overflow(a, b, &r))
                return overflow(c, e);
            break;
        case IDL_OP_SUB:
            if (__builtin_sub_overflow(a, b, &r))
                return overflow(c, e);
            break;
        case IDL_OP_MUL:
            if (__builtin_mul_overflow(a, b, &r))
                return overflow(c, e);
            break;
        case IDL_OP_DIV:
        case IDL_OP_MOD:
            if (a == INT64_MIN && b == -1)
                return overflow(c, e);
            r = e->op == IDL_OP_DIV ? a / b : a % b;
            break;
        case IDL_OP_SHL:
        case IDL_OP_SHR:
            if (b < 0 || b > 62 || a < 0) {
                idl_error(c->diags, e->loc, "shift out of range in a constant expression");
                return false;
            }
            if (e->op == IDL_OP_SHL && a > (INT64_MAX >> b))
                return overflow(c, e);
            r = e->op == IDL_OP_SHL ? a << b : a >> b;
            break;
        case IDL_OP_LT: r = a < b; break;
        case IDL_OP_GT: r = a > b; break;
        case IDL_OP_LE: r = a <= b; break;
        case IDL_OP_GE: r = a >= b; break;
        case IDL_OP_EQ: r = a == b; break;
        case IDL_OP_NE: r = a != b; break;
        case IDL_OP_BITAND: r = a & b; break;
        case IDL_OP_BITXOR: r = a ^ b; break;
        case IDL_OP_BITOR: r = a | b; break;
        case IDL_OP_AND: r = a && b; break;
        case IDL_OP_OR: r = a || b; break;
        default:
            return true;
        }
        break;
    }
    e->is_constant = true;
    e->value = r;
    return true;
}

/* Resolves and folds a constant expression: false, with an error naming `what`, when it is not
 * an integer constant. */
static bool eval_const(idl_ctx *c, idl_expr *e, const char *what)
{
    if (!resolve_names(c, e, NULL, what) || !fold(c, e))
        return false;
    if (!e->is_constant && what != NULL)
        idl_error(c->diags, e->loc, "%s must be an integer constant", what);
    return e->is_constant;
}

/* ==== layout ====================================================================================== */

static uint32_t round_up(uint32_t v, uint32_t align)
{
    return (v + align - 1) / align * align;
}

static uint32_t max32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

static void layout_pointer(idl_type *t)
{
    t->size = sizeof(void *);
    t->align = _Alignof(void *);
    t->wire_size = 4; /* an embedded pointer's referent id; a top-level [ref] sends nothing */
    t->wire_align = 4;
    t->fixed_size = true;
    t->has_pointers = t->kind == IDL_POINTER;
    t->simple = false;
    t->complete = true;
}

/* Layout of an array from its element's; false when it is too large. */
static bool layout_array(idl_ctx *c, idl_type *t, const char *name)
{
    const idl_type *el = t->target;
    /* a[] and every sized pointer's array carry a max_count; a[10] does not, even as [string] */
    t->conformant = t->from_pointer || t->bound == NULL;
    t->varying = t->length_is != NULL || t->first_is != NULL || t->last_is != NULL || t->is_string;
    t->has_pointers = el->has_pointers;
    t->align = el->align;
    t->wire_align = t->varying ? max32(4, el->wire_align) : el->wire_align;
    t->complete = true;
    uint64_t size = t->from_pointer || t->conformant ? 0 : (uint64_t)t->length * el->size;
    if (size > UINT32_MAX / 2) {
        idl_error(c->diags, t->loc, "array '%s' is too large", name != NULL ? name : "");
        return false;
    }
    t->size = (uint32_t)size;
    uint32_t stride = el->fixed_size ? round_up(el->wire_size, el->wire_align) : 0;
    t->fixed_size = !t->conformant && !t->varying && el->fixed_size;
    uint64_t wire = (uint64_t)t->length * stride;
    t->wire_size = t->fixed_size && wire <= UINT32_MAX / 2 ? (uint32_t)wire : IDL_SIZE_VARIES;
    if (t->wire_size == IDL_SIZE_VARIES)
        t->fixed_size = false;
    t->simple = t->fixed_size && el->simple && el->size == stride;
    return true;
}

/* Lays out the declarator's own nodes, innermost first. */
static bool layout_levels(idl_ctx *c, idl_type *t, const char *name)
{
    if (t->kind != IDL_POINTER && t->kind != IDL_ARRAY && t->kind != IDL_CONTEXT_HANDLE)
        return true;
    if (!layout_levels(c, t->target, name))
        return false;
    if (t->kind == IDL_ARRAY)
        return layout_array(c, t, name);
    layout_pointer(t);
    if (t->kind == IDL_CONTEXT_HANDLE) {
        t->wire_size = 20; /* ndr_context_handle: attributes u32 and a uuid */
        t->wire_align = 4;
    }
    return true;
}

static void copy_layout(idl_type *to, const idl_type *from)
{
    to->size = from->size;
    to->align = from->align;
    to->wire_size = from->wire_size;
    to->wire_align = from->wire_align;
    to->fixed_size = from->fixed_size;
    to->conformant = from->conformant;
    to->varying = from->varying;
    to->has_pointers = from->has_pointers;
    to->simple = from->simple;
    to->complete = true;
}

/* ==== attributes ================================================================================== */

typedef enum { ROLE_TYPEDEF, ROLE_MEMBER, ROLE_ARM, ROLE_PARAM, ROLE_INTERFACE, ROLE_ACF } role;

enum { R_TYPEDEF = 1 << ROLE_TYPEDEF, R_MEMBER = 1 << ROLE_MEMBER, R_ARM = 1 << ROLE_ARM,
       R_PARAM = 1 << ROLE_PARAM, R_INTERFACE = 1 << ROLE_INTERFACE, R_ACF = 1 << ROLE_ACF,
       R_DATA = R_TYPEDEF | R_MEMBER | R_ARM | R_PARAM, R_FIELDS = R_MEMBER | R_ARM | R_PARAM };

static const char *const role_names[] = {
    [ROLE_TYPEDEF] = "a typedef",     [ROLE_MEMBER] = "a struct member",
    [ROLE_ARM] = "a union arm",       [ROLE_PARAM] = "a parameter",
    [ROLE_INTERFACE] = "an interface", [ROLE_ACF] = "an ACF interface",
};

/* Where each attribute may stand. */
static unsigned allowed_roles(idl_attr_kind k)
{
    switch (k) {
    case IDL_ATTR_UUID:
    case IDL_ATTR_VERSION:
    case IDL_ATTR_POINTER_DEFAULT:
    case IDL_ATTR_ENDPOINT:
        return R_INTERFACE;
    case IDL_ATTR_IMPLICIT_HANDLE:
    case IDL_ATTR_EXPLICIT_HANDLE:
    case IDL_ATTR_AUTO_HANDLE:
        return R_ACF;
    case IDL_ATTR_IN:
    case IDL_ATTR_OUT:
    case IDL_ATTR_RETVAL:
        return R_PARAM;
    case IDL_ATTR_REF:
    case IDL_ATTR_UNIQUE:
    case IDL_ATTR_PTR:
    case IDL_ATTR_STRING:
        return R_DATA;
    case IDL_ATTR_CONTEXT_HANDLE:
        return R_TYPEDEF | R_PARAM;
    case IDL_ATTR_SIZE_IS:
    case IDL_ATTR_MAX_IS:
    case IDL_ATTR_LENGTH_IS:
    case IDL_ATTR_FIRST_IS:
    case IDL_ATTR_LAST_IS:
    case IDL_ATTR_RANGE:
        return R_FIELDS;
    case IDL_ATTR_SWITCH_IS:
        return R_FIELDS;
    case IDL_ATTR_SWITCH_TYPE:
        return R_TYPEDEF | R_FIELDS;
    case IDL_ATTR_CASE:
    case IDL_ATTR_DEFAULT:
        return R_ARM;
    case IDL_ATTR_V1_ENUM:
        return R_TYPEDEF;
    default:
        return 0;
    }
}

/* Checks where each attribute stands and that none repeats; fills by[kind]. */
static void sort_attrs(idl_ctx *c, idl_attr *list, role r, idl_attr **by)
{
    memset(by, 0, sizeof(idl_attr *) * (IDL_ATTR_UNSUPPORTED + 1));
    idl_attr *ptr_attr = NULL;
    for (idl_attr *a = list; a != NULL; a = a->next) {
        if (!(allowed_roles(a->kind) & (1u << r))) {
            if (a->kind == IDL_ATTR_IMPLICIT_HANDLE || a->kind == IDL_ATTR_EXPLICIT_HANDLE ||
                a->kind == IDL_ATTR_AUTO_HANDLE)
                idl_error(c->diags, a->loc, "[%s] belongs in the ACF", a->name);
            else
                idl_error(c->diags, a->loc, "[%s] is not allowed on %s", a->name, role_names[r]);
            continue;
        }
        if (by[a->kind] != NULL) {
            idl_error(c->diags, a->loc, "[%s] is given twice", a->name);
            continue;
        }
        if (a->kind == IDL_ATTR_REF || a->kind == IDL_ATTR_UNIQUE || a->kind == IDL_ATTR_PTR) {
            if (ptr_attr != NULL) {
                idl_error(c->diags, a->loc, "[%s] conflicts with [%s]: a pointer has one kind",
                          a->name, ptr_attr->name);
                continue;
            }
            ptr_attr = a;
        }
        by[a->kind] = a;
    }
}

static idl_ptr_kind ptr_attr_kind(idl_attr **by)
{
    return by[IDL_ATTR_REF] ? IDL_PTR_REF : by[IDL_ATTR_UNIQUE] ? IDL_PTR_UNIQUE
         : by[IDL_ATTR_PTR] ? IDL_PTR_FULL : IDL_PTR_NONE;
}

static idl_attr *ptr_attr_of(idl_attr **by)
{
    return by[IDL_ATTR_REF] ? by[IDL_ATTR_REF] : by[IDL_ATTR_UNIQUE] ? by[IDL_ATTR_UNIQUE]
                                                                    : by[IDL_ATTR_PTR];
}

/* What an attribute is applied to: a declaration and where it stands. */
typedef struct target {
    idl_decl *d;
    role r;
    const scope *sc;
    idl_interface *iface;
    idl_attr **by;
} target;

/* [context_handle] turns the innermost pointer to void or to a struct into a context handle. */
static void apply_context_handle(idl_ctx *c, target *tg)
{
    idl_type *found = NULL;
    for (idl_type *t = tg->d->type; is_level(t); t = t->target) {
        const idl_type *to = idl_type_resolve(t->target);
        if (t->kind == IDL_POINTER && (to->kind == IDL_VOID || to->kind == IDL_STRUCT))
            found = t;
    }
    if (found == NULL) {
        idl_error(c->diags, tg->by[IDL_ATTR_CONTEXT_HANDLE]->loc,
                  "[context_handle] applies to void * or a pointer to a struct");
        return;
    }
    found->kind = IDL_CONTEXT_HANDLE;
}

/* Pointer kinds: the attribute goes to the first pointer of the declarator; a top-level
 * parameter's first pointer is [ref]; every other pointer takes the interface's default. */
static void apply_pointer_kinds(idl_ctx *c, target *tg)
{
    idl_ptr_kind explicit_kind = ptr_attr_kind(tg->by);
    idl_ptr_kind dflt = tg->iface != NULL ? tg->iface->embedded_default : IDL_PTR_UNIQUE;
    bool first = true;
    unsigned level = 0;
    for (idl_type *t = tg->d->type; is_level(t); t = t->target, level++) {
        if (t->kind != IDL_POINTER)
            continue;
        if (first && explicit_kind != IDL_PTR_NONE) {
            t->ptr_kind = explicit_kind;
            t->ptr_explicit = true;
        } else if (first && level == 0 && tg->r == ROLE_PARAM) {
            t->ptr_kind = IDL_PTR_REF;
        } else {
            t->ptr_kind = dflt;
        }
        first = false;
    }
    /* the declaration's own level 0 */
    idl_type *t0 = tg->d->type;
    if (t0->kind == IDL_POINTER) {
        tg->d->ptr_kind = t0->ptr_kind;
    } else if (t0->kind == IDL_TYPEDEF) {
        const idl_type *r = idl_type_resolve(t0);
        if (r->kind == IDL_POINTER) {
            if (explicit_kind != IDL_PTR_NONE && first)
                tg->d->ptr_kind = explicit_kind;
            else if (tg->r == ROLE_PARAM && !r->ptr_explicit)
                tg->d->ptr_kind = IDL_PTR_REF;
            else
                tg->d->ptr_kind = r->ptr_kind;
            if (explicit_kind != IDL_PTR_NONE && tg->r == ROLE_TYPEDEF) {
                idl_error(c->diags, ptr_attr_of(tg->by)->loc,
                          "[%s] on typedef '%s' must apply to a pointer declared in it",
                          ptr_attr_of(tg->by)->name, tg->d->name);
            }
            first = false;
        }
    }
    if (explicit_kind != IDL_PTR_NONE && first)
        idl_error(c->diags, ptr_attr_of(tg->by)->loc, "[%s] applies to pointers, and '%s' is not one",
                  ptr_attr_of(tg->by)->name, tg->d->name);
}

/* The expression at `level` of a size attribute, or NULL. */
static idl_expr *arg_at(idl_attr *a, unsigned level)
{
    return a != NULL && level < a->nargs ? a->args[level] : NULL;
}

static const idl_attr_kind size_kinds[] = {IDL_ATTR_SIZE_IS, IDL_ATTR_MAX_IS, IDL_ATTR_LENGTH_IS,
                                           IDL_ATTR_FIRST_IS, IDL_ATTR_LAST_IS};

static bool any_size_at(idl_attr **by, unsigned level)
{
    for (size_t i = 0; i < sizeof size_kinds / sizeof size_kinds[0]; i++)
        if (arg_at(by[size_kinds[i]], level) != NULL)
            return true;
    return false;
}

static unsigned size_levels(idl_attr **by, idl_attr **which)
{
    unsigned n = 0;
    for (size_t i = 0; i < sizeof size_kinds / sizeof size_kinds[0]; i++) {
        idl_attr *a = by[size_kinds[i]];
        if (a != NULL && a->nargs > n) {
            n = a->nargs;
            *which = a;
        }
    }
    return n;
}

/* Checks the names of a size or switch expression: each must be an integer of this scope (or
 * a pointer to one under *), and an [in] parameter's sizes must come from [in] parameters. */
static bool check_operands(idl_ctx *c, const target *tg, idl_expr *e, const char *attr, bool deref)
{
    if (e == NULL)
        return true;
    if (e->kind == IDL_EX_NAME && e->decl != NULL) {
        const idl_type *t = idl_type_resolve(e->decl->type);
        if (deref && t != NULL && t->kind == IDL_POINTER)
            t = idl_type_resolve(t->target);
        if (e->decl == tg->d) {
            idl_error(c->diags, e->loc, "[%s] of '%s' names '%s' itself", attr, tg->d->name,
                      e->name);
            return false;
        }
        if (!is_error(e->decl->type) && !idl_type_is_integral(t)) {
            idl_error(c->diags, e->loc, "[%s] uses '%s', which is not an integer%s", attr, e->name,
                      deref ? "" : t != NULL && t->kind == IDL_POINTER ? " (write *" : "");
            return false;
        }
        if (tg->r == ROLE_PARAM && (tg->d->dir & IDL_DIR_IN) && !(e->decl->dir & IDL_DIR_IN)) {
            idl_error(c->diags, e->loc, "[%s] of [in] parameter '%s' uses '%s', which is not [in]",
                      attr, tg->d->name, e->name);
            return false;
        }
        return true;
    }
    if (e->kind == IDL_EX_STRING) {
        idl_error(c->diags, e->loc, "[%s] needs an integer, not a string", attr);
        return false;
    }
    bool d = e->kind == IDL_EX_UNARY && e->op == IDL_OP_DEREF;
    bool ok = check_operands(c, tg, e->lhs, attr, d);
    ok = check_operands(c, tg, e->rhs, attr, false) && ok;
    return check_operands(c, tg, e->cond, attr, false) && ok;
}

/* Resolves, folds and checks one size/switch expression. */
static bool check_expr(idl_ctx *c, const target *tg, idl_expr *e, const char *attr)
{
    if (e == NULL)
        return true;
    if (!resolve_names(c, e, tg->sc, attr) || !fold(c, e))
        return false;
    return check_operands(c, tg, e, attr, false);
}

static void attach_sizes(idl_ctx *c, target *tg, idl_type *arr, unsigned level)
{
    arr->size_is = arg_at(tg->by[IDL_ATTR_SIZE_IS], level);
    arr->max_is = arg_at(tg->by[IDL_ATTR_MAX_IS], level);
    arr->length_is = arg_at(tg->by[IDL_ATTR_LENGTH_IS], level);
    arr->first_is = arg_at(tg->by[IDL_ATTR_FIRST_IS], level);
    arr->last_is = arg_at(tg->by[IDL_ATTR_LAST_IS], level);
    check_expr(c, tg, arr->size_is, "size_is");
    check_expr(c, tg, arr->max_is, "max_is");
    check_expr(c, tg, arr->length_is, "length_is");
    check_expr(c, tg, arr->first_is, "first_is");
    check_expr(c, tg, arr->last_is, "last_is");
    if (arr->size_is != NULL && arr->max_is != NULL)
        idl_error(c->diags, arr->max_is->loc, "give [size_is] or [max_is], not both");
}

/* Sized pointers become pointers to conformant arrays; arrays get their expressions. Level n of
 * a size attribute belongs to the n-th pointer or array of the declarator, outermost first. */
static void apply_sizes(idl_ctx *c, target *tg)
{
    idl_attr *widest = NULL;
    unsigned nlevels = size_levels(tg->by, &widest);
    unsigned level = 0;
    idl_type **slot = &tg->d->type;
    while (is_level(*slot)) {
        idl_type *t = *slot;
        if (t->kind == IDL_POINTER && any_size_at(tg->by, level)) {
            idl_type *arr = idl_new_type(c, IDL_ARRAY, t->loc);
            arr->from_pointer = true;
            arr->target = t->target;
            t->target = arr;
            attach_sizes(c, tg, arr, level);
            if (arr->size_is == NULL && arr->max_is == NULL)
                idl_error(c->diags, widest->loc,
                          "a pointer with [length_is], [first_is] or [last_is] needs [size_is] "
                          "or [max_is] too");
            slot = &arr->target;
        } else if (t->kind == IDL_ARRAY) {
            if (t->bound != NULL && eval_const(c, t->bound, "an array bound")) {
                if (t->bound->value <= 0)
                    idl_error(c->diags, t->bound->loc, "an array bound must be positive");
                else if (t->bound->value > INT32_MAX)
                    idl_error(c->diags, t->bound->loc, "an array bound is too large");
                else
                    t->length = (uint32_t)t->bound->value;
            }
            attach_sizes(c, tg, t, level);
            if (t->bound != NULL && (t->size_is != NULL || t->max_is != NULL))
                idl_error(c->diags, t->loc, "'%s' has a fixed size; [size_is] and [max_is] are "
                                            "for [] arrays and pointers", tg->d->name);
            slot = &t->target;
        } else {
            slot = &t->target;
        }
        level++;
    }
    const char *why = (*slot)->kind == IDL_TYPEDEF ? " (those of a typedef cannot be sized here)" : "";
    if (nlevels > level && level == 0)
        idl_error(c->diags, widest->loc, "[%s] applies to pointers and arrays, and '%s' is "
                                         "neither%s", widest->name, tg->d->name, why);
    else if (nlevels > level)
        idl_error(c->diags, widest->loc, "[%s] gives %u sizes, but '%s' has only %u pointers "
                                         "and arrays%s", widest->name, nlevels, tg->d->name,
                  level, why);
}

/* [string] marks the innermost pointer or array of characters. */
static void apply_string(idl_ctx *c, target *tg)
{
    idl_type *found = NULL;
    for (idl_type *t = tg->d->type; is_level(t); t = t->target) {
        if (t->kind == IDL_POINTER && t->target->kind == IDL_ARRAY && t->target->from_pointer)
            continue; /* the sized array below is the one to mark */
        if ((t->kind == IDL_POINTER || t->kind == IDL_ARRAY) && is_char_type(t->target))
            found = t;
    }
    if (found == NULL) {
        char decl[128];
        idl_idl_declaration(tg->d->type, "", decl, sizeof decl);
        idl_error(c->diags, tg->by[IDL_ATTR_STRING]->loc,
                  "[string] applies to arrays and pointers of char, wchar_t or byte, not %s", decl);
        return;
    }
    if (found->kind == IDL_POINTER) {
        idl_type *arr = idl_new_type(c, IDL_ARRAY, found->loc);
        arr->from_pointer = true;
        arr->target = found->target;
        found->target = arr;
        found = arr;
    }
    found->is_string = true;
}

/* A conformant array needs something that says its size. */
static void check_conformance(idl_ctx *c, target *tg)
{
    for (idl_type *t = tg->d->type; is_level(t); t = t->target) {
        if (t->kind != IDL_ARRAY || t->bound != NULL || t->is_string || t->from_pointer)
            continue;
        if (t->size_is == NULL && t->max_is == NULL)
            idl_error(c->diags, t->loc, "conformant array '%s' needs [size_is] or [max_is]",
                      tg->d->name);
    }
}

/* The union a declaration reaches through pointers and typedefs, or NULL. */
static const idl_type *union_of(const idl_type *t)
{
    for (;;) {
        t = idl_type_resolve(t); /* cached: a typedef chain costs one step */
        if (t == NULL)
            return NULL;
        if (t->kind == IDL_POINTER || (t->kind == IDL_ARRAY && t->from_pointer))
            t = t->target;
        else
            return t->kind == IDL_UNION ? t : NULL;
    }
}

static void check_case_values(idl_ctx *c, const idl_type *u, const idl_type *sw)
{
    for (idl_decl *arm = u->members; arm != NULL; arm = arm->next)
        for (idl_expr *e = arm->cases; e != NULL; e = e->next)
            if (e->is_constant && !fits(e->value, sw))
                idl_error(c->diags, e->loc, "case value %lld does not fit the discriminant type %s",
                          (long long)e->value, type_name(sw));
}

/* switch_is for a non-encapsulated union: required, resolved, and its type known. */
static void apply_switch(idl_ctx *c, target *tg)
{
    idl_attr *sw = tg->by[IDL_ATTR_SWITCH_IS];
    idl_attr *st = tg->by[IDL_ATTR_SWITCH_TYPE];
    const idl_type *u = union_of(tg->d->type);
    bool needs = u != NULL && !u->encapsulated;
    if (!needs) {
        if (sw != NULL)
            idl_error(c->diags, sw->loc, "[switch_is] applies to a union without switch, and '%s' "
                                         "is not one", tg->d->name);
        if (st != NULL && tg->r != ROLE_TYPEDEF)
            idl_error(c->diags, st->loc, "[switch_type] applies to a union without switch");
        return;
    }
    if (tg->r == ROLE_TYPEDEF)
        return; /* the use says which arm */
    if (sw == NULL) {
        idl_error(c->diags, tg->d->loc, "'%s' is a union without switch (%s) and needs "
                                        "[switch_is(...)] to say which arm is sent",
                  tg->d->name, type_name(u));
        return;
    }
    if (sw->nargs != 1 || sw->args[0] == NULL) {
        idl_error(c->diags, sw->loc, "[switch_is] takes one expression");
        return;
    }
    idl_expr *e = sw->args[0];
    if (!check_expr(c, tg, e, "switch_is"))
        return;
    tg->d->switch_is = e;
    const idl_type *ty = u->switch_type;
    if (st != NULL && st->type_arg != NULL) {
        if (ty != NULL && idl_type_resolve(ty) != idl_type_resolve(st->type_arg))
            idl_error(c->diags, st->loc, "[switch_type(%s)] contradicts the union's %s",
                      type_name(st->type_arg), type_name(ty));
        ty = st->type_arg;
    }
    if (ty == NULL) {
        const idl_expr *n = e->kind == IDL_EX_UNARY && e->op == IDL_OP_DEREF ? e->lhs : e;
        if (n->kind == IDL_EX_NAME && n->decl != NULL) {
            ty = idl_type_resolve(n->decl->type);
            if (n != e && ty->kind == IDL_POINTER)
                ty = ty->target;
        } else {
            ty = idl_builtin(c, IDL_B_LONG);
        }
    }
    if (!is_switch_type(ty)) {
        idl_error(c->diags, e->loc, "a union switches on small, short, long, char, boolean or "
                                    "an enum, not %s", type_name(ty));
        return;
    }
    tg->d->switch_type = ty;
    if (u->switch_type == NULL)
        check_case_values(c, u, ty);
}

static void apply_range(idl_ctx *c, target *tg)
{
    idl_attr *a = tg->by[IDL_ATTR_RANGE];
    if (a->nargs != 2 || a->args[0] == NULL || a->args[1] == NULL) {
        idl_error(c->diags, a->loc, "[range] takes two constants: range(low, high)");
        return;
    }
    if (!eval_const(c, a->args[0], "a range bound") || !eval_const(c, a->args[1], "a range bound"))
        return;
    if (!idl_type_is_integral(tg->d->type)) {
        idl_error(c->diags, a->loc, "[range] applies to integers");
        return;
    }
    tg->d->has_range = true;
    tg->d->range_lo = a->args[0]->value;
    tg->d->range_hi = a->args[1]->value;
    if (tg->d->range_lo > tg->d->range_hi)
        idl_error(c->diags, a->loc, "[range] has its low bound above its high bound");
}

/* What may be sent: no void, no handle_t or context handle except where they belong. Walks only
 * the declarator's own levels and what its named type resolves to; named types were checked
 * where they were declared. A pointer to a struct not defined yet waits for the end. */
static void check_sendable(idl_ctx *c, target *tg)
{
    idl_decl *d = tg->d;
    unsigned level = 0;
    for (idl_type *t = d->type; t != NULL; t = t->target, level++) {
        const idl_type *r = idl_type_resolve(t);
        if (r == NULL || is_error(t))
            return;
        if (r->kind == IDL_VOID && level > 0) {
            /* MIDL accepts such a typedef; only sending one is an error */
            if (tg->r == ROLE_TYPEDEF)
                idl_warning(c->diags, d->loc, "'%s' points to void: no call can send it", d->name);
            else
                idl_error(c->diags, d->loc, "'%s' points to void: rpcidl cannot send untyped "
                                            "memory (a context handle is [context_handle] void *)",
                          d->name);
            return;
        }
        if (r->kind == IDL_CONTEXT_HANDLE) {
            if (!(tg->r == ROLE_PARAM && level <= 1) && !(tg->r == ROLE_TYPEDEF && level == 0))
                idl_error(c->diags, d->loc, "a context handle can only be a parameter or what a "
                                            "parameter points to ('%s')", d->name);
            return;
        }
        if (r->kind == IDL_HANDLE && (level > 0 || tg->r == ROLE_MEMBER || tg->r == ROLE_ARM)) {
            idl_error(c->diags, d->loc, "handle_t is a binding, not data: it can only be a "
                                        "parameter by value ('%s')", d->name);
            return;
        }
        if ((r->kind == IDL_STRUCT || r->kind == IDL_UNION) && !r->complete) {
            if (level == 0 && tg->r != ROLE_TYPEDEF) {
                idl_error(c->diags, d->loc, "'%s' has incomplete type %s", d->name, type_name(r));
            } else {
                idl_pending *p = idl_alloc(c->arena, sizeof *p);
                p->type = r;
                p->loc = d->loc;
                p->name = d->name;
                *c->pending_tail = p;
                c->pending_tail = &p->next;
            }
            return;
        }
        if (t->kind == IDL_TYPEDEF && r->kind == IDL_POINTER && tg->r != ROLE_TYPEDEF) {
            const idl_type *to = idl_type_resolve(r->target);
            if (to->kind == IDL_VOID)
                idl_error(c->diags, d->loc, "'%s' is %s, a pointer to void: rpcidl cannot send "
                                            "untyped memory", d->name, type_name(t));
            return;
        }
        if (!is_level(t))
            return;
    }
}

/* Applies the sorted attributes to the declaration's type, in the order they depend on each
 * other, then lays out the declarator's own pointers and arrays. */
static void apply_attrs(idl_ctx *c, target *tg)
{
    idl_decl *d = tg->d;
    if (d->type == NULL || is_error(d->type))
        return;
    if (tg->by[IDL_ATTR_CONTEXT_HANDLE])
        apply_context_handle(c, tg);
    apply_pointer_kinds(c, tg);
    apply_sizes(c, tg);
    if (tg->by[IDL_ATTR_STRING])
        apply_string(c, tg);
    check_conformance(c, tg);
    apply_switch(c, tg);
    if (tg->by[IDL_ATTR_RANGE])
        apply_range(c, tg);
    d->retval = tg->by[IDL_ATTR_RETVAL] != NULL;
    check_sendable(c, tg);
    layout_levels(c, d->type, d->name);
}

static void apply_decl(idl_ctx *c, idl_decl *d, role r, const scope *sc, idl_interface *iface)
{
    idl_attr *by[IDL_ATTR_UNSUPPORTED + 1];
    sort_attrs(c, d->attrs, r, by);
    target tg = {d, r, sc, iface, by};
    apply_attrs(c, &tg);
}

/* ==== declarations ================================================================================ */

/* Is this member a conformant array or a struct that ends in one? */
static bool is_conformant_member(const idl_type *t)
{
    const idl_type *r = idl_type_resolve(t);
    return r != NULL && r->conformant && !(r->kind == IDL_ARRAY && r->from_pointer);
}

void idl_check_struct(idl_ctx *c, idl_type *s, idl_interface *iface)
{
    char what[300];
    if (s->c_name != NULL)
        snprintf(what, sizeof what, "member of '%s'", s->c_name);
    else
        snprintf(what, sizeof what, "member of this struct");
    name_index names;
    index_build(c, &names, s->members, "member");
    scope sc = {&names, NULL, what};
    if (s->members == NULL)
        idl_error(c->diags, s->loc, "a struct needs at least one member");

    uint32_t off = 0, align = 1, woff = 0, walign = 1;
    bool wire_known = true, simple = true;
    for (idl_decl *m = s->members; m != NULL; m = m->next) {
        apply_decl(c, m, ROLE_MEMBER, &sc, iface);
        const idl_type *t = m->type;
        const idl_type *r = idl_type_resolve(t);
        if (is_error(t))
            continue;
        if (r->kind == IDL_VOID)
            idl_error(c->diags, m->loc, "member '%s' has type void", m->name);
        if (is_conformant_member(t) && m->next != NULL)
            idl_error(c->diags, m->loc, "conformant member '%s' must be the last member", m->name);
        off = round_up(off, t->align);
        m->offset = off;
        off += t->size;
        align = max32(align, t->align);
        walign = max32(walign, t->wire_align);
        if (wire_known) {
            woff = round_up(woff, t->wire_align);
            m->wire_offset = woff;
            if (t->fixed_size)
                woff += t->wire_size;
            else
                wire_known = false;
        } else {
            m->wire_offset = IDL_SIZE_VARIES;
        }
        simple = simple && t->simple && m->wire_offset == m->offset;
        s->has_pointers |= t->has_pointers;
        s->varying |= t->varying;
        s->conformant = is_conformant_member(t);
    }
    s->size = round_up(off, align);
    s->align = align;
    s->wire_align = walign;
    s->fixed_size = wire_known;
    s->wire_size = wire_known ? woff : IDL_SIZE_VARIES;
    s->simple = simple && wire_known && walign == align && round_up(woff, walign) == s->size;
    s->complete = true;
    index_free(&names);
}

typedef struct case_entry {
    const idl_expr *e;
    size_t order; /* position in the source */
} case_entry;

static int by_value_then_order(const void *a, const void *b)
{
    const case_entry *x = a, *y = b;
    if (x->e->value != y->e->value)
        return x->e->value < y->e->value ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Reports every case value given twice, in source order, sorting rather than comparing each
 * label with every other. */
static void check_duplicate_cases(idl_ctx *c, const idl_type *u)
{
    size_t n = 0;
    for (const idl_decl *arm = u->members; arm != NULL; arm = arm->next)
        for (const idl_expr *e = arm->cases; e != NULL; e = e->next)
            n += e->is_constant;
    if (n < 2)
        return;
    case_entry *v = malloc(n * sizeof *v);
    const idl_expr **first = calloc(n, sizeof *first);
    if (v == NULL || first == NULL)
        abort();
    size_t k = 0;
    for (const idl_decl *arm = u->members; arm != NULL; arm = arm->next)
        for (const idl_expr *e = arm->cases; e != NULL; e = e->next)
            if (e->is_constant) {
                v[k].e = e;
                v[k].order = k;
                k++;
            }
    qsort(v, n, sizeof *v, by_value_then_order);
    for (size_t i = 1; i < n; i++)
        if (v[i].e->value == v[i - 1].e->value)
            first[v[i].order] = first[v[i - 1].order] != NULL ? first[v[i - 1].order] : v[i - 1].e;
    k = 0;
    for (const idl_decl *arm = u->members; arm != NULL; arm = arm->next)
        for (const idl_expr *e = arm->cases; e != NULL; e = e->next) {
            if (!e->is_constant)
                continue;
            if (first[k] != NULL) {
                idl_error(c->diags, e->loc, "duplicate case value %lld", (long long)e->value);
                idl_note(c->diags, first[k]->loc, "the first is here");
            }
            k++;
        }
    free(first);
    free(v);
}

void idl_check_union(idl_ctx *c, idl_type *u, idl_interface *iface)
{
    char what[300];
    if (u->c_name != NULL)
        snprintf(what, sizeof what, "arm of '%s'", u->c_name);
    else
        snprintf(what, sizeof what, "arm of this union");
    name_index names;
    index_build(c, &names, u->members, "arm");
    scope sc = {&names, u->discriminant, what};
    if (u->discriminant != NULL) {
        idl_decl *k = u->discriminant;
        if (!is_error(k->type) && !is_switch_type(k->type))
            idl_error(c->diags, k->loc, "a union switches on small, short, long, char, boolean or "
                                        "an enum, not %s", type_name(k->type));
        if (index_find(&names, k->name) != NULL)
            idl_error(c->diags, k->loc, "the discriminant '%s' has the name of an arm", k->name);
    }
    if (u->switch_type != NULL && !is_error(u->switch_type) && !is_switch_type(u->switch_type))
        idl_error(c->diags, u->loc, "a union switches on small, short, long, char, boolean or "
                                    "an enum, not %s", type_name(u->switch_type));

    uint32_t size = 0, align = 1, walign = 1;
    for (idl_decl *arm = u->members; arm != NULL; arm = arm->next) {
        apply_decl(c, arm, ROLE_ARM, &sc, iface);
        for (idl_attr *a = arm->attrs; a != NULL; a = a->next) {
            if (a->kind == IDL_ATTR_DEFAULT)
                arm->is_default = true;
            if (a->kind == IDL_ATTR_CASE) {
                idl_expr **tail = &arm->cases;
                while (*tail != NULL)
                    tail = &(*tail)->next;
                for (uint32_t i = 0; i < a->nargs; i++) {
                    if (a->args[i] == NULL)
                        continue;
                    *tail = a->args[i];
                    tail = &a->args[i]->next;
                    arm->ncases++;
                }
            }
        }
        if (u->encapsulated && arm->attrs != NULL)
            for (idl_attr *a = arm->attrs; a != NULL; a = a->next)
                if (a->kind == IDL_ATTR_CASE || a->kind == IDL_ATTR_DEFAULT)
                    idl_error(c->diags, a->loc, "a union with switch labels its arms with case, "
                                                "not [%s]", a->name);
        if (!arm->is_default && arm->ncases == 0)
            idl_error(c->diags, arm->loc, "a union arm needs [case(...)] or [default]");
        for (idl_expr *e = arm->cases; e != NULL; e = e->next)
            eval_const(c, e, "a case value");
        if (arm->is_default) {
            if (u->default_arm != NULL) {
                idl_error(c->diags, arm->loc, "a union can have only one default arm");
                idl_note(c->diags, u->default_arm->loc, "the first default arm is here");
            }
            u->default_arm = arm;
        }
        if (arm->type == NULL || is_error(arm->type))
            continue;
        const idl_type *t = arm->type, *r = idl_type_resolve(t);
        if (r->kind == IDL_VOID)
            idl_error(c->diags, arm->loc, "arm '%s' has type void (an empty arm is written ';')",
                      arm->name);
        if (is_conformant_member(t))
            idl_error(c->diags, arm->loc, "a union arm cannot be a conformant array or struct");
        size = max32(size, t->size);
        align = max32(align, t->align);
        walign = max32(walign, t->wire_align);
        u->has_pointers |= t->has_pointers;
    }
    check_duplicate_cases(c, u);
    const idl_type *sw = u->discriminant != NULL ? u->discriminant->type : u->switch_type;
    if (sw != NULL && is_switch_type(sw))
        check_case_values(c, u, sw);

    size = round_up(size, align);
    if (u->encapsulated && u->discriminant != NULL) {
        /* C: struct { discriminant; union {...} arm_name; } */
        const idl_type *k = u->discriminant->type;
        uint32_t at = round_up(k->size, align);
        align = max32(align, k->align);
        size = round_up(at + size, align);
        walign = max32(walign, k->wire_align);
    }
    u->size = size;
    u->align = align;
    u->wire_align = walign;
    u->wire_size = IDL_SIZE_VARIES; /* it depends on the arm */
    u->fixed_size = false;
    u->simple = false;
    u->complete = true;
    index_free(&names);
}

void idl_check_enum(idl_ctx *c, idl_type *e)
{
    int64_t next_value = 0;
    for (idl_const *k = e->enumerators; k != NULL; k = k->next) {
        if (k->expr != NULL) {
            if (!eval_const(c, k->expr, "an enumerator's value")) {
                k->evaluated = true;
                continue;
            }
            k->value = k->expr->value;
        } else {
            k->value = next_value;
        }
        k->evaluated = true;
        if (!fits(k->value, e)) {
            idl_loc at = k->expr != NULL ? k->expr->loc : k->loc;
            if (e->v1_enum)
                idl_error(c->diags, at, "enumerator %s = %lld does not fit 32 bits", k->name,
                          (long long)k->value);
            else
                idl_error(c->diags, at, "enumerator %s = %lld is outside 0..32767: NDR sends enums "
                                        "in 16 bits unless the typedef says [v1_enum]",
                          k->name, (long long)k->value);
        }
        next_value = k->value < INT64_MAX ? k->value + 1 : k->value;
    }
    if (e->enumerators == NULL)
        idl_error(c->diags, e->loc, "an enum needs at least one enumerator");
    e->size = sizeof(int); /* a C enum */
    e->align = _Alignof(int);
    e->wire_size = e->wire_align = e->v1_enum ? 4 : 2;
    e->fixed_size = true;
    e->simple = e->v1_enum && e->size == 4 && e->align == 4;
    e->complete = true;
}

void idl_check_const(idl_ctx *c, idl_const *k)
{
    if (!resolve_names(c, k->expr, NULL, "const") || !fold(c, k->expr)) {
        k->evaluated = true;
        return;
    }
    k->evaluated = true;
    idl_expr *e = k->expr;
    if (k->kind == IDL_CONST_DEFINE) {
        if (e->kind == IDL_EX_STRING) {
            k->str = e->str;
            k->str_len = e->str_len;
            k->str_text = e->text;
        } else if (e->is_constant) {
            k->value = e->value;
        } else {
            idl_error(c->diags, e->loc, "#define %s needs a constant value", k->name);
        }
        return;
    }
    if (is_error(k->type))
        return;
    const idl_type *t = idl_type_resolve(k->type);
    if (t->kind == IDL_POINTER) {
        const idl_type *to = idl_type_resolve(t->target);
        bool wide = to->kind == IDL_WCHAR;
        if (to->kind != IDL_CHAR && !wide) {
            idl_error(c->diags, k->loc, "a pointer constant must be a char * or wchar_t * string");
            return;
        }
        if (e->kind != IDL_EX_STRING || e->wide != wide) {
            idl_error(c->diags, e->loc, "%s needs a %s string", k->name,
                      wide ? "wide (L\"...\")" : "narrow (\"...\")");
            return;
        }
        k->kind = IDL_CONST_STRING;
        k->str = e->str;
        k->str_len = e->str_len;
        k->str_text = e->text;
        return;
    }
    if (!idl_type_is_integral(t)) {
        idl_error(c->diags, k->loc, "a constant must be an integer, a character, a boolean or a "
                                    "string, not %s", type_name(k->type));
        return;
    }
    if (!e->is_constant) {
        idl_error(c->diags, e->loc, "the value of %s must be a constant", k->name);
        return;
    }
    k->value = e->value;
    if (!fits(k->value, t))
        idl_error(c->diags, e->loc, "%lld does not fit %s", (long long)k->value, type_name(k->type));
}

void idl_check_typedef(idl_ctx *c, idl_type *td, idl_attr *attrs, idl_interface *iface)
{
    idl_decl d = {.name = td->name, .loc = td->loc, .type = td->target, .attrs = attrs};
    idl_attr *by[IDL_ATTR_UNSUPPORTED + 1];
    sort_attrs(c, attrs, ROLE_TYPEDEF, by);
    const idl_type *body = td->body;
    if (by[IDL_ATTR_V1_ENUM] && (body == NULL || body->kind != IDL_ENUM || td->target != body))
        idl_error(c->diags, by[IDL_ATTR_V1_ENUM]->loc,
                  "[v1_enum] belongs on the typedef that writes the enum's body");
    if (by[IDL_ATTR_SWITCH_TYPE] &&
        (body == NULL || body->kind != IDL_UNION || body->encapsulated || td->target != body))
        idl_error(c->diags, by[IDL_ATTR_SWITCH_TYPE]->loc,
                  "[switch_type] belongs on the typedef that writes the body of a union without "
                  "switch");
    target tg = {&d, ROLE_TYPEDEF, NULL, iface, by};
    apply_attrs(c, &tg);
    td->target = d.type;
    td->resolved = idl_type_resolve(td->target);
    td->is_error = is_error(td->target);
    td->context_handle = td->target->kind == IDL_CONTEXT_HANDLE;
    copy_layout(td, td->target);
}

/* ==== operations and interfaces =================================================================== */

static bool is_context_handle_use(const idl_type *t)
{
    const idl_type *r = idl_type_resolve(t);
    if (r != NULL && r->kind == IDL_POINTER)
        r = idl_type_resolve(r->target);
    return r != NULL && r->kind == IDL_CONTEXT_HANDLE;
}

static void check_param(idl_ctx *c, idl_decl *d)
{
    const idl_type *r = idl_type_resolve(d->type);
    if (r == NULL || is_error(d->type))
        return;
    if (r->kind == IDL_VOID) {
        idl_error(c->diags, d->loc, "parameter '%s' has type void", d->name);
        return;
    }
    if (r->kind == IDL_HANDLE) {
        if (d->index != 0)
            idl_error(c->diags, d->loc, "handle_t parameter '%s' must be the first parameter: it "
                                        "binds the call", d->name);
        if (d->dir != IDL_DIR_IN)
            idl_error(c->diags, d->loc, "handle_t parameter '%s' must be [in] only", d->name);
        return;
    }
    if (r->kind == IDL_CONTEXT_HANDLE && (d->dir & IDL_DIR_OUT)) {
        idl_error(c->diags, d->loc, "[out] context handle '%s' must be passed by pointer (%s *%s)",
                  d->name, type_name(d->type), d->name);
        return;
    }
    if (d->dir & IDL_DIR_OUT) {
        if (r->kind != IDL_POINTER && r->kind != IDL_ARRAY) {
            idl_error(c->diags, d->loc, "[out] parameter '%s' must be a pointer or an array: the "
                                        "value comes back through it", d->name);
            return;
        }
        if (d->dir == IDL_DIR_OUT && r->kind == IDL_POINTER && d->ptr_kind != IDL_PTR_REF) {
            idl_error(c->diags, d->loc, "[out]-only parameter '%s' cannot be [%s]: the server "
                                        "cannot tell whether to allocate it (use [ref] or "
                                        "[in, out])", d->name, idl_ptr_kind_name(d->ptr_kind));
            return;
        }
        const idl_type *arr = r->kind == IDL_POINTER ? r->target : r;
        if (d->dir == IDL_DIR_OUT && arr->kind == IDL_ARRAY && arr->is_string &&
            arr->size_is == NULL && arr->max_is == NULL && arr->length == 0)
            idl_error(c->diags, d->loc, "[out]-only [string] parameter '%s' needs [size_is] so "
                                        "the server knows how much to allocate", d->name);
    }
    if (d->retval && (d->dir != IDL_DIR_OUT || d->next != NULL))
        idl_error(c->diags, d->loc, "[retval] belongs on the last parameter, an [out] one");
}

void idl_check_operation(idl_ctx *c, idl_operation *op)
{
    char what[300];
    snprintf(what, sizeof what, "parameter of '%s'", op->name);
    name_index names;
    index_build(c, &names, op->params, "parameter");
    scope sc = {&names, NULL, what};
    for (idl_attr *a = op->attrs; a != NULL; a = a->next)
        idl_error(c->diags, a->loc, "[%s] is not allowed on an operation", a->name);
    /* directions first: size expressions check them */
    for (idl_decl *d = op->params; d != NULL; d = d->next) {
        for (idl_attr *a = d->attrs; a != NULL; a = a->next)
            d->dir |= a->kind == IDL_ATTR_IN ? IDL_DIR_IN : a->kind == IDL_ATTR_OUT ? IDL_DIR_OUT : 0;
        if (d->dir == 0)
            d->dir = IDL_DIR_IN;
    }
    for (idl_decl *d = op->params; d != NULL; d = d->next) {
        apply_decl(c, d, ROLE_PARAM, &sc, op->iface);
        check_param(c, d);
    }
    index_free(&names);
    const idl_type *r = idl_type_resolve(op->ret);
    if (r == NULL || is_error(op->ret))
        return;
    if (r->kind == IDL_POINTER)
        idl_error(c->diags, op->loc, "rpcidl does not support returning a pointer from '%s': "
                                     "return it through an [out] parameter", op->name);
    else if (r->kind == IDL_HANDLE)
        idl_error(c->diags, op->loc, "'%s' cannot return handle_t", op->name);
    else if (r->kind == IDL_UNION && !r->encapsulated)
        idl_error(c->diags, op->loc, "'%s' cannot return a union without switch: nothing would "
                                     "say which arm", op->name);
    else if (r->conformant)
        idl_error(c->diags, op->loc, "'%s' cannot return a conformant type", op->name);
    else if ((r->kind == IDL_STRUCT || r->kind == IDL_UNION) && !r->complete)
        idl_error(c->diags, op->loc, "'%s' returns incomplete type %s", op->name, type_name(r));
}

/* version = major | major "." minor, each 0..65535 */
static void check_version(idl_ctx *c, idl_interface *iface, idl_attr *a)
{
    const char *s = a->text;
    unsigned long major = 0, minor = 0;
    char *end;
    major = strtoul(s, &end, 10);
    if (*end == '.')
        minor = strtoul(end + 1, &end, 10);
    if (*end != '\0' || major > 65535 || minor > 65535 || s[0] == '.' || strchr(s, '.') == s) {
        idl_error(c->diags, a->loc, "bad version '%s': expected major.minor, each 0..65535", s);
        return;
    }
    iface->ver_major = (uint16_t)major;
    iface->ver_minor = (uint16_t)minor;
}

/* endpoint = protseq ":" "[" name? "]" */
static bool good_endpoint(const char *s)
{
    const char *colon = strchr(s, ':');
    if (colon == NULL || colon == s || colon[1] != '[' || s[strlen(s) - 1] != ']')
        return false;
    for (const char *q = s; q < colon; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_'))
            return false;
    return true;
}

void idl_check_interface_attrs(idl_ctx *c, idl_interface *iface)
{
    idl_attr *by[IDL_ATTR_UNSUPPORTED + 1];
    sort_attrs(c, iface->attrs, ROLE_INTERFACE, by);
    if (by[IDL_ATTR_UUID] == NULL)
        idl_error(c->diags, iface->loc, "interface '%s' has no [uuid]", iface->name);
    if (by[IDL_ATTR_VERSION] != NULL)
        check_version(c, iface, by[IDL_ATTR_VERSION]);
    idl_attr *pd = by[IDL_ATTR_POINTER_DEFAULT];
    if (pd != NULL) {
        iface->pointer_default = strcmp(pd->text, "ref") == 0      ? IDL_PTR_REF
                               : strcmp(pd->text, "unique") == 0 ? IDL_PTR_UNIQUE
                               : strcmp(pd->text, "ptr") == 0    ? IDL_PTR_FULL
                                                                 : IDL_PTR_NONE;
        if (iface->pointer_default == IDL_PTR_NONE)
            idl_error(c->diags, pd->loc, "pointer_default is ref, unique or ptr, not '%s'",
                      pd->text);
    }
    iface->embedded_default =
        iface->pointer_default != IDL_PTR_NONE ? iface->pointer_default : IDL_PTR_UNIQUE;
    idl_attr *ep = by[IDL_ATTR_ENDPOINT];
    idl_endpoint **tail = &iface->endpoints;
    for (uint32_t i = 0; ep != NULL && i < ep->nargs; i++) {
        idl_expr *s = ep->args[i];
        if (!good_endpoint(s->str)) {
            idl_error(c->diags, s->loc, "endpoint \"%s\" is not of the form protseq:[endpoint]",
                      s->str);
            continue;
        }
        idl_endpoint *e = idl_alloc(c->arena, sizeof *e);
        e->text = s->str;
        e->loc = s->loc;
        *tail = e;
        tail = &e->next;
    }
    size_t n = strlen(iface->name) + sizeof "_IfHandle";
    char *h = idl_alloc(c->arena, n);
    snprintf(h, n, "%s_IfHandle", iface->name);
    iface->implicit_handle = h;
    iface->handle_mode = IDL_HANDLES_IMPLICIT;
}

void idl_apply_acf_interface(idl_ctx *c, idl_interface *iface, idl_attr *attrs)
{
    iface->has_acf = true;
    idl_attr *implicit = NULL, *explicit_ = NULL;
    for (idl_attr *a = attrs; a != NULL; a = a->next) {
        switch (a->kind) {
        case IDL_ATTR_IMPLICIT_HANDLE:
            implicit = a;
            if (idl_type_resolve(a->type_arg)->kind != IDL_HANDLE) {
                idl_error(c->diags, a->loc, "rpcidl supports [implicit_handle] only with handle_t, "
                                            "not %s (generic handles need user bind routines)",
                          type_name(a->type_arg));
                break;
            }
            iface->implicit_handle = a->text;
            iface->implicit_handle_from_acf = true;
            break;
        case IDL_ATTR_EXPLICIT_HANDLE:
            explicit_ = a;
            iface->handle_mode = IDL_HANDLES_EXPLICIT;
            break;
        case IDL_ATTR_AUTO_HANDLE:
            idl_error(c->diags, a->loc, "rpcidl does not support [auto_handle]: it needs a name "
                                        "service to find a server; use [implicit_handle(handle_t "
                                        "NAME)] or [explicit_handle]");
            break;
        default:
            idl_error(c->diags, a->loc, "rpcidl does not support [%s] in an ACF", a->name);
            break;
        }
    }
    if (implicit != NULL && explicit_ != NULL)
        idl_error(c->diags, explicit_->loc, "give [implicit_handle] or [explicit_handle], not both");
}

/* Which parameter binds each call; [explicit_handle] adds handle_t IDL_handle where needed. */
static void bind_operation(idl_ctx *c, idl_interface *iface, idl_operation *op)
{
    idl_decl *first = op->params;
    if (first != NULL && idl_type_resolve(first->type)->kind == IDL_HANDLE) {
        op->binding = IDL_BIND_EXPLICIT;
        op->binding_param = first;
        first->is_binding = true;
        return;
    }
    for (idl_decl *d = op->params; d != NULL; d = d->next) {
        if ((d->dir & IDL_DIR_IN) && is_context_handle_use(d->type)) {
            op->binding = IDL_BIND_CONTEXT;
            op->binding_param = d;
            d->is_binding = true;
            return;
        }
    }
    if (iface->handle_mode == IDL_HANDLES_EXPLICIT) {
        idl_decl *h = idl_alloc(c->arena, sizeof *h);
        h->name = "IDL_handle";
        h->loc = op->loc;
        h->loc.len = 0;
        h->type = idl_builtin(c, IDL_B_HANDLE);
        h->dir = IDL_DIR_IN;
        h->synthetic = true;
        h->is_binding = true;
        h->next = op->params;
        for (idl_decl *d = op->params; d != NULL; d = d->next)
            d->index++;
        op->params = h;
        op->nparams++;
        op->binding = IDL_BIND_EXPLICIT;
        op->binding_param = h;
        return;
    }
    op->binding = IDL_BIND_IMPLICIT;
}

void idl_check_finish(idl_ctx *c)
{
    for (idl_pending *p = c->pending; p != NULL; p = p->next)
        if (!p->type->complete)
            idl_error(c->diags, p->loc, "'%s' points to %s, which is never defined", p->name,
                      type_name(p->type));
    for (idl_file *f = c->files; f != NULL; f = f->next)
        for (idl_interface *iface = f->interfaces; iface != NULL; iface = iface->next)
            for (idl_operation *op = iface->ops; op != NULL; op = op->next)
                bind_operation(c, iface, op);
}

/* ==== lookups ===================================================================================== */

idl_interface *idl_find_interface(const idl_file *f, const char *name)
{
    for (idl_interface *i = f->interfaces; i != NULL; i = i->next)
        if (strcmp(i->name, name) == 0)
            return i;
    return NULL;
}

idl_operation *idl_find_operation(const idl_interface *iface, const char *name)
{
    for (idl_operation *op = iface->ops; op != NULL; op = op->next)
        if (strcmp(op->name, name) == 0)
            return op;
    return NULL;
}

idl_decl *idl_find_param(const idl_operation *op, const char *name)
{
    return find_decl(op->params, name);
}

idl_decl *idl_find_member(const idl_type *t, const char *name)
{
    const idl_type *r = idl_type_resolve(t);
    return r != NULL ? find_decl(r->members, name) : NULL;
}

static idl_type *find_type_in(idl_item *items, const char *name)
{
    for (idl_item *it = items; it != NULL; it = it->next) {
        if (it->kind == IDL_ITEM_INTERFACE) {
            idl_type *t = find_type_in(it->iface->items, name);
            if (t != NULL)
                return t;
        }
        if (it->type == NULL)
            continue;
        if (it->kind == IDL_ITEM_TYPEDEF && strcmp(it->type->name, name) == 0)
            return it->type;
        if (it->type->c_name != NULL && strcmp(it->type->c_name, name) == 0)
            return it->type;
        if (it->kind == IDL_ITEM_TYPEDEF && it->type->body != NULL &&
            it->type->body->c_name != NULL && it->type->body->name != NULL &&
            strcmp(it->type->body->c_name, name) == 0)
            return it->type->body;
    }
    return NULL;
}

idl_type *idl_find_type(const idl_file *root, const char *name)
{
    for (const idl_file *f = root->all_files; f != NULL; f = f->next) {
        idl_type *t = find_type_in(f->items, name);
        if (t != NULL)
            return t;
    }
    return NULL;
}

static idl_const *find_const_in(idl_item *items, const char *name)
{
    for (idl_item *it = items; it != NULL; it = it->next) {
        if (it->kind == IDL_ITEM_INTERFACE) {
            idl_const *k = find_const_in(it->iface->items, name);
            if (k != NULL)
                return k;
        }
        if (it->kind == IDL_ITEM_CONST && strcmp(it->constant->name, name) == 0)
            return it->constant;
        const idl_type *body = it->type == NULL ? NULL : it->kind == IDL_ITEM_TYPE ? it->type
                                                                                   : it->type->body;
        if (body != NULL && body->kind == IDL_ENUM)
            for (idl_const *k = body->enumerators; k != NULL; k = k->next)
                if (strcmp(k->name, name) == 0)
                    return k;
    }
    return NULL;
}

idl_const *idl_find_const(const idl_file *root, const char *name)
{
    for (const idl_file *f = root->all_files; f != NULL; f = f->next) {
        idl_const *k = find_const_in(f->items, name);
        if (k != NULL)
            return k;
    }
    return NULL;
}
