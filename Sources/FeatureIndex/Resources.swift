import Foundation

/// Finds the folders saescope ships beside its binary (`Public/`, `migrations/`).
///
/// Looked up in order: `$SAESCOPE_HOME/NAME`, `NAME` beside the executable,
/// `../share/saescope/NAME` from the executable, and the source checkout this binary was
/// built from (so `swift run` and `swift test` work without installing).
public enum Resources {
    public static func directory(_ name: String) throws -> URL {
        for candidate in candidates(name) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue {
                return candidate.standardizedFileURL
            }
        }
        throw ResourceError(name: name, searched: candidates(name).map(\.path))
    }

    static func candidates(_ name: String) -> [URL] {
        var list: [URL] = []
        if let home = ProcessInfo.processInfo.environment["SAESCOPE_HOME"], !home.isEmpty {
            list.append(URL(fileURLWithPath: home).appendingPathComponent(name))
        }
        // Not argv[0]: a binary found through PATH has no folder in it.
        let executable = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments.first ?? ""))
            .resolvingSymlinksInPath()
        let binDir = executable.deletingLastPathComponent()
        list.append(binDir.appendingPathComponent(name))
        list.append(binDir.appendingPathComponent("../share/saescope/\(name)"))
        // Sources/FeatureIndex/Resources.swift → the package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        list.append(root.appendingPathComponent(name))
        return list
    }
}

public struct ResourceError: Error, CustomStringConvertible {
    public let name: String
    public let searched: [String]
    public var description: String {
        "cannot find saescope's \(name)/ folder (looked in: \(searched.joined(separator: ", "))); set SAESCOPE_HOME to the folder that holds it"
    }
}
