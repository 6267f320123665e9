/* main.c -- rpcidl, the IDL compiler's command line: reads NAME.idl (and NAME.acf), writes NAME.h,
 * NAME_c.c and NAME_s.c.
 *
 *     rpcidl hello.idl                 hello.acf beside it is read too, if there is one
 *     rpcidl hello.idl hello.acf -o build/gen/hello
 *
 * Exit status: 0 when the three files were written; 1 when the input has errors (each printed as
 * FILE:LINE:COL with the source line and a caret underline) or a file cannot be written; 2 for a
 * command line it does not understand. The files are written whole or not at all: each goes to a
 * temporary file in the output directory first, and only when all three are complete are they
 * renamed over the old ones.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen.h"
#include "idl.h"

#define EXIT_INPUT 1 /* errors in the IDL, or files that cannot be written */
#define EXIT_USAGE 2 /* a command line rpcidl does not understand */

static const char usage_text[] =
    "usage: rpcidl [--ms] NAME.idl [NAME.acf] [-o DIR]\n"
    "       rpcidl --help | --version\n"
    "\n"
    "Compiles a Microsoft/DCE IDL interface into C stubs for librpcscope:\n"
    "  DIR/NAME.h     the types, constants and procedure prototypes; include it on both sides\n"
    "  DIR/NAME_c.c   the client stubs: compile and link them into the client program\n"
    "  DIR/NAME_s.c   the server stubs and the dispatch table (NAME_server_interface): compile\n"
    "                 and link them into the server program, which defines the procedures\n"
    "\n"
    "Options:\n"
    "  NAME.acf       the application configuration file; without one, NAME.acf beside\n"
    "                 NAME.idl is read when it exists (as MIDL does)\n"
    "  -o DIR         write the files into DIR (default: the current directory)\n"
    "  --ms           Microsoft's RPC API: NAME.h includes rpc.h and rpcndr.h (compile with\n"
    "                 -I for rpcscope's compat/ headers) and has MIDL's names\n"
    "                 (NAME_ClientIfHandle, NAME_ServerIfHandle); the server stubs free [out]\n"
    "                 memory with midl_user_free(), which the program defines\n"
    "  --help         print this text\n"
    "  --version      print rpcidl's version\n"
    "\n"
    "Errors are printed as FILE:LINE:COL: error: MESSAGE with the source line; the exit status is\n"
    "0 when the files were written, 1 for errors in the input or a file that cannot be written,\n"
    "and 2 for a command line rpcidl does not understand.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "rpcidl: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage_text);
    return EXIT_USAGE;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = malloc(n);
    if (s == NULL) {
        fprintf(stderr, "rpcidl: out of memory\n");
        exit(EXIT_INPUT);
    }
    snprintf(s, n, "%s/%s", dir, name);
    return s;
}

/* NAME.acf beside NAME.idl when it exists: "dir/hello.idl" -> "dir/hello.acf". */
static char *acf_beside(const char *idl)
{
    size_t n = strlen(idl);
    const char *dot = strrchr(idl, '.');
    const char *slash = strrchr(idl, '/');
    if (dot == NULL || (slash != NULL && dot < slash))
        dot = idl + n;
    size_t stem = (size_t)(dot - idl);
    char *acf = malloc(stem + 5);
    if (acf == NULL) {
        fprintf(stderr, "rpcidl: out of memory\n");
        exit(EXIT_INPUT);
    }
    memcpy(acf, idl, stem);
    memcpy(acf + stem, ".acf", 5);
    struct stat sb;
    if (stat(acf, &sb) == 0 && S_ISREG(sb.st_mode))
        return acf;
    free(acf);
    return NULL;
}

/* Writes `len` bytes into a new temporary file in `dir`; its name goes to *tmp_out. */
static int write_temp(const char *dir, const idl_gen_file *f, char **tmp_out)
{
    char *tmp = join(dir, ".rpcidl-XXXXXX");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "rpcidl: cannot create a file in %s: %s\n", dir, strerror(errno));
        free(tmp);
        return -1;
    }
    FILE *fp = fdopen(fd, "w");
    bool ok = fp != NULL && fwrite(f->text, 1, f->len, fp) == f->len;
    if (fp != NULL) {
        ok = fflush(fp) == 0 && ok;
        ok = fclose(fp) == 0 && ok;
    } else {
        close(fd);
    }
    /* mkstemp makes the file 0600; generated sources are ordinary files */
    mode_t mask = umask(0);
    umask(mask);
    if (ok && chmod(tmp, 0666 & ~mask) != 0)
        ok = false;
    if (!ok) {
        fprintf(stderr, "rpcidl: cannot write %s/%s: %s\n", dir, f->name, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    *tmp_out = tmp;
    return 0;
}

/* All three files or none: temporaries first, then one rename each. */
static int write_all(const char *dir, const idl_gen_output *out)
{
    char *tmp[IDL_GEN_FILES] = {NULL};
    int rc = 0;
    for (int i = 0; i < IDL_GEN_FILES && rc == 0; i++)
        rc = write_temp(dir, &out->files[i], &tmp[i]);
    for (int i = 0; i < IDL_GEN_FILES && rc == 0; i++) {
        char *path = join(dir, out->files[i].name);
        if (rename(tmp[i], path) != 0) {
            fprintf(stderr, "rpcidl: cannot write %s: %s\n", path, strerror(errno));
            rc = -1;
        } else {
            free(tmp[i]);
            tmp[i] = NULL;
        }
        free(path);
    }
    for (int i = 0; i < IDL_GEN_FILES; i++) {
        if (tmp[i] != NULL) {
            unlink(tmp[i]);
            free(tmp[i]);
        }
    }
    return rc;
}

int main(int argc, char **argv)
{
    const char *idl = NULL, *acf = NULL, *dir = ".";
    idl_gen_options gen_options = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            puts("rpcidl " IDL_GEN_VERSION);
            return 0;
        }
        if (strcmp(a, "--ms") == 0) {
            gen_options.ms = true;
        } else if (strcmp(a, "-o") == 0) {
            if (i + 1 >= argc)
                return usage_error("-o needs a directory%s", "");
            dir = argv[++i];
        } else if (strncmp(a, "-o", 2) == 0) {
            dir = a + 2;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option %s", a);
        } else if (idl == NULL) {
            idl = a;
        } else if (acf == NULL) {
            acf = a;
        } else {
            return usage_error("one IDL file and one ACF at most; what is %s?", a);
        }
    }
    if (idl == NULL)
        return usage_error("no IDL file given%s", "");
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "rpcidl: %s is not a directory\n", dir);
        return EXIT_INPUT;
    }

    char *found_acf = acf == NULL ? acf_beside(idl) : NULL;
    idl_diags d;
    idl_diags_init(&d);
    idl_file *f = NULL;
    rs_status st = idl_parse_file(idl, acf != NULL ? acf : found_acf, &d, &f);
    idl_gen_output out = {0};
    if (st == RS_OK)
        st = idl_gen_c_with(f, &gen_options, &d, &out);
    fputs(idl_diags_text(&d), stderr);
    int rc = 0;
    if (st != RS_OK) {
        fprintf(stderr, "rpcidl: %u error%s; no files written\n", d.errors,
                d.errors == 1 ? "" : "s");
        rc = EXIT_INPUT;
    } else if (write_all(dir, &out) != 0) {
        rc = EXIT_INPUT;
    }
    idl_gen_output_free(&out);
    idl_free(f);
    idl_diags_free(&d);
    free(found_acf);
    return rc;
}
