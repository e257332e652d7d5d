#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A stand-in for QEMU in tests/lease/test_contrib.sh: it "initialises the
# machine" until the file $FAKE_QEMU_DIR/init exists, then serves QMP on the
# -qmp unix: socket it was given until $FAKE_QEMU_DIR/quit exists. While
# $FAKE_QEMU_DIR/preconfig exists it is in -preconfig: query-status answers
# $FAKE_QEMU_PRECONFIG_STATUS ("preconfig" as QEMU < 6.0 did; "prelaunch"
# as QEMU 7.2 does) and query-kvm is refused as QEMU refuses it before
# machine initialization; afterwards query-status answers $FAKE_QEMU_STATUS
# (default "running") and query-kvm succeeds. Each status answered is
# appended to $FAKE_QEMU_DIR/answers; other commands get an empty return.
# It writes its pid to $FAKE_QEMU_DIR/pid.
import os
import socket
import sys
import time

d = os.environ["FAKE_QEMU_DIR"]
status = os.environ.get("FAKE_QEMU_STATUS", "running")
args = sys.argv[1:]
path = args[args.index("-qmp") + 1].split(",")[0][len("unix:"):]
with open(os.path.join(d, "pid.tmp"), "w") as f:
    f.write("%d\n" % os.getpid())
os.rename(os.path.join(d, "pid.tmp"), os.path.join(d, "pid"))


def wait_for(name):
    for _ in range(4000):
        if os.path.exists(os.path.join(d, name)):
            return
        time.sleep(0.005)
    sys.exit("fake-qemu: no %s" % name)


def answer(c, line):
    pre = os.path.exists(os.path.join(d, "preconfig"))
    if b"query-kvm" in line and pre:
        c.sendall(b'{"error": {"class": "GenericError", "desc": "The command \'query-kvm\' '
                  b'is permitted only after machine initialization has completed"}}\r\n')
        return
    if b"query-status" not in line:
        c.sendall(b'{"return": {}}\r\n')
        return
    st = os.environ.get("FAKE_QEMU_PRECONFIG_STATUS", "preconfig") if pre else status
    # An event first: the watcher must skip it.
    c.sendall(b'{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RESUME"}\r\n')
    c.sendall(b'{"return": {"status": "%s", "running": false}}\r\n' % st.encode())
    with open(os.path.join(d, "answers"), "a") as f:
        f.write(st + "\n")


wait_for("init")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
s.settimeout(20)
c, _ = s.accept()
c.settimeout(0.05)
c.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\r\n')
buf = b""
quit_file = os.path.join(d, "quit")
while not os.path.exists(quit_file):
    try:
        chunk = c.recv(4096)
    except socket.timeout:
        continue
    if not chunk:
        break
    buf += chunk
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        answer(c, line)
wait_for("quit")
