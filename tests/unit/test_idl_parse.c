/* test_idl_parse.c -- rpcidl's parser and checker: the models of real interfaces, and every error. */
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

#include "idl.h"

/* ---- helpers --------------------------------------------------------------------------------- */

typedef struct parsed {
    idl_diags d;
    idl_file *f;
    rs_status st;
} parsed;

static void parse_acf(parsed *p, const char *text, const char *acf)
{
    idl_diags_init(&p->d);
    p->st = idl_parse_string("t.idl", text, strlen(text), "t.acf", acf, &p->d, &p->f);
}

static void parse(parsed *p, const char *text)
{
    parse_acf(p, text, NULL);
}

/* Parses text that must be correct; prints the diagnostics if it is not. */
static void parse_ok(parsed *p, const char *text, const char *acf)
{
    parse_acf(p, text, acf);
    if (p->st != RS_OK)
        print_error("%s", idl_diags_text(&p->d));
    assert_int_equal(p->st, RS_OK);
    assert_non_null(p->f);
}

static void done(parsed *p)
{
    idl_free(p->f);
    idl_diags_free(&p->d);
}

/* Parses text that must fail with a message containing `want`. */
static void expect_error(const char *text, const char *want)
{
    parsed p;
    parse(&p, text);
    if (strstr(idl_diags_text(&p.d), want) == NULL)
        print_error("wanted \"%s\" in:\n%s", want, idl_diags_text(&p.d));
    assert_int_equal(p.st, RS_ERR_INVALID_ARG);
    assert_null(p.f);
    assert_non_null(strstr(idl_diags_text(&p.d), want));
    done(&p);
}

static const char *c_decl(const idl_type *t, const char *name, char *buf, size_t cap)
{
    idl_c_declaration(t, name, buf, cap);
    return buf;
}

static const char *c_expr(const idl_expr *e, const char *prefix, char *buf, size_t cap)
{
    idl_expr_to_c(e, prefix, buf, cap);
    return buf;
}

#define HEAD "[uuid(11111111-2222-3333-4444-555555555555)] interface t {\n"
#define IFACE(body) HEAD body "}\n"

/* ---- Microsoft's tutorial interface ----------------------------------------------------------- */

static const char hello_idl[] =
    "[uuid(7a98c250-6808-11cf-b73b-00aa00b677a7), version(1.0)] interface hello { void "
    "HelloProc([in, string] unsigned char * pszString); void Shutdown(void); }";
static const char hello_acf[] = "[implicit_handle(handle_t hello_IfHandle)] interface hello {}";

static void test_hello_with_acf(void **state)
{
    (void)state;
    parsed p;
    char buf[128];
    parse_ok(&p, hello_idl, hello_acf);
    assert_int_equal(p.d.errors + p.d.warnings, 0);
    idl_file *f = p.f;
    assert_string_equal(f->basename, "t");
    assert_false(f->imported);
    assert_non_null(f->acf);
    idl_interface *i = f->interfaces;
    assert_non_null(i);
    assert_null(i->next);
    assert_string_equal(i->name, "hello");
    assert_string_equal(i->uuid_text, "7a98c250-6808-11cf-b73b-00aa00b677a7");
    assert_int_equal(i->uuid.time_low, 0x7a98c250);
    assert_int_equal(i->uuid.time_mid, 0x6808);
    assert_int_equal(i->uuid.time_hi_and_version, 0x11cf);
    assert_int_equal(i->uuid.clock_seq[0], 0xb7);
    assert_int_equal(i->uuid.clock_seq[1], 0x3b);
    assert_int_equal(i->uuid.node[0], 0x00);
    assert_int_equal(i->uuid.node[5], 0xa7);
    assert_int_equal(i->ver_major, 1);
    assert_int_equal(i->ver_minor, 0);
    assert_int_equal(i->pointer_default, IDL_PTR_NONE);
    assert_int_equal(i->embedded_default, IDL_PTR_UNIQUE);
    assert_null(i->endpoints);
    assert_true(i->has_acf);
    assert_int_equal(i->handle_mode, IDL_HANDLES_IMPLICIT);
    assert_string_equal(i->implicit_handle, "hello_IfHandle");
    assert_true(i->implicit_handle_from_acf);
    assert_false(i->imported);
    assert_int_equal(i->nops, 2);

    idl_operation *hp = i->ops;
    assert_string_equal(hp->name, "HelloProc");
    assert_int_equal(hp->opnum, 0);
    assert_int_equal(hp->ret->kind, IDL_VOID);
    assert_int_equal(hp->nparams, 1);
    assert_int_equal(hp->binding, IDL_BIND_IMPLICIT);
    assert_null(hp->binding_param);
    idl_decl *s = hp->params;
    assert_string_equal(s->name, "pszString");
    assert_int_equal(s->dir, IDL_DIR_IN);
    assert_int_equal(s->ptr_kind, IDL_PTR_REF);
    assert_int_equal(s->type->kind, IDL_POINTER);
    assert_int_equal(s->type->ptr_kind, IDL_PTR_REF);
    const idl_type *str = s->type->target;
    assert_int_equal(str->kind, IDL_ARRAY);
    assert_true(str->from_pointer);
    assert_true(str->is_string);
    assert_true(str->conformant);
    assert_true(str->varying);
    assert_null(str->size_is);
    assert_int_equal(str->target->kind, IDL_CHAR);
    assert_true(str->target->is_unsigned);
    assert_string_equal(c_decl(s->type, "pszString", buf, sizeof buf), "unsigned char *pszString");
    assert_int_equal(s->loc.line, 1);
    assert_int_equal(s->loc.col, 122);

    idl_operation *sd = hp->next;
    assert_string_equal(sd->name, "Shutdown");
    assert_int_equal(sd->opnum, 1);
    assert_int_equal(sd->nparams, 0);
    assert_null(sd->params);
    assert_null(sd->next);
    /* the items list gives the header order */
    assert_int_equal(i->items->kind, IDL_ITEM_OPERATION);
    assert_ptr_equal(i->items->op, hp);
    assert_ptr_equal(i->items->next->op, sd);
    assert_ptr_equal(idl_find_operation(i, "Shutdown"), sd);
    assert_int_equal(f->items->kind, IDL_ITEM_INTERFACE);
    done(&p);
}

static void test_hello_without_acf(void **state)
{
    (void)state;
    parsed p;
    parse_ok(&p, hello_idl, NULL);
    idl_interface *i = p.f->interfaces;
    assert_false(i->has_acf);
    assert_false(i->implicit_handle_from_acf);
    assert_string_equal(i->implicit_handle, "hello_IfHandle");
    assert_int_equal(i->ops->binding, IDL_BIND_IMPLICIT);
    done(&p);
}

static void test_explicit_handle_acf(void **state)
{
    (void)state;
    parsed p;
    parse_ok(&p, IFACE("void A([in] handle_t h, [in] long x); void B([in] long y);"),
             "[explicit_handle] interface t { B(y); }");
    idl_interface *i = p.f->interfaces;
    assert_int_equal(i->handle_mode, IDL_HANDLES_EXPLICIT);
    idl_operation *a = i->ops, *b = a->next;
    assert_int_equal(a->binding, IDL_BIND_EXPLICIT);
    assert_ptr_equal(a->binding_param, a->params);
    assert_true(a->params->is_binding);
    assert_false(a->params->synthetic);
    assert_int_equal(a->nparams, 2);
    /* B gets MIDL's handle_t IDL_handle in front */
    assert_int_equal(b->binding, IDL_BIND_EXPLICIT);
    assert_int_equal(b->nparams, 2);
    assert_string_equal(b->params->name, "IDL_handle");
    assert_true(b->params->synthetic);
    assert_int_equal(b->params->type->kind, IDL_HANDLE);
    assert_string_equal(b->params->type->c_name, IDL_C_HANDLE_TYPE);
    assert_int_equal(b->params->index, 0);
    assert_string_equal(b->params->next->name, "y");
    assert_int_equal(b->params->next->index, 1);
    assert_int_equal(b->opnum, 1);
    done(&p);
}

