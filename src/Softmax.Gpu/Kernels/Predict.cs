using ILGPU;
using ILGPU.Runtime;

namespace Softmax.Gpu.Kernels;

/// <summary>
/// Prediction and evaluation over many rows: the first two phases of <see cref="Kernel2Fused"/> (warp-per-row
/// scores, softmax in shared memory), then per row the probabilities (when asked), the arg-max class and one
/// atomic increment of the confusion count [true class, predicted class] (integer adds: order-independent, so
/// deterministic). The loss for an evaluation comes from the fused kernel's value path.
/// </summary>
public static class Predict
{
    /// <summary>The launch configuration.</summary>
    public static KernelConfig Config(int blocks, int groupSize, int classes) =>
        new(blocks, groupSize, SharedMemoryConfig.RequestDynamic<float>(Kernel2Fused.TileRows * classes));

    /// <summary>The kernel; <paramref name="flags"/> bit 0 writes probabilities, bit 1 counts the confusion matrix.</summary>
    public static void Run<TX>(TX x, ArrayView<int> labels, ArrayView<int> index, ArrayView<float> theta,
        ArrayView<float> probabilities, ArrayView<int> predicted, ArrayView<int> confusion, RowArgs a, int flags) where TX : struct, IFeatureRows
    {
        const int R = Kernel2Fused.TileRows;
        var sh = SharedMemory.GetDynamic<float>();
        var rowIds = SharedMemory.Allocate<int>(R);
        int C = a.Classes;
        int T = Group.DimX, t = Group.IdxX, blk = Grid.IdxX, B = Grid.DimX;
        for (int tile = blk; tile < a.Tiles; tile += B)
        {
            int r0 = tile * R;
            int rows = Math.Min(R, a.Count - r0);
            for (int r = t; r < rows; r += T) rowIds[r] = a.Row(index, r0 + r);
            Group.Barrier();
            Kernel2Fused.ScoreTile(x, theta, sh, rowIds, rows, a);
            Group.Barrier();
            for (int r = t; r < rows; r += T)
            {
                int o = r * C, best = 0;
                float mx = sh[o];
                for (int c = 1; c < C; c++)
                    if (sh[o + c] > mx) { mx = sh[o + c]; best = c; }
                int pos = r0 + r;
                predicted[pos] = best;
                if ((flags & 2) != 0) Atomic.Add(ref confusion[labels[rowIds[r]] * C + best], 1);
                if ((flags & 1) != 0)
                {
                    float z = 0;
                    for (int c = 0; c < C; c++) z += MathF.Exp(sh[o + c] - mx);
                    float inv = 1f / z;
                    for (int c = 0; c < C; c++) probabilities[(long)pos * C + c] = MathF.Exp(sh[o + c] - mx) * inv;
                }
            }
            Group.Barrier();
        }
    }
}
