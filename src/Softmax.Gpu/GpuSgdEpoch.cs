using ILGPU;
using ILGPU.Runtime;
using Softmax.Gpu.Kernels;
using Softmax.Optimization;

namespace Softmax.Gpu;

/// <summary>
/// A whole epoch of mini-batch SGD (optionally with heavy-ball or Nesterov momentum, λ2 and the L1 proximal step)
/// on the device: θ and the velocity stay there, the epoch's batch index list is uploaded once, and every step is
/// two kernels (<see cref="Kernel2Fused"/> over the batch, then <see cref="SgdUpdate"/>) queued back to back on one
/// stream with no host synchronisation until the epoch ends. Then one download of 2·steps + 2·steps·groups
/// numbers gives the same epoch loss as <see cref="MiniBatchSolver"/> with <see cref="SgdRule"/> reports (mean of the batch F values).
/// <para>The batch order is <see cref="RowBatchPlan.Order"/>'s, the in-memory <see cref="MiniBatchSolver"/> with <see cref="SgdRule"/>'s (same seed,
/// epoch and sampling), so an epoch here and there visit the same batches; they differ only in θ being float32 on
/// the device.</para>
/// </summary>
public sealed class GpuSgdEpoch : IDisposable
{
    private readonly GpuSoftmaxLoss _loss;
    private readonly Accelerator _acc;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _theta;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _velocity;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _order;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _stepLoss;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _norms;
    private readonly int[] _orderHost;
    private readonly double[] _stepLossHost;
    private readonly double[] _normsHost;
    private readonly float[] _thetaHost;
    private readonly int _groups, _batch, _steps;

    /// <summary>Prepares the epoch runner over the rows of <paramref name="loss"/>.</summary>
    public GpuSgdEpoch(GpuSoftmaxLoss loss, MiniBatchOptions options, double momentum = 0, bool nesterov = false, double l2 = 0, double l1 = 0)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Validate();
        if (!(momentum is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(momentum), "Momentum must lie in [0, 1).");
        if (!(l2 >= 0) || !double.IsFinite(l2)) throw new ArgumentOutOfRangeException(nameof(l2));
        if (!(l1 >= 0) || !double.IsFinite(l1)) throw new ArgumentOutOfRangeException(nameof(l1));
        if (loss.Rows == 0) throw new ArgumentException("No rows to train on.", nameof(loss));
        _loss = loss;
        _acc = loss.Device.Accelerator;
        Momentum = momentum;
        Nesterov = nesterov;
        L2 = l2;
        L1 = l1;
        int n = loss.Rows, p = loss.Parameters;
        _batch = Math.Min(options.BatchSize, n);
        _steps = (n + _batch - 1) / _batch;
        _groups = (p + loss.Device.GroupSize - 1) / loss.Device.GroupSize;
        _theta = _acc.Allocate1D<float>(p);
        _velocity = _acc.Allocate1D<float>(p);
        _order = _acc.Allocate1D<int>(n);
        _stepLoss = _acc.Allocate1D<double>(2L * _steps);
        _norms = _acc.Allocate1D<double>(2L * _steps * _groups);
        _orderHost = new int[n];
        _stepLossHost = new double[2 * _steps];
        _normsHost = new double[2 * _steps * _groups];
        _thetaHost = new float[p];
        _theta.MemSetToZero();
        _velocity.MemSetToZero();
    }

    /// <summary>Batch settings (learning rate, batch size, schedule, sampling, seed, epoch count for the schedule).</summary>
    public MiniBatchOptions Options { get; }

    /// <summary>μ.</summary>
    public double Momentum { get; }

    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <summary>λ2.</summary>
    public double L2 { get; }

    /// <summary>λ1.</summary>
    public double L1 { get; }

    /// <summary>Steps per epoch.</summary>
    public int StepsPerEpoch => _steps;

