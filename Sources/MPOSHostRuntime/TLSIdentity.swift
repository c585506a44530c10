import Crypto
public import Foundation
public import MPOSCrypto
public import NIOSSL
import SwiftASN1
import X509
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The host's TLS identity (optional transport encryption around the already-protected
/// messages: it also hides terminal IDs and STANs from the network): a P-256 key, kept like
/// every other key as a TR-31 block under the LMK (usage S0), and a self-signed certificate
/// that terminals pin (`mpos-terminal --tls-certificate`).
public enum TLSIdentity {
    public static let certificateFile = "tls-certificate.pem"
    public static let keyFile = "tls-key.block"

    /// The names a certificate should carry: `localhost` and 127.0.0.1 always, plus
    /// `extraNames` — DNS names, or IPv4 addresses — under which terminals reach the host (a
    /// load balancer's name, say). Refuses anything else.
    public static func subjectNames(_ extraNames: [String]) throws -> (hostNames: [String], ipAddresses: [[UInt8]]) {
        var hostNames = ["localhost"], ipAddresses: [[UInt8]] = [[127, 0, 0, 1]]
        for name in extraNames {
            let octets = name.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
            let numeric = name.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
            if octets.count == 4, octets.allSatisfy({ $0 != nil }) {
                ipAddresses.append(octets.map { $0! })
            } else if !numeric,  name.range(of: #"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"#,
                                  options: .regularExpression) != nil {
                hostNames.append(name.lowercased())
            } else {
                throw HostSetupError("\(name) is neither a DNS name nor an IPv4 address")
            }
        }
        return (hostNames, ipAddresses)
    }

    /// Creates the key and certificate in the data directory (both written once).
    @discardableResult
    public static func create(in directory: DataDirectory, lmk: LocalMasterKey, hostNames: [String] = ["localhost"],
                              ipAddresses: [[UInt8]] = [[127, 0, 0, 1]], now: Date = Date()) throws -> String {
        let key = SigningPrivateKey()
        let p256 = try P256.Signing.PrivateKey(rawRepresentation: key.unsafeRawRepresentation)
        let name = try DistinguishedName { CommonName("mpos-host") }
        let names = hostNames.map(GeneralName.dnsName) + ipAddresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: $0[...])) }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(p256.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(825 * 24 * 3600),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                // Its own trust anchor: terminals pin this one certificate, and BoringSSL takes a
                // trust anchor only if it may sign certificates.
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(p256))
        let pem = try certificate.serializeAsPEM().pemString
        try write(pem + "\n", to: path(directory, certificateFile), mode: 0o644)
        try write(try lmk.store(key) + "\n", to: path(directory, keyFile), mode: 0o600)
        return pem
    }

    /// The certificate terminals pin (`mpos-terminal … --tls-certificate PATH`).
    public static func certificatePath(in directory: DataDirectory) -> String { path(directory, certificateFile) }

    public static func exists(in directory: DataDirectory) -> Bool {
        FileManager.default.fileExists(atPath: path(directory, keyFile))
    }

    /// The server's TLS context: TLS 1.2 or later, the certificate and the key from its block.
    public static func serverContext(directory: DataDirectory, lmk: LocalMasterKey) throws -> NIOSSLContext {
        guard let certificatePEM = FileManager.default.contents(atPath: path(directory, certificateFile)),
              let block = FileManager.default.contents(atPath: path(directory, keyFile)) else {
            throw HostSetupError("no TLS identity in \(directory.path) (tls-certificate.pem and tls-key.block, made by `mpos-host init` or the first `serve --tls`)")
        }
        let key = try lmk.loadSigningKey(String(decoding: block, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        let keyPEM = try P256.Signing.PrivateKey(rawRepresentation: key.unsafeRawRepresentation).pemRepresentation
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: configuration)
    }

    static func path(_ directory: DataDirectory, _ file: String) -> String {
        (directory.path as NSString).appendingPathComponent(file)
    }

    /// Created with its final mode (never readable by others, not even for a moment), once.
    private static func write(_ text: String, to path: String, mode: Int) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw HostSetupError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        do {
            try FileHandle(fileDescriptor: fd, closeOnDealloc: false).write(contentsOf: Data(text.utf8))
        } catch {
            throw HostSetupError("cannot write \(path)")
        }
        guard fsync(fd) == 0 else { throw HostSetupError("cannot write \(path)") }
    }
}
