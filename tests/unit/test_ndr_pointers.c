/* test_ndr_pointers.c -- NDR pointers: [ref], [unique], [ptr], referent ids as Windows numbers
 * them, the order of deferred referents, a 100,000-node list on a small stack, aliases and
 * cycles, who owns decoded memory, and the limits that hold against hostile input.
 *
 * Each decoder is also fed its input cut at every offset, from a heap copy of exactly that many
 * bytes, and must fail cleanly; the sanitizer run shows nothing is read past the end or leaked. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ndr.h"

/* ---- helpers (the same small ones as test_ndr.c) --------------------------------------------- */

typedef struct enc {
    rs_buf out;
    rs_ndr ndr;
} enc;

static void enc_begin(enc *e, rs_endian order)
{
    rs_buf_init(&e->out, (size_t)64 << 20);
    rs_ndr_init_encode(&e->ndr, &e->out, order);
}

static void enc_end(enc *e)
{
    rs_ndr_free(&e->ndr);
    rs_buf_free(&e->out);
}

static void assert_wrote(const enc *e, const uint8_t *want, size_t n)
{
    assert_int_equal(e->out.len, n);
    assert_memory_equal(e->out.data, want, n);
}

typedef struct dec {
    uint8_t *copy; /* exactly the bytes given: a read past them is a sanitizer error */
    rs_buf in;
    rs_ndr ndr;
} dec;

static void dec_begin(dec *d, const uint8_t *wire, size_t n, rs_endian order)
{
    d->copy = malloc(n > 0 ? n : 1);
    assert_non_null(d->copy);
    if (n > 0)
        memcpy(d->copy, wire, n);
    rs_buf_view(&d->in, d->copy, n);
    rs_ndr_init_decode(&d->ndr, &d->in, order);
}

static void dec_end(dec *d)
{
    rs_ndr_free(&d->ndr);
    free(d->copy);
}

typedef rs_status (*decode_fn)(rs_ndr *ndr);

static void check_cuts(const uint8_t *wire, size_t n, rs_endian order, decode_fn fn)
{
    dec d;
    dec_begin(&d, wire, n, order);
    assert_int_equal(fn(&d.ndr), RS_OK);
    assert_int_equal(rs_ndr_remaining(&d.ndr), 0);
    dec_end(&d);
    for (size_t cut = 0; cut < n; cut++) {
        dec_begin(&d, wire, cut, order);
        rs_status st = fn(&d.ndr);
        if (st == RS_OK)
            fail_msg("decoding succeeded on the first %zu of %zu bytes", cut, n);
        assert_true(rs_ndr_error(&d.ndr)[0] != '\0');
        dec_end(&d);
    }
}

typedef struct want_field {
    const char *name;
    const char *type;
    size_t offset;
    size_t length;
    rs_ndr_role role;
} want_field;

static void assert_layout(const rs_ndr_layout *l, const want_field *want, size_t n)
{
    assert_int_equal(rs_ndr_layout_count(l), n);
    for (size_t i = 0; i < n; i++) {
        rs_ndr_field f = rs_ndr_layout_at(l, i);
        if (strcmp(f.name, want[i].name) != 0 || strcmp(f.type, want[i].type) != 0 ||
            f.offset != want[i].offset || f.length != want[i].length || f.role != want[i].role)
            fail_msg("entry %zu is {%s, %s, %zu, %zu, %s}, want {%s, %s, %zu, %zu, %s}", i,
                     f.name, f.type, f.offset, f.length, rs_ndr_role_name(f.role), want[i].name,
                     want[i].type, want[i].offset, want[i].length,
                     rs_ndr_role_name(want[i].role));
    }
}

/* ---- referent callbacks, as a generated stub would have them --------------------------------- */

static rs_status put_long_referent(rs_ndr *ndr, const char *name, const void *obj)
{
    const int32_t *v = obj;
    return rs_ndr_put_long(ndr, name, *v);
}

static rs_status get_long_referent(rs_ndr *ndr, const char *name, void *obj)
{
    return rs_ndr_get_long(ndr, name, obj);
}

/* typedef struct node { long value; [unique] struct node *next; } node; */
typedef struct node {
    int32_t value;
    struct node *next;
} node;

static rs_status put_node(rs_ndr *ndr, const char *name, const void *obj)
{
    const node *n = obj;
    rs_status st = rs_ndr_enter(ndr, name);
    if (st == RS_OK) st = rs_ndr_align(ndr, 4);
    if (st == RS_OK) st = rs_ndr_put_long(ndr, "value", n->value);
    if (st == RS_OK) st = rs_ndr_put_unique(ndr, "next", n->next, put_node);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    return st;
}

static rs_status get_node(rs_ndr *ndr, const char *name, void *obj)
{
    node *n = obj;
    rs_status st = rs_ndr_enter(ndr, name);
    if (st == RS_OK) st = rs_ndr_align(ndr, 4);
    if (st == RS_OK) st = rs_ndr_get_long(ndr, "value", &n->value);
    if (st == RS_OK) st = rs_ndr_get_unique(ndr, "next", &n->next, sizeof *n->next, get_node);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    return st;
}

/* The same with [ptr] next: full pointers. */
static rs_status put_fnode(rs_ndr *ndr, const char *name, const void *obj)
{
    const node *n = obj;
    rs_status st = rs_ndr_enter(ndr, name);
    if (st == RS_OK) st = rs_ndr_align(ndr, 4);
    if (st == RS_OK) st = rs_ndr_put_long(ndr, "value", n->value);
    if (st == RS_OK) st = rs_ndr_put_full(ndr, "next", n->next, put_fnode);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    return st;
}

static rs_status get_fnode(rs_ndr *ndr, const char *name, void *obj)
{
    node *n = obj;
    rs_status st = rs_ndr_enter(ndr, name);
    if (st == RS_OK) st = rs_ndr_align(ndr, 4);
    if (st == RS_OK) st = rs_ndr_get_long(ndr, "value", &n->value);
    if (st == RS_OK) st = rs_ndr_get_full(ndr, "next", &n->next, sizeof *n->next, get_fnode);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    return st;
}

/* ---- top-level pointers ---------------------------------------------------------------------- */

/* void P([in, unique] long *pl1, [in, unique] long *pl2, [in, unique] long *pl3);
 * called with &42, NULL, &7: each referent follows its own id at once. */
