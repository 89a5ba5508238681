// swift-tools-version:6.0
import PackageDescription

// The numerical kernels need FMA/AVX2 code generation and unchecked arithmetic to be fast
// (see docs/performance-notes in the shared folder: without a target CPU, SIMD FMA becomes a
// libm call and GEMM runs ~100x slower). The flags are confined to the engine target; the
// domain target, which parses user files, keeps Swift's bounds and overflow checks.
// `-Ounchecked` also applies to debug builds, so `swift test` does not crawl.
// The AVX-512 micro-kernel is compiled for x86-64-v4 in a target of its own and called only on
// CPUs that have AVX-512 (checked at run time); everything else stays x86-64-v3.
#if arch(x86_64)
let engineFlags: [String] = ["-Ounchecked", "-Xcc", "-march=x86-64-v3"]
let avx512Flags: [String] = ["-Ounchecked", "-Xcc", "-march=x86-64-v4"]
#else
let engineFlags: [String] = ["-Ounchecked"]
let avx512Flags: [String] = ["-Ounchecked"]
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
            dependencies: ["SeqNetAVX512"],
            swiftSettings: [.unsafeFlags(engineFlags)]
        ),
        // SeqNet's GEMM micro-kernel for AVX-512 CPUs (x86-64 only; empty elsewhere).
        .target(
            name: "SeqNetAVX512",
            swiftSettings: [.unsafeFlags(avx512Flags)]
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
