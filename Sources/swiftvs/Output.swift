#if canImport(Glibc)
import Glibc
#endif

enum FileHandleWriter {
    static func stderr(_ s: String) {
        var s = s
        s.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
    }
}