static void test_acf_errors(void **state)
{
    (void)state;
    parsed p;
    parse_acf(&p, hello_idl, "[auto_handle] interface hello {}");
    assert_int_equal(p.st, RS_ERR_INVALID_ARG);
    assert_string_equal(idl_diags_text(&p.d),
                        "t.acf:1:2: error: rpcidl does not support [auto_handle]: it needs a name "
                        "service to find a server; use [implicit_handle(handle_t NAME)] or "
                        "[explicit_handle]\n"
                        "[auto_handle] interface hello {}\n"
                        " ^~~~~~~~~~~\n");
    done(&p);
    parse_acf(&p, hello_idl,
              "[implicit_handle(long h), encode] interface hello { [comm_status] Nope(); "
              "HelloProc(pszString, x); }\ninterface other {}");
    assert_int_equal(p.d.errors, 6);
    assert_string_equal(p.d.items[0].message, "rpcidl does not support [encode]");
    assert_string_equal(p.d.items[1].message,
                        "rpcidl supports [implicit_handle] only with handle_t, not long (generic "
                        "handles need user bind routines)");
    assert_string_equal(p.d.items[2].message, "rpcidl does not support [comm_status]");
    assert_string_equal(p.d.items[3].message,
                        "the ACF names operation 'Nope', which interface 'hello' does not declare");
    assert_string_equal(p.d.items[4].message, "operation 'HelloProc' has no parameter 'x'");
    assert_string_equal(p.d.items[5].message,
                        "the ACF describes interface 'other', which t.idl does not declare");
    done(&p);
}

/* ---- the conformance interface ----------------------------------------------------------------- */

static const char *conform_path(char *buf, size_t cap)
{
    struct stat st;
    if (stat("tests/interop/conform.idl", &st) == 0)
        return "tests/interop/conform.idl";
    /* run from elsewhere: beside this source file */
    const char *src = __FILE__;
    const char *slash = strrchr(src, '/');
    snprintf(buf, cap, "%.*s/../interop/conform.idl", slash ? (int)(slash - src) : 1,
             slash ? src : ".");
    return buf;
}

static void assert_member(const idl_type *s, const char *name, uint32_t offset,
                          uint32_t wire_offset)
{
    const idl_decl *m = idl_find_member(s, name);
    assert_non_null(m);
    assert_int_equal(m->offset, offset);
    assert_int_equal(m->wire_offset, wire_offset);
}

static void test_conform_types(void **state)
{
    (void)state;
    char path[512], buf[128];
    parsed p;
    idl_diags_init(&p.d);
    p.st = idl_parse_file(conform_path(path, sizeof path), NULL, &p.d, &p.f);
    if (p.st != RS_OK)
        print_error("%s", idl_diags_text(&p.d));
    assert_int_equal(p.st, RS_OK);
    assert_int_equal(p.d.errors + p.d.warnings, 0);
    idl_interface *i = p.f->interfaces;
    assert_string_equal(p.f->basename, "conform");
    assert_string_equal(i->uuid_text, "6d5a3b1c-8f2e-4c7a-9b0d-1e2f3a4b5c6d");
    assert_int_equal(i->ver_major, 1);
    assert_int_equal(i->pointer_default, IDL_PTR_UNIQUE);
    assert_int_equal(i->nops, 14);

    /* the typedefs in declaration order */
    static const char *const order[] = {"mixed", "with_ptrs", "ustring", "num", "color"};
    idl_item *it = i->items;
    for (size_t k = 0; k < 5; k++, it = it->next) {
        assert_int_equal(it->kind, IDL_ITEM_TYPEDEF);
        assert_string_equal(it->type->name, order[k]);
        assert_non_null(it->type->body);
        assert_string_equal(it->type->body->c_name, order[k]);
    }
    assert_int_equal(it->kind, IDL_ITEM_OPERATION);

    /* mixed: s@0 c@2 l1@4 l2@8 h@16, 24 bytes aligned to 8, on the wire as in memory */
    const idl_type *mixed = idl_type_resolve(idl_find_type(p.f, "mixed"));
    assert_int_equal(mixed->kind, IDL_STRUCT);
    assert_int_equal(mixed->nmembers, 5);
    assert_int_equal(mixed->wire_align, 8);
    assert_int_equal(mixed->wire_size, 24);
    assert_int_equal(mixed->size, 24);
    assert_true(mixed->fixed_size);
    assert_false(mixed->conformant);
    assert_false(mixed->has_pointers);
    assert_member(mixed, "s", 0, 0);
    assert_member(mixed, "c", 2, 2);
    assert_member(mixed, "l1", 4, 4);
    assert_member(mixed, "l2", 8, 8);
    assert_member(mixed, "h", 16, 16);
    assert_string_equal(idl_find_member(mixed, "s")->type->c_name, "int16_t");
    assert_string_equal(idl_find_member(mixed, "h")->type->c_name, "int64_t");
    assert_int_equal(idl_find_member(mixed, "h")->type->wire_align, 8);
    if (_Alignof(int64_t) == 8)
        assert_true(mixed->simple);
    assert_string_equal(c_decl(idl_find_type(p.f, "mixed"), "m", buf, sizeof buf), "mixed m");

    /* with_ptrs: unattributed embedded pointers take pointer_default(unique) */
    const idl_type *wp = idl_type_resolve(idl_find_type(p.f, "with_ptrs"));
    const idl_decl *pl1 = idl_find_member(wp, "pl1");
    assert_int_equal(pl1->type->kind, IDL_POINTER);
    assert_int_equal(pl1->type->ptr_kind, IDL_PTR_UNIQUE);
    assert_false(pl1->type->ptr_explicit);
    assert_int_equal(pl1->ptr_kind, IDL_PTR_UNIQUE);
    assert_int_equal(idl_find_member(wp, "pc1")->type->ptr_kind, IDL_PTR_UNIQUE);
    assert_true(wp->has_pointers);
    assert_false(wp->simple);
    assert_int_equal(wp->wire_size, 12); /* l1, two referent ids */
    assert_member(wp, "pl1", _Alignof(void *) > 4 ? 8 : 4, 4);

    /* ustring.Buffer: a unique pointer to a conformant-varying array of wchar_t */
    const idl_type *us = idl_type_resolve(idl_find_type(p.f, "ustring"));
    const idl_decl *buffer = idl_find_member(us, "Buffer");
    assert_int_equal(buffer->type->kind, IDL_POINTER);
    assert_int_equal(buffer->type->ptr_kind, IDL_PTR_UNIQUE);
    const idl_type *arr = buffer->type->target;
    assert_int_equal(arr->kind, IDL_ARRAY);
    assert_true(arr->from_pointer);
    assert_true(arr->conformant);
    assert_true(arr->varying);
    assert_false(arr->is_string);
    assert_int_equal(arr->target->kind, IDL_WCHAR);
    assert_string_equal(arr->target->c_name, "uint16_t");
    assert_string_equal(c_expr(arr->size_is, "", buf, sizeof buf), "(MaximumLength / 2)");
    assert_string_equal(c_expr(arr->size_is, "u->", buf, sizeof buf), "(u->MaximumLength / 2)");
    assert_string_equal(c_expr(arr->length_is, "u->", buf, sizeof buf), "(u->Length / 2)");
    assert_int_equal(arr->size_is->kind, IDL_EX_BINARY);
    assert_int_equal(arr->size_is->op, IDL_OP_DIV);
    assert_ptr_equal(arr->size_is->lhs->decl, idl_find_member(us, "MaximumLength"));
    assert_true(arr->size_is->rhs->is_constant);
    assert_int_equal(arr->size_is->rhs->value, 2);
    assert_false(arr->size_is->is_constant);
    assert_null(arr->max_is);
    assert_string_equal(c_decl(buffer->type, "Buffer", buf, sizeof buf), "uint16_t *Buffer");
    assert_member(us, "MaximumLength", 2, 2);
    assert_false(us->conformant); /* the array is behind a pointer: nothing hoisted */
    assert_true(us->has_pointers);

    /* num: a union without switch on short, arms 1, 2, 3 and default */
    const idl_type *num = idl_type_resolve(idl_find_type(p.f, "num"));
    assert_int_equal(num->kind, IDL_UNION);
    assert_false(num->encapsulated);
    assert_int_equal(idl_type_resolve(num->switch_type)->kind, IDL_SHORT);
    assert_int_equal(num->nmembers, 4);
    const idl_decl *arm = num->members;
    for (int64_t v = 1; v <= 3; v++, arm = arm->next) {
        assert_int_equal(arm->ncases, 1);
        assert_int_equal(arm->cases->value, v);
        assert_false(arm->is_default);
    }
    assert_true(arm->is_default);
    assert_null(arm->name);
    assert_null(arm->type);
    assert_ptr_equal(num->default_arm, arm);
    assert_string_equal(num->members->next->next->name, "u");
    assert_true(num->has_pointers);
    assert_int_equal(num->wire_align, 8);
    assert_int_equal(num->wire_size, IDL_SIZE_VARIES);

    /* color: a 16-bit enum */
    const idl_type *color = idl_type_resolve(idl_find_type(p.f, "color"));
    assert_int_equal(color->kind, IDL_ENUM);
    assert_false(color->v1_enum);
    assert_int_equal(color->wire_size, 2);
    assert_int_equal(color->wire_align, 2);
    assert_int_equal(color->size, sizeof(int));
    const idl_const *blue = idl_find_const(p.f, "blue");
    assert_non_null(blue);
    assert_int_equal(blue->kind, IDL_CONST_ENUMERATOR);
    assert_int_equal(blue->value, 300);
    assert_ptr_equal(blue->type, color);
    assert_int_equal(color->enumerators->value, 1);
    assert_string_equal(color->enumerators->next->name, "green");
    done(&p);
}

