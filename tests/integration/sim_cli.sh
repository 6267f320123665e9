#!/bin/sh
# sim_cli.sh -- the rpcscope command end to end: its arguments and errors, --check and --list,
# recordings, and (when the hello lesson is built) a real session: every step of the call in
# order for both processes, record then replay giving identical text, the pcap judged by tshark,
# the Chrome trace by Python's JSON parser, stepping that really holds the server's procedure,
# and a simulator killed mid-call that lets the call finish. Prints "N passed, N failed".
#
#   sh tests/integration/sim_cli.sh BUILD_DIR        (e.g. build, or build/asan)
set -u
build=${1:-build}
rpcscope="$build/rpcscope"
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill -9 $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "sim_cli: FAILED: $*"; }

# expect STATUS TEXT -- CMD...: runs CMD, checks its exit status and that TEXT is in its output.
expect() {
    want=$1 text=$2
    shift 3
    "$@" >"$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        bad "$* exited $rc, not $want: $(head -3 "$tmp/out")"
    elif [ -n "$text" ] && ! grep -qF -- "$text" "$tmp/out"; then
        bad "$* did not say \"$text\": $(head -3 "$tmp/out")"
    else
        ok
    fi
}

[ -x "$rpcscope" ] || { echo "sim_cli: $rpcscope is not built"; echo "0 passed, 1 failed"; exit 1; }

# ---- arguments ----------------------------------------------------------------------------------
expect 2 "which lesson?" -- "$rpcscope"
expect 2 "unknown option '--frobnicate'" -- "$rpcscope" --frobnicate hello
expect 2 "--speed 9: the speed is a number from 0.25 to 8" -- "$rpcscope" --speed 9 hello
expect 2 "--speed needs a value" -- "$rpcscope" hello --speed
expect 2 "--max-events 0: a number from 1 to 100000000" -- "$rpcscope" --max-events 0 hello
expect 2 "one lesson or recording at a time" -- "$rpcscope" hello other
expect 2 "--text takes no value" -- "$rpcscope" --text=yes hello
expect 0 "usage: rpcscope" -- "$rpcscope" --help
expect 0 "rpcscope 0.1.0" -- "$rpcscope" --version

# ---- lessons ------------------------------------------------------------------------------------
expect 1 "no lesson 'nope' (rpcscope --list shows the lessons)" -- "$rpcscope" --text nope
expect 0 "hello: ok" -- "$rpcscope" --check hello
expect 0 "lessons/hello: ok" -- "$rpcscope" --check lessons/hello
# The title column is as wide as the longest lesson name: check the words, not the spaces.
expect 0 "Hello, remote procedure call" -- "$rpcscope" --list
grep -q '^hello  *Hello, remote procedure call$' "$tmp/out" && ok ||
    bad "rpcscope --list has no line 'hello  Hello, remote procedure call': $(head -3 "$tmp/out")"
mkdir -p "$tmp/broken"
printf 'title: Broken\nsummary: s\nserver: server\nclient: client\n' >"$tmp/broken/lesson.txt"
printf 'when client marshall x:\n    y\n' >>"$tmp/broken/lesson.txt"
expect 1 "$tmp/broken/lesson.txt:5: narration: unknown step 'marshall'" -- \
    "$rpcscope" --check "$tmp/broken"
expect 1 "the lesson script has errors; nothing was started" -- "$rpcscope" --text "$tmp/broken"
expect 1 "no such lesson" -- "$rpcscope" --check "$tmp/none"
mkdir -p "$tmp/noprog"
printf 'title: T\nsummary: s\nserver: nosuchserver {listen}\nclient: client {binding}\n' \
    >"$tmp/noprog/lesson.txt"
expect 1 "lesson noprog: no program 'nosuchserver'" -- "$rpcscope" --text "$tmp/noprog"

# ---- recordings ---------------------------------------------------------------------------------
printf 'RSTR\001\000\000\000\101\000\000\000' >"$tmp/cut.rstrace"
expect 1 "the recording is cut short at byte offset 8" -- "$rpcscope" --text "$tmp/cut.rstrace"
printf 'GIF89a..' >"$tmp/gif.rstrace"
expect 1 "not a recording (byte offset 0)" -- "$rpcscope" --text "$tmp/gif.rstrace"
printf 'RSTR\001\000\000\000' >"$tmp/empty.rstrace"
expect 0 "" -- "$rpcscope" --text "$tmp/empty.rstrace"