    /// <summary>Kernel launches per epoch (two per step).</summary>
    public int LaunchesPerEpoch => 2 * _steps;

    /// <summary>Uploads θ and clears the velocity.</summary>
    public void SetParameters(ReadOnlySpan<double> theta)
    {
        if (theta.Length != _loss.Parameters) throw new ArgumentException($"θ must have {_loss.Parameters} entries.", nameof(theta));
        for (int i = 0; i < theta.Length; i++) _thetaHost[i] = (float)theta[i];
        _theta.View.CopyFromCPU(_acc.DefaultStream, (ReadOnlySpan<float>)_thetaHost);
        _velocity.MemSetToZero();
        _acc.Synchronize();
    }

    /// <summary>Downloads θ.</summary>
    public void GetParameters(Span<double> theta)
    {
        if (theta.Length != _loss.Parameters) throw new ArgumentException($"θ must have {_loss.Parameters} entries.", nameof(theta));
        _theta.View.CopyToCPU(_acc.DefaultStream, _thetaHost.AsSpan());
        for (int i = 0; i < theta.Length; i++) theta[i] = _thetaHost[i];
    }

    /// <summary>
    /// Runs epoch <paramref name="epoch"/> (0-based; it picks the batch order and the scheduled rate as
    /// <see cref="MiniBatchSolver"/> with <see cref="SgdRule"/> does). Returns the mean batch F over the epoch, or NaN when
    /// <paramref name="computeLoss"/> is false (then nothing is downloaded).
    /// </summary>
    public double RunEpoch(int epoch, bool computeLoss = true)
    {
        int n = _loss.Rows;
        RowBatchPlan.Order(Options, epoch, _orderHost);
        var stream = _acc.DefaultStream;
        _order.View.CopyFromCPU(stream, (ReadOnlySpan<int>)_orderHost);
        double rate = Options.Schedule.Rate(Options.LearningRate, epoch, Options.Epochs);
        int P = _loss.Parameters, T = _loss.Device.GroupSize;
        var sgd = _loss.Device.Shared.Sgd;
        var cfg = new KernelConfig(_groups, T);
        for (int s = 0; s < _steps; s++)
        {
            int start = s * _batch, count = Math.Min(_batch, n - start);
            var a = _loss.Args(start, count, useIndex: 1, withGradient: true);
            int blocks = _loss.EnqueueFused(a, _order.View, _theta.View);
            sgd(cfg, _theta.View, _velocity.View, _loss.PartView, _loss.ScalarView, _stepLoss.View, _norms.View, new SgdArgs
            {
                Parameters = P,
                Weights = _loss.Classes * _loss.Features,
                Blocks = blocks,
                Step = s,
                Groups = _groups,
                Rate = rate,
                Momentum = Momentum,
                Nesterov = Nesterov ? 1 : 0,
                L2 = L2,
                L1 = L1,
            });
        }
        if (!computeLoss)
        {
            _acc.Synchronize();
            return double.NaN;
        }
        _stepLoss.View.CopyToCPU(stream, _stepLossHost.AsSpan());
        _norms.View.CopyToCPU(stream, _normsHost.AsSpan());
        double sum = 0;
        for (int s = 0; s < _steps; s++)
        {
            int count = Math.Min(_batch, n - s * _batch);
            double w2 = 0, w1 = 0;
            for (int g = 0; g < _groups; g++)
            {
                w2 += _normsHost[2 * (s * _groups + g)];
                w1 += _normsHost[2 * (s * _groups + g) + 1];
            }
            double value = _stepLossHost[2 * s] / _stepLossHost[2 * s + 1] + 0.5 * L2 * w2 + L1 * w1;
            sum += value * count;
        }
        return sum / n;
    }

    /// <summary>Frees the device buffers.</summary>
    public void Dispose()
    {
        _theta.Dispose();
        _velocity.Dispose();
        _order.Dispose();
        _stepLoss.Dispose();
        _norms.Dispose();
    }
}
