/// Why a reply could not be decoded.
struct DecodeError: Error, Equatable, CustomStringConvertible {
    var message: String
    var description: String { message }
}
