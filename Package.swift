// swift-tools-version: 6.0
import PackageDescription

// Linux only (Debian 12 and alike): the binding speaks generic netlink to the kernel's IPVS, the
// event loop is epoll, the spawn helper is clone(2). No other platform is declared or supported.

let package = Package(
    name: "swiftvs",
    products: [
        .library(name: "IPVS", targets: ["IPVS"]),
        .library(name: "IPVSRules", targets: ["IPVSRules"]),
        .library(name: "FirewallMarks", targets: ["FirewallMarks"]),
        .library(name: "HealthCheck", targets: ["HealthCheck"]),
        .library(name: "VRRP", targets: ["VRRP"]),
        .library(name: "VRRPRouter", targets: ["VRRPRouter"]),
        .library(name: "HostNetwork", targets: ["HostNetwork"]),
        // The daemon as a library: the fuzz targets (Fuzz/, a package of their own) read its
        // configuration and control requests through it.
        .library(name: "Director", targets: ["Director"]),
        .executable(name: "swiftvs", targets: ["swiftvs"]),
        // What `swiftvs daemon` runs as when installed next to swiftvs (see DaemonMain.exec).
        .executable(name: "swiftvs-healthd", targets: ["swiftvs-healthd"]),
        // What the ipvsadm, ipvsadm-save and ipvsadm-restore names run: ipvsadm's command line
        // without ArgumentParser, Foundation or the daemon (see IpvsadmFrontEnd).
        .executable(name: "swiftvs-ipvsadm", targets: ["swiftvs-ipvsadm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        // Metrics (issue 20): the engines record through swift-metrics' API, swift-prometheus
        // keeps and renders them (it brings swift-atomics, not NIO).
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        // Errno (strerror's text) and FileDescriptor (read, write, writeAll retrying EINTR and
        // short writes): see the README's "Dependencies we take and don't take, and why".
        .package(url: "https://github.com/apple/swift-system", exact: "1.8.1"),
    ],
    targets: [
        // libnl-3 / libnl-genl-3, found by pkg-config. The only C the project talks to.
        .systemLibrary(
            name: "CNetlink",
            pkgConfig: "libnl-genl-3.0",
            providers: [.apt(["libnl-3-dev", "libnl-genl-3-dev"])]
        ),
        // libnl-route-3 (rtnetlink addresses) plus the kernel UAPI headers the host-network layer
        // needs (packet sockets, ARP/ICMPv6, rtnetlink messages), found by pkg-config.
        .systemLibrary(
            name: "CNetlinkRoute",
            pkgConfig: "libnl-route-3.0",
            providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"])]
        ),
        // OpenSSL (libssl3): SSL_GET's TLS handshake, as keepalived does it. Headers only (apt
        // libssl-dev): the library is loaded with dlopen by the first SSL_GET (COpenSSL/shim.h).
        .systemLibrary(name: "COpenSSL"),
        // PCRE2 (libpcre2-8-0), found by pkg-config: HTTP_GET's and SSL_GET's `regex`, as keepalived does it.
        .systemLibrary(
            name: "CPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]
        ),
        // Addresses and families: the dependency-free vocabulary every other module shares.
        .target(name: "NetworkModel"),
        // Where a problem is in a text file and what it is: one `SourceLocation` and one
        // `Diagnostic` for rules files, command lines and keepalived.conf. Dependency-free.
        .target(name: "Diagnostics"),
        // Writing bytes and text: the one growable byte buffer (netlink messages, save text) and
        // the one JSON string escaping. Dependency-free.
        .target(name: "Serialization"),
        // Value layouts that keep large tables small: `SparsePair`, two seldom-set optionals
        // behind one reference. Dependency-free.
        .target(name: "CompactStorage"),
        // `Moment`: ContinuousClock's time as whole nanoseconds, for what runs at every wake-up
        // of an idle daemon (the reactor's timers, VRRP deadlines). Dependency-free.
        .target(name: "TimeBase"),
        // The one errno vocabulary: swift-system's Errno and FileDescriptor (re-exported) and the
        // EINTR retry for the calls it does not wrap (`valueOrErrno`).
        .target(name: "SystemErrors", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),
        // The IPVS table as values: service keys, services, destinations, entries, timeouts, sync
        // daemons, changes, batch results and IPVSError. Pure Swift: the rules formats use it
        // without linking libnl.
        .target(name: "IPVSModel", dependencies: ["NetworkModel", "SystemErrors"]),
        // The IPVS generic-netlink binding: wire encoding, the socket handle. Re-exports IPVSModel.
        .target(name: "IPVS", dependencies: ["CNetlink", "IPVSModel", "Serialization", "NetworkNamespaces", "SystemErrors"]),
        // ipvsadm-save / ipvsadm-restore text format and ipvsadm -L rendering, diff and plan.
        .target(name: "IPVSRules", dependencies: ["IPVSModel", "Diagnostics", "Serialization", "CompactStorage", "SystemErrors"]),
        // The VRRP protocol core: wire format, receive validation, timers, state machine. Pure:
        // no sockets, no clock of its own.
        .target(name: "VRRP", dependencies: ["NetworkModel", "TimeBase"]),
        // Virtual routers as keepalived runs them: the vrrp_* configuration pass, and (next) the
        // engine that drives the protocol core over HostNetwork's sockets on the event loop.
        .target(name: "VRRPRouter", dependencies: ["VRRP", "HostNetwork", "NetworkModel", "EventLoop", "KeepalivedConfig", "TimeBase", .product(name: "Logging", package: "swift-log")]),
        // The host effects VRRP needs: rtnetlink interfaces, addresses and events, VRRP raw
        // sockets, gratuitous ARP and unsolicited neighbour advertisements, namespaces for tests.
        .target(name: "HostNetwork", dependencies: ["CNetlinkRoute", "NetworkModel", "NetworkNamespaces", "SystemErrors"]),
        // iptables / nft mangle MARK rules that feed fwmark services.
        .target(name: "FirewallMarks", dependencies: ["CLinux", "NetworkModel", "Serialization", "SystemErrors"]),
        // The one C shim for the libc and Linux calls Swift's Glibc module hides (pipe2, epoll,
        // eventfd, accept4, pidfd_open, pthread_setname_np, mallopt, posix_spawn's closefrom),
        // and the check processes' spawn: clone(CLONE_VM|CLONE_PIDFD) with the child's stack in
        // a block of the caller's (a child function cannot be written in Swift).
        .target(name: "CLinux"),
        // Code run inside another network namespace on a short-lived thread, without moving the
        // caller: the one implementation under the binding's --netns and HostNetwork's.
        .target(name: "NetworkNamespaces", dependencies: ["CLinux", "SystemErrors"]),
        // The epoll reactor (waits, timers, a TaskExecutor), the process runner that starts and
        // supervises scripts on it, and the system calls they need. Knows nothing of keepalived.
        .target(name: "EventLoop", dependencies: ["CLinux", "SystemErrors", "TimeBase"]),
        // keepalived.conf as a language: lexer, statement tree with includes, locations and
        // diagnostics, the file-system seam, quoting, and the value readers every semantic pass
        // (LVS today, VRRP next) uses over the same tree.
        .target(name: "KeepalivedConfig", dependencies: ["NetworkModel", "Diagnostics", "SystemErrors"]),
        // The daemon's metrics (issue 20): its event counters kept in a swift-prometheus registry,
        // the IPVS table and the engines' state rendered at each scrape, node_exporter's labels.
        .target(
            name: "DaemonMetrics",
            dependencies: [
                "IPVSModel", "SystemErrors",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // The LVS half: virtual_server semantics, checkers, the health state machine, the daemon.
        .target(
            name: "HealthCheck",
            dependencies: [
                "IPVS", "NetworkModel", "Serialization", "CompactStorage", "IPVSRules", "FirewallMarks", "CLinux", "EventLoop", "KeepalivedConfig", "DaemonMetrics",
                "COpenSSL", "CPCRE2", "SystemErrors", "TimeBase",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The daemon: both halves of keepalived from one file (the LVS engine and the VRRP
        // routers), its options, start-up, reload, control socket and status.
        .target(
            name: "Director",
            dependencies: [
                "HealthCheck", "VRRPRouter", "VRRP", "IPVS", "FirewallMarks", "EventLoop", "KeepalivedConfig", "CLinux",
                "DaemonMetrics", "SystemErrors", "TimeBase",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The version (the VERSION file) and git commit of the build, generated before every
        // build by BuildInfoPlugin (Scripts/lib/build-info.sh).
        .target(name: "BuildInfo", plugins: ["BuildInfoPlugin"]),
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        // ipvsadm's own command line over the binding: `swiftvs ipvsadm …` and swiftvs-ipvsadm.
        .target(name: "IpvsadmFrontEnd", dependencies: ["IPVS", "IPVSRules", "Serialization", "SystemErrors"]),
        .executableTarget(name: "swiftvs-ipvsadm", dependencies: ["IpvsadmFrontEnd"]),
        .executableTarget(
            name: "swiftvs",
            dependencies: [
                "IPVS", "IPVSRules", "IpvsadmFrontEnd", "FirewallMarks", "HealthCheck", "Director", "Diagnostics", "BuildInfo", "DaemonMetrics", "Serialization",
                "SystemErrors", "CLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The health-check daemon alone: `swiftvs daemon` execs it, so the long-running process
        // carries neither ArgumentParser nor the Foundation it links.
        .executableTarget(name: "swiftvs-healthd", dependencies: ["Director"]),
        // What the test targets share: the process runner for their set-up and checks, the set-up
        // error, where the built executables are (Foundation; not a test target itself).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // The rules fixtures (Tests/IPVSRulesTests/Fixtures) and what reads them: the host suites
        // of IPVSRulesTests and the kernel suite that replays them in the VM (KernelTests' LiveTests).
        .target(name: "RulesTestSupport", dependencies: ["IPVSRules", "IPVS", "TestSupport"], path: "Tests/RulesTestSupport"),
        // Host tests: no kernel IPVS needed.
        .testTarget(name: "IPVSTests", dependencies: ["IPVS", "CNetlink", "SystemErrors"]),
        .testTarget(name: "IPVSRulesTests", dependencies: ["IPVSRules", "IPVS", "TestSupport", "RulesTestSupport", "SystemErrors"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "VRRPTests", dependencies: ["VRRP", "NetworkModel", "TimeBase"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FirewallMarksTests", dependencies: ["FirewallMarks"]),
        .testTarget(name: "SerializationTests", dependencies: ["Serialization"]),
        .testTarget(name: "CompactStorageTests", dependencies: ["CompactStorage"]),
        .testTarget(name: "SystemErrorsTests", dependencies: ["SystemErrors"]),
        .testTarget(name: "TimeBaseTests", dependencies: ["TimeBase"]),
        .testTarget(name: "HealthCheckTests", dependencies: ["HealthCheck", "Director", "EventLoop", "KeepalivedConfig", "IPVS", "IPVSRules",
                                                           "FirewallMarks", "DaemonMetrics", "CLinux",
                                                           .product(name: "Logging", package: "swift-log")],
                    exclude: ["Fixtures"]),
        .testTarget(name: "SwiftVSTests", dependencies: [
            "Director",
            "swiftvs", "IPVS", "IPVSRules", "TestSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // VRRP in network namespaces on the host (root, ip netns, keepalived, tcpdump): the harness
        // and the keepalived baseline the swiftvs VRRP tests and the vrrp benchmark compare against.
        // The vrrp_* / global_defs configuration pass: every keyword, the seeds, and a differential
        // run against `keepalived -t` (that one needs root and keepalived; skipped otherwise).
        .testTarget(name: "VRRPRouterTests", dependencies: ["VRRPRouter", "VRRP", "KeepalivedConfig", "NetworkModel",
                                                          "EventLoop", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VRRPNamespaceTests", dependencies: ["NetworkModel", "CNetlink", "TestSupport"]),
        // Host tests in network namespaces: need root (skipped otherwise).
        .testTarget(name: "HostNetworkTests", dependencies: ["HostNetwork", "NetworkModel", "CNetlinkRoute", "TestSupport"]),
        // Kernel tests: run inside the VM (Scripts/vm-run) against the real ip_vs modules.
        .testTarget(name: "KernelTests", dependencies: ["IPVS", "IPVSRules", "FirewallMarks", "HealthCheck", "DaemonMetrics", "TestSupport",
                                                        "RulesTestSupport"], exclude: ["Fixtures"]),
        // The metrics endpoint on the host: the HTTP listener against slow and hostile clients,
        // promtool, and a real Prometheus scraping a VRRP-only daemon (root, namespaces).
        .testTarget(name: "MetricsTests", dependencies: ["DaemonMetrics", "Director", "EventLoop", "IPVSModel", "HealthCheck", "TestSupport",
                                                      .product(name: "Prometheus", package: "swift-prometheus")]),
    ],
    swiftLanguageModes: [.v6]
)
