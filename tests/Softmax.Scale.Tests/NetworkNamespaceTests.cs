using System.Globalization;
using Xunit.Abstractions;

namespace Softmax.Scale.Tests;

/// <summary>
/// Two ranks as two "hosts": network namespaces joined by a veth pair, each rank with its own hostname (UTS namespace),
/// UCX restricted to TCP, so the allreduce traffic really crosses an interface. MPICH's hydra starts the remote proxy
/// through its ssh launcher; the launcher here is a script that enters the host's namespace instead of ssh-ing.
/// Needs root, iproute2 and util-linux's unshare; skipped with the reason otherwise.
/// </summary>
[Collection(MpiCollection.Name)]
public sealed class NetworkNamespaceTests(MpiFixture fixture, ITestOutputHelper output)
{
    [SkippableFact]
    public void Two_ranks_in_two_network_namespaces_train_over_a_veth_pair()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        Skip.IfNot(OperatingSystem.IsLinux(), "network namespaces are a Linux feature");
        Skip.If(Environment.UserName != "root", "network namespaces need root");
        Skip.If(Tools.Which("ip") is null || Tools.Which("unshare") is null, "iproute2 (ip) and unshare are needed");
        int id = Environment.ProcessId % 100000, net = Environment.ProcessId % 250 + 1;
        string nsA = $"smx{id}a", nsB = $"smx{id}b", vethA = $"smx{id}va", vethB = $"smx{id}vb";
        string ipA = $"10.231.{net}.1", ipB = $"10.231.{net}.2";
        string dir = Path.Combine(fixture.Directory, "netns");
        Directory.CreateDirectory(dir);
        string launcher = Path.Combine(dir, "ns-ssh");
        File.WriteAllText(launcher, $$"""
            #!/bin/sh
            # hydra's ssh launcher calls: ns-ssh [-x] HOST COMMAND...; run COMMAND in HOST's namespace under its own hostname.
            while [ "${1#-}" != "$1" ]; do shift; done
            host=$1; shift
            case $host in {{ipA}}) ns={{nsA}};; {{ipB}}) ns={{nsB}};; *) echo "ns-ssh: unknown host $host" >&2; exit 1;; esac
            exec ip netns exec $ns unshare --uts sh -c "hostname $ns; $*"
            """);
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            // A container without CAP_NET_ADMIN refuses this: that is a reason to skip, not a failure of the code under test.
            var setup = ChildProcess.Run("sh", ["-c", $"ip netns add {nsA} && ip netns add {nsB} && ip link add {vethA} type veth peer name {vethB}"]);
            Skip.If(setup.ExitCode != 0, $"cannot create network namespaces and a veth pair here: {setup.Stderr.Trim()}");
            Sh($"ip link set {vethA} netns {nsA} && ip link set {vethB} netns {nsB} && " +
               $"ip -n {nsA} addr add {ipA}/24 dev {vethA} && ip -n {nsB} addr add {ipB}/24 dev {vethB} && " +
               $"ip -n {nsA} link set {vethA} up && ip -n {nsB} link set {vethB} up && ip -n {nsA} link set lo up && ip -n {nsB} link set lo up");
            long before = RxBytes(nsB, vethB);
            var run = ChildProcess.Run("ip", ["netns", "exec", nsA, fixture.Mpiexec!, "-launcher", "ssh", "-launcher-exec", launcher, "-iface", vethA,
                "-hosts", $"{ipA},{ipB}", "-n", "2", "-ppn", "1", "-genv", "UCX_TLS", "tcp",
                "dotnet", SoftmaxCli.Dll, .. TestData.Train(dir, "two-hosts", ["--data", fixture.Whole, "--distributed", "--threads", "1", "--l2", "1e-3",
                "--max-iter", "10", "--collective-timeout", "60"])],
                timeout: TimeSpan.FromMinutes(5));   // ~11 s alone; ssh start-up in the namespaces is slow on a loaded 2-core machine
            long crossed = RxBytes(nsB, vethB) - before;
            output.WriteLine($"exit {run.ExitCode} in {run.Elapsed.TotalSeconds:F1} s; {crossed} bytes into {vethB}\n{run.Stderr}");
            Assert.True(run.ExitCode == 0, run.Stderr);
            var line = TestData.Metrics(dir, "two-hosts");
            var hashes = TestData.Hashes(line);
            Assert.Equal(2, hashes.Length);
            Assert.Equal(hashes[0], hashes[1]);
            var single = TestData.Softmax(TestData.Train(dir, "single", ["--data", fixture.Whole, "--threads", "2", "--l2", "1e-3", "--max-iter", "10"]));
            Assert.True(single.ExitCode == 0, single.ToString());
            double f1 = TestData.Objective(TestData.Metrics(dir, "single"));
            double f2 = TestData.Objective(line);
            Assert.True(TestData.RelativeDifference(f1, f2) <= 1e-9, $"single {f1:R}, two hosts {f2:R}");
            // At least the gradient allreduces (11 evaluations × (C·D + C + 2) doubles) came in over the veth.
            Assert.True(crossed > 11L * 7852 * 8, $"only {crossed} bytes crossed {vethB}");
        }
        finally
        {
            TryRun("ip", ["link", "del", vethA]);   // only still here when set-up stopped before moving it
            TryRun("ip", ["netns", "del", nsA]);
            TryRun("ip", ["netns", "del", nsB]);
        }
    }

    private static long RxBytes(string ns, string veth) =>
        long.Parse(ChildProcess.Run("ip", ["netns", "exec", ns, "cat", $"/sys/class/net/{veth}/statistics/rx_bytes"]).Stdout.Trim(), CultureInfo.InvariantCulture);

    private static void Sh(string script)
    {
        var r = ChildProcess.Run("sh", ["-c", script]);
        Assert.True(r.ExitCode == 0, $"{script}\n{r.Stderr}");
    }

    private static void TryRun(string file, string[] args)
    {
        try { ChildProcess.Run(file, args); } catch (InvalidOperationException) { } catch (System.ComponentModel.Win32Exception) { }
    }
}
