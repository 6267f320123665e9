/* idl.h -- rpcidl's front end: the tokens, the resolved interface model, and the diagnostics.
 *
 * idl_parse_file() reads an IDL file (and its imports, and an optional ACF), checks it, and hands
 * back one idl_file that a code generator reads without re-deriving anything: every name is
 * resolved, every pointer has its kind, every type its C spelling, memory layout and NDR wire
 * layout. Every error in the input is collected into an idl_diags, already rendered as
 * "FILE:LINE:COL: error: MESSAGE", the source line and a ^~~~ underline.
 *
 *     idl_diags d;
 *     idl_file *f;
 *     idl_diags_init(&d);
 *     if (idl_parse_file("hello.idl", "hello.acf", &d, &f) != RS_OK)
 *         fputs(idl_diags_text(&d), stderr);          // every error, not only the first
 *     else
 *         for (idl_operation *op = f->interfaces->ops; op; op = op->next) ...
 *     idl_free(f);
 *     idl_diags_free(&d);
 *
 * Everything an idl_file points to (imported files, types, expressions, strings) belongs to the
 * root file and goes with one idl_free(). The diagnostics are separate and outlive the model.
 *
 * The language is a MIDL-compatible subset; what is not supported is refused by name
 * ("rpcidl does not support [transmit_as]"). Decisions where MIDL leaves room:
 *   - Unattributed pointers: a top-level pointer parameter is [ref]; every other pointer takes the
 *     pointer_default of the interface that declares it, and [unique] when there is none (MIDL's
 *     Microsoft-extensions mode; DCE mode would say [ptr]).
 *   - A non-[v1_enum] enum value outside 0..32767 is an error: NDR sends it as 16 bits and
 *     Microsoft's stubs raise RPC_X_ENUM_VALUE_OUT_OF_RANGE for any other value.
 *   - There is no C preprocessor. "#define NAME <constant expression>" on one line declares a
 *     constant; #pragma is ignored with a warning; every other directive is an error.
 *   - import "x.idl" is looked for beside the importing file. A Windows system IDL that is not
 *     there (oaidl.idl, wtypes.idl, unknwn.idl, ...) is skipped with a warning, so files that
 *     import them out of habit compile unchanged; a type that only it would declare is then an
 *     "unknown type" with a note naming the skipped import. Any other missing import is an error.
 *   - Without an ACF (or with [implicit_handle]) an operation whose first parameter is handle_t
 *     binds explicitly, one with an [in] context handle binds through it, and the others use the
 *     interface's implicit handle <interface>_IfHandle (or the ACF's name). [explicit_handle]
 *     gives each operation that has neither a first parameter "handle_t IDL_handle".
 */
#ifndef RPCSCOPE_IDL_H
#define RPCSCOPE_IDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "uuid.h"

/* ---- limits: what holds for hostile input ----------------------------------------------------
 * A file larger than IDL_MAX_FILE_SIZE is refused before it is read. Nesting (parentheses,
 * structs in structs, pointers and array dimensions of a declarator) deeper than IDL_MAX_DEPTH
 * and expressions of more than IDL_MAX_EXPR_NODES terms are errors, so no stage recurses deeper
 * than that. Names are hashed and typedef chains cached: the work grows with the input's size.
 * After IDL_MAX_ERRORS errors the front end stops. */
#define IDL_MAX_FILE_SIZE (2u << 20)
#define IDL_MAX_DEPTH 100
#define IDL_MAX_ERRORS 50
#define IDL_MAX_IDENT 255
#define IDL_MAX_IMPORT_DEPTH 32
#define IDL_MAX_EXPR_NODES 1000

/* The C type handle_t becomes in generated code: the runtime's binding handle (client.h). */
#define IDL_C_HANDLE_TYPE "rs_client *"

/* Written where a size depends on the data (conformant or varying arrays, unions). */
#define IDL_SIZE_VARIES UINT32_MAX

typedef struct idl_source idl_source;
typedef struct idl_type idl_type;
typedef struct idl_expr idl_expr;
typedef struct idl_attr idl_attr;
typedef struct idl_decl idl_decl;
typedef struct idl_const idl_const;
typedef struct idl_operation idl_operation;
typedef struct idl_interface idl_interface;
typedef struct idl_item idl_item;
typedef struct idl_file idl_file;

