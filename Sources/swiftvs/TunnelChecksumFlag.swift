/// A tunnelled real server's checksum option as a flag: ipvsadm's `--tun-nocsum`, `--tun-csum` or
/// `--tun-remcsum` (`IPVSModel.Tunnel.Checksum` is the option itself).
enum TunnelChecksumFlag: ServerFlagChoice {
    case noChecksum, checksum, remoteChecksum

    var flag: (short: Character?, long: String, help: String) {
        switch self {
        case .noChecksum: return (nil, "tun-nocsum", "Tunnel without checksum.")
        case .checksum: return (nil, "tun-csum", "Tunnel with checksum.")
        case .remoteChecksum: return (nil, "tun-remcsum", "Tunnel with remote checksum offload.")
        }
    }
}
