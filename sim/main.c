/* main.c -- the rpcscope command: runs a lesson, replays a recording, or collects from programs
 * started elsewhere, and shows the session in the window (ui/window.h) when there is a display,
 * in the terminal otherwise or with --text.
 *
 *     rpcscope hello --text                       run lessons/hello, one line per event
 *     rpcscope hello --step --record call.rstrace  Enter reveals each step; keep the session
 *     rpcscope call.rstrace --text --lesson hello  replay it, with the lesson's narration
 *     rpcscope --listen tcp:127.0.0.1:4800 --text  collect from RPCSCOPE_TRACE=tcp:127.0.0.1:4800
 *     rpcscope --check lessons/hello               validate a lesson script
 *
 *     rpcscope hello --screenshot x.png --at 29    step 29 as a PNG, headless (SDL_VIDEODRIVER=offscreen)
 *
 * One loop serves every mode: poll the collector (trace records in), poll the launcher (program
 * output, exits), read Enter presses, tick the stepper, print what was revealed. The window runs
 * the same loop with drawing instead of printing: it calls window_poll() each frame.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "chrome_trace.h"
#include "collector.h"
#include "launcher.h"
#include "lesson.h"
#include "recording.h"
#include "scene.h"
#include "stepper.h"
#include "text.h"
#include "timeline.h"
#include "window.h"

#define RPCSCOPE_VERSION "0.1.0"
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130
#define LOOP_MS 10              /* one turn of the loop waits at most this long */
#define DRAIN_MS 1500           /* after the programs end, time for their last records */
#define LISTEN_IDLE_MS 500      /* --listen: the session ends this long after the last process */
#define RECORDING_SUFFIX ".rstrace"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *f)
{
    fputs("usage: rpcscope [OPTIONS] LESSON          run a lesson (a name under lessons/, its\n"
          "                                          folder, or its script)\n"
          "       rpcscope [OPTIONS] FILE.rstrace     replay a recording\n"
          "       rpcscope [OPTIONS] --listen ADDRESS collect from programs started elsewhere\n"
          "       rpcscope --list                     the lessons, one per line: NAME  TITLE\n"
          "       rpcscope --check LESSON...          validate lesson scripts\n"
          "\n"
          "options:\n"
          "  --text               one line per event in the terminal instead of the window\n"
          "  --step               start paused; in the terminal each Enter reveals one step\n"
          "  --speed X            play at X times the base rate of 2 events/s (0.25 to 8)\n"
          "  --record FILE        keep the session in FILE (replay it with `rpcscope FILE`)\n"
          "  --pcap FILE          write the session's PDUs as a capture for Wireshark\n"
          "  --chrome-trace FILE  write the session as Chrome trace-event JSON (Perfetto)\n"
          "  --listen ADDRESS     also collect from tcp:HOST:PORT or a socket path: run programs\n"
          "                       with RPCSCOPE_TRACE=ADDRESS (and RPCSCOPE_STEP=1 to step them)\n"
          "  --lesson LESSON      the narration for a replay or a --listen session\n"
          "  --server PROGRAM     run PROGRAM (found as the lesson's own are) instead of the\n"
          "  --client PROGRAM     script's server or client: e.g. hello's ms_server and\n"
          "                       ms_client, written against Microsoft's RPC API\n"
          "  --addresses          show memory addresses (they differ from run to run)\n"
          "  --max-events N       the most events a session holds (default 1000000)\n"
          "\n"
          "the window (opened when there is a display; otherwise the terminal shows the lesson):\n"
          "  --size WxH           its size (default 1600x900)\n"
          "  --theme NAME         normal or projector (large type, high contrast)\n"
          "  --inspector          open the NDR inspector at the start\n"
          "  --timeline           open the timeline at the start\n"
          "  --fullscreen         start in full screen\n"
          "  --screenshot FILE    with --at N: run until step N is revealed, write it as a PNG\n"
          "                       and exit (no display needed: SDL_VIDEODRIVER=offscreen)\n"
          "  --bench-frames N     draw N busy frames headless; print frame_ms_median and p99\n"
          "  --help, --version\n",
          f);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rpcscope: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void notice(void *ctx, const char *sentence)
{
    (void)ctx;
    say("%s", sentence);
}

/* ---- options --------------------------------------------------------------------------------- */

typedef struct options {
    bool text, step, list, check, addresses;
    bool inspector, timeline, fullscreen; /* the window */
    const char *screenshot;
    size_t at;            /* --at N, counted from 1; 0: not given */
    int width, height;    /* --size; 0: the default */
    int bench_frames;     /* 0: not given */
    ui_theme_id theme;
    double speed;         /* 0: not given */
    const char *record, *pcap, *chrome, *listen, *lesson;
    const char *server, *client; /* --server, --client: programs in place of the script's */
    size_t max_events;
    const char *args[64]; /* positional arguments */
    size_t arg_count;
} options;

static bool takes_value(const char *name)
{
    static const char *const with[] = {"--speed",  "--record",     "--pcap",   "--chrome-trace",
                                       "--listen", "--lesson",     "--max-events", "--screenshot",
                                       "--at",     "--size",       "--theme",  "--bench-frames",
                                       "--server", "--client"};
    for (size_t i = 0; i < sizeof with / sizeof with[0]; i++)
        if (strcmp(name, with[i]) == 0)
            return true;
    return false;
}

/* Returns -1 to go on, or the exit status. */
static int parse_options(int argc, char **argv, options *o)
{
    bool options_end = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options_end || a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->arg_count == sizeof o->args / sizeof o->args[0]) {
                say("too many arguments");
                return EXIT_USAGE;
            }
            o->args[o->arg_count++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_end = true;
            continue;
        }
        char name[64];
        const char *value = NULL;
        const char *eq = strchr(a, '=');
        size_t nl = eq != NULL ? (size_t)(eq - a) : strlen(a);
        if (nl >= sizeof name) {
            say("unknown option '%s' (rpcscope --help lists them)", a);
            return EXIT_USAGE;
        }
        memcpy(name, a, nl);
        name[nl] = '\0';
        if (takes_value(name)) {
            if (eq != NULL)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else {
                say("%s needs a value (rpcscope --help)", name);
                return EXIT_USAGE;
            }
            if (value[0] == '\0') {
                say("%s needs a value (rpcscope --help)", name);
                return EXIT_USAGE;
            }
        } else if (eq != NULL) {
            say("%s takes no value", name);
            return EXIT_USAGE;
        }
        if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(name, "--version") == 0) {
            printf("rpcscope %s\n", RPCSCOPE_VERSION);
            return 0;
        } else if (strcmp(name, "--text") == 0) {
            o->text = true;
        } else if (strcmp(name, "--step") == 0) {
            o->step = true;
        } else if (strcmp(name, "--list") == 0) {
            o->list = true;
        } else if (strcmp(name, "--check") == 0) {
            o->check = true;
        } else if (strcmp(name, "--addresses") == 0) {
            o->addresses = true;
        } else if (strcmp(name, "--speed") == 0) {
            char *end;
            errno = 0;
            o->speed = strtod(value, &end);
            if (errno != 0 || *end != '\0' || !(o->speed >= SIM_STEPPER_SPEED_MIN &&
                                                 o->speed <= SIM_STEPPER_SPEED_MAX)) {
                say("--speed %s: the speed is a number from 0.25 to 8", value);
                return EXIT_USAGE;
            }
        } else if (strcmp(name, "--max-events") == 0) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(value, &end, 10);
            if (errno != 0 || *end != '\0' || value[0] == '-' || n < 1 || n > 100000000ull) {
                say("--max-events %s: a number from 1 to 100000000", value);
                return EXIT_USAGE;
            }
            o->max_events = (size_t)n;
        } else if (strcmp(name, "--at") == 0) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(value, &end, 10);
            if (errno != 0 || *end != '\0' || value[0] == '-' || n < 1 || n > 100000000ull) {
                say("--at %s: a step number from 1 (steps are counted from 1, as on screen)",
                    value);
                return EXIT_USAGE;
            }
            o->at = (size_t)n;
        } else if (strcmp(name, "--bench-frames") == 0) {
            char *end;
            errno = 0;
            long n = strtol(value, &end, 10);
            if (errno != 0 || *end != '\0' || n < 1 || n > 1000000) {
                say("--bench-frames %s: a number of frames from 1 to 1000000", value);
                return EXIT_USAGE;
            }
            o->bench_frames = (int)n;
        } else if (strcmp(name, "--size") == 0) {
            /* strtol, not sscanf: %d is undefined for a number that does not fit. */
            char *x = NULL, *end = NULL;
            errno = 0;
            long w = strtol(value, &x, 10), h = *x == 'x' ? strtol(x + 1, &end, 10) : 0;
            if (errno != 0 || x == value || *x != 'x' || end == x + 1 || *end != '\0' ||
                w < UI_WINDOW_MIN_WIDTH || h < UI_WINDOW_MIN_HEIGHT || w > UI_WINDOW_MAX_SIDE ||
                h > UI_WINDOW_MAX_SIDE) {
                say("--size %s: WIDTHxHEIGHT in pixels, from %dx%d to %dx%d (e.g. 1600x900)",
                    value, UI_WINDOW_MIN_WIDTH, UI_WINDOW_MIN_HEIGHT, UI_WINDOW_MAX_SIDE,
                    UI_WINDOW_MAX_SIDE);
                return EXIT_USAGE;
            }
            o->width = (int)w;
            o->height = (int)h;
        } else if (strcmp(name, "--theme") == 0) {
            if (!ui_theme_from_name(value, &o->theme)) {
                say("--theme %s: the themes are normal and projector", value);
                return EXIT_USAGE;
            }
        } else if (strcmp(name, "--screenshot") == 0) {
            o->screenshot = value;
        } else if (strcmp(name, "--inspector") == 0) {
            o->inspector = true;
        } else if (strcmp(name, "--timeline") == 0) {
            o->timeline = true;
        } else if (strcmp(name, "--fullscreen") == 0) {
            o->fullscreen = true;
        } else if (strcmp(name, "--record") == 0) {
            o->record = value;
        } else if (strcmp(name, "--pcap") == 0) {
            o->pcap = value;
        } else if (strcmp(name, "--chrome-trace") == 0) {
            o->chrome = value;
        } else if (strcmp(name, "--listen") == 0) {
            o->listen = value;
        } else if (strcmp(name, "--lesson") == 0) {
            o->lesson = value;
        } else if (strcmp(name, "--server") == 0) {
            o->server = value;
        } else if (strcmp(name, "--client") == 0) {
            o->client = value;
        } else {
            say("unknown option '%s' (rpcscope --help lists them)", a);
            return EXIT_USAGE;
        }
    }
    if (o->list || o->check)
        return -1;
    if (o->screenshot != NULL && o->at == 0) {
        say("--screenshot needs --at N: the step to draw");
        return EXIT_USAGE;
    }
    if (o->at != 0 && o->screenshot == NULL) {
        say("--at goes with --screenshot FILE.png");
        return EXIT_USAGE;
    }
    if ((o->screenshot != NULL || o->bench_frames > 0) && o->text) {
        say("--screenshot and --bench-frames draw the window; they do not go with --text");
        return EXIT_USAGE;
    }
    if (o->screenshot != NULL && o->bench_frames > 0) {
        say("--screenshot or --bench-frames, one at a time");
        return EXIT_USAGE;
    }
    if (o->arg_count > 1) {
        say("one lesson or recording at a time ('%s' and '%s')", o->args[0], o->args[1]);
        return EXIT_USAGE;
    }
    if (o->arg_count == 0 && o->listen == NULL) {
        say("which lesson? (rpcscope --list shows them; rpcscope --help)");
        return EXIT_USAGE;
    }
    return -1;
}

