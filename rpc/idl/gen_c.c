/* gen_c.c -- rpcidl's back end: writes NAME.h, NAME_c.c and NAME_s.c from the checked model.
 *
 * The front end (parse.c, types.c) has already resolved every name, pointer kind, size
 * expression and layout; this file only decides how to say it in C. Students read its output, so
 * the output is written the way a careful person would write it by hand:
 *
 *   - one straight-line NDR call per field, each naming the field for the trace and the
 *     inspector, each run only while nothing has failed (`if (st == RS_OK) st = ...;`): every exit
 *     is visible, no macro returns behind the reader's back;
 *   - a comment wherever an NDR rule (C706 chapter 14) decides what happens: "conformant array:
 *     max_count first", "embedded pointer: referent id now, the referent after the whole
 *     parameter", "union: discriminant, then the arm aligned to its own type";
 *   - per-type static functions (conform_put_mixed, conform_get_mixed) for structures, unions
 *     and enums, and only those each file uses: the client puts [in] data and gets [out] data,
 *     the server the reverse, so -Wunused-function never fires;
 *   - on decoding, every count that arrived is compared with what the IDL says it must be
 *     (size_is, length_is, switch_is) before the procedure or the caller sees the data.
 *
 * Shape of the generator: a `frame` is one C function being written (its locals, its body, the
 * checks that wait for the end); the emit_* functions write the NDR calls of one value into a
 * frame; the need_* functions return the name of a static helper function, writing it the first
 * time it is needed (callees are finished before their callers, so they come first in the file;
 * only a recursive type needs a forward declaration). Unsupported constructs are reported once,
 * with their place, as errors; the output is then discarded.
 *
 * Four decisions a reader of the output will meet:
 *   - A pointer callback gets only the referent (rs_ndr_put_fn). The referent of a sized pointer
 *     needs counts the structure around it holds, so its callback is handed the address of the
 *     pointer member and finds the structure with offsetof() (conform_put_ustring_Buffer).
 *   - A top-level [ref] pointer has no wire form, so its referent is marshalled in place, under
 *     the parameter's name; the client checks every [ref] parameter for NULL before anything
 *     reads through one (a size such as length_is(*len) may).
 *   - The client decodes [out] values into locals (arrays: straight into the caller's array, whose
 *     room the [in] sizes give) and copies them to the caller only once the whole response was
 *     read: a failed call leaves the caller's memory zero, never pointing into freed blocks.
 *   - A context handle (typedef [context_handle] void *CTX) keeps MIDL's one C type for both
 *     sides: in a client it points to the runtime's handle object (client.h), in the server it is
 *     the procedure's own pointer, which the runtime keeps under the UUID that travels (server.h).
 *     The stubs only call the runtime's rs_client_*_context_handle() and
 *     rs_server_*_context_handle(): the 20 bytes, the binding, the registry and the rundown are
 *     its business. An [in, out] handle stays the caller's when a call fails.
 *
 * Not supported yet, each refused with an error naming it: [ptr] pointers to strings, arrays,
 * conformant structures or unions without switch; top-level [unique]/[ptr] sized pointers and
 * [out] [unique] parameters; [out] strings without [size_is]; [out] arrays sized by [out]-only
 * parameters; [out] conformant structures; conformant structures nested in structures; arrays of
 * arrays of non-primitives; anonymous structures that need a function; [unique] or [ptr]
 * pointers to context handles.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "idl.h"

/* Generated lines are broken before this column where they can be. */
#define LINE_WIDTH 100

/* ==== text buffers ============================================================================ */

typedef struct sb {
    char *s;
    size_t len, cap;
} sb;

