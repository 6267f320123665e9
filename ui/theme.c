/* theme.c -- the two themes. See theme.h. */
#include "theme.h"

#include <string.h>

#define RGB(hex) {(uint8_t)((hex) >> 16), (uint8_t)((hex) >> 8), (uint8_t)(hex), 255}

static const ui_theme themes[UI_THEME_COUNT] = {
    [UI_THEME_NORMAL] = {
        .name = "normal",
        .background = RGB(0xF4F1EA), .panel = RGB(0xFFFDF8), .panel_edge = RGB(0xD9D3C7),
        .lane = RGB(0xF7F4EE), .lane_alt = RGB(0xEFEBE3),
        .text = RGB(0x2E3440), .text_dim = RGB(0x7A808C), .text_strong = RGB(0x14171C),
        .accent = RGB(0x2F6FB3),
        .client = RGB(0x3D6E9E), .server = RGB(0x4E7D5B), .network = RGB(0x9A8F7D),
        .packet = RGB(0xFFF4D6), .fault = RGB(0xC0392B), .padding = RGB(0xCFC9BD),
        .count = RGB(0x8E6BAD), .referent = RGB(0xB5651D),
        .param = {RGB(0xE69F00), RGB(0x0072B2), RGB(0x009E73), RGB(0xCC79A7), RGB(0x56B4E9),
                  RGB(0xD55E00), RGB(0xB8A400)},
        .on_tint = RGB(0x14171C), .review = RGB(0xB7791F), .overlay = {0xF4, 0xF1, 0xEA, 0xD8},
        .tint = 0.38f,
        .size_small = 13, .size_body = 16, .size_title = 20, .size_narration = 24,
        .radius = 8, .gap = 12,
    },
    [UI_THEME_PROJECTOR] = {
        .name = "projector",
        .background = RGB(0x101418), .panel = RGB(0x1B2128), .panel_edge = RGB(0x46505C),
        .lane = RGB(0x20272F), .lane_alt = RGB(0x262E37),
        .text = RGB(0xF2F2F2), .text_dim = RGB(0xB4BCC6), .text_strong = RGB(0xFFFFFF),
        .accent = RGB(0x6CB6FF),
        .client = RGB(0x6CB6FF), .server = RGB(0x7BD88F), .network = RGB(0xC8B88A),
        .packet = RGB(0x3A3320), .fault = RGB(0xFF6B5E), .padding = RGB(0x59626D),
        .count = RGB(0xC9A0FF), .referent = RGB(0xFFB86B),
        .param = {RGB(0xFFB000), RGB(0x4EA8FF), RGB(0x2ED8A3), RGB(0xFF8AD8), RGB(0x8FD8FF),
                  RGB(0xFF7A33), RGB(0xF0E442)},
        .on_tint = RGB(0x101418), .review = RGB(0xF0B429), .overlay = {0x10, 0x14, 0x18, 0xD8},
        .tint = 0.82f,
        .size_small = 18, .size_body = 22, .size_title = 28, .size_narration = 34,
        .radius = 10, .gap = 16,
    },
};

const ui_theme *ui_theme_get(ui_theme_id id)
{
    return &themes[id < UI_THEME_COUNT ? id : UI_THEME_NORMAL];
}

bool ui_theme_from_name(const char *name, ui_theme_id *id)
{
    for (int i = 0; i < UI_THEME_COUNT; i++) {
        if (strcmp(themes[i].name, name) == 0) {
            *id = (ui_theme_id)i;
            return true;
        }
    }
    return false;
}

ui_color ui_theme_param_color(const ui_theme *t, unsigned i)
{
    return t->param[i % UI_PARAM_COLORS];
}

ui_color ui_theme_param_tint(const ui_theme *t, unsigned i)
{
    return ui_mix(t->panel, ui_theme_param_color(t, i), t->tint);
}