/* ---- where lessons and their programs are ---------------------------------------------------- */

static char exe_dir[PATH_MAX];

static void find_exe_dir(const char *argv0)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0) {
        path[n] = '\0';
    } else if (realpath(argv0, path) == NULL) {
        snprintf(exe_dir, sizeof exe_dir, ".");
        return;
    }
    char *slash = strrchr(path, '/');
    if (slash != NULL && slash != path)
        *slash = '\0';
    snprintf(exe_dir, sizeof exe_dir, "%s", path);
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Does `dir` hold at least one lesson (a folder with a lesson script)? The build's own
 * build/lessons/ holds only the lessons' programs. */
static bool has_lessons(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return false;
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL) {
        char script[PATH_MAX];
        if (de->d_name[0] == '.')
            continue;
        snprintf(script, sizeof script, "%.3000s/%.255s/%s", dir, de->d_name, SIM_LESSON_FILE);
        found = is_file(script);
    }
    closedir(d);
    return found;
}

/* The folders that hold lessons, best first; returns how many there are. */
static size_t lesson_roots(char roots[][PATH_MAX], size_t max)
{
    char cand[5][PATH_MAX];
    size_t n = 0, c = 0;
    const char *env = getenv("RPCSCOPE_LESSONS");
    if (env != NULL && env[0] != '\0')
        snprintf(cand[c++], PATH_MAX, "%s", env);
    snprintf(cand[c++], PATH_MAX, "%.4000s/../lessons", exe_dir);
    snprintf(cand[c++], PATH_MAX, "%.4000s/../../lessons", exe_dir); /* build/asan/rpcscope */
    snprintf(cand[c++], PATH_MAX, "lessons");
    snprintf(cand[c++], PATH_MAX, "%.4000s/../share/rpcscope/lessons", exe_dir);
    for (size_t i = 0; i < c && n < max; i++) {
        char real[PATH_MAX];
        if (!is_dir(cand[i]) || realpath(cand[i], real) == NULL || !has_lessons(real))
            continue;
        bool seen = false;
        for (size_t k = 0; k < n; k++)
            seen = seen || strcmp(roots[k], real) == 0;
        if (!seen)
            snprintf(roots[n++], PATH_MAX, "%s", real);
    }
    return n;
}

