/* fuzz_idl.c -- libFuzzer target: idl_parse_string(), rpcidl's lexer, parser and type checker.
 *
 * The input is an IDL file; when it holds a NUL byte, what comes before the first NUL is the IDL
 * and what comes after is parsed as its ACF. Whatever the bytes: no crash, no leak, and
 * RS_ERR_INVALID_ARG always comes with at least one error in the diagnostics. Inputs above
 * MAX_INPUT are skipped: the parser is allowed to take time linear in large, legitimate files,
 * and the fuzzer is run with -max_len below it anyway. The name puts the file in a folder that
 * does not exist, so an import finds nothing beside it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idl.h"

#define MAX_INPUT (64u * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return 0;
    const uint8_t *nul = memchr(data, 0, size);
    size_t idl_len = nul != NULL ? (size_t)(nul - data) : size;

    /* Exact-size heap copies: the IDL is not NUL-terminated (a length is given), the ACF is. */
    char *idl = malloc(idl_len > 0 ? idl_len : 1);
    char *acf = NULL;
    if (idl == NULL)
        return 0;
    memcpy(idl, data, idl_len);
    if (nul != NULL) {
        size_t acf_len = size - idl_len - 1;
        acf = malloc(acf_len + 1);
        if (acf == NULL) {
            free(idl);
            return 0;
        }
        memcpy(acf, nul + 1, acf_len);
        acf[acf_len] = '\0';
    }

    idl_diags d;
    idl_file *f = NULL;
    idl_diags_init(&d);
    rs_status st = idl_parse_string("fuzz-idl/fuzz.idl", idl, idl_len,
                                    acf != NULL ? "fuzz-idl/fuzz.acf" : NULL, acf, &d, &f);
    if (st == RS_OK && f == NULL)
        abort();
    if (st != RS_OK && (f != NULL || d.errors == 0))
        abort(); /* a refusal names at least one error */
    (void)idl_diags_text(&d);
    idl_free(f);
    idl_diags_free(&d);
    free(acf);
    free(idl);
    return 0;
}
