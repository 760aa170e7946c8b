@_spi(Fuzzing) import FirewallMarks

/// What `nft -j list table inet swiftvs` printed, through the marks' JSON reader and rule
/// reader (`NftListingDecoding`).
enum NftTarget {
    static func run(_ bytes: [UInt8]) {
        _ = NftListingDecoding.decode(String(decoding: bytes, as: UTF8.self))
    }
}