/* The script a LESSON argument names: a script file, a folder holding lesson.txt, or a lesson's
 * name under one of the lesson roots. */
static bool find_script(const char *arg, char *out, size_t size)
{
    if (is_file(arg)) {
        snprintf(out, size, "%s", arg);
        return true;
    }
    if (is_dir(arg)) {
        snprintf(out, size, "%s/%s", arg, SIM_LESSON_FILE);
        return is_file(out);
    }
    if (strchr(arg, '/') != NULL)
        return false;
    char roots[4][PATH_MAX];
    size_t n = lesson_roots(roots, 4);
    for (size_t i = 0; i < n; i++) {
        snprintf(out, size, "%.2000s/%.200s/%s", roots[i], arg, SIM_LESSON_FILE);
        if (is_file(out))
            return true;
    }
    return false;
}

/* A lesson's program: build/lessons/NAME/PROGRAM next to this binary, then the lesson folder. */
static bool find_program(const sim_lesson *l, const char *program, char *out, size_t size,
                         char *tried, size_t tried_size)
{
    snprintf(out, size, "%.2000s/lessons/%.200s/%.200s", exe_dir, l->name, program);
    snprintf(tried, tried_size, "%s", out);
    if (access(out, X_OK) == 0 && is_file(out))
        return true;
    snprintf(out, size, "%.2000s/%.200s", l->dir, program);
    size_t t = strlen(tried);
    snprintf(tried + t, tried_size - t, " or %s", out);
    return access(out, X_OK) == 0 && is_file(out);
}

/* ---- --list and --check ---------------------------------------------------------------------- */

struct listed {
    char name[256];
    char title[320];
    unsigned order;
};

static int cmp_listed(const void *a, const void *b)
{
    const struct listed *x = a, *y = b;
    unsigned ox = x->order ? x->order : UINT_MAX, oy = y->order ? y->order : UINT_MAX;
    if (ox != oy)
        return ox < oy ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int run_list(void)
{
    char roots[4][PATH_MAX];
    size_t n = lesson_roots(roots, 4);
    if (n == 0) {
        say("no lessons folder found (set RPCSCOPE_LESSONS to one)");
        return 1;
    }
    DIR *d = opendir(roots[0]);
    if (d == NULL) {
        say("%s: %s", roots[0], strerror(errno));
        return 1;
    }
    struct listed *all = NULL;
    size_t count = 0, width = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char script[PATH_MAX];
        snprintf(script, sizeof script, "%.3000s/%.255s/%s", roots[0], de->d_name, SIM_LESSON_FILE);
        if (!is_file(script))
            continue;
        struct listed *more = realloc(all, (count + 1) * sizeof *all);
        if (more == NULL)
            break;
        all = more;
        struct listed *it = &all[count++];
        snprintf(it->name, sizeof it->name, "%s", de->d_name);
        sim_lesson *l = NULL;
        sim_diag diag = {0};
        if (sim_lesson_load(script, &l, &diag) == RS_OK) {
            snprintf(it->title, sizeof it->title, "%s", l->title);
            it->order = l->order;
        } else {
            snprintf(it->title, sizeof it->title, "(the script has errors: rpcscope --check %s)",
                     it->name);
            it->order = 0;
        }
        sim_lesson_free(l);
        sim_diag_free(&diag);
        if (strlen(it->name) > width)
            width = strlen(it->name);
    }
    closedir(d);
    if (count > 1)
        qsort(all, count, sizeof *all, cmp_listed);
    for (size_t i = 0; i < count; i++)
        printf("%-*s  %s\n", (int)width, all[i].name, all[i].title);
    free(all);
    return 0;
}

