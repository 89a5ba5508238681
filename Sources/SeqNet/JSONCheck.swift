/// Checks that `bytes` are one strict JSON document (RFC 8259, duplicate keys rejected) and returns
/// the first problem with its byte offset, or nil. For configuration files, whose errors must name
/// a line and column (Foundation's parser gives neither).
public func jsonSyntaxProblem(_ bytes: [UInt8]) -> (message: String, offset: Int)? {
    bytes.withUnsafeBytes { raw in
        var parser = JSONParser(raw)
        do {
            _ = try parser.parseDocument()
            return nil
        } catch let error as JSONSyntaxError {
            return (error.message, error.offset)
        } catch {
            return ("\(error)", 0)
        }
    }
}
