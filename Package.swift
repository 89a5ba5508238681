// swift-tools-version:6.0
import PackageDescription

// The numerical kernels need FMA/AVX2 code generation and unchecked arithmetic to be fast
// (see docs/performance-notes in the shared folder: without a target CPU, SIMD FMA becomes a
// libm call and GEMM runs ~100x slower). The flags are confined to the engine target; the
// domain target, which parses user files, keeps Swift's bounds and overflow checks.
// `-Ounchecked` also applies to debug builds, so `swift test` does not crawl.
#if arch(x86_64)
let engineFlags: [String] = ["-Ounchecked", "-Xcc", "-march=x86-64-v3"]
#else
let engineFlags: [String] = ["-Ounchecked"]
#endif

let package = Package(
    name: "EmoFuse",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "emofuse", targets: ["emofuse"]),
        .library(name: "EmoFuse", targets: ["EmoFuse"]),
        .library(name: "SeqNet", targets: ["SeqNet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // The numerical engine: buffers, GEMM, GRU/LSTM, losses, Adam, safetensors.
        .target(
            name: "SeqNet",
            swiftSettings: [.unsafeFlags(engineFlags)]
        ),
        // The domain: MuSe-layout datasets, the three stages, experiments, reports, synthesis.
        .target(
            name: "EmoFuse",
            dependencies: ["SeqNet"]
        ),
        // The command-line tool: parses, reports progress, calls the library.
        .executableTarget(
            name: "emofuse",
            dependencies: [
                "EmoFuse",
                "SeqNet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SeqNetTests",
            dependencies: ["SeqNet"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "EmoFuseTests",
            dependencies: ["EmoFuse", "SeqNet"]
        ),
    ]
)
