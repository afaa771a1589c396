using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Softmax.Cli.Tests;

/// <summary>
/// Tabular CSV through the real CLI: scikit-learn's iris, wine and breast_cancer (written with a header and string
/// labels) and a made-up file with categorical and missing values reach the test accuracy of scikit-learn's
/// <c>Pipeline(ColumnTransformer(OneHotEncoder, SimpleImputer, StandardScaler), LogisticRegression)</c> with the same
/// λ (C = 1/(λ·N)) within one point, with the defaults; columns are bound by name at predict time.
/// </summary>
public sealed class TabularCliTests
{
    private const double Lambda = 1e-4;   // the CLI's default --l2

    /// <summary>Writes NAME_train.csv and NAME_test.csv (stratified 70/30) and prints scikit-learn's test accuracy.</summary>
    private const string Script = """
        import csv, sys
        import numpy as np
        from sklearn import datasets
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import train_test_split
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler
        name, out, lam = sys.argv[1], sys.argv[2], float(sys.argv[3])
        if name == "mixed":
            rng = np.random.default_rng(7); n = 600
            color = rng.choice(["red", "green", "blue", "violet"], n, p=[.4, .3, .2, .1]); size = rng.choice(["S", "M", "L"], n)
            x1 = rng.normal(0, 1, n); x2 = rng.normal(5, 3, n); x3 = rng.uniform(-2, 2, n)
            s = 1.5 * x1 - 0.4 * (x2 - 5) + np.where(color == "red", 1.2, np.where(color == "blue", -1.0, 0)) + np.where(size == "L", 0.8, 0) + rng.normal(0, .7, n)
            y = np.where(s > 0.8, "high", np.where(s < -0.8, "low", "mid"))
            cols = ["x1", "x2", "x3", "color", "size"]
            X = np.empty((n, 5), dtype=object)
            X[:, 0] = [repr(float(v)) for v in x1]; X[:, 1] = [repr(float(v)) for v in x2]; X[:, 2] = [repr(float(v)) for v in x3]
            X[:, 3] = color; X[:, 4] = size
            for j, p, token in [(0, .1, ""), (1, .05, "NA"), (3, .08, "")]:
                X[rng.random(n) < p, j] = token
            cats = [3, 4]
        else:
            d = getattr(datasets, "load_" + name)()
            cols = [c.replace(" ", "_") for c in d.feature_names]
            X = np.array([[repr(float(v)) for v in row] for row in d.data], dtype=object)
            y = np.array([str(d.target_names[t]) for t in d.target]); cats = []
        a, b, ya, yb = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
        for part, Xp, yp in [("train", a, ya), ("test", b, yb)]:
            with open(f"{out}/{name}_{part}.csv", "w", newline="") as f:
                w = csv.writer(f); w.writerow(cols + ["target"]); w.writerows([list(r) + [t] for r, t in zip(Xp, yp)])
        nums = [j for j in range(len(cols)) if j not in cats]
        def numeric(M): return np.array([[np.nan if v in ("", "NA") else float(v) for v in row] for row in M[:, nums]])
        def categorical(M): return M[:, cats].astype(str)
        def frame(M): return np.hstack([numeric(M), categorical(M)]) if cats else numeric(M)
        k = len(nums)
        ct = ColumnTransformer([("num", Pipeline([("imp", SimpleImputer(strategy="mean")), ("sc", StandardScaler())]), list(range(k)))]
            + ([("cat", Pipeline([("imp", SimpleImputer(missing_values="", strategy="most_frequent")), ("oh", OneHotEncoder(handle_unknown="ignore"))]), list(range(k, k + len(cats))))] if cats else []))
        Xa = frame(a); Xb = frame(b)
        if cats: Xa = Xa.astype(object); Xb = Xb.astype(object); Xa[:, :k] = Xa[:, :k].astype(float); Xb[:, :k] = Xb[:, :k].astype(float)
        clf = Pipeline([("ct", ct), ("lr", LogisticRegression(C=1.0 / (lam * len(a)), max_iter=10000, tol=1e-10))]).fit(Xa, ya)
        print(repr(float((clf.predict(Xb) == yb).mean())))
        """;

