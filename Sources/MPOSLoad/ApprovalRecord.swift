public import Foundation

/// One operation the terminals saw approved, with the reference the host answered.
public struct ApprovalRecord: Sendable, Codable, Equatable {
    public var operation: LoadOperation
    public var reference: String
    public var terminal: String

    public init(operation: LoadOperation, reference: String, terminal: String) {
        self.operation = operation
        self.reference = reference
        self.terminal = terminal
    }

    /// Reads a record file: one JSON object per line.
    public static func read(from url: URL) throws -> [ApprovalRecord] {
        let decoder = JSONDecoder()
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { try decoder.decode(ApprovalRecord.self, from: Data($0.utf8)) }
    }
}

/// Appends each approval to a file as it happens (one JSON line), written out every second
/// and at the end: if the generator itself dies, what it had written still counts.
public actor ApprovalRecorder {
    private let handle: FileHandle
    private var pending = Data()
    private let encoder = JSONEncoder()

    /// Creates (or empties) the file at `url`.
    public init(url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        encoder.outputFormatting = [.sortedKeys]
    }

    public func approved(_ record: ApprovalRecord) {
        guard let line = try? encoder.encode(record) else { return }
        pending.append(line)
        pending.append(0x0A)
    }

    public func flush() throws {
        guard !pending.isEmpty else { return }
        try handle.write(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
    }

    public func close() throws {
        try flush()
        try handle.close()
    }
}

/// Every approval a run recorded, checked against the references the host holds
/// (`mpos-host references`): each must be there, and no two approvals may share one.
public struct LoadVerification: Sendable, Codable, Equatable {
    public var approved: [String: Int]
    public var found: [String: Int]
    /// Approved references the host does not hold.
    public var missing: [String]
    /// References the run saw approved more than once (two operations answered with one).
    public var duplicated: [String]

    public var isComplete: Bool { missing.isEmpty && duplicated.isEmpty }

    public init(records: [ApprovalRecord], hostContracts: [String], hostCardOpenings: [String]) {
        let held: [LoadOperation: Set<String>] = [.contractSigning: Set(hostContracts), .cardOpening: Set(hostCardOpenings)]
        var approved: [String: Int] = [:], found: [String: Int] = [:], seen: [LoadOperation: Set<String>] = [:]
        var missing: [String] = [], duplicated: [String] = []
        for record in records {
            approved[record.operation.name, default: 0] += 1
            if !seen[record.operation, default: []].insert(record.reference).inserted { duplicated.append(record.reference) }
            if held[record.operation]?.contains(record.reference) == true {
                found[record.operation.name, default: 0] += 1
            } else {
                missing.append(record.reference)
            }
        }
        self.approved = approved
        self.found = found
        self.missing = missing
        self.duplicated = duplicated
    }
}
