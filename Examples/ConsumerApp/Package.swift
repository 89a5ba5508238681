// swift-tools-version:6.0
import PackageDescription

// A separate package that uses EmoFuse as a library, the way an app would: it depends on the
// EmoFuse package by path. (By path is required: the engine target builds with unsafe compiler
// flags, which SwiftPM accepts from root and path dependencies only; see README "Live".)
let package = Package(
    name: "ConsumerApp",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "EmoFuse", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "ConsumerApp",
            dependencies: [.product(name: "EmoFuse", package: "EmoFuse")]
        ),
    ]
)
