import MPOSHost
import Testing

/// Runs `body` and returns the rule error it threw, or nil if it succeeded. The library's
/// signatures already pin the error type (`throws(HostRuleError)`); any other error is a failure.
func refusal(_ body: () throws -> Void) -> HostRuleError? {
    do {
        try body()
        return nil
    } catch let error as HostRuleError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// Every string a value can be rendered as in logs.
func renderings(_ value: some Any) -> [String] {
    var dumped = ""
    dump(value, to: &dumped)
    return [String(describing: value), String(reflecting: value), "\(value)", dumped]
}
