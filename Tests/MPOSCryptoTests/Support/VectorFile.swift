import Foundation

/// A JSON file of published test vectors under `Vectors/`: `{"origin": …, "vectors": [...]}`.
struct VectorFile<Vector: Decodable>: Decodable {
    let origin: String
    let vectors: [Vector]

    static func load(_ name: String) throws -> VectorFile<Vector> {
        try loadVectorFile(name, as: VectorFile<Vector>.self)
    }
}

/// Decodes `Vectors/<name>.json` as `File`, for files with more than the `vectors` array.
func loadVectorFile<File: Decodable>(_ name: String, as: File.Type) throws -> File {
    guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Vectors") else {
        throw VectorFileMissing(name: name)
    }
    return try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
}

struct VectorFileMissing: Error, CustomStringConvertible {
    let name: String
    var description: String { "test vector file Vectors/\(name).json is missing from the test bundle" }
}
