import Foundation
import MPOSHost
import Testing

private func terms(_ carrier: String, _ phone: String, _ tariff: String, registry: CarrierRegistry = .standard) throws -> ContractTerms {
    try ContractTerms(carrierCode: carrier, phoneNumber: phone, tariff: tariff, registry: registry)
}

private func decodeRegistry(_ json: String) throws -> CarrierRegistry {
    try JSONDecoder().decode(CarrierRegistry.self, from: Data(json.utf8))
}

@Suite struct CarrierRegistryTests {
    @Test func standardRegistry() throws {
        let registry = CarrierRegistry.standard
        #expect(registry.carriers.map(\.code) == ["1", "2", "3"])
        #expect(registry.carriers.map(\.name) == ["China Mobile", "China Unicom", "China Telecom"])
        for carrier in registry.carriers {
            #expect(carrier.tariffs == ["monthly", "prepaid", "data"])
            #expect(carrier.module == "ledger")
        }
        #expect(registry.carrier(code: "2")?.name == "China Unicom")
        #expect(registry.carrier(code: "4") == nil)
        #expect(registry.carrier(code: "01") == nil)
    }

    @Test func codableRoundTrip() throws {
        let data = try JSONEncoder().encode(CarrierRegistry.standard)
        #expect(try JSONDecoder().decode(CarrierRegistry.self, from: data) == .standard)
    }

    @Test func decodesAWellFormedFile() throws {
        let registry = try decodeRegistry(#"""
            {"carriers":[{"code":"12","name":"Example","tariffs":["basic"],"module":"ledger"}]}
            """#)
        #expect(registry.carrier(code: "12")?.tariffs == ["basic"])
    }

    @Test(arguments: [
        // duplicate codes
        #"{"carriers":[{"code":"1","name":"A","tariffs":["x"],"module":"m"},{"code":"1","name":"B","tariffs":["y"],"module":"m"}]}"#,
        // empty tariff list
        #"{"carriers":[{"code":"1","name":"A","tariffs":[],"module":"m"}]}"#,
        // codes that are not 1-2 digits
        #"{"carriers":[{"code":"123","name":"A","tariffs":["x"],"module":"m"}]}"#,
        #"{"carriers":[{"code":"","name":"A","tariffs":["x"],"module":"m"}]}"#,
        #"{"carriers":[{"code":"a","name":"A","tariffs":["x"],"module":"m"}]}"#,
        #"{"carriers":[{"code":" 1","name":"A","tariffs":["x"],"module":"m"}]}"#,
        #"{"carriers":[{"code":"１","name":"A","tariffs":["x"],"module":"m"}]}"#,
        #"{"carriers":[{"code":1,"name":"A","tariffs":["x"],"module":"m"}]}"#,
        // missing fields
        #"{"carriers":[{"code":"1","name":"A","tariffs":["x"]}]}"#,
        #"{}"#,
    ])
    func decodingRefusesBadFiles(_ json: String) {
        #expect(throws: (any Error).self) { try decodeRegistry(json) }
    }
}

@Suite struct ContractTermsTests {
    @Test(arguments: ["1", "2", "3"], ["monthly", "prepaid", "data"])
    func acceptsEveryStandardCarrierAndTariff(_ carrier: String, _ tariff: String) throws {
        let contract = try terms(carrier, "13800138000", tariff)
        #expect(contract.carrierCode == carrier)
        #expect(contract.phoneNumber == "13800138000")
        #expect(contract.tariff == tariff)
    }

    @Test(arguments: ["13", "14", "15", "16", "17", "18", "19"])
    func acceptsEveryMobilePrefix(_ prefix: String) {
        #expect(throws: Never.self) { try terms("1", prefix + "012345678", "monthly") }
    }

    @Test(arguments: ["4", "0", "", "01", " 1", "1 ", "１"])
    func refusesUnknownCarriers(_ carrier: String) {
        #expect(refusal { _ = try terms(carrier, "13800138000", "monthly") }?.code == .carrierUnknown)
    }

    @Test func carrierIsCheckedFirst() {
        #expect(refusal { _ = try terms("9", "123", "nope") }?.code == .carrierUnknown)
        #expect(refusal { _ = try terms("1", "123", "nope") }?.code == .phoneNumberInvalid)
    }

    @Test(arguments: [
        "1380013800", "138001380000", "", "12800138000", "11800138000", "10800138000", "23800138000",
        "+8613800138000", "8613800138000", "138 0013 8000", "138-0013-8000", "1380013800a",
        "１３８００１３８０００", " 13800138000",
    ])
    func refusesNonMobileNumbers(_ phone: String) {
        #expect(refusal { _ = try terms("1", phone, "monthly") }?.code == .phoneNumberInvalid)
    }

    @Test(arguments: ["Monthly", "MONTHLY", "monthly ", " monthly", "", "unlimited"])
    func refusesTariffsNotOffered(_ tariff: String) {
        #expect(refusal { _ = try terms("1", "13800138000", tariff) }?.code == .tariffNotOffered)
    }

    @Test func tariffMustBeOfferedByThatCarrier() {
        let registry = CarrierRegistry(carriers: [
            Carrier(code: "1", name: "A", tariffs: ["basic"], module: "ledger"),
            Carrier(code: "2", name: "B", tariffs: ["premium"], module: "ledger"),
        ])
        #expect(throws: Never.self) { try terms("2", "13800138000", "premium", registry: registry) }
        #expect(refusal { _ = try terms("1", "13800138000", "premium", registry: registry) }?.code == .tariffNotOffered)
    }

    @Test func masksThePhoneNumber() throws {
        #expect(try terms("1", "13812345678", "data").maskedPhoneNumber == "138****5678")
    }

    @Test func renderingsShowOnlyTheMaskedPhoneNumber() throws {
        let contract = try terms("3", "19987654321", "prepaid")
        for text in renderings(contract) {
            #expect(!text.contains("19987654321"))
            #expect(!text.contains("876"))
            #expect(text.contains("199****4321"))
            #expect(text.contains("prepaid"))
            #expect(text.contains("3"))
        }
        #expect(contract.description == "ContractTerms(carrier: 3, phone: 199****4321, tariff: prepaid)")
    }

    @Test(arguments: [("9", "13800138000", "monthly"), ("1", "12800138000", "monthly"), ("1", "13800138000", "weekly")])
    func refusalsNeverContainThePhoneNumber(_ carrier: String, _ phone: String, _ tariff: String) throws {
        let error = try #require(refusal { _ = try terms(carrier, phone, tariff) })
        for text in renderings(error) + [error.message] {
            #expect(!text.contains(phone))
            #expect(!text.contains(String(phone.suffix(4))))
        }
    }
}
