using ILGPU;

namespace Softmax.Gpu.Kernels;

/// <summary>Scalar arguments of one SGD step's update.</summary>
public struct SgdArgs
{
    /// <summary>C·D + C.</summary>
    public int Parameters;
    /// <summary>C·D (the penalised W part).</summary>
    public int Weights;
    /// <summary>Blocks of the fused launch whose partials are summed.</summary>
    public int Blocks;
    /// <summary>Step within the epoch (0-based), for the per-step statistics.</summary>
    public int Step;
    /// <summary>Groups of this launch.</summary>
    public int Groups;
    /// <summary>η.</summary>
    public double Rate;
    /// <summary>μ.</summary>
    public double Momentum;
    /// <summary>1 for Nesterov momentum.</summary>
    public int Nesterov;
    /// <summary>λ2.</summary>
    public double L2;
    /// <summary>λ1 (soft-thresholding of W after the step, as the CPU solver does).</summary>
    public double L1;
}

/// <summary>
/// One SGD step on the device, launched right after <see cref="Kernel2Fused.Run{TX}"/> on the same stream (no host
/// sync): each thread owns one entry of θ, sums the block partials in block order (float64), forms
/// g = sums / S + λ2·W, and applies v ← μv − ηg; θ ← θ + v (Nesterov: θ ← θ + μv − ηg), then the L1 proximal step.
/// It also records, per step, the batch data loss and per-group ‖W‖² and ‖W‖₁ at the θ the step started from,
/// so the host can report the same epoch loss as the CPU <c>SgdRule</c> solver after one download per epoch.
/// </summary>
public static class SgdUpdate
{
    /// <summary>Largest group size the statistics buffer allows.</summary>
    public const int MaxGroup = 1024;

    /// <summary>The update kernel (explicitly grouped).</summary>
    public static void Run(ArrayView<float> theta, ArrayView<float> velocity, ArrayView<float> part, ArrayView<double> scalars,
        ArrayView<double> stepLoss, ArrayView<double> norms, SgdArgs a)
    {
        var sq = SharedMemory.Allocate<double>(MaxGroup);
        var ab = SharedMemory.Allocate<double>(MaxGroup);
        int t = Group.IdxX, T = Group.DimX, grp = Grid.IdxX;
        int e = grp * T + t;
        double S = 0;
        for (int b = 0; b < a.Blocks; b++) S += scalars[2 * b + 1];
        double w2 = 0, w1 = 0;
        if (e < a.Parameters)
        {
            double sum = 0;
            for (int b = 0; b < a.Blocks; b++) sum += part[(long)b * a.Parameters + e];
            double th = theta[e];
            double g = sum / S;
            if (e < a.Weights)
            {
                g += a.L2 * th;
                w2 = th * th;
                w1 = Math.Abs(th);
            }
            if (a.Momentum == 0) th -= a.Rate * g;
            else
            {
                double v = a.Momentum * velocity[e] - a.Rate * g;
                velocity[e] = (float)v;
                th += a.Nesterov != 0 ? a.Momentum * v - a.Rate * g : v;
            }
            if (a.L1 > 0 && e < a.Weights)
            {
                double m = Math.Abs(th) - a.Rate * a.L1;
                th = m > 0 ? (th > 0 ? m : -m) : 0;
            }
            theta[e] = (float)th;
        }
        sq[t] = w2;
        ab[t] = w1;
        Group.Barrier();
        if (t == 0)
        {
            double s2 = 0, s1 = 0;
            for (int i = 0; i < T; i++)
            {
                s2 += sq[i];
                s1 += ab[i];
            }
            long o = ((long)a.Step * a.Groups + grp) * 2;
            norms[o] = s2;
            norms[o + 1] = s1;
            if (grp == 0)
            {
                double L = 0;
                for (int b = 0; b < a.Blocks; b++) L += scalars[2 * b];
                stepLoss[2 * a.Step] = L;
                stepLoss[2 * a.Step + 1] = S;
            }
        }
    }
}