    private static double SciKit(string name, string dir)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-", name, dir, Lambda.ToString("R", CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(Script.Replace("\r", ""));
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"python3 failed: {err.Result}");
        return double.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData("iris")]
    [InlineData("wine")]
    [InlineData("breast_cancer")]
    [InlineData("mixed")]
    public void Defaults_reach_the_scikit_learn_pipeline_accuracy_within_one_point(string name)
    {
        using var dir = new TempDir();
        double reference = SciKit(name, dir.Path);
        var train = Cli.Ok(dir.Path, "train", "--data", $"{name}_train.csv", "--test", $"{name}_test.csv", "--metrics-json", "m.json", "--threads", "2");
        Assert.Contains("label column: 'target' (named like a label)", train.Stdout);
        var metrics = JsonDocument.Parse(File.ReadAllText(dir["m.json"])).RootElement;
        double ours = metrics.GetProperty("test_accuracy").GetDouble();
        Assert.True(Math.Abs(ours - reference) <= 0.01, $"{name}: softmax {ours:F4}, scikit-learn {reference:F4}");
        if (name == "breast_cancer")
        {
            // Two classes: ROC AUC and average precision, no top-k.
            var test = metrics.GetProperty("test");
            Assert.Equal(JsonValueKind.Null, test.GetProperty("top_k").ValueKind);
            Assert.True(test.GetProperty("binary").GetProperty("roc_auc").GetDouble() > 0.95);
        }
        var info = Cli.Ok(dir.Path, "info", "--model", "model.softmax");
        Assert.Contains("matched by name", info.Stdout);
        if (name == "mixed") Assert.Contains("color=red", info.Stdout);
    }

    [Fact]
    public void Reordered_columns_and_an_id_column_give_the_same_predictions()
    {
        using var dir = new TempDir();
        SciKit("mixed", dir.Path);
        Cli.Ok(dir.Path, "train", "--data", "mixed_train.csv", "-q");
        var lines = File.ReadAllLines(dir["mixed_test.csv"]).Select(l => l.Split(',')).ToArray();
        // The columns in another order, an id first and an extra column last; the label dropped.
        int[] order = [4, 2, 0, 3, 1];
        File.WriteAllLines(dir["shuffled.csv"], lines.Select((f, i) =>
            string.Join(',', new[] { i == 0 ? "id" : $"row{i}" }.Concat(order.Select(j => f[j])).Append(i == 0 ? "note" : "x"))));
        Cli.Ok(dir.Path, "predict", "--data", "mixed_test.csv", "-o", "a.csv");
        Cli.Ok(dir.Path, "predict", "--data", "shuffled.csv", "--id-column", "id", "-o", "b.csv");
        var a = File.ReadAllLines(dir["a.csv"]).Select(l => l.Split(',')).ToArray();
        var b = File.ReadAllLines(dir["b.csv"]).Select(l => l.Split(',')).ToArray();
        Assert.Equal("row,label,probability,true_label,top1_label,top1_probability", string.Join(',', a[0]));
        Assert.Equal("row,id,label,probability,top1_label,top1_probability", string.Join(',', b[0]));
        Assert.Equal(lines.Length, a.Length);
        for (int i = 1; i < a.Length; i++)
        {
            Assert.Equal($"row{i}", b[i][1]);
            Assert.Equal((a[i][1], a[i][2]), (b[i][2], b[i][3]));
        }
        var eval = Cli.Ok(dir.Path, "eval", "--data", "mixed_test.csv");
        Assert.Contains("unseen categories", eval.Stdout);
    }

    [Fact]
    public void Bad_tabular_input_exits_2_naming_file_line_and_column_and_writes_nothing()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["t.csv"], "a,b,kind,target\n1,2,x,p\n3,4,y,q\n5,oops,x,p\n7,8,y,q\n9,10,x,p\n");
        var r = Cli.Run(dir.Path, ["train", "--data", "t.csv"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("t.csv, record/line 4: column 2 ('b'): expected a finite number", r.Stderr);
        Assert.False(File.Exists(dir["model.softmax"]));

        File.WriteAllText(dir["t.csv"], "a,b,kind,target\n1,2,x,p\n3,4,y,q\n5,6,x,p\n7,8,y,q\n");
        Cli.Ok(dir.Path, "train", "--data", "t.csv", "-q");
        File.WriteAllText(dir["rows.csv"], "kind,a\nx,1\n");
        var missing = Cli.Run(dir.Path, ["predict", "--data", "rows.csv", "-o", "out.csv"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("rows.csv, record/line 1: the model's input column 'b' is missing from the header", missing.Stderr);
        Assert.False(File.Exists(dir["out.csv"]));
        File.WriteAllText(dir["rows.csv"], "kind,a,b\nx,1,2\ny,2,NaN\n");
        var nan = Cli.Run(dir.Path, ["predict", "--data", "rows.csv", "-o", "out.csv"]);
        Assert.Equal(2, nan.ExitCode);
        Assert.Contains("rows.csv, record/line 3: column 3 ('b')", nan.Stderr);
        Assert.False(File.Exists(dir["out.csv"]));
    }

    [Fact]
    public void Train_and_predict_parse_quotes_and_blank_lines_alike()
    {
        using var dir = new TempDir();
        var lines = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            string x = (i * 0.25).ToString("R", CultureInfo.InvariantCulture), z = ((i * 7) % 11).ToString(CultureInfo.InvariantCulture);
            // A quoted label holding the delimiter (RFC 4180), quoted numbers, and lines of spaces or a tab.
            lines.Add(i % 3 == 0 ? $"\"{x}\",{z},{(i < 20 ? "\"low, a\"" : "high")}" : $"{x},\"{z}\",{(i < 20 ? "\"low, a\"" : "high")}");
            if (i % 10 == 5) lines.Add(i % 20 == 5 ? "   " : "\t");
        }
        File.WriteAllText(dir["q.csv"], string.Join("\n", lines) + "\n");
        Cli.Ok(dir.Path, "train", "--data", "q.csv", "-q");
        Cli.Ok(dir.Path, "predict", "--data", "q.csv", "-o", "p.csv");
        var predictions = File.ReadAllLines(dir["p.csv"]);
        Assert.Equal(41, predictions.Length);
        Assert.Equal(20, predictions.Count(l => l.Contains(",\"low, a\",", StringComparison.Ordinal) && l.Split(',')[0] is var row && int.Parse(row, CultureInfo.InvariantCulture) < 20));
    }

    [Fact]
    public void Ignored_and_weight_columns_are_not_features()
    {
        using var dir = new TempDir();
        SciKit("iris", dir.Path);
        var lines = File.ReadAllLines(dir["iris_train.csv"]);
        File.WriteAllLines(dir["w.csv"], lines.Select((l, i) => i == 0 ? "junk,wt," + l : $"{i % 7},{(i % 2 == 0 ? 2 : 1)},{l}"));
        var r = Cli.Ok(dir.Path, "train", "--data", "w.csv", "--weight-column", "wt", "--ignore-columns", "junk");
        Assert.Contains("sample weights from 'wt'", r.Stdout);
        var info = Cli.Ok(dir.Path, "info");
        Assert.Contains("features: 4", info.Stdout);
        Assert.DoesNotContain("junk", info.Stdout);
    }
}