/* ==== sources and locations ==================================================================== */

/* One file's bytes, kept for the life of the model so messages can quote them. The text may
 * contain NUL bytes; `len` is its length. */
struct idl_source {
    char *path;       /* as the user or an import named it, used in messages */
    char *text;       /* len bytes and a terminating NUL */
    size_t len;
    idl_source *next; /* every source of one parse, in the order read */
};

/* A span of source text: line and col count from 1; col counts bytes. */
typedef struct idl_loc {
    const idl_source *src; /* NULL for things rpcidl made up (IDL_handle) */
    uint32_t offset;       /* of the first byte */
    uint32_t len;          /* bytes underlined; 0 at the end of the file */
    uint32_t line;
    uint32_t col;
} idl_loc;

/* ==== diagnostics =============================================================================== */

typedef enum { IDL_SEV_ERROR, IDL_SEV_WARNING, IDL_SEV_NOTE } idl_severity;

typedef struct idl_diag {
    idl_severity severity;
    char *file; /* "" when the message has no place */
    uint32_t line, col;
    char *message; /* without "error: " */
} idl_diag;

/* Every message of one run, in order, structured and rendered. */
typedef struct idl_diags {
    idl_diag *items;
    size_t count, cap;
    unsigned errors, warnings;
    bool stopped; /* IDL_MAX_ERRORS reached: later errors were counted but not kept */
    char *text;   /* every message rendered, NUL-terminated; NULL until the first */
    size_t text_len, text_cap;
} idl_diags;

void idl_diags_init(idl_diags *d);
void idl_diags_free(idl_diags *d);

/* All messages as the command line prints them; "" when there are none. */
const char *idl_diags_text(const idl_diags *d);

/* Records and renders one message: "FILE:LINE:COL: error: MESSAGE\n", the source line, and
 * ^~~~ under the span. A note follows the message it explains ("previous declaration is here"). */
