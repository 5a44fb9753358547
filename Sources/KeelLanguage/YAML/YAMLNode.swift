/// A YAML node with its exact source range. Only the front end knows YAML; later phases see the
/// strategy model built from these nodes.
package struct YAMLNode: Sendable {
    package enum Kind: Sendable {
        case scalar(YAMLScalar)
        case mapping([YAMLPair])
        case sequence([YAMLNode])
        /// Stands where the loader refused something (an alias); later phases stay silent about it.
        case invalid
    }

    package var kind: Kind
    package var range: SourceRange

    package init(_ kind: Kind, range: SourceRange) {
        self.kind = kind
        self.range = range
    }

    package var scalar: YAMLScalar? {
        if case .scalar(let scalar) = kind { return scalar }
        return nil
    }

    package var pairs: [YAMLPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    package var items: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    package var isInvalid: Bool {
        if case .invalid = kind { return true }
        return false
    }

    /// What the node is, for messages: "a mapping", "a list", "the text 'x'".
    package var kindDescription: String {
        switch kind {
        case .scalar(let scalar): scalar.isNull ? "an empty value" : "'\(scalar.value)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .invalid: "an invalid value"
        }
    }
}

package struct YAMLPair: Sendable {
    package var key: YAMLNode
    package var value: YAMLNode

    /// The key's text; the loader admits only scalar keys.
    package var name: String { key.scalar?.value ?? "" }
}

package struct YAMLScalar: Sendable {
    package enum Style: String, Sendable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// The scalar's text as YAML reads it: quotes removed, escapes and folding applied.
    package var value: String
    package var style: Style
    /// Inside `{...}` or `[...]`, where a ',' ends a plain value.
    package var inFlowCollection = false

    package var isQuoted: Bool { style == .singleQuoted || style == .doubleQuoted }

    /// `~`, `null` or nothing at all, written plainly.
    package var isNull: Bool {
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
