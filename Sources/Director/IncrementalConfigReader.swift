import HealthCheck
import KeepalivedConfig
import Synchronization
import VRRPRouter

/// Reads a daemon's configuration for a reload, again only where it changed.
///
/// After each successful read it keeps, for the main file, its text, the digest of each
/// top-level chunk (`ConfigChunks`) and the virtual server each `virtual_server` chunk read to.
/// The next read splits the file again (cutting only the bytes between the chunks that are the
/// same at its start and end, `ConfigChunks.split(_:previous:chunks:)`) and, when every chunk that is not a `virtual_server` is the same text
/// as before, reads only the `virtual_server` chunks whose text is new (with the
/// `virtual_server_group`, `SSL` and `track_file` blocks they may name) and reuses the others'
/// virtual servers, moved to their new lines. Diagnostics of what is read again are where the
/// text is in the file; the warnings of what is reused are the last read's, moved with it.
///
/// The whole file is read (as by `DirectorCheckResult.check`) when:
/// * there is no earlier read of it to compare with (the first read, or the last one failed
///   or could not be split);
/// * `ConfigChunks.split` refuses the file: a `$` definition or substitution, an `@` config-id
///   line, `~SEQ`, a continued line or an `include` anywhere (each can change the text of
///   chunks that did not change themselves, or brings text the digests do not cover), a line
///   too long for keepalived's buffer, or braces that do not balance;
/// * a chunk that is not exactly one `virtual_server` changed, appeared, went or changed
///   places: `global_defs`, VRRP blocks, groups, `SSL`, `track_file` (their meaning reaches
///   the virtual servers or the VRRP half, which is then read again as a whole);
/// * a VRRP or `global_defs` chunk moved to other lines (the VRRP half's locations would be
///   stale), or, with `track_file` blocks in the file, a reused virtual server now has another
///   number of other chunks before it (a FILE_CHECK names only a track_file defined before it);
/// * a chunk read again does not read to exactly one virtual server.
///
/// What is not read again: the files a reused block names (a MISC_CHECK's program that became
/// executable or not since, a track_file's file) are looked at by the running checkers, not
/// by the reload's check.
public final class IncrementalConfigReader: Sendable {
    public let file: String
    public let configID: String?
    private let last = Mutex<Snapshot?>(nil)
    /// A start-up's read, whose snapshot is made once the daemon has started
    /// (`completeSnapshot`): cutting the file into chunks is not on the way to the first
    /// kernel change.
    private let pending = Mutex<(text: String, config: DirectorConfig, diagnostics: [Diagnostic])?>(nil)

    public init(file: String, configID: String?) {
        self.file = file
        self.configID = configID
    }

    /// The last successful read, as the next one compares with it.
    struct Snapshot: Sendable {
        /// The text read: the next read compares its own with it (`ConfigChunks.split(_:previous:chunks:)`)
        /// and cuts only what differs (empty once a read has cut with it and failed).
        var text: String
        var chunks: [ConfigChunk]
        /// Per chunk: the index in `config.lvs.virtualServers` of the virtual server it read to
        /// (a `virtual_server` chunk; not a copy of it: 2,285 copies of 416 bytes were 0.95 MB
        /// held, twice at a reload), its index among the others before it, and the warnings
        /// within its lines.
        var serverIndex: [Int?]
        var othersBefore: [Int]
        var warnings: [[Diagnostic]]
        var config: DirectorConfig
    }

    /// Blocks of the LVS pass whose meaning reaches the virtual servers: read again with every
    /// virtual server that is.
    static let sharedLVSBlocks: Set<String> = ["virtual_server_group", "SSL", "track_file", "vrrp_track_file"]

