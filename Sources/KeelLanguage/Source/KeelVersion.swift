/// Keel's version, as `keel --version` and SARIF's `tool.driver.version` report it.
public enum KeelVersion {
    public static let current = "0.13.0"
}
