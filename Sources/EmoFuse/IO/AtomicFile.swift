import Foundation

/// Writes files so that readers never see a half-written one: the bytes go to a temporary
/// file in the same folder, which is then renamed over the destination.
public enum AtomicFile {
    /// Writes `bytes` to `url` atomically, creating missing parent folders.
    public static func write(_ bytes: [UInt8], to url: URL) throws {
        try bytes.withUnsafeBytes { try write(UnsafeRawBufferPointer($0), to: url) }
    }

    /// Writes `text` (UTF-8) to `url` atomically.
    public static func write(_ text: String, to url: URL) throws {
        try write(Array(text.utf8), to: url)
    }

    /// Writes raw bytes to `url` atomically.
    public static func write(_ bytes: UnsafeRawBufferPointer, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: tmp.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: tmp.path])
        }
        do {
            let handle = try FileHandle(forWritingTo: tmp)
            if let base = bytes.baseAddress, bytes.count > 0 {
                try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base),
                                                  count: bytes.count, deallocator: .none))
            }
            try handle.synchronize()
            try handle.close()
            if rename(tmp.path, url.path) != 0 {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        }
    }
}
