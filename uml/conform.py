#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run a scripted list of sysfs operations on a fw_upload device and print
a transcript: every open, read, write and close with its byte count or
errno, and the text of every read. The same script runs against the real
kernel's test_firmware device (inside User-Mode Linux, make check-kernel)
and against `tdxup-emu serve --test-firmware` (FUSE); the two transcripts
are compared byte for byte (uml/conformance.ops says what is in it).
--compare prints every operation whose lines differ, as SECTION#N (the
Nth operation of the section), "listed" when DOC names it in backquotes.

usage: conform.py OPS DEVDIR CTLDIR
       conform.py --compare EMULATOR KERNEL DOC
  DEVDIR  the upload device (e.g. .../test_firmware/conform)
  CTLDIR  the test_firmware misc device (config_upload_name, upload_read)

The script's lines (# comments; TEXT is a Python string literal):
  section NAME                a heading in the transcript
  read FILE                   open O_RDONLY, read 4096 until 0 or an error, close
  write FILE TEXT             open O_WRONLY, one write of TEXT, close
  pwrite FILE OFF TEXT        the same at offset OFF
  open FILE r|w|rw            open and keep the descriptor (one at a time)
  fdwrite TEXT | fdread       a write or read on the kept descriptor
  close                       close it
  data SIZE CHUNK             open data once, write SIZE pattern bytes CHUNK
                              at a time at the offsets the answers give, close
  inject PHASE ERR            loading=1, data "inject:PHASE:ERR", loading=0
  upload SIZE                 loading=1, data SIZE CHUNK 4096, loading=0
  wait FILE TEXT              read FILE until it reads TEXT and a newline (at
                              most 20 s);
                              how many reads it took is not in the transcript
  readback NAME SIZE          config_upload_name=NAME, then upload_read must
                              be the pattern's first SIZE bytes