# ---- --listen: an address in use, Ctrl-C --------------------------------------------------------
"$rpcscope" --text --listen tcp:127.0.0.1:0 >"$tmp/l1.out" 2>&1 &
first=$!
pids="$pids $first"
sleep 0.3
addr=$(sed -n 's/.*collecting traces on \(tcp:[^:]*:[0-9]*\).*/\1/p' "$tmp/l1.out")
if [ -n "$addr" ]; then
    expect 1 "address already in use" -- "$rpcscope" --text --listen "$addr"
    ok
else
    bad "--listen tcp:127.0.0.1:0 did not say its address: $(cat "$tmp/l1.out")"
fi
kill -INT "$first"
wait "$first"
rc=$?
[ "$rc" -eq 130 ] && ok || bad "rpcscope --listen after Ctrl-C exited $rc, not 130"

# ---- the hello lesson, for real -----------------------------------------------------------------
hello="$build/lessons/hello"
if [ ! -x "$hello/server" ] || [ ! -x "$hello/client" ]; then
    echo "sim_cli: $hello/{server,client} are not built: skipping the live session"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
fi

expect 0 "" -- "$rpcscope" hello --text --record "$tmp/hello.rstrace" --pcap "$tmp/hello.pcap" \
    --chrome-trace "$tmp/hello.json"
"$rpcscope" hello --text --record "$tmp/hello.rstrace" --pcap "$tmp/hello.pcap" \
    --chrome-trace "$tmp/hello.json" >"$tmp/live.txt" 2>"$tmp/live.err"
[ $? -eq 0 ] && ok || bad "rpcscope hello --text failed: $(cat "$tmp/live.err")"
grep -q '^server| hello, world$' "$tmp/live.err" && ok || bad "the server did not print the string"

# Every step of the call, in order, for both processes.
steps="server transport listen
client application call
client stub read
client stub marshal
client transport connect
client runtime bind
client transport send
server transport receive
server runtime bind_ack
client transport receive
client runtime build
server runtime reassemble
server runtime dispatch
server stub unmarshal
server stub write
server application enter
server application exit
server transport send
client runtime reassemble
client application return
client transport close"
at=0
echo "$steps" | {
    missing=""
    while read -r who layer verb; do
        n=$(awk -v w="$who" -v l="$layer" -v v="$verb" -v from="$at" \
            '$2 == w && $3 == l && $4 == v && $1 + 0 > from { print $1 + 0; exit }' "$tmp/live.txt")
        if [ -z "$n" ]; then missing="$missing [$who $layer $verb after step $at]"; else at=$n; fi
    done
    [ -z "$missing" ] && exit 0
    echo "sim_cli: missing in order:$missing"
    exit 1
} && ok || bad "the text does not show every step of the call in order"
grep -q 'conformant-varying: max 13, offset 0, actual 13' "$tmp/live.txt" && ok \
    || bad "the string's counts are not shown"
grep -q 'The pointer did not cross' "$tmp/live.txt" && ok || bad "no narration in the text"

"$rpcscope" "$tmp/hello.rstrace" --text --lesson hello >"$tmp/replay.txt" 2>"$tmp/replay.err"
if cmp -s "$tmp/live.txt" "$tmp/replay.txt"; then ok; else
    bad "the replay's text differs from the live session's"
    diff "$tmp/live.txt" "$tmp/replay.txt" | head -5
fi

if command -v tshark >/dev/null 2>&1; then
    frames=$(tshark -r "$tmp/hello.pcap" -Y dcerpc 2>/dev/null | wc -l)
    malformed=$(tshark -r "$tmp/hello.pcap" -Y _ws.malformed 2>/dev/null | wc -l)
    [ "$frames" -ge 6 ] && [ "$malformed" -eq 0 ] && ok \
        || bad "tshark: $frames DCE/RPC frames, $malformed malformed"
fi
if command -v python3 >/dev/null 2>&1; then
    python3 -m json.tool "$tmp/hello.json" >/dev/null && ok || bad "the Chrome trace is not JSON"
fi

# Stepping holds the real processes: the server's procedure does not run until its step is
# released. Steps are fed one by one until "enter HelloProc" shows; then nothing more happens.
if command -v python3 >/dev/null 2>&1; then
    cat >"$tmp/step.py" <<'EOF'
