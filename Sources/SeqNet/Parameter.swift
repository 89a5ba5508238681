/// A trainable tensor: its value, its gradient accumulator, and the name PyTorch gives it.
///
/// Names follow a PyTorch module with members `rnn` (`nn.GRU`/`nn.LSTM`, `batch_first=True`) and
/// `head` (`nn.Linear`), e.g. `rnn.weight_ih_l0`, `rnn.bias_hh_l3_reverse`, `head.weight`, so a
/// checkpoint's `state_dict` loads with `strict=True`. Values are row-major in PyTorch's shape.
public final class Parameter: @unchecked Sendable {
    /// PyTorch `state_dict` key.
    public let name: String
    /// PyTorch shape, e.g. `[3*H, I]` for a GRU `weight_ih`.
    public let shape: [Int]
    /// Current value, row-major.
    public let value: FloatBuffer
    /// Accumulated gradient of the loss, same layout as `value`.
    public let grad: FloatBuffer

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
        let n = shape.reduce(1, *)
        value = FloatBuffer(count: n)
        grad = FloatBuffer(count: n)
    }

    /// Number of scalars.
    public var count: Int { value.count }
}
