# Scripts/lib/host-passes.sh — the host test passes' suite lists, sourced by Scripts/test and
# Scripts/sanitize (one list, so that the two cannot drift apart).
#
# PEERS: the suites that drive real peers (keepalived, tcpdump, ip, prometheus, rtnetlink in
# namespaces) wait for those processes on the test runner's threads, which would starve the
# timing-bound unit suites beside them; they run in a pass of their own, with the one suite that
# holds a runner thread on purpose (ScrapeDuringChecksTests: its stand-in for a slow kernel read
# blocks a cooperative thread for seconds, as the netlink read it stands for does; beside the
# unit suites it made SSL_GET's timeouts fire late).
# ALONE: BlockedPoolTests holds every thread of the cooperative pool for seconds on purpose
# (checks must keep their time all the same), which would stall any suite beside it: it runs
# alone, last.
PEERS="HostNetworkTests|MetricsTests|HealthCheckTests.ScrapeDuringChecksTests|HealthCheckTests.KeepalivedCompatTests|VRRPTests.KeepalivedInteropTests|VRRPRouterTests.KeepalivedDifferentialTests|VRRPRouterTests.KeepalivedValueTests"
ALONE="HealthCheckTests.BlockedPoolTests"
