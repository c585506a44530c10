/// Markup built so that no value can become markup: tag and attribute names are string
/// literals (`StaticString`), and every value — text or attribute — is escaped as it is added.
/// A terminal label such as `<script>` is shown as those characters, never run.
struct HTML: Sendable {
    private(set) var rendered: String

    private init(rendered: String) { self.rendered = rendered }

    static let empty = HTML(rendered: "")

    /// Text, escaped.
    static func text(_ value: String) -> HTML { HTML(rendered: escape(value)) }

    /// An element; `nil` attribute values are left out, `""` writes a bare boolean attribute.
    static func element(_ tag: StaticString, _ attributes: KeyValuePairs<StaticString, String?> = [:], _ children: [HTML] = []) -> HTML {
        var out = "<\(tag)"
        for (name, value) in attributes {
            guard let value else { continue }
            out += value.isEmpty ? " \(name)" : " \(name)=\"\(escape(value))\""
        }
        out += ">"
        if voidElements.contains("\(tag)") { return HTML(rendered: out) }
        for child in children { out += child.rendered }
        out += "</\(tag)>"
        return HTML(rendered: out)
    }

    /// A whole document.
    static func document(_ root: HTML) -> String { "<!DOCTYPE html>\n" + root.rendered }

    static func + (lhs: HTML, rhs: HTML) -> HTML { HTML(rendered: lhs.rendered + rhs.rendered) }

    private static let voidElements: Set<String> = ["input", "meta", "link", "br", "hr", "img"]

    /// `&`, `<`, `>`, `"` and `'` as character references: safe in text and in quoted attributes.
    static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}

/// Builds `[HTML]` from statements, `if`, `for` and optionals.
@resultBuilder
enum HTMLBuilder {
    static func buildExpression(_ html: HTML) -> [HTML] { [html] }
    static func buildExpression(_ html: [HTML]) -> [HTML] { html }
    static func buildBlock(_ parts: [HTML]...) -> [HTML] { parts.flatMap { $0 } }
    static func buildOptional(_ part: [HTML]?) -> [HTML] { part ?? [] }
    static func buildEither(first: [HTML]) -> [HTML] { first }
    static func buildEither(second: [HTML]) -> [HTML] { second }
    static func buildArray(_ parts: [[HTML]]) -> [HTML] { parts.flatMap { $0 } }
}

/// `el("p", ["class": "note"]) { HTML.text("…") }`
func el(_ tag: StaticString, _ attributes: KeyValuePairs<StaticString, String?> = [:], @HTMLBuilder _ children: () -> [HTML] = { [] }) -> HTML {
    HTML.element(tag, attributes, children())
}

/// Text, escaped (shorthand for ``HTML/text(_:)``).
func t(_ value: String) -> HTML { .text(value) }
