import Testing
@testable import EmoFuse

@Test func engineIsReExported() {
    let b = FloatBuffer(count: 3)
    #expect(b.array == [0, 0, 0])
}