static const uint8_t three_le[] = {
    0x00, 0x00, 0x02, 0x00, /*  0 pl1: the message's first referent id, 0x00020000 */
    0x2a, 0x00, 0x00, 0x00, /*  4 pl1->* 42 */
    0x00, 0x00, 0x00, 0x00, /*  8 pl2: NULL */
    0x04, 0x00, 0x02, 0x00, /* 12 pl3: the next id, 0x00020004 */
    0x07, 0x00, 0x00, 0x00, /* 16 pl3->* 7 */
};

static const uint8_t three_be[] = {
    0x00, 0x02, 0x00, 0x00, /*  0 pl1: 0x00020000 */
    0x00, 0x00, 0x00, 0x2a, /*  4 pl1->* */
    0x00, 0x00, 0x00, 0x00, /*  8 pl2: NULL */
    0x00, 0x02, 0x00, 0x04, /* 12 pl3: 0x00020004 */
    0x00, 0x00, 0x00, 0x07, /* 16 pl3->* */
};

static rs_status put_three(rs_ndr *ndr, const int32_t *pl1, const int32_t *pl2, const int32_t *pl3)
{
    rs_status st = rs_ndr_put_unique(ndr, "pl1", pl1, put_long_referent);
    if (st == RS_OK) st = rs_ndr_flush(ndr);
    if (st == RS_OK) st = rs_ndr_put_unique(ndr, "pl2", pl2, put_long_referent);
    if (st == RS_OK) st = rs_ndr_flush(ndr);
    if (st == RS_OK) st = rs_ndr_put_unique(ndr, "pl3", pl3, put_long_referent);
    if (st == RS_OK) st = rs_ndr_flush(ndr);
    return st;
}

static rs_status get_three(rs_ndr *ndr, int32_t **pl1, int32_t **pl2, int32_t **pl3)
{
    rs_status st = rs_ndr_get_unique(ndr, "pl1", pl1, sizeof **pl1, get_long_referent);
    if (st == RS_OK) st = rs_ndr_flush(ndr);
    if (st == RS_OK) st = rs_ndr_get_unique(ndr, "pl2", pl2, sizeof **pl2, get_long_referent);
    if (st == RS_OK) st = rs_ndr_flush(ndr);
    if (st == RS_OK) st = rs_ndr_get_unique(ndr, "pl3", pl3, sizeof **pl3, get_long_referent);
    if (st == RS_OK) st = rs_ndr_flush(ndr);
    return st;
}

static rs_status decode_three(rs_ndr *ndr)
{
    int32_t *a, *b, *c;
    return get_three(ndr, &a, &b, &c);
}

static void test_unique_top_level(void **state)
{
    (void)state;
    const int32_t a = 42, b = 7;
    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, 64, 1024);
    for (int order = RS_LE; order <= RS_BE; order++) {
        const uint8_t *wire = order == RS_LE ? three_le : three_be;
        enc e;
        rs_ndr_layout_reset(&lay);
        enc_begin(&e, (rs_endian)order);
        rs_ndr_set_layout(&e.ndr, &lay);
        assert_int_equal(put_three(&e.ndr, &a, NULL, &b), RS_OK);
        assert_wrote(&e, wire, sizeof three_le);
        static const want_field want[] = {
            {"pl1", "[unique] pointer", 0, 4, RS_NDR_ROLE_REFERENT_ID},
            {"pl1->*", "long", 4, 4, RS_NDR_ROLE_DATA},
            {"pl2", "[unique] pointer", 8, 4, RS_NDR_ROLE_REFERENT_ID},
            {"pl3", "[unique] pointer", 12, 4, RS_NDR_ROLE_REFERENT_ID},
            {"pl3->*", "long", 16, 4, RS_NDR_ROLE_DATA},
        };
        assert_layout(&lay, want, 5);
        enc_end(&e);

        dec d;
        int32_t *p1 = NULL, *p2 = (int32_t *)&b, *p3 = NULL;
        rs_ndr_layout_reset(&lay);
        dec_begin(&d, wire, sizeof three_le, (rs_endian)order);
        rs_ndr_set_layout(&d.ndr, &lay);
        assert_int_equal(get_three(&d.ndr, &p1, &p2, &p3), RS_OK);
        assert_non_null(p1);
        assert_int_equal(*p1, 42);
        assert_null(p2);
        assert_non_null(p3);
        assert_int_equal(*p3, 7);
        assert_layout(&lay, want, 5); /* decoding records the same entries */
        dec_end(&d);
        check_cuts(wire, sizeof three_le, (rs_endian)order, decode_three);
    }
    rs_ndr_layout_free(&lay);
}

static void test_ref_top_level(void **state)
{
    (void)state;
    /* void P([in] long *p): a top-level pointer is [ref], which has no wire form. */
    static const uint8_t wire[] = {
        0x07, 0x00, 0x00, 0x00, /* 0 p->* 7, with no referent id before it */
    };
    const int32_t v = 7;
    enc e;
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_ref(&e.ndr, "p", &v, put_long_referent), RS_OK);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);
    assert_wrote(&e, wire, sizeof wire);
    enc_end(&e);

    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_ref(&e.ndr, "p", NULL, put_long_referent), RS_ERR_NULL_REF);
    assert_int_equal(e.out.len, 0);
    assert_string_equal(rs_ndr_error(&e.ndr), "ndr: p: a [ref] pointer is NULL");
    enc_end(&e);

    dec d;
    int32_t *p = NULL;
    dec_begin(&d, wire, sizeof wire, RS_LE);
    assert_int_equal(rs_ndr_get_ref(&d.ndr, "p", &p, sizeof *p, get_long_referent), RS_OK);
    assert_int_equal(rs_ndr_flush(&d.ndr), RS_OK);
    assert_non_null(p);
    assert_int_equal(*p, 7);
    dec_end(&d);
}

/* ---- deferral order -------------------------------------------------------------------------- */

/*   struct leaf  { long v; [unique] long *w; };
 *   struct inner { long x; [unique] long *q; };
 *   struct outer { [unique] struct leaf *a; struct inner in; [unique] long *d; };
 *   void P([in] struct outer o);
 * The embedded pointers' referents come after all of o, in member order, each complete with its
 * own referents before the next (a->w before in.q); the structure embedded by value (in) defers
 * its pointer to after o's scalars. */
typedef struct leaf {
    int32_t v;
    int32_t *w;
} leaf;

typedef struct inner {
    int32_t x;
    int32_t *q;
} inner;

typedef struct outer {
    leaf *a;
    inner in;
    int32_t *d;
} outer;

