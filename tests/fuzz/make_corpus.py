#!/usr/bin/env python3
"""make_corpus.py -- writes the seed corpora of the fuzz targets into tests/fuzz/corpus/TARGET/.

Run from the top of the tree after changing a known answer: python3 tests/fuzz/make_corpus.py.
The bytes come from the unit tests' hand-checked known answers (test_pdu.c, conform_vectors.h,
test_trace_format.c), read out of their C arrays, and from a few PDUs and trace records written
here by hand in the same wire formats (pdu.h, trace.h). Lessons and IDL files are copied."""
import glob
import os
import re
import shutil
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")


def c_arrays(path):
    """name -> bytes of every `static const uint8_t name[...] = {...};` in a C file."""
    text = open(os.path.join(ROOT, path)).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    out = {}
    for name, body in re.findall(r"static const uint8_t (\w+)\[\w*\] = \{(.*?)\};", text, re.S):
        vals = []
        for tok in re.findall(r"0x[0-9a-fA-F]+|\d+|'(?:\\.|[^'])'", body):
            vals.append(ord(tok[1]) if tok.startswith("'") else int(tok, 0))
        out[name] = bytes(vals)
    return out


def write(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data)


def pdu(ptype, flags, call_id, body, auth=b""):
    """A little-endian PDU: the common header, then body (and a verifier when auth is given)."""
    n = 16 + len(body) + len(auth)
    auth_len = len(auth) - 8 if auth else 0
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, flags, b"\x10\0\0\0", n, auth_len, call_id) \
        + body + auth


def request(call_id, flags, opnum, stub, hint=None):
    return pdu(0, flags, call_id,
               struct.pack("<IHH", len(stub) if hint is None else hint, 0, opnum) + stub)


def response(call_id, flags, stub):
    return pdu(2, flags, call_id, struct.pack("<IHBB", len(stub), 0, 0, 0) + stub)


NDR = bytes.fromhex("045d888aeb1cc9119fe808002b104860") + struct.pack("<I", 2)
CONFORM = bytes.fromhex("1c3b5a6d2e8f7a4c9b0d1e2f3a4b5c6d") + struct.pack("<I", 1)

# ---- fuzz_pdu: every PTYPE, whole; fragment sequences for the reassembler -----------------------
known = c_arrays("tests/unit/test_pdu.c")
for name, data in known.items():
    if len(data) >= 16 and data[0] == 5:
        write("fuzz_pdu", name, data)
write("fuzz_pdu", "response_le", response(2, 3, struct.pack("<i", 3)))
bind_body = struct.pack("<HHIB3x", 4280, 4280, 0, 1) + struct.pack("<HBx", 0, 1) + CONFORM + NDR
write("fuzz_pdu", "alter_context_le", pdu(14, 3, 3, bind_body))
write("fuzz_pdu", "auth3_le", pdu(16, 3, 4, b"\0\0\0\0", struct.pack("<BBBBI", 10, 6, 0, 0, 0) + b"\x55" * 16))
write("fuzz_pdu", "co_cancel_le", pdu(18, 3, 5, b""))
write("fuzz_pdu", "orphaned_le", pdu(19, 3, 5, b""))
stub = bytes(range(40))
write("fuzz_pdu", "request_3_fragments",
      request(7, 1, 12, stub[:16], hint=40) + request(7, 0, 12, stub[16:32]) + request(7, 2, 12, stub[32:]))
write("fuzz_pdu", "response_2_fragments",
      response(8, 1, stub[:24]) + response(8, 2, stub[24:]))
write("fuzz_pdu", "bind_then_request",
      pdu(11, 3, 1, bind_body) + request(2, 3, 0, struct.pack("<ii", 3, 4)))

