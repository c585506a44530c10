import MPOSLoad
import Testing

@Suite("Fault plans: the --faults spec and the seeded decisions")
struct FaultPlanTests {
    @Test("a spec parses strictly: every key known, rates 0 to 1 summing to 1 at most, skew within the host's")
    func parsing() throws {
        let plan = try FaultPlan(spec: "drop=0.02,duplicate=0.01,delay=0.05:150ms,truncate=0.005,reset=0.005,skew=30s,seed=7")
        #expect(plan.drop == 0.02 && plan.duplicate == 0.01 && plan.delay == 0.05 && plan.truncate == 0.005 && plan.reset == 0.005)
        #expect(plan.maximumDelay == .milliseconds(150) && plan.clockSkew == .seconds(30) && plan.seed == 7)
        #expect(try FaultPlan(spec: plan.spec) == plan, "the spec it prints reads back as the same plan")
        for bad in ["dorp=0.1", "drop=1.5", "drop=-0.1", "drop=abc", "drop=0.6,reset=0.6", "skew=301s", "delay=0.1:forever", "seed=x", "drop"] {
            #expect(throws: FaultPlan.SpecError.self, "\(bad)") { _ = try FaultPlan(spec: bad) }
        }
    }

    @Test("decisions come from the seed: the same plan, connection and direction give the same faults, at about the rates asked")
    func seeded() throws {
        let plan = try FaultPlan(spec: "drop=0.1,duplicate=0.1,seed=3")
        var first = FaultDecider(plan: plan, connection: 1, direction: .toHost)
        var again = FaultDecider(plan: plan, connection: 1, direction: .toHost)
        let faults = (0..<2_000).map { _ in first.next(frameLength: 100) }
        #expect(faults == (0..<2_000).map { _ in again.next(frameLength: 100) })
        let drops = faults.filter { $0 == .drop }.count, duplicates = faults.filter { $0 == .duplicate }.count
        #expect((120...280).contains(drops) && (120...280).contains(duplicates), "\(drops) drops, \(duplicates) duplicates in 2,000")
        #expect(!faults.contains { if case .truncate = $0 { true } else { $0 == .reset } }, "no fault the plan does not ask for")
    }
}
