/// What names a netlink attribute's type: the number in its header (flags stripped).
///
/// The kernel declares each set of attribute types as a C enumeration numbered from 1
/// (`enum { IPVS_SVC_ATTR_UNSPEC = 0, IPVS_SVC_ATTR_AF, IPVS_SVC_ATTR_PROTOCOL, … }`); the
/// binding declares each the same way, as a Swift enum with `UInt16` raw values
/// (``IPVSWire/ServiceAttr`` and its siblings), so the writers and readers take either such a
/// case or a bare number (netlink's own types, a test's unknown one).
protocol AttributeType {
    /// The type number on the wire.
    var number: UInt16 { get }
}

extension UInt16: AttributeType {
    @inline(__always) var number: UInt16 { self }
}

extension AttributeType where Self: RawRepresentable, RawValue == UInt16 {
    @inline(__always) var number: UInt16 { rawValue }
}
