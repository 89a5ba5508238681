import Foundation

/// A minimal line chart written as standalone SVG (no dependencies), for run reports.
public struct SVGChart {
    public struct Series {
        public var label: String
        public var color: String
        public var points: [(x: Double, y: Double)]
        public init(label: String, color: String, points: [(x: Double, y: Double)]) {
            self.label = label; self.color = color; self.points = points
        }
    }
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series] = []
    /// Shaded x-intervals (e.g. corrupted stretches).
    public var bands: [(from: Double, to: Double)] = []
    public var bandLabel: String = ""
    public var width = 720.0
    public var height = 260.0

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
    }

    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]

    /// Draw a dot at each point (for curves with few points).
    public var markers = false
    /// Draw a dashed line at y = 0.
    public var zeroLine = false
    /// The y axis never goes below this (e.g. 0 for reconstruction errors).
    public var yFloor: Double?

    /// Tick values at round numbers (1, 2 or 5 × 10^k) covering [lo, hi], about `count` of them.
    static func niceTicks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        let span = max(hi - lo, 1e-12)
        let raw = span / Double(max(1, count - 1))
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let first = floor(lo / step) * step, last = ceil(hi / step) * step
        return stride(from: first, through: last + step / 2, by: step).map { abs($0) < step * 1e-9 ? 0 : $0 }
    }

    public func render() -> String {
        // The legend sits in its own row between the title and the plot, so it never covers data.
        let legendRows = series.isEmpty && bands.isEmpty ? 0 : 1
        let left = 60.0, right = 20.0, top = 30.0 + Double(legendRows) * 18, bottom = 45.0
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        var x0 = all.map(\.x).min() ?? 0, x1 = all.map(\.x).max() ?? 1
        var y0 = all.map(\.y).min() ?? 0, y1 = all.map(\.y).max() ?? 1
        if zeroLine { y0 = min(y0, 0); y1 = max(y1, 0) }
        if x1 <= x0 { x1 = x0 + 1 }
        if y1 <= y0 { y0 -= 0.5; y1 += 0.5 }
        let yTicks = Self.niceTicks(max(y0, yFloor ?? -.infinity), y1).filter { $0 >= (yFloor ?? -.infinity) }
        let xTicks = Self.niceTicks(x0, x1)
        y0 = yTicks.first ?? y0; y1 = yTicks.last ?? y1
        x0 = xTicks.first ?? x0; x1 = xTicks.last ?? x1
        let pw = width - left - right, ph = height - top - bottom
        func sx(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func sy(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * ph }
        func f(_ v: Double) -> String { String(Double(Int((v * 10).rounded())) / 10) }
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(f(width / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">\(esc(title))</text>\n"
        for band in bands {
            let a = sx(max(band.from, x0)), b = sx(min(band.to, x1))
            if b > a { out += "<rect x=\"\(f(a))\" y=\"\(f(top))\" width=\"\(f(b - a))\" height=\"\(f(ph))\" fill=\"#f4c7c3\" opacity=\"0.6\"/>\n" }
        }
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#444\"/>\n"
        for yv in yTicks {
            out += "<line x1=\"\(f(left))\" x2=\"\(f(left + pw))\" y1=\"\(f(sy(yv)))\" y2=\"\(f(sy(yv)))\" stroke=\"#e5e5e5\"/>"
            out += "<text x=\"\(f(left - 5))\" y=\"\(f(sy(yv) + 4))\" text-anchor=\"end\">\(shortNumber(yv))</text>\n"
        }
        for xv in xTicks {
            out += "<line x1=\"\(f(sx(xv)))\" x2=\"\(f(sx(xv)))\" y1=\"\(f(top + ph))\" y2=\"\(f(top + ph + 4))\" stroke=\"#444\"/>"
            out += "<text x=\"\(f(sx(xv)))\" y=\"\(f(top + ph + 15))\" text-anchor=\"middle\">\(shortNumber(xv))</text>\n"
        }
        if zeroLine && y0 < 0 && y1 > 0 {
            out += "<line x1=\"\(f(left))\" x2=\"\(f(left + pw))\" y1=\"\(f(sy(0)))\" y2=\"\(f(sy(0)))\" stroke=\"#888\" stroke-dasharray=\"4,3\"/>\n"
        }
        out += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        out += "<text transform=\"translate(14,\(f(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"
        for s in series {
            let finite = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            let pts = finite.map { "\(f(sx($0.x))),\(f(sy($0.y)))" }
            guard !pts.isEmpty else { continue }
            out += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.3\" points=\"\(pts.joined(separator: " "))\"/>\n"
            if markers {
                for p in finite { out += "<circle cx=\"\(f(sx(p.x)))\" cy=\"\(f(sy(p.y)))\" r=\"3\" fill=\"\(s.color)\"/>" }
                out += "\n"
            }
        }
        var lx = left
        var legend = series.map { ($0.label, $0.color) }
        if !bands.isEmpty && !bandLabel.isEmpty { legend.append((bandLabel, "#f4c7c3")) }
        for (label, color) in legend {
            out += "<rect x=\"\(f(lx))\" y=\"\(f(top - 16))\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            out += "<text x=\"\(f(lx + 14))\" y=\"\(f(top - 7))\">\(esc(label))</text>\n"
            lx += 24 + Double(label.count) * 6.2
        }
        out += "</svg>\n"
        return out
    }

    private func shortNumber(_ v: Double) -> String {
        if abs(v) >= 100 { return String(Int(v.rounded())) }
        let r = (v * 1000).rounded() / 1000
        return r == 0 ? "0" : String(format: "%g", r)
    }
}
