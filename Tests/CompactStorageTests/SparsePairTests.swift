import CompactStorage
import Testing

/// What a holder of a `SparsePair?` relies on: nil for nothing, one word, equality by value.
@Suite("SparsePair: two rare optionals behind one reference")
struct SparsePairTests {
    @Test("no values make no pair; either value makes one that keeps both")
    func make() {
        #expect(SparsePair<String>.make(nil, nil) == nil)
        let first = SparsePair.make("up", nil)
        #expect(first?.first == "up" && first?.second == nil)
        let second = SparsePair<String>.make(nil, "down")
        #expect(second?.first == nil && second?.second == "down")
    }

    @Test("two pairs of the same values are equal and hash alike; other values are not equal")
    func byValue() throws {
        let a = try #require(SparsePair.make("up", "down"))
        let b = try #require(SparsePair.make("up", "down"))
        #expect(a !== b)
        #expect(a == b && a.hashValue == b.hashValue)
        #expect(a != SparsePair.make("up", "other"))
        #expect(a != SparsePair.make("down", "up"))
        #expect(Set([a, b]).count == 1)
    }

    @Test("the holder pays one word for the two values")
    func oneWord() {
        struct Inline { var first: String?; var second: String? }
        #expect(MemoryLayout<SparsePair<String>?>.size == MemoryLayout<Int>.size)
        #expect(MemoryLayout<Inline>.size == 4 * MemoryLayout<Int>.size)
    }
}