# ---- fuzz_stubs: byte 0 = opnum (bit 7: big-endian), then the stub data ------------------------
vectors = c_arrays("tests/unit/conform_vectors.h")
table = open(os.path.join(ROOT, "tests/unit/conform_vectors.h")).read()
for what, op, req in re.findall(r'VEC\("([^"]+)", (\d+), (\w+), \w+\)', table):
    write("fuzz_stubs", re.sub(r"\W+", "_", what), bytes([int(op)]) + vectors[req])
for what, op in re.findall(r'VEC_OUT\("([^"]+)", (\d+), \w+\)', table):
    write("fuzz_stubs", re.sub(r"\W+", "_", what), bytes([int(op)]))
# two in big-endian NDR, as a big-endian client's drep says
write("fuzz_stubs", "Add_be", bytes([0x80]) + struct.pack(">ii", 3, 4))
write("fuzz_stubs", "Reverse_be", bytes([0x84]) + struct.pack(">iIiii", 3, 3, 1, 2, 3))

# ---- fuzz_trace: byte 0 = where to cut, then a stream ------------------------------------------
PREAMBLE = b"RSTR" + struct.pack("<HH", 1, 0)


def record(kind, layer, role, seq, strings=(), flags=0, data=b"", call_id=1, opnum=0, ptype=0):
    s = list(strings) + [""] * (6 - len(strings))
    body = struct.pack("<HBBIQQIHBBIIQ", kind, layer, role, 4242, seq, 1000 * seq, call_id, opnum,
                       0, ptype, 0, len(data), 0)
    for x in s:
        body += struct.pack("<H", len(x.encode())) + x.encode()
    body += struct.pack("<BI", flags, len(data)) + data
    return struct.pack("<I", len(body)) + body


traced = c_arrays("tests/unit/test_trace_format.c")
small = traced["small_record"]
write("fuzz_trace", "small_record", bytes([40]) + small)
write("fuzz_trace", "preamble_small_record", bytes([5]) + PREAMBLE + small)
req = request(2, 3, 0, struct.pack("<ii", 3, 4))
# kinds 1 CALL_BEGIN (layer 1 application), 5 NDR_PUT (2 stub), 9 PDU_SENT (4 transport)
stream = PREAMBLE + record(1, 1, 1, 1, ("conform", "Add")) \
    + record(5, 2, 1, 2, ("conform", "Add", "a", "long", "int32_t"), data=b"\x03\0\0\0") \
    + record(9, 4, 2, 3, ("", "", "", "", "", "sent to 127.0.0.1"), flags=4, data=req, ptype=0)
write("fuzz_trace", "three_records", bytes([100]) + stream)
write("fuzz_trace", "preamble_only", bytes([3]) + PREAMBLE)

# ---- fuzz_lesson: the lessons, and variants ------------------------------------------------------
for path in glob.glob(os.path.join(ROOT, "lessons", "*", "lesson.txt")):
    lesson = open(path, "rb").read()
    name = os.path.basename(os.path.dirname(path))
    write("fuzz_lesson", name, lesson)
    write("fuzz_lesson", name + "_crlf", lesson.replace(b"\n", b"\r\n"))
    write("fuzz_lesson", name + "_half", lesson[: len(lesson) // 2])
    write("fuzz_lesson", name + "_no_comments",
          b"\n".join(l for l in lesson.split(b"\n") if not l.startswith(b"#")))

# ---- fuzz_idl: the golden IDLs and the conformance interface; an IDL with its ACF after a NUL ---
for path in glob.glob(os.path.join(ROOT, "tests", "unit", "golden", "*", "*.idl")) \
        + [os.path.join(ROOT, "tests", "interop", "conform.idl")] \
        + glob.glob(os.path.join(ROOT, "lessons", "*", "*.idl")):
    name = os.path.basename(path)
    data = open(path, "rb").read()
    acf = os.path.splitext(path)[0] + ".acf"
    if os.path.exists(acf):
        write("fuzz_idl", name + "+acf", data + b"\0" + open(acf, "rb").read())
    write("fuzz_idl", os.path.basename(os.path.dirname(path)) + "_" + name, data)
