# Scripts/lib/bench-gen.awk — deterministic IPVS rules for Scripts/bench, in
# exactly the form `ipvsadm-save -n` prints (so the file itself is the expected
# table). Variables: n (services), m (real servers per service), and optionally
# change=1 to alter the weight of exactly one real server (the "reconcile" file).
#
# Services alternate: even i -> TCP 203.0.113.A:P, odd i -> firewall mark i+1.
# Real servers are direct-routing, in 192.0.2.0/24 and 198.51.100.0/24.
BEGIN {
  if (n == "" || m == "") { print "bench-gen.awk: need -v n=N -v m=M" > "/dev/stderr"; exit 2 }
  split("wlc rr wrr lc", sched, " ")
  target = int(n / 2) * m + 1   # the one real server `change` touches (middle of the file)
  k = 0
  for (i = 0; i < n; i++) {
    if (i % 2 == 0) {
      t = i / 2
      svc = sprintf("-t 203.0.113.%d:%d", 1 + t % 250, 1024 + int(t / 250))
      rport = 1024 + int(t / 250)   # direct routing keeps the service port
    } else {
      svc = sprintf("-f %d", i + 1)
      rport = 0
    }
    printf "-A %s -s %s\n", svc, sched[1 + i % 4]
    for (j = 0; j < m; j++) {
      k++
      h = (i * m + j) % 240
      net = ((i + j) % 2 == 0) ? "192.0.2" : "198.51.100"
      w = 1 + (i + j) % 5
      if (change && k == target) w += 10
      printf "-a %s -r %s.%d:%d -g -w %d\n", svc, net, 10 + h, rport, w
    }
  }
}
