/// A unified diff of two texts by lines (`keel fmt --check` prints it): the longest common
/// subsequence of lines, hunks with three lines of context.
public enum LineDiff {
    public static func unified(_ old: String, _ new: String, path: String) -> String {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // lcs[i][j]: the common lines of a[i...] and b[j...].
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        enum Edit { case same(Int, Int), removed(Int), added(Int) }
        var edits: [Edit] = []
        var (i, j) = (0, 0)
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] { edits.append(.same(i, j)); i += 1; j += 1 }
            else if j < b.count, i == a.count || lcs[i][j + 1] >= lcs[i + 1][j] { edits.append(.added(j)); j += 1 }
            else { edits.append(.removed(i)); i += 1 }
        }
        let changed = edits.indices.filter { if case .same = edits[$0] { false } else { true } }
        guard !changed.isEmpty else { return "" }
        var out = "--- \(path)\n+++ \(path) (keel fmt)\n"
        var k = 0
        while k < changed.count {
            // A hunk: changes less than seven lines apart, three lines of context around.
            var last = k
            while last + 1 < changed.count, changed[last + 1] - changed[last] <= 6 { last += 1 }
            let low = max(0, changed[k] - 3), high = min(edits.count, changed[last] + 4)
            var (oldStart, newStart, oldCount, newCount) = (Int.max, Int.max, 0, 0)
            var body = ""
            for edit in edits[low..<high] {
                switch edit {
                case .same(let x, let y):
                    (oldStart, newStart, oldCount, newCount) = (min(oldStart, x), min(newStart, y), oldCount + 1, newCount + 1)
                    body += " \(a[x])\n"
                case .removed(let x):
                    (oldStart, oldCount) = (min(oldStart, x), oldCount + 1)
                    body += "-\(a[x])\n"
                case .added(let y):
                    (newStart, newCount) = (min(newStart, y), newCount + 1)
                    body += "+\(b[y])\n"
                }
            }
            func start(_ value: Int, _ count: Int) -> Int { value == Int.max ? 0 : value + (count > 0 ? 1 : 0) }
            out += "@@ -\(start(oldStart, oldCount)),\(oldCount) +\(start(newStart, newCount)),\(newCount) @@\n" + body
            k = last + 1
        }
        return out
    }
}
