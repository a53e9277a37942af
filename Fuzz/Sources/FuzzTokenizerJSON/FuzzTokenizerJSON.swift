import Foundation
import FuzzSupport
import Tokenizer

/// Any bytes as a Hugging Face tokenizer.json: loading either throws a TokenizerError or gives
/// a tokenizer whose encodings of a few short texts stay inside the vocabulary and decode. (No
/// round trip here: a fuzzed vocabulary may lack byte tokens, and then bytes are dropped.)
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizerJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let json = Data(UnsafeBufferPointer(start: data, count: size))
    guard let tokenizer = try? BPETokenizer(tokenizerJSONData: json, source: "fuzz.json") else { return 0 }
    for text in ["Hello world, 123!", " é日本 🙂\n\n  x", "<|endoftext|>a<s>"] {
        let ids = tokenizer.encode(text)
        require(ids.allSatisfy { (0..<tokenizer.vocabularySize).contains($0) }, "an id outside the vocabulary: \(ids)")
        if tokenizer.addBOS { require(ids.first == tokenizer.bosID, "no BOS first in \(ids)") }
        require((try? tokenizer.decode(ids)) != nil, "the ids \(ids) do not decode")
    }
    return 0
}

@_cdecl("FuzzTokenizerJSON_main")
public func fuzzTokenizerJSONMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzTokenizerJSON)
}