static int run_check(const options *o)
{
    if (o->arg_count == 0) {
        say("--check needs a lesson (a name, a folder or a script)");
        return EXIT_USAGE;
    }
    int rc = 0;
    for (size_t i = 0; i < o->arg_count; i++) {
        char script[PATH_MAX];
        if (!find_script(o->args[i], script, sizeof script)) {
            fprintf(stderr, "%s: no such lesson (rpcscope --list shows them)\n", o->args[i]);
            rc = 1;
            continue;
        }
        sim_lesson *l = NULL;
        sim_diag d = {0};
        if (sim_lesson_load(script, &l, &d) == RS_OK) {
            printf("%s: ok\n", o->args[i]);
        } else {
            for (size_t k = 0; k < d.count; k++)
                fprintf(stderr, "%s\n", d.lines[k]);
            rc = 1;
        }
        sim_lesson_free(l);
        sim_diag_free(&d);
    }
    return rc;
}

/* ---- the session ----------------------------------------------------------------------------- */

typedef struct session {
    const options *o;
    sim_timeline *tl;
    sim_collector *col;
    sim_launcher *launcher;
    sim_stepper *stepper;
    sim_lesson *lesson;
    sim_cues *cues;
    sim_recording *rec;
    sim_gate gate;
    sim_text_options text;
    size_t printed;        /* events printed */
    size_t question_shown; /* the event whose question was printed, SIM_NONE */
    bool stdin_open;
    bool launch;           /* run the lesson's programs (not for --listen alone) */
    bool window;           /* the window shows the session (not the terminal) */
    char binding[256];
    /* The window's session (window_poll): where its end stands. */
    uint64_t drain_until, idle_since;
    bool stopped, ended;
    int rc;
    ui_window_sim *window_sim; /* while the window runs */
} session;

static bool asks(void *ctx, size_t i)
{
    session *s = ctx;
    return s->cues != NULL && sim_cues_question(s->cues, i) != NULL;
}

static void started(void *ctx, const char *name, pid_t pid, bool step)
{
    session *s = ctx;
    sim_collector_expect(s->col, (uint32_t)pid, step);
    char program[SIM_PROGRAM_MAX];
    snprintf(program, sizeof program, "%.100s/%.100s", s->lesson != NULL ? s->lesson->name : "",
             name);
    if (sim_timeline_set_program(s->tl, (uint32_t)pid, program) != RS_OK)
        say("out of memory");
}

/* Prints what the stepper revealed since the last call, and a question about to be asked. */
static void show(session *s)
{
    if (s->cues != NULL && sim_cues_update(s->cues, s->tl) != RS_OK)
        say("out of memory for the narration");
    size_t revealed = sim_stepper_revealed(s->stepper);
    for (; s->printed < revealed; s->printed++) {
        size_t i = s->printed;
        const sim_question *q = s->cues != NULL ? sim_cues_question(s->cues, i) : NULL;
        if (q != NULL && s->question_shown == i)
            printf("%*sanswer: %c) %s\n", SIM_TEXT_INDENT, "", (char)('a' + q->right),
                   q->answers[q->right]);
        else if (q != NULL)
            sim_text_question(stdout, q, true, &s->text);
        sim_text_print(stdout, s->tl, i, s->cues, &s->text);
    }
    size_t qi = sim_stepper_question(s->stepper);
    if (qi != SIM_NONE && qi != s->question_shown && s->cues != NULL) {
        const sim_question *q = sim_cues_question(s->cues, qi);
        if (q != NULL) {
            sim_text_question(stdout, q, false, &s->text);
            s->question_shown = qi;
        }
    }
    fflush(stdout);
}

/* Enter presses: one step each; "q" quits. Once the input has ended nobody can press Enter, so a
 * paused session (--step, or a play stopped by a question) runs on to its end. */
static void read_keys(session *s)
{
    if (!s->stdin_open) {
        if (sim_stepper_mode(s->stepper) == SIM_PLAY_PAUSED)
            sim_stepper_free(s->stepper);
        return;
    }
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    while (poll(&p, 1, 0) > 0) {
        char buf[256];
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            s->stdin_open = false;
            if (sim_stepper_mode(s->stepper) == SIM_PLAY_PAUSED)
                sim_stepper_free(s->stepper);
            return;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == 'q')
                interrupted = 1;
            else if (buf[i] == '\n')
                sim_stepper_step(s->stepper);
        }
    }
}

static void finish_outputs(session *s, int *rc)
{
    rs_error err = {0};
    if (s->rec != NULL) {
        if (sim_recording_sync(s->rec, s->tl, &err) != RS_OK ||
            sim_recording_close(s->rec, &err) != RS_OK) {
            say("%s", err.message);
            *rc = 1;
        }
        s->rec = NULL;
    }
    if (s->o->pcap != NULL) {
        rs_error_clear(&err);
        size_t pdus = 0;
        rs_status st = sim_capture_write(s->tl, s->binding[0] ? s->binding : NULL, s->o->pcap,
                                         &pdus, &err);
        if (st != RS_OK) {
            say("%s", err.message);
            if (st != RS_ERR_LIMIT)
                *rc = 1;
        }
    }
    if (s->o->chrome != NULL) {
        rs_error_clear(&err);
        if (sim_chrome_trace_write(s->tl, s->o->chrome, &err) != RS_OK) {
            say("%s", err.message);
            *rc = 1;
        }
    }
}

