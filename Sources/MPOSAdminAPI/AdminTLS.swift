import Foundation
import MPOSHost
public import NIOSSL

/// The admin API's HTTPS identity: a certificate of its own (the bank's PKI, not the
/// self-signed one terminals pin), from PEM files.
public enum AdminTLS {
    public static func configuration(certificate: String, privateKey: String) throws -> TLSConfiguration {
        let attributes = try? FileManager.default.attributesOfItem(atPath: privateKey)
        if let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw HostError(.invalidRequest, "\(privateKey) is readable by others: chmod 600 it")
        }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: privateKey, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            return configuration
        } catch {
            throw HostError(.invalidRequest, "cannot read the admin API's certificate or key (PEM files expected): check --admin-certificate and --admin-private-key")
        }
    }
}
