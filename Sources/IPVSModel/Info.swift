/// GET_INFO: IPVS version and connection hash table size.
public struct Info: Hashable, Sendable {
    /// Encoded like the kernel's IP_VS_VERSION_CODE: 0x010201 is 1.2.1.
    public var versionCode: UInt32
    public var connectionTableSize: UInt32

    public init(versionCode: UInt32, connectionTableSize: UInt32) {
        self.versionCode = versionCode
        self.connectionTableSize = connectionTableSize
    }

    /// "1.2.1"
    public var version: String {
        "\(versionCode >> 16 & 0xFF).\(versionCode >> 8 & 0xFF).\(versionCode & 0xFF)"
    }
}
