/// A mobile carrier the host can sign contracts for, with the tariffs it offers.
///
/// The memberwise initialiser trusts its caller (values written in source); values read from
/// configuration are validated when decoded.
public struct Carrier: Sendable, Hashable, Codable {
    /// Code as transmitted by terminals: one or two ASCII digits, e.g. "1".
    public let code: String
    public let name: String
    /// Tariff names offered, matched exactly (case-sensitive).
    public let tariffs: [String]
    /// Business module that books the contract, e.g. "ledger".
    public let module: String

    public init(code: String, name: String, tariffs: [String], module: String) {
        self.code = code
        self.name = name
        self.tariffs = tariffs
        self.module = module
    }

    private enum CodingKeys: String, CodingKey {
        case code, name, tariffs, module
    }

    /// Refuses codes that are not 1-2 digits and empty tariff lists: a carrier with no tariffs
    /// could never be contracted and most likely means a broken configuration file.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let code = try container.decode(String.self, forKey: .code)
        guard (1...2).contains(code.utf8.count), code.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw DecodingError.dataCorruptedError(forKey: .code, in: container, debugDescription: "carrier code must be 1 or 2 digits")
        }
        let tariffs = try container.decode([String].self, forKey: .tariffs)
        guard !tariffs.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .tariffs, in: container, debugDescription: "carrier must offer at least one tariff")
        }
        self.init(
            code: code,
            name: try container.decode(String.self, forKey: .name),
            tariffs: tariffs,
            module: try container.decode(String.self, forKey: .module)
        )
    }
}

/// The carriers a host knows, looked up by code.
public struct CarrierRegistry: Sendable, Hashable, Codable {
    public var carriers: [Carrier]

    public init(carriers: [Carrier]) {
        self.carriers = carriers
    }

    /// The carrier with exactly this code (no trimming or zero-padding), or nil.
    public func carrier(code: String) -> Carrier? {
        carriers.first { $0.code == code }
    }

    private enum CodingKeys: String, CodingKey {
        case carriers
    }

    /// Refuses duplicate codes: lookup would silently pick the first, hiding the second entry.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let carriers = try container.decode([Carrier].self, forKey: .carriers)
        guard Set(carriers.map(\.code)).count == carriers.count else {
            throw DecodingError.dataCorruptedError(forKey: .carriers, in: container, debugDescription: "carrier codes must be unique")
        }
        self.init(carriers: carriers)
    }

    /// The three mainland carriers, each offering "monthly", "prepaid" and "data", booked by "ledger".
    public static let standard = CarrierRegistry(carriers: [
        Carrier(code: "1", name: "China Mobile", tariffs: standardTariffs, module: "ledger"),
        Carrier(code: "2", name: "China Unicom", tariffs: standardTariffs, module: "ledger"),
        Carrier(code: "3", name: "China Telecom", tariffs: standardTariffs, module: "ledger"),
    ])

    private static let standardTariffs = ["monthly", "prepaid", "data"]
}

/// Validated terms of a mobile contract.
///
/// The phone number is personal data: `description`, `debugDescription` and the mirror used by
/// `dump` show only the masked form.
public struct ContractTerms: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let carrierCode: String
    public let phoneNumber: String
    public let tariff: String

    /// - Throws: `.carrierUnknown` if `carrierCode` is not in `registry`; `.phoneNumberInvalid`
    ///   unless the number is a mainland mobile number (11 ASCII digits, "1", then 3-9);
    ///   `.tariffNotOffered` unless `tariff` is exactly one of the carrier's tariffs.
    public init(carrierCode: String, phoneNumber: String, tariff: String, registry: CarrierRegistry) throws(HostRuleError) {
        guard let carrier = registry.carrier(code: carrierCode) else {
            throw HostRuleError(.carrierUnknown, "carrier code is not in the carrier registry")
        }
        let digits = Array(phoneNumber.utf8)
        guard digits.count == 11, digits.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw HostRuleError(.phoneNumberInvalid, "phone number must be exactly 11 digits")
        }
        guard digits[0] == UInt8(ascii: "1"), (UInt8(ascii: "3")...UInt8(ascii: "9")).contains(digits[1]) else {
            throw HostRuleError(.phoneNumberInvalid, "phone number is not a mainland mobile number (must start 13 to 19)")
        }
        guard carrier.tariffs.contains(tariff) else {
            throw HostRuleError(.tariffNotOffered, "tariff is not offered by \(carrier.name)")
        }
        self.carrierCode = carrierCode
        self.phoneNumber = phoneNumber
        self.tariff = tariff
    }

    /// First 3 and last 4 digits, e.g. "138****5678": enough for a customer to recognise, too
    /// little to call. Safe to index: the initialiser guarantees 11 ASCII digits.
    public var maskedPhoneNumber: String {
        String(phoneNumber.prefix(3)) + "****" + String(phoneNumber.suffix(4))
    }

    public var description: String {
        "ContractTerms(carrier: \(carrierCode), phone: \(maskedPhoneNumber), tariff: \(tariff))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["carrierCode": carrierCode, "maskedPhoneNumber": maskedPhoneNumber, "tariff": tariff],
            displayStyle: .struct
        )
    }
}
