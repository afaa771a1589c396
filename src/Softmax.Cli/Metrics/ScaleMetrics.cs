using System.Diagnostics;
using System.Text.Json;

namespace Softmax.Cli.Metrics;

/// <summary>
/// What a streamed (<paramref name="Ranks"/> = 1) or distributed run adds to the metrics JSON: the rows of rank 0's
/// shard, the allreduce calls of training (rank 0) and each rank's seconds in them, and each rank's SHA-256 of its
/// final weights (as <c>softmax info</c> prints it), which must all be equal.
/// </summary>
public sealed record ScaleMetrics(int Ranks, int? ShardRows = null, long? AllReduceCalls = null, double[]? RankAllReduceSeconds = null,
    string[]? RankWeightsSha256 = null)
{
    /// <summary>Writes the fields, with this process's peak resident set (Linux: VmHWM) so far.</summary>
    public void Write(Utf8JsonWriter w)
    {
        // Streamed (one process) or distributed (k ranks): the rows were read in blocks, never all resident.
        w.WriteBoolean("streamed", true);
        w.WriteNumber("ranks", Ranks);
        using (var self = Process.GetCurrentProcess()) w.WriteNumber("peak_rss_bytes", self.PeakWorkingSet64);
        if (ShardRows is { } rows) w.WriteNumber("shard_rows", rows);
        if (AllReduceCalls is { } calls) w.WriteNumber("allreduce_calls", calls);
        if (RankAllReduceSeconds is { } seconds) w.Values("rank_allreduce_seconds", seconds, w.WriteNumberValue);
        if (RankWeightsSha256 is { } hashes) w.Values("rank_weights_sha256", hashes, w.WriteStringValue);
    }
}
