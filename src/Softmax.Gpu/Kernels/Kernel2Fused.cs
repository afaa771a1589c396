using ILGPU;
using ILGPU.Runtime;

namespace Softmax.Gpu.Kernels;

/// <summary>
/// Kernel 2: the fused full-batch pass. Each group (block) walks the tiles blk, blk+B, blk+2B, … of
/// <see cref="TileRows"/> rows, a fixed assignment, and for each tile
/// <list type="number">
/// <item>scores o = W x + b, one warp per row (lanes stride over d, coalesced; shuffle reduction in a fixed tree);</item>
/// <item>softmax and loss per row, G = s(P − Y) kept in shared memory;</item>
/// <item>(P − Y)ᵀX: each thread owns features d ≡ t (mod T); it reads the tile's column x[·, d] once into a
/// local array and adds Σ_r G[r,c]·x[r,d] to its entries of the block's partial (float32, owned by this block only).</item>
/// </list>
/// The loss and weight sums are kept in float64 by thread 0 in row order. Block partials are then summed by
/// <see cref="Reduce"/> in block order, in float64, so a fixed block count gives bit-identical results run to run.
/// X is read from DRAM once per evaluation (the second touch of a tile hits L1/L2).
/// </summary>
public static class Kernel2Fused
{
    /// <summary>Rows per tile (the constant size of the per-thread column cache).</summary>
    public const int TileRows = 32;

    /// <summary>
    /// The launch configuration: <paramref name="blocks"/> groups of <paramref name="groupSize"/> threads, with the
    /// dynamic shared floats of a tile: its scores (TileRows × C), then its losses and weights.
    /// </summary>
    public static KernelConfig Config(int blocks, int groupSize, int classes) =>
        new(blocks, groupSize, SharedMemoryConfig.RequestDynamic<float>(TileRows * classes + 2 * TileRows));

    /// <summary>
    /// Phase 1 of a tile: o = W x + b for the tile's rows into
    /// <paramref name="scores"/> (rows × C), one warp per row, lanes striding over d (coalesced), then a fixed
    /// shuffle-down tree, so every launch sums in the same order.
    /// </summary>
    private static void ScoreTile<TX>(TX x, ArrayView<float> theta, ArrayView<float> scores, ArrayView<int> rowIds, int rows, RowArgs a)
        where TX : struct, IFeatureRows
    {
        int C = a.Classes, D = a.Features, CD = C * D;
        int ws = Warp.WarpSize, lane = Warp.LaneIdx, wid = Group.IdxX / ws, nw = Group.DimX / ws;
        for (int r = wid; r < rows; r += nw)
        {
            long xo = (long)rowIds[r] * a.Stride;
            for (int c = 0; c < C; c++)
            {
                float s = 0;
                int wo = c * D;
                for (int d = lane; d < D; d += ws) s += theta[wo + d] * x.Get(xo + d);
                for (int off = ws / 2; off > 0; off >>= 1) s += Warp.ShuffleDown(s, off);
                if (lane == 0) scores[r * C + c] = s + theta[CD + c];
            }
        }
    }

    /// <summary>
    /// Phase 2 for one row, shared with <see cref="Kernel1Naive"/>: overwrites the C scores at <paramref name="s"/>[o..]
    /// with G = sw·(p − e_y), the max subtracted before exp, and returns the row's loss sw·(−log p_y).
    /// </summary>
    internal static float SoftmaxGradient(ArrayView<float> s, long o, int C, int y, float sw)
    {
        float mx = s[o];
        for (int c = 1; c < C; c++) mx = MathF.Max(mx, s[o + c]);
        float oy = s[o + y], z = 0;
        for (int c = 0; c < C; c++)
        {
            float e = MathF.Exp(s[o + c] - mx);
            s[o + c] = e;
            z += e;
        }
        float inv = 1f / z;
        for (int c = 0; c < C; c++) s[o + c] = sw * (s[o + c] * inv - (c == y ? 1f : 0f));
        return sw * (MathF.Log(z) - (oy - mx));
    }