static void test_conform_operations(void **state)
{
    (void)state;
    char path[512], buf[128];
    parsed p;
    idl_diags_init(&p.d);
    p.st = idl_parse_file(conform_path(path, sizeof path), NULL, &p.d, &p.f);
    assert_int_equal(p.st, RS_OK);
    idl_interface *i = p.f->interfaces;
    static const char *const names[] = {"Add", "Div", "StrLen", "WStrLen", "Reverse",
                                        "SumMixed", "SumPtrs", "GetMixed", "UStrSum", "GetName",
                                        "NumValue", "NextColor", "Echo", "Sleep"};
    uint32_t n = 0;
    for (idl_operation *op = i->ops; op != NULL; op = op->next, n++) {
        assert_string_equal(op->name, names[n]);
        assert_int_equal(op->opnum, n);
        assert_int_equal(op->binding, IDL_BIND_IMPLICIT);
    }
    assert_int_equal(n, 14);

    idl_operation *op = idl_find_operation(i, "StrLen");
    assert_int_equal(op->params->ptr_kind, IDL_PTR_REF);
    assert_true(op->params->type->target->is_string);
    assert_int_equal(op->params->type->target->target->kind, IDL_CHAR);

    op = idl_find_operation(i, "WStrLen");
    assert_int_equal(op->params->ptr_kind, IDL_PTR_UNIQUE);
    assert_true(op->params->type->ptr_explicit);
    assert_int_equal(op->params->type->target->target->kind, IDL_WCHAR);

    op = idl_find_operation(i, "Reverse");
    idl_decl *v = idl_find_param(op, "v");
    assert_int_equal(v->dir, IDL_DIR_INOUT);
    assert_int_equal(v->ptr_kind, IDL_PTR_REF);
    assert_string_equal(c_expr(v->type->target->size_is, "", buf, sizeof buf), "n");
    assert_ptr_equal(v->type->target->size_is->decl, op->params);
    assert_string_equal(c_decl(v->type, "v", buf, sizeof buf), "int32_t *v");

    /* top-level pointers are [ref] unless they say otherwise */
    assert_int_equal(idl_find_operation(i, "SumMixed")->params->ptr_kind, IDL_PTR_REF);
    assert_int_equal(idl_find_operation(i, "SumPtrs")->params->ptr_kind, IDL_PTR_UNIQUE);
    assert_int_equal(idl_find_operation(i, "SumMixed")->ret->kind, IDL_HYPER);
    assert_string_equal(idl_find_operation(i, "SumMixed")->ret->c_name, "int64_t");
    op = idl_find_operation(i, "GetMixed");
    assert_int_equal(op->params->dir, IDL_DIR_OUT);
    assert_int_equal(op->params->ptr_kind, IDL_PTR_REF);

    op = idl_find_operation(i, "NumValue");
    idl_decl *tag = op->params, *nv = tag->next;
    assert_non_null(nv->switch_is);
    assert_ptr_equal(nv->switch_is->decl, tag);
    assert_int_equal(idl_type_resolve(nv->switch_type)->kind, IDL_SHORT);
    assert_string_equal(c_expr(nv->switch_is, "", buf, sizeof buf), "tag");
    assert_int_equal(op->ret->kind, IDL_DOUBLE);

    op = idl_find_operation(i, "NextColor");
    assert_string_equal(op->ret->name, "color");
    assert_int_equal(op->ret->kind, IDL_TYPEDEF);

    /* Echo: parameters named in and out; out has size_is(n) */
    op = idl_find_operation(i, "Echo");
    idl_decl *in = idl_find_param(op, "in"), *out = idl_find_param(op, "out");
    assert_non_null(in);
    assert_non_null(out);
    assert_int_equal(in->dir, IDL_DIR_IN);
    assert_int_equal(out->dir, IDL_DIR_OUT);
    assert_int_equal(out->ptr_kind, IDL_PTR_REF);
    assert_string_equal(c_expr(out->type->target->size_is, "", buf, sizeof buf), "n");
    assert_ptr_equal(out->type->target->size_is->decl, op->params);
    assert_int_equal(out->type->target->target->kind, IDL_BYTE);
    assert_string_equal(c_decl(out->type, "out", buf, sizeof buf), "uint8_t *out");
    assert_int_equal(out->index, 2);
    done(&p);
}

/* ---- pointers ------------------------------------------------------------------------------------- */

