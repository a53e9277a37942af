import XCTest
@testable import LanguageModel

final class HookPointTests: XCTestCase {
    func testNamesParseAndPrint() throws {
        let hook = try HookPoint("blocks.15.hook_resid_post")
        XCTAssertEqual(hook, HookPoint(layer: 15, site: .residPost))
        XCTAssertEqual(hook.description, "blocks.15.hook_resid_post")
        for bad in ["blocks.x.hook_resid_post", "blocks.1.hook_resid", "layers.1.hook_resid_post", "blocks.-1.hook_mlp_out", ""] {
            XCTAssertThrowsError(try HookPoint(bad), bad) { XCTAssertTrue("\($0)".contains("hook")) }
        }
    }

    func testHooksOrderAsThePassVisitsThem() throws {
        let names = ["blocks.2.hook_resid_pre", "blocks.1.hook_resid_post", "blocks.1.hook_mlp_out", "blocks.1.hook_resid_mid",
                     "blocks.1.hook_attn_out", "blocks.1.hook_resid_pre"]
        let sorted = try names.map(HookPoint.init).sorted().map(\.description)
        XCTAssertEqual(sorted, ["blocks.1.hook_resid_pre", "blocks.1.hook_attn_out", "blocks.1.hook_resid_mid",
                                "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post", "blocks.2.hook_resid_pre"])
    }
}
