/// The version every mpos program reports.
public enum MPOSVersion {
    public static let current = "0.1.0"
}
