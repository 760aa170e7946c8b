// The `nft -j` reader, reachable from the fuzz targets (Fuzz/), another package that sees only
// public API. SPI: `@_spi(Fuzzing) import FirewallMarks`; nothing else uses it.

/// What `NftBackend.read` does with nft's output: the JSON reader, the `nftables` array, and
/// the table's items read back into rules (`NftBackend.state(from:)`, `parseRule`).
@_spi(Fuzzing)
public enum NftListingDecoding {
    /// The rules read from `output`, -1 when it is not JSON, -2 when it has no `nftables` array.
    public static func decode(_ output: String) -> Int {
        guard let json = try? JSON.parse(output) else { return -1 }
        guard let items = json["nftables"]?.arrayValue else { return -2 }
        let state = NftBackend.state(from: items)
        // Every rule read back is one the save line gives back unchanged (what `save
        // --with-marks` writes and `restore` reads).
        for installed in state.rules {
            let again = try? MarkRule.parseSaveLine(installed.rule.saveLine)
            precondition(again == installed.rule, "nft rule \(installed.rule) does not survive its save line '\(installed.rule.saveLine)'")
        }
        return state.rules.count + state.unrecognised.count
    }
}
