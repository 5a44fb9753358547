/// A YAML node with its exact source range. Only the front end knows YAML; later phases see the
/// strategy model built from these nodes.
public struct YAMLNode: Sendable {
    public enum Kind: Sendable {
        case scalar(YAMLScalar)
        case mapping([YAMLPair])
        case sequence([YAMLNode])
        /// Stands where the loader refused something (an alias); later phases stay silent about it.
        case invalid
    }

    public var kind: Kind
    public var range: SourceRange

    public init(_ kind: Kind, range: SourceRange) {
        self.kind = kind
        self.range = range
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = kind { return scalar }
        return nil
    }

    public var pairs: [YAMLPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    public var items: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    public var isInvalid: Bool {
        if case .invalid = kind { return true }
        return false
    }

    /// What the node is, for messages: "a mapping", "a list", "the text 'x'".
    public var kindDescription: String {
        switch kind {
        case .scalar(let scalar): scalar.isNull ? "an empty value" : "'\(scalar.value)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .invalid: "an invalid value"
        }
    }
}

public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode

    /// The key's text; the loader admits only scalar keys.
    public var name: String { key.scalar?.value ?? "" }
}

public struct YAMLScalar: Sendable {
    public enum Style: String, Sendable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// The scalar's text as YAML reads it: quotes removed, escapes and folding applied.
    public var value: String
    public var style: Style
    /// Inside `{...}` or `[...]`, where a ',' ends a plain value.
    public var inFlowCollection = false

    public var isQuoted: Bool { style == .singleQuoted || style == .doubleQuoted }

    /// `~`, `null` or nothing at all, written plainly.
    public var isNull: Bool {
        style == .plain && ["", "~", "null", "Null", "NULL"].contains(value)
    }
}

/// Bounds that keep a hostile or broken file cheap to reject. Defaults are tested at their edges.
public struct YAMLLimits: Sendable {
    public var maxBytes: Int
    public var maxDepth: Int
    public var maxNodes: Int

    public init(maxBytes: Int = 1 << 20, maxDepth: Int = 32, maxNodes: Int = 20_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    public static let `default` = YAMLLimits()
}
