import Tensors

/// Checks what every reader promises about the tensors it returns (bytes inside the file, size
/// matching shape × dtype) and converts each to floats (and integers, for integer dtypes), so
/// every byte a tensor claims is read under the address sanitizer. Tensors past a total of
/// `maxElementsToRead` elements are checked but not converted.
public func readEveryTensor(_ tensors: [Tensor]) {
    var budget = maxElementsToRead
    for tensor in tensors {
        require(tensor.offset >= 0 && tensor.byteCount >= 0 && tensor.offset <= tensor.file.count
                && tensor.byteCount <= tensor.file.count - tensor.offset,
                "tensor \(tensor.name) lies outside its file: \(tensor.offset) + \(tensor.byteCount) > \(tensor.file.count)")
        require(tensor.dtype.byteCount(elements: tensor.count) == tensor.byteCount,
                "tensor \(tensor.name): \(tensor.count) \(tensor.dtype) elements in \(tensor.byteCount) bytes")
        require(tensor.shape.allSatisfy { $0 >= 0 } && tensor.shape.reduce(1, { $0 &* $1 }) == tensor.count,
                "tensor \(tensor.name): shape \(tensor.shape) does not give \(tensor.count) elements")
        guard tensor.count <= budget else { continue }
        budget -= tensor.count
        do {
            let floats = try tensor.floats()
            require(floats.count == tensor.count, "tensor \(tensor.name): \(floats.count) floats for \(tensor.count) elements")
            let viewed = try tensor.withFloats { $0.count }
            require(viewed == tensor.count, "tensor \(tensor.name): withFloats gave \(viewed) for \(tensor.count)")
            if tensor.dtype.isInteger {
                let integers = try tensor.integers()
                require(integers.count == tensor.count, "tensor \(tensor.name): \(integers.count) integers for \(tensor.count)")
            }
        } catch {
            require(false, "a tensor the reader returned cannot be read: \(error)")
        }
    }
}
