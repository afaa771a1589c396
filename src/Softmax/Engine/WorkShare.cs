namespace Softmax.Engine;

/// <summary>
/// One worker's fixed share of an evaluation's rows, cut into groups of consecutive rows. Its owner takes groups from
/// the front; a worker that has finished its own share takes them from the back (<see cref="TakeBack"/>), computes
/// each into a slot of its own, and the owner adds the slots in afterwards in group order, exactly where it would
/// have added the groups itself, so the sums do not depend on who computed what. Lock-free: one 64-bit word holds
/// the next group from the front and the first group taken from the back.
/// </summary>
internal sealed class WorkShare(int capacity)
{
    private readonly object?[] _taken = new object?[capacity]; // the slot holding group Groups − 1 − i at i
    private long _claim; // (next group from the front) << 32 | (first group taken from the back)

    /// <summary>The rows of the share.</summary>
    public RowSet Rows { get; private set; }

    /// <summary>Groups in the share.</summary>
    public int Groups { get; private set; }

    /// <summary>Rows per group (the last may have fewer).</summary>
    public int GroupRows { get; private set; }

    /// <summary>Makes <paramref name="rows"/> the share, all of its groups still to take. Called before any worker runs.</summary>
    public void Assign(RowSet rows, int groupRows)
    {
        (Rows, GroupRows) = (rows, groupRows);
        Groups = rows.Count == 0 ? 0 : (int)(((long)rows.Count + groupRows - 1) / groupRows);
        Volatile.Write(ref _claim, Groups);
    }

    /// <summary>Rows of group g.</summary>
    public RowSet Group(int g)
    {
        int first = (int)Math.Min((long)g * GroupRows, Rows.Count), end = (int)Math.Min((long)(g + 1) * GroupRows, Rows.Count);
        return Rows.Sub(first, end - first);
    }

    /// <summary>The first group others took, once every worker is done: groups from here to the end are in their slots.</summary>
    public int FirstTaken => (int)Volatile.Read(ref _claim);

    /// <summary>The next group from the front, for the owner, unless it has been taken from the back.</summary>
    public bool TakeFront(out int group)
    {
        while (true)
        {
            long claim = Volatile.Read(ref _claim);
            int front = (int)(claim >> 32), back = (int)claim;
            group = front;
            if (front >= back) return false;
            if (Interlocked.CompareExchange(ref _claim, ((long)(front + 1) << 32) | (uint)back, claim) == claim) return true;
        }
    }

    /// <summary>Records the slot that holds group <paramref name="group"/>, taken with <see cref="TakeBack"/>.</summary>
    public void Hand(int group, object slot) => _taken[Groups - 1 - group] = slot;

    /// <summary>The slot that holds group <paramref name="group"/> (from <see cref="FirstTaken"/> on), once every worker is done.</summary>
    public T Taken<T>(int group) where T : class => (T)_taken[Groups - 1 - group]!;

    /// <summary>The last group not yet taken, for another worker (at most <c>capacity</c> per evaluation).</summary>
    public bool TakeBack(out int group)
    {
        while (true)
        {
            long claim = Volatile.Read(ref _claim);
            int front = (int)(claim >> 32), back = (int)claim;
            group = back - 1;
            if (front >= back) return false;
            if (Interlocked.CompareExchange(ref _claim, ((long)front << 32) | (uint)(back - 1), claim) == claim) return true;
        }
    }

    /// <summary>
    /// A group from the back of the first share after <paramref name="self"/>'s in <paramref name="team"/> that has one
    /// left, for the worker at <paramref name="self"/> once its own share is done; false when none has.
    /// </summary>
    public static bool TakeFromOthers<T>(ReadOnlySpan<T> team, int self, out WorkShare share, out int group)
        where T : IShareOwner
    {
        for (int i = 1; i < team.Length; i++)
        {
            share = team[(self + i) % team.Length].Share;
            if (share.TakeBack(out group)) return true;
        }
        (share, group) = (null!, -1);
        return false;
    }
}

/// <summary>A worker with a <see cref="WorkShare"/>.</summary>
internal interface IShareOwner
{
    WorkShare Share { get; }
}
