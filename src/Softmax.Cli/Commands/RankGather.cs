using System.Buffers.Binary;

namespace Softmax.Cli.Commands;

/// <summary>
/// One allreduce buffer that gathers, on every rank, the summed train-accuracy counts and each rank's weight hash
/// and allreduce seconds: each rank fills its own slots, zeros elsewhere, so the sum is a gather. A SHA-256 travels
/// as eight 32-bit pieces, each exact in a double. (MPI.NET's Gather of non-primitive values would need
/// BinaryFormatter, which .NET no longer has.)
/// </summary>
public sealed class RankGather(int ranks, int rank)
{
    private const int HashPieces = 8;

    /// <summary>The buffer: [correct, rows, ranks × 8 hash pieces, ranks × seconds].</summary>
    public double[] Slots { get; } = new double[2 + ranks * (HashPieces + 1)];

    /// <summary>The summed (correct, rows) counts.</summary>
    public (double Correct, double Rows) Counts => (Slots[0], Slots[1]);

    /// <summary>Sets this rank's train-accuracy counts.</summary>
    public void SetCounts((double Correct, double Rows) counts) => (Slots[0], Slots[1]) = counts;

    /// <summary>Sets this rank's weight hash (64 hex digits) and its seconds in allreduce.</summary>
    public void SetOwn(string sha256Hex, double allReduceSeconds)
    {
        var bytes = Convert.FromHexString(sha256Hex);
        if (bytes.Length != 4 * HashPieces) throw new ArgumentException("Expected a SHA-256 in hex.", nameof(sha256Hex));
        for (int k = 0; k < HashPieces; k++) Slots[2 + rank * HashPieces + k] = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 * k));
        Slots[2 + ranks * HashPieces + rank] = allReduceSeconds;
    }

    /// <summary>Every rank's hash, lower-case hex, in rank order.</summary>
    public string[] Hashes() => Enumerable.Range(0, ranks).Select(r =>
    {
        var bytes = new byte[4 * HashPieces];
        for (int k = 0; k < HashPieces; k++)
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 * k), checked((uint)Slots[2 + r * HashPieces + k]));
        return Convert.ToHexStringLower(bytes);
    }).ToArray();

    /// <summary>Every rank's seconds in allreduce, in rank order.</summary>
    public double[] Seconds() => Slots.AsSpan(2 + ranks * HashPieces, ranks).ToArray();
}
