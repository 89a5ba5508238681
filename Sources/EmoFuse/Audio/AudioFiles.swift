import Foundation

/// Finding recordings and reading them: WAV in Swift, anything else through `sox` or `ffmpeg`.
public enum AudioFiles {
    /// File extensions taken from a folder (other files there are ignored).
    public static let extensions: Set<String> = ["wav", "wave", "flac", "mp3", "ogg", "opus", "m4a", "aac", "aiff", "aif", "webm", "mp4"]

    /// The recordings named by `paths` (files, or folders whose audio files are taken, sorted),
    /// each with its ID (file name without extension). Throws for a missing path, a folder without
    /// audio, or two recordings with the same ID.
    public static func list(_ paths: [String]) throws -> [(id: String, url: URL)] {
        var out: [(String, URL)] = []
        var firstOf: [String: String] = [:]
        for p in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else {
                throw AudioError(file: p, message: "file or folder not found")
            }
            var files: [URL] = []
            if isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: p)) ?? []
                files = names.sorted().filter { !$0.hasPrefix(".") && extensions.contains(($0 as NSString).pathExtension.lowercased()) }
                    .map { URL(fileURLWithPath: p).appendingPathComponent($0) }
                if files.isEmpty {
                    throw AudioError(file: p, message: "no audio files in this folder (looked for .\(extensions.sorted().joined(separator: ", .")))")
                }
            } else {
                files = [URL(fileURLWithPath: p)]
            }
            for f in files {
                let id = f.deletingPathExtension().lastPathComponent
                if let earlier = firstOf[id] {
                    throw AudioError(file: f.path, message: "recording ID '\(id)' is also the ID of \(earlier); IDs (file names without extension) must be unique")
                }
                firstOf[id] = f.path
                out.append((id, f))
            }
        }
        return out
    }

    /// Reads a recording: WAV directly; other files converted to 16-bit WAV (first channel, the
    /// file's rate) by `sox`, else `ffmpeg`; without either, an error saying so.
    public static func read(_ url: URL) throws -> AudioClip {
        if let head = FileHandle(forReadingAtPath: url.path) {
            let magic = (try? head.read(upToCount: 4)) ?? Data()
            try? head.close()
            if magic.isEmpty || magic == Data("RIFF".utf8) || magic == Data("RIFX".utf8) || ["wav", "wave"].contains(url.pathExtension.lowercased()) {
                return try WAVReader.read(url)
            }
        } else {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw AudioError(file: url.path, message: exists ? "cannot read the file" : "file not found")
        }
        return try convert(url)
    }

    private static func convert(_ url: URL) throws -> AudioClip {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("emofuse-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).wav")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let tools: [(String, [String])] = [
            ("sox", [url.path, "-b", "16", "-e", "signed-integer", tmp.path, "remix", "1"]),
            ("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", url.path, "-map_channel", "0.0.0", "-c:a", "pcm_s16le", tmp.path]),
        ]
        var tried: [String] = []
        for (tool, args) in tools {
            guard let exe = which(tool) else { continue }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = args
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            let message = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            if p.terminationStatus == 0 { return try WAVReader.read(tmp) }
            let text = String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            tried.append("\(tool): \(text.split(separator: "\n").last.map(String.init) ?? "exit \(p.terminationStatus)")")
        }
        if tried.isEmpty {
            throw AudioError(file: url.path, message: "not a WAV file, and neither sox nor ffmpeg is on PATH to convert it (apt-get install sox, or convert to WAV)")
        }
        throw AudioError(file: url.path, message: "not a WAV file and could not be converted (\(tried.joined(separator: "; ")))")
    }

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }
}