void idl_error(idl_diags *d, idl_loc at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void idl_warning(idl_diags *d, idl_loc at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void idl_note(idl_diags *d, idl_loc at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ==== tokens ===================================================================================== */

typedef enum {
    IDL_TK_IDENT,     /* a name; attribute names (in, out, string...) are names too */
    IDL_TK_KEYWORD,   /* a reserved word: a base type, struct, typedef, interface... */
    IDL_TK_PUNCT,     /* [ ] ( ) { } ; , : * = + - / % < > ! ~ & | ^ ? . << >> <= >= == != && || */
    IDL_TK_NUM,       /* an integer constant: decimal, 0x hex or 0 octal, with u/l suffixes */
    IDL_TK_DOTTED,    /* digits.digits, as in version(1.0); never a floating-point value */
    IDL_TK_CHAR,      /* 'a' or L'a' */
    IDL_TK_STR,       /* "text" or L"text" */
    IDL_TK_UUID,      /* the text inside uuid( ... ): its digit groups are not C tokens */
    IDL_TK_DIRECTIVE, /* '#' at the start of a line and the directive's name */
    IDL_TK_EOF,
} idl_token_kind;

typedef struct idl_token {
    idl_token_kind kind;
    bool at_bol;    /* first token of its line: ends a #define */
    bool wide;      /* L"..." or L'.' */
    idl_loc loc;    /* the token's text is loc.src->text + loc.offset, loc.len bytes */
    uint64_t value; /* IDL_TK_NUM and IDL_TK_CHAR */
    char *str;      /* STR: decoded bytes; UUID: the text; DIRECTIVE: its name ("define") */
    size_t str_len;
} idl_token;

/* The tokens of one source, ending with IDL_TK_EOF. Lexer errors go to the diagnostics and
 * the lexer goes on after them. */
typedef struct idl_lexed {
    struct idl_arena *arena; /* owns src and the decoded strings */
    idl_source *src;
    idl_token *tokens;
    size_t count;
} idl_lexed;

/* Tokenizes `len` bytes named `name` (for tests and tools). RS_OK when there was no error;
 * RS_ERR_INVALID_ARG when there were (the diagnostics say which); *out is set either way and
 * must be freed with idl_lexed_free(). */
RS_MUST_CHECK rs_status idl_lex_string(const char *name, const char *text, size_t len,
                                       idl_diags *d, idl_lexed **out);
void idl_lexed_free(idl_lexed *lx);

/* "identifier", "keyword", ... for messages. */
const char *idl_token_kind_name(idl_token_kind k);

/* ==== expressions =================================================================================
 * Size, length, switch and constant expressions as written, with each name resolved. */

typedef enum {
    IDL_EX_NUM,    /* value; text is its spelling (0x10) */
    IDL_EX_CHAR,   /* value; text is its spelling ('a') */
    IDL_EX_STRING, /* str, str_len (decoded); text is its spelling with quotes and escapes */
    IDL_EX_NAME,   /* name: decl (a sibling field or parameter) or constant */
    IDL_EX_UNARY,  /* op lhs */
    IDL_EX_BINARY, /* lhs op rhs */
    IDL_EX_COND,   /* cond ? lhs : rhs */
} idl_expr_kind;

typedef enum {
    IDL_OP_NONE,
    IDL_OP_NEG, IDL_OP_PLUS, IDL_OP_NOT, IDL_OP_BITNOT, IDL_OP_DEREF, /* unary - + ! ~ * */
    IDL_OP_MUL, IDL_OP_DIV, IDL_OP_MOD, IDL_OP_ADD, IDL_OP_SUB, IDL_OP_SHL, IDL_OP_SHR,
    IDL_OP_LT, IDL_OP_GT, IDL_OP_LE, IDL_OP_GE, IDL_OP_EQ, IDL_OP_NE,
    IDL_OP_BITAND, IDL_OP_BITXOR, IDL_OP_BITOR, IDL_OP_AND, IDL_OP_OR,
} idl_op;

struct idl_expr {
    idl_expr_kind kind;
    idl_op op;
    idl_loc loc;
    idl_expr *lhs, *rhs, *cond;
    const char *text;      /* NUM, CHAR, STRING: as written */
    const char *name;      /* NAME */
    const char *str;       /* STRING: decoded */
    size_t str_len;
    bool wide;             /* L"..." */
    idl_decl *decl;        /* NAME: the parameter or field it names, or NULL */
    idl_const *constant;   /* NAME: the constant or enumerator it names, or NULL */
    bool is_constant;      /* the value is known without running the program */
    int64_t value;         /* when is_constant */
    idl_expr *next;        /* the next expression of a list (attribute arguments, case labels) */
};

/* The C spelling of `e`: a name of a field or parameter as `prefix` + name ("m->" for the members
 * of a struct reached through pointer m, "" for parameters), constants by their names, every
 * binary and conditional operation in parentheses: size_is(MaximumLength / 2) with prefix "u->"
 * is "(u->MaximumLength / 2)". Writes at most cap bytes with a NUL; returns the length the whole
 * text needs, like snprintf. */
size_t idl_expr_to_c(const idl_expr *e, const char *prefix, char *out, size_t cap);

/* "*", "+", "<<", ... */
const char *idl_op_spelling(idl_op op);

/* ==== attributes =================================================================================
 * As written, kept for display; their meaning is folded into the model (idl_decl, idl_type). */

typedef enum {
    IDL_ATTR_UNKNOWN,
    /* interface header */
    IDL_ATTR_UUID, IDL_ATTR_VERSION, IDL_ATTR_POINTER_DEFAULT, IDL_ATTR_ENDPOINT,
    /* ACF interface header */
    IDL_ATTR_IMPLICIT_HANDLE, IDL_ATTR_EXPLICIT_HANDLE, IDL_ATTR_AUTO_HANDLE,
    /* parameters */
    IDL_ATTR_IN, IDL_ATTR_OUT, IDL_ATTR_RETVAL,
    /* pointers */
    IDL_ATTR_REF, IDL_ATTR_UNIQUE, IDL_ATTR_PTR, IDL_ATTR_CONTEXT_HANDLE,
    /* arrays */
    IDL_ATTR_SIZE_IS, IDL_ATTR_MAX_IS, IDL_ATTR_LENGTH_IS, IDL_ATTR_FIRST_IS, IDL_ATTR_LAST_IS,
    IDL_ATTR_STRING,
    /* unions and enums */
    IDL_ATTR_SWITCH_IS, IDL_ATTR_SWITCH_TYPE, IDL_ATTR_CASE, IDL_ATTR_DEFAULT, IDL_ATTR_V1_ENUM,
    /* values */
    IDL_ATTR_RANGE,
    /* recognised so that the error names them; never in a model */
    IDL_ATTR_UNSUPPORTED,
} idl_attr_kind;

struct idl_attr {
    idl_attr_kind kind;
    const char *name;   /* as written */
    idl_loc loc;        /* the whole attribute, name to closing parenthesis */
    idl_expr **args;    /* nargs expressions; an entry is NULL where the position is empty,
                           as in size_is(, n) */
    uint32_t nargs;
    idl_type *type_arg; /* switch_type(short), implicit_handle(handle_t NAME) */
    const char *text;   /* uuid: its text; pointer_default: ref|unique|ptr; implicit_handle: NAME;
                           version: as written */
    idl_attr *next;
};

/* ==== types ====================================================================================== */

typedef enum {
    IDL_VOID,
    IDL_BOOLEAN,        /* 1 byte, 0 or 1 */
    IDL_BYTE,           /* 1 byte, never converted */
    IDL_CHAR,           /* 1 byte character; is_unsigned for `unsigned char` */
    IDL_WCHAR,          /* 16-bit UTF-16 unit: uint16_t, never the platform's wchar_t */
    IDL_SMALL,          /* 8-bit integer */
    IDL_SHORT,          /* 16-bit integer */
    IDL_LONG,           /* 32-bit integer (also int and __int32) */
    IDL_HYPER,          /* 64-bit integer (also __int64) */
    IDL_FLOAT,
    IDL_DOUBLE,
    IDL_ERROR_STATUS,   /* error_status_t: a 32-bit status */
    IDL_HANDLE,         /* handle_t: a binding, never on the wire */
    IDL_ENUM,
    IDL_STRUCT,
    IDL_UNION,
    IDL_POINTER,
    IDL_ARRAY,
    IDL_CONTEXT_HANDLE, /* [context_handle] void * (or struct tag *): 20 bytes on the wire */
    IDL_TYPEDEF,
} idl_type_kind;

typedef enum {
    IDL_PTR_NONE,
    IDL_PTR_REF,    /* [ref]: never NULL, no wire form at top level, a referent id embedded */
    IDL_PTR_UNIQUE, /* [unique]: a referent id, 0 for NULL */
    IDL_PTR_FULL,   /* [ptr]: a referent id that aliases share */
} idl_ptr_kind;

/* Named types (base types, typedefs, structs, unions, enums) are shared by every use. Pointer and
 * array nodes belong to the declarator that wrote them: each carries that declarator's kind and
 * size expressions. A sized pointer [size_is(n)] long *p is a pointer whose target is an array
 * with from_pointer set: C spells it long *p, NDR sends it as a conformant array. */
struct idl_type {
    idl_type_kind kind;
    idl_loc loc;          /* where a named type is declared, or where a node was written */
    const char *name;     /* typedef name; struct/union/enum tag (NULL if none); base: "unsigned long" */
    const char *c_name;   /* C spelling of the type where it is used: "int32_t", "mixed",
                             "struct node", "uint16_t"; NULL for pointers and arrays (use
                             idl_c_declaration) and for an anonymous struct nobody names */
    bool is_unsigned;     /* integer base types and char */
    bool imported;        /* declared in an imported file: its header, not ours, defines it */

    /* Layout, computed when the type is complete. Memory: the host C compiler's (pointers are
     * sizeof(void *)); fixed-width integers make everything else the same everywhere. Wire: NDR,
     * from the start of the type, no trailing pad (the next item aligns itself). */
    uint32_t size, align;           /* C memory; a conformant array member counts 0 elements */
    uint32_t wire_size, wire_align; /* NDR: the fixed part; IDL_SIZE_VARIES when it depends on
                                       the data. An array's wire_align is its elements', raised
                                       to 4 when varying (offset and actual_count, u32, come
                                       first inline); a conformant array's max_count (u32) is
                                       hoisted before its struct, or sent first at top level */
    bool fixed_size;     /* the wire size is wire_size whatever the values */
    bool conformant;     /* an array whose size is known only at run time, or a struct ending in
                            one: its max_count goes in front of the struct */
    bool varying;        /* an array with length_is/first_is/last_is or [string], or a struct with one */
    bool has_pointers;   /* contains pointers whose referents are deferred (embedded pointers) */
    bool simple;         /* fixed size, no pointers, wire layout equal to memory layout: a block
                            copy when the byte order matches */
    bool complete;       /* a struct/union/enum whose body has been seen */
    bool is_error;       /* a placeholder after an error; never in a model handed out */

    const idl_type *resolved; /* IDL_TYPEDEF: the type under all typedefs (idl_type_resolve) */

    /* IDL_TYPEDEF: the named type; IDL_POINTER: the referent; IDL_ARRAY: the element;
     * IDL_CONTEXT_HANDLE: what the C pointer points to (void or a struct) */
    idl_type *target;
    idl_type *body;      /* IDL_TYPEDEF: the struct/union/enum whose body this typedef writes, as
                            in typedef struct {...} mixed; NULL when it only refers to one */

    /* IDL_POINTER */
    idl_ptr_kind ptr_kind;    /* the kind of this pointer wherever it is not a top-level
                                 parameter; see idl_decl.ptr_kind for that one */
    bool ptr_explicit;        /* written as [ref], [unique] or [ptr] */

    /* IDL_ARRAY */
    uint32_t length;          /* elements of a fixed array; 0 when conformant */
    bool from_pointer;        /* made from a sized pointer: C spells the pointer, not an array */
    bool is_string;           /* [string]: conformant-varying (or varying), the NUL counted */
    idl_expr *size_is, *max_is, *length_is, *first_is, *last_is; /* NULL when not given */
    idl_expr *bound;          /* the fixed bound as written ([MAX]), NULL for [] or from_pointer */

    /* IDL_STRUCT and IDL_UNION: members or arms in order (an arm may have no name: [default] ;) */
    idl_decl *members;
    uint32_t nmembers;
    /* IDL_UNION */
    bool encapsulated;        /* union switch (short k) u {...}: a C struct {k; union {...} u;} */
    idl_decl *discriminant;   /* encapsulated: the switch field (k) */
    const char *arm_name;     /* encapsulated: the union member's name (u; "tagged_union" if none) */
    idl_type *switch_type;    /* non-encapsulated: [switch_type(T)], NULL when not given */
    idl_decl *default_arm;    /* the [default] arm, NULL if none */

    /* IDL_ENUM: the enumerators in order, linked by idl_const.next */
    idl_const *enumerators;
    bool v1_enum;             /* 32 bits on the wire instead of 16 */

    /* IDL_TYPEDEF */
    bool context_handle;      /* the typedef names a context handle type */
};

/* The type under typedefs: mixed -> its struct. NULL stays NULL. */
const idl_type *idl_type_resolve(const idl_type *t);

/* Base integer types, char, boolean, byte, wchar_t, error_status_t and enums: what can size an
 * array or switch a union (after typedefs). */
bool idl_type_is_integral(const idl_type *t);

/* C declaration of `name` with type `t`: "int32_t *v", "int32_t a[10]", "uint16_t *Buffer",
 * "char name[20]", "CTX *ph"; with name "" the abstract type "int32_t *". A conformant array
 * member is written as a C99 flexible array member "int32_t a[]". Returns the length needed. */
size_t idl_c_declaration(const idl_type *t, const char *name, char *out, size_t cap);

/* The same declaration in IDL's words: "long *v", "unsigned char *pszString". For messages. */
size_t idl_idl_declaration(const idl_type *t, const char *name, char *out, size_t cap);

const char *idl_type_kind_name(idl_type_kind k);
const char *idl_ptr_kind_name(idl_ptr_kind k); /* "ref", "unique", "ptr", "none" */

/* ==== declarations =============================================================================== */

enum { IDL_DIR_IN = 1, IDL_DIR_OUT = 2, IDL_DIR_INOUT = 3 };

/* A declared name with its type and attributes: an operation's parameter, a struct member, a
 * union arm, or an encapsulated union's discriminant. */
struct idl_decl {
    const char *name;       /* NULL for an empty union arm */
    idl_loc loc;            /* the name (or the arm) */
    idl_type *type;         /* outermost first: pointers and arrays of this declarator, then the
                               named type; NULL for an empty union arm */
    idl_type *body;         /* the struct/union/enum whose body is written in this declaration
                               (struct { long x; } s;), NULL when it refers to a named one */
    idl_attr *attrs;        /* as written */
    bool c_const;           /* written with const: const char *s */

    /* parameters */
    unsigned dir;            /* IDL_DIR_IN, IDL_DIR_OUT or IDL_DIR_INOUT; 0 for members */
    bool retval;
    bool synthetic;          /* added by rpcidl: [explicit_handle]'s IDL_handle */
    bool is_binding;         /* the handle_t or context handle that binds the call */

    /* The kind of the outermost pointer when `type` is a pointer (after typedefs): for a
     * top-level parameter [ref] unless it or its typedef says otherwise; elsewhere the pointer
     * node's own kind. IDL_PTR_NONE when the type is not a pointer. Deeper pointers: node->ptr_kind. */
    idl_ptr_kind ptr_kind;

    /* [switch_is(expr)] for a use of a non-encapsulated union (through pointers and typedefs),
     * and the discriminant's type: the union's switch_type or else the named item's type. */
    idl_expr *switch_is;
    const idl_type *switch_type;

    bool has_range;          /* [range(lo, hi)] */
    int64_t range_lo, range_hi;

    /* union arms: the case labels (folded values in expr->value), linked by idl_expr.next */
    idl_expr *cases;
    uint32_t ncases;
    bool is_default;

    /* struct members: where the member lies */
    uint32_t offset;        /* in C memory */
    uint32_t wire_offset;   /* in NDR from the start of the struct; IDL_SIZE_VARIES when an
                               earlier member's size depends on the data */
    uint32_t index;         /* position among its siblings, from 0 */
    idl_decl *next;
};

/* ==== constants ================================================================================== */

typedef enum {
    IDL_CONST_INT,        /* const long MAX = 10; (also char and boolean constants) */
    IDL_CONST_STRING,     /* const char *NAME = "x"; or const wchar_t *W = L"x"; */
    IDL_CONST_ENUMERATOR, /* red = 1 in an enum */
    IDL_CONST_DEFINE,     /* #define NAME value */
} idl_const_kind;

struct idl_const {
    idl_const_kind kind;
    const char *name;
    idl_loc loc;
    idl_type *type;        /* the declared type; the enum for an enumerator; NULL for #define */
    idl_expr *expr;        /* as written; NULL for an enumerator that counts on from the last */
    int64_t value;         /* INT, ENUMERATOR, DEFINE with an integer */
    const char *str;       /* STRING (and a #define of a string): decoded */
    size_t str_len;
    const char *str_text;  /* the literal as written, quotes and escapes included: "x" or L"x" */
    bool evaluated;        /* the value is known (enumerators are folded in order) */
    idl_const *next;       /* the next enumerator of the same enum */
};

/* ==== operations and interfaces ================================================================== */

typedef enum {
    IDL_BIND_IMPLICIT, /* the interface's implicit handle (idl_interface.implicit_handle) */
    IDL_BIND_EXPLICIT, /* the first parameter, a handle_t (maybe synthetic IDL_handle) */
    IDL_BIND_CONTEXT,  /* the first [in] or [in, out] context handle parameter (binding_param);
                          an [in, out] one may be NULL on the way in, and then the interface's
                          implicit (or the explicit) handle has to bind, as in MIDL's stubs */
} idl_binding_kind;

struct idl_operation {
    const char *name;
    idl_loc loc;
    uint32_t opnum;         /* from 0 in declaration order within the interface */
    idl_type *ret;          /* the return type; a type of kind IDL_VOID for void */
    idl_attr *attrs;
    idl_decl *params;       /* in order, the synthetic IDL_handle first when there is one */
    uint32_t nparams;
    idl_binding_kind binding;
    idl_decl *binding_param; /* EXPLICIT and CONTEXT: the parameter that binds; else NULL */
    idl_interface *iface;
    idl_operation *next;
};

typedef enum {
    IDL_HANDLES_IMPLICIT, /* no ACF, or [implicit_handle(handle_t NAME)] */
    IDL_HANDLES_EXPLICIT, /* ACF [explicit_handle] */
} idl_handle_mode;

typedef struct idl_endpoint {
    const char *text;       /* "ncacn_ip_tcp:[4747]" */
    idl_loc loc;
    struct idl_endpoint *next;
} idl_endpoint;

typedef enum {
    IDL_ITEM_IMPORT,    /* import: the imported file (the header includes its header) */
    IDL_ITEM_CPP_QUOTE, /* text: passed to the header as it is */
    IDL_ITEM_CONST,     /* constant (including #define) */
    IDL_ITEM_TYPEDEF,   /* type: one IDL_TYPEDEF per declared name, in order */
    IDL_ITEM_TYPE,      /* type: struct tag {...}; union ...; enum ...; declared without typedef */
    IDL_ITEM_OPERATION, /* op */
    IDL_ITEM_INTERFACE, /* iface (file level only) */
} idl_item_kind;

/* One declaration, in source order: the header must emit them in this order. */
struct idl_item {
    idl_item_kind kind;
    idl_loc loc;
    idl_file *file;     /* the file the item is written in */
    idl_file *import;
    const char *text;
    idl_const *constant;
    idl_type *type;
    idl_operation *op;
    idl_interface *iface;
    idl_item *next;
};

struct idl_interface {
    const char *name;
    idl_loc loc;
    idl_attr *attrs;              /* as written */
    rs_uuid uuid;
    char uuid_text[RS_UUID_STRLEN]; /* lower case */
    uint16_t ver_major, ver_minor;  /* 0.0 when there is no [version] */
    idl_ptr_kind pointer_default;   /* as written, IDL_PTR_NONE when absent */
    idl_ptr_kind embedded_default;  /* what unattributed embedded pointers became: pointer_default
                                       or IDL_PTR_UNIQUE */
    idl_endpoint *endpoints;        /* [endpoint(...)] in order, NULL when none */
    idl_handle_mode handle_mode;
    const char *implicit_handle;    /* "hello_IfHandle", or the ACF's name */
    bool implicit_handle_from_acf;
    bool has_acf;
    idl_item *items;                /* typedefs, consts, cpp_quotes, imports, operations in order */
    idl_operation *ops;             /* the operations in opnum order */
    uint32_t nops;
    idl_file *file;
    bool imported;                  /* declared in an imported file: no stubs for it */
    idl_interface *next;
};

struct idl_file {
    const char *path;          /* as given */
    const char *real_path;     /* canonical, to read each file once and to find import cycles */
    const char *basename;      /* the file name without directory and .idl: "conform" */
    bool imported;
    idl_item *items;           /* file level: imports, cpp_quotes, consts, typedefs, interfaces */
    idl_interface *interfaces; /* this file's interfaces, in order */
    idl_source *acf;           /* the ACF merged into this file, NULL if none */
    idl_file *next;            /* the root's list of every file, each import before its importer */
    struct idl_arena *arena;   /* root only: owns everything */
    idl_source *sources;       /* root only: every source read */
    idl_file *all_files;       /* root only: every file, imports first, the root last */
};

/* ==== entry points =============================================================================== */

/* Parses and checks `path`, its imports, and the ACF at `acf_path` (NULL for none). RS_OK: *out
 * is the model. RS_ERR_INVALID_ARG: the input has errors, all of them in `d`, and *out is NULL.
 * Warnings may come with either. Out of memory aborts: rpcidl is a short-lived compiler. */
RS_MUST_CHECK rs_status idl_parse_file(const char *path, const char *acf_path, idl_diags *d,
                                       idl_file **out);

/* The same for text in memory (tests, tools). `name` is used in messages and imports resolve
 * beside it. acf_text may be NULL (then acf_name is ignored). */
RS_MUST_CHECK rs_status idl_parse_string(const char *name, const char *text, size_t len,
                                         const char *acf_name, const char *acf_text,
                                         idl_diags *d, idl_file **out);

/* Frees the root file and everything it owns; NULL is fine. */
void idl_free(idl_file *f);

/* Lookups in a parsed model; NULL when there is none. */
idl_interface *idl_find_interface(const idl_file *f, const char *name);
idl_operation *idl_find_operation(const idl_interface *iface, const char *name);
idl_decl *idl_find_param(const idl_operation *op, const char *name);
idl_decl *idl_find_member(const idl_type *struct_or_union, const char *name);
/* A typedef, struct/union/enum tag (as "struct tag"), in any file of the parse. */
idl_type *idl_find_type(const idl_file *root, const char *name);
idl_const *idl_find_const(const idl_file *root, const char *name);

/* ==== front-end internals: shared by lex.c, parse.c and types.c ===================================
 * A code generator needs none of this. */

/* Every allocation of one parse comes from here and goes with idl_arena_free(). */
typedef struct idl_arena {
    struct idl_arena_block *blocks;
} idl_arena;

void *idl_alloc(idl_arena *a, size_t size); /* zeroed; aborts when memory runs out */
char *idl_strndup(idl_arena *a, const char *s, size_t n);
char *idl_strdup(idl_arena *a, const char *s);
void idl_arena_free(idl_arena *a);

/* Tokenizes `src` into a malloc'ed array (free() it), strings in the arena. */
void idl_lex(idl_arena *a, idl_source *src, idl_diags *d, idl_token **tokens, size_t *count);

/* A symbol table entry: one name in one namespace. */
typedef enum { IDL_SYM_TYPE, IDL_SYM_TAG, IDL_SYM_CONST, IDL_SYM_OPERATION } idl_sym_kind;

typedef struct idl_symbol {
    idl_sym_kind kind;
    const char *name;
    idl_loc loc;
    idl_type *type;
    idl_const *constant;
    idl_operation *op;
    struct idl_symbol *next;
} idl_symbol;

/* A pointer to a struct or union not defined yet: it must be defined by the end. */
typedef struct idl_pending {
    const idl_type *type;
    idl_loc loc;
    const char *name;
    struct idl_pending *next;
} idl_pending;

/* What the stages share while one root file is being read. */
typedef struct idl_ctx {
    idl_arena *arena;
    idl_diags *diags;
    idl_source *sources, **sources_tail;
    idl_file *files, **files_tail; /* completed files, imports first */
    idl_symbol **symbols;          /* a hash table of nbuckets chains; grows with the names */
    size_t nbuckets, nsymbols;
    idl_type *builtins[32];
    const char *skipped_imports[8]; /* system imports skipped, for the note on unknown types */
    unsigned nskipped;
    const char *import_stack[IDL_MAX_IMPORT_DEPTH + 1]; /* canonical paths being parsed */
    const char *import_names[IDL_MAX_IMPORT_DEPTH + 1]; /* the same, as the user named them */
    unsigned import_depth;
    idl_pending *pending, **pending_tail;
} idl_ctx;

/* types.c: the symbol table (one namespace for typedefs, constants and operations, one for tags) */
idl_symbol *idl_sym_find(idl_ctx *c, idl_sym_kind kind, const char *name);
/* Defines a name; on a duplicate reports "redefinition of 'x'" with a note and returns NULL. */
idl_symbol *idl_sym_define(idl_ctx *c, idl_sym_kind kind, const char *name, idl_loc loc);

/* types.c: base types. `which` is one of the IDL_B_ values. */
enum {
    IDL_B_VOID, IDL_B_BOOLEAN, IDL_B_BYTE, IDL_B_CHAR, IDL_B_SCHAR, IDL_B_UCHAR, IDL_B_WCHAR,
    IDL_B_SMALL, IDL_B_USMALL, IDL_B_SHORT, IDL_B_USHORT, IDL_B_LONG, IDL_B_ULONG, IDL_B_INT,
    IDL_B_UINT, IDL_B_HYPER, IDL_B_UHYPER, IDL_B_FLOAT, IDL_B_DOUBLE, IDL_B_ERROR_STATUS,
    IDL_B_HANDLE, IDL_B_COUNT
};
idl_type *idl_builtin(idl_ctx *c, int which);
idl_type *idl_new_type(idl_ctx *c, idl_type_kind kind, idl_loc loc);

/* types.c: checking, called by the parser as each declaration is complete. Each reports what is
 * wrong and fills in the model: pointer kinds, sizes, layouts, resolved names. */
void idl_check_typedef(idl_ctx *c, idl_type *tdef, idl_attr *attrs, idl_interface *iface);
void idl_check_struct(idl_ctx *c, idl_type *s, idl_interface *iface);
void idl_check_union(idl_ctx *c, idl_type *u, idl_interface *iface);
void idl_check_enum(idl_ctx *c, idl_type *e);
void idl_check_const(idl_ctx *c, idl_const *k);
void idl_check_operation(idl_ctx *c, idl_operation *op);
void idl_check_interface_attrs(idl_ctx *c, idl_interface *iface);
/* After the ACF: pointers to never-defined structs, and which parameter binds each call. */
void idl_check_finish(idl_ctx *c);

/* types.c: merges an ACF interface's attributes (parse.c reads the ACF's grammar). */
void idl_apply_acf_interface(idl_ctx *c, idl_interface *iface, idl_attr *attrs);

#endif
