// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for saescope's parsers, kept apart from the main package so its
// `swift build` and `swift test` never see them. Build and run them with scripts/fuzz.sh, which
// builds with `-sanitize=fuzzer,address`. Each executable is one fuzzer: libFuzzer supplies
// `main` and calls the target's `LLVMFuzzerTestOneInput` once per input.
let fuzzers = [
    "FuzzHTTP", "FuzzSafetensors", "FuzzGGUF", "FuzzNpy", "FuzzNpz", "FuzzTorch", "FuzzPickle",
    "FuzzTokenizer", "FuzzTokenizerJSON", "FuzzCorpus",
]

let package = Package(
    name: "saescope-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "saescope", path: "..")],
    targets: [
        .target(name: "CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer", .product(name: "SAEScopeParsers", package: "saescope")]),
    ] + fuzzers.map { name in
        .executableTarget(name: name, dependencies: ["FuzzSupport", .product(name: "SAEScopeParsers", package: "saescope")])
    }
)