static const uint8_t outer_wire[] = {
    0x00, 0x00, 0x02, 0x00, /*  0 o.a: referent id 0x00020000 */
    0x33, 0x00, 0x00, 0x00, /*  4 o.in.x */
    0x04, 0x00, 0x02, 0x00, /*  8 o.in.q: 0x00020004 */
    0x08, 0x00, 0x02, 0x00, /* 12 o.d: 0x00020008 -- the end of o itself */
    0x11, 0x00, 0x00, 0x00, /* 16 o.a->v: the first deferred referent */
    0x0c, 0x00, 0x02, 0x00, /* 20 o.a->w: 0x0002000c */
    0x22, 0x00, 0x00, 0x00, /* 24 o.a->w->*: a's own referent, before the next sibling */
    0x44, 0x00, 0x00, 0x00, /* 28 o.in.q->* */
    0x55, 0x00, 0x00, 0x00, /* 32 o.d->* */
};

static const want_field outer_layout[] = {
    {"o.a", "[unique] pointer", 0, 4, RS_NDR_ROLE_REFERENT_ID},
    {"o.in.x", "long", 4, 4, RS_NDR_ROLE_DATA},
    {"o.in.q", "[unique] pointer", 8, 4, RS_NDR_ROLE_REFERENT_ID},
    {"o.d", "[unique] pointer", 12, 4, RS_NDR_ROLE_REFERENT_ID},
    {"o.a->v", "long", 16, 4, RS_NDR_ROLE_DATA},
    {"o.a->w", "[unique] pointer", 20, 4, RS_NDR_ROLE_REFERENT_ID},
    {"o.a->w->*", "long", 24, 4, RS_NDR_ROLE_DATA},
    {"o.in.q->*", "long", 28, 4, RS_NDR_ROLE_DATA},
    {"o.d->*", "long", 32, 4, RS_NDR_ROLE_DATA},
};

static rs_status put_leaf(rs_ndr *ndr, const char *name, const void *obj)
{
    const leaf *l = obj;
    rs_status st = rs_ndr_enter(ndr, name);
    if (st == RS_OK) st = rs_ndr_align(ndr, 4);
    if (st == RS_OK) st = rs_ndr_put_long(ndr, "v", l->v);
    if (st == RS_OK) st = rs_ndr_put_unique(ndr, "w", l->w, put_long_referent);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    return st;
}

static rs_status get_leaf(rs_ndr *ndr, const char *name, void *obj)
{
    leaf *l = obj;
    rs_status st = rs_ndr_enter(ndr, name);
    if (st == RS_OK) st = rs_ndr_align(ndr, 4);
    if (st == RS_OK) st = rs_ndr_get_long(ndr, "v", &l->v);
    if (st == RS_OK) st = rs_ndr_get_unique(ndr, "w", &l->w, sizeof *l->w, get_long_referent);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    return st;
}

static rs_status put_outer(rs_ndr *ndr, const char *name, const outer *o)
{
    rs_status st = rs_ndr_enter(ndr, name);
    if (st == RS_OK) st = rs_ndr_align(ndr, 4);
    if (st == RS_OK) st = rs_ndr_put_unique(ndr, "a", o->a, put_leaf);
    /* struct inner, by value */
    if (st == RS_OK) st = rs_ndr_enter(ndr, "in");
    if (st == RS_OK) st = rs_ndr_align(ndr, 4);
    if (st == RS_OK) st = rs_ndr_put_long(ndr, "x", o->in.x);
    if (st == RS_OK) st = rs_ndr_put_unique(ndr, "q", o->in.q, put_long_referent);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    if (st == RS_OK) st = rs_ndr_put_unique(ndr, "d", o->d, put_long_referent);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    return st;
}

static rs_status get_outer(rs_ndr *ndr, const char *name, outer *o)
{
    rs_status st = rs_ndr_enter(ndr, name);
    if (st == RS_OK) st = rs_ndr_align(ndr, 4);
    if (st == RS_OK) st = rs_ndr_get_unique(ndr, "a", &o->a, sizeof *o->a, get_leaf);
    if (st == RS_OK) st = rs_ndr_enter(ndr, "in");
    if (st == RS_OK) st = rs_ndr_align(ndr, 4);
    if (st == RS_OK) st = rs_ndr_get_long(ndr, "x", &o->in.x);
    if (st == RS_OK) st = rs_ndr_get_unique(ndr, "q", &o->in.q, sizeof *o->in.q, get_long_referent);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    if (st == RS_OK) st = rs_ndr_get_unique(ndr, "d", &o->d, sizeof *o->d, get_long_referent);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    return st;
}

static rs_status decode_outer(rs_ndr *ndr)
{
    outer o;
    rs_status st = get_outer(ndr, "o", &o);
    if (st == RS_OK)
        st = rs_ndr_flush(ndr);
    return st;
}

static void test_deferral_order(void **state)
{
    (void)state;
    int32_t w = 0x22, q = 0x44, dv = 0x55;
    leaf a = {.v = 0x11, .w = &w};
    outer o = {.a = &a, .in = {.x = 0x33, .q = &q}, .d = &dv};

    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, 64, 1024);
    enc e;
    enc_begin(&e, RS_LE);
    rs_ndr_set_layout(&e.ndr, &lay);
    assert_int_equal(put_outer(&e.ndr, "o", &o), RS_OK);
    assert_int_equal(e.out.len, 16); /* nothing deferred is written before the flush */
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);
    assert_wrote(&e, outer_wire, sizeof outer_wire);
    assert_layout(&lay, outer_layout, sizeof outer_layout / sizeof outer_layout[0]);
    enc_end(&e);

    for (int order = RS_LE; order <= RS_BE; order++) {
        enc_begin(&e, (rs_endian)order);
        assert_int_equal(put_outer(&e.ndr, "o", &o), RS_OK);
        assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);

        dec d;
        outer got;
        memset(&got, 0, sizeof got);
        rs_ndr_layout_reset(&lay);
        dec_begin(&d, e.out.data, e.out.len, (rs_endian)order);
        rs_ndr_set_layout(&d.ndr, &lay);
        assert_int_equal(get_outer(&d.ndr, "o", &got), RS_OK);
        assert_int_equal(rs_ndr_flush(&d.ndr), RS_OK);
        assert_int_equal(got.a->v, 0x11);
        assert_int_equal(*got.a->w, 0x22);
        assert_int_equal(got.in.x, 0x33);
        assert_int_equal(*got.in.q, 0x44);
        assert_int_equal(*got.d, 0x55);
        assert_layout(&lay, outer_layout, sizeof outer_layout / sizeof outer_layout[0]);
        dec_end(&d);
        enc_end(&e);
    }
    rs_ndr_layout_free(&lay);
    check_cuts(outer_wire, sizeof outer_wire, RS_LE, decode_outer);
}