import os, subprocess, sys, time, fcntl
p = subprocess.Popen([sys.argv[1], "hello", "--text", "--step"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
for f in (p.stdout, p.stderr):
    fcntl.fcntl(f, fcntl.F_SETFL, fcntl.fcntl(f, fcntl.F_GETFL) | os.O_NONBLOCK)
out, err = b"", b""
def pump(t):
    global out, err
    end = time.time() + t
    while time.time() < end:
        for f in (p.stdout, p.stderr):
            d = f.read()
            if d:
                if f is p.stdout: out += d
                else: err += d
        time.sleep(0.01)
def shown(verb):
    return any(l.split()[1:5] == ["server", "application", verb, "hello.HelloProc"]
               for l in out.decode().splitlines() if l[:1] == " ")
t0 = time.time()
while not shown("enter") and time.time() - t0 < 30:
    p.stdin.write(b"\n"); p.stdin.flush(); pump(0.1)
pump(1.0)
held = shown("enter") and not shown("exit") and b"hello, world" not in err
p.stdin.write(b"\n\n"); p.stdin.flush(); pump(1.0)
ran = b"hello, world" in err
p.stdin.close()
rc = p.wait(timeout=30)
print("held" if held else "not held", "ran" if ran else "did not run", rc)
sys.exit(0 if held and ran and rc == 0 else 1)
EOF
    python3 "$tmp/step.py" "$rpcscope" >"$tmp/step.out" 2>&1 && ok \
        || bad "stepping did not hold the server's procedure: $(cat "$tmp/step.out")"

    # Programs started elsewhere (--listen) in step mode; the simulator is killed mid-call: every
    # gate opens and the call finishes.
    cat >"$tmp/kill.py" <<'EOF'
import os, re, signal, subprocess, sys, time, fcntl
rpcscope, hello = sys.argv[1], sys.argv[2]
# Killed with SIGKILL, it cannot remove its socket folder: keep that in the test's folder.
sim = subprocess.Popen([rpcscope, "--listen", "tcp:127.0.0.1:0", "--text", "--step"],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, TMPDIR=sys.argv[3]))
fcntl.fcntl(sim.stderr, fcntl.F_SETFL, fcntl.fcntl(sim.stderr, fcntl.F_GETFL) | os.O_NONBLOCK)
addr, err, t0 = None, b"", time.time()
while addr is None and time.time() - t0 < 10:
    err += sim.stderr.read() or b""
    m = re.search(rb"collecting traces on (tcp:\S+):", err)
    addr = m.group(1).decode() if m else None
    time.sleep(0.05)
env = dict(os.environ, RPCSCOPE_TRACE=addr, RPCSCOPE_STEP="1")
server = subprocess.Popen([hello + "/server", "ncacn_ip_tcp:127.0.0.1[0]"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
for _ in range(5):
    sim.stdin.write(b"\n"); sim.stdin.flush(); time.sleep(0.2)
line = server.stdout.readline().decode()
binding = line.split("listening on ")[1].strip()
client = subprocess.Popen([hello + "/client", binding], env=env)
for _ in range(8):
    sim.stdin.write(b"\n"); sim.stdin.flush(); time.sleep(0.2)
mid_call = client.poll() is None
sim.kill(); sim.wait()
rc = client.wait(timeout=20)
server.wait(timeout=20)
print("mid-call" if mid_call else "not mid-call", "client", rc, "server", server.returncode)
sys.exit(0 if mid_call and rc == 0 and server.returncode == 0 else 1)
EOF
    python3 "$tmp/kill.py" "$rpcscope" "$hello" "$tmp" >"$tmp/kill.out" 2>&1 && ok \
        || bad "killing the simulator mid-call did not let the call finish: $(cat "$tmp/kill.out")"

    # The lesson's own programs (started by rpcscope) in step mode, recording; rpcscope is killed
    # while the server is held in HelloProc: the client and the server carry on and exit by
    # themselves (none killed by a signal; the server, asked to stop, answers and exits 0), and
    # the recording holds every event shown before the kill, whole, replayable. The test makes
    # itself a child subreaper, so that the orphaned programs become its children and it can
    # read how they ended.
    cat >"$tmp/killrec.py" <<'EOF'
import ctypes, os, subprocess, sys, time, fcntl
rpcscope, tmp = sys.argv[1], sys.argv[2]
PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
rec = tmp + "/killed.rstrace"
p = subprocess.Popen([rpcscope, "hello", "--text", "--step", "--record", rec],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     env=dict(os.environ, TMPDIR=tmp))
for f in (p.stdout, p.stderr):
    fcntl.fcntl(f, fcntl.F_SETFL, fcntl.fcntl(f, fcntl.F_GETFL) | os.O_NONBLOCK)
out = b""
def pump(t):
    global out
    end = time.time() + t
    while time.time() < end:
        out += p.stdout.read() or b""
        p.stderr.read()
        time.sleep(0.01)
def shown(verb):
    return any(l.split()[1:5] == ["server", "application", verb, "hello.HelloProc"]
               for l in out.decode().splitlines() if l[:1] == " ")
t0 = time.time()
while not shown("enter") and time.time() - t0 < 30:
    p.stdin.write(b"\n"); p.stdin.flush(); pump(0.1)
pump(0.5)
kids = []
for t in os.listdir("/proc/%d/task" % p.pid):
    with open("/proc/%d/task/%s/children" % (p.pid, t)) as f:
        kids += [int(x) for x in f.read().split()]
p.kill(); p.wait()
ends = {}
t0 = time.time()
while len(ends) < len(kids) and time.time() - t0 < 15:
    for k in kids:
        if k not in ends:
            pid, status = os.waitpid(k, os.WNOHANG)
            if pid == k:
                ends[k] = ("signal %d" % os.WTERMSIG(status) if os.WIFSIGNALED(status)
                           else "exit %d" % os.WEXITSTATUS(status))
    time.sleep(0.05)
left = [k for k in kids if k not in ends]
for k in left:
    os.kill(k, 9)
steps = [l for l in out.decode().splitlines() if l[:1] == " " and l.split()[0].isdigit()]
r = subprocess.run([rpcscope, rec, "--text", "--lesson", "hello"], capture_output=True)
replayed = [l for l in r.stdout.decode().splitlines() if l[:1] == " " and l.split()[0].isdigit()]
missing = [l for l in steps if l not in replayed]
signalled = [e for e in ends.values() if e.startswith("signal")]
print("held in HelloProc" if shown("enter") else "never reached HelloProc",
      "programs", kids, "ended", ends, "still running", left, "steps shown", len(steps),
      "replayed", len(replayed), "missing", missing[:2], "replay exit", r.returncode,
      r.stderr.decode().strip()[:200])
sys.exit(0 if shown("enter") and len(kids) == 2 and not left and not signalled
         and "exit 0" in ends.values() and steps and not missing else 1)
EOF
    python3 "$tmp/killrec.py" "$rpcscope" "$tmp" >"$tmp/killrec.out" 2>&1 && ok \
        || bad "rpcscope killed mid-lesson: $(cat "$tmp/killrec.out")"
fi

# ---- a full disk while recording ----------------------------------------------------------------
# A file-size limit (which any user may set) cuts the recording at 4 KiB, short of the hello
# session's 6 KiB: the error is said, the session goes on to its last step, the exit status is 1,
# and the recording replays the whole events before the cut. Where a 4 KiB tmpfs can be mounted
# (root), a real ENOSPC too. SIGXFSZ is ignored, as a shell's `trap` leaves it for the program.
#   full_disk WHAT PATH_SAID FILE REASON -- checks $tmp/full.out and FILE
full_disk() {
    grep -q "$2: cannot write the recording: $4" "$tmp/full.out" && ok \
        || bad "$1: no clear error: $(grep rpcscope: "$tmp/full.out" | head -2)"
    grep -q 'client *transport *close' "$tmp/full.out" && grep -q '^server| hello, world' "$tmp/full.out" \
        && ok || bad "$1: the session did not go on to its end"
    "$rpcscope" "$3" --text --lesson hello >"$tmp/full.replay" 2>&1
    grep -q 'cut short at byte offset .*; replaying the [0-9]* whole events before it' \
        "$tmp/full.replay" && grep -q 'client *transport *connect' "$tmp/full.replay" && ok \
        || bad "$1: the cut recording does not replay: $(head -2 "$tmp/full.replay")"
}
if [ -x "$hello/client" ]; then
    # The limit is on rpcscope only: its output goes through a pipe to `cat`, outside the limit.
    (ulimit -f 4 && trap '' XFSZ && exec "$rpcscope" hello --text --record "$tmp/limited.rstrace") \
        2>&1 | cat >"$tmp/full.out"
    full_disk "a file-size limit" "$tmp/limited.rstrace" "$tmp/limited.rstrace" "File too large"
    if [ "$(id -u)" = 0 ] && mkdir -p "$tmp/tiny" && mount -t tmpfs -o size=4k tmpfs "$tmp/tiny" 2>/dev/null; then
        "$rpcscope" hello --text --record "$tmp/tiny/hello.rstrace" >"$tmp/full.out" 2>&1
        cp "$tmp/tiny/hello.rstrace" "$tmp/tiny.rstrace"
        umount "$tmp/tiny"
        full_disk "a full tmpfs" "$tmp/tiny/hello.rstrace" "$tmp/tiny.rstrace" "No space left on device"
    fi
    expect 1 "/dev/full: cannot write the recording: No space left on device" -- \
        "$rpcscope" hello --text --record /dev/full
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