    /// Reads the configuration through `files` (the main file once; included files only when
    /// the whole file is read) and keeps what the next read compares with when it has no error.
    /// With `deferSnapshot` (start-up) that is made later, by `completeSnapshot()`.
    public func read(files: any ConfigFileSystem, deferSnapshot: Bool = false) -> ConfigRead {
        completeSnapshot()
        if deferSnapshot {
            let text = try? files.read(file)
            let fs: any ConfigFileSystem = text.map { TextOverlay(file: file, text: $0, base: files) } ?? files
            let result = DirectorCheckResult.check(file: file, fileSystem: fs, configID: configID)
            if let text, let config = result.config, !result.hasErrors {
                pending.withLock { $0 = (text, config, result.diagnostics) }
            }
            return ConfigRead(result: result, reread: nil, wholeFileReason: "start-up")
        }
        var phases = ReadPhases()
        let text: String
        do { text = try files.read(file) } catch {
            return whole(files: files, text: nil, reason: "the file could not be read", phases: phases)
        }
        phases.end("file")
        var previous = last.withLock { $0 }
        let chunks = previous.map { ConfigChunks.split(text, previous: $0.text, chunks: $0.chunks) } ?? ConfigChunks.split(text)
        // Only the cut reads the old text: let go of it now, not once the new snapshot takes
        // its place, so that the file's text is not held twice through the parse and merge
        // (4.8 MB each at 37,000 real servers: the peak of a reload). A read that fails keeps
        // the old snapshot without its text: the next one then cuts the whole file (its
        // chunks are compared by digest all the same).
        previous?.text = ""
        last.withLock { $0?.text = "" }
        phases.end("cut and digested")
        guard let chunks else { return whole(files: files, text: text, reason: "it uses the preprocessor or include", phases: phases) }
        guard let snapshot = previous else {
            return whole(files: files, text: text, chunks: chunks, reason: "no earlier read to compare with", phases: phases)
        }
        switch changed(text: text, chunks: chunks, from: snapshot, files: files, phases: &phases) {
        case let .read(read): return read
        case let .whole(reason): return whole(files: files, text: text, chunks: chunks, reason: reason, phases: phases)
        }
    }

    /// Makes the snapshot of a start-up's read (`read(files:deferSnapshot:)`), if one waits.
    public func completeSnapshot() {
        guard let (text, config, diagnostics) = pending.withLock({ p in defer { p = nil }; return p }) else { return }
        let snapshot = ConfigChunks.split(text).flatMap { Self.snapshot(text: text, chunks: $0, config: config, diagnostics: diagnostics, file: file) }
        last.withLock { $0 = snapshot }
    }

    /// Forgets the last read: the next one reads the whole file.
    public func forget() { last.withLock { $0 = nil } }

    private enum Outcome {
        case read(ConfigRead)
        case whole(String)
    }

    private func whole(files: any ConfigFileSystem, text: String?, chunks: [ConfigChunk]? = nil, reason: String,
                       phases: ReadPhases) -> ConfigRead {
        var phases = phases
        let fs: any ConfigFileSystem = text.map { TextOverlay(file: file, text: $0, base: files) } ?? files
        let result = DirectorCheckResult.check(file: file, fileSystem: fs, configID: configID)
        phases.end("read and checked whole")
        let snapshot = result.hasErrors ? nil : result.config.flatMap { config in
            chunks.flatMap { c in text.flatMap { Self.snapshot(text: $0, chunks: c, config: config, diagnostics: result.diagnostics, file: file) } }
        }
        last.withLock { $0 = snapshot }
        phases.end("snapshot")
        return ConfigRead(result: result, reread: nil, wholeFileReason: reason, phases: phases)
    }

    /// The snapshot of a whole read: nil when its virtual servers are not one per
    /// `virtual_server` chunk.
    static func snapshot(text: String, chunks: [ConfigChunk], config: DirectorConfig, diagnostics: [Diagnostic], file: String) -> Snapshot? {
        var serverIndex = [Int?](repeating: nil, count: chunks.count)
        var othersBefore = [Int](repeating: 0, count: chunks.count)
        var warnings = [[Diagnostic]](repeating: [], count: chunks.count)
        var others = 0
        for (i, c) in chunks.enumerated() {
            othersBefore[i] = others
            if !c.isVirtualServer { others += 1 }
        }
        for (n, vs) in config.lvs.virtualServers.enumerated() {
            guard vs.location.file == file, let i = chunkIndex(line: vs.location.line, in: chunks),
                  chunks[i].isVirtualServer, serverIndex[i] == nil else { return nil }
            serverIndex[i] = n
        }
        for (i, c) in chunks.enumerated() where c.isVirtualServer && serverIndex[i] == nil { return nil }
        for d in diagnostics {
            guard d.location.file == file, let i = chunkIndex(line: d.location.line, in: chunks) else { return nil }
            warnings[i].append(d)
        }
        return Snapshot(text: text, chunks: chunks, serverIndex: serverIndex, othersBefore: othersBefore, warnings: warnings,
                        config: config)
    }

