using ILGPU;

namespace Softmax.Gpu.Kernels;

/// <summary>
/// Kernel 1 (llm.c dev/cuda style: the simplest correct variant, kept for validation). Two launches:
/// one thread per row computes scores, softmax and G = s(P − Y) into a rows×C buffer; then one thread per
/// output entry sums over all rows, in row order, in float64. Reads X C+1 times; deterministic by construction.
/// </summary>
public static class Kernel1Naive
{
    /// <summary>Per row j: g[j·C + c] = s_j (p_c − δ_{c,y}), rowLoss[j] = s_j·(−log p_y), rowWeight[j] = s_j.</summary>
    public static void Rows<TX>(Index1D index1, TX x, ArrayView<int> labels, ArrayView<float> weights, ArrayView<int> index,
        ArrayView<float> theta, ArrayView<float> g, ArrayView<double> rowStats, RowArgs a) where TX : struct, IFeatureRows
    {
        int j = index1.X;
        if (j >= a.Count) return;
        int C = a.Classes, D = a.Features;
        int row = a.Row(index, j);
        long xo = (long)row * a.Stride;
        long go = (long)j * C;
        for (int c = 0; c < C; c++)
        {
            float s = theta[C * D + c];
            for (int d = 0; d < D; d++) s += theta[c * D + d] * x.Get(xo + d);
            g[go + c] = s;
        }
        float sw = weights[row];
        rowStats[2L * j] = Kernel2Fused.SoftmaxGradient(g, go, C, labels[row], sw);
        rowStats[2L * j + 1] = sw;
    }

    /// <summary>Entry e of [W sums (C·D), b sums (C), loss, weight]: a float64 sum over all rows in order.</summary>
    public static void Sums<TX>(Index1D entry, TX x, ArrayView<int> index, ArrayView<float> g, ArrayView<double> rowStats,
        ArrayView<double> result, RowArgs a) where TX : struct, IFeatureRows
    {
        int e = entry.X, C = a.Classes, D = a.Features, P = a.Parameters;
        if (e >= P + 2) return;
        double acc = 0;
        if (e >= P)
        {
            int k = e - P;
            for (int j = 0; j < a.Count; j++) acc += rowStats[2L * j + k];
        }
        else if (e >= C * D)
        {
            int c = e - C * D;
            for (int j = 0; j < a.Count; j++) acc += g[(long)j * C + c];
        }
        else
        {
            int c = e / D, d = e - c * D;
            for (int j = 0; j < a.Count; j++) acc += (double)g[(long)j * C + c] * x.Get((long)a.Row(index, j) * a.Stride + d);
        }
        result[e] = acc;
    }
}
