// swift-tools-version:6.0
import PackageDescription

// Module map: see ../shared/DESIGN.md "Modules". Arrows point one way:
// saescope → App → FeatureIndex / HTTP → C system libraries; saescope → Indexer → FeatureIndex, Pipeline; Tokenizer → Tensors → CZlib;
// Trainer → LanguageModel / SparseAutoencoder → Kernels;
// Kernels → CBLAS (OpenBLAS on Linux, Accelerate on macOS), CAMX (our AMX bfloat16 kernel in C),
// CPointwise (element-wise loops in C, compiled per CPU; HTTP hashes bodies with it too).
let package = Package(
    name: "saescope",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "saescope", targets: ["saescope"]),
        // The parsers as libraries, for the fuzzing package in Fuzz/ (it depends on this one by path).
        .library(name: "SAEScopeParsers", targets: ["HTTP", "Tensors", "Tokenizer", "Indexer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["libz-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Tensors", dependencies: ["CZlib"]),
        // Our own C: AMX tile intrinsics have no Swift spelling.
        .target(name: "CAMX"),
        // Our own C: element-wise loops compiled per CPU (target_clones); Swift cannot do that.
        .target(name: "CPointwise"),
        .target(name: "Kernels", dependencies: ["CAMX", "CPointwise", .target(name: "CBLAS", condition: .when(platforms: [.linux]))]),
        .target(name: "Tokenizer", dependencies: ["Tensors"]),
        .target(name: "LanguageModel", dependencies: ["Tensors", "Kernels", "Tokenizer"]),
        .target(name: "SparseAutoencoder", dependencies: ["Tensors", "Kernels", "CPointwise"]),
        .target(name: "Pipeline", dependencies: ["Kernels", "LanguageModel", "SparseAutoencoder", "Tokenizer"]),
        .target(name: "Trainer", dependencies: ["CZlib", "Kernels", "LanguageModel", "SparseAutoencoder", "Tensors", "Tokenizer"]),
        .target(name: "FeatureIndex", dependencies: ["CSQLite"]),
        .target(name: "HTTP", dependencies: ["CZlib", "CPointwise"]),
        .target(name: "App", dependencies: ["FeatureIndex", "HTTP", "LanguageModel", "Pipeline", "SparseAutoencoder"]),
        .target(name: "Indexer", dependencies: ["FeatureIndex", "Pipeline", "SparseAutoencoder", "LanguageModel", "Tokenizer", "Kernels", "CZlib"]),
        .executableTarget(name: "saescope", dependencies: [
            "App", "FeatureIndex", "HTTP", "Indexer", "Kernels", "LanguageModel", "Pipeline", "SparseAutoencoder", "Tensors", "Tokenizer", "Trainer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "Tensors"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "LanguageModelTests", dependencies: ["Kernels", "LanguageModel", "Tensors", "Tokenizer"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SparseAutoencoderTests", dependencies: ["SparseAutoencoder", "Tensors", "Kernels"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainerTests", dependencies: ["Trainer", "LanguageModel", "SparseAutoencoder", "Tensors", "Tokenizer"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FeatureIndexTests", dependencies: ["FeatureIndex"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "IndexerTests", dependencies: ["Indexer", "FeatureIndex", "Pipeline", "SparseAutoencoder", "LanguageModel", "Tokenizer"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "AppTests", dependencies: ["App", "FeatureIndex", "HTTP", "LanguageModel", "Pipeline", "SparseAutoencoder", "Tokenizer"]),
    ]
)