static void test_pointer_defaults(void **state)
{
    (void)state;
    parsed p;
    /* no pointer_default: embedded pointers are unique */
    parse_ok(&p,
             IFACE("typedef long *PL; typedef [ref] long *RL;"
                   "typedef struct { long *a; PL b; [ptr] long *c; } s;"
                   "void F([in] PL p, [in] long **pp, [in] RL r, [in, unique] PL u, [in] s *ps);"),
             NULL);
    idl_interface *i = p.f->interfaces;
    idl_type *pl = idl_find_type(p.f, "PL");
    assert_int_equal(idl_type_resolve(pl)->ptr_kind, IDL_PTR_UNIQUE);
    const idl_type *s = idl_type_resolve(idl_find_type(p.f, "s"));
    assert_int_equal(idl_find_member(s, "a")->ptr_kind, IDL_PTR_UNIQUE);
    assert_int_equal(idl_find_member(s, "b")->ptr_kind, IDL_PTR_UNIQUE);
    assert_int_equal(idl_find_member(s, "c")->ptr_kind, IDL_PTR_FULL);
    idl_operation *f = i->ops;
    assert_int_equal(idl_find_param(f, "p")->ptr_kind, IDL_PTR_REF); /* a typedef'd top level */
    idl_decl *pp = idl_find_param(f, "pp");
    assert_int_equal(pp->ptr_kind, IDL_PTR_REF);
    assert_int_equal(pp->type->target->ptr_kind, IDL_PTR_UNIQUE); /* the inner pointer */
    assert_int_equal(idl_find_param(f, "r")->ptr_kind, IDL_PTR_REF);
    assert_int_equal(idl_find_param(f, "u")->ptr_kind, IDL_PTR_UNIQUE);
    done(&p);

    parse_ok(&p,
             "[uuid(11111111-2222-3333-4444-555555555555), pointer_default(ptr)] interface t {"
             "typedef struct { long *a; } s; void F([in] long **pp); }",
             NULL);
    assert_int_equal(p.f->interfaces->embedded_default, IDL_PTR_FULL);
    const idl_type *s2 = idl_type_resolve(idl_find_type(p.f, "s"));
    assert_int_equal(s2->members->type->ptr_kind, IDL_PTR_FULL);
    assert_int_equal(p.f->interfaces->ops->params->type->target->ptr_kind, IDL_PTR_FULL);
    done(&p);
}

static void test_sized_levels(void **state)
{
    (void)state;
    parsed p;
    char buf[128];
    parse_ok(&p,
             IFACE("const long MAX = 8;"
                   "typedef struct { long n; [size_is(n)] long a[]; } carr;"
                   "typedef struct { long n; long fixed[MAX][2]; [string] char name[20]; } fx;"
                   "void F([in] long m, [in] long n, [in, size_is(m, n)] long **pp,"
                   "       [in, size_is(, n)] long **qq, [in, max_is(n - 1)] short *r,"
                   "       [in] long *pn, [in, size_is(*pn)] byte *b, [in] carr *c);"),
             NULL);
    const idl_type *carr = idl_type_resolve(idl_find_type(p.f, "carr"));
    assert_true(carr->conformant);
    assert_false(carr->fixed_size);
    const idl_decl *a = idl_find_member(carr, "a");
    assert_true(a->type->conformant);
    assert_false(a->type->from_pointer);
    assert_int_equal(a->type->size, 0);
    assert_string_equal(c_decl(a->type, "a", buf, sizeof buf), "int32_t a[]");
    assert_int_equal(carr->size, 4);

    const idl_type *fx = idl_type_resolve(idl_find_type(p.f, "fx"));
    const idl_decl *fixed = idl_find_member(fx, "fixed");
    assert_int_equal(fixed->type->length, 8);
    assert_int_equal(fixed->type->target->length, 2);
    assert_int_equal(fixed->type->size, 64);
    assert_true(fixed->type->fixed_size);
    assert_int_equal(fixed->type->wire_size, 64);
    assert_string_equal(c_decl(fixed->type, "fixed", buf, sizeof buf), "int32_t fixed[MAX][2]");
    const idl_decl *name = idl_find_member(fx, "name");
    assert_true(name->type->is_string);
    assert_true(name->type->varying);
    assert_false(name->type->conformant);
    assert_int_equal(name->type->size, 20);
    assert_true(fx->varying);
    assert_int_equal(name->wire_offset, IDL_SIZE_VARIES == name->wire_offset ? IDL_SIZE_VARIES
                                                                              : 68);

    idl_operation *f = p.f->interfaces->ops;
    const idl_type *pp = idl_find_param(f, "pp")->type;
    /* [size_is(m, n)] long **pp: a ref pointer to m unique pointers to n longs */
    assert_int_equal(pp->kind, IDL_POINTER);
    assert_string_equal(c_expr(pp->target->size_is, "", buf, sizeof buf), "m");
    assert_int_equal(pp->target->target->kind, IDL_POINTER);
    assert_int_equal(pp->target->target->ptr_kind, IDL_PTR_UNIQUE);
    assert_string_equal(c_expr(pp->target->target->target->size_is, "", buf, sizeof buf), "n");
    assert_true(pp->target->has_pointers);
    assert_string_equal(c_decl(pp, "pp", buf, sizeof buf), "int32_t **pp");
    const idl_type *qq = idl_find_param(f, "qq")->type;
    assert_int_equal(qq->target->kind, IDL_POINTER); /* level 0 is not sized */
    assert_string_equal(c_expr(qq->target->target->size_is, "", buf, sizeof buf), "n");
    const idl_type *r = idl_find_param(f, "r")->type;
    assert_string_equal(c_expr(r->target->max_is, "", buf, sizeof buf), "(n - 1)");
    const idl_type *b = idl_find_param(f, "b")->type;
    assert_string_equal(c_expr(b->target->size_is, "", buf, sizeof buf), "*pn");
    assert_string_equal(c_expr(b->target->size_is, "s->", buf, sizeof buf), "*s->pn");
    done(&p);
}

/* ---- the rest of the language ------------------------------------------------------------------ */

static void test_context_handles_and_bindings(void **state)
{
    (void)state;
    parsed p;
    parse_ok(&p,
             IFACE("typedef [context_handle] void *CTX;"
                   "long Open([in] handle_t h, [out] CTX *ph);"
                   "long Use([in] long x, [in] CTX h);"
                   "void Close([in, out] CTX *ph);"
                   "void Local([in] long x);"),
             NULL);
    idl_type *ctx = idl_find_type(p.f, "CTX");
    assert_true(ctx->context_handle);
    assert_int_equal(ctx->target->kind, IDL_CONTEXT_HANDLE);
    assert_int_equal(ctx->target->target->kind, IDL_VOID);
    assert_int_equal(ctx->wire_size, 20);
    assert_int_equal(ctx->wire_align, 4);
    idl_operation *open = p.f->interfaces->ops;
    assert_int_equal(open->binding, IDL_BIND_EXPLICIT);
    assert_string_equal(open->binding_param->name, "h");
    assert_int_equal(open->params->next->ptr_kind, IDL_PTR_REF);
    idl_operation *use = open->next;
    assert_int_equal(use->binding, IDL_BIND_CONTEXT);
    assert_string_equal(use->binding_param->name, "h");
    idl_operation *close = use->next;
    assert_int_equal(close->binding, IDL_BIND_CONTEXT);
    assert_int_equal(close->next->binding, IDL_BIND_IMPLICIT);
    done(&p);
}