    /// <summary>
    /// The fused pass. <paramref name="part"/> holds one partial of C·D + C floats per block (written only with a
    /// gradient); <paramref name="scalars"/> holds the block's (loss, weight) sums in float64.
    /// </summary>
    public static void Run<TX>(TX x, ArrayView<int> labels, ArrayView<float> weights, ArrayView<int> index,
        ArrayView<float> theta, ArrayView<float> part, ArrayView<double> scalars, RowArgs a) where TX : struct, IFeatureRows
    {
        var sh = SharedMemory.GetDynamic<float>();
        var rowIds = SharedMemory.Allocate<int>(TileRows);
        var col = LocalMemory.Allocate<float>(TileRows);
        int C = a.Classes, D = a.Features, CD = C * D, P = CD + C;
        int T = Group.DimX, t = Group.IdxX, blk = Grid.IdxX, B = Grid.DimX;
        int lossAt = TileRows * C, weightAt = lossAt + TileRows;
        long pb = (long)blk * P;
        bool grad = a.WithGradient != 0;
        if (grad)
            for (int i = t; i < P; i += T) part[pb + i] = 0f;
        double lossSum = 0, weightSum = 0;

        for (int tile = blk; tile < a.Tiles; tile += B)
        {
            int r0 = tile * TileRows;
            int rows = Math.Min(TileRows, a.Count - r0);
            for (int r = t; r < rows; r += T) rowIds[r] = a.Row(index, r0 + r);
            Group.Barrier();

            // 1. Scores: one warp per row.
            ScoreTile(x, theta, sh, rowIds, rows, a);
            Group.Barrier();

            // 2. Softmax and loss: one thread per row; G = s (p − e_y) overwrites the scores.
            for (int r = t; r < rows; r += T)
            {
                int row = rowIds[r];
                float sw = weights[row];
                sh[lossAt + r] = SoftmaxGradient(sh, r * C, C, labels[row], sw);
                sh[weightAt + r] = sw;
            }
            Group.Barrier();
            if (t == 0)
                for (int r = 0; r < rows; r++)
                {
                    lossSum += sh[lossAt + r];
                    weightSum += sh[weightAt + r];
                }

            // 3. (P − Y)ᵀ X for the tile into this block's partial.
            if (grad)
            {
                for (int d = t; d < D; d += T)
                {
                    for (int r = 0; r < rows; r++) col[r] = x.Get((long)rowIds[r] * a.Stride + d);
                    for (int c = 0; c < C; c++)
                    {
                        float acc = 0;
                        for (int r = 0; r < rows; r++) acc += sh[r * C + c] * col[r];
                        part[pb + c * D + d] += acc;
                    }
                }
                for (int c = t; c < C; c += T)
                {
                    float acc = 0;
                    for (int r = 0; r < rows; r++) acc += sh[r * C + c];
                    part[pb + CD + c] += acc;
                }
            }
            Group.Barrier();
        }
        if (t == 0)
        {
            scalars[2 * blk] = lossSum;
            scalars[2 * blk + 1] = weightSum;
        }
    }

    /// <summary>
    /// Deterministic reduction: entry <c>first + e</c> of [W sums, b sums, loss, weight] is the float64 sum over
    /// blocks 0..blocks−1 in that order.
    /// </summary>
    public static void Reduce(Index1D entry, ArrayView<float> part, ArrayView<double> scalars, ArrayView<double> result,
        int parameters, int blocks, int first, int count)
    {
        int e = entry.X;
        if (e >= count) return;
        int i = first + e;
        double acc = 0;
        if (i < parameters)
            for (int b = 0; b < blocks; b++) acc += part[(long)b * parameters + i];
        else
            for (int b = 0; b < blocks; b++) acc += scalars[2 * b + (i - parameters)];
        result[i] = acc;
    }
}
