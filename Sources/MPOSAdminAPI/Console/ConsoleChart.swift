import Foundation

/// Charts drawn by the server as SVG (readable without JavaScript, and within the
/// Content-Security-Policy: presentation by class, no inline style): one bar per minute.
enum ConsoleChart {
    struct Series: Sendable {
        let label: String
        /// One value per minute, oldest first.
        let values: [Double]
    }

    static let width = 640.0, height = 200.0
    static let left = 44.0, right = 8.0, top = 10.0, bottom = 24.0

    /// Stacked bars, one per minute, with a y axis, the minutes on the x axis, and a legend.
    static func stackedBars(id: String, title: String, unit: String, minutes: [Date], series: [Series], legend: [HTML]) -> HTML {
        let count = max(1, minutes.count)
        let totals = (0..<count).map { index in series.reduce(0) { $0 + ($1.values.indices.contains(index) ? $1.values[index] : 0) } }
        let maximum = niceCeiling(totals.max() ?? 0)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let slot = plotWidth / Double(count), barWidth = max(1, slot * 0.8)
        func y(_ value: Double) -> Double { top + plotHeight * (1 - value / maximum) }
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return el("figure", ["class": "chart-figure", "id": id]) {
            el("svg", ["class": "chart", "viewBox": "0 0 \(Int(width)) \(Int(height))", "role": "img", "aria-label": title,
                       "xmlns": "http://www.w3.org/2000/svg"]) {
                el("title") { t(title) }
                for step in 0...4 {
                    let value = maximum * Double(step) / 4
                    el("line", ["class": step == 0 ? "axis" : "grid", "x1": format(left), "x2": format(width - right), "y1": format(y(value)), "y2": format(y(value))])
                    el("text", ["class": "tick", "x": format(left - 4), "y": format(y(value) + 4), "text-anchor": "end"]) { t(label(value)) }
                }
                for (index, minute) in minutes.enumerated() {
                    for segment in segments(series, at: index) where segment.value > 0 {
                        el("rect", ["class": "c\(min(segment.number, 5))", "x": format(left + Double(index) * slot + (slot - barWidth) / 2),
                                    "y": format(y(segment.base + segment.value)), "width": format(barWidth), "height": format(plotHeight * segment.value / maximum)]) {
                            el("title") { t("\(formatter.string(from: minute)) UTC · \(segment.label): \(label(segment.value)) \(unit)") }
                        }
                    }
                    if index % 10 == 0 || index == count - 1 {
                        el("text", ["class": "tick", "x": format(left + Double(index) * slot + slot / 2), "y": format(height - 6), "text-anchor": index == count - 1 ? "end" : "middle"]) {
                            t(formatter.string(from: minute))
                        }
                    }
                }
            }
            el("figcaption", ["class": "muted"]) { t("\(title) (UTC minutes; \(unit))") }
            if !legend.isEmpty { el("ul", ["class": "legend"]) { legend } }
        }
    }

    /// One minute's bar, series by series, each starting where the one below ends.
    static func segments(_ series: [Series], at index: Int) -> [(number: Int, label: String, base: Double, value: Double)] {
        var base = 0.0
        return series.enumerated().map { number, item in
            let value = item.values.indices.contains(index) ? item.values[index] : 0
            defer { base += value }
            return (number, item.label, base, value)
        }
    }

    static func legendItem(_ index: Int, _ text: String) -> HTML {
        el("li") { el("span", ["class": "swatch c\(min(index, 5))"]); t(text) }
    }

    /// 1, 2 or 5 times a power of ten, at least `value` (and at least 1).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 1 else { return 1 }
        let power = pow(10, floor(log10(value)))
        for multiple in [1.0, 2, 5, 10] where multiple * power >= value { return multiple * power }
        return 10 * power
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func label(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : value < 10 ? String(format: "%.2f", value) : String(format: "%.1f", value)
    }
}
