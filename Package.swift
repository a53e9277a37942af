// swift-tools-version:6.0
import PackageDescription

// Module map: see ../shared/DESIGN.md "Modules". Arrows point one way:
// saescope → App → FeatureIndex / HTTP → C system libraries.
let package = Package(
    name: "saescope",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "saescope", targets: ["saescope"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["libz-dev"])]),
        .target(name: "FeatureIndex", dependencies: ["CSQLite"]),
        .target(name: "HTTP", dependencies: ["CZlib"]),
        .target(name: "App", dependencies: ["FeatureIndex", "HTTP"]),
        .executableTarget(name: "saescope", dependencies: [
            "App", "FeatureIndex", "HTTP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "FeatureIndexTests", dependencies: ["FeatureIndex"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "AppTests", dependencies: ["App", "FeatureIndex", "HTTP"]),
    ]
)