static void test_encapsulated_union(void **state)
{
    (void)state;
    parsed p;
    parse_ok(&p,
             IFACE("typedef enum { ONE = 1, TWO } kind;"
                   "typedef union switch (short k) u { case 1: long l; case 2: case 3: double d;"
                   "  default: ; } encap;"
                   "typedef union tagged switch (kind k) { case ONE: long l; case TWO: ; } t2;"
                   "long F([in] encap *e, [in] t2 x);"),
             NULL);
    const idl_type *e = idl_type_resolve(idl_find_type(p.f, "encap"));
    assert_true(e->encapsulated);
    assert_string_equal(e->discriminant->name, "k");
    assert_int_equal(e->discriminant->type->kind, IDL_SHORT);
    assert_string_equal(e->arm_name, "u");
    assert_int_equal(e->members->cases->value, 1);
    assert_int_equal(e->members->next->ncases, 2);
    assert_int_equal(e->members->next->cases->next->value, 3);
    assert_true(e->members->next->next->is_default);
    assert_int_equal(e->align, _Alignof(double));
    assert_int_equal(e->size, _Alignof(double) == 8 ? 16 : 12);
    const idl_type *t2 = idl_type_resolve(idl_find_type(p.f, "t2"));
    assert_string_equal(t2->c_name, "struct tagged");
    assert_string_equal(t2->arm_name, "tagged_union");
    assert_ptr_equal(t2->members->cases->value == 1 ? t2->members : NULL, t2->members);
    /* an encapsulated union needs no switch_is */
    assert_null(p.f->interfaces->ops->params->switch_is);
    done(&p);
}

static void test_constants_defines_and_order(void **state)
{
    (void)state;
    parsed p;
    parse_ok(&p,
             "#define MAXN (4 * 4)\n"
             "cpp_quote(\"#include <stdio.h>\")\n"
             IFACE("const long MAX = 10;\n"
                   "const unsigned short X = 0x10;\n"
                   "const char *NAME = \"x\\n\";\n"
                   "const wchar_t *WIDE = L\"w\";\n"
                   "const short NEG = -MAX;\n"
                   "const boolean YES = TRUE;\n"
                   "cpp_quote(\"/* between */\")\n"
                   "typedef struct { char name[MAXN]; long a[MAX]; } s;\n"
                   "#pragma pack(4)\n"
                   "void F([in] s *p);\n"),
             NULL);
    assert_int_equal(p.d.warnings, 1); /* the #pragma */
    assert_int_equal(p.f->items->kind, IDL_ITEM_CONST);
    assert_int_equal(p.f->items->constant->kind, IDL_CONST_DEFINE);
    assert_int_equal(p.f->items->constant->value, 16);
    assert_int_equal(p.f->items->next->kind, IDL_ITEM_CPP_QUOTE);
    assert_string_equal(p.f->items->next->text, "#include <stdio.h>");
    static const idl_item_kind kinds[] = {IDL_ITEM_CONST,     IDL_ITEM_CONST, IDL_ITEM_CONST,
                                          IDL_ITEM_CONST,     IDL_ITEM_CONST, IDL_ITEM_CONST,
                                          IDL_ITEM_CPP_QUOTE, IDL_ITEM_TYPEDEF,
                                          IDL_ITEM_OPERATION};
    idl_item *it = p.f->interfaces->items;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++, it = it->next)
        assert_int_equal(it->kind, kinds[k]);
    assert_null(it);
    assert_int_equal(idl_find_const(p.f, "MAX")->value, 10);
    assert_int_equal(idl_find_const(p.f, "X")->value, 16);
    const idl_const *name = idl_find_const(p.f, "NAME");
    assert_int_equal(name->kind, IDL_CONST_STRING);
    assert_string_equal(name->str, "x\n");
    assert_string_equal(name->str_text, "\"x\\n\"");
    assert_string_equal(idl_find_const(p.f, "WIDE")->str_text, "L\"w\"");
    assert_int_equal(idl_find_const(p.f, "NEG")->value, -10);
    assert_int_equal(idl_find_const(p.f, "YES")->value, 1);
    const idl_type *s = idl_type_resolve(idl_find_type(p.f, "s"));
    assert_int_equal(s->members->type->length, 16);
    assert_int_equal(s->size, 56);
    done(&p);
}

static void test_enums(void **state)
{
    (void)state;
    parsed p;
    parse_ok(&p, IFACE("typedef [v1_enum] enum { A = -5, B, C = 70000 } big;"
                       "typedef enum { X, Y = X + 10, Z } small16;"),
             NULL);
    const idl_type *big = idl_type_resolve(idl_find_type(p.f, "big"));
    assert_true(big->v1_enum);
    assert_int_equal(big->wire_size, 4);
    assert_true(big->simple);
    assert_int_equal(idl_find_const(p.f, "B")->value, -4);
    assert_int_equal(idl_find_const(p.f, "Z")->value, 11);
    done(&p);
    expect_error(IFACE("typedef enum { N = -1 } e;"),
                 "enumerator N = -1 is outside 0..32767: NDR sends enums in 16 bits unless the "
                 "typedef says [v1_enum]");
    expect_error(IFACE("typedef enum { A = B, B } e;"), "'B' is used before its value is known");
}

static void test_imports(void **state)
{
    (void)state;
    char dir[] = "/tmp/idl_import_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    struct {
        const char *name, *text;
    } files[] = {
        {"base.idl", "[uuid(11111111-2222-3333-4444-555555555550)] interface base {"
                     " typedef long base_t; }"},
        {"mid.idl", "import \"base.idl\";\n[uuid(11111111-2222-3333-4444-555555555551)]"
                    " interface mid { typedef base_t mid_t; }"},
        {"top.idl", "import \"mid.idl\", \"base.idl\";\nimport \"oaidl.idl\";\n"
                    "[uuid(11111111-2222-3333-4444-555555555552)] interface top {"
                    " void F([in] mid_t a, [in] base_t b); }"},
        {"a.idl", "import \"b.idl\";"},
        {"b.idl", "import \"a.idl\";"},
        {"self.idl", "import \"self.idl\";"},
        {"miss.idl", "import \"nothere.idl\";\nimport \"unknwn.idl\";\n"
                     "[uuid(11111111-2222-3333-4444-555555555555)] interface m {"
                     " void F([in] DWORD d); }"},
    };
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k].name);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs(files[k].text, fp);
        fclose(fp);
    }

    parsed p;
    idl_diags_init(&p.d);
    snprintf(path, sizeof path, "%s/top.idl", dir);
    p.st = idl_parse_file(path, NULL, &p.d, &p.f);
    if (p.st != RS_OK)
        print_error("%s", idl_diags_text(&p.d));
    assert_int_equal(p.st, RS_OK);
    assert_int_equal(p.d.warnings, 1);
    assert_non_null(strstr(idl_diags_text(&p.d), "warning: skipping import \"oaidl.idl\""));
    /* base.idl is read once although two files import it; imports come first, the root last */
    int nfiles = 0;
    for (idl_file *f = p.f->all_files; f != NULL; f = f->next)
        nfiles++;
    assert_int_equal(nfiles, 3);
    assert_string_equal(p.f->all_files->basename, "base");
    assert_true(p.f->all_files->imported);
    assert_true(p.f->all_files->interfaces->imported);
    assert_false(p.f->imported);
    assert_int_equal(p.f->items->kind, IDL_ITEM_IMPORT);
    assert_string_equal(p.f->items->import->basename, "mid");
    assert_string_equal(p.f->items->next->import->basename, "base");
    assert_true(idl_find_type(p.f, "mid_t")->imported);
    idl_decl *a = p.f->interfaces->ops->params;
    assert_string_equal(a->type->name, "mid_t");
    assert_int_equal(idl_type_resolve(a->type)->kind, IDL_LONG);
    done(&p);

    idl_diags_init(&p.d);
    snprintf(path, sizeof path, "%s/a.idl", dir);
    p.st = idl_parse_file(path, NULL, &p.d, &p.f);
    assert_int_equal(p.st, RS_ERR_INVALID_ARG);
    assert_int_equal(p.d.errors, 1);
    char want[512];
    snprintf(want, sizeof want, "import cycle: %s/a.idl -> %s/b.idl -> %s/a.idl", dir, dir, dir);
    assert_string_equal(p.d.items[0].message, want);
    done(&p);

    idl_diags_init(&p.d);
    snprintf(path, sizeof path, "%s/self.idl", dir);
    p.st = idl_parse_file(path, NULL, &p.d, &p.f);
    assert_int_equal(p.st, RS_ERR_INVALID_ARG);
    assert_non_null(strstr(p.d.items[0].message, "import cycle"));
    done(&p);

    idl_diags_init(&p.d);
    snprintf(path, sizeof path, "%s/miss.idl", dir);
    p.st = idl_parse_file(path, NULL, &p.d, &p.f);
    assert_int_equal(p.st, RS_ERR_INVALID_ARG);
    assert_int_equal(p.d.errors, 2);
    assert_string_equal(p.d.items[0].message,
                        "cannot open import \"nothere.idl\": No such file or directory");
    assert_int_equal(p.d.items[0].line, 1);
    assert_int_equal(p.d.items[0].col, 8);
    assert_string_equal(p.d.items[1].message,
                        "skipping import \"unknwn.idl\": rpcidl has no Windows system IDL files");
    assert_string_equal(p.d.items[2].message, "unknown type 'DWORD'");
    assert_int_equal(p.d.items[3].severity, IDL_SEV_NOTE);
    assert_string_equal(p.d.items[3].message, "it may be declared in \"unknwn.idl\", which rpcidl "
                                              "skipped: declare it yourself");
    done(&p);

    idl_diags_init(&p.d);
    snprintf(path, sizeof path, "%s/none.idl", dir);
    p.st = idl_parse_file(path, NULL, &p.d, &p.f);
    assert_int_equal(p.st, RS_ERR_INVALID_ARG);
    assert_null(p.f);
    assert_non_null(strstr(idl_diags_text(&p.d), "rpcidl: error: cannot open"));
    done(&p);

    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k].name);
        unlink(path);
    }
    rmdir(dir);
}