/* ---- linked lists ---------------------------------------------------------------------------- */

/* void P([in, unique] node *list) with list = 1 -> 2. */
static const uint8_t list_le[] = {
    0x00, 0x00, 0x02, 0x00, /*  0 list: 0x00020000 */
    0x01, 0x00, 0x00, 0x00, /*  4 list->value 1 */
    0x04, 0x00, 0x02, 0x00, /*  8 list->next: 0x00020004 */
    0x02, 0x00, 0x00, 0x00, /* 12 list->next->value 2 */
    0x00, 0x00, 0x00, 0x00, /* 16 list->next->next: NULL */
};

static const uint8_t list_be[] = {
    0x00, 0x02, 0x00, 0x00, /*  0 list */
    0x00, 0x00, 0x00, 0x01, /*  4 list->value */
    0x00, 0x02, 0x00, 0x04, /*  8 list->next */
    0x00, 0x00, 0x00, 0x02, /* 12 list->next->value */
    0x00, 0x00, 0x00, 0x00, /* 16 list->next->next */
};

static rs_status decode_list(rs_ndr *ndr)
{
    node *list = NULL;
    rs_status st = rs_ndr_get_unique(ndr, "list", &list, sizeof *list, get_node);
    if (st == RS_OK)
        st = rs_ndr_flush(ndr);
    return st;
}

static void test_linked_list(void **state)
{
    (void)state;
    node second = {.value = 2, .next = NULL};
    node first = {.value = 1, .next = &second};
    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, 64, 1024);
    for (int order = RS_LE; order <= RS_BE; order++) {
        const uint8_t *wire = order == RS_LE ? list_le : list_be;
        enc e;
        rs_ndr_layout_reset(&lay);
        enc_begin(&e, (rs_endian)order);
        rs_ndr_set_layout(&e.ndr, &lay);
        assert_int_equal(rs_ndr_put_unique(&e.ndr, "list", &first, put_node), RS_OK);
        assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);
        assert_wrote(&e, wire, sizeof list_le);
        static const want_field want[] = {
            {"list", "[unique] pointer", 0, 4, RS_NDR_ROLE_REFERENT_ID},
            {"list->value", "long", 4, 4, RS_NDR_ROLE_DATA},
            {"list->next", "[unique] pointer", 8, 4, RS_NDR_ROLE_REFERENT_ID},
            {"list->next->value", "long", 12, 4, RS_NDR_ROLE_DATA},
            {"list->next->next", "[unique] pointer", 16, 4, RS_NDR_ROLE_REFERENT_ID},
        };
        assert_layout(&lay, want, 5);
        enc_end(&e);

        dec d;
        node *got = NULL;
        dec_begin(&d, wire, sizeof list_le, (rs_endian)order);
        assert_int_equal(rs_ndr_get_unique(&d.ndr, "list", &got, sizeof *got, get_node), RS_OK);
        assert_int_equal(rs_ndr_flush(&d.ndr), RS_OK);
        assert_int_equal(got->value, 1);
        assert_int_equal(got->next->value, 2);
        assert_null(got->next->next);
        dec_end(&d);
        check_cuts(wire, sizeof list_le, (rs_endian)order, decode_list);
    }
    rs_ndr_layout_free(&lay);
}

/* A long chain's names keep their root and their tail. */
static void test_long_chain_names_are_shortened(void **state)
{
    (void)state;
    enum { N = 40 };
    node nodes[N];
    for (int i = 0; i < N; i++) {
        nodes[i].value = i;
        nodes[i].next = i + 1 < N ? &nodes[i + 1] : NULL;
    }
    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, 1024, 65536);
    enc e;
    enc_begin(&e, RS_LE);
    rs_ndr_set_layout(&e.ndr, &lay);
    assert_int_equal(rs_ndr_put_unique(&e.ndr, "list", nodes, put_node), RS_OK);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);
    assert_int_equal(rs_ndr_layout_count(&lay), 1 + 2 * N);
    rs_ndr_field last_value = rs_ndr_layout_at(&lay, 2 * N - 1);
    assert_int_equal(last_value.offset, 4 + 8 * (N - 1));
    assert_true(strncmp(last_value.name, "list...", 7) == 0);
    size_t len = strlen(last_value.name);
    assert_true(len <= RS_NDR_REFERENT_PATH_MAX + 16);
    assert_string_equal(last_value.name + len - strlen("->next->value"), "->next->value");
    enc_end(&e);
    rs_ndr_layout_free(&lay);
}

/* A 100,000-node list, encoded and decoded on a thread with a 256 KiB stack: recursion per node
 * would need megabytes. cmocka's asserts cannot run off the main thread, so the job reports. */
typedef struct list_job {
    size_t n;
    bool full;             /* [ptr] next instead of [unique] */
    rs_status encode_status;
    rs_status decode_status;
    size_t wire_len;
    size_t decoded;        /* nodes found by walking the decoded list */
    bool values_ok;
    size_t most_items;     /* the work list's size at its largest, encoding or decoding */
    size_t most_runs;
} list_job;

static void note_work_list(list_job *job, const rs_ndr *ndr)
{
    if (ndr->item_cap > job->most_items)
        job->most_items = ndr->item_cap;
    if (ndr->run_cap > job->most_runs)
        job->most_runs = ndr->run_cap;
}

