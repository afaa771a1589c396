using Softmax.Data;
using Softmax.Streaming;

namespace Softmax.Scale.Tests;

/// <summary>Fashion-MNIST training rows packed once: the whole file and two row shards of it.</summary>
public sealed class MpiFixture : IDisposable
{
    public MpiFixture()
    {
        Mpiexec = Tools.Which("mpiexec.mpich");
        string images = Path.Combine(TestData.FashionMnist, "train-images-idx3-ubyte.gz");
        if (Mpiexec is null || !File.Exists(images)) return;
        Directory = _temp.Path;
        var data = DataLoader.Load(images);
        Whole = Path.Combine(Directory, "fashion.smxp");
        PackedDataset.Pack(data, Whole);
        int half = data.Rows / 2;
        Shards = [Path.Combine(Directory, "shard0.smxp"), Path.Combine(Directory, "shard1.smxp")];
        PackedDataset.Pack(data.Slice(0, half), Shards[0]);
        PackedDataset.Pack(data.Slice(half, data.Rows - half), Shards[1]);
    }

    public string? Mpiexec { get; }
    private readonly TempDir _temp = new("mpi");

    public string Directory { get; } = "";
    public string Whole { get; } = "";
    public string[] Shards { get; } = [];

    /// <summary>Why the MPI tests cannot run here, or null. Under CI (CI=true, where .ci/run installs both) a missing piece fails the test instead.</summary>
    public string? SkipReason
    {
        get
        {
            string? reason = Mpiexec is null ? "mpiexec.mpich is not installed (apt-get install mpich libmpich-dev)"
                : Whole.Length == 0 ? $"Fashion-MNIST is not installed under {TestData.FashionMnist}" : null;
            Assert.False(reason is not null && Tools.UnderCi,
                $"{reason}; CI must install it (.ci/run does)");
            return reason;
        }
    }

    public void Dispose()
    {
        _temp.Dispose();
    }
}

/// <summary>The MPI test classes share one packed copy of Fashion-MNIST.</summary>
[CollectionDefinition(Name)]
public sealed class MpiCollection : ICollectionFixture<MpiFixture>
{
    public const string Name = "fashion-mnist over MPI";
}
