import ArgumentParser
import Foundation
import MPOSCrypto
import MPOSHost
import MPOSHostRuntime

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the data directory: the store, the LMK file, the host's keys and the first base master key.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Form the first base master key from 2 or 3 custodians' components (key ceremony) instead of generating it.")
    var ceremony: Int?

    @Option(name: .customLong("tls-name"), help: ArgumentHelp(
        "Another name (DNS name or IPv4 address) the TLS certificate carries, e.g. the load balancer's; repeat for more.",
        discussion: "localhost and 127.0.0.1 are always in it. Terminals that check the name reach the host under one of these."))
    var tlsNames: [String] = []

    func run() async throws {
        try await runReportingErrors {
            // Everything that can be refused is checked before anything is created.
            let names = try TLSIdentity.subjectNames(tlsNames)
            let baseKey = try ceremony.map { try KeyComponents.combine(readKeyComponents(count: $0), as: BaseDerivation.self) }
            let directory = global.directory
            let lmkFileExisted = FileManager.default.fileExists(atPath: directory.localMasterKeyPath)
            let lmk = try directory.create()
            let result: HostAdministration.Initialization
            do {
                let store = try await directory.openStore(creating: true)
                do {
                    result = try await HostAdministration.initialize(
                        store: store, lmk: lmk, actor: global.auditActor, baseMasterKey: baseKey,
                        origin: ceremony.map { "ceremony (\($0) components)" } ?? "generated")
                    try await store.close()
                } catch {
                    try? await store.close()
                    throw error
                }
                try TLSIdentity.create(in: directory, lmk: lmk, hostNames: names.hostNames, ipAddresses: names.ipAddresses)
            } catch {
                directory.removeAfterFailedInit(createdLocalMasterKeyFile: !lmkFileExisted)
                throw error
            }
            let summary: [String: String] = [
                "data_directory": directory.path, "lmk_check_value": try lmk.checkValue().hex,
                "host_signing_key": result.signingKeyFingerprint, "host_sealing_key": result.sealingKeyFingerprint,
                "base_master_key_version": String(result.baseMasterKey.version), "base_master_key_check_value": result.baseMasterKey.checkValue,
            ]
            if global.json { printJSON(summary); return }
            print("""
                Initialised \(directory.path)
                  store                      \(try directory.storeLocation())
                  LMK                        \(directory.localMasterKeyPath) (owner-only; check value \(summary["lmk_check_value"]!))
                                             keep it out of the data directory's backups; in production, on another
                                             volume (--lmk-file) or from a secret manager (MPOS_LMK)
                  host signing key           \(result.signingKeyFingerprint)
                  host sealing key           \(result.sealingKeyFingerprint)
                  base master key            version \(result.baseMasterKey.version), check value \(result.baseMasterKey.checkValue) (\(result.baseMasterKey.origin))
                  TLS certificate            \(directory.path)/\(TLSIdentity.certificateFile) (for `serve --tls`; terminals pin it)
                Next: mpos-host operator add 01 --name "Operator 01" --data-dir \(directory.path)
                      mpos-host terminal add --label "Counter 1" --data-dir \(directory.path)
                """)
        }
    }
}
