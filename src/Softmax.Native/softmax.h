/*
 * softmax.h: the C API of libsoftmax, the Softmax engine (multinomial logistic regression) as a shared library.
 *
 * Build the library (NativeAOT; needs clang, lld and zlib1g-dev):
 *     dotnet publish src/Softmax.Native -c Release -r linux-x64 -p:PublishAot=true
 *     -> src/Softmax.Native/bin/Release/net10.0/linux-x64/publish/libsoftmax.so (and this header beside it)
 * Link a program against it:
 *     gcc -O2 -I DIR prog.c -L DIR -lsoftmax -Wl,-rpath,DIR -o prog
 *
 * The objective (the same as the .NET library's and the CLI's):
 *     F(W, b) = (1/S) sum_j s_j * (-log p_{y_j}(x_j)) + (l2/2) ||W||_F^2 + l1 ||W||_1,    S = sum_j s_j,
 * with s_j = sample_weight_j * class_weight_{y_j} (each 1 when not given) and p = softmax(W x + b). The bias b is
 * never penalised. W is n_classes x n_features, row-major.
 *
 * Conventions
 *  - Every function that can fail returns an int status: SOFTMAX_OK (0) or a negative SOFTMAX_E_* code. The reason is
 *    then in softmax_last_error(), a message owned by the library and kept per thread (valid until the next failing
 *    call on the same thread). No exception or signal ever leaves the library.
 *  - Handles (softmax_problem, softmax_model) are opaque. The library allocates them; the caller frees each one it
 *    receives with softmax_problem_free / softmax_model_free (NULL is allowed there). A handle is immutable after
 *    creation, so one handle may be used from several threads at once (train from one problem, predict from one
 *    model), except that it must not be freed while in use. Freeing a handle twice is undefined, as with free().
 *  - Input arrays are caller-owned. softmax_problem_dense WRAPS rows that are already in the engine's layout, without
 *    copying: float32 at a 64-byte aligned address with row_stride == softmax_padded_cols(cols) (in elements) and the
 *    padding elements 0 (so every row is 64-byte aligned; an aligned C-contiguous array whose cols is a multiple of 16
 *    qualifies, e.g. 28x28 images: allocate with aligned_alloc(64, ...) or posix_memalign), and uint8 with row_stride
 *    0 or cols (C-contiguous, any address). softmax_problem_csr WRAPS int32 indices and float32 data, and then also
 *    int64 indptr (int32 indptr is widened into rows + 1 int64 row pointers: the only copy of scipy's default
 *    int32/float32 CSR). Such a problem reads the caller's memory whenever it is used (train, predict, ...): the
 *    caller keeps those arrays alive and unchanged until softmax_problem_free. Every other input is copied once, and
 *    the caller may free it as soon as softmax_problem_* returns: float32 rows in another layout or at an unaligned
 *    address (rows straddling cache lines train ~15 % slower than the one copy costs), float64 rows (rounded to
 *    float32: the engine stores float32), strided uint8 rows (packed), int64 CSR indices (narrowed to int32) and
 *    float64 CSR data (rounded to float32); CSR with both is copied whole, indptr included. Labels and sample weights
 *    are always copied. softmax_problem_is_view tells which happened.
 *  - Output buffers are caller-allocated with the documented size; outputs are row-major.
 *  - Scores and probabilities are computed in float64 from the stored float32 rows.
 */
#ifndef SOFTMAX_H
#define SOFTMAX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this C API; softmax_api_version() returns the library's. A library accepts every older options struct.
 * 2: softmax_problem_is_view, softmax_padded_cols, softmax_model_class_name, softmax_model_with_class_names. */
#define SOFTMAX_API_VERSION 2