static void *run_list_job(void *arg)
{
    list_job *job = arg;
    node *nodes = calloc(job->n, sizeof *nodes);
    if (nodes == NULL)
        return NULL;
    for (size_t i = 0; i < job->n; i++) {
        nodes[i].value = (int32_t)i;
        nodes[i].next = i + 1 < job->n ? &nodes[i + 1] : NULL;
    }
    rs_buf out;
    rs_ndr ndr;
    rs_buf_init(&out, (size_t)64 << 20);
    rs_ndr_init_encode(&ndr, &out, RS_LE);
    job->encode_status = job->full ? rs_ndr_put_full(&ndr, "list", nodes, put_fnode)
                                   : rs_ndr_put_unique(&ndr, "list", nodes, put_node);
    if (job->encode_status == RS_OK)
        job->encode_status = rs_ndr_flush(&ndr);
    note_work_list(job, &ndr);
    rs_ndr_free(&ndr);
    job->wire_len = out.len;

    rs_buf in;
    node *list = NULL;
    rs_buf_view(&in, out.data, out.len);
    rs_ndr_init_decode(&ndr, &in, RS_LE);
    job->decode_status = job->full ? rs_ndr_get_full(&ndr, "list", &list, sizeof *list, get_fnode)
                                   : rs_ndr_get_unique(&ndr, "list", &list, sizeof *list, get_node);
    if (job->decode_status == RS_OK)
        job->decode_status = rs_ndr_flush(&ndr);
    note_work_list(job, &ndr);
    job->values_ok = true;
    for (node *p = job->decode_status == RS_OK ? list : NULL; p != NULL; p = p->next) {
        if (p->value != (int32_t)job->decoded)
            job->values_ok = false;
        job->decoded++;
    }
    rs_ndr_free(&ndr);
    rs_buf_free(&out);
    free(nodes);
    return NULL;
}

static void run_on_small_stack(list_job *job)
{
    pthread_attr_t attr;
    pthread_t thread;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, 256 * 1024), 0);
    assert_int_equal(pthread_create(&thread, &attr, run_list_job, job), 0);
    assert_int_equal(pthread_join(thread, NULL), 0);
    pthread_attr_destroy(&attr);
}

static void test_huge_linked_list(void **state)
{
    (void)state;
    for (int full = 0; full <= 1; full++) {
        list_job job = {.n = 100000, .full = full};
        run_on_small_stack(&job);
        assert_int_equal(job.encode_status, RS_OK);
        assert_int_equal(job.wire_len, 4 + 8 * job.n); /* an id, then value and next per node */
        assert_int_equal(job.decode_status, RS_OK);
        assert_int_equal(job.decoded, job.n);
        assert_true(job.values_ok);
        /* a list needs one pending item at a time, not one per node: the arrays never grew */
        assert_true(job.most_items <= 16);
        assert_true(job.most_runs <= 16);
    }
}

/* ---- full pointers --------------------------------------------------------------------------- */

static void test_full_pointer_aliases(void **state)
{
    (void)state;
    /* void P([in, ptr] long *p1, [in, ptr] long *p2) with p1 == p2 */
    static const uint8_t wire[] = {
        0x00, 0x00, 0x02, 0x00, /* 0 p1: 0x00020000 */
        0x2a, 0x00, 0x00, 0x00, /* 4 p1->* 42 */
        0x00, 0x00, 0x02, 0x00, /* 8 p2: the same id, and the referent is not sent again */
    };
    const int32_t x = 42;
    enc e;
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_full(&e.ndr, "p1", &x, put_long_referent), RS_OK);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);
    assert_int_equal(rs_ndr_put_full(&e.ndr, "p2", &x, put_long_referent), RS_OK);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);
    assert_wrote(&e, wire, sizeof wire);
    enc_end(&e);

    dec d;
    int32_t *p1 = NULL, *p2 = NULL;
    dec_begin(&d, wire, sizeof wire, RS_LE);
    assert_int_equal(rs_ndr_get_full(&d.ndr, "p1", &p1, sizeof *p1, get_long_referent), RS_OK);
    assert_int_equal(rs_ndr_flush(&d.ndr), RS_OK);
    assert_int_equal(rs_ndr_get_full(&d.ndr, "p2", &p2, sizeof *p2, get_long_referent), RS_OK);
    assert_int_equal(rs_ndr_flush(&d.ndr), RS_OK);
    assert_ptr_equal(p1, p2);
    assert_int_equal(*p1, 42);
    dec_end(&d);

    /* An id seen before must name the same type: here a long, then a node. */
    int32_t *l = NULL;
    node *n = NULL;
    dec_begin(&d, wire, sizeof wire, RS_LE);
    assert_int_equal(rs_ndr_get_full(&d.ndr, "p1", &l, sizeof *l, get_long_referent), RS_OK);
    assert_int_equal(rs_ndr_flush(&d.ndr), RS_OK);
    assert_int_equal(rs_ndr_get_full(&d.ndr, "p2", &n, sizeof *n, get_fnode), RS_ERR_NDR);
    assert_null(n);
    assert_non_null(strstr(rs_ndr_error(&d.ndr), "referent id 0x00020000"));
    dec_end(&d);
}

/* ring = A -> B -> A, with [ptr] next. */
static const uint8_t ring_wire[] = {
    0x00, 0x00, 0x02, 0x00, /*  0 ring: A, 0x00020000 */
    0x01, 0x00, 0x00, 0x00, /*  4 ring->value 1 */
    0x04, 0x00, 0x02, 0x00, /*  8 ring->next: B, 0x00020004 */
    0x02, 0x00, 0x00, 0x00, /* 12 ring->next->value 2 */
    0x00, 0x00, 0x02, 0x00, /* 16 ring->next->next: A again, by its id; not sent again */
};

static rs_status decode_ring(rs_ndr *ndr)
{
    node *ring = NULL;
    rs_status st = rs_ndr_get_full(ndr, "ring", &ring, sizeof *ring, get_fnode);
    if (st == RS_OK)
        st = rs_ndr_flush(ndr);
    return st;
}

static void test_full_pointer_cycles(void **state)
{
    (void)state;
    node a, b;
    a.value = 1;
    a.next = &b;
    b.value = 2;
    b.next = &a;
    enc e;
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_full(&e.ndr, "ring", &a, put_fnode), RS_OK);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);
    assert_wrote(&e, ring_wire, sizeof ring_wire);
    enc_end(&e);

    dec d;
    node *ring = NULL;
    dec_begin(&d, ring_wire, sizeof ring_wire, RS_LE);
    assert_int_equal(rs_ndr_get_full(&d.ndr, "ring", &ring, sizeof *ring, get_fnode), RS_OK);
    assert_int_equal(rs_ndr_flush(&d.ndr), RS_OK);
    assert_int_equal(ring->value, 1);
    assert_int_equal(ring->next->value, 2);
    assert_ptr_equal(ring->next->next, ring);
    dec_end(&d);
    check_cuts(ring_wire, sizeof ring_wire, RS_LE, decode_ring);

    /* A node whose next is its own id: decoding ends, with a loop. */
    static const uint8_t self[] = {
        0x00, 0x00, 0x02, 0x00, /* 0 ring: 0x00020000 */
        0x05, 0x00, 0x00, 0x00, /* 4 ring->value 5 */
        0x00, 0x00, 0x02, 0x00, /* 8 ring->next: 0x00020000, itself */
    };
    dec_begin(&d, self, sizeof self, RS_LE);
    assert_int_equal(decode_ring(&d.ndr), RS_OK);
    dec_end(&d);
    dec_begin(&d, self, sizeof self, RS_LE);
    ring = NULL;
    assert_int_equal(rs_ndr_get_full(&d.ndr, "ring", &ring, sizeof *ring, get_fnode), RS_OK);
    assert_int_equal(rs_ndr_flush(&d.ndr), RS_OK);
    assert_ptr_equal(ring->next, ring);
    dec_end(&d);
}

