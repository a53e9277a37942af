import XCTest
@testable import FeatureIndex

final class FeatureIndexPlaceholderTests: XCTestCase { func testBuilds() {} }