/* Status codes. */
#define SOFTMAX_OK 0
#define SOFTMAX_E_ARGUMENT (-1)   /* an invalid argument, option or data value (the message says which) */
#define SOFTMAX_E_IO (-2)         /* a file could not be read or written */
#define SOFTMAX_E_FORMAT (-3)     /* a model or data file (or buffer) is malformed */
#define SOFTMAX_E_BUFFER (-4)     /* the output buffer is too small; the size needed was stored */
#define SOFTMAX_E_DIVERGED (-5)   /* training produced a non-finite loss (for example a learning rate far too high) */
#define SOFTMAX_E_CANCELLED (-6)  /* the progress callback asked to stop; a model with the weights so far was stored */
#define SOFTMAX_E_MEMORY (-7)     /* out of memory */
#define SOFTMAX_E_INTERNAL (-99)  /* a bug: please report the message */

/* Element types of feature values and CSR indices. */
#define SOFTMAX_FLOAT32 0
#define SOFTMAX_FLOAT64 1
#define SOFTMAX_UINT8 2
#define SOFTMAX_INT32 3
#define SOFTMAX_INT64 4

/* Solvers. */
#define SOFTMAX_SOLVER_LBFGS 0    /* full-batch L-BFGS; OWL-QN when l1 > 0 (uses tol and max_iter) */
#define SOFTMAX_SOLVER_SGD 1      /* mini-batch SGD with momentum (uses epochs, lr, batch_size, momentum, seed) */
#define SOFTMAX_SOLVER_ADAM 2     /* Adam (uses epochs, lr, batch_size, seed) */

/* Precision of the data term during training (the reported objective is always accumulated in float64). */
/* On this build float64, and auto on a small problem (n_rows * n_features * n_classes <= 2e6), train on the float64
 * reference engine (exact, single-threaded) until the fast engine's float64 path is in. */
#define SOFTMAX_PRECISION_AUTO 0
#define SOFTMAX_PRECISION_FLOAT32 1
#define SOFTMAX_PRECISION_FLOAT64 2

/* Preprocessing fitted on the training rows and stored in the model (applied again at predict time). */
#define SOFTMAX_PREPROCESS_NONE 0 /* the default: train on the data as given */
#define SOFTMAX_PREPROCESS_SCALE 1        /* x * preprocess_scale */
#define SOFTMAX_PREPROCESS_CENTER 2       /* x * scale - mean */
#define SOFTMAX_PREPROCESS_STANDARDIZE 3  /* (x * scale - mean) / std */

/* Why training stopped (softmax_training_info.stop_reason). */
#define SOFTMAX_STOP_CONVERGED 0           /* the gradient test was met: inf-norm of the gradient of F <= tol, in float64 */
#define SOFTMAX_STOP_RELATIVE_DECREASE 1   /* the optional relative-decrease test (not set through this API) */
#define SOFTMAX_STOP_MAX_ITERATIONS 2
#define SOFTMAX_STOP_EPOCHS_COMPLETED 3
#define SOFTMAX_STOP_EARLY_STOPPING 4
#define SOFTMAX_STOP_CANCELLED 5
#define SOFTMAX_STOP_PRECISION_LIMIT 6     /* a failure: tol is below what the arithmetic can resolve (float32 asked for, or tol < ~1e-14) */
#define SOFTMAX_STOP_DIVERGED 7            /* the loss grew: the learning rate is too large */

typedef struct softmax_problem softmax_problem;
typedef struct softmax_model softmax_model;

/*
 * Training options. Always start from softmax_options_init(), which sets `size` and the defaults, then change
 * fields. `size` is sizeof(softmax_options) as the caller compiled it: a newer library reads only that many bytes
 * and uses defaults for fields added later.
 */
