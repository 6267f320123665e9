/* launcher.c -- fork, exec, watch and reap a lesson's programs. See launcher.h.
 *
 * Each program is started with fork() and execve(); an exec that fails reports its errno through
 * a close-on-exec pipe, so "no such program" is an error of sim_launcher_start() rather than an
 * exit status to decode later. Output comes through one pipe per program (stdout and stderr
 * together), read without blocking.
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

extern char **environ;

#define NS_PER_MS 1000000u
#define LISTENING "listening on "

struct child {
    char name[24];        /* "server", "client", "client#2" */
    pid_t pid;            /* 0 once reaped (or never started) */
    int out;              /* the read end of its output pipe, -1 when closed */
    char line[SIM_LAUNCH_LINE_MAX];
    size_t line_len;
    bool exited;
    int status;           /* from waitpid */
    uint64_t term_ns;     /* when SIGTERM was sent, 0 if not */
    bool crashed_on_purpose; /* sim_launcher_crash_server() */
    char crash[96];       /* how it died by a signal, "" if it did not */
};

struct sim_launcher {
    sim_launch_spec spec;
    char **server_argv, **client_argv, **server_env, **client_env;
    char *trace;
    FILE *out;
    sim_launch_state state;
    char error[512];
    char binding[256];
    struct child kids[SIM_LAUNCH_MAX_CHILDREN]; /* [0] the server, then the clients */
    size_t kid_count;
    uint64_t last_ns;     /* the previous poll, for the clocks below */
    uint64_t listen_left_ns, stop_left_ns;
    bool stopping_all;
};

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void say(sim_launcher *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(sim_launcher *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rpcscope: ", l->out);
    vfprintf(l->out, fmt, ap);
    fputc('\n', l->out);
    fflush(l->out);
    va_end(ap);
}

static void fail(sim_launcher *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first failure, says it, and stops everything. */
static void fail(sim_launcher *l, const char *fmt, ...)
{
    if (l->state != SIM_LAUNCH_FAILED) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(l->error, sizeof l->error, fmt, ap);
        va_end(ap);
        l->state = SIM_LAUNCH_FAILED;
    }
    sim_launcher_stop(l);
}

/* ---- copies of the spec's strings ------------------------------------------------------------ */

static void free_vec(char **v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

static char **copy_vec(char *const *v, bool *oom)
{
    size_t n = 0;
    while (v != NULL && v[n] != NULL)
        n++;
    char **copy = calloc(n + 1, sizeof *copy);
    if (copy == NULL) {
        *oom = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if ((copy[i] = strdup(v[i])) == NULL)
            *oom = true;
    return copy;
}

/* `s` with every "{binding}" replaced. */
static char *replace_binding(const char *s, const char *binding)
{
    static const char key[] = "{binding}";
    size_t count = 0;
    for (const char *p = strstr(s, key); p != NULL; p = strstr(p + 1, key))
        count++;
    size_t len = strlen(s) + count * strlen(binding) + 1;
    char *out = malloc(len), *o = out;
    if (out == NULL)
        return NULL;
    for (const char *p = s; *p;) {
        if (strncmp(p, key, sizeof key - 1) == 0) {
            o = stpcpy(o, binding);
            p += sizeof key - 1;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

/* The environment for a child: ours, with `extra` (NAME=VALUE) added or replacing, and the trace
 * variables. Every string is a copy (free_vec() frees it all). Built before fork(), so that the
 * child only calls execve(). */
static char **make_env(char *const *extra, const char *trace, bool step)
{
    size_t n = 0, e = 0;
    while (environ[n] != NULL)
        n++;
    while (extra != NULL && extra[e] != NULL && e < SIM_LAUNCH_ENV_MAX)
        e++;
    char **env = calloc(n + e + 3, sizeof *env);
    if (env == NULL)
        return NULL;
    char trace_var[600], step_var[32];
    snprintf(trace_var, sizeof trace_var, "RPCSCOPE_TRACE=%s", trace != NULL ? trace : "");
    snprintf(step_var, sizeof step_var, "RPCSCOPE_STEP=%s", step ? "1" : "0");
    const char *mine[SIM_LAUNCH_ENV_MAX + 2];
    size_t m = 0;
    for (size_t i = 0; i < e; i++)
        mine[m++] = extra[i];
    if (trace != NULL)
        mine[m++] = trace_var;
    mine[m++] = step_var;
    size_t k = 0;
    bool oom = false;
    for (size_t i = 0; i < n && !oom; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t nl = eq != NULL ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        bool replaced = strncmp(environ[i], "RPCSCOPE_TRACE=", 15) == 0; /* never inherited */
        for (size_t j = 0; j < m && !replaced; j++)
            replaced = strncmp(mine[j], environ[i], nl) == 0 && mine[j][nl] == '=';
        if (!replaced)
            oom = (env[k++] = strdup(environ[i])) == NULL;
    }
    for (size_t j = 0; j < m && !oom; j++)
        oom = (env[k++] = strdup(mine[j])) == NULL;
    if (oom) {
        free_vec(env);
        return NULL;
    }
    return env;
}

/* ---- starting -------------------------------------------------------------------------------- */

static rs_status spawn(sim_launcher *l, struct child *ch, char *const *argv, char *const *extra,
                       rs_error *err)
{
    int out[2], status[2];
    if (pipe(out) != 0)
        return rs_error_set(err, RS_ERR_IO, "cannot start %s: pipe: %s", ch->name, strerror(errno));
    if (pipe(status) != 0) {
        close(out[0]);
        close(out[1]);
        return rs_error_set(err, RS_ERR_IO, "cannot start %s: pipe: %s", ch->name, strerror(errno));
    }
    fcntl(out[0], F_SETFD, FD_CLOEXEC);
    fcntl(status[0], F_SETFD, FD_CLOEXEC);
    fcntl(status[1], F_SETFD, FD_CLOEXEC);
    char **env = make_env(extra, l->trace, l->spec.step);
    if (env == NULL) {
        close(out[0]);
        close(out[1]);
        close(status[0]);
        close(status[1]);
        return rs_error_set(err, RS_ERR_NOMEM, "cannot start %s: out of memory", ch->name);
    }
    fflush(NULL);
    pid_t parent = getpid();
    bool is_server = ch == &l->kids[0];
    pid_t pid = fork();
    if (pid == 0) {
        /* The child: only async-signal-safe calls from here to execve(). */
        setpgid(0, 0);
#ifdef __linux__
        /* If rpcscope dies, the server is asked to stop as at the end of a lesson (SIGTERM: it
         * answers the calls that have arrived, then exits) and the clients run on to their end:
         * a dead simulator opens every step gate and never cuts a call in half (launcher.h). */
        if (is_server)
            prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (is_server && getppid() != parent)
            _exit(127); /* rpcscope died before the line above: do not outlive it */
#else
        (void)parent;
        (void)is_server;
#endif
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* Ignored, not the default: once rpcscope is gone nobody reads the output pipe, and a
         * program that prints must not die of it mid-call. While rpcscope runs it reads every
         * byte, so nothing else changes. */
        signal(SIGPIPE, SIG_IGN);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            close(devnull);
        }
        dup2(out[1], STDOUT_FILENO);
        dup2(out[1], STDERR_FILENO);
        close(out[1]);
        execve(argv[0], argv, env);
        int e = errno;
        ssize_t w = write(status[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    int fork_errno = errno;
    close(out[1]);
    close(status[1]);
    free_vec(env);
    if (pid < 0) {
        close(out[0]);
        close(status[0]);
        return rs_error_set(err, RS_ERR_IO, "cannot start %s: fork: %s", ch->name,
                            strerror(fork_errno));
    }
    setpgid(pid, pid); /* also here, so that it holds before either side runs on */
    int exec_errno = 0;
    ssize_t n;
    do
        n = read(status[0], &exec_errno, sizeof exec_errno);
    while (n < 0 && errno == EINTR);
    close(status[0]);
    if (n == (ssize_t)sizeof exec_errno) {
        waitpid(pid, NULL, 0);
        close(out[0]);
        return rs_error_set(err, RS_ERR_IO, "cannot start %s (%s): %s", ch->name, argv[0],
                            strerror(exec_errno));
    }
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    ch->pid = pid;
    ch->out = out[0];
    if (l->spec.started != NULL)
        l->spec.started(l->spec.started_ctx, ch->name, pid, l->spec.step);
    return RS_OK;
}

rs_status sim_launcher_start(const sim_launch_spec *spec, sim_launcher **out, rs_error *err)
{
    *out = NULL;
    if (spec->server_argv == NULL || spec->server_argv[0] == NULL || spec->client_argv == NULL ||
        spec->client_argv[0] == NULL)
        return rs_error_set(err, RS_ERR_INVALID_ARG, "launcher: no server or client program");
    sim_launcher *l = calloc(1, sizeof *l);
    if (l == NULL)
        return rs_error_set(err, RS_ERR_NOMEM, "launcher: out of memory");
    l->spec = *spec;
    l->out = spec->output != NULL ? spec->output : stderr;
    if (l->spec.clients == 0)
        l->spec.clients = 1;
    if (l->spec.clients > SIM_LAUNCH_MAX_CHILDREN - 1)
        l->spec.clients = SIM_LAUNCH_MAX_CHILDREN - 1;
    if (l->spec.listen_timeout_ms <= 0)
        l->spec.listen_timeout_ms = SIM_LAUNCH_LISTEN_MS;
    if (l->spec.stop_timeout_ms <= 0)
        l->spec.stop_timeout_ms = SIM_LAUNCH_STOP_MS;
    bool oom = false;
    l->server_argv = copy_vec(spec->server_argv, &oom);
    l->client_argv = copy_vec(spec->client_argv, &oom);
    l->server_env = copy_vec(spec->server_env, &oom);
    l->client_env = copy_vec(spec->client_env, &oom);
    l->trace = spec->trace != NULL ? strdup(spec->trace) : NULL;
    if (oom || (spec->trace != NULL && l->trace == NULL)) {
        sim_launcher_destroy(l);
        return rs_error_set(err, RS_ERR_NOMEM, "launcher: out of memory");
    }
    /* The copies are what the spec points at from now on. */
    l->spec.server_argv = l->server_argv;
    l->spec.client_argv = l->client_argv;
    l->spec.server_env = l->server_env;
    l->spec.client_env = l->client_env;
    l->spec.trace = l->trace;
    for (size_t i = 0; i < SIM_LAUNCH_MAX_CHILDREN; i++)
        l->kids[i].out = -1;
    l->listen_left_ns = (uint64_t)l->spec.listen_timeout_ms * NS_PER_MS;
    l->stop_left_ns = (uint64_t)l->spec.stop_timeout_ms * NS_PER_MS;
    struct child *server = &l->kids[0];
    snprintf(server->name, sizeof server->name, "server");
    l->kid_count = 1;
    rs_status st = spawn(l, server, l->server_argv, l->server_env, err);
    if (st != RS_OK) {
        sim_launcher_destroy(l);
        return st;
    }
    l->state = SIM_LAUNCH_STARTING;
    l->last_ns = monotonic_ns();
    *out = l;
    return RS_OK;
}

static void start_clients(sim_launcher *l)
{
    for (unsigned c = 0; c < l->spec.clients && l->state != SIM_LAUNCH_FAILED; c++) {
        struct child *ch = &l->kids[l->kid_count++];
        if (c == 0)
            snprintf(ch->name, sizeof ch->name, "client");
        else
            snprintf(ch->name, sizeof ch->name, "client#%u", c + 1);
        size_t argc = 0;
        while (l->client_argv[argc] != NULL)
            argc++;
        size_t envc = 0;
        while (l->client_env != NULL && l->client_env[envc] != NULL)
            envc++;
        char **argv = calloc(argc + 1, sizeof *argv);
        char **env = calloc(envc + 1, sizeof *env);
        bool oom = argv == NULL || env == NULL;
        for (size_t i = 0; !oom && i < argc; i++)
            oom = (argv[i] = replace_binding(l->client_argv[i], l->binding)) == NULL;
        for (size_t i = 0; !oom && i < envc; i++)
            oom = (env[i] = replace_binding(l->client_env[i], l->binding)) == NULL;
        rs_error e = {0};
        rs_status st = oom ? rs_error_set(&e, RS_ERR_NOMEM, "cannot start %s: out of memory",
                                          ch->name)
                           : spawn(l, ch, argv, env, &e);
        free_vec(argv);
        free_vec(env);
        if (st != RS_OK)
            fail(l, "%s", e.message);
    }
    if (l->state != SIM_LAUNCH_FAILED)
        l->state = SIM_LAUNCH_RUNNING;
}

/* ---- watching -------------------------------------------------------------------------------- */

/* One whole line of a program's output (NUL-terminated, no newline). */
static void output_line(sim_launcher *l, struct child *ch, char *line)
{
    fprintf(l->out, "%s| %s\n", ch->name, line);
    fflush(l->out);
    if (ch != &l->kids[0] || l->state != SIM_LAUNCH_STARTING || l->stopping_all)
        return; /* once everything is being stopped, no client starts */
    char *s = line;
    while (*s == ' ' || *s == '\t')
        s++;
    if (strncmp(s, LISTENING, strlen(LISTENING)) != 0)
        return;
    s += strlen(LISTENING);
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof l->binding)
        return;
    memcpy(l->binding, s, n);
    l->binding[n] = '\0';
    start_clients(l);
}

/* Reads what a program printed. */
static void read_output(sim_launcher *l, struct child *ch)
{
    for (;;) {
        char buf[4096];
        ssize_t n = read(ch->out, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                if (ch->line_len > 0) {
                    ch->line[ch->line_len] = '\0';
                    ch->line_len = 0;
                    output_line(l, ch, ch->line);
                }
                close(ch->out);
                ch->out = -1;
            }
            return;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n' || ch->line_len == sizeof ch->line - 1) {
                ch->line[ch->line_len] = '\0';
                ch->line_len = 0;
                output_line(l, ch, ch->line);
                if (buf[i] == '\n')
                    continue;
            }
            ch->line[ch->line_len++] = buf[i];
        }
    }
}

static void describe_exit(int status, char *out, size_t size)
{
    if (WIFSIGNALED(status))
        snprintf(out, size, "crashed: signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(out, size, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(out, size, "stopped");
}

/* A program was reaped. */
static void exited(sim_launcher *l, struct child *ch)
{
    bool server = ch == &l->kids[0];
    char how[96];
    describe_exit(ch->status, how, sizeof how);
    bool signalled = WIFSIGNALED(ch->status);
    bool clean = WIFEXITED(ch->status) && WEXITSTATUS(ch->status) == 0;
    if (signalled) {
        kill(-ch->pid, SIGKILL); /* anything it started goes with it */
        snprintf(ch->crash, sizeof ch->crash, "%s",
                 ch->crashed_on_purpose ? "killed from the window (SIGKILL)" : how);
    }
    ch->pid = 0;
    if (ch->crashed_on_purpose) {
        say(l, "%s was killed from the window", ch->name);
        return;
    }
    if (ch->term_ns != 0)
        return; /* we asked it to end: how it ends is its own business */
    if (server && l->state == SIM_LAUNCH_STARTING)
        fail(l, "server %s before it printed `listening on BINDING`", how);
    else if (server && signalled && l->spec.server_may_die)
        say(l, "server %s", how);
    else if (!server && !clean && l->kids[0].crashed_on_purpose)
        say(l, "%s %s after the server was killed", ch->name, how); /* what the lesson shows */
    else if (!clean)
        fail(l, "%s %s", ch->name, how);
}

/* Does the gate hold this program? Then its clocks stand still. */
static bool held(const sim_gate *gate, const struct child *ch)
{
    return gate != NULL && ch->pid > 0 && gate->held(gate->ctx, (uint32_t)ch->pid) != 0;
}

static void terminate(struct child *ch, uint64_t now)
{
    if (ch->pid > 0 && ch->term_ns == 0) {
        kill(-ch->pid, SIGTERM);
        ch->term_ns = now;
    }
}

void sim_launcher_poll(sim_launcher *l, const sim_gate *gate, int timeout_ms)
{
    struct pollfd fds[SIM_LAUNCH_MAX_CHILDREN];
    size_t who[SIM_LAUNCH_MAX_CHILDREN], n = 0;
    for (size_t i = 0; i < l->kid_count; i++)
        if (l->kids[i].out >= 0) {
            fds[n] = (struct pollfd){.fd = l->kids[i].out, .events = POLLIN};
            who[n++] = i;
        }
    if (n > 0 && poll(fds, (nfds_t)n, timeout_ms) > 0) {
        for (size_t i = 0; i < n; i++)
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
                read_output(l, &l->kids[who[i]]);
    } else if (n == 0 && timeout_ms > 0) {
        struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }

    for (size_t i = 0; i < l->kid_count; i++) {
        struct child *ch = &l->kids[i];
        if (ch->pid <= 0)
            continue;
        int status;
        pid_t r = waitpid(ch->pid, &status, WNOHANG);
        if (r == ch->pid) {
            if (ch->out >= 0)
                read_output(l, ch); /* its last words */
            ch->exited = true;
            ch->status = status;
            exited(l, ch);
        }
    }

    uint64_t now = monotonic_ns(), dt = now - l->last_ns;
    l->last_ns = now;
    struct child *server = &l->kids[0];
    if (l->state == SIM_LAUNCH_STARTING && !held(gate, server)) {
        if (dt >= l->listen_left_ns) {
            int ms = l->spec.listen_timeout_ms;
            if (ms % 1000 == 0)
                fail(l, "server did not print `listening on BINDING` within %d s", ms / 1000);
            else
                fail(l, "server did not print `listening on BINDING` within %d ms", ms);
        }
        else
            l->listen_left_ns -= dt;
    }
    if (l->state == SIM_LAUNCH_RUNNING) {
        bool clients_done = true;
        for (size_t i = 1; i < l->kid_count; i++)
            clients_done = clients_done && l->kids[i].pid <= 0;
        if (clients_done)
            l->state = SIM_LAUNCH_STOPPING;
    }
    if (l->state == SIM_LAUNCH_STOPPING && server->pid > 0 && server->term_ns == 0 &&
        !held(gate, server)) {
        if (dt >= l->stop_left_ns)
            terminate(server, now);
        else
            l->stop_left_ns -= dt;
    }
    for (size_t i = 0; i < l->kid_count; i++) {
        struct child *ch = &l->kids[i];
        if (ch->pid > 0 && ch->term_ns != 0 && now - ch->term_ns >= SIM_LAUNCH_KILL_MS * NS_PER_MS)
            kill(-ch->pid, SIGKILL);
    }
    bool all_gone = true;
    for (size_t i = 0; i < l->kid_count; i++)
        all_gone = all_gone && l->kids[i].pid <= 0 && l->kids[i].out < 0;
    if (all_gone && l->state == SIM_LAUNCH_STARTING && !l->stopping_all)
        fail(l, "server exited before it printed `listening on BINDING`");
    else if (all_gone && l->state != SIM_LAUNCH_FAILED)
        l->state = SIM_LAUNCH_DONE;
}

sim_launch_state sim_launcher_state(const sim_launcher *l)
{
    return l->state;
}

const char *sim_launcher_error(const sim_launcher *l)
{
    return l->error;
}

const char *sim_launcher_binding(const sim_launcher *l)
{
    return l->binding;
}

pid_t sim_launcher_server_pid(const sim_launcher *l)
{
    return l->kids[0].pid;
}

bool sim_launcher_crash_server(sim_launcher *l)
{
    struct child *server = &l->kids[0];
    if (l->kid_count == 0 || server->pid <= 0 || server->crashed_on_purpose)
        return false;
    server->crashed_on_purpose = true;
    kill(-server->pid, SIGKILL);
    return true;
}

const char *sim_launcher_server_crash(const sim_launcher *l)
{
    return l->kid_count > 0 && l->kids[0].crash[0] != '\0' ? l->kids[0].crash : NULL;
}

void sim_launcher_stop(sim_launcher *l)
{
    uint64_t now = monotonic_ns();
    l->stopping_all = true;
    for (size_t i = 0; i < l->kid_count; i++)
        terminate(&l->kids[i], now);
}

void sim_launcher_destroy(sim_launcher *l)
{
    if (l == NULL)
        return;
    sim_launcher_stop(l);
    uint64_t deadline = monotonic_ns() + SIM_LAUNCH_KILL_MS * NS_PER_MS;
    for (size_t i = 0; i < l->kid_count; i++) {
        struct child *ch = &l->kids[i];
        while (ch->pid > 0) {
            pid_t r = waitpid(ch->pid, NULL, WNOHANG);
            if (r == ch->pid || (r < 0 && errno != EINTR)) {
                ch->pid = 0;
                break;
            }
            if (monotonic_ns() >= deadline) {
                kill(-ch->pid, SIGKILL);
                kill(ch->pid, SIGKILL);
                while (waitpid(ch->pid, NULL, 0) < 0 && errno == EINTR)
                    ;
                ch->pid = 0;
                break;
            }
            struct timespec ts = {0, 5 * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (ch->out >= 0)
            close(ch->out);
        ch->out = -1;
    }
    free_vec(l->server_argv);
    free_vec(l->client_argv);
    free_vec(l->server_env);
    free_vec(l->client_env);
    free(l->trace);
    free(l);
}
