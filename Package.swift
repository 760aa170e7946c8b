// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "swiftvs",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "IPVS", targets: ["IPVS"]),
        .library(name: "IPVSRules", targets: ["IPVSRules"]),
        .library(name: "FirewallMarks", targets: ["FirewallMarks"]),
        .library(name: "HealthCheck", targets: ["HealthCheck"]),
        .library(name: "HostNetwork", targets: ["HostNetwork"]),
        .executable(name: "swiftvs", targets: ["swiftvs"]),
        // What `swiftvs daemon` runs as when installed next to swiftvs (see DaemonMain.exec).
        .executable(name: "swiftvs-healthd", targets: ["swiftvs-healthd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
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
        // Addresses and families: the dependency-free vocabulary every other module shares.
        .target(name: "NetworkModel"),
        // The IPVS generic-netlink binding: domain types, wire encoding, the socket handle.
        .target(name: "IPVS", dependencies: ["CNetlink", "NetworkModel"]),
        // The host effects VRRP needs: rtnetlink interfaces, addresses and events, VRRP raw
        // sockets, gratuitous ARP and unsolicited neighbour advertisements, namespaces for tests.
        .target(name: "HostNetwork", dependencies: ["CNetlinkRoute", "NetworkModel"]),
        // ipvsadm-save / ipvsadm-restore text format and ipvsadm -L rendering.
        .target(name: "IPVSRules", dependencies: ["IPVS"]),
        // iptables / nft mangle MARK rules that feed fwmark services.
        .target(name: "FirewallMarks", dependencies: []),
        // The check processes' spawn: clone(CLONE_VM|CLONE_VFORK|CLONE_PIDFD) with the child's
        // stack in the caller's frame (a child function cannot be written in Swift).
        .target(name: "CSpawn"),
        // keepalived-compatible configuration, checkers and the daemon's state machine.
        .target(
            name: "HealthCheck",
            dependencies: [
                "IPVS", "IPVSRules", "FirewallMarks", "CSpawn",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "swiftvs",
            dependencies: [
                "IPVS", "IPVSRules", "FirewallMarks", "HealthCheck",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The health-check daemon alone: `swiftvs daemon` execs it, so the long-running process
        // carries neither ArgumentParser nor the Foundation it links.
        .executableTarget(name: "swiftvs-healthd", dependencies: ["HealthCheck"]),
        // Host tests: no kernel IPVS needed.
        .testTarget(name: "IPVSTests", dependencies: ["IPVS", "CNetlink"]),
        .testTarget(name: "IPVSRulesTests", dependencies: ["IPVSRules", "IPVS"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FirewallMarksTests", dependencies: ["FirewallMarks"]),
        .testTarget(name: "HealthCheckTests", dependencies: ["HealthCheck", "IPVS", "IPVSRules", "FirewallMarks",
                                                           .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "SwiftVSTests", dependencies: [
            "swiftvs", "IPVS", "IPVSRules",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Host tests in network namespaces: need root (skipped otherwise).
        .testTarget(name: "HostNetworkTests", dependencies: ["HostNetwork", "NetworkModel", "CNetlinkRoute"]),
        // Kernel tests: run inside the VM (Scripts/vm-run) against the real ip_vs modules.
        .testTarget(name: "KernelTests", dependencies: ["IPVS", "FirewallMarks", "HealthCheck"]),
    ],
    swiftLanguageModes: [.v6]
)