typedef struct softmax_options {
    uint32_t size;
    int32_t solver;               /* SOFTMAX_SOLVER_*; default LBFGS */
    double l2;                    /* lambda2 >= 0 on ||W||^2; default 1e-4 */
    double l1;                    /* lambda1 >= 0 on ||W||_1; default 0 */
    double tol;                   /* L-BFGS: converged when the inf-norm of the gradient of F (a mean over rows) <= tol,
                                     evaluated in float64 (scikit-learn's tol); default 1e-6 */
    int32_t max_iter;             /* L-BFGS iteration limit; default 1000 */
    int32_t epochs;               /* SGD/Adam passes; default 20 */
    double lr;                    /* SGD/Adam learning rate; default 0.1 */
    int32_t batch_size;           /* SGD/Adam rows per step; default 256 */
    double momentum;              /* SGD momentum in [0, 1); default 0 */
    int32_t seed;                 /* batch order; default 0 */
    int32_t threads;              /* worker threads, 0 = all cores; results are bit-identical for a fixed count */
    int32_t precision;            /* SOFTMAX_PRECISION_*; default AUTO */
    int32_t preprocess;           /* SOFTMAX_PREPROCESS_*; default NONE */
    double preprocess_scale;      /* factor for SCALE and beyond; 0 = 1 (1/255 is usual for uint8 pixels) */
    const double *class_weights;  /* NULL, or n_class_weights (= the problem's n_classes) values >= 0; read during train */
    int32_t n_class_weights;
    int32_t balanced;             /* nonzero: scikit-learn's "balanced" class weights n / (C * count_c); not with class_weights */
} softmax_options;

/* One report, after each L-BFGS iteration or each SGD/Adam epoch. */
typedef struct softmax_progress {
    int32_t iteration;            /* solver steps so far */
    int32_t epoch;                /* passes over the rows (L-BFGS: evaluations) */
    double loss;                  /* F (L-BFGS: exact; SGD/Adam: mean of the epoch's batch values) */
    double gradient_norm;         /* inf-norm of the (pseudo-)gradient, when known (else NaN) */
    double elapsed_seconds;
} softmax_progress;

/* Called on the training thread; return 0 to go on, nonzero to stop (softmax_train then returns SOFTMAX_E_CANCELLED). */
typedef int (*softmax_progress_fn)(const softmax_progress *progress, void *user_data);

/* What training reported, stored in the model (and in its file). */
typedef struct softmax_training_info {
    int32_t iterations;
    int32_t epochs;               /* mini-batch epochs; for L-BFGS, which has none, its evaluations of F and its gradient */
    double objective;             /* F at the returned weights, float64 accumulation; NaN for a model without it */
    double seconds;
    int32_t stop_reason;          /* SOFTMAX_STOP_*; -1 when unknown (a model file from elsewhere) */
} softmax_training_info;

/* ---- library ---- */
const char *softmax_version(void);      /* the library version, e.g. "0.1.0"; static storage */
int softmax_api_version(void);          /* SOFTMAX_API_VERSION of the library */
const char *softmax_last_error(void);   /* this thread's last error message ("" if none); owned by the library */
void softmax_options_init(softmax_options *options);

/* ---- problems (features, optional labels and sample weights) ----
 * x: rows x cols values of `dtype` (FLOAT32, FLOAT64 or UINT8), row i at x + i * row_stride elements (row_stride 0
 * means cols: C-contiguous). y: rows labels in 0..n_classes-1, or NULL for a problem used only to predict.
 * n_classes: 0 means max(y) + 1 (1 when y is NULL). sample_weight: rows finite values >= 0, or NULL for ones; stored
 * as float32. */
int softmax_problem_dense(const void *x, int32_t dtype, int64_t rows, int64_t cols, int64_t row_stride,
                          const int32_t *y, const double *sample_weight, int32_t n_classes, softmax_problem **out);

/* CSR: row i's values are data[indptr[i] .. indptr[i+1]) at 0-based columns indices[...], strictly ascending
 * within a row (scipy's canonical format). index_dtype (INT32/INT64) types both indptr and indices; value_dtype is
 * FLOAT32 or FLOAT64. INT32 indices and FLOAT32 data are read in place (see Conventions). */
int softmax_problem_csr(const void *indptr, const void *indices, int32_t index_dtype, const void *data,
                        int32_t value_dtype, int64_t rows, int64_t cols, const int32_t *y,
                        const double *sample_weight, int32_t n_classes, softmax_problem **out);

/* Any data file or directory the CLI reads (CSV, LIBSVM, IDX, NumPy, CIFAR) or a named set ("digits",
 * "fashion-mnist", ...). part: 0 the training part, 1 the test part of a named set (a file has only part 0).
 * Labels keep the file's class names; softmax_model_score matches them by name. */
int softmax_problem_load(const char *source, int32_t part, softmax_problem **out);