"""
import errno
import os
import sys
import time

PAGE = 4096
WAIT_S = 20.0


def pattern(size):
    """Deterministic bytes, no run of a power of two."""
    return bytes((i * 7 + i // 251) & 0xFF for i in range(size))


def err_name(e):
    return errno.errorcode.get(e.errno, str(e.errno))


class Runner:
    def __init__(self, dev, ctl):
        self.dev = dev
        self.ctl = ctl
        self.fd = None
        self.out = []

    def path(self, name):
        if name.startswith("ctl/"):
            return os.path.join(self.ctl, name[4:])
        return os.path.join(self.dev, name)

    def emit(self, line):
        self.out.append(line)

    def sys_open(self, name, flags):
        try:
            return os.open(self.path(name), flags | os.O_CLOEXEC), "open ok"
        except OSError as e:
            return None, "open " + err_name(e)

    @staticmethod
    def sys_close(fd):
        try:
            os.close(fd)
            return "close ok"
        except OSError as e:
            return "close " + err_name(e)

    @staticmethod
    def sys_read(fd, off=None):
        try:
            b = os.read(fd, PAGE) if off is None else os.pread(fd, PAGE, off)
            return b, "read %d%s" % (len(b), " " + repr(b.decode("latin-1")) if b else "")
        except OSError as e:
            return None, "read " + err_name(e)

    @staticmethod
    def sys_write(fd, data, off=None):
        try:
            n = os.write(fd, data) if off is None else os.pwrite(fd, data, off)
            return n, "write %d" % n
        except OSError as e:
            return None, "write " + err_name(e)

    def read_all(self, name):
        fd, r = self.sys_open(name, os.O_RDONLY)
        steps, text = [r], b""
        if fd is not None:
            while True:
                b, r = self.sys_read(fd)
                steps.append(r)
                if not b:
                    break
                text += b
            steps.append(self.sys_close(fd))
        return text if fd is not None else None, steps

    def op_read(self, name):
        _, steps = self.read_all(name)
        self.emit("read %s: %s" % (name, "; ".join(steps)))

    def write_once(self, name, text, off=None):
        fd, r = self.sys_open(name, os.O_WRONLY)
        steps = [r]
        if fd is not None:
            steps.append(self.sys_write(fd, text, off)[1])
            steps.append(self.sys_close(fd))
        return steps

    def op_write(self, name, lit):
        text = eval(lit).encode("latin-1")
        self.emit("write %s %r: %s" % (name, text.decode("latin-1"),
                                       "; ".join(self.write_once(name, text))))

    def op_pwrite(self, name, off, lit):
        text = eval(lit).encode("latin-1")
        steps = self.write_once(name, text, int(off))
        self.emit("pwrite %s %s %r: %s" % (name, off, text.decode("latin-1"),
                                           "; ".join(steps)))

    def op_open(self, name, mode):
        flags = {"r": os.O_RDONLY, "w": os.O_WRONLY, "rw": os.O_RDWR}[mode]
        self.fd, r = self.sys_open(name, flags)
        self.emit("open %s %s: %s" % (name, mode, r))

    def op_fdwrite(self, lit):
        text = eval(lit).encode("latin-1")
        r = self.sys_write(self.fd, text)[1] if self.fd is not None else "no descriptor"
        self.emit("fdwrite %r: %s" % (text.decode("latin-1"), r))

    def op_fdread(self):
        r = self.sys_read(self.fd, 0)[1] if self.fd is not None else "no descriptor"
        self.emit("fdread: %s" % r)

    def op_close(self):
        r = self.sys_close(self.fd) if self.fd is not None else "no descriptor"
        self.fd = None
        self.emit("close: %s" % r)

    def op_data(self, size, chunk):
        size, chunk = int(size), int(chunk)
        img = pattern(size)
        fd, r = self.sys_open("data", os.O_WRONLY)
        steps = [r]
        if fd is not None:
            off, answers = 0, []
            while off < size:
                n, r = self.sys_write(fd, img[off:off + chunk], off)
                answers.append(r)
                if not n:
                    break
                off += n
            steps += collapse(answers)
            steps.append(self.sys_close(fd))
        self.emit("data %d in %d: %s" % (size, chunk, "; ".join(steps)))

    def op_inject(self, phase, err):
        self.op_write("loading", '"1"')
        self.op_write("data", repr("inject:%s:%s" % (phase, err)))
        self.op_write("loading", '"0"')

    def op_upload(self, size):
        self.op_write("loading", '"1"')
        self.op_data(size, PAGE)
        self.op_write("loading", '"0"')

    def op_wait(self, name, lit):
        want = eval(lit).encode("latin-1")
        end = time.monotonic() + WAIT_S
        text = None
        while time.monotonic() < end:
            text, _ = self.read_all(name)
            if text is not None and text.rstrip(b"\n") == want:
                break
            time.sleep(0.002)
        got = "ok" if text is not None and text.rstrip(b"\n") == want else \
            "timed out, last %r" % text
        self.emit("wait %s %r: %s" % (name, want.decode("latin-1"), got))

    def op_readback(self, name, size):
        steps = self.write_once("ctl/config_upload_name", name.encode())
        text, rsteps = self.read_all("ctl/upload_read")
        same = text == pattern(int(size))
        self.emit("readback %s %s: %s; %s; %s" % (
            name, size, "; ".join(steps), rsteps[0],
            "the pattern" if same else "differs (%s)" % (
                "unreadable" if text is None else "%d bytes" % len(text))))

    def op_section(self, *words):
        self.emit("== " + " ".join(words))


def collapse(answers):
    """'write 4096' x 16 as one entry: the count matters, not the lines."""
    out = []
    for a in answers:
        if out and out[-1][0] == a:
            out[-1][1] += 1
        else:
            out.append([a, 1])
    return ["%s x%d" % (a, n) if n > 1 else a for a, n in out]


def split_args(line):
    """Words, except that a trailing string literal stays whole."""
    q = min([i for i in (line.find('"'), line.find("'")) if i >= 0], default=-1)
    if q < 0:
        return line.split()
    return line[:q].split() + [line[q:].strip()]


def numbered(path):
    """{SECTION#N: line}: the Nth operation of a section names a line."""
    out, sec, n = {}, "", 0
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("== "):
                sec, n = line[3:], 0
                continue
            n += 1
            out["%s#%d" % (sec, n)] = line
    return out


def compare(emu, kernel, doc):
    """Every differing operation, marked listed when DOC names its id."""
    a, b = numbered(emu), numbered(kernel)
    with open(doc) as f:
        listed = f.read()
    keys = list(a) + [k for k in b if k not in a]
    for k in keys:
        if a.get(k) == b.get(k):
            continue
        mark = "listed" if "`%s`" % k in listed else "UNLISTED"
        sys.stdout.write("@ %s %s\n  emulator: %s\n  kernel:   %s\n" % (
            k, mark, a.get(k, "(none)"), b.get(k, "(none)")))
    return 0


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--compare":
        return compare(*sys.argv[2:])
    if len(sys.argv) != 4:
        sys.stderr.write("usage: conform.py OPS DEVDIR CTLDIR\n"
                         "       conform.py --compare EMULATOR KERNEL DOC\n")
        return 2
    r = Runner(sys.argv[2], sys.argv[3])
    trace = os.environ.get("CONFORM_TRACE") == "1"
    with open(sys.argv[1]) as f:
        for num, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            words = split_args(line)
            op = getattr(r, "op_" + words[0], None)
            if not op:
                sys.stderr.write("%s:%d: unknown operation %s\n" % (sys.argv[1], num, words[0]))
                return 2
            if trace:
                sys.stderr.write("%s:%d: %s\n" % (sys.argv[1], num, line))
            op(*words[1:])
    sys.stdout.write("\n".join(r.out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
