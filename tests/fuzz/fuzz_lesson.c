/* fuzz_lesson.c -- libFuzzer target: sim_lesson_parse(), the lesson script parser, on any bytes.
 *
 * lesson.h promises it "never crashes, whatever the bytes": each input either gives a lesson or
 * errors, and both are freed (LeakSanitizer checks). A lesson that parses is also given to
 * sim_cues_create() and sim_lesson_env(), which read every field the parser filled. The path
 * names a folder that does not exist, so `idl:` looks for nothing on disk. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A heap copy of exactly `size` bytes, not NUL-terminated: the parser takes a length. */
    char *text = malloc(size > 0 ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);

    sim_lesson *l = NULL;
    sim_diag d = {0};
    rs_status st = sim_lesson_parse("fuzz-lesson/lesson.txt", text, size, &l, &d);
    if (st == RS_OK) {
        if (l == NULL)
            abort();
        sim_cues *c = NULL;
        if (sim_cues_create(l, &c) == RS_OK)
            sim_cues_destroy(c);
        static char env[SIM_LESSON_ENV_MAX][SIM_ENV_MAX];
        (void)sim_lesson_env(l, true, env, SIM_LESSON_ENV_MAX);
        (void)sim_lesson_env(l, false, env, SIM_LESSON_ENV_MAX);
        char binding[256];
        sim_lesson_listen_binding(l, binding, sizeof binding);
    } else if (l != NULL || d.count == 0) {
        abort(); /* a failure leaves no lesson and says why */
    }
    sim_lesson_free(l);
    sim_diag_free(&d);
    free(text);
    return 0;
}