/* ---- strings behind pointers, embedded [ref], arrays of structures --------------------------- */

static const uint8_t name_wire[] = {
    0x00, 0x00, 0x02, 0x00, /*  0 name: 0x00020000 */
    0x03, 0x00, 0x00, 0x00, /*  4 max_count 3 */
    0x00, 0x00, 0x00, 0x00, /*  8 offset 0 */
    0x03, 0x00, 0x00, 0x00, /* 12 actual_count 3 */
    'a', 'b', 0x00,         /* 16 "ab" and its terminator */
};

static rs_status decode_name(rs_ndr *ndr)
{
    char *name = NULL;
    rs_status st =
        rs_ndr_get_unique(ndr, "name", &name, RS_NDR_SIZE_FROM_WIRE, rs_ndr_get_string_fn);
    if (st == RS_OK)
        st = rs_ndr_flush(ndr);
    return st;
}

/* struct user { long id; [unique, string] wchar_t *name; } */
typedef struct user {
    int32_t id;
    uint16_t *name;
} user;

static const uint8_t user_wire[] = {
    0x05, 0x00, 0x00, 0x00, /*  0 u.id 5 */
    0x00, 0x00, 0x02, 0x00, /*  4 u.name: 0x00020000 */
    0x03, 0x00, 0x00, 0x00, /*  8 u.name->* max_count 3 (deferred after u) */
    0x00, 0x00, 0x00, 0x00, /* 12 offset 0 */
    0x03, 0x00, 0x00, 0x00, /* 16 actual_count 3 */
    0x41, 0x00, 0x42, 0x00, /* 20 'A' 'B' */
    0x00, 0x00,             /* 24 terminator */
};

static rs_status decode_user(rs_ndr *ndr)
{
    user u;
    rs_status st = rs_ndr_enter(ndr, "u");
    if (st == RS_OK) st = rs_ndr_align(ndr, 4);
    if (st == RS_OK) st = rs_ndr_get_long(ndr, "id", &u.id);
    if (st == RS_OK)
        st = rs_ndr_get_unique(ndr, "name", &u.name, RS_NDR_SIZE_FROM_WIRE, rs_ndr_get_wstring_fn);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    if (st == RS_OK) st = rs_ndr_flush(ndr);
    return st;
}

static void test_strings_behind_pointers(void **state)
{
    (void)state;
    enc e;
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_unique(&e.ndr, "name", "ab", rs_ndr_put_string_fn), RS_OK);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);
    assert_wrote(&e, name_wire, sizeof name_wire);
    enc_end(&e);

    dec d;
    char *name = NULL;
    dec_begin(&d, name_wire, sizeof name_wire, RS_LE);
    assert_int_equal(rs_ndr_get_unique(&d.ndr, "name", &name, RS_NDR_SIZE_FROM_WIRE,
                                       rs_ndr_get_string_fn),
                     RS_OK);
    assert_null(name); /* the string is read at the flush */
    assert_int_equal(rs_ndr_flush(&d.ndr), RS_OK);
    assert_string_equal(name, "ab");
    dec_end(&d);
    check_cuts(name_wire, sizeof name_wire, RS_LE, decode_name);

    static const uint16_t ab[] = {'A', 'B', 0};
    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, 64, 1024);
    enc_begin(&e, RS_LE);
    rs_ndr_set_layout(&e.ndr, &lay);
    assert_int_equal(rs_ndr_enter(&e.ndr, "u"), RS_OK);
    assert_int_equal(rs_ndr_align(&e.ndr, 4), RS_OK);
    assert_int_equal(rs_ndr_put_long(&e.ndr, "id", 5), RS_OK);
    assert_int_equal(rs_ndr_put_unique(&e.ndr, "name", ab, rs_ndr_put_wstring_fn), RS_OK);
    assert_int_equal(rs_ndr_leave(&e.ndr), RS_OK);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);
    assert_wrote(&e, user_wire, sizeof user_wire);
    static const want_field want[] = {
        {"u.id", "long", 0, 4, RS_NDR_ROLE_DATA},
        {"u.name", "[unique] pointer", 4, 4, RS_NDR_ROLE_REFERENT_ID},
        {"u.name->*", "unsigned long", 8, 4, RS_NDR_ROLE_MAX_COUNT},
        {"u.name->*", "unsigned long", 12, 4, RS_NDR_ROLE_OFFSET},
        {"u.name->*", "unsigned long", 16, 4, RS_NDR_ROLE_ACTUAL_COUNT},
        {"u.name->*", "[string] wchar_t", 20, 6, RS_NDR_ROLE_DATA},
    };
    assert_layout(&lay, want, 6);
    enc_end(&e);
    rs_ndr_layout_free(&lay);
    check_cuts(user_wire, sizeof user_wire, RS_LE, decode_user);
}

/* struct holder { [ref] long *p; } -- an embedded [ref] has a referent id in place. */
typedef struct holder {
    int32_t *p;
} holder;

static rs_status decode_holder(rs_ndr *ndr)
{
    holder h;
    rs_status st = rs_ndr_enter(ndr, "h");
    if (st == RS_OK) st = rs_ndr_get_embedded_ref(ndr, "p", &h.p, sizeof *h.p, get_long_referent);
    if (st == RS_OK) st = rs_ndr_leave(ndr);
    if (st == RS_OK) st = rs_ndr_flush(ndr);
    return st;
}

