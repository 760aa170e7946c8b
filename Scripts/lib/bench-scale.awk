# Scripts/lib/bench-scale.awk — the keepalived.conf of Scripts/bench's daemon-scale case, and the
# table it must give (ipvsadm-save -n lines), both deterministic.
#
#   awk -v nvs=2284 -v nrs=37298 -v misc_every=50 -v prog=PATH -v count=FILE \
#       -v save=EXPECTED_SAVE_FILE [-v add=1] [-v change=100] -f bench-scale.awk > keepalived.conf
#
# nvs virtual servers (even: TCP 203.0.113.A:P with P in 1024…, odd: firewall mark i+1), nrs
# real servers spread evenly over them (DR, addresses in 192.0.2.10-249 and 198.51.100.10-249,
# distinct within a virtual server; a TCP service's keep its port, a mark's have none); every
# misc_every-th real server has a MISC_CHECK running prog (which appends a line to count), the
# others a TCP_CHECK (the service's port, or 80). delay_loop 600, warmup nrs/200 s (at least
# 20): the first round of checks is spread over the warmup, at most 200 checks a second, then
# ~nrs/600 a second, so a reload measures the daemon's reload and not its checks. (A warmup of
# 20 s at 37,298 real servers, 1,800 connects a second, was more than the TCG VM's listener and
# either daemon could keep up with: checks timed out and both daemons flapped real servers.)
# add=1: one more real server (192.0.2.250) in the middle virtual server. change=N: the weight
# of the first real server of N virtual servers spread over the file is raised by 10.
BEGIN {
  if (nvs == "" || nrs == "" || prog == "" || count == "" || save == "") {
    print "bench-scale.awk: need -v nvs= nrs= prog= count= save=" > "/dev/stderr"; exit 2
  }
  if (misc_every == "") misc_every = 50
  warmup = int(nrs / 200); if (warmup < 20) warmup = 20
  split("wlc rr wrr lc", sched, " ")
  base = int(nrs / nvs); extra = nrs % nvs
  step = int(nvs / (change > 0 ? change : 1)); if (step < 1) step = 1
  mid = int(nvs / 2)
  print "global_defs {\n  router_id swiftvs_bench_scale\n}"
  k = 0
  for (i = 0; i < nvs; i++) {
    if (i % 2 == 0) {
      t = i / 2; vip = sprintf("203.0.113.%d", 1 + t % 250); port = 1024 + int(t / 250)
      printf "virtual_server %s %d {\n", vip, port
      key = sprintf("-t %s:%d", vip, port)
    } else {
      port = 0
      printf "virtual_server fwmark %d {\n", i + 1
      key = sprintf("-f %d", i + 1)
    }
    printf "  delay_loop 600\n  lb_algo %s\n  lb_kind DR\n", sched[1 + i % 4]
    if (port) print "  protocol TCP"
    printf "-A %s -s %s\n", key, sched[1 + i % 4] > save
    n = base + (i < extra ? 1 : 0)
    for (j = 0; j < n; j++) {
      h = (i * 7 + j) % 480
      addr = h < 240 ? sprintf("192.0.2.%d", 10 + h) : sprintf("198.51.100.%d", h - 230)
      w = 1 + (i + j) % 5
      if (change > 0 && j == 0 && i % step == 0 && i / step < change) w += 10
      server(addr, w)
    }
    # The added server takes no turn of the MISC_CHECK count, so the other real servers keep
    # their checkers: the file differs from the base one by this server only.
    if (add && i == mid) server("192.0.2.250", 1, 1)
    print "}"
  }
}
function server(addr, w, added) {
  if (port) printf "  real_server %s %d {\n", addr, port; else printf "  real_server %s {\n", addr
  printf "    weight %d\n", w
  if (!added && k % misc_every == misc_every - 1) {
    printf "    MISC_CHECK {\n      misc_path \"%s %s rs%d\"\n      misc_timeout 5\n      warmup %d\n    }\n", prog, count, k, warmup
  } else {
    printf "    TCP_CHECK {\n      connect_timeout 5\n%s      warmup %d\n    }\n", port ? "" : "      connect_port 80\n", warmup
  }
  print "  }"
  printf "-a %s -r %s:%d -g -w %d\n", key, addr, port, w > save
  if (!added) k++
}
