import XCTest
@testable import Tensors

final class HalfTests: XCTestCase {
    /// Every one of the 65536 halves converts as the platform's Float16 does.
    func testAllHalvesConvertExactly() {
        #if !(os(macOS) && arch(x86_64))
        for bits in 0...UInt16.max {
            let want = Float(Float16(bitPattern: bits))
            let got = floatFromHalf(bits)
            if want.isNaN { XCTAssertTrue(got.isNaN); continue }
            XCTAssertEqual(got.bitPattern, want.bitPattern, "half bits \(String(bits, radix: 16))")
            XCTAssertEqual(halfFromFloat(got), bits)
        }
        for value: Float in [1e-8, 3e-5, 0.1, 1.0 / 3, 65519, 65520, 1e10, -2.5e-6] {
            XCTAssertEqual(halfFromFloat(value), Float16(value).bitPattern, "\(value)")
        }
        #endif
    }

    func testBFloat16() {
        XCTAssertEqual(floatFromBFloat16(0x3F80), 1)
        XCTAssertEqual(floatFromBFloat16(0xC0A0), -5)
    }
}
