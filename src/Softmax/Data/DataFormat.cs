namespace Softmax.Data;

/// <summary>File formats <see cref="DataLoader"/> reads.</summary>
public enum DataFormat
{
    /// <summary>Detect from the extension, the first bytes or the directory contents.</summary>
    Auto,
    /// <summary>IDX (MNIST, Fashion-MNIST, EMNIST), raw or gzip.</summary>
    Idx,
    /// <summary>CIFAR-10 binary batches.</summary>
    Cifar10,
    /// <summary>CIFAR-100 binary files.</summary>
    Cifar100,
    /// <summary>Delimited text.</summary>
    Csv,
    /// <summary>LIBSVM / SVMlight sparse text.</summary>
    LibSvm,
    /// <summary>NumPy .npy arrays.</summary>
    Npy,
}