/* ---- errors ------------------------------------------------------------------------------------- */

static const char many_errors[] =
    "[uuid(7a98c250-6808-11cf-b73b-00aa00b677a7), version(1.0)]\n"
    "interface bad\n"
    "{\n"
    "    typedef struct { long n; [size_is(count)] long *p; } s1;\n"
    "    void F([in] foo x);\n"
    "    void G([out] long y);\n"
    "    long H(long a long b);\n"
    "    void K([in, transmit_as(long)] long z);\n"
    "    void L([out, unique] long *p);\n"
    "}\n";

static const char many_errors_text[] =
    "t.idl:4:39: error: [size_is] names 'count', which is neither a member of this struct nor a "
    "constant\n"
    "    typedef struct { long n; [size_is(count)] long *p; } s1;\n"
    "                                      ^~~~~\n"
    "t.idl:5:17: error: unknown type 'foo'\n"
    "    void F([in] foo x);\n"
    "                ^~~\n"
    "t.idl:6:23: error: [out] parameter 'y' must be a pointer or an array: the value comes back "
    "through it\n"
    "    void G([out] long y);\n"
    "                      ^\n"
    "t.idl:7:19: error: expected ')' before 'long'\n"
    "    long H(long a long b);\n"
    "                  ^~~~\n"
    "t.idl:8:17: error: rpcidl does not support [transmit_as]\n"
    "    void K([in, transmit_as(long)] long z);\n"
    "                ^~~~~~~~~~~~~~~~~\n"
    "t.idl:9:32: error: [out]-only parameter 'p' cannot be [unique]: the server cannot tell "
    "whether to allocate it (use [ref] or [in, out])\n"
    "    void L([out, unique] long *p);\n"
    "                               ^\n";

static void test_every_error_is_reported(void **state)
{
    (void)state;
    parsed p;
    parse(&p, many_errors);
    assert_int_equal(p.st, RS_ERR_INVALID_ARG);
    assert_null(p.f);
    assert_int_equal(p.d.errors, 6);
    if (strcmp(idl_diags_text(&p.d), many_errors_text) != 0)
        print_error("%s", idl_diags_text(&p.d));
    assert_string_equal(idl_diags_text(&p.d), many_errors_text);
    assert_string_equal(p.d.items[1].file, "t.idl");
    assert_int_equal(p.d.items[1].line, 5);
    assert_int_equal(p.d.items[1].col, 17);
    done(&p);
}

