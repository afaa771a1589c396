using System.Globalization;
using System.Runtime.Intrinsics.X86;

namespace Softmax.Engine;

/// <summary>
/// The per-core data cache sizes of this host, which size the engine's blocks: a block of rows must stay in L2
/// between the forward and the backward pass, and the forward tile's weight panel in L1. Read from CPUID (AMD's
/// extended leaves, Intel's leaf 4), else from Linux's sysfs, else a conservative 32 KiB / 512 KiB.
/// <c>SOFTMAX_CACHE_SIZES=l1,l2</c> (bytes, with an optional K or M suffix) overrides them, to measure how the
/// engine would size itself on another host.
/// </summary>
internal static class HostCaches
{
    private const int DefaultL1 = 32 << 10, DefaultL2 = 512 << 10;

    /// <summary>L1 data cache of one core, in bytes.</summary>
    public static int L1Data { get; }

    /// <summary>L2 cache of one core, in bytes.</summary>
    public static int L2 { get; }

    static HostCaches()
    {
        var (l1, l2) = Override() ?? FromCpuId() ?? FromSysfs() ?? (DefaultL1, DefaultL2);
        // Guard against a hypervisor's nonsense: keep each size within what real cores have.
        L1Data = Math.Clamp(l1, 16 << 10, 256 << 10);
        L2 = Math.Clamp(l2, 256 << 10, 16 << 20);
    }

    private static (int, int)? Override()
    {
        var text = Environment.GetEnvironmentVariable("SOFTMAX_CACHE_SIZES");
        if (string.IsNullOrWhiteSpace(text)) return null;
        var parts = text.Split(',');
        return parts.Length == 2 && Bytes(parts[0]) is int l1 && Bytes(parts[1]) is int l2 ? (l1, l2) : null;
    }

    internal static int? Bytes(string text)
    {
        text = text.Trim().ToUpperInvariant();
        int scale = text.EndsWith('K') ? 1 << 10 : text.EndsWith('M') ? 1 << 20 : 1;
        if (scale != 1) text = text[..^1];
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 && n <= int.MaxValue / scale
            ? n * scale
            : null;
    }

    private static (int, int)? FromCpuId()
    {
        if (!X86Base.IsSupported) return null;
        var (_, vendor, _, _) = X86Base.CpuId(0, 0);
        if (vendor == 0x68747541) // "Auth"enticAMD: L1D in 0x80000005 ECX[31:24] KiB, L2 in 0x80000006 ECX[31:16] KiB
        {
            uint maxExtended = (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
            if (maxExtended < 0x80000006) return null;
            int l1 = (int)((uint)X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx >> 24) << 10;
            int l2 = (int)((uint)X86Base.CpuId(unchecked((int)0x80000006), 0).Ecx >> 16) << 10;
            return l1 > 0 && l2 > 0 ? (l1, l2) : null;
        }
        // Intel's deterministic cache parameters (leaf 4), one subleaf per cache.
        if (X86Base.CpuId(0, 0).Eax < 4) return null;
        int data1 = 0, level2 = 0;
        for (int i = 0; i < 8; i++)
        {
            var (eax, ebx, ecx, _) = X86Base.CpuId(4, i);
            int type = eax & 31, level = (eax >> 5) & 7;
            if (type == 0) break;
            long size = (long)(((uint)ebx >> 22) + 1) * (((ebx >> 12) & 0x3ff) + 1) * ((ebx & 0xfff) + 1) * ((long)(uint)ecx + 1);
            if (level == 1 && type == 1) data1 = (int)Math.Min(size, int.MaxValue);
            if (level == 2 && type is 2 or 3) level2 = (int)Math.Min(size, int.MaxValue);
        }
        return data1 > 0 && level2 > 0 ? (data1, level2) : null;
    }

    private static (int, int)? FromSysfs()
    {
        int l1 = 0, l2 = 0;
        for (int i = 0; i < 8; i++)
        {
            string dir = $"/sys/devices/system/cpu/cpu0/cache/index{i}";
            if (!Directory.Exists(dir)) break;
            try
            {
                string type = File.ReadAllText(Path.Combine(dir, "type")).Trim();
                string level = File.ReadAllText(Path.Combine(dir, "level")).Trim();
                int? size = Bytes(File.ReadAllText(Path.Combine(dir, "size")));
                if (size is null) continue;
                if (level == "1" && type == "Data") l1 = size.Value;
                if (level == "2" && type is "Unified" or "Data") l2 = size.Value;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
        return l1 > 0 && l2 > 0 ? (l1, l2) : null;
    }
}