static void sb_put(sb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (p == NULL)
            abort();
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(sb *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_vprintf(sb *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        abort();
    char *tmp = malloc((size_t)n + 1);
    if (tmp == NULL)
        abort();
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    sb_put(b, tmp, (size_t)n);
    free(tmp);
}

__attribute__((format(printf, 2, 3))) static void sb_printf(sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

static const char *sb_text(const sb *b)
{
    return b->s != NULL ? b->s : "";
}

static void sb_free(sb *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

/* ==== the generator's state =================================================================== */

/* A static function of the .c file being written. */
typedef struct fn {
    char *name;
    char *proto;  /* "static rs_status conform_put_mixed(rs_ndr *ndr, ...)", without ';' */
    char *text;   /* the whole definition, its comment first */
    bool done;    /* finished (until then a use from inside it is recursion) */
    bool forward; /* used before it was finished: needs a declaration at the top */
} fn;

typedef struct gen {
    const idl_file *file;
    idl_diags *diags;
    const char *base;     /* "conform": prefixes every generated name */
    const char *idl_name; /* "conform.idl" */
    unsigned errors;
    char **pool; /* strings made while generating, freed at the end */
    size_t npool, cappool;
    char **reported; /* errors already given, so each is given once */
    size_t nreported, capreported;
    const char **globals; /* every name the IDL declares at file scope in C: types, constants,
                             enumerators, procedures, bindings */
    size_t nglobals, capglobals;
    bool server; /* writing NAME_s.c (else NAME_c.c) */
    bool ms;     /* rpcidl --ms: Microsoft's API names and midl_user_free() (idl_gen_options) */
    fn **fns;    /* its static functions, in the order they were finished */
    size_t nfns, capfns;
    sb contexts;               /* NAME_s.c: the context handle types its stubs use */
    const char **context_vars; /* their variables' names, each written once */
    size_t ncontext_vars, capcontext_vars;
} gen;

static void grow(void **p, size_t *cap, size_t want, size_t elem)
{
    if (want <= *cap)
        return;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < want)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (q == NULL)
        abort();
    *p = q;
    *cap = n;
}

static const char *keep(gen *g, char *s)
{
    grow((void **)&g->pool, &g->cappool, g->npool + 1, sizeof *g->pool);
    g->pool[g->npool++] = s;
    return s;
}

__attribute__((format(printf, 2, 3))) static const char *fmt(gen *g, const char *f, ...)
{
    sb b = {0};
    va_list ap;
    va_start(ap, f);
    sb_vprintf(&b, f, ap);
    va_end(ap);
    if (b.s == NULL)
        sb_str(&b, "");
    return keep(g, b.s);
}

/* Reports that the generator cannot write something (yet), once per place and message. */
__attribute__((format(printf, 3, 4))) static void unsupported(gen *g, idl_loc at, const char *f,
                                                              ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, f);
    vsnprintf(msg, sizeof msg, f, ap);
    va_end(ap);
    g->errors++;
    const char *key = fmt(g, "%p:%u:%s", (const void *)at.src, (unsigned)at.offset, msg);
    for (size_t i = 0; i < g->nreported; i++)
        if (strcmp(g->reported[i], key) == 0)
            return;
    grow((void **)&g->reported, &g->capreported, g->nreported + 1, sizeof *g->reported);
    g->reported[g->nreported++] = (char *)key;
    idl_error(g->diags, at, "%s", msg);
}

/* ==== names the generated code chooses ===========================================================
 * The helper functions' own names (ndr, name, obj, v, st, ...) are written in the templates below
 * as $ndr, $name, ...; when a file is complete, each becomes the plain name, or the name with '_'
 * appended when the IDL declares something global by that name (a typedef `value` would be
 * shadowed by a local `value`, which -Wshadow refuses). */

static const char *const internal_names[] = {"ndr",   "name",         "obj", "v",      "p", "slot",
                                             "mem",   "value",        "st",  "context",
                                             "discriminant"};

static bool is_global(const gen *g, const char *n, size_t len);
static const idl_type *res(const idl_type *t);

static bool is_global(const gen *g, const char *n, size_t len)
{
    for (size_t i = 0; i < g->nglobals; i++)
        if (strlen(g->globals[i]) == len && strncmp(g->globals[i], n, len) == 0)
            return true;
    return false;
}

static void add_global(gen *g, const char *n)
{
    if (n == NULL)
        return;
    grow((void **)&g->globals, &g->capglobals, g->nglobals + 1, sizeof *g->globals);
    g->globals[g->nglobals++] = n;
}

/* The file-scope names of every file of the parse (imports too: their headers are included). */
static void collect_globals(gen *g)
{
    for (const idl_file *f = g->file->all_files; f != NULL; f = f->next) {
        for (const idl_item *it = f->items; it != NULL; it = it->next) {
            const idl_item *list = it->kind == IDL_ITEM_INTERFACE ? it->iface->items : it;
            if (it->kind == IDL_ITEM_INTERFACE) {
                add_global(g, it->iface->implicit_handle);
                add_global(g, it->iface->name);
            }
            for (const idl_item *j = list; j != NULL; j = j->next) {
                if (j->kind == IDL_ITEM_TYPEDEF)
                    add_global(g, j->type->name);
                if (j->kind == IDL_ITEM_CONST)
                    add_global(g, j->constant->name);
                if (j->kind == IDL_ITEM_OPERATION)
                    add_global(g, j->op->name);
                if ((j->kind == IDL_ITEM_TYPEDEF || j->kind == IDL_ITEM_TYPE) && j->type != NULL) {
                    const idl_type *r = res(j->type);
                    if (r != NULL && r->kind == IDL_ENUM)
                        for (const idl_const *k = r->enumerators; k != NULL; k = k->next)
                            add_global(g, k->name);
                }
                if (it->kind != IDL_ITEM_INTERFACE)
                    break;
            }
        }
    }
}

/* Replaces each $NAME of the list above in `text` by the name the file uses for it. */
static char *resolve_names(const gen *g, const char *text)
{
    sb out = {0};
    sb_str(&out, "");
    for (const char *p = text; *p;) {
        if (*p == '$') {
            size_t len = 0;
            while (p[1 + len] == '_' || (p[1 + len] >= 'a' && p[1 + len] <= 'z'))
                len++;
            bool known = false;
            for (size_t i = 0; i < sizeof internal_names / sizeof internal_names[0]; i++)
                known |=
                    strlen(internal_names[i]) == len && strncmp(internal_names[i], p + 1, len) == 0;
            if (known) {
                sb_put(&out, p + 1, len);
                char name[64];
                snprintf(name, sizeof name, "%.*s", (int)len, p + 1);
                while (is_global(g, name, strlen(name)) && strlen(name) + 2 < sizeof name) {
                    strcat(name, "_");
                    sb_str(&out, "_");
                }
                p += 1 + len;
                continue;
            }
        }
        sb_put(&out, p, 1);
        p++;
    }
    return out.s;
}

/* ==== C and IDL spellings ===================================================================== */

static const idl_type *res(const idl_type *t)
{
    return idl_type_resolve(t);
}

static const char *c_decl(gen *g, const idl_type *t, const char *name)
{
    size_t n = idl_c_declaration(t, name, NULL, 0);
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    idl_c_declaration(t, name, s, n + 1);
    return keep(g, s);
}

/* The abstract C type: "int32_t", "mixed *", "uint16_t *". */
static const char *c_type(gen *g, const idl_type *t)
{
    return c_decl(g, t, "");
}

static const char *idl_decl_text(gen *g, const idl_type *t, const char *name)
{
    size_t n = idl_idl_declaration(t, name, NULL, 0);
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    idl_idl_declaration(t, name, s, n + 1);
    return keep(g, s);
}

/* An expression in C: siblings named with `prefix` ("v->" in a structure, "" for parameters). */
static const char *expr_c(gen *g, const idl_expr *e, const char *prefix)
{
    size_t n = idl_expr_to_c(e, prefix, NULL, 0);
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    idl_expr_to_c(e, prefix, s, n + 1);
    return keep(g, s);
}

/* As the IDL writes it, for comments and messages: "MaximumLength / 2" (no outer parentheses). */
static const char *expr_idl(gen *g, const idl_expr *e)
{
    const char *s = expr_c(g, e, "");
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '(' && s[n - 1] == ')') {
        int depth = 0;
        bool outer = true;
        for (size_t i = 0; i < n - 1; i++) {
            depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
            if (depth == 0) {
                outer = false;
                break;
            }
        }
        if (outer)
            return fmt(g, "%.*s", (int)(n - 2), s + 1);
    }
    return s;
}

/* `s` in parentheses, unless it is a name, a number, or in parentheses already. */
static const char *paren(gen *g, const char *s)
{
    bool simple = true;
    for (const char *p = s; *p; p++)
        if (!(*p == '_' || *p == '$' || *p == '>' || *p == '-' || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.'))
            simple = false;
    if (simple && s[0] != '-')
        return s;
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '(' && s[n - 1] == ')') {
        int depth = 0;
        size_t i = 0;
        for (; i < n; i++) {
            depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
            if (depth == 0)
                break;
        }
        if (i == n - 1)
            return s;
    }
    return fmt(g, "(%s)", s);
}

/* A C string literal of `s` (which holds no quote or backslash: names and expressions). */
static const char *q(gen *g, const char *s)
{
    return fmt(g, "\"%s\"", s);
}

/* "[in, out, size_is(n)] long *v": a parameter or member as the IDL declares it. */
static const char *decl_idl(gen *g, const idl_decl *d)
{
    sb b = {0};
    if (d->attrs != NULL) {
        sb_str(&b, "[");
        for (const idl_attr *a = d->attrs; a != NULL; a = a->next) {
            sb_str(&b, a->name);
            if (a->type_arg != NULL) {
                sb_printf(&b, "(%s)", idl_decl_text(g, a->type_arg, ""));
            } else if (a->nargs > 0) {
                sb_str(&b, "(");
                for (uint32_t i = 0; i < a->nargs; i++)
                    sb_printf(&b, "%s%s", i > 0 ? ", " : "",
                              a->args[i] != NULL ? expr_idl(g, a->args[i]) : "");
                sb_str(&b, ")");
            }
            sb_str(&b, a->next != NULL ? ", " : "] ");
        }
    }
    sb_str(&b, idl_decl_text(g, d->type, d->name));
    return keep(g, b.s);
}

/* The attribute of a size: "size_is(MaximumLength / 2)". */
static const char *attr_text(gen *g, const char *attr, const idl_expr *e)
{
    return fmt(g, "%s(%s)", attr, expr_idl(g, e));
}

/* `&lv`, written without "&*": "&v->a", "m" for "*m". */
static const char *addr_of(gen *g, const char *lv)
{
    if (lv[0] == '*') {
        bool ident = lv[1] != '\0';
        for (const char *p = lv + 1; *p; p++)
            if (!(*p == '_' || *p == '$' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9')))
                ident = false;
        if (ident)
            return lv + 1;
    }
    return fmt(g, "&%s", lv);
}

/* ---- NDR primitives ---- */

typedef struct prim {
    const char *fn;  /* rs_ndr_put_<fn> / rs_ndr_get_<fn> */
    const char *k;   /* the rs_ndr_prim constant */
    const char *idl; /* for comments */
} prim;

/* The NDR primitive of a resolved base type; false for anything else (enums included: they have
 * functions of their own). */
static bool prim_of(const idl_type *r, prim *p)
{
    bool u = r->is_unsigned;
    switch (r->kind) {
    case IDL_BOOLEAN: *p = (prim){"boolean", "RS_NDR_BOOLEAN", "boolean"}; return true;
    case IDL_BYTE: *p = (prim){"byte", "RS_NDR_BYTE", "byte"}; return true;
    case IDL_CHAR: *p = (prim){"char", "RS_NDR_CHAR", "char"}; return true;
    case IDL_WCHAR: *p = (prim){"wchar", "RS_NDR_WCHAR", "wchar_t"}; return true;
    case IDL_SMALL:
        *p = u ? (prim){"usmall", "RS_NDR_USMALL", "unsigned small"}
               : (prim){"small", "RS_NDR_SMALL", "small"};
        return true;
    case IDL_SHORT:
        *p = u ? (prim){"ushort", "RS_NDR_USHORT", "unsigned short"}
               : (prim){"short", "RS_NDR_SHORT", "short"};
        return true;
    case IDL_LONG:
        *p = u ? (prim){"ulong", "RS_NDR_ULONG", "unsigned long"}
               : (prim){"long", "RS_NDR_LONG", "long"};
        return true;
    case IDL_HYPER:
        *p = u ? (prim){"uhyper", "RS_NDR_UHYPER", "unsigned hyper"}
               : (prim){"hyper", "RS_NDR_HYPER", "hyper"};
        return true;
    case IDL_FLOAT: *p = (prim){"float", "RS_NDR_FLOAT", "float"}; return true;
    case IDL_DOUBLE: *p = (prim){"double", "RS_NDR_DOUBLE", "double"}; return true;
    case IDL_ERROR_STATUS:
        *p = (prim){"error_status", "RS_NDR_ERROR_STATUS", "error_status_t"};
        return true;
    default: return false;
    }
}

static bool is_prim(const idl_type *t)
{
    prim p;
    return t != NULL && prim_of(res(t), &p);
}

/* char is the NDR calls' C type; unsigned char and signed char need a cast to it. */
static bool needs_char_cast(const idl_type *r)
{
    return r->kind == IDL_CHAR && r->c_name != NULL && strcmp(r->c_name, "char") != 0;
}

/* The discriminant primitive of a switch type (an integer, char, boolean or enum). */
static bool switch_prim(const idl_type *t, prim *p)
{
    const idl_type *r = res(t);
    if (r->kind == IDL_ENUM) {
        *p = r->v1_enum ? (prim){"v1_enum", "RS_NDR_V1_ENUM", "[v1_enum] enum"}
                        : (prim){"enum", "RS_NDR_ENUM", "enum"};
        return true;
    }
    return prim_of(r, p) && r->kind != IDL_FLOAT && r->kind != IDL_DOUBLE && r->kind != IDL_WCHAR &&
           r->kind != IDL_ERROR_STATUS;
}

/* What generated code calls a structure, union or enum: the name of a typedef that names it
 * directly ("point" for typedef struct point {...} point), else its C name ("struct node").
 * NULL for an anonymous one nobody names. */
static const char *type_name(gen *g, const idl_type *r)
{
    for (const idl_file *f = g->file->all_files; f != NULL; f = f->next) {
        for (const idl_item *it = f->items; it != NULL; it = it->next) {
            const idl_item *list = it->kind == IDL_ITEM_INTERFACE ? it->iface->items : it;
            for (const idl_item *j = list; j != NULL; j = j->next) {
                if (j->kind == IDL_ITEM_TYPEDEF && j->type->target == r)
                    return j->type->name;
                if (it->kind != IDL_ITEM_INTERFACE)
                    break;
            }
        }
    }
    return r->c_name;
}

/* "a" or "an", as English says it before `word` (by its first letter: good enough here). */
static const char *article(const char *word)
{
    return word != NULL && strchr("aeiouAEIOU", word[0]) != NULL ? "an" : "a";
}

/* How the functions of a structure, union or enum are named: "mixed", "struct_node". */
static const char *type_key(gen *g, const idl_type *r)
{
    const char *n = type_name(g, r);
    if (n == NULL)
        return NULL;
    char *s = (char *)fmt(g, "%s", n);
    for (char *p = s; *p; p++)
        if (*p == ' ')
            *p = '_';
    return s;
}

/* A pointer node's array of elements when it is a sized pointer or a [string] pointer. */
static const idl_type *pointee_array(const idl_type *ptr)
{
    const idl_type *to = ptr->target;
    return to != NULL && to->kind == IDL_ARRAY && to->from_pointer ? to : NULL;
}

static bool is_wchar_array(const idl_type *arr)
{
    return res(arr->target)->kind == IDL_WCHAR;
}

static bool array_conformant(const idl_type *a)
{
    return a->size_is != NULL || a->max_is != NULL || (a->length == 0 && a->bound == NULL);
}

static bool array_varying(const idl_type *a)
{
    return a->length_is != NULL || a->first_is != NULL || a->last_is != NULL || a->is_string;
}

/* Does the expression name a sibling (a member or parameter), as opposed to constants only? */
static bool expr_names_decl(const idl_expr *e)
{
    if (e == NULL)
        return false;
    if (e->kind == IDL_EX_NAME && e->decl != NULL)
        return true;
    return expr_names_decl(e->lhs) || expr_names_decl(e->rhs) || expr_names_decl(e->cond);
}

/* Does the expression name a parameter that is not [in]? */
static const idl_decl *expr_out_only(const idl_expr *e)
{
    if (e == NULL)
        return NULL;
    if (e->kind == IDL_EX_NAME && e->decl != NULL && e->decl->dir != 0 &&
        !(e->decl->dir & IDL_DIR_IN))
        return e->decl;
    const idl_decl *d = expr_out_only(e->lhs);
    if (d == NULL)
        d = expr_out_only(e->rhs);
    if (d == NULL)
        d = expr_out_only(e->cond);
    return d;
}

/* Does anything reachable from t (not through typedef'd names already checked) hold a context
 * handle? Checked before generating, with a clear message. */
static bool has_context_handle(const idl_type *t, int depth)
{
    if (t == NULL || depth > IDL_MAX_DEPTH)
        return false;
    if (t->kind == IDL_CONTEXT_HANDLE || (t->kind == IDL_TYPEDEF && t->context_handle))
        return true;
    if (t->kind == IDL_TYPEDEF || t->kind == IDL_POINTER || t->kind == IDL_ARRAY)
        return has_context_handle(t->target, depth + 1);
    if (t->kind == IDL_STRUCT || t->kind == IDL_UNION)
        for (const idl_decl *m = t->members; m != NULL; m = m->next)
            if (has_context_handle(m->type, depth + 1))
                return true;
    return false;
}

/* ==== frames: one C function being written ==================================================== */

typedef struct frame {
    gen *g;
    sb locals;          /* declarations, at the top */
    sb body;            /* statements */
    sb checks;          /* decoding: comparisons that wait until every field is read */
    const char *ndr;    /* the stream, in C: "ndr", "&call.ndr", "&call->in" */
    const char *call;   /* a stub's call, in C: "call" (client: an rs_client_call; server: a
                           pointer to the rs_server_call); NULL in the per-type functions */
    const char *st;     /* the status variable: "st" */
    bool get;           /* decoding */
    bool server;        /* a server stub or what it calls (only changes wording) */
    const char *prefix; /* how a size expression names a sibling: "v->" or "" */
    int indent;         /* spaces before a statement */
    bool st_declared;
    bool known_ok;      /* the status is known to be RS_OK here: the next call need not test it */
    bool exact;         /* declaring the parameters themselves: their names are already taken */
    const char **names; /* every name taken in the function */
    size_t nnames, capnames;
} frame;

static void frame_init(frame *fr, gen *g, const char *ndr, bool get, const char *prefix)
{
    memset(fr, 0, sizeof *fr);
    fr->g = g;
    fr->ndr = ndr;
    fr->get = get;
    fr->server = g->server;
    fr->prefix = prefix;
    fr->st = "st";
    fr->indent = 4;
    /* the IDL's global names are taken: a local must not shadow them */
    grow((void **)&fr->names, &fr->capnames, g->nglobals, sizeof *fr->names);
    for (size_t i = 0; i < g->nglobals; i++)
        fr->names[fr->nnames++] = g->globals[i];
}

static void frame_free(frame *fr)
{
    sb_free(&fr->locals);
    sb_free(&fr->body);
    sb_free(&fr->checks);
    free(fr->names);
}

static bool name_taken(const frame *fr, const char *n)
{
    for (size_t i = 0; i < fr->nnames; i++)
        if (strcmp(fr->names[i], n) == 0)
            return true;
    return false;
}

static void reserve(frame *fr, const char *n)
{
    grow((void **)&fr->names, &fr->capnames, fr->nnames + 1, sizeof *fr->names);
    fr->names[fr->nnames++] = n;
}

/* `want`, or want_ (want__, ...) when a parameter or another local has that name. */
static const char *unique_name(frame *fr, const char *want)
{
    const char *n = want;
    while (name_taken(fr, n))
        n = fmt(fr->g, "%s_", n);
    reserve(fr, n);
    return n;
}

/* Declares a local at the top of the function: "    uint32_t v_size = 0;". `ctype` is a C
 * type ("uint32_t", "mixed *") or, with a NULL name template, a whole declaration. */
static const char *local(frame *fr, const char *ctype, const char *want, const char *init)
{
    const char *n = unique_name(fr, want);
    size_t len = strlen(ctype);
    const char *sep = len > 0 && ctype[len - 1] == '*' ? "" : " ";
    if (init != NULL)
        sb_printf(&fr->locals, "    %s%s%s = %s;\n", ctype, sep, n, init);
    else
        sb_printf(&fr->locals, "    %s%s%s;\n", ctype, sep, n);
    return n;
}

/* Declares a local whose C declaration wraps its name ("int32_t a[10]", "int32_t *v"). */
static const char *local_decl(frame *fr, const idl_type *t, const char *want, const char *init)
{
    const char *n = fr->exact ? want : unique_name(fr, want);
    sb_printf(&fr->locals, "    %s", c_decl(fr->g, t, n));
    if (init != NULL)
        sb_printf(&fr->locals, " = %s", init);
    sb_str(&fr->locals, ";\n");
    return n;
}

/* Writes `text` at `indent`, broken after a ", " (outside string literals) where it would pass
 * LINE_WIDTH; continuation lines line up after the first '('. A string literal that still does
 * not fit is split at a space into two adjacent literals, which C joins again. */
static void put_wrapped(sb *out, int indent, const char *text)
{
    /* widths count what the reader will see: a '$' (an internal name's mark, see resolve_names())
     * takes no column */
    size_t len = 0;
    for (const char *c = text; *c; c++)
        len += *c != '$';
    if ((size_t)indent + len <= LINE_WIDTH) {
        sb_printf(out, "%*s%s\n", indent, "", text);
        return;
    }
    /* continuation lines start just after the first '(' */
    const char *open = strchr(text, '(');
    int cont = indent + 4;
    if (open != NULL) {
        cont = indent;
        for (const char *c = text; c <= open; c++)
            cont += *c != '$';
    }
    if (cont > LINE_WIDTH / 2)
        cont = indent + 8;
    sb rest = {0};
    sb_str(&rest, text);
    int col = indent;
    while (rest.len > 0) {
        const char *p = rest.s;
        size_t room = (size_t)(LINE_WIDTH - col);
        size_t n = rest.len, vis_total = 0;
        for (size_t i = 0; i < n; i++)
            vis_total += p[i] != '$';
        size_t cut = n;
        bool split_string = false;
        if (vis_total > room) {
            /* the longest piece that fits, ending just after a ", " outside a string */
            bool in_str = false, seen_str = false;
            size_t best = 0, str_start = 0, str_end = 0, vis = 0, room_at;
            for (size_t i = 0; i < n; i++) {
                vis += p[i] != '$';
                if (p[i] == '"' && (i == 0 || p[i - 1] != '\\')) {
                    in_str = !in_str;
                    if (in_str)
                        str_start = i;
                    else
                        str_end = i;
                    seen_str = true;
                }
                if (vis > room) {
                    room_at = i; /* the first character that does not fit */
                    if (best == 0 && seen_str) {
                        /* no break fits: split the literal at its last space that does */
                        size_t from = in_str || str_end + 1 >= room_at ? room_at - 2 : str_end - 1;
                        for (size_t j = from; j > str_start + 1; j--) {
                            if (p[j] == ' ') {
                                best = j + 1;
                                split_string = true;
                                break;
                            }
                        }
                    }
                    if (best == 0) /* nothing fits: the first break after all */
                        for (size_t j = i; j + 1 < n && best == 0; j++)
                            if (p[j] == ',' && p[j + 1] == ' ')
                                best = j + 1;
                    break;
                }
                if (!in_str && p[i] == ',' && p[i + 1] == ' ')
                    best = i + 1;
            }
            if (best > 0)
                cut = best;
        }
        sb_printf(out, "%*s%.*s%s\n", col, "", (int)cut, p, split_string ? "\"" : "");
        sb next = {0};
        const char *q2 = p + cut;
        while (!split_string && *q2 == ' ')
            q2++;
        if (split_string)
            sb_str(&next, "\"");
        sb_str(&next, q2);
        sb_free(&rest);
        rest = next;
        if (rest.s == NULL)
            break;
        col = cont;
    }
    sb_free(&rest);
}

__attribute__((format(printf, 2, 3))) static void line(frame *fr, const char *f, ...)
{
    sb b = {0};
    va_list ap;
    va_start(ap, f);
    sb_vprintf(&b, f, ap);
    va_end(ap);
    put_wrapped(&fr->body, fr->indent, sb_text(&b));
    sb_free(&b);
}

static void blank(frame *fr)
{
    if (fr->body.len > 0 &&
        !(fr->body.len >= 2 && fr->body.s[fr->body.len - 2] == '\n' &&
          fr->body.s[fr->body.len - 1] == '\n') &&
        fr->body.s[fr->body.len - 2] != '{')
        sb_str(&fr->body, "\n");
}

/* A comment at `indent`, its words wrapped at LINE_WIDTH: one line "/ * text * /" when it fits,
 * else a block. */
static void put_comment(sb *out, int indent, const char *text)
{
    size_t len = strlen(text);
    if ((size_t)indent + len + 6 <= LINE_WIDTH) {
        sb_printf(out, "%*s/* %s */\n", indent, "", text);
        return;
    }
    size_t room = (size_t)(LINE_WIDTH - indent - 3); /* after the opening or a " * " */
    const char *p = text;
    bool first = true;
    while (*p) {
        size_t rest = strlen(p);
        bool last = rest + 3 <= room; /* the rest and its closing fit on this line */
        size_t cut = rest;
        if (!last) {
            /* break at the last space that fits; if the rest would then fit this line but not
             * its closing, break earlier so the closing has a line to share */
            size_t limit = rest <= room ? room - 3 : room;
            cut = 0;
            for (size_t i = 0; i < rest && i <= limit; i++)
                if (p[i] == ' ')
                    cut = i;
            if (cut == 0)
                cut = rest;
        }
        sb_printf(out, "%*s%s%.*s%s\n", indent, "", first ? "/* " : " * ", (int)cut, p,
                  last ? " */" : "");
        if (!last && p[cut] == '\0')
            sb_printf(out, "%*s */\n", indent, "");
        p += cut;
        while (*p == ' ')
            p++;
        first = false;
    }
}

/* The first lines of a file's opening comment: `text` wrapped at LINE_WIDTH, the comment left
 * open for the lines that follow. */
static void put_opening(sb *out, const char *text)
{
    const char *p = text;
    bool first = true;
    while (*p) {
        size_t room = LINE_WIDTH - 3, rest = strlen(p), cut = rest;
        if (rest > room) {
            cut = 0;
            for (size_t i = 0; i <= room; i++)
                if (p[i] == ' ')
                    cut = i;
        }
        sb_printf(out, "%s%.*s\n", first ? "/* " : " * ", (int)cut, p);
        p += cut;
        while (*p == ' ')
            p++;
        first = false;
    }
}

__attribute__((format(printf, 2, 3))) static void comment(frame *fr, const char *f, ...)
{
    sb b = {0};
    va_list ap;
    va_start(ap, f);
    sb_vprintf(&b, f, ap);
    va_end(ap);
    put_comment(&fr->body, fr->indent, sb_text(&b));
    sb_free(&b);
}

/* A call whose status the function keeps, run only while nothing has failed:
 *     if (st == RS_OK)
 *         st = CALL;
 * The function's first one declares the status instead: rs_status st = CALL; */
__attribute__((format(printf, 2, 3))) static void call(frame *fr, const char *f, ...)
{
    sb b = {0};
    va_list ap;
    va_start(ap, f);
    sb_vprintf(&b, f, ap);
    va_end(ap);
    if (!fr->st_declared) {
        put_wrapped(&fr->body, fr->indent, fmt(fr->g, "rs_status %s = %s;", fr->st, sb_text(&b)));
        fr->st_declared = true;
    } else if (fr->known_ok) {
        put_wrapped(&fr->body, fr->indent, fmt(fr->g, "%s = %s;", fr->st, sb_text(&b)));
    } else {
        sb_printf(&fr->body, "%*sif (%s == RS_OK)\n", fr->indent, "", fr->st);
        put_wrapped(&fr->body, fr->indent + 4, fmt(fr->g, "%s = %s;", fr->st, sb_text(&b)));
    }
    fr->known_ok = false;
    sb_free(&b);
}

/* A call that runs whatever happened before, its status kept (it returns an earlier failure
 * itself): a server's context handle, which the registry must learn of even when the call fails.
 *     st = CALL;
 * The function's first one declares the status instead. */
__attribute__((format(printf, 2, 3))) static void call_always(frame *fr, const char *f, ...)
{
    sb b = {0};
    va_list ap;
    va_start(ap, f);
    sb_vprintf(&b, f, ap);
    va_end(ap);
    put_wrapped(&fr->body, fr->indent,
                fmt(fr->g, "%s%s = %s;", fr->st_declared ? "" : "rs_status ", fr->st, sb_text(&b)));
    fr->st_declared = true;
    fr->known_ok = false;
    sb_free(&b);
}

/* Makes sure the status variable exists before a statement that is not a call. */
static void need_st(frame *fr)
{
    if (!fr->st_declared) {
        line(fr, "rs_status %s = RS_OK;", fr->st);
        fr->st_declared = true;
    }
}

/* A check that fails the stream with a sentence:
 *     if (st == RS_OK && COND)
 *         st = rs_ndr_fail(ndr, STATUS, "ndr: ...", ...);
 * written into `out` (the body, or the checks that wait for the end). */
static void check_into(frame *fr, sb *out, const char *cond, const char *status, const char *msg)
{
    sb_printf(out, "%*sif (%s == RS_OK && %s)\n", fr->indent, "", fr->st, cond);
    sb b = {0};
    put_wrapped(&b, fr->indent + 4,
                fmt(fr->g, "%s = rs_ndr_fail(%s, %s, %s);", fr->st, fr->ndr, status, msg));
    sb_str(out, sb_text(&b));
    sb_free(&b);
}

static void check_now(frame *fr, const char *cond, const char *status, const char *msg)
{
    need_st(fr);
    check_into(fr, &fr->body, cond, status, msg);
}

static void check_later(frame *fr, const char *cond, const char *msg)
{
    check_into(fr, &fr->checks, cond, "RS_ERR_NDR", msg);
}

/* A count that arrived must equal what the IDL says:
 *     "ndr: v: max_count 5 differs from size_is(n) = 4" */
static void check_count(frame *fr, sb *out, const char *var, const char *label, const char *expr,
                        const char *attr, const char *base)
{
    gen *g = fr->g;
    const char *e = paren(g, expr);
    check_into(fr, out, fmt(g, "(int64_t)%s != (int64_t)%s", var, e), "RS_ERR_NDR",
               fmt(g,
                   "\"ndr: %s: %s %%lu differs from %s = %%lld\", (unsigned long)%s, "
                   "(long long)%s",
                   base, label, attr, var, e));
}

/* Writes the checks that waited, under a comment. */
static void flush_checks(frame *fr, const char *why)
{
    if (fr->checks.len == 0)
        return;
    need_st(fr);
    blank(fr);
    comment(fr, "%s", why);
    sb_str(&fr->body, sb_text(&fr->checks));
    sb_free(&fr->checks);
}

/* ==== the static functions of a .c file ======================================================= */

static fn *fn_find(gen *g, const char *name)
{
    for (size_t i = 0; i < g->nfns; i++)
        if (strcmp(g->fns[i]->name, name) == 0)
            return g->fns[i];
    return NULL;
}

/* NULL when `name` is new and the caller must write it (then fn_finish); else the existing one
 * is used, and one still being written is recursion: it gets a forward declaration. */
static fn *fn_start(gen *g, const char *name, const char *proto, bool *is_new)
{
    fn *f = fn_find(g, name);
    if (f != NULL) {
        if (!f->done)
            f->forward = true;
        *is_new = false;
        return f;
    }
    f = calloc(1, sizeof *f);
    if (f == NULL)
        abort();
    f->name = strdup(name);
    f->proto = strdup(proto);
    if (f->name == NULL || f->proto == NULL)
        abort();
    grow((void **)&g->fns, &g->capfns, g->nfns + 1, sizeof *g->fns);
    g->fns[g->nfns++] = f;
    *is_new = true;
    return f;
}

/* Finishes a function: its comment, its prototype, the frame's locals and body, then `tail`. */
static void fn_finish(gen *g, fn *f, const char *what, frame *fr, const char *tail)
{
    sb t = {0};
    put_comment(&t, 0, what);
    put_wrapped(&t, 0, f->proto);
    sb_str(&t, "{\n");
    sb_str(&t, sb_text(&fr->locals));
    sb_str(&t, sb_text(&fr->body));
    sb_str(&t, tail);
    sb_str(&t, "}\n");
    f->text = t.s;
    f->done = true;
    /* finished functions move to the end, so each comes after everything it calls */
    size_t i = 0;
    while (g->fns[i] != f)
        i++;
    memmove(&g->fns[i], &g->fns[i + 1], (g->nfns - i - 1) * sizeof *g->fns);
    g->fns[g->nfns - 1] = f;
    (void)g;
}

static void fns_free(gen *g)
{
    for (size_t i = 0; i < g->nfns; i++) {
        free(g->fns[i]->name);
        free(g->fns[i]->proto);
        free(g->fns[i]->text);
        free(g->fns[i]);
    }
    free(g->fns);
    g->fns = NULL;
    g->nfns = g->capfns = 0;
}

/* ==== marshalling one value =================================================================== */

/* Where a value sits, for what its NDR depends on. */
typedef struct field {
    const idl_decl *decl;  /* the member, arm or parameter (switch_is, its place), or NULL */
    const idl_type *owner; /* the resolved structure or union that declares it, or NULL */
    const char *member;    /* its designator in the owner, for offsetof: "Buffer", "u.l" */
    const char *base;      /* a C identifier to name the value's locals after: "Buffer" */
    idl_loc loc;           /* for messages */
} field;

static const char *need_value_fn(gen *g, const idl_type *t, bool get, idl_loc at);
static const char *need_struct_fn(gen *g, const idl_type *r, bool get, idl_loc at);
static const char *need_union_fn(gen *g, const idl_type *r, const idl_type *sw, bool get,
                                 idl_loc at);
static const char *need_sized_fn(gen *g, const idl_type *ptr, const field *f, bool get);
static void emit_field(frame *fr, const idl_type *t, const char *lv, const char *name,
                       const field *f);

/* The C expression of a count: size_is(e) is e, max_is(e) is e + 1. */
static const char *size_value(gen *g, const idl_type *a, const char *prefix)
{
    if (a->size_is != NULL)
        return expr_c(g, a->size_is, prefix);
    if (a->max_is != NULL)
        return fmt(g, "%s + 1", expr_c(g, a->max_is, prefix));
    return fmt(g, "%u", (unsigned)a->length);
}

static const char *size_attr(gen *g, const idl_type *a)
{
    if (a->size_is != NULL)
        return attr_text(g, "size_is", a->size_is);
    if (a->max_is != NULL)
        return attr_text(g, "max_is", a->max_is);
    return fmt(g, "[%u]", (unsigned)a->length);
}

/* length_is(e) is e; last_is(e) is e - first + 1. NULL for an array that is not varying (and
 * for a [string], whose length is its own). */
static const char *length_value(gen *g, const idl_type *a, const char *prefix)
{
    if (a->length_is != NULL)
        return expr_c(g, a->length_is, prefix);
    if (a->last_is != NULL)
        return fmt(g, "%s - %s + 1", expr_c(g, a->last_is, prefix),
                   a->first_is != NULL ? expr_c(g, a->first_is, prefix) : "0");
    return NULL;
}

static const char *length_attr(gen *g, const idl_type *a)
{
    if (a->length_is != NULL)
        return attr_text(g, "length_is", a->length_is);
    if (a->last_is != NULL)
        return attr_text(g, "last_is", a->last_is);
    return NULL;
}

/* A count computed into a new local while encoding: rs_stub_count() refuses a negative or too
 * large value. Returns the local's name. */
static const char *count_local(frame *fr, const char *base, const char *suffix, const char *what,
                               const char *value)
{
    const char *n = local(fr, "uint32_t", fmt(fr->g, "%s_%s", base, suffix), "0");
    call(fr, "rs_stub_count(%s, %s, %s, &%s)", fr->ndr, q(fr->g, what), value, n);
    return n;
}

/* "first + length > capacity", written so that it cannot wrap (and without a comparison that
 * -Wtype-limits would call always false when first is 0). */
static const char *window_exceeded(gen *g, const char *first, const char *length, const char *cap)
{
    if (strcmp(first, "0") == 0)
        return fmt(g, "%s > %s", length, cap);
    return fmt(g, "(%s > %s || %s > %s - %s)", first, cap, length, cap, first);
}

/* What rs_ndr_get_conformance() checks a conformant-varying array's max_count against: nothing,
 * since only actual_count elements travel (rs_ndr_get_variance() checks that they are there). */
#define VARYING_MAX "0 /* only actual_count must fit */"

/* The fewest bytes one element takes on the wire, as C, for rs_ndr_get_conformance(). */
static const char *elem_wire(gen *g, const idl_type *elem)
{
    prim p;
    if (prim_of(res(elem), &p))
        return fmt(g, "rs_ndr_prim_wire_size(%s)", p.k);
    const idl_type *r = res(elem);
    if (r->kind == IDL_POINTER)
        return "4";
    return r->fixed_size ? fmt(g, "%u /* bytes of one %s */", (unsigned)r->wire_size,
                               idl_decl_text(g, elem, ""))
                         : "0";
}

/* ---- fixed arrays: long a[10], [string] char name[20], [length_is(n)] long a[10] ---- */

static void emit_fixed_array(frame *fr, const idl_type *a, const char *lv, const char *name,
                             const field *f)
{
    gen *g = fr->g;
    const idl_type *el = a->target, *rel = res(el);
    prim p;
    if (array_varying(a)) {
        bool pr = prim_of(rel, &p);
        if (!pr && (res(el)->kind == IDL_ARRAY || a->is_string)) {
            unsupported(g, f->loc, "rpcidl cannot marshal a varying array of %s yet",
                        idl_decl_text(g, el, ""));
            return;
        }
        unsigned cap = (unsigned)a->length;
        if (a->is_string && a->length_is == NULL && a->last_is == NULL)
            comment(fr, "[string] in a fixed array: a varying array -- offset 0, actual_count "
                        "(the characters and the terminator), then those characters");
        else
            comment(fr, "varying array: offset and actual_count, then only those elements");
        if (!fr->get) {
            const char *first =
                a->first_is != NULL
                    ? count_local(fr, f->base, "first", attr_text(g, "first_is", a->first_is),
                                  expr_c(g, a->first_is, fr->prefix))
                    : "0";
            const char *length;
            if (length_value(g, a, fr->prefix) != NULL)
                length = count_local(fr, f->base, "length", length_attr(g, a),
                                     length_value(g, a, fr->prefix));
            else if (is_wchar_array(a))
                length = fmt(g, "rs_stub_wstring_count(%s, %u)", lv, cap);
            else
                length = fmt(g, "rs_stub_string_count(%s, %u)", lv, cap);
            if (pr) {
                call(fr, "rs_ndr_put_varying_array(%s, %s, %s, %s, %u, %s, %s)", fr->ndr, name, p.k,
                     lv, cap, first, length);
                return;
            }
            check_now(
                fr, window_exceeded(g, first, length, fmt(g, "%u", cap)), "RS_ERR_INVALID_ARG",
                fmt(g, "\"ndr: %s: offset + actual_count exceed its %u elements\"", f->base, cap));
            call(fr, "rs_ndr_put_variance(%s, %s, %s, %s)", fr->ndr, name, first, length);
            call(fr, "rs_ndr_put_elements(%s, %s, %s + %s, sizeof %s[0], %s, %s)", fr->ndr, name,
                 lv, first, lv, length, need_value_fn(g, el, false, f->loc));
            return;
        }
        const char *off = local(fr, "uint32_t", fmt(g, "%s_offset", f->base), "0");
        const char *cnt = local(fr, "uint32_t", fmt(g, "%s_count", f->base), "0");
        if (pr) {
            call(fr, "rs_ndr_get_varying_array(%s, %s, %s, %s, %u, &%s, &%s)", fr->ndr, name, p.k,
                 lv, cap, off, cnt);
        } else {
            call(fr, "rs_ndr_get_variance(%s, %s, %s, %u, &%s, &%s)", fr->ndr, name,
                 elem_wire(g, el), cap, off, cnt);
            call(fr, "rs_ndr_get_elements(%s, %s, %s + %s, sizeof %s[0], %s, %s)", fr->ndr, name,
                 lv, off, lv, cnt, need_value_fn(g, el, true, f->loc));
        }
        if (a->is_string)
            check_later(fr, fmt(g, "(%s != 0 || %s == 0 || %s[%s - 1] != 0)", off, cnt, lv, cnt),
                        fmt(g,
                            "\"ndr: %s: a [string] must start at offset 0 and end with its "
                            "terminator\"",
                            f->base));
        if (a->first_is != NULL)
            check_count(fr, &fr->checks, off, "offset", expr_c(g, a->first_is, fr->prefix),
                        attr_text(g, "first_is", a->first_is), f->base);
        if (length_value(g, a, fr->prefix) != NULL)
            check_count(fr, &fr->checks, cnt, "actual_count", length_value(g, a, fr->prefix),
                        length_attr(g, a), f->base);
        return;
    }
    /* a fixed array of fixed arrays of a primitive is one block of elements */
    uint64_t total = a->length;
    const idl_type *inner = rel;
    bool nested = false;
    while (inner->kind == IDL_ARRAY && !inner->from_pointer && !array_conformant(inner) &&
           !array_varying(inner)) {
        total *= inner->length;
        inner = res(inner->target);
        nested = true;
    }
    if (prim_of(inner, &p)) {
        comment(fr, "fixed array: the %llu elements alone, aligned to one element",
                (unsigned long long)total);
        call(fr, "rs_ndr_%s_array(%s, %s, %s, %s, %llu)", fr->get ? "get" : "put", fr->ndr, name,
             p.k, lv, (unsigned long long)total);
        return;
    }
    if (nested) {
        unsupported(g, f->loc, "rpcidl cannot marshal arrays of arrays of %s yet",
                    idl_decl_text(g, inner, ""));
        return;
    }
    const char *cb = need_value_fn(g, el, fr->get, f->loc);
    comment(fr, "fixed array: %u elements, each marshalled in turn", (unsigned)a->length);
    call(fr, "rs_ndr_%s_elements(%s, %s, %s, sizeof %s[0], %u, %s)", fr->get ? "get" : "put",
         fr->ndr, name, lv, lv, (unsigned)a->length, cb);
}

/* ---- arrays whose counts travel with them: a sized pointer's referent, a top-level array ---- */

/* The counts an array whose counts travel with it needs, computed while encoding (size, first,
 * length as C expressions; NULL where the array has none). A [string] without [size_is] has its
 * counts computed by rs_ndr_put_string() itself. */
typedef struct counts {
    const char *size, *first, *length;
} counts;

static counts sized_counts_put(frame *fr, const idl_type *a, const char *elems, const field *f)
{
    gen *g = fr->g;
    counts c = {NULL, NULL, NULL};
    if (a->is_string && a->size_is == NULL && a->max_is == NULL)
        return c;
    c.size = count_local(fr, f->base, "size", size_attr(g, a), size_value(g, a, fr->prefix));
    if (!array_varying(a))
        return c;
    c.first = a->first_is != NULL
                  ? count_local(fr, f->base, "first", attr_text(g, "first_is", a->first_is),
                                expr_c(g, a->first_is, fr->prefix))
                  : "0";
    if (length_value(g, a, fr->prefix) != NULL)
        c.length =
            count_local(fr, f->base, "length", length_attr(g, a), length_value(g, a, fr->prefix));
    else if (is_wchar_array(a))
        c.length = fmt(g, "rs_stub_wstring_count(%s, %s)", elems, c.size);
    else
        c.length = fmt(g, "rs_stub_string_count(%s, %s)", elems, c.size);
    return c;
}

/* The elements, as C, for the trace: how many the array has (strings: with the terminator). */
static const char *sized_trace_count(frame *fr, const idl_type *a, const char *elems, counts c)
{
    gen *g = fr->g;
    if (c.size != NULL)
        return c.size;
    if (is_wchar_array(a))
        return fmt(g, "(%s != NULL ? rs_stub_wcslen(%s) + 1 : 0)", elems, elems);
    return fmt(g, "(%s != NULL ? strlen((const char *)%s) + 1 : 0)", elems, elems);
}

/* Encodes the array `elems` points to -- [string], conformant, or conformant-varying -- with its
 * counts first, the counts computed by sized_counts_put(). */
static void sized_put(frame *fr, const idl_type *a, const char *elems, const char *name, counts c,
                      const field *f)
{
    gen *g = fr->g;
    const idl_type *el = a->target, *rel = res(el);
    prim p;
    bool pr = prim_of(rel, &p);
    if (c.size == NULL) {
        if (is_wchar_array(a)) {
            call(fr, "rs_ndr_put_wstring(%s, %s, %s)", fr->ndr, name, elems);
            return;
        }
        bool cast = rel->kind != IDL_CHAR || needs_char_cast(rel);
        call(fr, "rs_ndr_put_string(%s, %s, %s%s)", fr->ndr, name, cast ? "(const char *)" : "",
             elems);
        return;
    }
    if (c.length == NULL) {
        if (pr) {
            call(fr, "rs_ndr_put_conformant_array(%s, %s, %s, %s, %s)", fr->ndr, name, p.k, elems,
                 c.size);
        } else {
            const char *cb = need_value_fn(g, el, false, f->loc);
            call(fr, "rs_ndr_put_conformance(%s, %s, %s)", fr->ndr, name, c.size);
            call(fr, "rs_ndr_put_elements(%s, %s, %s, sizeof %s[0], %s, %s)", fr->ndr, name, elems,
                 elems, c.size, cb);
        }
        return;
    }
    if (!pr) {
        const char *cb = need_value_fn(g, el, false, f->loc);
        check_now(fr, window_exceeded(g, c.first, c.length, c.size), "RS_ERR_INVALID_ARG",
                  fmt(g, "\"ndr: %s: offset + actual_count exceed max_count\"", f->base));
        call(fr, "rs_ndr_put_conformance(%s, %s, %s)", fr->ndr, name, c.size);
        call(fr, "rs_ndr_put_variance(%s, %s, %s, %s)", fr->ndr, name, c.first, c.length);
        call(fr, "rs_ndr_put_elements(%s, %s, %s + %s, sizeof %s[0], %s, %s)", fr->ndr, name, elems,
             c.first, elems, c.length, cb);
        return;
    }
    call(fr, "rs_ndr_put_cv_array(%s, %s, %s, %s, %s, %s, %s)", fr->ndr, name, p.k, elems, c.size,
         c.first, c.length);
}

/* The checks of a decoded conformant or conformant-varying array against the IDL's counts. */
static void check_counts(frame *fr, const idl_type *a, const char *base, const char *elems,
                         const char *max, const char *off, const char *cnt, bool now)
{
    gen *g = fr->g;
    sb *out = now ? &fr->body : &fr->checks;
    if (now)
        need_st(fr);
    if (a->size_is != NULL || a->max_is != NULL)
        check_count(fr, out, max, "max_count", size_value(g, a, fr->prefix), size_attr(g, a), base);
    if (off == NULL)
        return;
    if (a->first_is != NULL)
        check_count(fr, out, off, "offset", expr_c(g, a->first_is, fr->prefix),
                    attr_text(g, "first_is", a->first_is), base);
    if (length_value(g, a, fr->prefix) != NULL)
        check_count(fr, out, cnt, "actual_count", length_value(g, a, fr->prefix), length_attr(g, a),
                    base);
    if (a->is_string)
        check_into(fr, out, fmt(g, "(%s != 0 || %s == 0 || %s[%s - 1] != 0)", off, cnt, elems, cnt),
                   "RS_ERR_NDR",
                   fmt(g,
                       "\"ndr: %s: a [string] must start at offset 0 and end with its "
                       "terminator\"",
                       base));
}

/* Decodes an array whose storage the stream allocates: `lv` is the pointer to set (in C, of the
 * element type), and the counts are checked against the IDL's (now: at once; else with the
 * checks that wait). Returns the C expression of the element count, for the trace. */
static const char *emit_sized_get_alloc(frame *fr, const idl_type *a, const char *lv,
                                        const char *name, const field *f, bool now)
{
    gen *g = fr->g;
    const idl_type *el = a->target, *rel = res(el);
    prim p;
    bool pr = prim_of(rel, &p);
    if (a->is_string && a->size_is == NULL && a->max_is == NULL) {
        if (is_wchar_array(a)) {
            call(fr, "rs_ndr_get_wstring(%s, %s, %s)", fr->ndr, name, addr_of(g, lv));
            return fmt(g, "(%s != NULL ? rs_stub_wcslen(%s) + 1 : 0)", lv, lv);
        }
        if (rel->kind != IDL_CHAR || needs_char_cast(rel)) {
            /* rs_ndr_get_string() sets a char *: decode into one, then convert */
            const char *chars = local(fr, "char *", fmt(g, "%s_chars", f->base), "NULL");
            call(fr, "rs_ndr_get_string(%s, %s, &%s)", fr->ndr, name, chars);
            line(fr, "%s = (%s *)%s;", lv, c_type(g, el), chars);
            return fmt(g, "(%s != NULL ? strlen(%s) + 1 : 0)", chars, chars);
        }
        call(fr, "rs_ndr_get_string(%s, %s, %s)", fr->ndr, name, addr_of(g, lv));
        return fmt(g, "(%s != NULL ? strlen(%s) + 1 : 0)", lv, lv);
    }
    const char *max = local(fr, "uint32_t", fmt(g, "%s_max", f->base), "0");
    if (!array_varying(a)) {
        if (pr) {
            call(fr, "rs_ndr_get_conformant_array(%s, %s, %s, %s, &%s)", fr->ndr, name, p.k,
                 addr_of(g, lv), max);
        } else {
            const char *cb = need_value_fn(g, el, true, f->loc);
            const char *mem = local(fr, "void *", fmt(g, "%s_mem", f->base), "NULL");
            call(fr, "rs_ndr_get_conformance(%s, %s, %s, &%s)", fr->ndr, name, elem_wire(g, el),
                 max);
            call(fr, "rs_stub_alloc(%s, %s, 0, %s, sizeof *%s, &%s)", fr->ndr, name, max, lv, mem);
            line(fr, "%s = %s;", lv, mem);
            call(fr, "rs_ndr_get_elements(%s, %s, %s, sizeof *%s, %s, %s)", fr->ndr, name, lv, lv,
                 max, cb);
        }
        check_counts(fr, a, f->base, lv, max, NULL, NULL, now);
        return max;
    }
    const char *off = local(fr, "uint32_t", fmt(g, "%s_offset", f->base), "0");
    const char *cnt = local(fr, "uint32_t", fmt(g, "%s_count", f->base), "0");
    if (!pr) {
        const char *cb = need_value_fn(g, el, true, f->loc);
        const char *mem = local(fr, "void *", fmt(g, "%s_mem", f->base), "NULL");
        call(fr, "rs_ndr_get_conformance(%s, %s, %s, &%s)", fr->ndr, name, VARYING_MAX, max);
        call(fr, "rs_ndr_get_variance(%s, %s, %s, %s, &%s, &%s)", fr->ndr, name, elem_wire(g, el),
             max, off, cnt);
        call(fr, "rs_stub_alloc(%s, %s, 0, %s, sizeof *%s, &%s)", fr->ndr, name, max, lv, mem);
        line(fr, "%s = %s;", lv, mem);
        call(fr, "rs_ndr_get_elements(%s, %s, %s + %s, sizeof *%s, %s, %s)", fr->ndr, name, lv, off,
             lv, cnt, cb);
        check_counts(fr, a, f->base, lv, max, off, cnt, now);
        return max;
    }
    call(fr, "rs_ndr_get_cv_array(%s, %s, %s, %s, &%s, &%s, &%s)", fr->ndr, name, p.k,
         addr_of(g, lv), max, off, cnt);
    check_counts(fr, a, f->base, lv, max, off, cnt, now);
    return max;
}

/* Decodes into an array the caller provides, which has room for `capacity` elements: a client's
 * [out] array. The response must not say more than that. */
static void emit_sized_get_into(frame *fr, const idl_type *a, const char *elems, const char *name,
                                const char *capacity, const field *f)
{
    gen *g = fr->g;
    const idl_type *el = a->target, *rel = res(el);
    prim p;
    bool pr = prim_of(rel, &p);
    const char *max = local(fr, "uint32_t", fmt(g, "%s_max", f->base), "0");
    call(fr, "rs_ndr_get_conformance(%s, %s, %s, &%s)", fr->ndr, name,
         array_varying(a) ? VARYING_MAX : elem_wire(g, el), max);
    check_now(fr, fmt(g, "%s != %s", max, capacity), "RS_ERR_NDR",
              fmt(g,
                  "\"ndr: %s: max_count %%lu, but the caller's array has %%lu\", "
                  "(unsigned long)%s, (unsigned long)%s",
                  f->base, max, capacity));
    if (!array_varying(a)) {
        if (pr) {
            call(fr, "rs_ndr_get_array(%s, %s, %s, %s, %s)", fr->ndr, name, p.k, elems, max);
        } else {
            const char *cb = need_value_fn(g, el, true, f->loc);
            call(fr, "rs_ndr_get_elements(%s, %s, %s, sizeof *%s, %s, %s)", fr->ndr, name, elems,
                 elems, max, cb);
        }
        return;
    }
    const char *off = local(fr, "uint32_t", fmt(g, "%s_offset", f->base), "0");
    const char *cnt = local(fr, "uint32_t", fmt(g, "%s_count", f->base), "0");
    call(fr, "rs_ndr_get_variance(%s, %s, %s, %s, &%s, &%s)", fr->ndr, name, elem_wire(g, el), max,
         off, cnt);
    if (pr)
        call(fr, "rs_ndr_get_array(%s, %s, %s, %s + %s, %s)", fr->ndr, name, p.k, elems, off, cnt);
    else
        call(fr, "rs_ndr_get_elements(%s, %s, %s + %s, sizeof *%s, %s, %s)", fr->ndr, name, elems,
             off, elems, cnt, need_value_fn(g, el, true, f->loc));
    if (a->is_string)
        check_now(fr, fmt(g, "(%s != 0 || %s == 0 || %s[%s - 1] != 0)", off, cnt, elems, cnt),
                  "RS_ERR_NDR",
                  fmt(g,
                      "\"ndr: %s: a [string] must start at offset 0 and end with its "
                      "terminator\"",
                      f->base));
}

/* ---- pointers inside data: in a structure, a union arm, an array, or pointed to ---- */

static const char *ptr_attr_name(idl_ptr_kind k)
{
    return k == IDL_PTR_REF ? "[ref]" : k == IDL_PTR_UNIQUE ? "[unique]" : "[ptr]";
}

static const char *ptr_call(idl_ptr_kind k)
{
    return k == IDL_PTR_REF ? "embedded_ref" : k == IDL_PTR_UNIQUE ? "unique" : "full";
}

/* An embedded pointer: its referent id in place, its referent queued until rs_ndr_flush() after
 * the whole top-level parameter. `lv` is the pointer (a C lvalue). */
static void emit_pointer(frame *fr, const idl_type *ptr, idl_ptr_kind kind, const char *lv,
                         const char *name, const field *f)
{
    gen *g = fr->g;
    const char *how = ptr_call(kind);
    const idl_type *arr = pointee_array(ptr);
    const idl_type *to = res(ptr->target);
    const char *dir = fr->get ? "get" : "put";
    if (kind == IDL_PTR_FULL && (arr != NULL || (to->kind == IDL_STRUCT && to->conformant) ||
                                 (to->kind == IDL_UNION && !to->encapsulated))) {
        unsupported(g, f->loc,
                    "rpcidl cannot marshal a [ptr] pointer to a string, an array, a "
                    "conformant structure or a union without switch yet; make '%s' "
                    "[unique]",
                    f->base);
        return;
    }
    if (arr != NULL && arr->is_string && arr->size_is == NULL && arr->max_is == NULL) {
        const char *w = is_wchar_array(arr) ? "wstring" : "string";
        comment(fr,
                "embedded %s pointer to a [string]: the referent id now, the string after the "
                "whole parameter",
                ptr_attr_name(kind));
        if (fr->get)
            call(fr, "rs_ndr_get_%s(%s, %s, %s, RS_NDR_SIZE_FROM_WIRE, rs_ndr_get_%s_fn)", how,
                 fr->ndr, name, addr_of(g, lv), w);
        else
            call(fr, "rs_ndr_put_%s(%s, %s, %s, rs_ndr_put_%s_fn)", how, fr->ndr, name, lv, w);
        return;
    }
    if (arr != NULL || (to->kind == IDL_UNION && !to->encapsulated)) {
        /* the referent needs counts (or a switch) that the structure around the pointer holds */
        const char *cb = need_sized_fn(g, ptr, f, fr->get);
        if (cb == NULL)
            return;
        comment(fr, "embedded %s pointer: the referent id now, the %s after the whole parameter",
                ptr_attr_name(kind), arr != NULL ? "array" : "union");
        bool null_check = arr != NULL && kind != IDL_PTR_REF;
        const char *len = NULL, *attr = NULL, *is_null = NULL;
        if (null_check) {
            /* a NULL pointer must come with counts of 0: what they count is not there */
            len =
                paren(g, length_value(g, arr, fr->prefix) != NULL ? length_value(g, arr, fr->prefix)
                                                                  : size_value(g, arr, fr->prefix));
            attr = length_attr(g, arr) != NULL ? length_attr(g, arr) : size_attr(g, arr);
        }
        if (fr->get && null_check) {
            is_null = local(fr, "bool", fmt(g, "%s_null", f->base), "true");
            call(fr, "rs_stub_get_unique(%s, %s, %s, %s, &%s)", fr->ndr, name, addr_of(g, lv), cb,
                 is_null);
            check_later(fr, fmt(g, "%s && %s != 0", is_null, len),
                        fmt(g, "\"ndr: %s is NULL but %s is not 0\"", f->base, attr));
        } else if (fr->get) {
            call(fr, "rs_ndr_get_%s(%s, %s, %s, RS_NDR_SIZE_FROM_WIRE, %s)", how, fr->ndr, name,
                 addr_of(g, lv), cb);
        } else {
            call(fr, "rs_ndr_put_%s(%s, %s, %s != NULL ? %s : NULL, %s)", how, fr->ndr, name, lv,
                 addr_of(g, lv), cb);
            if (null_check)
                check_now(fr, fmt(g, "%s == NULL && %s != 0", lv, len), "RS_ERR_INVALID_ARG",
                          fmt(g, "\"ndr: %s is NULL but %s is not 0\"", f->base, attr));
        }
        return;
    }
    if (to->kind == IDL_STRUCT && to->conformant) {
        const char *cb = need_struct_fn(g, to, fr->get, f->loc);
        comment(fr,
                "embedded %s pointer to a conformant structure: the referent id now, the "
                "structure after the whole parameter",
                ptr_attr_name(kind));
        if (fr->get)
            call(fr, "rs_ndr_get_%s(%s, %s, %s, RS_NDR_SIZE_FROM_WIRE, %s)", how, fr->ndr, name,
                 addr_of(g, lv), cb);
        else
            call(fr, "rs_ndr_put_%s(%s, %s, %s, %s)", how, fr->ndr, name, lv, cb);
        return;
    }
    const char *cb = need_value_fn(g, ptr->target, fr->get, f->loc);
    if (cb == NULL)
        return;
    comment(fr,
            "embedded %s pointer: the referent id now, the %s it points to after the whole "
            "parameter",
            ptr_attr_name(kind), idl_decl_text(g, ptr->target, ""));
    if (fr->get)
        call(fr, "rs_ndr_%s_%s(%s, %s, %s, sizeof *%s, %s)", dir, how, fr->ndr, name,
             addr_of(g, lv), lv, cb);
    else
        call(fr, "rs_ndr_%s_%s(%s, %s, %s, %s)", dir, how, fr->ndr, name, lv, cb);
}

/* ---- any value in place: a member, an arm, a parameter by value, a referent ---- */

static void emit_field(frame *fr, const idl_type *t, const char *lv, const char *name,
                       const field *f)
{
    gen *g = fr->g;
    const idl_type *r = res(t);
    prim p;
    if (prim_of(r, &p)) {
        if (fr->get)
            call(fr, "rs_ndr_get_%s(%s, %s, %s%s)", p.fn, fr->ndr, name,
                 needs_char_cast(r) ? "(char *)" : "", addr_of(g, lv));
        else
            call(fr, "rs_ndr_put_%s(%s, %s, %s%s)", p.fn, fr->ndr, name,
                 needs_char_cast(r) ? "(char)" : "", lv);
        return;
    }
    switch (r->kind) {
    case IDL_ENUM:
    case IDL_STRUCT: {
        if (r->kind == IDL_STRUCT && r->conformant) {
            unsupported(g, f->loc,
                        "rpcidl cannot marshal a conformant structure inside another "
                        "structure yet ('%s')",
                        f->base);
            return;
        }
        const char *fnn = need_value_fn(g, t, fr->get, f->loc);
        if (fnn != NULL)
            call(fr, "%s(%s, %s, %s)", fnn, fr->ndr, name, addr_of(g, lv));
        return;
    }
    case IDL_UNION: {
        if (r->encapsulated) {
            const char *fnn = need_union_fn(g, r, NULL, fr->get, f->loc);
            if (fnn != NULL)
                call(fr, "%s(%s, %s, %s)", fnn, fr->ndr, name, addr_of(g, lv));
            return;
        }
        if (f->decl == NULL || f->decl->switch_is == NULL) {
            unsupported(g, f->loc,
                        "rpcidl cannot marshal a union without switch here: it needs "
                        "[switch_is] where it is used");
            return;
        }
        const char *fnn = need_union_fn(g, r, f->decl->switch_type, fr->get, f->loc);
        if (fnn == NULL)
            return;
        const char *sw = expr_c(g, f->decl->switch_is, fr->prefix);
        comment(fr, "union: the discriminant, %s, then the arm it selects, aligned to its own type",
                attr_text(g, "switch_is", f->decl->switch_is));
        if (!fr->get) {
            call(fr, "%s(%s, %s, %s, %s)", fnn, fr->ndr, name, addr_of(g, lv), sw);
            return;
        }
        const char *disc = local(fr, "int64_t", fmt(g, "%s_switch", f->base), "0");
        call(fr, "%s(%s, %s, %s, &%s)", fnn, fr->ndr, name, addr_of(g, lv), disc);
        check_later(fr, fmt(g, "%s != (int64_t)%s", disc, paren(g, sw)),
                    fmt(g,
                        "\"ndr: %s: discriminant %%lld differs from %s = %%lld\", "
                        "(long long)%s, (long long)%s",
                        f->base, attr_text(g, "switch_is", f->decl->switch_is), disc,
                        paren(g, sw)));
        return;
    }
    case IDL_POINTER: emit_pointer(fr, r, r->ptr_kind, lv, name, f); return;
    case IDL_ARRAY:
        if (array_conformant(r)) {
            unsupported(g, f->loc,
                        "a conformant array ('%s') can only be the last member of a "
                        "structure or a parameter",
                        f->base);
            return;
        }
        emit_fixed_array(fr, r, lv, name, f);
        return;
    case IDL_CONTEXT_HANDLE:
        unsupported(g, f->loc,
                    "a context handle can only be a parameter, what a parameter points to, or a "
                    "return value");
        return;
    default:
        unsupported(g, f->loc, "rpcidl cannot marshal %s here", idl_decl_text(g, t, ""));
        return;
    }
}

/* ==== the per-type functions ================================================================== */

static const char *put_proto(gen *g, const char *name)
{
    return fmt(g, "static rs_status %s(rs_ndr *$ndr, const char *$name, const void *$obj)", name);
}

static const char *get_proto(gen *g, const char *name)
{
    return fmt(g, "static rs_status %s(rs_ndr *$ndr, const char *$name, void *$obj)", name);
}

static void frame_for_fn(frame *fr, gen *g, bool get)
{
    frame_init(fr, g, "$ndr", get, "$v->");
    fr->st = "$st";
    const char *fixed[] = {"$ndr", "$name", "$obj", "$st"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        reserve(fr, fixed[i]);
}

/* A base type as a callback: the referent of a pointer, or an element of an array of them. */
static const char *need_prim_fn(gen *g, const idl_type *r, bool get)
{
    prim p;
    prim_of(r, &p);
    const char *name = fmt(g, "%s_%s_%s", g->base, get ? "get" : "put", p.fn);
    bool is_new;
    fn *f = fn_start(g, name, get ? get_proto(g, name) : put_proto(g, name), &is_new);
    if (!is_new)
        return f->name;
    frame fr;
    frame_for_fn(&fr, g, get);
    const char *ctype = r->kind == IDL_CHAR ? "char" : r->c_name;
    const char *body =
        get ? fmt(g, "    return rs_ndr_get_%s($ndr, $name, $obj);\n", p.fn)
            : fmt(g, "    return rs_ndr_put_%s($ndr, $name, *(const %s *)$obj);\n", p.fn, ctype);
    fn_finish(g, f,
              fmt(g, "%s %s as a callback (a pointer's referent, an array's element).",
                  strcmp(article(p.idl), "an") == 0 ? "An" : "A", p.idl),
              &fr, body);
    frame_free(&fr);
    return f->name;
}

/* An enum: a C enum in memory, 16 bits on the wire (32 with [v1_enum]). */
static const char *need_enum_fn(gen *g, const idl_type *r, bool get)
{
    const char *key = type_key(g, r);
    const char *name = fmt(g, "%s_%s_%s", g->base, get ? "get" : "put", key);
    bool is_new;
    fn *f = fn_start(g, name, get ? get_proto(g, name) : put_proto(g, name), &is_new);
    if (!is_new)
        return f->name;
    frame fr;
    frame_for_fn(&fr, g, get);
    const char *w = r->v1_enum ? "v1_enum" : "enum";
    sb body = {0};
    if (get) {
        sb_printf(&body, "    %s *$v = $obj;\n", type_name(g, r));
        sb_str(&body, "    int $value = 0;\n");
        sb_printf(&body, "    rs_status $st = rs_ndr_get_%s($ndr, $name, &$value);\n", w);
        sb_str(&body, "    if ($st == RS_OK)\n");
        sb_printf(&body, "        *$v = (%s)$value;\n", type_name(g, r));
        sb_str(&body, "    return $st;\n");
    } else {
        sb_printf(&body, "    const %s *$v = $obj;\n", type_name(g, r));
        sb_printf(&body, "    return rs_ndr_put_%s($ndr, $name, (int)*$v);\n", w);
    }
    fn_finish(g, f,
              r->v1_enum ? fmt(g, "%s, a [v1_enum]: 32 bits on the wire.", type_name(g, r))
                         : fmt(g,
                               "%s, an enum: 16 bits on the wire (NDR's rule unless [v1_enum]), "
                               "so only 0..32767 can travel.",
                               type_name(g, r)),
              &fr, sb_text(&body));
    sb_free(&body);
    frame_free(&fr);
    return f->name;
}

static const char *ptr_key(gen *g, const idl_type *ptr);

/* How a type names the callbacks of pointers to it: "long", "mixed", "string". */
static const char *target_key(gen *g, const idl_type *t)
{
    const idl_type *r = res(t);
    prim p;
    if (t->kind == IDL_ARRAY && t->from_pointer && t->is_string && t->size_is == NULL &&
        t->max_is == NULL)
        return is_wchar_array(t) ? "wstring" : "string";
    if (prim_of(r, &p))
        return p.fn;
    if (r->kind == IDL_STRUCT || r->kind == IDL_UNION || r->kind == IDL_ENUM)
        return type_key(g, r);
    if (r->kind == IDL_POINTER)
        return ptr_key(g, r);
    return NULL;
}

static const char *ptr_key(gen *g, const idl_type *ptr)
{
    const char *to = target_key(g, pointee_array(ptr) != NULL ? pointee_array(ptr) : ptr->target);
    if (to == NULL)
        return NULL;
    const char *k = ptr->ptr_kind == IDL_PTR_REF      ? "ref"
                    : ptr->ptr_kind == IDL_PTR_UNIQUE ? "unique"
                                                      : "full";
    return fmt(g, "%s_ptr_to_%s", k, to);
}

/* A pointer as a value: the element of an array of pointers, or what a pointer points to. */
static const char *need_ptr_fn(gen *g, const idl_type *ptr, bool get, idl_loc at)
{
    const char *key = ptr_key(g, ptr);
    if (key == NULL) {
        unsupported(g, at, "rpcidl cannot marshal %s here yet", idl_decl_text(g, ptr, ""));
        return NULL;
    }
    const char *name = fmt(g, "%s_%s_%s", g->base, get ? "get" : "put", key);
    bool is_new;
    fn *f = fn_start(g, name, get ? get_proto(g, name) : put_proto(g, name), &is_new);
    if (!is_new)
        return f->name;
    frame fr;
    frame_for_fn(&fr, g, get);
    reserve(&fr, "$p");
    sb_printf(&fr.locals, "    %s = $obj;\n", c_decl(g, ptr, get ? "*$p" : "const *$p"));
    field fl = {NULL, NULL, NULL, "$p", at};
    emit_pointer(&fr, ptr, ptr->ptr_kind, "*$p", "$name", &fl);
    flush_checks(&fr, "What arrived must agree with the IDL's counts: the wire is never trusted.");
    need_st(&fr);
    fn_finish(g, f,
              fmt(g,
                  "A %s pointer to %s, as a value: an element of an array, or the "
                  "referent of another pointer.",
                  ptr_attr_name(ptr->ptr_kind),
                  idl_decl_text(g, pointee_array(ptr) != NULL ? ptr : ptr->target, "")),
              &fr, "    return $st;\n");
    frame_free(&fr);
    return f->name;
}

/* The callback that marshals one value of type t (at obj): by the type's kind. */
static const char *need_value_fn(gen *g, const idl_type *t, bool get, idl_loc at)
{
    const idl_type *r = res(t);
    if (is_prim(r))
        return need_prim_fn(g, r, get);
    switch (r->kind) {
    case IDL_ENUM:
        if (type_name(g, r) == NULL)
            break;
        return need_enum_fn(g, r, get);
    case IDL_STRUCT:
        if (r->conformant) {
            unsupported(g, at, "rpcidl cannot marshal an array of conformant structures yet");
            return NULL;
        }
        return need_struct_fn(g, r, get, at);
    case IDL_UNION:
        if (!r->encapsulated) {
            unsupported(g, at,
                        "rpcidl cannot marshal a union without switch here: it needs "
                        "[switch_is] from the structure around it");
            return NULL;
        }
        return need_union_fn(g, r, NULL, get, at);
    case IDL_POINTER: return need_ptr_fn(g, r, get, at);
    case IDL_CONTEXT_HANDLE:
        unsupported(g, at,
                    "a context handle can only be a parameter, what a parameter points to, or a "
                    "return value");
        return NULL;
    default: break;
    }
    unsupported(g, at, "rpcidl cannot marshal %s here yet", idl_decl_text(g, t, ""));
    return NULL;
}

/* A structure: each member in order after aligning to the largest member; a conformant one first
 * sends the max_count of its last member, the array (C706 14.3.7.1: hoisted conformance). */
static const char *need_struct_fn(gen *g, const idl_type *r, bool get, idl_loc at)
{
    if (r->kind == IDL_UNION)
        return need_union_fn(g, r, NULL, get, at);
    const char *key = type_key(g, r);
    if (key == NULL) {
        unsupported(g, at,
                    "rpcidl cannot marshal an anonymous structure yet: give it a tag or a "
                    "typedef name");
        return NULL;
    }
    const char *name = fmt(g, "%s_%s_%s", g->base, get ? "get" : "put", key);
    bool is_new;
    fn *f = fn_start(g, name, get ? get_proto(g, name) : put_proto(g, name), &is_new);
    if (!is_new)
        return f->name;
    frame fr;
    frame_for_fn(&fr, g, get);
    const idl_decl *last = r->members;
    while (last != NULL && last->next != NULL)
        last = last->next;
    const idl_type *conf = r->conformant && last != NULL ? res(last->type) : NULL;
    if (conf != NULL && (conf->kind != IDL_ARRAY || conf->from_pointer)) {
        unsupported(g, last->loc,
                    "rpcidl cannot marshal a structure whose last member is a "
                    "conformant structure yet ('%s')",
                    last->name);
        conf = NULL;
    }
    const char *ctype = type_name(g, r);
    counts cc = {NULL, NULL, NULL};
    const char *max = NULL, *off = NULL, *cnt = NULL;
    field lf = {last, r, last != NULL ? last->name : NULL, last != NULL ? last->name : NULL,
                last != NULL ? last->loc : at};
    if (!get) {
        local(&fr, fmt(g, "const %s *", ctype), "$v", "$obj");
        call(&fr, "rs_ndr_enter($ndr, $name)");
        if (conf != NULL) {
            comment(&fr,
                    "a conformant structure: the max_count of its array %s goes first, in "
                    "front of the structure",
                    last->name);
            cc = sized_counts_put(&fr, conf, fmt(g, "$v->%s", last->name), &lf);
            if (cc.size == NULL) /* a [string] without [size_is]: its own length */
                cc.size = count_local(
                    &fr, last->name, "size", "the [string]'s length",
                    fmt(g, "%s($v->%s, UINT32_MAX - 1)",
                        is_wchar_array(conf) ? "rs_stub_wstring_count" : "rs_stub_string_count",
                        last->name));
            call(&fr, "rs_ndr_put_conformance($ndr, %s, %s)", q(g, last->name), cc.size);
        }
    } else if (conf != NULL) {
        local(&fr, fmt(g, "%s **", ctype), "$slot", "$obj");
        local(&fr, fmt(g, "%s *", ctype), "$v", "NULL");
        local(&fr, "void *", "$mem", "NULL");
        max = local(&fr, "uint32_t", fmt(g, "%s_max", last->name), "0");
        call(&fr, "rs_ndr_enter($ndr, $name)");
        comment(&fr,
                "a conformant structure: the max_count of its array %s comes first; then "
                "the structure and its elements can be allocated in one block",
                last->name);
        call(&fr, "rs_ndr_get_conformance($ndr, %s, %s, &%s)", q(g, last->name),
             array_varying(conf) ? VARYING_MAX : elem_wire(g, conf->target), max);
        call(&fr, "rs_stub_alloc($ndr, $name, sizeof(%s), %s, sizeof $v->%s[0], &$mem)", ctype, max,
             last->name);
        line(&fr, "$v = $mem;");
        line(&fr, "*$slot = $v;");
    } else {
        local(&fr, fmt(g, "%s *", ctype), "$v", "$obj");
        call(&fr, "rs_ndr_enter($ndr, $name)");
    }
    if (r->wire_align > 1)
        call(&fr, "rs_ndr_align($ndr, %u)", (unsigned)r->wire_align);
    for (const idl_decl *m = r->members; m != NULL; m = m->next) {
        if (m == last && conf != NULL)
            break;
        field mf = {m, r, m->name, m->name, m->loc};
        emit_field(&fr, m->type, fmt(g, "$v->%s", m->name), q(g, m->name), &mf);
    }
    if (conf != NULL) {
        const char *elems = fmt(g, "$v->%s", last->name);
        const idl_type *el = conf->target;
        prim p;
        bool pr = prim_of(res(el), &p);
        bool varying = array_varying(conf);
        comment(&fr, "%s: %sthe elements (its max_count went first)", last->name,
                varying ? "offset and actual_count, then " : "");
        if (varying && !pr) {
            unsupported(g, last->loc,
                        "rpcidl cannot marshal a conformant-varying array of %s "
                        "yet",
                        idl_decl_text(g, el, ""));
        } else if (!get) {
            if (varying) {
                need_st(&fr);
                check_now(
                    &fr, window_exceeded(g, cc.first, cc.length, cc.size), "RS_ERR_INVALID_ARG",
                    fmt(g, "\"ndr: %s: offset + actual_count exceed max_count\"", last->name));
                call(&fr, "rs_ndr_put_variance($ndr, %s, %s, %s)", q(g, last->name), cc.first,
                     cc.length);
                call(&fr, "rs_ndr_put_array($ndr, %s, %s, %s + %s, %s)", q(g, last->name), p.k,
                     elems, cc.first, cc.length);
            } else if (pr) {
                call(&fr, "rs_ndr_put_array($ndr, %s, %s, %s, %s)", q(g, last->name), p.k, elems,
                     cc.size);
            } else {
                const char *cb = need_value_fn(g, el, false, last->loc);
                call(&fr, "rs_ndr_put_elements($ndr, %s, %s, sizeof %s[0], %s, %s)",
                     q(g, last->name), elems, elems, cc.size, cb);
            }
        } else {
            if (varying) {
                off = local(&fr, "uint32_t", fmt(g, "%s_offset", last->name), "0");
                cnt = local(&fr, "uint32_t", fmt(g, "%s_count", last->name), "0");
                call(&fr, "rs_ndr_get_variance($ndr, %s, %s, %s, &%s, &%s)", q(g, last->name),
                     elem_wire(g, el), max, off, cnt);
                call(&fr, "rs_ndr_get_array($ndr, %s, %s, %s + %s, %s)", q(g, last->name), p.k,
                     elems, off, cnt);
            } else if (pr) {
                call(&fr, "rs_ndr_get_array($ndr, %s, %s, %s, %s)", q(g, last->name), p.k, elems,
                     max);
            } else {
                const char *cb = need_value_fn(g, el, true, last->loc);
                call(&fr, "rs_ndr_get_elements($ndr, %s, %s, sizeof %s[0], %s, %s)",
                     q(g, last->name), elems, elems, max, cb);
            }
            check_counts(&fr, conf, last->name, elems, max, off, cnt, false);
        }
    }
    if (get)
        flush_checks(&fr, "What arrived must agree with the counts and switches the IDL gives: "
                          "the wire is never trusted.");
    call(&fr, "rs_ndr_leave($ndr)");
    const char *what;
    if (conf != NULL)
        what = fmt(g,
                   "%s, a conformant structure: the max_count of %s, then the members in order "
                   "after aligning to %u.",
                   ctype, last->name, (unsigned)r->wire_align);
    else
        what = fmt(g,
                   "%s, a structure: its members in order, after aligning to %u (its largest "
                   "member's alignment).%s",
                   ctype, (unsigned)r->wire_align,
                   r->has_pointers ? " What its pointers point to follows the whole top-level "
                                     "parameter."
                                   : "");
    fn_finish(g, f, what, &fr, "    return $st;\n");
    frame_free(&fr);
    return f->name;
}

/* The arms of a union, as a switch on `disc` (C): each arm marshalled in its own way. */
static void emit_arms(frame *fr, const idl_type *u, const char *disc, const char *arm_prefix,
                      const char *member_prefix)
{
    gen *g = fr->g;
    line(fr, "switch (%s) {", disc);
    bool has_default = false;
    for (const idl_decl *arm = u->members; arm != NULL; arm = arm->next) {
        for (const idl_expr *c = arm->cases; c != NULL; c = c->next)
            sb_printf(&fr->body, "%*scase %s:\n", fr->indent, "", expr_c(g, c, ""));
        if (arm->is_default) {
            sb_printf(&fr->body, "%*sdefault:\n", fr->indent, "");
            has_default = true;
        }
        fr->indent += 4;
        if (arm->type != NULL && arm->name != NULL) {
            field af = {arm, u, fmt(g, "%s%s", member_prefix, arm->name), arm->name, arm->loc};
            emit_field(fr, arm->type, fmt(g, "%s%s", arm_prefix, arm->name), q(g, arm->name), &af);
        } else {
            comment(fr, "an empty arm: nothing more on the wire");
        }
        line(fr, "break;");
        fr->indent -= 4;
    }
    if (!has_default) {
        sb_printf(&fr->body, "%*sdefault:\n", fr->indent, "");
        fr->indent += 4;
        sb_printf(&fr->body, "%*sif ($st == RS_OK)\n", fr->indent, "");
        put_wrapped(&fr->body, fr->indent + 4,
                    fmt(g,
                        "%s = rs_ndr_fail($ndr, %s, \"ndr: %%s: discriminant %%lld selects no arm "
                        "of %s\", $name, (long long)%s);",
                        fr->st, fr->get ? "RS_ERR_NDR" : "RS_ERR_INVALID_ARG", type_name(g, u),
                        disc));
        line(fr, "break;");
        fr->indent -= 4;
    }
    line(fr, "}");
}

/* A union. Encapsulated (union switch (short k) u {...}): a structure of the discriminant and the
 * union, aligned to the larger of the two, then the arm. Without switch: the discriminant given by
 * [switch_is] where the union is used, then the arm; the get function returns the discriminant it
 * read, for the caller to compare with its [switch_is]. */
static const char *need_union_fn(gen *g, const idl_type *r, const idl_type *sw, bool get,
                                 idl_loc at)
{
    const char *key = type_key(g, r);
    if (key == NULL) {
        unsupported(g, at, "rpcidl cannot marshal an anonymous union yet: give it a typedef name");
        return NULL;
    }
    prim p;
    const idl_type *swt = r->encapsulated          ? r->discriminant->type
                          : r->switch_type != NULL ? r->switch_type
                                                   : sw;
    if (swt == NULL || !switch_prim(swt, &p)) {
        unsupported(g, at, "rpcidl cannot tell the discriminant type of union %s", type_name(g, r));
        return NULL;
    }
    const char *name = fmt(g, "%s_%s_%s%s%s", g->base, get ? "get" : "put", key,
                           !r->encapsulated && r->switch_type == NULL ? "_" : "",
                           !r->encapsulated && r->switch_type == NULL ? p.fn : "");
    const char *proto;
    if (r->encapsulated)
        proto = get ? get_proto(g, name) : put_proto(g, name);
    else if (get)
        proto = fmt(g,
                    "static rs_status %s(rs_ndr *$ndr, const char *$name, void *$obj, int64_t "
                    "*$discriminant)",
                    name);
    else
        proto = fmt(g,
                    "static rs_status %s(rs_ndr *$ndr, const char *$name, const void *$obj, "
                    "int64_t $discriminant)",
                    name);
    bool is_new;
    fn *f = fn_start(g, name, proto, &is_new);
    if (!is_new)
        return f->name;
    frame fr;
    frame_for_fn(&fr, g, get);
    if (!r->encapsulated)
        reserve(&fr, "$discriminant");
    local(&fr, fmt(g, get ? "%s *" : "const %s *", type_name(g, r)), "$v", "$obj");
    const char *disc;
    if (r->encapsulated) {
        const idl_decl *k = r->discriminant;
        disc = get ? local(&fr, "int64_t", "$value", "0") : fmt(g, "$v->%s", k->name);
        call(&fr, "rs_ndr_enter($ndr, $name)");
        comment(&fr, "an encapsulated union is a structure: aligned to the larger of its "
                     "$discriminant's and its arms' alignments");
        if (r->wire_align > 1)
            call(&fr, "rs_ndr_align($ndr, %u)", (unsigned)r->wire_align);
        if (get) {
            call(&fr, "rs_ndr_get_discriminant($ndr, %s, %s, &%s)", q(g, k->name), p.k, disc);
            line(&fr, "$v->%s = (%s)%s;", k->name, c_type(g, k->type), disc);
        } else {
            call(&fr, "rs_ndr_put_discriminant($ndr, %s, %s, %s)", q(g, k->name), p.k, disc);
        }
        call(&fr, "rs_ndr_enter($ndr, %s)", q(g, r->arm_name));
        comment(&fr, "the arm the discriminant selects, aligned to its own type");
        need_st(&fr);
        emit_arms(&fr, r, disc, fmt(g, "$v->%s.", r->arm_name), fmt(g, "%s.", r->arm_name));
        call(&fr, "rs_ndr_leave($ndr)");
    } else {
        disc = get ? local(&fr, "int64_t", "$value", "0") : "$discriminant";
        call(&fr, "rs_ndr_enter($ndr, $name)");
        comment(&fr,
                "the discriminant, aligned to its own type (%s), then the arm it selects, "
                "aligned to the arm's own type",
                p.idl);
        if (get)
            call(&fr, "rs_ndr_get_discriminant($ndr, \"discriminant\", %s, &%s)", p.k, disc);
        else
            call(&fr, "rs_ndr_put_discriminant($ndr, \"discriminant\", %s, %s)", p.k, disc);
        emit_arms(&fr, r, disc, "$v->", "");
    }
    if (get)
        flush_checks(&fr, "What arrived must agree with the IDL's counts: the wire is never "
                          "trusted.");
    call(&fr, "rs_ndr_leave($ndr)");
    if (get && !r->encapsulated)
        line(&fr, "*$discriminant = %s;", disc);
    fn_finish(g, f,
              r->encapsulated
                  ? fmt(g, "%s, an encapsulated union: its discriminant %s, then the selected arm.",
                        type_name(g, r), r->discriminant->name)
                  : fmt(g,
                        "%s, a union without switch: the discriminant (%s), then the selected "
                        "arm.",
                        type_name(g, r), p.idl),
              &fr, "    return $st;\n");
    frame_free(&fr);
    return f->name;
}

/* The referent of a sized pointer (or of a pointer to a union without switch) inside a structure
 * or union: its counts (or its switch) come from the structure around it. The stream hands the
 * callback the address of the pointer; offsetof() finds the structure it is a member of. */
static const char *need_sized_fn(gen *g, const idl_type *ptr, const field *f, bool get)
{
    const idl_type *arr = pointee_array(ptr);
    const idl_type *u = arr == NULL ? res(ptr->target) : NULL;
    bool needs_owner = arr != NULL
                           ? expr_names_decl(arr->size_is) || expr_names_decl(arr->max_is) ||
                                 expr_names_decl(arr->length_is) ||
                                 expr_names_decl(arr->first_is) || expr_names_decl(arr->last_is)
                           : true;
    if (needs_owner && (f->owner == NULL || type_name(g, f->owner) == NULL || f->member == NULL)) {
        unsupported(g, f->loc,
                    "rpcidl cannot marshal '%s' yet: a sized pointer or a pointer to a "
                    "union without switch must be a member of a named structure",
                    f->base);
        return NULL;
    }
    /* named after the member; with constant counts, after where it is used */
    const char *key = needs_owner ? fmt(g, "%s_%s", type_key(g, f->owner), f->member)
                                  : fmt(g, "%s_referent", f->base);
    char *k = (char *)key;
    for (char *c = k; *c; c++)
        if (*c == '.')
            *c = '_';
    const char *name = fmt(g, "%s_%s_%s", g->base, get ? "get" : "put", key);
    bool is_new;
    fn *fnp = fn_start(g, name, get ? get_proto(g, name) : put_proto(g, name), &is_new);
    if (!is_new)
        return fnp->name;
    frame fr;
    frame_for_fn(&fr, g, get);
    const char *lv;
    reserve(&fr, needs_owner ? "$v" : "$p");
    if (needs_owner) {
        const char *oc = type_name(g, f->owner);
        if (get)
            sb_printf(&fr.locals, "    %s *$v = (%s *)((char *)$obj - offsetof(%s, %s));\n", oc, oc,
                      oc, f->member);
        else
            sb_printf(&fr.locals,
                      "    const %s *$v = (const %s *)((const char *)$obj - offsetof(%s, %s));\n",
                      oc, oc, oc, f->member);
        lv = fmt(g, "$v->%s", f->member);
    } else {
        sb_printf(&fr.locals, "    %s = $obj;\n", c_decl(g, ptr, get ? "*$p" : "const *$p"));
        lv = "*$p";
    }
    field rf = {f->decl, f->owner, f->member, f->base, f->loc};
    const char *what;
    if (arr != NULL) {
        const char *shape = !array_varying(arr) ? "a conformant array: max_count, then the elements"
                            : arr->is_string
                                ? "a [string] conformant-varying array: max_count, offset 0, "
                                  "actual_count, then the characters and the terminator"
                                : "a conformant-varying array: max_count, offset, actual_count, "
                                  "then the elements sent";
        what = fmt(g,
                   "The referent of %s%s%s: %s (%s%s%s). The stream hands over the pointer's "
                   "address%s.",
                   needs_owner ? type_name(g, f->owner) : "", needs_owner ? "." : "", f->base,
                   shape, size_attr(g, arr), length_attr(g, arr) != NULL ? ", " : "",
                   length_attr(g, arr) != NULL ? length_attr(g, arr) : "",
                   needs_owner ? "; the structure around it holds the counts" : "");
        if (get) {
            emit_sized_get_alloc(&fr, arr, lv, "$name", &rf, true);
        } else {
            counts c = sized_counts_put(&fr, arr, lv, &rf);
            sized_put(&fr, arr, lv, "$name", c, &rf);
        }
    } else {
        const char *fnn = need_union_fn(g, u, f->decl->switch_type, get, f->loc);
        const char *sw = expr_c(g, f->decl->switch_is, "$v->");
        what = fmt(g,
                   "The referent of %s.%s, a union without switch: its discriminant is %s of the "
                   "structure around the pointer.",
                   type_name(g, f->owner), f->base, attr_text(g, "switch_is", f->decl->switch_is));
        if (fnn != NULL && get) {
            const char *mem = local(&fr, "void *", "$mem", "NULL");
            const char *disc = local(&fr, "int64_t", "$discriminant", "0");
            call(&fr, "rs_ndr_alloc($ndr, $name, sizeof *%s, &%s)", lv, mem);
            line(&fr, "%s = %s;", lv, mem);
            call(&fr, "%s($ndr, $name, %s, &%s)", fnn, lv, disc);
            check_now(&fr, fmt(g, "%s != (int64_t)%s", disc, paren(g, sw)), "RS_ERR_NDR",
                      fmt(g,
                          "\"ndr: %s: discriminant %%lld differs from %s = %%lld\", "
                          "(long long)%s, (long long)%s",
                          f->base, attr_text(g, "switch_is", f->decl->switch_is), disc,
                          paren(g, sw)));
        } else if (fnn != NULL) {
            call(&fr, "%s($ndr, $name, %s, %s)", fnn, lv, sw);
        }
    }
    need_st(&fr);
    fn_finish(g, fnp, what, &fr, "    return $st;\n");
    frame_free(&fr);
    return fnp->name;
}

/* ==== freeing: what a call returned (client), what a procedure allocated (server) ============= */

/* The basename of the file that declares a named type: its free function is named after it. */
static const char *type_file_base(gen *g, const idl_type *r)
{
    for (const idl_file *f = g->file->all_files; f != NULL; f = f->next) {
        for (const idl_item *it = f->items; it != NULL; it = it->next) {
            const idl_item *list = it->kind == IDL_ITEM_INTERFACE ? it->iface->items : it;
            for (const idl_item *j = list; j != NULL; j = j->next) {
                if ((j->kind == IDL_ITEM_TYPEDEF || j->kind == IDL_ITEM_TYPE) &&
                    (j->type == r || res(j->type) == r))
                    return f->basename;
                if (it->kind != IDL_ITEM_INTERFACE)
                    break;
            }
        }
    }
    return g->base;
}

static const char *need_free_fn(gen *g, const idl_type *r, idl_loc at);
static bool is_own_pointer_type(gen *g, const idl_type *r);

/* Frees what `lv` (of type t) points to, and what that points to, not lv's own memory. */
static void emit_free(frame *fr, const idl_type *t, const char *lv, const field *f, int depth)
{
    gen *g = fr->g;
    const idl_type *r = res(t);
    if (!r->has_pointers)
        return;
    static const char *const loop_vars[] = {"i", "j", "k", "l", "m", "n"};
    if (depth >= (int)(sizeof loop_vars / sizeof loop_vars[0])) {
        unsupported(g, f->loc, "rpcidl cannot free data nested this deep yet");
        return;
    }
    switch (r->kind) {
    case IDL_POINTER: {
        const idl_type *arr = pointee_array(r);
        const idl_type *to = res(r->target);
        if (arr != NULL) {
            if (res(arr->target)->has_pointers) {
                const char *i = unique_name(fr, loop_vars[depth]);
                line(fr, "for (uint32_t %s = 0; %s != NULL && %s < (uint32_t)(%s); %s++) {", i, lv,
                     i, size_value(g, arr, fr->prefix), i);
                fr->indent += 4;
                emit_free(fr, arr->target, fmt(g, "%s[%s]", lv, i), f, depth + 1);
                fr->indent -= 4;
                line(fr, "}");
            }
        } else if (to->kind == IDL_UNION && !to->encapsulated && to->has_pointers) {
            const char *fnn = need_free_fn(g, to, f->loc);
            if (f->decl != NULL && f->decl->switch_is != NULL) {
                line(fr, "if (%s != NULL)", lv);
                line(fr, "    %s(%s, %s);", fnn, lv, expr_c(g, f->decl->switch_is, fr->prefix));
            }
        } else if ((to->kind == IDL_STRUCT || to->kind == IDL_UNION) && to->has_pointers) {
            line(fr, "%s(%s);", need_free_fn(g, to, f->loc), lv);
        } else if (to->kind == IDL_POINTER || (to->kind == IDL_ARRAY && to->has_pointers)) {
            line(fr, "if (%s != NULL) {", lv);
            fr->indent += 4;
            emit_free(fr, to, fmt(g, "*%s", lv), f, depth + 1);
            fr->indent -= 4;
            line(fr, "}");
        }
        /* --ms: a server procedure allocated [out] data with midl_user_allocate(), as MIDL's
         * stubs expect; the client's came from the runtime's malloc() */
        line(fr, "%s(%s);", g->ms && g->server ? "midl_user_free" : "free", lv);
        line(fr, "%s = NULL;", lv);
        return;
    }
    case IDL_STRUCT: line(fr, "%s(%s);", need_free_fn(g, r, f->loc), addr_of(g, lv)); return;
    case IDL_UNION:
        if (r->encapsulated)
            line(fr, "%s(%s);", need_free_fn(g, r, f->loc), addr_of(g, lv));
        else if (f->decl != NULL && f->decl->switch_is != NULL)
            line(fr, "%s(%s, %s);", need_free_fn(g, r, f->loc), addr_of(g, lv),
                 expr_c(g, f->decl->switch_is, fr->prefix));
        return;
    case IDL_ARRAY: {
        const char *i = unique_name(fr, loop_vars[depth]);
        const char *n = array_conformant(r) ? fmt(g, "(uint32_t)(%s)", size_value(g, r, fr->prefix))
                                            : fmt(g, "%u", (unsigned)r->length);
        line(fr, "for (uint32_t %s = 0; %s < %s; %s++) {", i, i, n, i);
        fr->indent += 4;
        emit_free(fr, r->target, fmt(g, "%s[%s]", lv, i), f, depth + 1);
        fr->indent -= 4;
        line(fr, "}");
        return;
    }
    default: return;
    }
}

/* A structure's or union's free function. In the client file it is public, declared in the
 * header (NAME_free_TYPE: the caller frees what a call returned); in the server file a static
 * NAME_release_TYPE frees what a procedure allocated for its [out] data once it is marshalled. */
static const char *need_free_fn(gen *g, const idl_type *r, idl_loc at)
{
    const char *key = type_key(g, r);
    if (key == NULL) {
        unsupported(g, at, "rpcidl cannot free an anonymous structure yet: give it a typedef name");
        return "free";
    }
    bool nonenc = r->kind == IDL_UNION && !r->encapsulated;
    /* public (declared in the header) for the file's own named types; a structure or union
     * declared inside another gets a static one */
    bool public = !g->server && (r->imported || is_own_pointer_type(g, r));
    const char *name = g->server ? fmt(g, "%s_release_%s", g->base, key)
                                 : fmt(g, "%s_free_%s", type_file_base(g, r), key);
    const char *proto = fmt(g, "%svoid %s(%s *$v%s)", public ? "" : "static ", name,
                            type_name(g, r), nonenc ? ", int64_t $discriminant" : "");
    if (!g->server && r->imported)
        return name; /* the imported file's client stubs define it */
    bool is_new;
    fn *f = fn_start(g, name, proto, &is_new);
    if (!is_new)
        return f->name;
    frame fr;
    frame_init(&fr, g, "$ndr", false, "$v->");
    fr.st = "$st";
    reserve(&fr, "$v");
    reserve(&fr, "$discriminant");
    line(&fr, "if ($v == NULL)");
    line(&fr, "    return;");
    if (r->kind == IDL_STRUCT) {
        for (const idl_decl *m = r->members; m != NULL; m = m->next) {
            field mf = {m, r, m->name, m->name, m->loc};
            emit_free(&fr, m->type, fmt(g, "$v->%s", m->name), &mf, 0);
        }
    } else {
        const char *disc =
            r->encapsulated ? fmt(g, "$v->%s", r->discriminant->name) : "$discriminant";
        const char *pre = r->encapsulated ? fmt(g, "$v->%s.", r->arm_name) : "$v->";
        line(&fr, "switch (%s) {", disc);
        for (const idl_decl *arm = r->members; arm != NULL; arm = arm->next) {
            if (arm->type == NULL || !res(arm->type)->has_pointers)
                continue;
            for (const idl_expr *c = arm->cases; c != NULL; c = c->next)
                line(&fr, "case %s:", expr_c(g, c, ""));
            if (arm->is_default)
                line(&fr, "default:");
            fr.indent += 4;
            field af = {arm, r, arm->name, arm->name, arm->loc};
            emit_free(&fr, arm->type, fmt(g, "%s%s", pre, arm->name), &af, 0);
            line(&fr, "break;");
            fr.indent -= 4;
        }
        bool has_default = false;
        for (const idl_decl *arm = r->members; arm != NULL; arm = arm->next)
            if (arm->is_default && arm->type != NULL && res(arm->type)->has_pointers)
                has_default = true;
        if (!has_default) {
            line(&fr, "default:");
            line(&fr, "    break;");
        }
        line(&fr, "}");
    }
    fn_finish(g, f,
              g->server ? fmt(g,
                              "Frees what the pointers in %s %s point to, not the %s itself: "
                              "what a procedure allocated with malloc() for its [out] data.",
                              article(type_name(g, r)), type_name(g, r), type_name(g, r))
                        : fmt(g,
                              "Frees what the pointers in %s %s point to, not the %s itself: "
                              "what a call returned.%s",
                              article(type_name(g, r)), type_name(g, r), type_name(g, r),
                              nonenc ? " `discriminant` says which arm is in use." : ""),
              &fr, "");
    frame_free(&fr);
    return f->name;
}

/* ==== the header ============================================================================== */

static const char *guard_of(gen *g)
{
    char *s = (char *)fmt(g, "%s_H", g->base);
    for (char *p = s; *p; p++) {
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
        else if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            *p = '_';
    }
    return s;
}

/* "[size_is(MaximumLength / 2), length_is(Length / 2)]", or NULL when there are none. */
static const char *attrs_text(gen *g, const idl_attr *attrs)
{
    if (attrs == NULL)
        return NULL;
    sb b = {0};
    sb_str(&b, "[");
    for (const idl_attr *a = attrs; a != NULL; a = a->next) {
        sb_str(&b, a->name);
        if (a->type_arg != NULL) {
            sb_printf(&b, "(%s)", idl_decl_text(g, a->type_arg, ""));
        } else if (a->nargs > 0) {
            sb_str(&b, "(");
            for (uint32_t i = 0; i < a->nargs; i++)
                sb_printf(&b, "%s%s", i > 0 ? ", " : "",
                          a->args[i] != NULL ? expr_idl(g, a->args[i]) : "");
            sb_str(&b, ")");
        }
        sb_str(&b, a->next != NULL ? ", " : "]");
    }
    return keep(g, b.s);
}

static void body_def(gen *g, sb *out, const idl_type *b, int indent);

/* The declarator of `name` of type t whose innermost type is the body written just before it:
 * "mixed" for typedef struct {...} mixed, "*PX" for typedef struct {...} *PX. */
static const char *declarator_after_body(gen *g, const idl_type *t, const char *name,
                                         const idl_type *body)
{
    const char *d = c_decl(g, t, name);
    const char *base = body->c_name != NULL       ? body->c_name
                       : body->kind == IDL_STRUCT ? "struct"
                       : body->kind == IDL_UNION  ? "union"
                                                  : "enum";
    size_t n = strlen(base);
    if (strncmp(d, base, n) == 0 && d[n] == ' ')
        return d + n + 1;
    if (strncmp(d, base, n) == 0 && d[n] == '*')
        return d + n;
    return d;
}

static void member_def(gen *g, sb *out, const idl_decl *m, int indent)
{
    if (m->type == NULL || m->name == NULL)
        return;
    sb_printf(out, "%*s%s", indent, "", m->c_const ? "const " : "");
    if (m->body != NULL) {
        body_def(g, out, m->body, indent);
        sb_printf(out, " %s;", declarator_after_body(g, m->type, m->name, m->body));
    } else {
        sb_printf(out, "%s;", c_decl(g, m->type, m->name));
    }
    const char *a = attrs_text(g, m->attrs);
    const idl_type *r = res(m->type);
    if (a != NULL)
        sb_printf(out, " /* %s */", a);
    else if (m->type->kind == IDL_POINTER && !r->ptr_explicit)
        sb_printf(out, " /* %s: the interface's pointer_default */", ptr_attr_name(r->ptr_kind));
    sb_str(out, "\n");
}

/* The C definition of a structure, union or enum body: "struct {\n...\n}". */
static void body_def(gen *g, sb *out, const idl_type *b, int indent)
{
    const char *tag = b->name != NULL ? fmt(g, " %s", b->name) : "";
    switch (b->kind) {
    case IDL_ENUM:
        sb_printf(out, "enum%s {\n", tag);
        for (const idl_const *k = b->enumerators; k != NULL; k = k->next)
            sb_printf(out, "%*s%s%s%s%s\n", indent + 4, "", k->name, k->expr != NULL ? " = " : "",
                      k->expr != NULL ? expr_c(g, k->expr, "") : "", k->next != NULL ? "," : "");
        break;
    case IDL_STRUCT:
        sb_printf(out, "struct%s {\n", tag);
        for (const idl_decl *m = b->members; m != NULL; m = m->next)
            member_def(g, out, m, indent + 4);
        break;
    case IDL_UNION:
        if (b->encapsulated) {
            sb_printf(out, "struct%s {\n", tag);
            member_def(g, out, b->discriminant, indent + 4);
            sb_printf(out, "%*sunion {\n", indent + 4, "");
            for (const idl_decl *m = b->members; m != NULL; m = m->next)
                member_def(g, out, m, indent + 8);
            sb_printf(out, "%*s} %s;\n", indent + 4, "", b->arm_name);
        } else {
            sb_printf(out, "union%s {\n", tag);
            for (const idl_decl *m = b->members; m != NULL; m = m->next)
                member_def(g, out, m, indent + 4);
        }
        break;
    default: break;
    }
    sb_printf(out, "%*s}", indent, "");
}

static void typedef_def(gen *g, sb *out, const idl_type *td)
{
    if (td->body != NULL) {
        sb_str(out, "typedef ");
        body_def(g, out, td->body, 0);
        sb_printf(out, " %s;\n", declarator_after_body(g, td->target, td->name, td->body));
    } else {
        sb_printf(out, "typedef %s;\n", c_decl(g, td->target, td->name));
    }
}

/* A C string literal from IDL: L"..." becomes u"..." (IDL's wchar_t is 16 bits, as is char16_t). */
static const char *c_string_literal(gen *g, const char *text)
{
    if (text[0] == 'L')
        return fmt(g, "u%s", text + 1);
    return text;
}

static void const_def(gen *g, sb *out, const idl_const *k)
{
    if (k->kind == IDL_CONST_STRING || (k->kind == IDL_CONST_DEFINE && k->str_text != NULL)) {
        sb_printf(out, "#define %s %s\n", k->name, c_string_literal(g, k->str_text));
        return;
    }
    const char *v = k->expr != NULL ? expr_c(g, k->expr, "") : fmt(g, "%lld", (long long)k->value);
    if (v[0] == '-' || v[0] == '~' || v[0] == '!')
        v = fmt(g, "(%s)", v);
    sb_printf(out, "#define %s %s\n", k->name, v);
}

/* "int32_t Add(int32_t a, int32_t b)": the procedure's C signature, the same for the client stub
 * and the server program's procedure. */
static const char *prototype(gen *g, const idl_operation *op)
{
    sb b = {0};
    sb_printf(&b, "%s(", op->name);
    if (op->params == NULL)
        sb_str(&b, "void");
    for (const idl_decl *p = op->params; p != NULL; p = p->next)
        sb_printf(&b, "%s%s%s", p->c_const ? "const " : "", c_decl(g, p->type, p->name),
                  p->next != NULL ? ", " : "");
    sb_str(&b, ")");
    const char *r = c_decl(g, op->ret, sb_text(&b));
    sb_free(&b);
    return r;
}

/* "void Echo([in] long n, [in, size_is(n)] byte *in, [out, size_is(n)] byte *out)" */
static const char *idl_signature(gen *g, const idl_operation *op)
{
    sb b = {0};
    sb_printf(&b, "%s %s(", idl_decl_text(g, op->ret, ""), op->name);
    bool first = true;
    for (const idl_decl *p = op->params; p != NULL; p = p->next) {
        if (p->synthetic)
            continue;
        sb_printf(&b, "%s%s", first ? "" : ", ", decl_idl(g, p));
        first = false;
    }
    if (first)
        sb_str(&b, "void");
    sb_str(&b, ")");
    const char *s = fmt(g, "%s", sb_text(&b));
    sb_free(&b);
    /* "void  Add" when the return type's text ends with a space */
    return s;
}

static bool own_interface(const idl_interface *ifc)
{
    return !ifc->imported;
}

/* Does a client stub use the implicit handle: an operation bound by it, or one bound by an
 * [in, out] context handle that may be NULL (context_falls_back())? */
static bool any_implicit(const idl_interface *ifc)
{
    for (const idl_operation *op = ifc->ops; op != NULL; op = op->next)
        if (op->binding == IDL_BIND_IMPLICIT ||
            (op->binding == IDL_BIND_CONTEXT && op->binding_param->dir == IDL_DIR_INOUT &&
             ifc->handle_mode == IDL_HANDLES_IMPLICIT))
            return true;
    return false;
}

/* Every structure and union of this file that has pointers: each gets a free function. */
typedef void (*type_visit)(gen *g, const idl_type *r, void *ctx);

static void own_pointer_types(gen *g, type_visit fnv, void *ctx)
{
    const idl_type *seen[512];
    size_t nseen = 0;
    for (const idl_item *it = g->file->items; it != NULL; it = it->next) {
        const idl_item *list = it->kind == IDL_ITEM_INTERFACE ? it->iface->items : it;
        for (const idl_item *j = list; j != NULL; j = j->next) {
            if (j->kind == IDL_ITEM_TYPEDEF || j->kind == IDL_ITEM_TYPE) {
                const idl_type *r = res(j->type);
                bool dup = false;
                for (size_t i = 0; i < nseen; i++)
                    dup |= seen[i] == r;
                if (!dup && (r->kind == IDL_STRUCT || r->kind == IDL_UNION) && r->has_pointers &&
                    !r->imported && type_name(g, r) != NULL) {
                    if (nseen < sizeof seen / sizeof seen[0])
                        seen[nseen++] = r;
                    fnv(g, r, ctx);
                }
            }
            if (it->kind != IDL_ITEM_INTERFACE)
                break;
        }
    }
}

/* Every context handle typedef of this file (not its imports), in order. */
static void own_context_types(gen *g, type_visit fnv, void *ctx)
{
    for (const idl_item *it = g->file->items; it != NULL; it = it->next) {
        const idl_item *list = it->kind == IDL_ITEM_INTERFACE ? it->iface->items : it;
        if (it->kind == IDL_ITEM_INTERFACE && it->iface->imported)
            continue;
        for (const idl_item *j = list; j != NULL; j = j->next) {
            if (j->kind == IDL_ITEM_TYPEDEF && j->type->context_handle && !j->type->imported)
                fnv(g, j->type, ctx);
            if (it->kind != IDL_ITEM_INTERFACE)
                break;
        }
    }
}

static void declare_rundown(gen *g, const idl_type *td, void *ctx)
{
    (void)g;
    sb_printf(ctx, "void %s_rundown(%s);\n", td->name, td->name);
}

typedef struct find_ctx {
    const idl_type *want;
    bool found;
} find_ctx;

static void find_type(gen *g, const idl_type *r, void *ctx)
{
    (void)g;
    find_ctx *fc = ctx;
    fc->found |= fc->want == r;
}

/* Does the header declare a free function for r (one of this file's own named types)? */
static bool is_own_pointer_type(gen *g, const idl_type *r)
{
    find_ctx fc = {r, false};
    own_pointer_types(g, find_type, &fc);
    return fc.found;
}

static void declare_free_fn(gen *g, const idl_type *r, void *ctx)
{
    sb *out = ctx;
    bool nonenc = r->kind == IDL_UNION && !r->encapsulated;
    sb_printf(out, "void %s_free_%s(%s *v%s);\n", g->base, type_key(g, r), type_name(g, r),
              nonenc ? ", int64_t discriminant" : "");
}

static void header_items(gen *g, sb *out, const idl_item *items, bool consts)
{
    for (const idl_item *it = items; it != NULL; it = it->next) {
        switch (it->kind) {
        case IDL_ITEM_CONST:
            if (consts)
                const_def(g, out, it->constant);
            break;
        case IDL_ITEM_CPP_QUOTE:
            if (!consts)
                sb_printf(out, "%s\n", it->text);
            break;
        case IDL_ITEM_TYPEDEF:
            if (!consts) {
                if (out->len > 0)
                    sb_str(out, "\n");
                if (it->type->context_handle)
                    put_comment(out, 0,
                                fmt(g,
                                    "%s, a context handle: in a client, an opaque handle to "
                                    "state a server keeps (rs_client_context_destroy() frees one "
                                    "without telling the server); in the server, the procedure's "
                                    "own pointer to that state.",
                                    it->type->name));
                typedef_def(g, out, it->type);
            }
            break;
        case IDL_ITEM_TYPE:
            if (!consts) {
                if (out->len > 0)
                    sb_str(out, "\n");
                body_def(g, out, it->type, 0);
                sb_str(out, ";\n");
            }
            break;
        case IDL_ITEM_INTERFACE:
            if (!it->iface->imported)
                header_items(g, out, it->iface->items, consts);
            break;
        default: break;
        }
    }
}

static const char *interface_title(gen *g)
{
    sb b = {0};
    unsigned n = 0;
    for (const idl_interface *ifc = g->file->interfaces; ifc != NULL; ifc = ifc->next) {
        if (!own_interface(ifc))
            continue;
        sb_printf(&b, "%s%s %u.%u", n > 0 ? ", " : "", ifc->name, ifc->ver_major, ifc->ver_minor);
        n++;
    }
    const char *s = fmt(g, "%s %s", n == 1 ? "interface" : "interfaces", n > 0 ? sb_text(&b) : "");
    sb_free(&b);
    return s;
}

static void write_header(gen *g, sb *out)
{
    put_opening(out, fmt(g, "%s.h -- %s, generated by rpcidl " IDL_GEN_VERSION " from %s.", g->base,
                         interface_title(g), g->idl_name));
    sb_printf(out, " * Do not edit: change %s and run rpcidl again.\n", g->idl_name);
    sb_str(out, " *\n");
    sb_printf(out,
              " * A client program calls the procedures below as if they were local: %s_c.c "
              "holds their\n * client stubs, which send each call to a server. A server "
              "program defines the procedures\n * and registers the interface that %s_s.c "
              "describes, whose stubs call them.\n",
              g->base, g->base);
    sb_str(out, " */\n");
    const char *guard = guard_of(g);
    sb_printf(out, "#ifndef %s\n#define %s\n\n", guard, guard);
    sb_str(out, "#include <rpcscope/stub.h>\n");
    if (g->ms)
        sb_str(out, "\n/* rpcidl --ms: Microsoft's RPC API (rpcscope's compat/rpc.h), as MIDL's headers "
                    "include it */\n#include \"rpc.h\"\n#include \"rpcndr.h\"\n");
    sb_str(out, "\n#if RS_STUB_VERSION != 1\n");
    sb_printf(out,
              "#error \"%s.h was made for another rpcscope runtime: run rpcidl on %s again\"\n",
              g->base, g->idl_name);
    sb_str(out, "#endif\n");
    bool imports = false;
    for (const idl_item *it = g->file->items; it != NULL; it = it->next) {
        if (it->kind == IDL_ITEM_IMPORT && it->import != NULL) {
            if (!imports)
                sb_str(out, "\n");
            sb_printf(out, "#include \"%s.h\"\n", it->import->basename);
            imports = true;
        }
    }

    sb consts = {0}, types = {0};
    header_items(g, &consts, g->file->items, true);
    header_items(g, &types, g->file->items, false);
    if (consts.len > 0)
        sb_printf(out, "\n/* ---- Constants ---- */\n\n%s", sb_text(&consts));
    if (types.len > 0)
        sb_printf(out, "\n/* ---- Types ---- */\n\n%s", sb_text(&types));
    sb_free(&consts);
    sb_free(&types);

    for (const idl_interface *ifc = g->file->interfaces; ifc != NULL; ifc = ifc->next) {
        if (!own_interface(ifc))
            continue;
        sb_printf(out, "\n/* ---- The interface %s ---- */\n\n", ifc->name);
        if (any_implicit(ifc)) {
            sb_printf(out,
                      "/* The binding the client stubs use%s: set it before the first call. "
                      "*/\n",
                      ifc->implicit_handle_from_acf ? " (the ACF's implicit_handle)" : "");
            sb_printf(out, "extern %s%s;\n\n", g->ms ? "handle_t " : "rs_client *",
                      ifc->implicit_handle);
        }
        sb_printf(out,
                  "/* %s as the runtime sees it: its UUID, version and operations. The client "
                  "stubs name\n * the first in each call; a server registers the second. */\n",
                  ifc->name);
        sb_printf(out, "extern const rs_interface %s_client_interface;\n", ifc->name);
        sb_printf(out, "extern const rs_interface %s_server_interface;\n", ifc->name);
        sb_str(out, "\n/* The names MIDL gives them. */\n");
        sb_printf(out, "#define %s_v%u_%u_c_ifspec (&%s_client_interface)\n", ifc->name,
                  ifc->ver_major, ifc->ver_minor, ifc->name);
        sb_printf(out, "#define %s_v%u_%u_s_ifspec (&%s_server_interface)\n", ifc->name,
                  ifc->ver_major, ifc->ver_minor, ifc->name);
        if (g->ms) {
            sb_printf(out, "#define %s_ClientIfHandle %s_v%u_%u_c_ifspec\n", ifc->name, ifc->name,
                      ifc->ver_major, ifc->ver_minor);
            sb_printf(out, "#define %s_ServerIfHandle %s_v%u_%u_s_ifspec\n", ifc->name, ifc->name,
                      ifc->ver_major, ifc->ver_minor);
        }
        if (ifc->ops != NULL)
            sb_printf(out, "\n/* ---- Procedures of %s ---- */\n", ifc->name);
        for (const idl_operation *op = ifc->ops; op != NULL; op = op->next)
            sb_printf(out, "\n/* opnum %u */\n%s;\n", op->opnum, prototype(g, op));
    }

    sb rundowns = {0};
    own_context_types(g, declare_rundown, &rundowns);
    if (rundowns.len > 0) {
        sb_str(out, "\n/* ---- Running down context handles (the server program defines these) "
                    "---- */\n\n");
        sb_str(out, "/* The server runtime calls TYPE_rundown() for each handle still open when "
                    "the connection of the\n * client that holds it closes (the client exited, "
                    "crashed, or closed its binding without closing\n * the handle), with the "
                    "procedure's pointer, so that the server can free the state. A handle\n * the "
                    "procedure closed itself (setting it NULL) is not run down. */\n");
        sb_str(out, sb_text(&rundowns));
    }
    sb_free(&rundowns);

    sb frees = {0};
    own_pointer_types(g, declare_free_fn, &frees);
    if (frees.len > 0) {
        sb_str(out, "\n/* ---- Freeing what a call returned ---- */\n\n");
        sb_str(out, "/* What a call returns through pointers was allocated with malloc() and "
                    "belongs to the caller.\n * Each function frees what the pointers in a value "
                    "point to, not the value itself. */\n");
        sb_str(out, sb_text(&frees));
    }
    sb_free(&frees);
    sb_printf(out, "\n#endif\n");
}

/* ==== the interface description (both files) ================================================== */

static void write_interface(gen *g, sb *out, const idl_interface *ifc, bool server)
{
    const char *side = server ? "server" : "client";
    const rs_uuid *u = &ifc->uuid;
    if (ifc->ops != NULL) {
        sb_printf(out, "static const rs_operation %s_%s_operations[] = {\n", ifc->name, side);
        int width = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (const idl_operation *op = ifc->ops; op != NULL; op = op->next) {
                const char *entry =
                    server ? fmt(g, "{\"%s\", %s_%s_stub},", op->name, ifc->name, op->name)
                           : fmt(g, "{\"%s\", NULL},", op->name);
                if (pass == 0 && (int)strlen(entry) > width)
                    width = (int)strlen(entry);
                if (pass == 1)
                    sb_printf(out, "    %-*s /* opnum %u */\n", width, entry, op->opnum);
            }
        }
        sb_str(out, "};\n\n");
    }
    sb_printf(out, "/* %s %u.%u: %s */\n", ifc->name, ifc->ver_major, ifc->ver_minor,
              ifc->uuid_text);
    sb_printf(out, "const rs_interface %s_%s_interface = {\n", ifc->name, side);
    sb_printf(out, "    \"%s\",\n", ifc->name);
    sb_printf(out,
              "    {{0x%08x, 0x%04x, 0x%04x, {0x%02x, 0x%02x}, {0x%02x, 0x%02x, 0x%02x, 0x%02x, "
              "0x%02x, 0x%02x}}, %u, %u},\n",
              (unsigned)u->time_low, (unsigned)u->time_mid, (unsigned)u->time_hi_and_version,
              u->clock_seq[0], u->clock_seq[1], u->node[0], u->node[1], u->node[2], u->node[3],
              u->node[4], u->node[5], ifc->ver_major, ifc->ver_minor);
    if (ifc->ops != NULL)
        sb_printf(out, "    %s_%s_operations,\n    %u,\n", ifc->name, side, ifc->nops);
    else
        sb_str(out, "    NULL,\n    0,\n");
    sb_str(out, "};\n");
}

/* ==== parameters ============================================================================== */

typedef enum {
    P_BINDING, /* handle_t: chooses the server, never on the wire */
    P_VALUE,   /* by value: long a, mixed m, [switch_is(k)] num n */
    P_ARRAY,   /* a top-level array, or the array a top-level [ref] pointer points to */
    P_REF,     /* a top-level [ref] pointer to one value: mixed *m, long *p, char **pp */
    P_PTR,     /* a top-level [unique] or [ptr] pointer: a referent id, then the referent */
    P_CTX,     /* a context handle, by value ([in] CTX h) or through a [ref] pointer (CTX *ph) */
} pkind;

typedef struct param {
    const idl_decl *d;
    pkind kind;
    const idl_type *arr;    /* P_ARRAY: the array */
    const idl_type *target; /* P_REF, P_PTR: what the pointer points to (the array for P_PTR too);
                               P_CTX: the context handle's type (context_of()) */
    field f;
    const char *count; /* P_ARRAY: its elements, as C, once known */
    const char *out;   /* client P_REF [out]: the local the response is decoded into; server
                          P_CTX: the void * the runtime fills, when the handle is not a void * */
    bool byref;        /* P_CTX: CTX *ph rather than CTX h */
    const char *reply; /* client P_CTX [out]: the rs_client_context_reply decoded into */
    const char *wire;  /* server P_CTX: the rs_ndr_context_handle that came and goes back */
} param;

/* Whether a parameter may put an array on the wire: an array, a pointer, or a structure or union
 * (which may hold either). Only those make rs_ndr_set_by_reference() worth a line. */
static bool may_carry_array(const param *p)
{
    if (p->kind == P_ARRAY || p->kind == P_PTR)
        return true;
    if (p->kind != P_VALUE && p->kind != P_REF)
        return false;
    const idl_type *t = res(p->kind == P_REF ? p->target : p->d->type);
    return t->kind == IDL_STRUCT || t->kind == IDL_UNION || t->kind == IDL_POINTER ||
           t->kind == IDL_ARRAY;
}

/* Whether any of the np parameters that go `dir` (IDL_DIR_IN or IDL_DIR_OUT) may carry an
 * array. */
static bool arrays_go(const param *ps, size_t np, unsigned dir)
{
    for (size_t i = 0; i < np; i++)
        if ((ps[i].d->dir & dir) && may_carry_array(&ps[i]))
            return true;
    return false;
}

/* The context handle a parameter (or return value) is, or points to: its type as written (a
 * typedef such as COUNTER, or the [context_handle] pointer itself), or NULL. */
static const idl_type *context_of(const idl_type *t, bool *byref)
{
    const idl_type *r = res(t);
    *byref = false;
    if (r->kind == IDL_POINTER && res(r->target)->kind == IDL_CONTEXT_HANDLE) {
        *byref = true;
        return r->target;
    }
    return r->kind == IDL_CONTEXT_HANDLE ? t : NULL;
}

/* The typedef that declares a context handle type ([context_handle] on the typedef): it names
 * the rundown. NULL for [context_handle] written on a parameter, which has none. */
static const idl_type *context_typedef(const idl_type *t)
{
    for (int depth = 0; t != NULL && t->kind == IDL_TYPEDEF && depth < IDL_MAX_DEPTH; depth++) {
        if (t->context_handle)
            return t;
        t = t->target;
    }
    return NULL;
}

static param classify(const idl_decl *d)
{
    param p = {.d = d, .kind = P_VALUE};
    p.f = (field){d, NULL, NULL, d->name, d->loc};
    const idl_type *r = res(d->type);
    const idl_type *ctx = context_of(d->type, &p.byref);
    if (ctx != NULL) {
        p.kind = P_CTX; /* it may bind the call too (d->is_binding): it travels all the same */
        p.target = ctx;
    } else if (d->is_binding || r->kind == IDL_HANDLE) {
        p.kind = P_BINDING;
    } else if (r->kind == IDL_ARRAY) {
        p.kind = P_ARRAY;
        p.arr = r;
    } else if (r->kind == IDL_POINTER) {
        const idl_type *arr = pointee_array(r);
        p.target = arr != NULL ? arr : r->target;
        if (d->ptr_kind == IDL_PTR_REF) {
            p.kind = arr != NULL ? P_ARRAY : P_REF;
            p.arr = arr;
        } else {
            p.kind = P_PTR;
        }
    }
    return p;
}

static const char *zero_init(const idl_type *t)
{
    const idl_type *r = res(t);
    switch (r->kind) {
    case IDL_STRUCT:
    case IDL_UNION:
    case IDL_ARRAY: return "{0}";
    case IDL_POINTER:
    case IDL_HANDLE:
    case IDL_CONTEXT_HANDLE: return "NULL";
    default: return "0";
    }
}

/* Why the parameter travels as it does: the NDR rule, for the comment above its calls. */
static const char *param_rule(gen *g, const param *p)
{
    switch (p->kind) {
    case P_BINDING: return "the binding: it chooses the server and does not travel";
    case P_VALUE: {
        const idl_type *r = res(p->d->type);
        if (r->kind == IDL_STRUCT)
            return "a structure by value: aligned to its largest member, then each member";
        if (r->kind == IDL_UNION && !r->encapsulated)
            return "a union: the discriminant, then the arm it selects";
        return NULL;
    }
    case P_ARRAY: {
        const idl_type *a = p->arr;
        const char *head = res(p->d->type)->kind == IDL_POINTER
                               ? "a top-level [ref] pointer has no wire form of its own; "
                               : "";
        if (a->is_string && a->size_is == NULL && a->max_is == NULL)
            return fmt(g,
                       "%sthe string is a conformant-varying array: max_count, offset, "
                       "actual_count, then the characters with the terminator",
                       head);
        if (!array_conformant(a))
            return array_varying(a) ? "a varying array: offset, actual_count, then those elements"
                                    : "a fixed array: the elements alone";
        if (array_varying(a))
            return fmt(g,
                       "%sthe array is conformant-varying: max_count, offset, actual_count, "
                       "then the elements sent",
                       head);
        return fmt(g, "%sthe array is conformant: max_count first, then the elements", head);
    }
    case P_REF:
        return "a top-level [ref] pointer has no wire form: what it points to is marshalled in "
               "its place";
    case P_PTR:
        return fmt(g, "a top-level %s pointer: a referent id (0 for NULL), then what it points to",
                   ptr_attr_name(p->d->ptr_kind));
    case P_CTX:
        return "a context handle: 20 bytes, the attributes and the UUID by which the server knows "
               "the state it keeps (all zeros: NULL)";
    }
    return NULL;
}

static void param_comment(frame *fr, const param *p)
{
    const char *rule = param_rule(fr->g, p);
    if (rule != NULL)
        comment(fr, "%s -- %s.", decl_idl(fr->g, p->d), rule);
    else
        comment(fr, "%s", decl_idl(fr->g, p->d));
}

/* What the trace reports of a parameter: its address and size in this process. */
static const char *trace_args(gen *g, const param *p)
{
    const char *n = p->d->name;
    const char *ct = c_type(g, p->d->type);
    switch (p->kind) {
    case P_VALUE: return fmt(g, "\"%s\", \"%s\", &%s, sizeof %s", n, ct, n, n);
    case P_ARRAY:
        if (p->arr->is_string && p->arr->size_is == NULL && p->arr->max_is == NULL)
            return fmt(
                g, "\"%s\", \"%s\", %s, %s", n, ct, n,
                is_wchar_array(p->arr)
                    ? fmt(g, "%s != NULL ? (rs_stub_wcslen(%s) + 1) * sizeof *%s : 0", n, n, n)
                    : fmt(g, "%s != NULL ? strlen((const char *)%s) + 1 : 0", n, n));
        if (!array_conformant(p->arr) || p->count == NULL)
            return fmt(g, "\"%s\", \"%s\", %s, %s", n, ct, n,
                       array_conformant(p->arr)
                           ? "0"
                           : fmt(g, "sizeof *%s * %u", n, (unsigned)p->arr->length));
        return fmt(g, "\"%s\", \"%s\", %s, (size_t)%s * sizeof *%s", n, ct, n, p->count, n);
    case P_REF: return fmt(g, "\"%s\", \"%s\", %s, sizeof *%s", n, ct, n, n);
    case P_CTX:
        if (p->byref)
            return fmt(g, "\"%s\", \"%s\", %s, sizeof *%s", n, ct, n, n);
        return fmt(g, "\"%s\", \"%s\", &%s, sizeof %s", n, ct, n, n);
    case P_PTR:
        if (pointee_array(res(p->d->type)) != NULL)
            return fmt(
                g, "\"%s\", \"%s\", %s, %s", n, ct, n,
                is_wchar_array(p->target)
                    ? fmt(g, "%s != NULL ? (rs_stub_wcslen(%s) + 1) * sizeof *%s : 0", n, n, n)
                    : fmt(g, "%s != NULL ? strlen((const char *)%s) + 1 : 0", n, n));
        return fmt(g, "\"%s\", \"%s\", %s, %s != NULL ? sizeof *%s : 0", n, ct, n, n, n);
    default: return NULL;
    }
}

static void trace_param(frame *fr, const param *p, bool written, bool out)
{
    const char *args = trace_args(fr->g, p);
    if (args != NULL)
        line(fr, "rs_trace_param(RS_TRACE_PARAM_%s, %s, %s);", written ? "WRITTEN" : "READ", args,
             out ? "true" : "false");
}

/* Checks a parameter's IDL before generating anything for it. */
static bool param_supported(gen *g, const param *p)
{
    if (p->kind == P_CTX && p->byref && p->d->ptr_kind != IDL_PTR_REF) {
        unsupported(g, p->d->loc,
                    "a pointer to a context handle must be [ref] (the default for "
                    "parameters): '%s' is %s",
                    p->d->name, ptr_attr_name(p->d->ptr_kind));
        return false;
    }
    if (p->kind != P_CTX && has_context_handle(p->d->type, 0)) {
        unsupported(g, p->d->loc,
                    "a context handle can only be a parameter, what a parameter points to, or "
                    "a return value ('%s')",
                    p->d->name);
        return false;
    }
    if (p->kind == P_PTR) {
        const idl_type *arr = pointee_array(res(p->d->type));
        if (arr != NULL && !(arr->is_string && arr->size_is == NULL && arr->max_is == NULL)) {
            unsupported(g, p->d->loc,
                        "rpcidl cannot marshal a top-level %s sized pointer yet: "
                        "make '%s' [ref] (the default for parameters)",
                        ptr_attr_name(p->d->ptr_kind), p->d->name);
            return false;
        }
        const idl_type *to = res(p->target);
        if (arr != NULL && p->d->ptr_kind == IDL_PTR_FULL) {
            unsupported(g, p->d->loc,
                        "rpcidl cannot marshal a top-level [ptr] string yet: make "
                        "'%s' [unique]",
                        p->d->name);
            return false;
        }
        if (to->kind == IDL_UNION && !to->encapsulated) {
            unsupported(g, p->d->loc,
                        "rpcidl cannot marshal a top-level %s pointer to a union "
                        "without switch yet: make '%s' [ref]",
                        ptr_attr_name(p->d->ptr_kind), p->d->name);
            return false;
        }
        if (p->d->dir & IDL_DIR_OUT) {
            unsupported(g, p->d->loc,
                        "rpcidl cannot marshal an [out] %s pointer parameter yet: "
                        "make '%s' [ref] (the default for parameters)",
                        ptr_attr_name(p->d->ptr_kind), p->d->name);
            return false;
        }
    }
    if (p->kind == P_VALUE && (p->d->dir & IDL_DIR_OUT)) {
        unsupported(g, p->d->loc, "an [out] parameter must be a pointer ('%s')", p->d->name);
        return false;
    }
    if ((p->d->dir & IDL_DIR_OUT) && p->kind == P_ARRAY) {
        const idl_type *a = p->arr;
        if (a->is_string && a->size_is == NULL && a->max_is == NULL) {
            unsupported(g, p->d->loc,
                        "an [out] [string] needs [size_is] to say how much room "
                        "the caller's buffer has ('%s')",
                        p->d->name);
            return false;
        }
        const idl_decl *o = expr_out_only(a->size_is);
        if (o == NULL)
            o = expr_out_only(a->max_is);
        if (o != NULL) {
            unsupported(g, p->d->loc,
                        "rpcidl cannot size the [out] array '%s' by the [out] "
                        "parameter '%s' yet: its size must come from [in] "
                        "parameters",
                        p->d->name, o->name);
            return false;
        }
    }
    if ((p->d->dir & IDL_DIR_OUT) && p->kind == P_REF) {
        const idl_type *to = res(p->target);
        if (to->kind == IDL_STRUCT && to->conformant) {
            unsupported(g, p->d->loc,
                        "rpcidl cannot marshal an [out] conformant structure yet "
                        "('%s')",
                        p->d->name);
            return false;
        }
    }
    return true;
}

/* "/ * ---- opnum 4: void Reverse([in] long n, [in, out, size_is(n)] long *v) ---- * /" */
static void opnum_heading(gen *g, sb *out, const idl_operation *op)
{
    const char *text = fmt(g, "---- opnum %u: %s", op->opnum, idl_signature(g, op));
    sb_str(out, "\n");
    if (strlen(text) + 11 <= LINE_WIDTH)
        sb_printf(out, "/* %s ---- */\n", text);
    else
        put_comment(out, 0, text);
}

/* ==== the client stubs ======================================================================== */

/* [in]: the parameter from the caller's memory into the request. */
static void client_put(frame *fr, param *p)
{
    gen *g = fr->g;
    const char *n = p->d->name;
    const char *qn = q(g, n);
    switch (p->kind) {
    case P_VALUE:
        trace_param(fr, p, false, false);
        emit_field(fr, p->d->type, n, qn, &p->f);
        break;
    case P_ARRAY: {
        const idl_type *a = p->arr;
        if (!array_conformant(a)) {
            trace_param(fr, p, false, false);
            emit_fixed_array(fr, a, n, qn, &p->f);
            break;
        }
        counts c = sized_counts_put(fr, a, n, &p->f);
        p->count = sized_trace_count(fr, a, n, c);
        trace_param(fr, p, false, false);
        sized_put(fr, a, n, qn, c, &p->f);
        break;
    }
    case P_REF: {
        const idl_type *to = res(p->target);
        trace_param(fr, p, false, false);
        if (to->kind == IDL_STRUCT && to->conformant) {
            const char *fnn = need_struct_fn(g, to, false, p->d->loc);
            call(fr, "%s(%s, %s, %s)", fnn, fr->ndr, qn, n);
        } else if (to->kind == IDL_POINTER) {
            emit_pointer(fr, to, to->ptr_kind, fmt(g, "*%s", n), qn, &p->f);
        } else {
            emit_field(fr, p->target, fmt(g, "*%s", n), qn, &p->f);
        }
        break;
    }
    case P_PTR: {
        const idl_type *arr = pointee_array(res(p->d->type));
        const char *how = ptr_call(p->d->ptr_kind);
        trace_param(fr, p, false, false);
        if (arr != NULL) {
            call(fr, "rs_ndr_put_%s(%s, %s, %s, rs_ndr_put_%s_fn)", how, fr->ndr, qn, n,
                 is_wchar_array(arr) ? "wstring" : "string");
        } else {
            const idl_type *to = res(p->target);
            const char *cb = to->kind == IDL_STRUCT && to->conformant
                                 ? need_struct_fn(g, to, false, p->d->loc)
                                 : need_value_fn(g, p->target, false, p->d->loc);
            call(fr, "rs_ndr_put_%s(%s, %s, %s, %s)", how, fr->ndr, qn, n, cb);
        }
        break;
    }
    case P_CTX:
        /* its 20 bytes: no referents follow, so there is nothing to flush */
        trace_param(fr, p, false, false);
        call(fr, "rs_client_put_context_handle(&%s, %s, %s, %s)", fr->call, qn,
             p->byref ? fmt(g, "*%s", n) : n, p->d->dir == IDL_DIR_INOUT ? "true" : "false");
        return;
    case P_BINDING: return;
    }
    call(fr, "rs_ndr_flush(%s)", fr->ndr);
}

/* [out] only: nothing to send, but an [out] array's room is known now, from the [in] values. */
static void client_prepare_out(frame *fr, param *p)
{
    gen *g = fr->g;
    const char *n = p->d->name;
    if (p->kind != P_ARRAY || !array_conformant(p->arr))
        return;
    comment(fr, "%s -- nothing to send; the caller's array has room for %s elements.",
            decl_idl(g, p->d), size_attr(g, p->arr));
    p->count = count_local(fr, n, "size", size_attr(g, p->arr), size_value(g, p->arr, ""));
}

/* [out]: the parameter from the response; arrays straight into the caller's memory, other values
 * into a local that becomes the caller's once the whole call has succeeded. */
static void client_get(frame *fr, param *p)
{
    gen *g = fr->g;
    const char *n = p->d->name;
    const char *qn = q(g, n);
    if (p->kind == P_CTX)
        comment(fr,
                "%s -- the 20 bytes the server sent back: zeros close the handle, a UUID keeps "
                "%sor makes one; *%s changes only once the whole call has succeeded.",
                decl_idl(g, p->d), p->d->dir & IDL_DIR_IN ? "the caller's " : "", n);
    else
        param_comment(fr, p);
    if (p->kind == P_CTX) {
        /* what the caller had goes in as `old`: kept (and updated) unless the server closed it */
        p->reply = local(fr, "rs_client_context_reply", fmt(g, "%s_reply", n), "{0}");
        call(fr, "rs_client_get_context_handle(&%s, %s, %s, &%s)", fr->call, qn,
             p->d->dir & IDL_DIR_IN ? fmt(g, "*%s", n) : "NULL", p->reply);
        return;
    }
    if (p->kind == P_ARRAY) {
        const idl_type *a = p->arr;
        if (!array_conformant(a)) {
            emit_fixed_array(fr, a, n, qn, &p->f);
            flush_checks(fr, "What arrived must agree with the IDL's counts.");
        } else {
            emit_sized_get_into(fr, a, n, qn, p->count, &p->f);
        }
    } else if (p->kind == P_REF) {
        const idl_type *to = res(p->target);
        p->out = local_decl(fr, p->target, fmt(g, "%s_out", n), zero_init(p->target));
        if (to->kind == IDL_POINTER) {
            emit_pointer(fr, to, to->ptr_kind, p->out, qn, &p->f);
        } else if (to->kind == IDL_UNION && !to->encapsulated) {
            /* the client takes the arm the discriminant selects; its own switch_is value may be
             * an [out] that is still on its way */
            const char *fnn = need_union_fn(g, to, p->d->switch_type, true, p->d->loc);
            const char *disc = local(fr, "int64_t", fmt(g, "%s_switch", n), "0");
            if (fnn != NULL)
                call(fr, "%s(%s, %s, &%s, &%s)", fnn, fr->ndr, qn, p->out, disc);
        } else {
            emit_field(fr, p->target, p->out, qn, &p->f);
        }
    }
    call(fr, "rs_ndr_flush(%s)", fr->ndr);
}

/* The client the call goes to, when a handle_t or the implicit handle binds it. */
static const char *binding_of(const idl_operation *op)
{
    return op->binding == IDL_BIND_EXPLICIT ? op->binding_param->name : op->iface->implicit_handle;
}

/* Does an operation bound by an [in, out] context handle fall back to the implicit handle when
 * the handle is NULL (as MIDL's stubs do)? Only where the interface has an implicit handle. */
static bool context_falls_back(const idl_operation *op)
{
    return op->binding == IDL_BIND_CONTEXT && op->binding_param->dir == IDL_DIR_INOUT &&
           op->iface->handle_mode == IDL_HANDLES_IMPLICIT;
}

/* Starts the call: rs_client_call_begin() with the binding, or, for an operation that a context
 * handle binds, rs_client_call_begin_context() with the handle. */
static void client_begin(frame *fr, const idl_interface *ifc, const idl_operation *op)
{
    gen *g = fr->g;
    if (op->binding != IDL_BIND_CONTEXT) {
        call(fr, "rs_client_call_begin(&%s, %s, &%s_client_interface, %u)", fr->call,
             binding_of(op), ifc->name, op->opnum);
        return;
    }
    const idl_decl *b = op->binding_param;
    bool byref;
    context_of(b->type, &byref);
    bool fallback = context_falls_back(op);
    sb_str(&fr->body, "\n"); /* the comment is the body's first line: not the locals' */
    comment(fr, "The context handle %s%s binds the call: it goes to the client the handle was made "
                "on%s%s%s.",
            byref ? "*" : "", b->name, fallback ? " (a NULL one: to " : "",
            fallback ? ifc->implicit_handle : "", fallback ? ")" : "");
    call(fr, "rs_client_call_begin_context(&%s, %s, %s, &%s_client_interface, %u)", fr->call,
         byref ? fmt(g, "%s != NULL ? *%s : NULL", b->name, b->name) : b->name,
         fallback ? ifc->implicit_handle : "NULL", ifc->name, op->opnum);
}

static bool has_result(const idl_operation *op)
{
    return res(op->ret)->kind != IDL_VOID;
}

static bool result_supported(gen *g, const idl_operation *op)
{
    const idl_type *r = res(op->ret);
    bool byref;
    if (has_context_handle(op->ret, 0) && (context_of(op->ret, &byref) == NULL || byref)) {
        unsupported(g, op->loc,
                    "a return value can be a context handle, but not a pointer to one (%s)",
                    op->name);
        return false;
    }
    if (r->kind == IDL_POINTER && r->ptr_kind == IDL_PTR_REF) {
        unsupported(g, op->loc, "a return value cannot be a [ref] pointer (%s)", op->name);
        return false;
    }
    if ((r->kind == IDL_UNION && !r->encapsulated) || (r->kind == IDL_STRUCT && r->conformant)) {
        unsupported(g, op->loc,
                    "rpcidl cannot return a union without switch or a conformant "
                    "structure (%s)",
                    op->name);
        return false;
    }
    return true;
}

/* The [in, out] context handles among the parameters. */
static size_t kept_count(const param *ps, size_t np)
{
    size_t n = 0;
    for (size_t i = 0; i < np; i++)
        n += ps[i].kind == P_CTX && ps[i].d->dir == IDL_DIR_INOUT;
    return n;
}

static bool any_out_param(const param *ps, size_t np)
{
    for (size_t i = 0; i < np; i++)
        if ((ps[i].d->dir & IDL_DIR_OUT) && ps[i].kind != P_BINDING)
            return true;
    return false;
}

/* Has a failed call anything to zero? Not when its only outputs are [in, out] context handles,
 * which stay the caller's. */
static bool zeroed_on_failure(const param *ps, size_t np, bool has_result_value)
{
    for (size_t i = 0; i < np; i++)
        if ((ps[i].d->dir & IDL_DIR_OUT) && ps[i].kind != P_BINDING &&
            !(ps[i].kind == P_CTX && ps[i].d->dir == IDL_DIR_INOUT))
            return true;
    return has_result_value;
}

/* The client stub's report that the return value is now in the client's hands: the counterpart
 * of the server stub's PARAM_READ of "return", so that the window shows the value on both sides. */
static const char *trace_result(frame *fr, const idl_type *ret, const char *result)
{
    return fmt(fr->g, "rs_trace_param(RS_TRACE_PARAM_WRITTEN, \"return\", \"%s\", &%s, sizeof %s, true);",
               c_type(fr->g, ret), result, result);
}

static void write_client_stub(gen *g, sb *out, const idl_interface *ifc, const idl_operation *op)
{
    frame fr;
    frame_init(&fr, g, NULL, false, "");
    param ps[256];
    size_t np = 0;
    bool ok = result_supported(g, op);
    for (const idl_decl *d = op->params; d != NULL && np < 256; d = d->next) {
        reserve(&fr, d->name);
        ps[np] = classify(d);
        ok = param_supported(g, &ps[np]) && ok;
        np++;
    }
    reserve(&fr, op->name);
    const char *callv = unique_name(&fr, "call");
    fr.st = unique_name(&fr, "st");
    fr.ndr = fmt(g, "&%s.ndr", callv);
    fr.call = callv;
    const char *result =
        has_result(op) ? local_decl(&fr, op->ret, "result", zero_init(op->ret)) : NULL;
    bool result_byref;
    bool result_ctx = result != NULL && context_of(op->ret, &result_byref) != NULL;
    sb_printf(&fr.locals, "    rs_client_call %s;\n", callv);
    if (!ok) {
        frame_free(&fr);
        return;
    }
    client_begin(&fr, ifc, op);
    /* [ref] pointers first: a size expression (length_is(*len)) may read through one */
    bool any_ref = false;
    for (size_t i = 0; i < np; i++) {
        const param *p = &ps[i];
        bool in_string = p->kind == P_ARRAY && p->arr->is_string && p->arr->size_is == NULL &&
                         p->arr->max_is == NULL; /* rs_ndr_put_string() checks it */
        bool ref = p->kind == P_REF || p->kind == P_ARRAY || (p->kind == P_CTX && p->byref);
        if (!ref || in_string)
            continue;
        if (!any_ref) {
            blank(&fr);
            comment(&fr, "[ref] pointers are never NULL: each is checked before anything reads "
                         "through it.");
        }
        any_ref = true;
        check_now(&fr, fmt(g, "%s == NULL", p->d->name), "RS_ERR_NULL_REF",
                  fmt(g, "\"ndr: %s is a [ref] pointer and NULL\"", p->d->name));
    }
    if (arrays_go(ps, np, IDL_DIR_IN)) {
        blank(&fr);
        comment(&fr, "The [in] data is the caller's for the whole call: large arrays are sent "
                     "from where they are, not copied into the request first.");
        line(&fr, "rs_ndr_set_by_reference(%s);", fr.ndr);
    }
    bool outputs = result != NULL;
    for (size_t i = 0; i < np; i++) {
        param *p = &ps[i];
        if (p->d->dir & IDL_DIR_OUT)
            outputs = true;
        if (p->kind == P_BINDING) {
            blank(&fr);
            comment(&fr, "%s -- %s.", decl_idl(g, p->d), param_rule(g, p));
            continue;
        }
        if (p->d->dir & IDL_DIR_IN) {
            blank(&fr);
            param_comment(&fr, p);
            client_put(&fr, p);
        } else {
            if (p->kind == P_ARRAY && array_conformant(p->arr))
                blank(&fr);
            client_prepare_out(&fr, p);
        }
    }
    blank(&fr);
    comment(&fr, "Send the request; wait for the response.");
    call(&fr, "rs_client_call_invoke(&%s)", callv);

    fr.get = true;
    if (outputs) {
        blank(&fr);
        comment(&fr, "Unmarshal the [out] parameters and the return value (in separate blocks "
                     "that become the caller's when the call succeeds).");
    }
    for (size_t i = 0; i < np; i++) {
        if (!(ps[i].d->dir & IDL_DIR_OUT) || ps[i].kind == P_BINDING)
            continue;
        blank(&fr);
        client_get(&fr, &ps[i]);
    }
    const char *result_reply = NULL;
    if (result_ctx) {
        blank(&fr);
        comment(&fr, "the return value, %s: a context handle, 20 bytes (all zeros: NULL)",
                idl_decl_text(g, op->ret, ""));
        result_reply = local(&fr, "rs_client_context_reply", "result_reply", "{0}");
        call(&fr, "rs_client_get_context_handle(&%s, \"return\", NULL, &%s)", callv,
             result_reply);
    } else if (result != NULL) {
        blank(&fr);
        comment(&fr, "the return value, %s", idl_decl_text(g, op->ret, ""));
        field rf = {NULL, NULL, NULL, "result", op->loc};
        const idl_type *r = res(op->ret);
        if (r->kind == IDL_POINTER)
            emit_pointer(&fr, r, r->ptr_kind, result, "\"return\"", &rf);
        else
            emit_field(&fr, op->ret, result, "\"return\"", &rf);
        flush_checks(&fr, "What arrived must agree with the IDL's counts and switches.");
    }

    blank(&fr);
    /* copies to make once the whole response was read; a context handle returned counts */
    bool out_params = result_ctx;
    for (size_t i = 0; i < np; i++)
        out_params |= (ps[i].d->dir & IDL_DIR_OUT) && ps[i].kind != P_BINDING;
    if (!outputs) {
        line(&fr, "rs_client_call_end(&%s, %s);", callv, fr.st);
    } else if (!out_params) {
        comment(&fr, "The response was read to its end: the return value is the caller's.");
        line(&fr, "if (%s == RS_OK && rs_ndr_remaining(%s) == 0)", fr.st, fr.ndr);
        line(&fr, "    %s", trace_result(&fr, op->ret, result));
        comment(&fr, "A failed call returns %s: rs_last_call_status() says why.",
                strcmp(zero_init(op->ret), "0") == 0 ? "0" : "zero");
        line(&fr, "if (rs_client_call_end(&%s, %s) != RS_OK)", callv, fr.st);
        if (strcmp(zero_init(op->ret), "{0}") == 0)
            line(&fr, "    memset(&%s, 0, sizeof %s);", result, result);
        else
            line(&fr, "    %s = %s;", result, zero_init(op->ret));
    } else {
        /* The copies happen before rs_client_call_end(): its CALL_END event closes the call in
         * the trace, and an error handler may longjmp out of it. They wait until the response was
         * read to its end, the one check rs_client_call_end() could still fail after a good
         * decode, so that the caller's memory never holds pointers into blocks it frees. */
        comment(&fr, "The response was read to its end: the %s what arrived.",
                result_ctx && !any_out_param(ps, np) ? "return value takes"
                                                     : "[out] parameters take");
        line(&fr, "if (%s == RS_OK && rs_ndr_remaining(%s) == 0) {", fr.st, fr.ndr);
        fr.indent += 4;
        for (size_t i = 0; i < np; i++) {
            param *p = &ps[i];
            if (!(p->d->dir & IDL_DIR_OUT) || p->kind == P_BINDING)
                continue;
            if (p->out != NULL)
                line(&fr, "*%s = %s;", p->d->name, p->out);
            if (p->kind == P_CTX)
                line(&fr, "*%s = rs_client_context_apply(%s, &%s);", p->d->name,
                     p->d->dir & IDL_DIR_IN ? fmt(g, "*%s", p->d->name) : "NULL", p->reply);
            trace_param(&fr, p, true, true);
        }
        if (result_ctx)
            line(&fr, "%s = rs_client_context_apply(NULL, &%s);", result, result_reply);
        if (result != NULL)
            line(&fr, "%s", trace_result(&fr, op->ret, result));
        fr.indent -= 4;
        line(&fr, "}");
        if (!zeroed_on_failure(ps, np, result != NULL)) {
            bool many = kept_count(ps, np) > 1;
            comment(&fr,
                    "A failed call leaves the context handle%s as %s: the caller still holds "
                    "%s. rs_last_call_status() says why.",
                    many ? "s" : "", many ? "they were" : "it was", many ? "them" : "it");
            line(&fr, "rs_client_call_end(&%s, %s);", callv, fr.st);
        }
    }
    if (outputs && out_params && zeroed_on_failure(ps, np, result != NULL)) {
        line(&fr, "%s = rs_client_call_end(&%s, %s);", fr.st, callv, fr.st);
        line(&fr, "if (%s != RS_OK) {", fr.st);
        fr.indent += 4;
        comment(&fr,
                "A failed call leaves its [out] parameters%s zero%s: rs_last_call_status() "
                "says why.",
                result != NULL ? " and its return value" : "",
                kept_count(ps, np) > 0
                    ? " ([in, out] context handles as they were: the caller still holds them)"
                    : "");
        for (size_t i = 0; i < np; i++) {
            param *p = &ps[i];
            if (!(p->d->dir & IDL_DIR_OUT) || p->kind == P_BINDING)
                continue;
            const char *n = p->d->name;
            if (p->kind == P_CTX) {
                if (p->d->dir == IDL_DIR_OUT) {
                    line(&fr, "if (%s != NULL)", n);
                    line(&fr, "    *%s = NULL;", n);
                }
                continue;
            }
            line(&fr, "if (%s != NULL)", n);
            if (p->kind == P_ARRAY && array_conformant(p->arr))
                line(&fr, "    memset(%s, 0, (size_t)%s * sizeof *%s);", n, p->count, n);
            else if (p->kind == P_ARRAY)
                line(&fr, "    memset(%s, 0, sizeof *%s * %u);", n, n, (unsigned)p->arr->length);
            else
                line(&fr, "    memset(%s, 0, sizeof *%s);", n, n);
        }
        if (result != NULL)
            line(&fr, "memset(&%s, 0, sizeof %s);", result, result);
        fr.indent -= 4;
        line(&fr, "}");
    }
    if (result != NULL)
        line(&fr, "return %s;", result);

    opnum_heading(g, out, op);
    put_wrapped(out, 0, prototype(g, op));
    sb_printf(out, "{\n%s%s}\n", sb_text(&fr.locals), sb_text(&fr.body));
    frame_free(&fr);
}

/* ==== the server stubs ======================================================================== */

/* The rs_context_type the server stubs hand the runtime for a context handle of type `ctx` (as a
 * parameter writes it), by the name of its variable; written once per file, before the stubs. */
static const char *need_context_type(gen *g, const idl_type *ctx)
{
    const idl_type *td = context_typedef(ctx);
    const char *ctype = c_type(g, res(ctx)); /* "void *", "struct session *" */
    const char *var, *name;
    if (td != NULL) {
        var = fmt(g, "%s_%s_context", g->base, td->name);
        name = fmt(g, "%s.%s", type_file_base(g, td), td->name);
    } else {
        char *key = (char *)fmt(g, "%s", ctype);
        size_t n = 0;
        for (const char *c = ctype; *c; c++)
            if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                *c == '_' || (*c == ' ' && n > 0 && key[n - 1] != '_'))
                key[n++] = *c == ' ' ? '_' : *c;
        while (n > 0 && key[n - 1] == '_')
            n--;
        key[n] = '\0';
        var = fmt(g, "%s_untyped_%s_context", g->base, key);
        name = fmt(g, "[context_handle] %s", ctype);
    }
    for (size_t i = 0; i < g->ncontext_vars; i++)
        if (strcmp(g->context_vars[i], var) == 0)
            return var;
    grow((void **)&g->context_vars, &g->capcontext_vars, g->ncontext_vars + 1,
         sizeof *g->context_vars);
    g->context_vars[g->ncontext_vars++] = var;

    sb *out = &g->contexts;
    sb_str(out, "\n");
    if (td == NULL) {
        put_comment(out, 0,
                    fmt(g,
                        "A %s, a context handle declared on a parameter, without a type: any "
                        "such handle is accepted where one is expected, and none is run down "
                        "(only a typedef names a rundown).",
                        name));
        sb_printf(out, "static const rs_context_type %s = {\n    \"%s\",\n    NULL,\n};\n", var,
                  name);
        return var;
    }
    const char *rundown = fmt(g, "%s_rundown", td->name);
    if (strcmp(ctype, "void *") != 0) {
        /* the runtime calls a rundown with a void *; C may not call a function of another type
         * through that pointer */
        const char *wrapper = fmt(g, "%s_rundown_%s", g->base, td->name);
        put_comment(out, 0,
                    fmt(g,
                        "%s(), which the server program defines, as the runtime calls a "
                        "rundown: with the procedure's pointer as a void *.",
                        rundown));
        sb_printf(out, "static void %s(void *$context)\n{\n    %s($context);\n}\n\n", wrapper,
                  rundown);
        rundown = wrapper;
    }
    put_comment(out, 0,
                fmt(g,
                    "%s, a context handle type: the runtime accepts a handle only where a %s is "
                    "expected, and calls %s_rundown() (which the server program defines) for "
                    "each one still open when the connection of its client closes.",
                    td->name, td->name, td->name));
    sb_printf(out, "static const rs_context_type %s = {\n    \"%s\",\n    %s,\n};\n", var, name,
              rundown);
    return var;
}

/* A parameter's own local, under its own name (already reserved). */
static void param_local(frame *fr, const idl_type *t, const char *n, const char *init)
{
    fr->exact = true;
    local_decl(fr, t, n, init);
    fr->exact = false;
}

/* Is the handle's C type void * ([context_handle] void *), which the runtime's void ** can
 * point to directly? */
static bool context_is_void_ptr(gen *g, const idl_type *ctx)
{
    return strcmp(c_type(g, res(ctx)), "void *") == 0;
}

static void server_locals(frame *fr, param *p)
{
    gen *g = fr->g;
    const char *n = p->d->name;
    switch (p->kind) {
    case P_BINDING:
    case P_VALUE:
    case P_PTR: param_local(fr, p->d->type, n, zero_init(p->d->type)); return;
    case P_CTX:
        /* the 20 bytes that came (zeros for [out]-only) and go back, and the procedure's pointer:
         * a local, and for CTX *ph a local ph points to */
        p->wire = local(fr, "rs_ndr_context_handle", fmt(g, "%s_wire", n), "{0}");
        if (p->byref) {
            const char *v = local_decl(fr, p->target, fmt(g, "%s_value", n), "NULL");
            param_local(fr, p->d->type, n, fmt(g, "&%s", v));
        } else {
            param_local(fr, p->d->type, n, "NULL");
        }
        if ((p->d->dir & IDL_DIR_IN) && !context_is_void_ptr(g, p->target))
            p->out = local(fr, "void *", fmt(g, "%s_context", n), "NULL");
        return;
    case P_ARRAY:
        if (!array_conformant(p->arr))
            param_local(fr, p->arr, n, "{0}");
        else
            sb_printf(&fr->locals, "    %s *%s = NULL;\n", c_type(g, p->arr->target), n);
        return;
    case P_REF: {
        const idl_type *to = res(p->target);
        if (to->kind == IDL_STRUCT && to->conformant) {
            param_local(fr, p->d->type, n, "NULL");
            return;
        }
        const char *v = local_decl(fr, p->target, fmt(g, "%s_value", n), zero_init(p->target));
        param_local(fr, p->d->type, n, fmt(g, "&%s", v));
        return;
    }
    }
}

/* [in]: the parameter from the request into the call's arena (or the stub's locals). */
static void server_get(frame *fr, param *p)
{
    gen *g = fr->g;
    const char *n = p->d->name;
    const char *qn = q(g, n);
    param_comment(fr, p);
    switch (p->kind) {
    case P_VALUE: emit_field(fr, p->d->type, n, qn, &p->f); break;
    case P_ARRAY:
        if (!array_conformant(p->arr))
            emit_fixed_array(fr, p->arr, n, qn, &p->f);
        else
            p->count = emit_sized_get_alloc(fr, p->arr, n, qn, &p->f, false);
        break;
    case P_REF: {
        const idl_type *to = res(p->target);
        if (to->kind == IDL_STRUCT && to->conformant)
            call(fr, "%s(%s, %s, &%s)", need_struct_fn(g, to, true, p->d->loc), fr->ndr, qn, n);
        else if (to->kind == IDL_POINTER)
            emit_pointer(fr, to, to->ptr_kind, fmt(g, "*%s", n), qn, &p->f);
        else
            emit_field(fr, p->target, fmt(g, "*%s", n), qn, &p->f);
        break;
    }
    case P_PTR: {
        const idl_type *arr = pointee_array(res(p->d->type));
        const char *how = ptr_call(p->d->ptr_kind);
        const idl_type *to = res(p->target);
        if (arr != NULL)
            call(fr, "rs_ndr_get_%s(%s, %s, &%s, RS_NDR_SIZE_FROM_WIRE, rs_ndr_get_%s_fn)", how,
                 fr->ndr, qn, n, is_wchar_array(arr) ? "wstring" : "string");
        else if (to->kind == IDL_STRUCT && to->conformant)
            call(fr, "rs_ndr_get_%s(%s, %s, &%s, RS_NDR_SIZE_FROM_WIRE, %s)", how, fr->ndr, qn, n,
                 need_struct_fn(g, to, true, p->d->loc));
        else
            call(fr, "rs_ndr_get_%s(%s, %s, &%s, sizeof *%s, %s)", how, fr->ndr, qn, n, n,
                 need_value_fn(g, p->target, true, p->d->loc));
        break;
    }
    case P_CTX: {
        /* the runtime finds the procedure's pointer by the UUID: a void *, which is the handle's
         * own type when it is [context_handle] void *, else one more assignment */
        const char *slot = p->out != NULL ? fmt(g, "&%s", p->out) : p->byref ? n : fmt(g, "&%s", n);
        call(fr, "rs_server_get_context_handle(%s, %s, &%s, %s, &%s, %s)", fr->call, qn,
             need_context_type(g, p->target), p->d->dir == IDL_DIR_INOUT ? "true" : "false",
             p->wire, slot);
        if (p->out != NULL)
            line(fr, "%s%s = %s;", p->byref ? "*" : "", n, p->out);
        return;
    }
    case P_BINDING: return;
    }
    call(fr, "rs_ndr_flush(%s)", fr->ndr);
}

/* [out] only: the storage the procedure fills, provided by the stub. */
static void server_out_storage(frame *fr, param *p, const char *callv)
{
    gen *g = fr->g;
    const char *n = p->d->name;
    if (p->kind != P_ARRAY || !array_conformant(p->arr))
        return; /* a local already: n points to it */
    comment(fr, "%s -- the stub provides the %s elements the procedure fills, in the call's arena.",
            decl_idl(g, p->d), size_attr(g, p->arr));
    const char *in = fmt(g, "&%s->in", callv);
    const char *size = local(fr, "uint32_t", fmt(g, "%s_size", n), "0");
    const char *mem = local(fr, "void *", fmt(g, "%s_mem", n), "NULL");
    call(fr, "rs_stub_count(%s, %s, %s, &%s)", in, q(g, size_attr(g, p->arr)),
         size_value(g, p->arr, ""), size);
    call(fr, "rs_stub_alloc(%s, %s, 0, %s, sizeof *%s, &%s)", in, q(g, n), size, n, mem);
    line(fr, "%s = %s;", n, mem);
    p->count = size;
}

/* [out]: the parameter from the stub's memory into the response. */
static void server_put(frame *fr, param *p)
{
    gen *g = fr->g;
    const char *n = p->d->name;
    const char *qn = q(g, n);
    if (p->kind == P_CTX)
        comment(fr,
                "%s -- the runtime records what the procedure left in *%s (new state: a new UUID; "
                "NULL: the handle is closed and zeros go back), and sends its 20 bytes. Always: "
                "even in a call that fails, the registry must learn it.",
                decl_idl(g, p->d), n);
    else
        param_comment(fr, p);
    trace_param(fr, p, false, true);
    if (p->kind == P_CTX) {
        call_always(fr, "rs_server_put_context_handle(%s, %s, &%s, &%s, *%s)", fr->call, qn,
                    need_context_type(g, p->target), p->wire, n);
        return;
    }
    switch (p->kind) {
    case P_ARRAY: {
        const idl_type *a = p->arr;
        if (!array_conformant(a)) {
            emit_fixed_array(fr, a, n, qn, &p->f);
            break;
        }
        counts c = {NULL, NULL, NULL};
        if (!(a->is_string && a->size_is == NULL && a->max_is == NULL)) {
            /* the size the storage has: the [size_is] the [in] data gave */
            c.size = p->count;
            if (array_varying(a)) {
                c.first = a->first_is != NULL
                              ? count_local(fr, n, "first", attr_text(g, "first_is", a->first_is),
                                            expr_c(g, a->first_is, ""))
                              : "0";
                if (length_value(g, a, "") != NULL)
                    c.length =
                        count_local(fr, n, "length", length_attr(g, a), length_value(g, a, ""));
                else
                    c.length =
                        fmt(g, "%s(%s, %s)",
                            is_wchar_array(a) ? "rs_stub_wstring_count" : "rs_stub_string_count", n,
                            c.size);
            }
        }
        sized_put(fr, a, n, qn, c, &p->f);
        break;
    }
    case P_REF: {
        const idl_type *to = res(p->target);
        if (to->kind == IDL_STRUCT && to->conformant)
            call(fr, "%s(%s, %s, %s)", need_struct_fn(g, to, false, p->d->loc), fr->ndr, qn, n);
        else if (to->kind == IDL_POINTER)
            emit_pointer(fr, to, to->ptr_kind, fmt(g, "*%s", n), qn, &p->f);
        else
            emit_field(fr, p->target, fmt(g, "*%s", n), qn, &p->f);
        break;
    }
    default: break;
    }
    call(fr, "rs_ndr_flush(%s)", fr->ndr);
}

static void write_server_stub(gen *g, sb *out, const idl_interface *ifc, const idl_operation *op)
{
    frame fr;
    frame_init(&fr, g, NULL, true, "");
    param ps[256];
    size_t np = 0;
    bool ok = result_supported(g, op);
    for (const idl_decl *d = op->params; d != NULL && np < 256; d = d->next) {
        reserve(&fr, d->name);
        ps[np] = classify(d);
        ok = param_supported(g, &ps[np]) && ok;
        np++;
    }
    reserve(&fr, op->name);
    const char *callv = unique_name(&fr, "call");
    fr.st = unique_name(&fr, "st");
    fr.ndr = fmt(g, "&%s->in", callv);
    fr.call = callv;
    if (!ok) {
        frame_free(&fr);
        return;
    }
    for (size_t i = 0; i < np; i++)
        server_locals(&fr, &ps[i]);
    const char *result =
        has_result(op) ? local_decl(&fr, op->ret, "result", zero_init(op->ret)) : NULL;

    bool ins = false;
    for (size_t i = 0; i < np; i++)
        ins |= (ps[i].d->dir & IDL_DIR_IN) && ps[i].kind != P_BINDING;
    if (ins)
        comment(&fr, "Unmarshal the [in] parameters: they live in the call's arena until the reply "
                     "is sent.");
    for (size_t i = 0; i < np; i++) {
        param *p = &ps[i];
        if (p->kind == P_BINDING) {
            blank(&fr);
            comment(&fr,
                    "%s -- the binding: it does not travel, and a server has no client "
                    "binding to give the procedure, so it gets NULL.",
                    decl_idl(g, p->d));
            continue;
        }
        if (!(p->d->dir & IDL_DIR_IN))
            continue;
        blank(&fr);
        server_get(&fr, p);
    }
    flush_checks(&fr,
                 "Check what arrived against the sizes and switches the IDL gives: the wire is "
                 "never trusted.");
    for (size_t i = 0; i < np; i++) {
        if ((ps[i].d->dir & IDL_DIR_IN) || ps[i].kind == P_BINDING)
            continue;
        if (ps[i].kind == P_ARRAY && array_conformant(ps[i].arr)) {
            blank(&fr);
            server_out_storage(&fr, &ps[i], callv);
        }
    }
    if (fr.st_declared) {
        line(&fr, "if (%s != RS_OK)", fr.st);
        bool handles = false; /* a handle it does not hold is a fault of its own */
        for (size_t i = 0; i < np; i++)
            handles |= ps[i].kind == P_CTX && (ps[i].d->dir & IDL_DIR_IN);
        line(&fr, "    return %s; /* a fault (%s); the procedure does not run */", fr.st,
             handles ? "nca_s_fault_ndr or context_mismatch" : "nca_s_fault_ndr");
    }
    blank(&fr);
    for (size_t i = 0; i < np; i++)
        if ((ps[i].d->dir & IDL_DIR_IN) && ps[i].kind != P_BINDING)
            trace_param(&fr, &ps[i], true, false);

    blank(&fr);
    comment(&fr, "Call the procedure the server program defines.");
    line(&fr, "%s->executed = true;", callv);
    line(&fr, "rs_trace_procedure(RS_TRACE_PROCEDURE_ENTER, \"%s\");", op->name);
    sb args = {0};
    for (size_t i = 0; i < np; i++)
        sb_printf(&args, "%s%s", i > 0 ? ", " : "", ps[i].d->name);
    if (result != NULL)
        line(&fr, "%s = %s(%s);", result, op->name, sb_text(&args));
    else
        line(&fr, "%s(%s);", op->name, sb_text(&args));
    sb_free(&args);
    line(&fr, "rs_trace_procedure(RS_TRACE_PROCEDURE_RETURN, \"%s\");", op->name);

    fr.get = false;
    fr.ndr = fmt(g, "&%s->out", callv);
    bool outs = result != NULL;
    for (size_t i = 0; i < np; i++)
        outs |= (ps[i].d->dir & IDL_DIR_OUT) && ps[i].kind != P_BINDING;
    bool out_arrays = arrays_go(ps, np, IDL_DIR_OUT);
    if (outs) {
        blank(&fr);
        comment(&fr, "Marshal the [out] parameters and the return value.%s",
                out_arrays ? " The [out] data lives until the reply is sent: large arrays are "
                             "sent from where they are, not copied into the response first."
                           : "");
    }
    if (out_arrays)
        line(&fr, "rs_ndr_set_by_reference(%s);", fr.ndr);
    fr.known_ok = fr.st_declared; /* after the early return above */
    for (size_t i = 0; i < np; i++) {
        if (!(ps[i].d->dir & IDL_DIR_OUT) || ps[i].kind == P_BINDING)
            continue;
        blank(&fr);
        server_put(&fr, &ps[i]);
    }
    bool result_byref;
    const idl_type *result_ctx = result != NULL ? context_of(op->ret, &result_byref) : NULL;
    if (result_ctx != NULL) {
        blank(&fr);
        comment(&fr,
                "the return value, %s: a context handle -- the state the procedure returned, "
                "under a new UUID (zeros for NULL)",
                idl_decl_text(g, op->ret, ""));
        line(&fr, "rs_trace_param(RS_TRACE_PARAM_READ, \"return\", \"%s\", &%s, sizeof %s, true);",
             c_type(g, op->ret), result, result);
        const char *wire = local(&fr, "rs_ndr_context_handle", "result_wire", "{0}");
        call_always(&fr, "rs_server_put_context_handle(%s, \"return\", &%s, &%s, %s)", callv,
                    need_context_type(g, result_ctx), wire, result);
    } else if (result != NULL) {
        blank(&fr);
        comment(&fr, "the return value, %s", idl_decl_text(g, op->ret, ""));
        line(&fr, "rs_trace_param(RS_TRACE_PARAM_READ, \"return\", \"%s\", &%s, sizeof %s, true);",
             c_type(g, op->ret), result, result);
        field rf = {NULL, NULL, NULL, "result", op->loc};
        const idl_type *r = res(op->ret);
        if (r->kind == IDL_POINTER)
            emit_pointer(&fr, r, r->ptr_kind, result, "\"return\"", &rf);
        else
            emit_field(&fr, op->ret, result, "\"return\"", &rf);
        call(&fr, "rs_ndr_flush(%s)", fr.ndr);
    }

    /* what the procedure allocated for [out] data: its malloc()s, freed now they are sent */
    sb frees = {0};
    sb saved = fr.body;
    fr.body = frees;
    for (size_t i = 0; i < np; i++) {
        param *p = &ps[i];
        if ((p->d->dir & IDL_DIR_IN) || !(p->d->dir & IDL_DIR_OUT) || p->kind == P_BINDING)
            continue;
        if (p->kind == P_ARRAY && array_conformant(p->arr)) {
            if (res(p->arr->target)->has_pointers) {
                const char *i2 = unique_name(&fr, "i");
                line(&fr, "for (uint32_t %s = 0; %s < %s; %s++) {", i2, i2, p->count, i2);
                fr.indent += 4;
                emit_free(&fr, p->arr->target, fmt(g, "%s[%s]", p->d->name, i2), &p->f, 1);
                fr.indent -= 4;
                line(&fr, "}");
            }
        } else if (p->kind == P_ARRAY) {
            emit_free(&fr, p->arr, p->d->name, &p->f, 0);
        } else if (p->kind == P_REF) {
            emit_free(&fr, p->target, fmt(g, "*%s", p->d->name), &p->f, 0);
        }
    }
    if (result != NULL) {
        field rf = {NULL, NULL, NULL, "result", op->loc};
        emit_free(&fr, op->ret, result, &rf, 0);
    }
    frees = fr.body;
    fr.body = saved;
    if (frees.len > 0) {
        blank(&fr);
        comment(&fr, "Free what the procedure allocated for its [out] data (with malloc(), as "
                     "MIDL's midl_user_allocate), now that it is marshalled%s.",
                out_arrays ? ": first the arrays left in place are copied into the response" : "");
        if (out_arrays)
            line(&fr, "rs_ndr_fill_refs(%s);", fr.ndr);
        sb_str(&fr.body, sb_text(&frees));
    }
    sb_free(&frees);
    line(&fr, "return %s;", fr.st_declared ? fr.st : "RS_OK");

    opnum_heading(g, out, op);
    sb_printf(out, "static rs_status %s_%s_stub(rs_server_call *%s)\n{\n", ifc->name, op->name,
              callv);
    if (fr.locals.len > 0)
        sb_printf(out, "%s\n", sb_text(&fr.locals));
    sb_printf(out, "%s}\n", sb_text(&fr.body));
    frame_free(&fr);
}

/* ==== the two .c files ======================================================================== */

static void write_fns(gen *g, sb *out, const char *section)
{
    if (g->nfns == 0)
        return;
    sb_printf(out, "\n/* ---- %s ---- */\n", section);
    bool fwd = false;
    for (size_t i = 0; i < g->nfns; i++) {
        if (g->fns[i]->forward && strncmp(g->fns[i]->proto, "static ", 7) == 0) {
            if (!fwd)
                sb_str(out,
                       "\n/* Declared first: these types contain pointers to themselves. */\n");
            put_wrapped(out, 0, fmt(g, "%s;", g->fns[i]->proto));
            fwd = true;
        }
    }
    for (size_t i = 0; i < g->nfns; i++)
        sb_printf(out, "\n%s", g->fns[i]->text);
}

static void define_free_fn(gen *g, const idl_type *r, void *ctx)
{
    (void)ctx;
    need_free_fn(g, r, r->loc);
}

static void write_client(gen *g, sb *out)
{
    g->server = false;
    put_opening(out, fmt(g,
                         "%s_c.c -- client stubs for %s, generated by rpcidl " IDL_GEN_VERSION
                         " from %s.",
                         g->base, interface_title(g), g->idl_name));
    sb_printf(out, " * Do not edit: change %s and run rpcidl again.\n", g->idl_name);
    sb_str(out,
           " *\n"
           " * Each function here has the signature of a procedure in the IDL, but does not do "
           "its work:\n"
           " * it marshals the [in] parameters into NDR, has the runtime send them to the "
           "server and wait,\n"
           " * and unmarshals the [out] parameters and the return value from the response.\n"
           " *\n"
           " * A call that fails (no server, a fault, a response that does not decode) returns "
           "0 and leaves\n"
           " * its [out] parameters zero; rs_last_call_status() and rs_last_call_error() say "
           "why. What a\n"
           " * call returns through pointers (strings, arrays, embedded pointers) was allocated "
           "with\n"
           " * malloc() and belongs to the caller: free() it, or call the NAME_free_TYPE() "
           "function the\n"
           " * header declares for a structure that holds pointers.\n"
           " */\n");
    sb_printf(out, "#include \"%s.h\"\n", g->base);

    sb stubs = {0};
    for (const idl_interface *ifc = g->file->interfaces; ifc != NULL; ifc = ifc->next)
        if (own_interface(ifc))
            for (const idl_operation *op = ifc->ops; op != NULL; op = op->next)
                write_client_stub(g, &stubs, ifc, op);
    own_pointer_types(g, define_free_fn, NULL);

    for (const idl_interface *ifc = g->file->interfaces; ifc != NULL; ifc = ifc->next) {
        if (!own_interface(ifc))
            continue;
        sb_printf(out, "\n/* ---- the binding and the interface %s ---- */\n\n", ifc->name);
        if (any_implicit(ifc)) {
            sb_printf(out, "/* The binding every call uses%s: set it before the first call. */\n",
                      ifc->implicit_handle_from_acf ? " (the ACF's implicit_handle)" : "");
            sb_printf(out, "rs_client *%s;\n\n", ifc->implicit_handle);
        }
        write_interface(g, out, ifc, false);
    }
    write_fns(g, out, "marshalling the types (each as the calls below need it) and freeing them");
    sb_str(out, sb_text(&stubs));
    sb_free(&stubs);
    fns_free(g);
}

static void write_server(gen *g, sb *out)
{
    g->server = true;
    put_opening(out, fmt(g,
                         "%s_s.c -- server stubs for %s, generated by rpcidl " IDL_GEN_VERSION
                         " from %s.",
                         g->base, interface_title(g), g->idl_name));
    sb_printf(out, " * Do not edit: change %s and run rpcidl again.\n", g->idl_name);
    sb_str(out, " *\n"
                " * The server runtime calls one stub per request, by opnum, through the dispatch "
                "table at the\n"
                " * end. A stub unmarshals the [in] parameters from the request, calls the "
                "procedure -- which the\n"
                " * server program defines, with the signature the header declares -- and "
                "marshals the [out]\n"
                " * parameters and the return value into the response.\n"
                " *\n"
                " * Memory: the [in] data lives in the call's arena and is freed by the runtime "
                "after the reply;\n"
                " * the stub provides the storage of top-level [out] parameters. What a procedure "
                "allocates for\n"
                " * [out] data through embedded pointers must come from malloc(): the stub frees "
                "it once it is\n"
                " * marshalled. A procedure makes its call fail with rs_server_raise(code).\n"
                " */\n");
    sb_printf(out, "#include \"%s.h\"\n", g->base);
    sb stubs = {0};
    for (const idl_interface *ifc = g->file->interfaces; ifc != NULL; ifc = ifc->next)
        if (own_interface(ifc))
            for (const idl_operation *op = ifc->ops; op != NULL; op = op->next)
                write_server_stub(g, &stubs, ifc, op);
    write_fns(g, out, "marshalling the types (each as the stubs below need it)");
    if (g->contexts.len > 0) {
        sb_str(out, "\n/* ---- the context handle types the stubs below keep ---- */\n");
        sb_str(out, sb_text(&g->contexts));
    }
    sb_free(&g->contexts);
    sb_str(out, sb_text(&stubs));
    sb_free(&stubs);
    for (const idl_interface *ifc = g->file->interfaces; ifc != NULL; ifc = ifc->next) {
        if (!own_interface(ifc))
            continue;
        sb_printf(out, "\n/* ---- the dispatch table of %s: the stub of each opnum ---- */\n\n",
                  ifc->name);
        write_interface(g, out, ifc, true);
    }
    fns_free(g);
}

/* ==== entry point ============================================================================= */

static char *file_name(const char *base, const char *suffix)
{
    size_t n = strlen(base) + strlen(suffix) + 1;
    char *s = malloc(n);
    if (s == NULL)
        abort();
    snprintf(s, n, "%s%s", base, suffix);
    return s;
}

rs_status idl_gen_c(const idl_file *f, idl_diags *d, idl_gen_output *out)
{
    idl_gen_options o = {0};
    return idl_gen_c_with(f, &o, d, out);
}

rs_status idl_gen_c_with(const idl_file *f, const idl_gen_options *o, idl_diags *d,
                         idl_gen_output *out)
{
    memset(out, 0, sizeof *out);
    gen g = {0};
    g.ms = o->ms;
    g.file = f;
    g.diags = d;
    g.base = f->basename;
    const char *slash = strrchr(f->path, '/');
    g.idl_name = slash != NULL ? slash + 1 : f->path;

    collect_globals(&g);
    sb h = {0}, c = {0}, s = {0}, raw = {0};
    write_client(&g, &raw);
    c.s = resolve_names(&g, sb_text(&raw));
    c.len = strlen(c.s);
    sb_free(&raw);
    write_server(&g, &raw);
    s.s = resolve_names(&g, sb_text(&raw));
    s.len = strlen(s.s);
    sb_free(&raw);
    write_header(&g, &h);

    rs_status st = g.errors > 0 ? RS_ERR_UNSUPPORTED : RS_OK;
    if (st == RS_OK) {
        sb *texts[IDL_GEN_FILES] = {
            [IDL_GEN_HEADER] = &h, [IDL_GEN_CLIENT] = &c, [IDL_GEN_SERVER] = &s};
        const char *suffix[IDL_GEN_FILES] = {".h", "_c.c", "_s.c"};
        for (int i = 0; i < IDL_GEN_FILES; i++) {
            out->files[i].name = file_name(g.base, suffix[i]);
            out->files[i].len = texts[i]->len;
            out->files[i].text = texts[i]->s != NULL ? texts[i]->s : strdup("");
            if (out->files[i].text == NULL)
                abort();
        }
    } else {
        sb_free(&h);
        sb_free(&c);
        sb_free(&s);
    }
    for (size_t i = 0; i < g.npool; i++)
        free(g.pool[i]);
    free(g.pool);
    free(g.reported);
    free(g.globals);
    free(g.context_vars);
    return st;
}

void idl_gen_output_free(idl_gen_output *out)
{
    for (int i = 0; i < IDL_GEN_FILES; i++) {
        free(out->files[i].name);
        free(out->files[i].text);
    }
    memset(out, 0, sizeof *out);
}