static int load_lesson(const char *arg, sim_lesson **out)
{
    char script[PATH_MAX];
    if (!find_script(arg, script, sizeof script)) {
        say("no lesson '%s' (rpcscope --list shows the lessons)", arg);
        return 1;
    }
    sim_diag d = {0};
    if (sim_lesson_load(script, out, &d) != RS_OK) {
        for (size_t k = 0; k < d.count; k++)
            fprintf(stderr, "%s\n", d.lines[k]);
        say("the lesson script has errors; nothing was started");
        sim_diag_free(&d);
        return 1;
    }
    sim_diag_free(&d);
    return 0;
}

/* Copies argv, replacing "{listen}" in each argument, with `path` as argv[0]. */
static char **make_argv(char *const *lesson_argv, const char *path, const char *listen)
{
    size_t n = 0;
    while (lesson_argv[n] != NULL)
        n++;
    char **argv = calloc(n + 1, sizeof *argv);
    if (argv == NULL)
        return NULL;
    argv[0] = strdup(path);
    for (size_t i = 1; i < n; i++) {
        const char *a = lesson_argv[i];
        const char *hit = listen != NULL ? strstr(a, "{listen}") : NULL;
        if (hit == NULL) {
            argv[i] = strdup(a);
            continue;
        }
        size_t len = strlen(a) - 8 + strlen(listen) + 1;
        argv[i] = malloc(len);
        if (argv[i] != NULL)
            snprintf(argv[i], len, "%.*s%s%s", (int)(hit - a), a, listen, hit + 8);
    }
    return argv;
}