static void test_unsupported_features_are_named(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {IFACE("void F([in, iid_is(x)] long *p);"),
         "rpcidl does not support [iid_is]: it marshals COM interface pointers"},
        {IFACE("typedef [transmit_as(long)] short t;"), "rpcidl does not support [transmit_as]"},
        {IFACE("typedef [wire_marshal(long)] short t;"), "rpcidl does not support [wire_marshal]"},
        {IFACE("typedef [user_marshal(long)] short t;"), "rpcidl does not support [user_marshal]"},
        {IFACE("[call_as(G)] void F(void);"), "rpcidl does not support [call_as]"},
        {IFACE("[callback] void F(void);"), "rpcidl does not support [callback]"},
        {"[object, uuid(11111111-2222-3333-4444-555555555555)] interface t { }",
         "rpcidl does not support [object]: it declares a COM interface"},
        {IFACE("[async] void F(void);"), "rpcidl does not support [async]"},
        {IFACE("typedef [represent_as(long)] short t;"), "rpcidl does not support [represent_as]"},
        {IFACE("typedef struct { [ignore] long *p; } s;"), "rpcidl does not support [ignore]"},
        {IFACE("typedef [ms_union] union { [case(1)] long l; } u;"),
         "rpcidl does not support [ms_union]"},
        {IFACE("void F([in, partial_ignore] long *p);"), "rpcidl does not support [partial_ignore]"},
        {IFACE("typedef pipe long LONGPIPE;"), "rpcidl does not support pipe"},
        {"[uuid(11111111-2222-3333-4444-555555555555)] interface t : IUnknown { }",
         "rpcidl does not support interface inheritance: 't' is a COM interface"},
        {"[uuid(11111111-2222-3333-4444-555555555555)] library L { }",
         "rpcidl does not support library: it belongs to type libraries and COM"},
        {IFACE("void F([in, min_is(1), size_is(4)] long *p);"), "rpcidl does not support [min_is]"},
        {"#include \"x.h\"\n" IFACE(""),
         "rpcidl does not run the C preprocessor: #include is not supported (use import "
         "\"file.idl\")"},
        {"#ifdef X\n" IFACE(""), "rpcidl does not run the C preprocessor: #ifdef is not supported"},
        {"#define F(x) x\n" IFACE(""), "rpcidl does not support macros with parameters"},
        {"#define EMPTY\n" IFACE(""),
         "#define EMPTY has no value: rpcidl reads #define only as NAME <constant>"},
        {IFACE("const long X = sizeof(long);"), "rpcidl does not support sizeof"},
        {IFACE("void F([in] long n, [in, size_is((short)n)] long *p);"),
         "rpcidl does not support casts in expressions"},
        {IFACE("typedef struct { long n; } s; void F([in] s *p, [in, size_is(p->n)] long *q);"),
         "rpcidl does not support member access in expressions"},
        {IFACE("void F([in] __int3264 x);"), "rpcidl does not support __int3264"},
        {IFACE("long long F(void);"), "'long long' is not an IDL type (a 64-bit integer is hyper)"},
        {IFACE("void F([in, frobnicate] long x);"), "unknown attribute [frobnicate]"},
        {IFACE("void *F(void);"), "rpcidl does not support returning a pointer from 'F'"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        expect_error(cases[k].text, cases[k].want);
}

static void test_semantic_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {IFACE("void F([in] foo x);"), "unknown type 'foo'"},
        {"[uuid(1234)] interface t { }",
         "bad uuid '1234': expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"},
        {"[uuid(6d5a3b1c-8f2e-4c7a-9b0d-1e2f3a4b5c6g)] interface t { }", "bad uuid"},
        {"[version(1.0)] interface t { }", "interface 't' has no [uuid]"},
        {"[uuid(11111111-2222-3333-4444-555555555555), version(70000.1)] interface t { }",
         "bad version '70000.1': expected major.minor, each 0..65535"},
        {"[uuid(11111111-2222-3333-4444-555555555555), pointer_default(shared)] interface t { }",
         "pointer_default is ref, unique or ptr, not 'shared'"},
        {"[uuid(11111111-2222-3333-4444-555555555555), endpoint(\"4747\")] interface t { }",
         "endpoint \"4747\" is not of the form protseq:[endpoint]"},
        {IFACE("void F([in] long n, [in, size_is(m)] long *p);"),
         "[size_is] names 'm', which is neither a parameter of 'F' nor a constant"},
        {IFACE("void F([in, size_is(4)] long p);"),
         "[size_is] applies to pointers and arrays, and 'p' is neither"},
        {IFACE("void F([in] long n, [in, size_is(n, n)] long *p);"),
         "[size_is] gives 2 sizes, but 'p' has only 1 pointers and arrays"},
        {IFACE("void F([in] double d, [in, size_is(d)] long *p);"),
         "[size_is] uses 'd', which is not an integer"},
        {IFACE("void F([out] long n, [in, size_is(n)] long *p);"),
         "[size_is] of [in] parameter 'p' uses 'n', which is not [in]"},
        {IFACE("typedef struct { long a[]; } s;"), "conformant array 'a' needs [size_is] or [max_is]"},
        {IFACE("typedef struct { long n; [size_is(n)] long a[]; long after; } s;"),
         "conformant member 'a' must be the last member"},
        {IFACE("typedef [switch_type(short)] union { [case(1)] long l; } u; void F([in] u *x);"),
         "'x' is a union without switch (u) and needs [switch_is(...)] to say which arm is sent"},
        {IFACE("typedef [switch_type(short)] union { [case(1)] long l; [case(1)] short s; } u;"),
         "duplicate case value 1"},
        {IFACE("typedef [switch_type(small)] union { [case(300)] long l; } u;"),
         "case value 300 does not fit the discriminant type small"},
        {IFACE("typedef [switch_type(float)] union { [case(1)] long l; } u;"),
         "a union switches on small, short, long, char, boolean or an enum, not float"},
        {IFACE("typedef union { long l; } u;"), "a union arm needs [case(...)] or [default]"},
        {IFACE("void F([in] long a, [in, switch_is(a)] long b);"),
         "[switch_is] applies to a union without switch, and 'b' is not one"},
        {IFACE("void F([out] long y);"), "[out] parameter 'y' must be a pointer or an array"},
        {IFACE("void F([out, ptr] long *y);"), "[out]-only parameter 'y' cannot be [ptr]"},
        {IFACE("void F([out, string] char *s);"),
         "[out]-only [string] parameter 's' needs [size_is]"},
        {IFACE("void F([in, string] long *p);"),
         "[string] applies to arrays and pointers of char, wchar_t or byte, not long *"},
        {IFACE("typedef [v1_enum] struct { long a; } s;"),
         "[v1_enum] belongs on the typedef that writes the enum's body"},
        {IFACE("typedef long t; typedef short t;"), "redefinition of 't'"},
        {IFACE("void F(void); void F(void);"), "redefinition of 'F'"},
        {IFACE("void F([in] long a, [in] long a);"), "duplicate parameter 'a'"},
        {IFACE("typedef struct { long a; short a; } s;"), "duplicate member 'a'"},
        {IFACE("void F([in] long x, [in] handle_t h);"),
         "handle_t parameter 'h' must be the first parameter"},
        {IFACE("typedef struct { handle_t h; } s;"), "handle_t is a binding, not data"},
        {IFACE("void F([in] void *p);"), "'p' points to void"},
        {IFACE("typedef [context_handle] void *C; typedef struct { C c; } s;"),
         "a context handle can only be a parameter"},
        {IFACE("typedef [context_handle] void *C; void F([out] C c);"),
         "[out] context handle 'c' must be passed by pointer (C *c)"},
        {IFACE("typedef [context_handle] long *C;"),
         "[context_handle] applies to void * or a pointer to a struct"},
        {IFACE("void F([in, unique] long x);"), "[unique] applies to pointers, and 'x' is not one"},
        {IFACE("void F([in, ref, unique] long *x);"), "[unique] conflicts with [ref]"},
        {IFACE("void F([in, in] long x);"), "[in] is given twice"},
        {IFACE("typedef [in] long t;"), "[in] is not allowed on a typedef"},
        {IFACE("typedef struct { [out] long *p; } s;"), "[out] is not allowed on a struct member"},
        {"[uuid(11111111-2222-3333-4444-555555555555), implicit_handle(handle_t h)] interface t {}",
         "[implicit_handle] belongs in the ACF"},
        {IFACE("const short S = 70000;"), "70000 does not fit short"},
        {IFACE("const long A = 1 / 0;"), "division by zero"},
        {IFACE("const hyper H = 9223372036854775807 + 1;"), "integer overflow in a constant expression"},
        {IFACE("const char *S = L\"w\";"), "S needs a narrow (\"...\") string"},
        {IFACE("const double D = 1;"), "a constant must be an integer"},
        {IFACE("typedef struct { long a[0]; } s;"), "an array bound must be positive"},
        {IFACE("typedef struct { long a[N]; } s;"), "'N' is not a constant"},
        {IFACE("typedef struct { struct later *p; } s;"),
         "'p' points to struct later, which is never defined"},
        {IFACE("typedef struct node n; void F([in] n x);"), "'x' has incomplete type struct node"},
        {IFACE("typedef struct { } s;"), "a struct needs at least one member"},
        {IFACE("void F([in] long n, [in, range(5, 1)] long r);"),
         "[range] has its low bound above its high bound"},
        {IFACE("long F([in] long a, [out, retval] long *r, [in] long b);"),
         "[retval] belongs on the last parameter"},
        {IFACE("typedef [switch_type(short)] union { [case(1)] long l; } u; u F(void);"),
         "'F' cannot return a union without switch"},
        {IFACE("void F([in] long x) long y;"), "expected ';' before 'long'"},
        {IFACE("long x;"), "expected '(' after the operation name"},
        {"[uuid(11111111-2222-3333-4444-555555555555)] interface t { void F(void);",
         "expected '}' before end of file"},
        {"interface", "expected an interface name before end of file"},
        {"}", "unexpected '}'"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        expect_error(cases[k].text, cases[k].want);
}

static void test_recovery_goes_on_after_errors(void **state)
{
    (void)state;
    parsed p;
    /* a broken struct body, a broken operation, and the declarations after each still count */
    parse(&p, IFACE("typedef struct { long a long b; short c; } s;\n"
                    "void F([in] s x, [in long y);\n"
                    "void G([out] long z);\n"
                    "typedef struct { long q; } s2;\n"
                    "void H([in] s2 *w, [in] nothing n);\n"));
    assert_int_equal(p.d.errors, 4);
    assert_int_equal(p.d.items[0].line, 2);
    assert_int_equal(p.d.items[1].line, 3);
    assert_int_equal(p.d.items[2].line, 4);
    assert_int_equal(p.d.items[3].line, 6);
    assert_string_equal(p.d.items[3].message, "unknown type 'nothing'");
    done(&p);
}

static void test_error_limit(void **state)
{
    (void)state;
    char text[8192] = HEAD;
    for (int k = 0; k < 80; k++) {
        char line[64];
        snprintf(line, sizeof line, "void F%d([in] unknown x);\n", k);
        strcat(text, line);
    }
    strcat(text, "}\n");
    parsed p;
    parse(&p, text);
    assert_int_equal(p.st, RS_ERR_INVALID_ARG);
    assert_true(p.d.stopped);
    assert_int_equal(p.d.count, IDL_MAX_ERRORS); /* kept */
    assert_true(p.d.errors > IDL_MAX_ERRORS);   /* counted */
    assert_non_null(strstr(idl_diags_text(&p.d), "rpcidl: error: too many errors; stopping here\n"));
    done(&p);
}

/* ---- hostile input -------------------------------------------------------------------------------- */

static uint32_t next_random(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void test_random_bytes_never_crash(void **state)
{
    (void)state;
    uint32_t seed = 0x2545F491;
    static char text[4096];
    for (int round = 0; round < 200; round++) {
        size_t len = next_random(&seed) % sizeof text;
        for (size_t k = 0; k < len; k++)
            text[k] = (char)next_random(&seed);
        parsed p;
        idl_diags_init(&p.d);
        p.st = idl_parse_string("rnd.idl", text, len, NULL, NULL, &p.d, &p.f);
        assert_true(p.st == RS_OK || p.f == NULL);
        done(&p);
    }
}

/* Random soup of IDL tokens: reaches deeper into the grammar than random bytes. */
static void test_token_soup_never_crashes(void **state)
{
    (void)state;
    static const char *const words[] = {
        "[", "]", "(", ")", "{", "}", ";", ",", "*", "=", ":", "-", "?", "struct", "union", "enum",
        "switch", "case", "default", "typedef", "const", "long", "short", "char", "wchar_t",
        "void", "handle_t", "in", "out", "string", "ref", "unique", "size_is", "length_is",
        "switch_is", "switch_type", "context_handle", "v1_enum", "x", "n", "1", "0x10", "\"s\"",
        "'c'", "\n#define D ", "\n", "import", "cpp_quote", "interface", "uuid", "version", "1.0"};
    uint32_t seed = 12345;
    static char text[8192];
    for (int round = 0; round < 300; round++) {
        strcpy(text, "[uuid(11111111-2222-3333-4444-555555555555)] interface t {\n");
        size_t n = next_random(&seed) % 150;
        for (size_t k = 0; k < n; k++) {
            strcat(text, words[next_random(&seed) % (sizeof words / sizeof words[0])]);
            strcat(text, " ");
        }
        strcat(text, "}\n");
        parsed p;
        parse(&p, text);
        assert_true(p.st == RS_OK || p.f == NULL);
        done(&p);
    }
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t len = strlen(head) + strlen(unit) * n + strlen(tail) + 1;
    char *s = malloc(len);
    assert_non_null(s);
    strcpy(s, head);
    char *q = s + strlen(head);
    for (size_t k = 0; k < n; k++, q += strlen(unit))
        memcpy(q, unit, strlen(unit));
    strcpy(q, tail);
    return s;
}

static void test_deep_nesting_is_bounded(void **state)
{
    (void)state;
    static const struct {
        const char *head, *unit, *tail;
    } shapes[] = {
        {HEAD "const long A = ", "(", "}"},
        {HEAD "const long A = ", "-", "1; }"},
        {HEAD "typedef ", "struct { ", "long a; }"},
        {HEAD "typedef long ", "*", "p; }"},
        {HEAD "typedef long a", "[1]", "; }"},
        {HEAD "const long A = 1", "+1", "; }"},
        {HEAD "long ", "*", "F(void); }"},
        {HEAD "void F([in] long n, [in, size_is(", "(", "n)] long *p); }"},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        char *text = repeat(shapes[k].head, shapes[k].unit, 20000, shapes[k].tail);
        parsed p;
        parse(&p, text);
        assert_int_equal(p.st, RS_ERR_INVALID_ARG);
        assert_true(p.d.errors >= 1);
        const char *all = idl_diags_text(&p.d);
        assert_true(strstr(all, "nesting is too deep (more than 100 levels)") != NULL ||
                    strstr(all, "expression is too long (more than 1000 terms)") != NULL);
        done(&p);
        free(text);
    }
}

static void test_long_identifiers_and_nul_bytes(void **state)
{
    (void)state;
    char *text = repeat(HEAD "typedef long ", "a", 100000, "; }");
    parsed p;
    parse(&p, text);
    assert_int_equal(p.d.errors, 1);
    assert_string_equal(p.d.items[0].message,
                        "identifier is too long (100000 characters; the limit is 255)");
    assert_true(strlen(idl_diags_text(&p.d)) < 1000);
    done(&p);
    free(text);

    static const char nul[] = "[uuid(11111111-2222-3333-4444-555555555555)] interface t {\n"
                              "void F([in] long\0 x);\n}\n";
    idl_diags_init(&p.d);
    p.st = idl_parse_string("t.idl", nul, sizeof nul - 1, NULL, NULL, &p.d, &p.f);
    assert_int_equal(p.st, RS_ERR_INVALID_ARG);
    assert_string_equal(p.d.items[0].message, "stray byte 0x00 in the input");
    assert_int_equal(p.d.items[0].line, 2);
    assert_int_equal(p.d.items[0].col, 17);
    done(&p);

    /* an over-large input is refused before it is read */
    idl_diags_init(&p.d);
    p.st = idl_parse_string("big.idl", "", (size_t)IDL_MAX_FILE_SIZE + 1, NULL, NULL, &p.d, &p.f);
    assert_int_equal(p.st, RS_ERR_INVALID_ARG);
    assert_non_null(strstr(p.d.items[0].message, "is larger than"));
    done(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_with_acf),
        cmocka_unit_test(test_hello_without_acf),
        cmocka_unit_test(test_explicit_handle_acf),
        cmocka_unit_test(test_acf_errors),
        cmocka_unit_test(test_conform_types),
        cmocka_unit_test(test_conform_operations),
        cmocka_unit_test(test_pointer_defaults),
        cmocka_unit_test(test_sized_levels),
        cmocka_unit_test(test_context_handles_and_bindings),
        cmocka_unit_test(test_encapsulated_union),
        cmocka_unit_test(test_constants_defines_and_order),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_imports),
        cmocka_unit_test(test_every_error_is_reported),
        cmocka_unit_test(test_unsupported_features_are_named),
        cmocka_unit_test(test_semantic_errors),
        cmocka_unit_test(test_recovery_goes_on_after_errors),
        cmocka_unit_test(test_error_limit),
        cmocka_unit_test(test_random_bytes_never_crash),
        cmocka_unit_test(test_token_soup_never_crashes),
        cmocka_unit_test(test_deep_nesting_is_bounded),
        cmocka_unit_test(test_long_identifiers_and_nul_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