/* 1 when the problem reads the caller's x (or CSR arrays) in place (see Conventions: keep them alive and unchanged
 * until the problem is freed), 0 when it holds its own copy, negative on error. */
int softmax_problem_is_view(const softmax_problem *problem);
/* The row stride (in float32 elements) of the engine's layout for cols features: cols rounded up to a multiple of 16. */
int64_t softmax_padded_cols(int64_t cols);

int softmax_problem_shape(const softmax_problem *problem, int64_t *rows, int64_t *cols, int32_t *n_classes);
void softmax_problem_free(softmax_problem *problem);

/* ---- training ----
 * warm_start: NULL, or a model with the problem's classes and features to start from.
 * progress: NULL, or a callback (user_data is passed through). On SOFTMAX_OK or SOFTMAX_E_CANCELLED *out holds a new
 * model the caller frees; otherwise *out is NULL. */
int softmax_train(const softmax_problem *problem, const softmax_options *options, const softmax_model *warm_start,
                  softmax_progress_fn progress, void *user_data, softmax_model **out);

/* ---- models ---- */
int softmax_model_shape(const softmax_model *model, int32_t *n_classes, int32_t *n_features);
int softmax_model_training_info(const softmax_model *model, softmax_training_info *out);
/* Class i's name (the label the CLI prints; "0".."C-1" unless the data or softmax_model_with_class_names named
 * them) as a NUL-terminated UTF-8 string. Call with buffer NULL (or too small) to learn the size including the NUL:
 * *size receives it and the call returns SOFTMAX_OK for NULL, SOFTMAX_E_BUFFER for a too-small buffer. */
int softmax_model_class_name(const softmax_model *model, int32_t index, char *buffer, size_t capacity, size_t *size);
/* A new model equal to `model` but with class i named names[i] (n_names = n_classes distinct non-empty UTF-8
 * strings; copied). Name the classes of a model trained from integer labels before saving it for the CLI. */
int softmax_model_with_class_names(const softmax_model *model, const char *const *names, int32_t n_names,
                                   softmax_model **out);
/* coef: n_classes x n_features (row-major) and intercept: n_classes, in float64, in the units the model is scored in
 * after its preprocessing (with SOFTMAX_PREPROCESS_NONE: the raw features). Either may be NULL. */
int softmax_model_coefficients(const softmax_model *model, double *coef, double *intercept);
/* A model from coefficients (no preprocessing): the inverse of softmax_model_coefficients. */
int softmax_model_from_coefficients(const double *coef, const double *intercept, int32_t n_classes,
                                    int32_t n_features, softmax_model **out);

/* Outputs for every row of `problem` (its labels are ignored): labels[rows] class indices (ties: lowest);
 * proba, scores and log_proba: rows x n_classes. */
int softmax_predict(const softmax_model *model, const softmax_problem *problem, int32_t *labels);
int softmax_predict_proba(const softmax_model *model, const softmax_problem *problem, double *proba);
int softmax_predict_log_proba(const softmax_model *model, const softmax_problem *problem, double *log_proba);
int softmax_decision_function(const softmax_model *model, const softmax_problem *problem, double *scores);
/* Accuracy on a labelled problem, labels matched to the model's classes by name. */
int softmax_model_score(const softmax_model *model, const softmax_problem *problem, double *accuracy);

/* The model file format (the CLI's and the .NET library's): save writes a temporary file and renames it. */
int softmax_model_save(const softmax_model *model, const char *path);
int softmax_model_load(const char *path, softmax_model **out);
/* The same bytes in memory. Call with buffer NULL (or too small) to learn the size: *size receives it and the call
 * returns SOFTMAX_OK for NULL, SOFTMAX_E_BUFFER for a too-small buffer. */
int softmax_model_to_bytes(const softmax_model *model, uint8_t *buffer, size_t capacity, size_t *size);
int softmax_model_from_bytes(const uint8_t *bytes, size_t length, softmax_model **out);
void softmax_model_free(softmax_model *model);

#ifdef __cplusplus
}
#endif

#endif /* SOFTMAX_H */
