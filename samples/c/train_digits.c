/*
 * train_digits.c: train a softmax classifier on the embedded digits set through libsoftmax's C API, print the
 * accuracy, and save the model in the format the CLI, .NET and Python read.
 *
 *   make -C samples/c            (after: dotnet publish src/Softmax.Native -c Release -r linux-x64 -p:PublishAot=true)
 *   samples/c/train_digits [SOURCE] [MODEL_OUT]
 *
 * SOURCE is a named set ("digits", the default: trained on its training part, scored on its test part) or a data
 * file (CSV, LIBSVM, ...: trained and scored on the whole file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "softmax.h"

static int check(int status, const char *what)
{
    if (status != SOFTMAX_OK && status != SOFTMAX_E_CANCELLED) {
        fprintf(stderr, "train_digits: %s failed (%d): %s\n", what, status, softmax_last_error());
        exit(status == SOFTMAX_E_ARGUMENT || status == SOFTMAX_E_IO || status == SOFTMAX_E_FORMAT ? 2 : 1);
    }
    return status;
}

/* Called after every L-BFGS iteration; returning nonzero would stop training. */
static int on_progress(const softmax_progress *p, void *user_data)
{
    (void)p;
    int *reports = (int *)user_data;
    ++*reports;
    return 0;
}

int main(int argc, char **argv)
{
    const char *source = argc > 1 ? argv[1] : "digits";
    const char *model_path = argc > 2 ? argv[2] : NULL;
    int named = strchr(source, '/') == NULL && strchr(source, '.') == NULL;

    softmax_problem *train = NULL, *test = NULL;
    check(softmax_problem_load(source, 0, &train), "loading the training rows");
    if (named) check(softmax_problem_load(source, 1, &test), "loading the test rows");
    int64_t rows, cols;
    int32_t classes;
    check(softmax_problem_shape(train, &rows, &cols, &classes), "softmax_problem_shape");
    printf("libsoftmax %s (API %d)\n", softmax_version(), softmax_api_version());
    printf("rows: %lld\nfeatures: %lld\nclasses: %d\n", (long long)rows, (long long)cols, classes);

    softmax_options options;
    softmax_options_init(&options);
    if (options.size != sizeof(softmax_options)) {
        fprintf(stderr, "train_digits: softmax.h and libsoftmax disagree on softmax_options (%u vs %zu bytes)\n",
                options.size, sizeof(softmax_options));
        return 1;
    }
    options.solver = SOFTMAX_SOLVER_LBFGS;
    options.l2 = 1e-4;
    options.tol = 1e-10;
    options.threads = 1; /* a fixed thread count gives bit-identical results */

    int reports = 0;
    softmax_model *model = NULL;
    check(softmax_train(train, &options, NULL, on_progress, &reports, &model), "softmax_train");

    softmax_training_info info;
    check(softmax_model_training_info(model, &info), "softmax_model_training_info");
    double train_accuracy, test_accuracy = -1;
    check(softmax_model_score(model, train, &train_accuracy), "softmax_model_score");
    if (test) check(softmax_model_score(model, test, &test_accuracy), "softmax_model_score");
    printf("objective: %.17g\niterations: %d\nprogress_reports: %d\n", info.objective, info.iterations, reports);
    printf("train_accuracy: %.17g\n", train_accuracy);
    if (test) printf("test_accuracy: %.17g\n", test_accuracy);

    /* The class names the model carries (the labels the CLI prints), here "0".."9". */
    printf("class_names:");
    for (int32_t c = 0; c < classes; c++) {
        size_t length = 0; /* asked first: the size with the NUL */
        check(softmax_model_class_name(model, c, NULL, 0, &length), "softmax_model_class_name (size)");
        char *name = malloc(length);
        check(softmax_model_class_name(model, c, name, length, &length), "softmax_model_class_name");
        printf(" %s", name);
        free(name);
    }
    printf("\n");

    /* The model as bytes and back: the same predictions. */
    size_t size = 0;
    check(softmax_model_to_bytes(model, NULL, 0, &size), "softmax_model_to_bytes (size)");
    uint8_t *bytes = malloc(size);
    check(softmax_model_to_bytes(model, bytes, size, &size), "softmax_model_to_bytes");
    softmax_model *copy = NULL;
    check(softmax_model_from_bytes(bytes, size, &copy), "softmax_model_from_bytes");
    double copy_accuracy;
    check(softmax_model_score(copy, train, &copy_accuracy), "softmax_model_score (copy)");
    printf("model_bytes: %zu\nround_trip_equal: %d\n", size, copy_accuracy == train_accuracy);
    free(bytes);

    if (model_path) check(softmax_model_save(model, model_path), "softmax_model_save");

    softmax_model_free(copy);
    softmax_model_free(model);
    softmax_problem_free(test);
    softmax_problem_free(train);
    return 0;
}
