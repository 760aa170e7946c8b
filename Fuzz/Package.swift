// swift-tools-version: 6.0
import PackageDescription

// libFuzzer targets for swiftvs's parsers and decoders (Scripts/fuzz builds and runs them).
//
// A package of its own, beside the main one, because a fuzz target links only with
// `-sanitize=fuzzer` (libFuzzer's driver and the coverage callbacks), which `Scripts/fuzz`
// passes (`swift build -Xswiftc -sanitize=fuzzer,address`, to every module, so the code under
// test is instrumented too). The main package builds as before, without it. Its `main` hands
// the command line to libFuzzer's driver (`LLVMFuzzerRunDriver`). The targets see the main
// package's public API, plus a few `@_spi(Fuzzing)` entry points for decoders that are
// internal there.

// The main package is the directory above this one; its identity is that directory's name,
// lowercased, whatever the clone is called.
let mainPackageDirectory = String(#filePath.split(separator: "/").dropLast(2).last!).lowercased()

let package = Package(
    name: "swiftvs-fuzz",
    dependencies: [
        .package(path: ".."),
    ],
    targets: [
        // libFuzzer's driver entry, declared for Swift.
        .target(name: "CFuzzer"),
        .executableTarget(
            name: "swiftvs-fuzz",
            dependencies: [
                "CFuzzer",
                .product(name: "IPVS", package: mainPackageDirectory),
                .product(name: "IPVSRules", package: mainPackageDirectory),
                .product(name: "FirewallMarks", package: mainPackageDirectory),
                .product(name: "HealthCheck", package: mainPackageDirectory),
                .product(name: "VRRP", package: mainPackageDirectory),
                .product(name: "HostNetwork", package: mainPackageDirectory),
                .product(name: "Director", package: mainPackageDirectory),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