static void free_argv(char **argv)
{
    if (argv == NULL)
        return;
    for (size_t i = 0; argv[i] != NULL; i++)
        free(argv[i]);
    free(argv);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* The session's stepping: free (everything as it comes), paused, or playing. */
static void set_mode(session *s)
{
    if (s->o->step)
        sim_stepper_pause(s->stepper);
    else if (s->o->speed > 0) {
        if (sim_stepper_set_speed(s->stepper, s->o->speed) != RS_OK)
            say("the speed is 0.25 to 8");
        sim_stepper_play(s->stepper);
    } else {
        sim_stepper_free(s->stepper);
    }
    s->stdin_open = s->o->step || s->o->speed > 0;
    if (s->o->step)
        fprintf(stderr, "rpcscope: press Enter for each step (q, Enter to quit)\n");
}

static int run_window(session *s);

static int run_replay(session *s, const char *path)
{
    sim_timeline_options to = {.ordered = true, .max_events = s->o->max_events};
    rs_error err = {0};
    if (sim_timeline_create(&to, &s->tl) != RS_OK) {
        say("out of memory");
        return 1;
    }
    rs_status loaded = sim_recording_load(path, s->tl, &err);
    bool cut = loaded == RS_ERR_TRUNCATED && sim_timeline_count(s->tl) > 0;
    if (cut) {
        /* What a killed session or a full disk leaves: whole records, then one cut short
         * (recording.h). Replay what is whole, and exit 1 so that a script sees the cut. */
        say("%s; replaying the %zu whole events before it", err.message,
            sim_timeline_count(s->tl));
    } else if (loaded != RS_OK) {
        say("%s", err.message);
        return 1;
    }
    if (sim_stepper_create(s->tl, NULL, &s->stepper) != RS_OK) {
        say("out of memory");
        return 1;
    }
    sim_stepper_set_questions(s->stepper, asks, s);
    int rc = 0;
    if (s->window) {
        rc = run_window(s);
    } else {
        set_mode(s);
        while (!interrupted && sim_stepper_revealed(s->stepper) < sim_timeline_count(s->tl)) {
            read_keys(s);
            sim_stepper_tick(s->stepper, monotonic_ns());
            show(s);
            if (sim_stepper_revealed(s->stepper) < sim_timeline_count(s->tl)) {
                struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
                poll(&p, s->stdin_open ? 1 : 0, LOOP_MS);
            }
        }
        show(s);
    }
    if (cut && rc == 0)
        rc = 1;
    if (interrupted)
        rc = EXIT_INTERRUPTED;
    if (s->o->record != NULL) {
        if (sim_recording_create(s->o->record, &s->rec, &err) != RS_OK) {
            say("%s", err.message);
            rc = 1;
        }
    }
    finish_outputs(s, &rc);
    return rc;
}

/* Makes the timeline, the collector and the stepper of a live session, and starts the lesson's
 * programs (when s->launch). Returns 0, or the exit status (said). */
static int session_start(session *s)
{
    const options *o = s->o;
    rs_error err = {0};
    sim_timeline_options to = {.max_events = o->max_events};
    if (sim_timeline_create(&to, &s->tl) != RS_OK) {
        say("out of memory");
        return 1;
    }
    sim_collector_options co = {.listen = o->listen, .notice = notice};
    if (sim_collector_create(&co, s->tl, &s->col, &err) != RS_OK) {
        say("%s", err.message);
        return 1;
    }
    s->gate = sim_collector_gate(s->col);
    if (sim_stepper_create(s->tl, &s->gate, &s->stepper) != RS_OK) {
        say("out of memory");
        return 1;
    }
    sim_stepper_set_questions(s->stepper, asks, s);
    if (!s->window)
        set_mode(s);
    if (o->record != NULL && sim_recording_create(o->record, &s->rec, &err) != RS_OK) {
        say("%s", err.message);
        return 1;
    }
    bool step = o->step || o->speed > 0 || s->window; /* the window always paces the programs */
    if (o->listen != NULL)
        say("collecting traces on %s: run programs with RPCSCOPE_TRACE=%s%s",
            sim_collector_listen_address(s->col), sim_collector_listen_address(s->col),
            step ? " RPCSCOPE_STEP=1" : "");

    if (s->launch) {
        sim_lesson *l = s->lesson;
        char server[PATH_MAX], client[PATH_MAX], tried[3 * PATH_MAX];
        /* --server/--client swap a program, never its arguments: one script (its scenario and
         * narration) serves both programs of a pair that makes the same calls */
        const char *sprog = o->server != NULL ? o->server : l->server_argv[0];
        const char *cprog = o->client != NULL ? o->client : l->client_argv[0];
        if (!find_program(l, sprog, server, sizeof server, tried, sizeof tried)) {
            say("lesson %s: no program '%s' in %s (has `make` built the lessons?)", l->name,
                sprog, tried);
            return 1;
        }
        if (!find_program(l, cprog, client, sizeof client, tried, sizeof tried)) {
            say("lesson %s: no program '%s' in %s (has `make` built the lessons?)", l->name,
                cprog, tried);
            return 1;
        }
        char listen[256];
        sim_lesson_listen_binding(l, listen, sizeof listen);
        char env_s[SIM_LESSON_ENV_MAX][SIM_ENV_MAX], env_c[SIM_LESSON_ENV_MAX][SIM_ENV_MAX];
        char *envp_s[SIM_LESSON_ENV_MAX + 1] = {0}, *envp_c[SIM_LESSON_ENV_MAX + 1] = {0};
        size_t ns = sim_lesson_env(l, false, env_s, SIM_LESSON_ENV_MAX);
        size_t nc = sim_lesson_env(l, true, env_c, SIM_LESSON_ENV_MAX);
        for (size_t i = 0; i < ns; i++)
            envp_s[i] = env_s[i];
        for (size_t i = 0; i < nc; i++)
            envp_c[i] = env_c[i];
        char **sargv = make_argv(l->server_argv, server, listen);
        char **cargv = make_argv(l->client_argv, client, NULL);
        bool may_die = false;
        for (size_t i = 0; i < l->fault_count; i++)
            may_die = may_die || l->faults[i].kind == SIM_FAULT_KILL_SERVER;
        sim_launch_spec spec = {
            .server_argv = sargv,
            .client_argv = cargv,
            .clients = l->clients,
            .server_env = envp_s,
            .client_env = envp_c,
            .trace = sim_collector_path(s->col),
            .step = step,
            .server_may_die = may_die,
            .output = stderr,
            .started = started,
            .started_ctx = s,
        };
        rs_status st = sargv != NULL && cargv != NULL
                           ? sim_launcher_start(&spec, &s->launcher, &err)
                           : rs_error_set(&err, RS_ERR_NOMEM, "out of memory");
        free_argv(sargv);
        free_argv(cargv);
        if (st != RS_OK) {
            say("lesson %s: %s", l->name, err.message);
            return 1;
        }
    }
    return 0;
}

/* A live session in the terminal: a lesson's programs (when s->launch) and/or --listen. */
static int run_live(session *s)
{
    int rc = session_start(s);
    if (rc != 0)
        return rc;
    rs_error err = {0};
    uint64_t drain_until = 0, idle_since = 0;
    bool stopped = false;
    for (;;) {
        if (interrupted && !stopped) {
            stopped = true;
            if (s->launcher != NULL)
                sim_launcher_stop(s->launcher);
            sim_collector_close_all(s->col); /* every gate opens */
            sim_stepper_free(s->stepper);
        }
        rs_error_clear(&err);
        if (sim_collector_poll(s->col, LOOP_MS, &err) != RS_OK) {
            /* The collector closed every trace connection: nothing waits at a gate any more. */
            if (s->launcher != NULL) {
                say("%s; stopping the lesson", err.message);
                sim_launcher_stop(s->launcher);
            } else {
                say("%s; the programs run on untraced", err.message);
            }
            rc = 1;
        }
        if (s->launcher != NULL) {
            sim_launcher_poll(s->launcher, &s->gate, 0);
            if (s->binding[0] == '\0' && sim_launcher_binding(s->launcher)[0] != '\0')
                snprintf(s->binding, sizeof s->binding, "%s", sim_launcher_binding(s->launcher));
        }
        read_keys(s);
        uint64_t now = monotonic_ns();
        if (s->cues != NULL && sim_cues_update(s->cues, s->tl) != RS_OK)
            say("out of memory for the narration");
        sim_stepper_tick(s->stepper, now);
        show(s);
        if (s->rec != NULL && sim_recording_sync(s->rec, s->tl, &err) != RS_OK) {
            say("%s", err.message);
            rc = 1;
            rs_error_clear(&err);
            rs_status ignored = sim_recording_close(s->rec, &err);
            (void)ignored;
            s->rec = NULL;
        }

        /* When is it over? The programs have ended (or, for --listen alone, every process that
         * connected has gone), and their last records are in. */
        bool programs_done;
        if (s->launcher != NULL) {
            sim_launch_state ls = sim_launcher_state(s->launcher);
            programs_done = ls == SIM_LAUNCH_DONE || ls == SIM_LAUNCH_FAILED;
        } else if (sim_collector_accepted(s->col) > 0 && sim_collector_open_count(s->col) == 0) {
            if (idle_since == 0)
                idle_since = now;
            programs_done = now - idle_since >= (uint64_t)LISTEN_IDLE_MS * 1000000u;
        } else {
            idle_since = 0;
            programs_done = interrupted;
        }
        if (!programs_done)
            continue;
        if (drain_until == 0)
            drain_until = now + (uint64_t)DRAIN_MS * 1000000u;
        bool in = sim_collector_open_count(s->col) == 0 || now >= drain_until;
        if (!in)
            continue;
        sim_collector_close_all(s->col);
        sim_timeline_flush(s->tl);
        if (!interrupted && sim_stepper_revealed(s->stepper) < sim_timeline_count(s->tl) &&
            sim_stepper_mode(s->stepper) != SIM_PLAY_FREE && s->stdin_open &&
            (s->launcher == NULL || sim_launcher_state(s->launcher) == SIM_LAUNCH_DONE))
            continue; /* the class is still stepping through what happened */
        sim_stepper_free(s->stepper);
        sim_stepper_tick(s->stepper, now);
        show(s);
        break;
    }
    if (s->launcher != NULL && sim_launcher_state(s->launcher) == SIM_LAUNCH_FAILED) {
        say("%s", sim_launcher_error(s->launcher));
        rc = 1;
    }
    finish_outputs(s, &rc);
    if (interrupted) {
        say("interrupted");
        rc = EXIT_INTERRUPTED;
    }
    return rc;
}


/* ---- the window ------------------------------------------------------------------------------ */

/* One turn of a live session's work for the window, without waiting: trace records in, program
 * output and exits, the narration, the recording. The session's end is the text view's: the
 * programs have ended (or, for --listen alone, every process that connected has gone) and their
 * last records are in; then every connection is closed and what waits is placed. */
static ui_window_poll window_poll(void *ctx)
{
    session *s = ctx;
    if (interrupted)
        return UI_WINDOW_QUIT;
    if (s->col == NULL) { /* a replay: everything is in already */
        if (s->cues != NULL && sim_cues_update(s->cues, s->tl) != RS_OK)
            say("out of memory for the narration");
        return UI_WINDOW_ENDED;
    }
    if (s->ended)
        return UI_WINDOW_ENDED;
    rs_error err = {0};
    if (sim_collector_poll(s->col, 0, &err) != RS_OK) {
        if (s->launcher != NULL) {
            say("%s; stopping the lesson", err.message);
            sim_launcher_stop(s->launcher);
        } else {
            say("%s; the programs run on untraced", err.message);
        }
        s->rc = 1;
    }
    if (s->launcher != NULL) {
        sim_launcher_poll(s->launcher, &s->gate, 0);
        if (s->binding[0] == '\0' && sim_launcher_binding(s->launcher)[0] != '\0')
            snprintf(s->binding, sizeof s->binding, "%s", sim_launcher_binding(s->launcher));
    }
    if (s->cues != NULL && sim_cues_update(s->cues, s->tl) != RS_OK)
        say("out of memory for the narration");
    if (s->rec != NULL && sim_recording_sync(s->rec, s->tl, &err) != RS_OK) {
        say("%s", err.message);
        s->rc = 1;
        rs_error_clear(&err);
        rs_status ignored = sim_recording_close(s->rec, &err);
        (void)ignored;
        s->rec = NULL;
    }
    uint64_t now = monotonic_ns();
    bool programs_done;
    if (s->launcher != NULL) {
        sim_launch_state ls = sim_launcher_state(s->launcher);
        programs_done = ls == SIM_LAUNCH_DONE || ls == SIM_LAUNCH_FAILED;
    } else if (sim_collector_accepted(s->col) > 0 && sim_collector_open_count(s->col) == 0) {
        if (s->idle_since == 0)
            s->idle_since = now;
        programs_done = now - s->idle_since >= (uint64_t)LISTEN_IDLE_MS * 1000000u;
    } else {
        s->idle_since = 0;
        programs_done = false;
    }
    if (!programs_done)
        return UI_WINDOW_RUNNING;
    if (s->drain_until == 0)
        s->drain_until = now + (uint64_t)DRAIN_MS * 1000000u;
    if (sim_collector_open_count(s->col) != 0 && now < s->drain_until)
        return UI_WINDOW_RUNNING;
    sim_collector_close_all(s->col);
    sim_timeline_flush(s->tl);
    if (s->cues != NULL && sim_cues_update(s->cues, s->tl) != RS_OK)
        say("out of memory for the narration");
    if (s->launcher != NULL && sim_launcher_state(s->launcher) == SIM_LAUNCH_FAILED) {
        say("%s", sim_launcher_error(s->launcher));
        s->rc = 1;
    }
    s->ended = true;
    return UI_WINDOW_ENDED;
}

/* Stops the programs as Ctrl-C does -- every gate opens, the launcher ends them -- and waits
 * (about SIM_LAUNCH_KILL_MS at most) until they are gone and their last records are in. */
static void session_stop(session *s)
{
    if (s->col == NULL || s->stopped)
        return;
    s->stopped = true;
    if (s->launcher != NULL)
        sim_launcher_stop(s->launcher);
    sim_collector_close_all(s->col);
    sim_stepper_free(s->stepper);
    uint64_t give_up = monotonic_ns() + (uint64_t)(SIM_LAUNCH_KILL_MS + DRAIN_MS) * 1000000u;
    while (s->launcher != NULL && monotonic_ns() < give_up) {
        sim_launch_state ls = sim_launcher_state(s->launcher);
        if (ls == SIM_LAUNCH_DONE || ls == SIM_LAUNCH_FAILED)
            break;
        rs_error err = {0};
        rs_status ignored = sim_collector_poll(s->col, LOOP_MS, &err);
        (void)ignored;
        sim_launcher_poll(s->launcher, &s->gate, 0);
    }
    sim_timeline_flush(s->tl);
}

/* R: stops the programs, empties the session and starts the lesson again. */
static bool window_restart(void *ctx)
{
    session *s = ctx;
    if (!s->launch)
        return false;
    session_stop(s);
    if (s->rec != NULL) {
        rs_error err = {0};
        rs_status ignored = sim_recording_close(s->rec, &err);
        (void)ignored;
        s->rec = NULL;
    }
    sim_launcher_destroy(s->launcher);
    sim_collector_destroy(s->col);
    sim_stepper_destroy(s->stepper);
    sim_cues_destroy(s->cues);
    sim_timeline_destroy(s->tl);
    s->launcher = NULL;
    s->col = NULL;
    s->stepper = NULL;
    s->cues = NULL;
    s->tl = NULL;
    s->binding[0] = '\0';
    s->drain_until = s->idle_since = 0;
    s->stopped = s->ended = false;
    if (s->lesson != NULL && sim_cues_create(s->lesson, &s->cues) != RS_OK) {
        say("out of memory");
        interrupted = 1;
        return false;
    }
    if (session_start(s) != 0) {
        interrupted = 1; /* nothing to show any more: the window closes */
        return false;
    }
    if (s->window_sim != NULL) {
        s->window_sim->tl = s->tl;
        s->window_sim->stepper = s->stepper;
        s->window_sim->cues = s->cues;
    }
    return true;
}

/* The right-click "Crash the server": the launcher kills it, and the lesson goes on. */
static bool window_crash_server(void *ctx, char *why, size_t why_size)
{
    session *s = ctx;
    if (s->launcher == NULL || !sim_launcher_crash_server(s->launcher)) {
        snprintf(why, why_size, "The server is not running");
        return false;
    }
    return true;
}

/* The window greys out a server that died by a signal, with how. */
static const char *window_crashed(void *ctx, int side)
{
    session *s = ctx;
    return side == UI_SERVER && s->launcher != NULL ? sim_launcher_server_crash(s->launcher) : NULL;
}

/* Runs the window on the session (live or a replay) until it is closed. */
static int run_window(session *s)
{
    const options *o = s->o;
    ui_window_options wo = ui_window_default_options();
    wo.width = o->width;
    wo.height = o->height;
    wo.theme = o->theme;
    wo.inspector = o->inspector;
    wo.timeline = o->timeline;
    wo.fullscreen = o->fullscreen;
    wo.paused = o->step;
    wo.speed = o->speed;
    wo.screenshot = o->screenshot;
    wo.at = o->at;
    wo.bench_frames = o->bench_frames;
    ui_window_sim sim = {
        .tl = s->tl,
        .stepper = s->stepper,
        .cues = s->cues,
        .title = s->lesson != NULL ? s->lesson->title : NULL,
        .live = s->col != NULL,
        .ctx = s,
        .poll = window_poll,
        .restart = s->launch ? window_restart : NULL,
        .crash_server = s->launch ? window_crash_server : NULL,
        .crashed = s->launch ? window_crashed : NULL,
    };
    /* A restart replaces the session's objects: the window reads them through `sim`. */
    s->window_sim = &sim;
    int rc = ui_window_run(&wo, &sim);
    s->window_sim = NULL;
    session_stop(s); /* closing the window ends the lesson's programs, as Ctrl-C does */
    return rc != 0 ? rc : s->rc;
}

/* A live session in the window. */
static int run_live_window(session *s)
{
    int rc = session_start(s);
    if (rc != 0)
        return rc;
    rc = run_window(s);
    finish_outputs(s, &rc);
    if (interrupted) {
        say("interrupted");
        rc = EXIT_INTERRUPTED;
    }
    return rc;
}

static bool is_recording(const char *arg)
{
    size_t n = strlen(arg), k = strlen(RECORDING_SUFFIX);
    if (n > k && strcmp(arg + n - k, RECORDING_SUFFIX) == 0)
        return true;
    /* Any file that starts with the trace preamble is a recording, whatever its name. */
    if (!is_file(arg))
        return false;
    FILE *f = fopen(arg, "rb");
    char magic[4] = {0};
    bool rec = f != NULL && fread(magic, 1, 4, f) == 4 && memcmp(magic, "RSTR", 4) == 0;
    if (f != NULL)
        fclose(f);
    return rec;
}

int main(int argc, char **argv)
{
    options o = {0};
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0)
        return rc;
    find_exe_dir(argv[0]);
    if (o.list)
        return run_list();
    if (o.check)
        return run_check(&o);

    /* The window when there is a display; a screenshot or a benchmark needs none (SDL's
     * offscreen driver draws them). Otherwise the terminal, as with --text. */
    bool window = false;
    if (o.screenshot != NULL || o.bench_frames > 0) {
        window = true;
    } else if (!o.text) {
        char why[256];
        window = ui_window_available(why, sizeof why);
        if (!window)
            say("no display: showing the lesson in the terminal (%s)", why);
    }
    session s = {.o = &o, .question_shown = SIM_NONE, .text = sim_text_default_options(),
                 .window = window};
    s.text.addresses = o.addresses;
    install_signals();

    const char *target = o.arg_count > 0 ? o.args[0] : NULL;
    bool replay = target != NULL && is_recording(target);
    const char *lesson_arg = replay || target == NULL ? o.lesson : target;
    if (replay && o.listen != NULL) {
        say("a replay collects nothing: --listen goes with a lesson or alone");
        return EXIT_USAGE;
    }
    if ((o.server != NULL || o.client != NULL) && (replay || target == NULL)) {
        say("--server and --client choose a lesson's programs: they go with a lesson to run");
        return EXIT_USAGE;
    }
    if (lesson_arg != NULL && load_lesson(lesson_arg, &s.lesson) != 0)
        return 1;
    if (target != NULL && !replay && o.lesson != NULL)
        say("--lesson is for replays and --listen; running %s", target);
    if (s.lesson != NULL && sim_cues_create(s.lesson, &s.cues) != RS_OK) {
        say("out of memory");
        sim_lesson_free(s.lesson);
        return 1;
    }
    if (replay) {
        rc = run_replay(&s, target);
    } else {
        s.launch = target != NULL; /* --listen alone: the lesson, if any, only narrates */
        rc = window ? run_live_window(&s) : run_live(&s);
    }

    if (s.rec != NULL) {
        rs_error err = {0};
        rs_status ignored = sim_recording_close(s.rec, &err);
        (void)ignored;
    }
    sim_launcher_destroy(s.launcher);
    sim_collector_destroy(s.col);
    sim_stepper_destroy(s.stepper);
    sim_cues_destroy(s.cues);
    sim_lesson_free(s.lesson);
    sim_timeline_destroy(s.tl);
    return rc;
}
