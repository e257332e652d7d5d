#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A stand-in for QEMU in tests/lease/test_contrib.sh: it "initialises the
# machine" until the file $FAKE_QEMU_DIR/init exists, then serves QMP on the
# -qmp unix: socket it was given, answering every command with a return,
# until $FAKE_QEMU_DIR/quit exists. It writes its pid to $FAKE_QEMU_DIR/pid.
import os
import socket
import sys
import time

d = os.environ["FAKE_QEMU_DIR"]
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


wait_for("init")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
s.settimeout(20)
c, _ = s.accept()
c.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\r\n')
buf = b""
answered = 0
while answered < 2:
    chunk = c.recv(4096)
    if not chunk:
        break
    buf += chunk
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        if b"query-status" in line:
            c.sendall(b'{"return": {"status": "running", "running": true}}\r\n')
        else:
            c.sendall(b'{"return": {}}\r\n')
        answered += 1
wait_for("quit")
