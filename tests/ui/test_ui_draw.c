/* test_ui_draw.c -- the draw list without pixels: commands, overflow, hit testing, wrapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "draw.h"
#include "theme.h"

static ui_draw_list dl; /* large: keep it off the stack */

/* A fixed-width stand-in for a font: every byte is half the size wide. */
static float fixed_measure(void *ctx, ui_font font, int size, const char *text, size_t len)
{
    (void)ctx;
    (void)font;
    (void)text;
    return (float)len * (float)size / 2;
}

static void test_commands_and_text_pool(void **state)
{
    (void)state;
    const ui_theme *t = ui_theme_get(UI_THEME_NORMAL);
    ui_draw_reset(&dl);
    ui_draw_rect(&dl, (ui_rect){1, 2, 3, 4}, t->panel, 5, 7);
    ui_draw_text(&dl, (ui_rect){0, 0, 100, 20}, UI_FONT_MONO, 16, t->text, UI_ALIGN_CENTER, 9, "call %d", 12);
    assert_int_equal(dl.count, 2);
    assert_int_equal(dl.commands[0].kind, UI_CMD_RECT);
    assert_int_equal(dl.commands[0].id, 7);
    assert_int_equal(dl.commands[1].kind, UI_CMD_TEXT);
    assert_int_equal(dl.commands[1].text_len, 7);
    assert_memory_equal(ui_command_text(&dl, &dl.commands[1]), "call 12", 7);
    assert_false(dl.overflow);
}

static void test_overflow_is_flagged_not_fatal(void **state)
{
    (void)state;
    const ui_theme *t = ui_theme_get(UI_THEME_NORMAL);
    ui_draw_reset(&dl);
    for (int i = 0; i < UI_MAX_COMMANDS + 10; i++)
        ui_draw_rect(&dl, (ui_rect){0, 0, 1, 1}, t->panel, 0, UI_ID_NONE);
    assert_int_equal(dl.count, UI_MAX_COMMANDS);
    assert_true(dl.overflow);

    ui_draw_reset(&dl);
    char *big = malloc(UI_TEXT_POOL_BYTES + 100);
    assert_non_null(big);
    memset(big, 'x', UI_TEXT_POOL_BYTES + 99);
    big[UI_TEXT_POOL_BYTES + 99] = '\0';
    ui_draw_text(&dl, (ui_rect){0, 0, 1, 1}, UI_FONT_SANS, 10, t->text, UI_ALIGN_LEFT, 0, "%s", big);
    assert_true(dl.overflow);
    assert_true(dl.text_len <= UI_TEXT_POOL_BYTES);
    free(big);
}

static void test_hit_finds_the_topmost(void **state)
{
    (void)state;
    const ui_theme *t = ui_theme_get(UI_THEME_NORMAL);
    ui_draw_reset(&dl);
    ui_draw_rect(&dl, (ui_rect){0, 0, 100, 100}, t->panel, 0, 1);
    ui_draw_rect(&dl, (ui_rect){10, 10, 20, 20}, t->panel, 0, 2);
    ui_draw_rect(&dl, (ui_rect){15, 15, 5, 5}, t->panel, 0, UI_ID_NONE);
    assert_int_equal(ui_draw_hit(&dl, 16, 16), 2);
    assert_int_equal(ui_draw_hit(&dl, 50, 50), 1);
    assert_int_equal(ui_draw_hit(&dl, 150, 50), UI_ID_NONE);
}

struct lines {
    char text[8][64];
    size_t n;
};

static void collect(const char *line, size_t len, void *ctx)
{
    struct lines *l = ctx;
    assert_true(l->n < 8 && len < 64);
    memcpy(l->text[l->n], line, len);
    l->text[l->n][len] = '\0';
    l->n++;
}

static void test_wrap(void **state)
{
    (void)state;
    struct lines l = {0};
    /* 10 px per byte at size 20: 100 px holds 10 bytes. */
    size_t n = ui_wrap("the client stub marshals pszString", 100, fixed_measure, NULL, UI_FONT_SANS, 20,
                       collect, &l);
    assert_int_equal(n, 4);
    assert_string_equal(l.text[0], "the client");
    assert_string_equal(l.text[1], "stub");
    assert_string_equal(l.text[2], "marshals");
    assert_string_equal(l.text[3], "pszString");

    memset(&l, 0, sizeof l);
    n = ui_wrap("abcdefghijklmnopqrstuvwxy\nz", 100, fixed_measure, NULL, UI_FONT_SANS, 20, collect, &l);
    assert_int_equal(n, 4); /* a word longer than a line is cut; a newline ends one */
    assert_string_equal(l.text[0], "abcdefghij");
    assert_string_equal(l.text[2], "uvwxy");
    assert_string_equal(l.text[3], "z");

    memset(&l, 0, sizeof l);
    n = ui_wrap("", 100, fixed_measure, NULL, UI_FONT_SANS, 20, collect, &l);
    assert_int_equal(n, 0);
}

static void test_colours_and_easing(void **state)
{
    (void)state;
    ui_color a = {0, 0, 0, 255}, b = {200, 100, 50, 255};
    ui_color m = ui_mix(a, b, 0.5f);
    assert_int_equal(m.r, 100);
    assert_int_equal(m.g, 50);
    assert_int_equal(ui_mix(a, b, 2).r, 200);
    assert_true(ui_ease(0) == 0 && ui_ease(1) == 1 && ui_ease(0.5f) == 0.5f);
    assert_true(ui_ease(0.1f) < 0.1f); /* slow in */
    assert_true(ui_ease(0.9f) > 0.9f); /* slow out */
    ui_theme_id id;
    assert_true(ui_theme_from_name("projector", &id));
    assert_int_equal(id, UI_THEME_PROJECTOR);
    assert_false(ui_theme_from_name("neon", &id));
    const ui_theme *p = ui_theme_get(UI_THEME_PROJECTOR);
    assert_true(p->size_narration > ui_theme_get(UI_THEME_NORMAL)->size_narration);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands_and_text_pool),
        cmocka_unit_test(test_overflow_is_flagged_not_fatal),
        cmocka_unit_test(test_hit_finds_the_topmost),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_colours_and_easing),
    };
    return cmocka_run_group_tests_name("ui_draw", tests, NULL, NULL);
}