static void test_embedded_ref(void **state)
{
    (void)state;
    static const uint8_t wire[] = {
        0x00, 0x00, 0x02, 0x00, /* 0 h.p: 0x00020000 */
        0x09, 0x00, 0x00, 0x00, /* 4 h.p->* 9 */
    };
    static const uint8_t samba[] = {
        0xf1, 0xae, 0xf1, 0xae, /* 0 h.p: Samba's 0xAEF1AEF1; the value is not checked */
        0x09, 0x00, 0x00, 0x00, /* 4 h.p->* 9 */
    };
    int32_t v = 9;
    holder h = {.p = &v};
    enc e;
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_enter(&e.ndr, "h"), RS_OK);
    assert_int_equal(rs_ndr_put_embedded_ref(&e.ndr, "p", h.p, put_long_referent), RS_OK);
    assert_int_equal(rs_ndr_leave(&e.ndr), RS_OK);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);
    assert_wrote(&e, wire, sizeof wire);
    enc_end(&e);

    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_embedded_ref(&e.ndr, "p", NULL, put_long_referent),
                     RS_ERR_NULL_REF);
    enc_end(&e);

    check_cuts(wire, sizeof wire, RS_LE, decode_holder);
    check_cuts(samba, sizeof samba, RS_LE, decode_holder);
}

/* [in] long n, [in, size_is(n)] struct leaf arr[]: the scalars of every element, then each
 * element's referents in element order. */
static const uint8_t leaves_wire[] = {
    0x02, 0x00, 0x00, 0x00, /*  0 arr: max_count 2 */
    0x0a, 0x00, 0x00, 0x00, /*  4 arr[0].v 10 */
    0x00, 0x00, 0x02, 0x00, /*  8 arr[0].w: 0x00020000 */
    0x14, 0x00, 0x00, 0x00, /* 12 arr[1].v 20 */
    0x04, 0x00, 0x02, 0x00, /* 16 arr[1].w: 0x00020004 */
    0x0b, 0x00, 0x00, 0x00, /* 20 arr[0].w->* 11 */
    0x15, 0x00, 0x00, 0x00, /* 24 arr[1].w->* 21 */
};

static rs_status decode_leaves(rs_ndr *ndr)
{
    uint32_t n = 0;
    void *mem = NULL;
    rs_status st = rs_ndr_get_conformance(ndr, "arr", 8, &n); /* a leaf takes 8 bytes or more */
    if (st == RS_OK) st = rs_ndr_alloc(ndr, "arr", (size_t)n * sizeof(leaf), &mem);
    if (st == RS_OK) st = rs_ndr_get_elements(ndr, "arr", mem, sizeof(leaf), n, get_leaf);
    if (st == RS_OK) st = rs_ndr_flush(ndr);
    return st;
}

static void test_array_of_structures_with_pointers(void **state)
{
    (void)state;
    int32_t w0 = 11, w1 = 21;
    leaf arr[2] = {{.v = 10, .w = &w0}, {.v = 20, .w = &w1}};
    rs_ndr_layout lay;
    rs_ndr_layout_init(&lay, 64, 1024);
    enc e;
    enc_begin(&e, RS_LE);
    rs_ndr_set_layout(&e.ndr, &lay);
    assert_int_equal(rs_ndr_put_conformance(&e.ndr, "arr", 2), RS_OK);
    assert_int_equal(rs_ndr_put_elements(&e.ndr, "arr", arr, sizeof arr[0], 2, put_leaf), RS_OK);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);
    assert_wrote(&e, leaves_wire, sizeof leaves_wire);
    static const want_field want[] = {
        {"arr", "unsigned long", 0, 4, RS_NDR_ROLE_MAX_COUNT},
        {"arr[0].v", "long", 4, 4, RS_NDR_ROLE_DATA},
        {"arr[0].w", "[unique] pointer", 8, 4, RS_NDR_ROLE_REFERENT_ID},
        {"arr[1].v", "long", 12, 4, RS_NDR_ROLE_DATA},
        {"arr[1].w", "[unique] pointer", 16, 4, RS_NDR_ROLE_REFERENT_ID},
        {"arr[0].w->*", "long", 20, 4, RS_NDR_ROLE_DATA},
        {"arr[1].w->*", "long", 24, 4, RS_NDR_ROLE_DATA},
    };
    assert_layout(&lay, want, 7);
    enc_end(&e);
    rs_ndr_layout_free(&lay);

    dec d;
    uint32_t n = 0;
    void *mem = NULL;
    dec_begin(&d, leaves_wire, sizeof leaves_wire, RS_LE);
    assert_int_equal(rs_ndr_get_conformance(&d.ndr, "arr", 8, &n), RS_OK);
    assert_int_equal(rs_ndr_alloc(&d.ndr, "arr", n * sizeof(leaf), &mem), RS_OK);
    assert_int_equal(rs_ndr_get_elements(&d.ndr, "arr", mem, sizeof(leaf), n, get_leaf), RS_OK);
    assert_int_equal(rs_ndr_flush(&d.ndr), RS_OK);
    leaf *got = mem;
    assert_int_equal(got[0].v, 10);
    assert_int_equal(*got[0].w, 11);
    assert_int_equal(got[1].v, 20);
    assert_int_equal(*got[1].w, 21);
    dec_end(&d);
    check_cuts(leaves_wire, sizeof leaves_wire, RS_LE, decode_leaves);

    /* A max_count of 0x40000000 leaves, with 8 bytes to back it: rejected before allocating. */
    static const uint8_t lying[] = {
        0x00, 0x00, 0x00, 0x40, /* max_count 0x40000000 */
        0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    dec_begin(&d, lying, sizeof lying, RS_LE);
    assert_int_equal(decode_leaves(&d.ndr), RS_ERR_NDR);
    assert_int_equal(d.ndr.mem.bytes, 0);
    dec_end(&d);
}

/* ---- ownership ------------------------------------------------------------------------------- */

static void test_take_ownership(void **state)
{
    (void)state;
    dec d;
    node *list = NULL;
    rs_ndr_mem mem;
    dec_begin(&d, list_le, sizeof list_le, RS_LE);
    assert_int_equal(rs_ndr_get_unique(&d.ndr, "list", &list, sizeof *list, get_node), RS_OK);
    /* referents still queued: nothing can be taken yet */
    assert_int_equal(rs_ndr_take(&d.ndr, &mem), RS_ERR_INVALID_ARG);
    assert_null(mem.blocks);
    dec_end(&d);

    dec_begin(&d, list_le, sizeof list_le, RS_LE);
    assert_int_equal(decode_list(&d.ndr), RS_OK);
    dec_end(&d);

    dec_begin(&d, list_le, sizeof list_le, RS_LE);
    list = NULL;
    assert_int_equal(rs_ndr_get_unique(&d.ndr, "list", &list, sizeof *list, get_node), RS_OK);
    assert_int_equal(rs_ndr_flush(&d.ndr), RS_OK);
    assert_int_equal(rs_ndr_take(&d.ndr, &mem), RS_OK);
    assert_int_equal(mem.bytes, 2 * sizeof(node));
    dec_end(&d); /* frees the stream, not what was taken */
    assert_int_equal(list->value, 1);
    assert_int_equal(list->next->value, 2);
    rs_ndr_mem_free(&mem);

    /* After a failure, nothing is taken; rs_ndr_free() releases it all. */
    dec_begin(&d, list_le, sizeof list_le - 1, RS_LE);
    assert_int_equal(decode_list(&d.ndr), RS_ERR_TRUNCATED);
    assert_int_equal(rs_ndr_take(&d.ndr, &mem), RS_ERR_TRUNCATED);
    assert_null(mem.blocks);
    dec_end(&d);

    /* An encoder has nothing to give. */
    enc e;
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_take(&e.ndr, &mem), RS_ERR_INVALID_ARG);
    enc_end(&e);
}

