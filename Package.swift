// swift-tools-version:6.0
import PackageDescription

// Module map: see ../shared/DESIGN.md "Modules". Arrows point one way:
// saescope → App → FeatureIndex / HTTP → C system libraries; Tokenizer → Tensors → CZlib.
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
        .target(name: "Tensors", dependencies: ["CZlib"]),
        .target(name: "Tokenizer", dependencies: ["Tensors"]),
        .target(name: "FeatureIndex", dependencies: ["CSQLite"]),
        .target(name: "HTTP", dependencies: ["CZlib"]),
        .target(name: "App", dependencies: ["FeatureIndex", "HTTP"]),
        .executableTarget(name: "saescope", dependencies: [
            "App", "FeatureIndex", "HTTP", "Tensors", "Tokenizer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "Tensors"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FeatureIndexTests", dependencies: ["FeatureIndex"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "AppTests", dependencies: ["App", "FeatureIndex", "HTTP"]),
    ]
)
