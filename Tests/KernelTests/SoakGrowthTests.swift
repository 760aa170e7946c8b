import Testing

/// What a soak of a given length judges (`Kernel.SoakKernelTests.judgesRSS`, `growthNote`): pure
/// functions, so they run on the host. CI's 2-minute run must say that it does not judge RSS, and
/// a run with the full warm-up must judge it.
@Suite("soak: what a run's length can judge")
struct SoakGrowthTests {
    typealias Soak = Kernel.SoakKernelTests

    static func series(warmUp: Double) -> SampleSeries {
        var s = SampleSeries(warmUp: warmUp)
        for (i, rss) in [19_800, 14_300, 14_500, 15_200, 16_300].enumerated() {
            s.samples.append(ProcessSample(at: warmUp * Double(i) / 2, rssKiB: rss, anonKiB: 2_000, fds: 21, zombies: [], children: 1, cpu: 0))
        }
        return s
    }

    @Test func ciShortRunSaysRSSIsNotJudged() {
        #expect(!Soak.judgesRSS(120))
        let note = Soak.growthNote(120, Self.series(warmUp: Soak.warmUp(120)))
        #expect(note.hasPrefix("a short run: descriptors and private memory judged over 80 s after a 40 s warm-up; RSS NOT judged ("), "\(note)")
    }

    @Test func runsWithTheFullWarmUpJudgeRSS() {
        #expect(Soak.warmUp(360) == 120)
        #expect(Soak.judgesRSS(360))
        #expect(Soak.judgesRSS(1200))
        #expect(Soak.growthNote(1200, Self.series(warmUp: 120)) == "RSS, private memory and descriptors judged over 1080 s after a 120 s warm-up")
    }

    /// Private memory is judged on its own: VmRSS coming back (mapped code) does not count, a
    /// heap that grows past max(1 MiB, 10 %) does.
    @Test func privateMemoryIsFlatUnlessTheHeapGrows() {
        func series(anon: [Int]) -> SampleSeries {
            var s = SampleSeries(warmUp: 10)
            for (i, a) in anon.enumerated() {
                s.samples.append(ProcessSample(at: 10 + Double(i), rssKiB: 14_000 + 600 * i, anonKiB: a, fds: 21, zombies: [], children: 1, cpu: 0))
            }
            return s
        }
        #expect(series(anon: [2_864, 2_864, 2_864, 2_864, 2_864, 3_044]).privateMemoryFlat)
        #expect(series(anon: [6_264, 6_264, 7_000, 7_288, 7_288, 7_288]).privateMemoryFlat)
        #expect(!series(anon: [6_264, 6_264, 7_000, 8_000, 8_500, 9_172]).privateMemoryFlat)
        #expect(!series(anon: [2_000, 2_000, 2_500, 2_800, 3_000, 3_100]).privateMemoryFlat)
    }
}