/* ---- limits ---------------------------------------------------------------------------------- */

static void test_allocation_limit(void **state)
{
    (void)state;
    dec d;
    dec_begin(&d, list_le, sizeof list_le, RS_LE);
    rs_ndr_limits lim = rs_ndr_default_limits();
    lim.max_alloc = sizeof(node); /* room for one node of the two */
    rs_ndr_set_limits(&d.ndr, &lim);
    assert_int_equal(decode_list(&d.ndr), RS_ERR_LIMIT);
    assert_non_null(strstr(rs_ndr_error(&d.ndr), "list->next"));
    assert_non_null(strstr(rs_ndr_error(&d.ndr), "allocation limit"));
    dec_end(&d);
}

static void test_pending_limit(void **state)
{
    (void)state;
    int32_t w = 1;
    leaf arr[3] = {{.v = 1, .w = &w}, {.v = 2, .w = &w}, {.v = 3, .w = &w}};
    rs_ndr_limits lim = rs_ndr_default_limits();
    lim.max_pending = 2;
    enc e;
    enc_begin(&e, RS_LE);
    rs_ndr_set_limits(&e.ndr, &lim);
    assert_int_equal(rs_ndr_put_elements(&e.ndr, "arr", arr, sizeof arr[0], 3, put_leaf),
                     RS_ERR_LIMIT);
    assert_string_equal(rs_ndr_error(&e.ndr),
                        "ndr: arr[2].w: more than 2 referents wait to be marshalled at once");
    enc_end(&e);

    dec d;
    dec_begin(&d, leaves_wire, sizeof leaves_wire, RS_LE);
    lim.max_pending = 1;
    rs_ndr_set_limits(&d.ndr, &lim);
    assert_int_equal(decode_leaves(&d.ndr), RS_ERR_LIMIT);
    dec_end(&d);
}

static void test_referent_ids_run_out(void **state)
{
    (void)state;
    const int32_t v = 1;
    enc e;
    enc_begin(&e, RS_LE);
    e.ndr.next_referent_id = 0xFFFFFFFC;
    assert_int_equal(rs_ndr_put_unique(&e.ndr, "p", &v, put_long_referent), RS_ERR_LIMIT);
    enc_end(&e);
}

/* A cycle of [unique] pointers, which C706 forbids, is an error well before memory runs out: a
 * stub would otherwise marshal the same nodes round and round, up to the 4 GiB a request may
 * hold. */
static void test_unique_cycle_is_refused(void **state)
{
    (void)state;
    node a = {.value = 1}, b = {.value = 2};
    a.next = &b;
    b.next = &a;
    enc e;
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_unique(&e.ndr, "list", &a, put_node), RS_OK);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_ERR_LIMIT);
    assert_non_null(strstr(rs_ndr_error(&e.ndr), "more than 1048576 referents in one message"));
    /* it stopped at the bound: an id and a node per referent, and nothing more */
    assert_true(e.out.len <= 4 + 8 * RS_NDR_REFERENTS_MAX);
    enc_end(&e);
}

/* Generated code that misuses the stream is told so, not silently obeyed. */
static rs_status put_node_unbalanced(rs_ndr *ndr, const char *name, const void *obj)
{
    (void)obj;
    return rs_ndr_enter(ndr, name);
}

static void test_misuse(void **state)
{
    (void)state;
    const int32_t v = 1;
    node n = {.value = 1, .next = NULL};
    enc e;
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_enter(&e.ndr, "s"), RS_OK);
    assert_int_equal(rs_ndr_put_unique(&e.ndr, "p", &v, put_long_referent), RS_OK);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_ERR_INVALID_ARG); /* inside s */
    enc_end(&e);

    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_unique(&e.ndr, "p", &n, put_node_unbalanced), RS_OK);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_ERR_INVALID_ARG);
    assert_non_null(strstr(rs_ndr_error(&e.ndr), "left 1 rs_ndr_enter() levels open"));
    enc_end(&e);

    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_put_unique(&e.ndr, "p", &v, NULL), RS_ERR_INVALID_ARG);
    enc_end(&e);

    dec d;
    node *p = NULL;
    dec_begin(&d, list_le, sizeof list_le, RS_LE);
    assert_int_equal(rs_ndr_get_full(&d.ndr, "p", &p, RS_NDR_SIZE_FROM_WIRE, get_fnode),
                     RS_ERR_INVALID_ARG);
    dec_end(&d);

    /* A flush with nothing queued does nothing. */
    enc_begin(&e, RS_LE);
    assert_int_equal(rs_ndr_flush(&e.ndr), RS_OK);
    assert_int_equal(e.out.len, 0);
    enc_end(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unique_top_level),
        cmocka_unit_test(test_ref_top_level),
        cmocka_unit_test(test_deferral_order),
        cmocka_unit_test(test_linked_list),
        cmocka_unit_test(test_long_chain_names_are_shortened),
        cmocka_unit_test(test_huge_linked_list),
        cmocka_unit_test(test_full_pointer_aliases),
        cmocka_unit_test(test_full_pointer_cycles),
        cmocka_unit_test(test_strings_behind_pointers),
        cmocka_unit_test(test_embedded_ref),
        cmocka_unit_test(test_array_of_structures_with_pointers),
        cmocka_unit_test(test_take_ownership),
        cmocka_unit_test(test_allocation_limit),
        cmocka_unit_test(test_pending_limit),
        cmocka_unit_test(test_referent_ids_run_out),
        cmocka_unit_test(test_unique_cycle_is_refused),
        cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