    /// The chunk whose lines hold `line`.
    static func chunkIndex(line: Int, in chunks: [ConfigChunk]) -> Int? {
        var lo = 0, hi = chunks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if chunks[mid].lines.upperBound < line { lo = mid + 1 } else { hi = mid }
        }
        return lo < chunks.count && chunks[lo].lines.contains(line) ? lo : nil
    }

    /// The read of `text` against the last one: only its changed virtual_server chunks read
    /// again, or why the whole file must be.
    private func changed(text: String, chunks: [ConfigChunk], from old: Snapshot, files: any ConfigFileSystem,
                         phases: inout ReadPhases) -> Outcome {
        if let reason = Self.othersChanged(chunks, from: old) { return .whole(reason) }
        let plan = Self.reuse(chunks, of: old, text: text)
        phases.end("compared")
        let document = ConfigDocument.load(pieces: plan.pieces, file: file, fileSystem: files)
        let lvs = ConfigParser.check(document: document, fileSystem: files, otherPasses: VRRPConfigReader.ownedKeywords,
                                     releasingBlocks: true)
        phases.end("\(plan.readAgain.count) block\(plan.readAgain.count == 1 ? "" : "s") parsed")
        guard let fresh = Self.fresh(lvs, in: chunks, reused: plan.reused) else {
            return .whole("a block read again gave another virtual server than its own")
        }
        if lvs.config != nil, fresh.count != plan.readAgain.count { return .whole("a block read again gave no virtual server") }
        var diagnostics = lvs.diagnostics
        let (servers, unchanged) = Self.merge(chunks, reused: plan.reused, fresh: fresh, old: old, diagnostics: &diagnostics)
        if lvs.config != nil { diagnostics += ConfigParser.duplicates(servers) }
        diagnostics = ConfigParser.sortedBySource(diagnostics)
        phases.end("merged")
        let reread = (chunks: plan.readAgain.count, of: chunks.count)
        guard !diagnostics.contains(where: { $0.severity == .error }) else {
            return .read(ConfigRead(result: DirectorCheckResult(config: nil, diagnostics: diagnostics), reread: reread, phases: phases))
        }
        var config = old.config
        config.lvs = DaemonConfig(virtualServers: servers, warnings: diagnostics.filter { $0.severity == .warning })
        let result = DirectorCheckResult(config: config, diagnostics: diagnostics)
        last.withLock { $0 = Self.snapshot(text: text, chunks: chunks, config: config, diagnostics: diagnostics, file: file) }
        phases.end("snapshot")
        return .read(ConfigRead(result: result, reread: reread, unchanged: unchanged, phases: phases))
    }

    /// Why the whole file must be read when a chunk that is not one virtual_server changed:
    /// every such chunk must be the same text, in the same order (and VRRP's and global_defs'
    /// on the same lines). Nil when they are.
    private static func othersChanged(_ chunks: [ConfigChunk], from old: Snapshot) -> String? {
        let oldOthers = old.chunks.indices.filter { !old.chunks[$0].isVirtualServer }
        let newOthers = chunks.indices.filter { !chunks[$0].isVirtualServer }
        guard oldOthers.count == newOthers.count else { return "a block other than a virtual_server was added or removed" }
        for (o, n) in zip(oldOthers, newOthers) {
            guard old.chunks[o].digest == chunks[n].digest else { return "'\(chunks[n].keyword)' at line \(chunks[n].lines.lowerBound) changed" }
            let keyword = chunks[n].keyword
            if !sharedLVSBlocks.contains(keyword), old.chunks[o].lines != chunks[n].lines {
                return "'\(keyword)' moved from line \(old.chunks[o].lines.lowerBound) to \(chunks[n].lines.lowerBound)"
            }
        }
        return nil
    }

    /// Which virtual_server chunks reuse the virtual server of an old chunk of the same text
    /// (`reused`: chunk -> old chunk; with track_file blocks, only one with as many other chunks
    /// before it), which are read again, and the text to read: those and the shared LVS blocks.
    private static func reuse(_ chunks: [ConfigChunk], of old: Snapshot, text: String)
        -> (reused: [Int?], readAgain: [Int], pieces: [(text: Substring, firstLine: Int)])
    {
        let trackFiles = chunks.contains { !$0.isVirtualServer && ($0.keyword == "track_file" || $0.keyword == "vrrp_track_file") }
        // The old virtual_server chunks by digest, each list in file order.
        var reusable: [ChunkDigest: [Int]] = [:]
        for i in old.chunks.indices.reversed() where old.chunks[i].isVirtualServer { reusable[old.chunks[i].digest, default: []].append(i) }
        var reused = [Int?](repeating: nil, count: chunks.count)
        var others = 0
        var pieces: [(text: Substring, firstLine: Int)] = []
        var readAgain: [Int] = []
        let utf8 = text.utf8
        func piece(_ c: ConfigChunk) -> Substring {
            Substring(utf8[utf8.index(utf8.startIndex, offsetBy: c.bytes.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: c.bytes.upperBound)])
        }
        for (i, c) in chunks.enumerated() {
            if !c.isVirtualServer {
                if sharedLVSBlocks.contains(c.keyword) { pieces.append((piece(c), c.lines.lowerBound)) }
                others += 1
                continue
            }
            if let o = reusable[c.digest]?.popLast(), !(trackFiles && old.othersBefore[o] != others) {
                reused[i] = o
            } else {
                pieces.append((piece(c), c.lines.lowerBound))
                readAgain.append(i)
            }
        }
        return (reused, readAgain, pieces)
    }

    /// The virtual servers read again, by chunk; nil when one is not its chunk's own (another
    /// chunk's, a reused one's, or a second of the same chunk).
    private static func fresh(_ lvs: ConfigCheckResult, in chunks: [ConfigChunk], reused: [Int?]) -> [Int: VirtualServerConfig]? {
        var fresh: [Int: VirtualServerConfig] = [:]
        for vs in lvs.config?.virtualServers ?? [] {
            guard let i = chunkIndex(line: vs.location.line, in: chunks), chunks[i].isVirtualServer, reused[i] == nil,
                  fresh[i] == nil else { return nil }
            fresh[i] = vs
        }
        return fresh
    }

    /// The running virtual servers, moved to their new lines, and the new ones, in file order,
    /// with `unchanged` (new index -> old, see `ConfigRead.unchanged`); the reused blocks'
    /// warnings, moved with them, and the other chunks' are added to `diagnostics`.
    private static func merge(_ chunks: [ConfigChunk], reused: [Int?], fresh: [Int: VirtualServerConfig], old: Snapshot,
                              diagnostics: inout [Diagnostic]) -> (servers: [VirtualServerConfig], unchanged: [Int: Int]) {
        var servers: [VirtualServerConfig] = []
        var unchanged: [Int: Int] = [:]
        servers.reserveCapacity(chunks.count)
        for (i, c) in chunks.enumerated() {
            if let o = reused[i], let was = old.serverIndex[o] {
                unchanged[servers.count] = was
                let delta = c.lines.lowerBound - old.chunks[o].lines.lowerBound
                servers.append(old.config.lvs.virtualServers[was].moved(lines: delta))
                diagnostics += old.warnings[o].map { Self.moved($0, lines: delta) }
            } else if let vs = fresh[i] {
                servers.append(vs)
            }
        }
        for o in old.chunks.indices where !old.chunks[o].isVirtualServer && !sharedLVSBlocks.contains(old.chunks[o].keyword) {
            diagnostics += old.warnings[o]
        }
        return (servers, unchanged)
    }

    static func moved(_ d: Diagnostic, lines delta: Int) -> Diagnostic {
        var d = d
        d.location.line += delta
        return d
    }
}
