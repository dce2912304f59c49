/// One font face of the system: a file and a face index in it (a `.ttc`
/// collection holds several), with the names fontconfig knows it by.
public struct GlyphFace: Codable, Hashable, Sendable {
    public var file: String
    public var index: Int
    /// The first family name (fontconfig lists the English one first).
    public var family: String
    /// Every family name, localised ones included (matched by `include`/`exclude`).
    public var families: [String]
    public var style: String
    /// fontconfig's weight: 80 regular, 50 light, 200 bold.
    public var weight: Int

    public init(file: String, index: Int, family: String, families: [String], style: String, weight: Int) {
        self.file = file
        self.index = index
        self.family = family
        self.families = families
        self.style = style
        self.weight = weight
    }

    /// "Family Style", as a person names the face.
    public var name: String { style.isEmpty ? family : "\(family) \(style)" }

    /// Whether one of the family names contains one of `patterns` (case-insensitive).
    func matches(_ patterns: [String]) -> Bool {
        let names = families.map { $0.lowercased() }
        return patterns.contains { p in
            let p = p.lowercased()
            return names.contains { $0.contains(p) }
        }
    }
}
