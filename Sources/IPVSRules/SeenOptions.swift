#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

/// The options of one line by class: a handful at most, so a small array (a dictionary
/// here cost more than the rest of the line's parsing).
struct SeenOptions {
    private var items: [(key: OptionClass, value: LineParser.Occurrence)] = []

    subscript(_ cls: OptionClass) -> LineParser.Occurrence? {
        get { items.first(where: { $0.key == cls })?.value }
        set {
            if let i = items.firstIndex(where: { $0.key == cls }) {
                if let newValue { items[i].value = newValue } else { items.remove(at: i) }
            } else if let newValue {
                items.append((cls, newValue))
            }
        }
    }

    func sorted(by areInIncreasingOrder: ((key: OptionClass, value: LineParser.Occurrence), (key: OptionClass, value: LineParser.Occurrence)) -> Bool)
        -> [(key: OptionClass, value: LineParser.Occurrence)] {
        items.sorted(by: areInIncreasingOrder)
    }
}
