namespace Softmax.Engine;

/// <summary>Arithmetic of the data term during training. The reported F and metrics are always float64-accurate.</summary>
public enum Precision
{
    /// <summary>float64 outright when N·D·C is small; otherwise float32 passes, then a float64 polish once float32 reaches its noise floor.</summary>
    Auto,
    /// <summary>float32 scores and gradient sums (the fastest; F carries a ~1e-7 relative noise floor).</summary>
    Float32,
    /// <summary>float64 scores and gradient sums from the stored float32/uint8 rows (no second copy of X).</summary>
    Float64,
}
