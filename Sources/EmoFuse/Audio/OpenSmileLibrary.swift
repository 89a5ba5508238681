import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// openSMILE's C API (`SMILEapi.h`), loaded at run time with `dlopen` from the `opensmile`
/// Python package's `libSMILEapi.so` (no Python runs). Audio goes in through a
/// `cExternalAudioSource` component, features come out through a `cExternalSink` callback.
///
/// Where it is found: `EMOFUSE_OPENSMILE` (the `.so`, or the package folder holding `core/`),
/// else where `python3 -m pip show -f opensmile` says the package is. The configurations are the
/// package's `core/config`.
public final class OpenSmileLibrary: @unchecked Sendable {
    public let libraryPath: String
    public let configRoot: URL

    // SMILEapi.h; the handle is opaque, smileres_t is an int-sized enum (0 = SMILE_SUCCESS).
    typealias NewFn = @convention(c) () -> OpaquePointer?
    typealias InitializeFn = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32, UnsafeRawPointer?,
                                             Int32, Int32, Int32, UnsafePointer<CChar>?) -> Int32
    typealias HandleFn = @convention(c) (OpaquePointer?) -> Int32
    typealias FreeFn = @convention(c) (OpaquePointer?) -> Void
    typealias AudioWriteFn = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafeRawPointer?, Int32) -> Int32
    typealias EndOfInputFn = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    typealias SinkCallback = @convention(c) (UnsafePointer<Float>?, Int, UnsafeMutableRawPointer?) -> Bool
    typealias SetSinkFn = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, SinkCallback?, UnsafeMutableRawPointer?) -> Int32
    typealias NumElementsFn = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutablePointer<Int>?) -> Int32
    typealias ElementNameFn = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32
    typealias ErrorMessageFn = @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?

    let new: NewFn
    let initialize: InitializeFn
    let run: HandleFn
    let free: FreeFn
    let audioWrite: AudioWriteFn
    let audioEndOfInput: EndOfInputFn
    let setSink: SetSinkFn
    let numElements: NumElementsFn
    let elementName: ElementNameFn
    let errorMessage: ErrorMessageFn

    /// The install hint every "not found" error ends with.
    public static let installHint = "install it with `pip install opensmile==2.6.0` (it ships libSMILEapi.so and the configurations) or set EMOFUSE_OPENSMILE to the path of libSMILEapi.so"

    private static let shared = SharedLoad()

    /// The library, loaded once per process.
    public static func load() throws -> OpenSmileLibrary { try shared.get() }

    init(path: String, configRoot: URL) throws {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw AudioError(file: path, message: "cannot load openSMILE (\(why)); \(Self.installHint)")
        }
        func sym<T>(_ name: String, _: T.Type) throws -> T {
            guard let p = dlsym(handle, name) else {
                throw AudioError(file: path, message: "not openSMILE's C API: symbol \(name) missing; \(Self.installHint)")
            }
            return unsafeBitCast(p, to: T.self)
        }
        new = try sym("smile_new", NewFn.self)
        initialize = try sym("smile_initialize", InitializeFn.self)
        run = try sym("smile_run", HandleFn.self)
        free = try sym("smile_free", FreeFn.self)
        audioWrite = try sym("smile_extaudiosource_write_data", AudioWriteFn.self)
        audioEndOfInput = try sym("smile_extaudiosource_set_external_eoi", EndOfInputFn.self)
        setSink = try sym("smile_extsink_set_data_callback", SetSinkFn.self)
        numElements = try sym("smile_extsink_get_num_elements", NumElementsFn.self)
        elementName = try sym("smile_extsink_get_element_name", ElementNameFn.self)
        errorMessage = try sym("smile_error_msg", ErrorMessageFn.self)
        libraryPath = path
        self.configRoot = configRoot
    }

    /// Finds libSMILEapi.so and the configuration folder, or says how to install them.
    static func locate() throws -> (library: String, configRoot: URL) {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["EMOFUSE_OPENSMILE"], !env.isEmpty {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: env, isDirectory: &isDir) else {
                throw AudioError(file: env, message: "EMOFUSE_OPENSMILE names a path that does not exist; \(installHint)")
            }
            if isDir.boolValue {
                if let found = libraryUnder(URL(fileURLWithPath: env)) { return found }
                throw AudioError(file: env, message: "no core/bin/<platform>/libSMILEapi.so under EMOFUSE_OPENSMILE; \(installHint)")
            }
            // …/opensmile/core/bin/<platform>/libSMILEapi.so → …/opensmile/core/config
            let core = URL(fileURLWithPath: env).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let config = core.appendingPathComponent("config")
            guard fm.fileExists(atPath: config.appendingPathComponent("egemaps").path) else {
                throw AudioError(file: config.path, message: "openSMILE configurations not found beside \(env) (expected the opensmile package's core/config); \(installHint)")
            }
            return (env, config)
        }
        guard let location = pipLocation() else {
            throw AudioError(file: "libSMILEapi.so", message: "openSMILE not found: EMOFUSE_OPENSMILE is not set and `python3 -m pip show -f opensmile` finds no package; \(installHint)")
        }
        if let found = libraryUnder(location.appendingPathComponent("opensmile")) { return found }
        throw AudioError(file: location.appendingPathComponent("opensmile").path,
                         message: "the opensmile package has no core/bin/<platform>/libSMILEapi.so for this machine; \(installHint)")
    }

    private static func libraryUnder(_ package: URL) -> (String, URL)? {
        let bin = package.appendingPathComponent("core/bin")
        let platforms = ((try? FileManager.default.contentsOfDirectory(atPath: bin.path)) ?? []).sorted()
        #if arch(x86_64)
        let arch = "x86_64"
        #else
        let arch = "aarch64"
        #endif
        let order = platforms.filter { $0.contains(arch) && !$0.contains("macos") && !$0.contains("win") } + platforms
        for p in order {
            let lib = bin.appendingPathComponent(p).appendingPathComponent("libSMILEapi.so")
            if FileManager.default.fileExists(atPath: lib.path) {
                return (lib.path, package.appendingPathComponent("core/config"))
            }
        }
        return nil
    }

    /// `Location:` of `python3 -m pip show -f opensmile`, or nil.
    private static func pipLocation() -> URL? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-m", "pip", "show", "-f", "opensmile"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Location:") {
            return URL(fileURLWithPath: line.dropFirst("Location:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// Loads once; later calls get the same library or the same error.
    private final class SharedLoad: @unchecked Sendable {
        private let lock = NSLock()
        private var result: Result<OpenSmileLibrary, Error>?
        func get() throws -> OpenSmileLibrary {
            try lock.withLock {
                if let result { return try result.get() }
                let r = Result { () throws -> OpenSmileLibrary in
                    let (lib, config) = try OpenSmileLibrary.locate()
                    return try OpenSmileLibrary(path: lib, configRoot: config)
                }
                result = r
                return try r.get()
            }
        }
    }
}

/// One openSMILE run: initialise with a configuration and options, feed 16-bit samples, collect
/// every vector the sink receives. A fresh instance per run (as the Python package does).
extension OpenSmileLibrary {
    /// Component names of the package's `shared/standard_external_*` includes.
    static let sourceComponent = "extsource"
    static let sinkComponent = "extsink"

    struct RunOutput {
        var names: [String]
        var rows: [[Float]]
    }

    func process(config: URL, options: [(String, String)], samples: ArraySlice<Int16>, file: String) throws -> RunOutput {
        final class Collector {
            var rows: [[Float]] = []
            var badWidth: Int?
            var width = 0
        }
        guard let smile = new() else { throw AudioError(file: file, message: "openSMILE: smile_new failed") }
        defer { free(smile) }
        // smileopt_t is { const char *name; const char *value; }: a flat array of pointer pairs.
        let cStrings = options.flatMap { [strdup($0.0), strdup($0.1)] }
        defer { cStrings.forEach { Glibc.free($0) } }
        let pointers: [UnsafePointer<CChar>?] = cStrings.map { $0.map { UnsafePointer($0) } }
        let status = pointers.withUnsafeBufferPointer { opts in
            initialize(smile, config.path, Int32(options.count), UnsafeRawPointer(opts.baseAddress), 0, 0, 0, nil)
        }
        try check(status, smile, "initialising with \(config.path)", file)
        var count = 0
        try check(numElements(smile, Self.sinkComponent, &count), smile, "reading the sink's width", file)
        var names: [String] = []
        for i in 0..<count {
            var name: UnsafePointer<CChar>?
            try check(elementName(smile, Self.sinkComponent, i, &name), smile, "reading feature names", file)
            names.append(name.map { String(cString: $0) } ?? "f\(i)")
        }
        let collector = Collector()
        collector.width = count
        let box = Unmanaged.passRetained(collector)
        defer { box.release() }
        let callback: SinkCallback = { data, n, param in
            let c = Unmanaged<Collector>.fromOpaque(param!).takeUnretainedValue()
            if n != c.width { c.badWidth = n; return true }
            c.rows.append(Array(UnsafeBufferPointer(start: data, count: n)))
            return true
        }
        try check(setSink(smile, Self.sinkComponent, callback, box.toOpaque()), smile, "registering the sink", file)
        if !samples.isEmpty {
            let written = samples.withUnsafeBytes { raw in
                audioWrite(smile, Self.sourceComponent, raw.baseAddress, Int32(raw.count))
            }
            try check(written, smile, "writing \(samples.count) samples", file)
        }
        try check(audioEndOfInput(smile, Self.sourceComponent), smile, "ending the input", file)
        try check(run(smile), smile, "running", file)
        if let w = collector.badWidth {
            throw AudioError(file: file, message: "openSMILE sink delivered vectors of \(w) values, expected \(count)")
        }
        return RunOutput(names: names, rows: collector.rows)
    }

    private func check(_ status: Int32, _ smile: OpaquePointer, _ what: String, _ file: String) throws {
        guard status != 0 else { return }
        let codes = ["success", "failure", "invalid argument", "invalid state", "component not found", "license check failed",
                     "configuration could not be parsed", "configuration could not be initialised", "data not written (buffer full)"]
        let code = Int(status) < codes.count ? codes[Int(status)] : "error \(status)"
        let detail = errorMessage(smile).map { String(cString: $0) } ?? ""
        throw AudioError(file: file, message: "openSMILE failed while \(what): \(code)\(detail.isEmpty ? "" : " — \(detail)")")
    }
}
