# Scripts/lib/pair/stream.py HOST PORT LOG STOPFILE — the client's long-lived TCP stream for
# the director-pair test and demo: one line every 100 ms, each answer awaited and checked
# (in order, same number) before the next. LOG gets "port P" first, then "ok SEQ SERVER GAP"
# per answer, and a JSON summary (sent, answered, max_gap, error) when STOPFILE appears or the
# stream breaks (reset, closed, 30 s without an answer, a wrong answer).
import json, os, socket, sys, time
host, port, log, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = open(log, "w", buffering=1)
s = socket.create_connection((host, port), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.settimeout(30)
out.write("port %d\n" % s.getsockname()[1])
f = s.makefile("rb")
seq, answered, max_gap, error = 0, 0, 0.0, None
last = time.monotonic()
while not os.path.exists(stop):
    seq += 1
    try:
        s.sendall(b"%d\n" % seq)
        line = f.readline()
    except Exception as e:
        error = "%s: %s" % (type(e).__name__, e)
        break
    if not line:
        error = "connection closed"
        break
    now = time.monotonic()
    name, _, n = line.decode().strip().partition(" ")
    if n != str(seq):
        error = "line %d answered with %r" % (seq, line)
        break
    answered += 1
    gap, last = now - last, now
    max_gap = max(max_gap, gap)
    out.write("ok %d %s %.3f\n" % (seq, name, gap))
    time.sleep(max(0.0, 0.1 - (time.monotonic() - now)))
out.write("summary " + json.dumps({"sent": seq, "answered": answered, "max_gap": max_gap, "error": error}) + "\n")
